"""The fintech-zero-trust sample decides as its README says; analysis and diff
find the planted problems and the regression."""

from __future__ import annotations

from typing import Any

import pytest

from ztlab.abac import analyze, decision_diff, load_policies, load_requests

from .helpers import SAMPLE

# The table "Expected decisions" of sample_clusters/fintech-abac/README.md.
README_DECISIONS = {
    "r01": ("allow", "managers-read-own-department-reports"),
    "r02": ("deny", None),
    "r03": ("deny", "sensitive-needs-managed-device"),
    "r04": ("allow", "managers-read-own-department-reports"),
    "r05": ("deny", "admin-needs-mfa"),
    "r06": ("allow", "admins-administer-config"),
    "r07": ("allow", "admins-administer-config"),
    "r08": ("deny", "session-max-age"),
    "r09": ("allow", "managers-read-own-department-reports"),
    "r10": ("allow", "staff-read-own-department-records"),
    "r11": ("deny", None),
    "r12": ("allow", "payments-write-ledger"),
    "r13": ("deny", None),
    "r14": ("allow", "auditors-read-everything"),
    "r15": ("deny", "sensitive-needs-managed-device"),
    "r16": ("deny", None),
    "r17": ("deny", "session-max-age"),
}


@pytest.fixture(scope="module")
def policies() -> Any:
    return load_policies(SAMPLE / "policies.yaml")


def test_requests_decide_as_readme_says(policies: Any) -> None:
    requests = load_requests(SAMPLE / "requests.yaml", policies.schema)
    assert {r["id"] for r in requests} == set(README_DECISIONS)
    for r in requests:
        decision = policies.decide(r)
        assert (decision.outcome, decision.deciding) == README_DECISIONS[r["id"]], r[
            "id"
        ]
        assert r["expect"] == decision.outcome
        if README_DECISIONS[r["id"]][1] is None:
            assert decision.default and "no policy matched" in decision.reason


def test_domain_size(policies: Any) -> None:
    assert policies.schema.size() == 4 * 3 * 2 * 8 * 4 * 3 * 3 * 3 * 13


def test_analysis_finds_planted_problems(policies: Any) -> None:
    findings = analyze(policies)
    kinds = {(f.kind, f.policies[0]) for f in findings if f.policies}
    assert ("shadowed", "legacy-unmanaged-sensitive-export") in kinds
    assert ("redundant", "payments-managers-read-payments-reports") in kinds
    assert ("never-matching", "lending-read-ledger") in kinds
    warnings = {f.policies[0] for f in findings if f.severity == "warning"}
    assert warnings == {
        "legacy-unmanaged-sensitive-export",
        "payments-managers-read-payments-reports",
        "lending-read-ledger",
    }
    assert any(f.kind == "coverage-gap" for f in findings)
    for f in findings:
        if f.kind in ("shadowed", "redundant", "conflict"):
            assert f.policies[0] in policies.decide(f.witness).matched


def test_diff_shows_the_regression(policies: Any) -> None:
    v2 = load_policies(SAMPLE / "policies-v2.yaml", policies.schema)
    diff = decision_diff(policies, v2)
    assert diff.changes and all(c.loosened for c in diff.changes)
    for change in diff.changes:
        w = change.witness
        # only sensitive data from unmanaged devices, and no writes, changes
        assert w["resource"]["classification"] == "sensitive"
        assert w["subject"]["device_managed"] is False and w["action"] != "write"
        assert change.deciding_before == "sensitive-needs-managed-device"
    r15 = next(r for r in load_requests(SAMPLE / "requests.yaml") if r["id"] == "r15")
    assert policies.decide(r15).outcome == "deny" and v2.decide(r15).outcome == "allow"
