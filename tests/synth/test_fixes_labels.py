"""--fix-findings on the samples; label choice and inexpressible flows."""

from __future__ import annotations

import pytest

from ztlab.mesh import mesh_findings, mesh_of
from ztlab.model import Labels, PortSet, Workload
from ztlab.netpol.findings import segmentation_findings
from ztlab.synth import export
from ztlab.synth.fixes import fix_findings
from ztlab.synth.intent import Intent, IntentFlow
from ztlab.synth.labels import choose_selector
from ztlab.synth.proof import reload

from .helpers import SAMPLES, cluster_of, deployment, namespace, sample

# Findings each README names as mistakes with a minimal fix (rule ids).
README_FIXES = {
    "online-boutique": {"NP007", "NP008"},
    "bookinfo-mesh": {"mesh.dr-plaintext-to-strict", "mesh.split-from-to"},
    "fintech-zero-trust": {"NP014", "NP006", "NP003"},
}


@pytest.mark.parametrize("name", SAMPLES)
def test_fix_findings_removes_the_fixed_findings(name):
    c = sample(name)
    result = fix_findings(c)
    assert README_FIXES[name] <= {f.rule for f in result.fixed}
    after = result.apply(c)
    now = {(f.rule, f.message) for f in segmentation_findings(after)}
    now |= {(f.rule, f.message) for f in mesh_findings(mesh_of(after))}
    assert not [f for f in result.fixed if (f.rule, f.message) in now]
    assert not any(
        rule in {r for r, _ in now} for rule in README_FIXES[name] - {"NP006"}
    )


def test_fixes_keep_everything_else():
    c = sample("online-boutique")
    after = fix_findings(c).apply(c)
    # README fixes: emailservice admits checkoutservice on 8080, DNS works ...
    assert after.can_reach(
        "boutique/checkoutservice", "boutique/emailservice", 8080
    ).allowed
    assert after.can_reach(
        "boutique/frontend", "kube-system/kube-dns", 53, "UDP"
    ).allowed
    # ... and the other policies are untouched (cartservice typo has no automatic fix).
    assert (
        after.network_policies["boutique/cartservice-ingress"]
        == c.network_policies["boutique/cartservice-ingress"]
    )
    assert after.can_reach(
        "boutique/frontend", "boutique/productcatalogservice", 3550
    ).allowed
    assert not after.can_reach(
        "boutique/loadgenerator", "boutique/productcatalogservice", 3550
    ).allowed


def test_smallest_stable_selector():
    a = Workload(
        "Deployment",
        "ns",
        "a",
        Labels({"app": "web", "pod-template-hash": "1", "tier": "x"}),
    )
    b = Workload("Deployment", "ns", "b", Labels({"app": "web", "tier": "y"}))
    c = Workload("Deployment", "ns", "c", Labels({"app": "db", "tier": "x"}))
    sel = choose_selector(a, [a, b, c])
    assert dict(sel.labels) == {"app": "web", "tier": "x"} and sel.exact
    same = Workload("Deployment", "ns", "d", Labels({"app": "web", "tier": "x"}))
    assert choose_selector(a, [a, same]).members == ("ns/a", "ns/d")


def _twins():
    return cluster_of(
        namespace("shop"),
        deployment("shop", "api-a", {"app": "api"}, sa="a"),
        deployment("shop", "api-b", {"app": "api"}, sa="b"),
        deployment("shop", "db", {"app": "db"}, ports=[5432]),
    )


def test_indistinguishable_workloads_are_reported_never_widened():
    c = _twins()
    intent = Intent(
        (IntentFlow("shop/api-a", "shop/db", PortSet.of("TCP", 5432)),), dns=False
    )
    result = export(c, intent, mesh=False)
    assert result.proof.status == "inexpressible"
    (gap,) = result.proof.inexpressible
    assert (gap.src, gap.dst) == ("shop/api-a", "shop/db")
    assert gap.workloads == ("shop/api-a", "shop/api-b")
    assert gap.suggestion == "app.kubernetes.io/instance=api-a"
    after = reload(c, result.objects, result.plan.governed)
    assert not after.can_reach("shop/api-b", "shop/db", 5432).allowed  # not widened


def test_same_access_for_twins_is_expressible():
    c = _twins()
    flows = tuple(
        IntentFlow(s, "shop/db", PortSet.of("TCP", 5432))
        for s in ("shop/api-a", "shop/api-b")
    )
    result = export(c, Intent(flows, dns=False), mesh=False)
    assert result.proof.status == "proven"
