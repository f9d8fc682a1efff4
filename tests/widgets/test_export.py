"""The export preview against ztlab.synth: corrected YAML, diff, download link.

Expected effects come from the online-boutique README's mistakes: the
emailservice policy names the Service port (5000) instead of the pod port
(8080), and DNS egress is forgotten; removing every flow to adservice must
leave nothing that reaches it.
"""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

import pytest
import yaml

import ztlab
from ztlab.errors import Provenance
from ztlab.load import Document
from ztlab.widgets import ExportPreview
from ztlab.widgets.export import ALL_FILES, FIX, LEAST, preview

SAMPLES = Path(__file__).resolve().parents[2] / "sample_clusters"


@pytest.fixture(scope="module")
def boutique():
    return ztlab.load(SAMPLES / "online-boutique")


def _apply(cluster: ztlab.Cluster, text: str) -> ztlab.Cluster:
    """The cluster with the previewed NetworkPolicies in place of its own."""
    docs = [d for d in yaml.safe_load_all(text) if d]
    fixed = ztlab.build_cluster(
        Document(d, Provenance("preview", i)) for i, d in enumerate(docs)
    )
    return cluster.replace(
        network_policies={**cluster.network_policies, **fixed.network_policies}
    )


def test_fix_mode_repairs_the_service_port_and_dns(boutique):
    p = preview(boutique, FIX)
    assert p.ok
    after = _apply(boutique, p.text())
    # Before: checkoutservice cannot reach emailservice's pod port 8080.
    assert not boutique.can_reach(
        "boutique/checkoutservice", "boutique/emailservice", 8080
    ).allowed
    assert after.can_reach(
        "boutique/checkoutservice", "boutique/emailservice", 8080
    ).allowed
    for protocol in ("UDP", "TCP"):
        assert after.can_reach(
            "boutique/frontend", "kube-system/kube-dns", 53, protocol
        ).allowed
    assert any(s.startswith("fixed NP008:") for s in p.status)


def test_least_privilege_removes_the_flows_asked(boutique):
    p = preview(boutique, LEAST, ("*->boutique/adservice",))
    assert p.ok
    assert p.status[0] == "proof: proven"
    to_ad = {r["change"] for r in p.diff if r["dst"] == "boutique/adservice"}
    assert to_ad == {"removed"}


def test_the_panel_shows_yaml_diff_and_a_download_link(boutique):
    panel = ExportPreview(boutique)
    panel.mode.value = LEAST
    panel.remove.value = "*->boutique/adservice"
    panel.button.click()
    assert panel.preview is not None and panel.preview.ok
    assert "kind: NetworkPolicy" in html.unescape(panel.yaml.value)
    assert "removed" in panel.diff.value and "boutique/adservice" in panel.diff.value
    link = re.search(
        r'download="([^"]+)" href="data:application/yaml;base64,([^"]+)"',
        panel.link.value,
    )
    assert link and link.group(1) == "ztlab-export.yaml"
    assert base64.b64decode(link.group(2)).decode() == panel.preview.text(ALL_FILES)
    # One file at a time.
    name = next(n for n in panel.file.options if n.endswith(".networkpolicy.yaml"))
    panel.file.value = name
    assert f'download="{name}"' in panel.link.value
    assert html.unescape(panel.yaml.value).count("kind: Kustomization") == 0


def test_a_bad_removal_is_reported_not_raised(boutique):
    panel = ExportPreview(boutique)
    panel.mode.value = LEAST
    panel.remove.value = "nope/nothing->boutique/adservice"
    panel.generate()
    assert panel.preview is None
    assert "nope/nothing" in panel.error
    assert "error" in panel.status.value
