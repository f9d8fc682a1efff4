"""--fix-findings adds a default-deny only with allows that keep today's flows."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

import ztlab
from ztlab.cli.export import export as export_command
from ztlab.model import PortSet
from ztlab.netpol import flows
from ztlab.netpol.findings import segmentation_findings

from .helpers import ROOT, cluster_of, deployment, namespace

CASES = ("online-boutique", "bookinfo-mesh")


def _ports(cluster) -> dict[tuple[str, str], PortSet]:
    out: dict[tuple[str, str], PortSet] = {}
    for f in flows(cluster):
        out[(f.src, f.dst)] = out.get((f.src, f.dst), PortSet.empty()) | f.ports
    return out


def _run(*args: str):
    return CliRunner().invoke(export_command, list(args), catch_exceptions=False)


@pytest.mark.parametrize("name", CASES)
def test_fix_findings_loses_no_flow(name, tmp_path):
    sample = ROOT / "sample_clusters" / name
    res = _run(str(sample), "--fix-findings", "--out", str(tmp_path), "--diff")
    assert res.exit_code == 0, res.output
    assert "no flow loses ports" in res.output
    removed = [ln for ln in res.output.splitlines() if ln.startswith("removed ")]
    # --diff prints the rows; the only removal is the NP008 Service port 5000.
    assert "unchanged " in res.output
    assert all("boutique/emailservice" in ln and "5000" in ln for ln in removed)
    before = ztlab.load(sample)
    # The export replaces same-named objects; nothing is obsolete in this mode.
    after = ztlab.load(sample, tmp_path)
    old, new = _ports(before), _ports(after)
    for (src, dst), ports in old.items():
        if ports.is_empty():
            continue
        kept = new.get((src, dst), PortSet.empty())
        if name == "online-boutique" and dst == "boutique/emailservice":
            # NP008 fix (README): Service port 5000 becomes pod port 8080.
            ports = ports - PortSet.of("TCP", 5000)
        assert (ports - kept).is_empty(), (src, dst, str(ports - kept))
    assert not [f for f in segmentation_findings(after) if f.rule == "NP003"]


def test_boutique_flows_named_in_the_issue_stay_allowed(tmp_path):
    sample = ROOT / "sample_clusters" / "online-boutique"
    assert _run(str(sample), "--fix-findings", "--out", str(tmp_path)).exit_code == 0
    after = ztlab.load(sample, tmp_path)
    for src, dst, port in (
        ("boutique/frontend", "boutique/cartservice", 7070),
        ("boutique/frontend", "boutique/adservice", 9555),
        ("boutique/checkoutservice", "boutique/cartservice", 7070),
    ):
        assert after.can_reach(src, dst, port).allowed, (src, dst, port)
    assert "boutique/default-deny-ingress" in after.network_policies


def test_the_np014_narrowing_is_intended_not_a_loss(tmp_path):
    # fintech README: customer-db-ingress splits namespaceSelector (legacy) and
    # podSelector (legacy-batch) into two peers, so legacy-sftp reaches the
    # restricted database. Merging them takes that flow away, as intended.
    sample = ROOT / "sample_clusters" / "fintech-zero-trust"
    res = _run(str(sample), "--fix-findings", "--out", str(tmp_path))
    assert res.exit_code == 0, res.output
    fixed = ztlab.load(sample, tmp_path)
    assert not fixed.can_reach("legacy/legacy-sftp", "data/customer-db", 5432).allowed
    assert fixed.can_reach("legacy/legacy-batch", "data/customer-db", 5432).allowed


_POD = """\
apiVersion: v1
kind: Pod
metadata: {{name: {name}, namespace: shop, labels: {{app: {name}}}}}
spec: {{containers: [{{name: c, ports: [{{containerPort: 80}}]}}]}}
"""
_DENY = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: shop}
spec: {podSelector: {}, policyTypes: [Ingress]}
"""


def test_losses_name_lost_flows_except_what_a_narrowing_fix_removes(tmp_path):
    from ztlab.synth.fixes import FixResult

    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "pods.yaml").write_text(
        _POD.format(name="web") + "---\n" + _POD.format(name="db")
    )
    before = ztlab.load(tmp_path / "a")
    (tmp_path / "a" / "deny.yaml").write_text(_DENY)
    after = ztlab.load(tmp_path / "a")
    lost = FixResult().losses(before, after)
    # Without a policy every pod and address may connect; the ingress
    # default-deny closes both pods to each other and to the outside.
    assert {(src, dst) for src, dst, _ in lost} == {
        ("shop/web", "shop/db"),
        ("shop/db", "shop/web"),
        *(
            (cidr, pod)
            for cidr in ("0.0.0.0/0", "::/0")
            for pod in ("shop/web", "shop/db")
        ),
    }


def test_inexpressible_flow_keeps_namespace_without_default_deny():
    from ztlab.synth.fixes import fix_findings

    # a and b differ only in pod-template-hash, which no selector uses; a is
    # isolated (admits nothing), b admits c on every port. An allow for b
    # would also select a, so a default-deny would drop c -> b.
    a = deployment("shop", "a", {"app": "web", "pod-template-hash": "1"}, [80])
    c = cluster_of(
        namespace("shop"),
        a,
        deployment("shop", "b", {"app": "web"}, [80]),
        deployment("shop", "c", {"app": "client"}, [80]),
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "a-only", "namespace": "shop"},
            "spec": {
                "podSelector": {"matchLabels": {"pod-template-hash": "1"}},
                "policyTypes": ["Ingress"],
            },
        },
    )
    assert c.can_reach("shop/c", "shop/b", 80).allowed
    result = fix_findings(c)
    np003 = [f for f in result.unfixed if f.rule == "NP003"]
    assert np003 and "Ingress" in np003[0].message
    assert "shop/c -> shop/b" in result.reason(np003[0])
    assert not any(g.name.startswith("default-deny") for g in result.objects)
    assert result.apply(c).can_reach("shop/c", "shop/b", 80).allowed
