"""decide(): matched and deciding policies, default deny, error outcomes."""

from __future__ import annotations

from typing import Any

from ztlab.abac import decide

from .helpers import request

ADMIN_MFA = {
    "id": "admin-mfa",
    "effect": "deny",
    "target": {"actions": ["admin"]},
    "condition": '!("otp" in subject.amr || "hwk" in subject.amr)',
}
ADMINS = {
    "id": "admins",
    "effect": "allow",
    "target": {"actions": ["admin"]},
    "condition": 'subject.role == "admin"',
}
READERS = {
    "id": "readers",
    "effect": "allow",
    "target": {"actions": ["read"], "resource_types": ["report"]},
}


def test_allow_names_deciding_and_matched(build: Any) -> None:
    ps = build(ADMIN_MFA, ADMINS, READERS)
    d = decide(ps, request(subject_role="admin", subject_amr=["otp"], action="admin"))
    assert (d.outcome, d.deciding, d.matched, d.allowed) == (
        "allow",
        "admins",
        ("admins",),
        True,
    )


def test_deny_overrides_allow(build: Any) -> None:
    ps = build(ADMINS, ADMIN_MFA)
    d = ps.decide(request(subject_role="admin", subject_amr=["pwd"], action="admin"))
    assert d.outcome == "deny" and d.deciding == "admin-mfa"
    assert d.matched == ("admins", "admin-mfa")
    assert d.reason == "denied by admin-mfa"


def test_no_policy_matched_is_default_deny(build: Any) -> None:
    ps = build(ADMIN_MFA, ADMINS, READERS)
    d = ps.decide(
        request(
            subject_role="employee",
            subject_amr=["pwd"],
            action="write",
            resource_type="report",
        )
    )
    assert d.outcome == "deny" and d.default and d.deciding is None
    assert "no policy matched" in d.reason


def test_first_applicable_not_applicable(build: Any) -> None:
    ps = build(READERS, algorithm="first-applicable")
    d = ps.decide(request(action="write", resource_type="report"))
    assert d.outcome == "not-applicable" and not d.allowed


def test_erroring_deny_denies_under_deny_overrides(build: Any) -> None:
    ps = build(ADMIN_MFA, ADMINS)
    d = ps.decide(request(subject_role="admin", action="admin"))  # amr missing
    assert d.xacml == "Indeterminate{DP}"  # Indeterminate{D} and a Permit
    assert d.outcome == "deny" and d.deciding == "admin-mfa"
    assert d.errors[0][0] == "admin-mfa" and "subject.amr is missing" in d.errors[0][1]


def test_erroring_allow_is_an_error_not_an_allow(build: Any) -> None:
    grant = {"id": "g", "effect": "allow", "condition": "subject.mfa"}
    for algorithm in ("deny-overrides", "permit-overrides", "first-applicable"):
        d = build(grant, algorithm=algorithm).decide(request(subject_role="admin"))
        assert d.outcome == "error" and d.xacml == "Indeterminate{P}", algorithm


def test_erroring_deny_under_other_algorithms_is_error(build: Any) -> None:
    guard = {"id": "guard", "effect": "deny", "condition": "!subject.mfa"}
    for algorithm in ("permit-overrides", "first-applicable"):
        d = build(guard, algorithm=algorithm).decide({})
        assert (d.outcome, d.xacml) == ("error", "Indeterminate{D}"), algorithm


def test_missing_target_attribute_is_an_error(build: Any) -> None:
    d = build(READERS).decide({"action": "read"})
    assert d.outcome == "error" and "resource.type is missing" in d.errors[0][1]


def test_short_circuit_does_not_need_the_missing_attribute(build: Any) -> None:
    policy = {
        "id": "p",
        "effect": "allow",
        "condition": 'subject.role == "admin" || subject.mfa',
    }
    assert build(policy).decide(request(subject_role="admin")).outcome == "allow"


def test_runtime_type_error_is_an_error(build: Any) -> None:
    policy = {"id": "p", "effect": "allow", "condition": "environment.hour > 1"}
    d = build(policy).decide(request(environment_hour="late"))
    assert d.outcome == "error"


def test_permit_overrides(build: Any) -> None:
    deny_all = {"id": "deny-all", "effect": "deny"}
    ps = build(deny_all, READERS, algorithm="permit-overrides")
    assert ps.decide(request(action="read", resource_type="report")).outcome == "allow"
    assert ps.decide(request(action="write", resource_type="report")).outcome == "deny"


def test_cache_keeps_requests_apart(build: Any) -> None:
    ps = build(ADMIN_MFA, ADMINS)
    for _ in range(3):
        assert ps.decide(
            request(subject_role="admin", subject_amr=["hwk"], action="admin")
        ).allowed
        assert not ps.decide(
            request(subject_role="admin", subject_amr=[], action="admin")
        ).allowed
        assert not ps.decide(
            request(subject_role="manager", subject_amr=["hwk"], action="admin")
        ).allowed


def test_map_attribute(build: Any) -> None:
    policy = {
        "id": "p",
        "effect": "allow",
        "condition": 'resource.labels["data-classification"] == "public"',
    }
    ps = build(policy)
    assert ps.decide(
        {"resource": {"labels": {"data-classification": "public"}}}
    ).allowed
    no_label = ps.decide({"resource": {"labels": {}}})
    assert no_label.outcome == "error"
