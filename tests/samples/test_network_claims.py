"""The NetworkPolicy claims each sample's README makes, checked.

The expected values in tests/samples/expected/*.yaml were derived by hand from
the manifests and the rules of NetworkPolicy, not produced by ztlab.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import ztlab
from ztlab.netpol.evaluate import isolating_policies
from ztlab.netpol.findings import segmentation_findings

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ("online-boutique", "bookinfo-mesh", "fintech-zero-trust")

# Finding kinds named in the expected files -> the rule ids ztlab reports.
FINDING_RULES = {
    "ingress-not-isolated": {"NP001"},
    "selector-matches-nothing": {"NP005"},
    "service-port-in-policy": {"NP008"},
    "dns-egress-missing": {"NP007"},
    "namespace-selector-matches-nothing": {"NP006"},
    "no-egress-isolation": {"NP003", "NP002"},
    "no-network-policy": {"NP003", "NP001"},
    "netpol-peer-split": {"NP014"},
}


def _expected(sample: str) -> dict:
    return yaml.safe_load(
        (ROOT / "tests/samples/expected" / f"{sample}.yaml").read_text()
    )


@pytest.fixture(scope="module", params=SAMPLES)
def sample(request):
    cluster = ztlab.load(ROOT / "sample_clusters" / request.param)
    return request.param, cluster, _expected(request.param)


def test_samples_load_without_errors(sample):
    name, cluster, _ = sample
    assert cluster.report.errors == [], [str(e) for e in cluster.report.errors]


def test_reach_claims(sample):
    name, cluster, expected = sample
    wrong = []
    for claim in expected.get("reach") or []:
        verdict = cluster.can_reach(
            claim["from"], claim["to"], claim.get("port"), claim.get("protocol", "TCP")
        )
        if verdict.allowed != claim["allowed"] or not verdict.definite:
            wrong.append(
                f"{claim['from']} -> {claim['to']} {claim.get('protocol', 'TCP')} "
                f"{claim.get('port')}: expected {claim['allowed']} ({claim['why']}), "
                f"got {verdict.allowed} definite={verdict.definite}: {verdict.reason}"
            )
    assert not wrong, "\n".join(wrong)


def test_isolation_claims(sample):
    name, cluster, expected = sample
    table = expected.get("isolation") or {}
    for key, sides in table.items():
        workload = cluster.workload(key)
        for direction in ("ingress", "egress"):
            isolated = bool(isolating_policies(cluster, workload, direction.title()))
            assert isolated == sides[direction], f"{key} {direction}"


def test_finding_claims(sample):
    name, cluster, expected = sample
    found = segmentation_findings(cluster)
    for claim in expected.get("findings") or []:
        rules = FINDING_RULES.get(claim["id"])
        if rules is None:
            continue  # a mesh finding, checked with the mesh engine
        target = claim["object"]
        hits = [
            f
            for f in found
            if f.rule in rules and any(o.id.endswith(":" + target) for o in f.objects)
        ]
        assert hits, f"{name}: no {rules} finding on {target}: {claim['description']}"
