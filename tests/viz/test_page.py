"""``ztlab report --html``: one self-contained, escaped page."""

from __future__ import annotations

import html
import re

from click.testing import CliRunner

from ztlab.cli import _register, cli
from ztlab.viz.offline import remote_references

from .helpers import PAYLOADS, SAMPLES, XSS

_register()


def _report(tmp_path, *paths: str) -> str:
    out = tmp_path / "out.html"
    result = CliRunner().invoke(
        cli, ["report", *paths, "--html", str(out)], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert str(out) in result.output
    return out.read_text(encoding="utf-8")


def test_report_html_is_self_contained(tmp_path):
    page = _report(tmp_path, str(SAMPLES / "fintech-zero-trust"))
    assert page.startswith("<!DOCTYPE html>")
    assert remote_references(page) == []
    for section in (
        "Counts",
        "Namespaces",
        "Workloads",
        "NetworkPolicies",
        "Mesh",
        "Findings (",
    ):
        assert f"<h2>{section}" in page
    # The graph: vis-network inlined in the iframe's srcdoc.
    assert 'srcdoc="' in page and "vis.Network" in html.unescape(page)
    assert "payments/ledger" in page


def test_report_html_escapes_every_manifest_value(tmp_path):
    page = _report(tmp_path, str(XSS))
    for payload in PAYLOADS:
        assert payload not in page
    # In the tables: the workload name and the service account, escaped once.
    assert html.escape("xss/web<img src=x onerror=window.__xss=3>") in page
    assert html.escape('sa"><script>window.__xss=7</script>') in page


def test_report_html_policy_admits_the_graph_scripts(tmp_path):
    page = _report(tmp_path, str(SAMPLES / "online-boutique"))
    policy = html.unescape(
        re.search(r'Content-Security-Policy" content="([^"]*)"', page).group(1)
    )
    assert policy.startswith("default-src 'none'; script-src 'sha256-")
