"""Property: under deny-overrides, a request that a deny policy matches is never
allowed, and no request is allowed while a deny policy errors on it."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ztlab.abac import load_policies, load_schema

from .helpers import SMALL_SCHEMA

CONDITIONS = [
    'subject.role == "admin"',
    'subject.role != "employee"',
    "subject.mfa",
    "!subject.mfa",
    '"otp" in subject.amr',
    "size(subject.amr) >= 2",
    "environment.hour > 1",
    'resource.owner == "alice" && action == "read"',
    'resource.type == "config" || subject.mfa',
]
SCHEMA = load_schema(SMALL_SCHEMA)

policy = st.fixed_dictionaries(
    {
        "effect": st.sampled_from(["allow", "deny"]),
        "condition": st.sampled_from(CONDITIONS),
    },
    optional={
        "target": st.fixed_dictionaries(
            {
                "actions": st.lists(
                    st.sampled_from(["read", "write", "admin"]),
                    min_size=1,
                    max_size=2,
                    unique=True,
                )
            }
        )
    },
)
req = st.fixed_dictionaries(
    {
        "subject": st.fixed_dictionaries(
            {},
            optional={
                "role": st.sampled_from(["employee", "manager", "admin"]),
                "mfa": st.booleans(),
                "amr": st.lists(st.sampled_from(["pwd", "otp", "hwk"]), unique=True),
            },
        ),
        "resource": st.fixed_dictionaries(
            {},
            optional={
                "type": st.sampled_from(["report", "config"]),
                "owner": st.sampled_from(["alice", "bob"]),
            },
        ),
        "action": st.sampled_from(["read", "write", "admin"]),
        "environment": st.fixed_dictionaries({}, optional={"hour": st.integers(0, 3)}),
    }
)


@settings(max_examples=150, deadline=None)
@given(st.lists(policy, min_size=1, max_size=6), st.lists(req, min_size=1, max_size=8))
def test_deny_overrides_never_allows_a_matching_deny(
    policies: list[dict[str, Any]], requests: list[dict[str, Any]]
) -> None:
    for i, p in enumerate(policies):
        p["id"] = f"p{i}"
    ps = load_policies({"policies": policies}, SCHEMA)
    denies = {p["id"] for p in policies if p["effect"] == "deny"}
    for r in requests:
        decision = ps.decide(r)
        if denies & set(decision.matched):
            assert decision.outcome == "deny"
        if denies & {pid for pid, _ in decision.errors}:
            assert decision.outcome == "deny"
        # a fresh engine (empty caches) decides the same
        assert load_policies({"policies": policies}, SCHEMA).decide(r) == decision
