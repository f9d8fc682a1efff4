"""Analysis on a policy set with planted problems; counts worked out by hand.

Domain of the small schema: role 3 x mfa 2 x amr 8 x type 2 x owner 2 x
action 3 x hour 4 = 2304 requests.
"""

from __future__ import annotations

from typing import Any

import pytest

from ztlab.abac import analyze, decision_table

GUARD = {
    "id": "no-mfa-admin",
    "effect": "deny",
    "target": {"actions": ["admin"]},
    "condition": "!subject.mfa",
}
ADMINS = {
    "id": "admins",
    "effect": "allow",
    "target": {"actions": ["admin"]},
    "condition": 'subject.role == "admin"',
}
SHADOWED = {
    "id": "admin-without-mfa",
    "effect": "allow",
    "target": {"actions": ["admin"]},
    "condition": '!subject.mfa && subject.role == "admin"',
}
REDUNDANT = {
    "id": "admins-config",
    "effect": "allow",
    "target": {"actions": ["admin"], "resource_types": ["config"]},
    "condition": 'subject.role == "admin"',
}
NEVER = {"id": "impossible", "effect": "allow", "condition": "environment.hour > 3"}


@pytest.fixture
def findings(build: Any) -> list[Any]:
    return analyze(build(GUARD, ADMINS, SHADOWED, REDUNDANT, NEVER))


def _kind(findings: list[Any], kind: str) -> list[Any]:
    return [f for f in findings if f.kind == kind]


def test_table_size(build: Any) -> None:
    assert len(decision_table(build(GUARD))) == 2304


def test_shadowed(findings: list[Any], build: Any) -> None:
    (found,) = _kind(findings, "shadowed")
    assert found.policies[0] == "admin-without-mfa"
    assert found.details["overridden_by"] == ["no-mfa-admin"]
    assert found.count == 128
    decision = build(GUARD, ADMINS, SHADOWED, REDUNDANT, NEVER).decide(found.witness)
    assert "admin-without-mfa" in decision.matched and decision.outcome == "deny"


def test_redundant(findings: list[Any], build: Any) -> None:
    (found,) = _kind(findings, "redundant")
    assert found.policies[0] == "admins-config"
    assert found.details["covered_by"] == ["admins"]
    assert found.count == 128
    full = build(GUARD, ADMINS, SHADOWED, REDUNDANT, NEVER)
    without = full.without("admins-config")
    assert "admins-config" in full.decide(found.witness).matched
    assert full.decide(found.witness).outcome == without.decide(found.witness).outcome


def test_redundant_first_in_order_still_redundant(build: Any) -> None:
    # The narrow copy comes first, so it decides; removing it lets ADMINS decide.
    found = _kind(analyze(build(REDUNDANT, ADMINS)), "redundant")
    assert [f.policies[0] for f in found] == ["admins-config"]


def test_not_redundant_when_removal_changes_a_decision(build: Any) -> None:
    redundant = [
        f.policies[0] for f in _kind(analyze(build(ADMINS, REDUNDANT)), "redundant")
    ]
    assert redundant == ["admins-config"]  # removing ADMINS would deny admin on reports


def test_never_matching(findings: list[Any]) -> None:
    (found,) = _kind(findings, "never-matching")
    assert found.policies == ("impossible",) and found.count == 0


def test_conflicts(findings: list[Any], build: Any) -> None:
    pairs = {f.policies: f.count for f in _kind(findings, "conflict")}
    assert pairs == {
        ("admins", "no-mfa-admin"): 128,
        ("admin-without-mfa", "no-mfa-admin"): 128,
        ("admins-config", "no-mfa-admin"): 64,
    }
    for f in _kind(findings, "conflict"):
        d = build(GUARD, ADMINS, SHADOWED, REDUNDANT, NEVER).decide(f.witness)
        assert set(f.policies) <= set(d.matched) and d.outcome == "deny"


def test_coverage_gaps(findings: list[Any], build: Any) -> None:
    gaps = {
        (f.details["scope"]["action"], f.details["scope"]["resource.type"]): f.count
        for f in _kind(findings, "coverage-gap")
    }
    assert gaps == {
        ("read", "report"): 384,
        ("read", "config"): 384,
        ("write", "report"): 384,
        ("write", "config"): 384,
        ("admin", "report"): 128,
        ("admin", "config"): 128,
    }
    for f in _kind(findings, "coverage-gap"):
        assert (
            build(GUARD, ADMINS, SHADOWED, REDUNDANT, NEVER).decide(f.witness).default
        )


def test_evaluation_error_finding(build: Any) -> None:
    # size() of a list is fine; indexing past its end errors for the empty list.
    risky = {
        "id": "first-method",
        "effect": "allow",
        "condition": 'subject.amr[0] == "otp"',
    }
    (found,) = _kind(analyze(build(risky)), "evaluation-error")
    assert found.policies == ("first-method",) and found.severity == "error"
    assert found.witness["subject"]["amr"] == []
    assert found.count == 2304 // 8  # exactly the requests with an empty amr


def test_findings_sorted_by_severity(findings: list[Any]) -> None:
    order = [f.severity for f in findings]
    assert order == sorted(order, key=["error", "warning", "info"].index)
