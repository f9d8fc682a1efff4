"""ABAC simulator: policy sets with CEL conditions, explained decisions, analysis.

A policy set (YAML, ``ztlab/schemas/abac-policyset.schema.json``) is an ordered
list of allow and deny policies, each with an optional target (actions,
resource types) and a CEL condition over ``subject``, ``resource``, ``action``
and ``environment``. An attribute schema (``abac-attributes.schema.json``) gives
every attribute's type and, where finite, its domain. Policies are combined
with XACML 3.0 deny-overrides (default), permit-overrides or first-applicable;
see :mod:`ztlab.abac.combining` for how Indeterminate results map to ztlab's
allow / deny / error / not-applicable.

Modules: ``schema`` (attributes), ``policy`` (loading, compile, type check),
``celparse`` and ``celcheck`` (the type checker), ``combining`` (XACML),
``engine`` (decide, caches), ``matrix`` (request lists and DataFrames),
``table`` (the exhaustive table), ``analysis`` (findings with witnesses),
``diff`` (two versions), ``whynot`` (smallest change to an allow),
``identities`` (subjects and resources from a cluster).

Why the ``common-expression-language`` library (import ``cel``): it is
maintained, wraps a Rust CEL interpreter, evaluates a compiled condition in a
few microseconds (measured at about 6 us per condition), installs as a wheel
without a C++ toolchain, and accepts plain Python dicts and lists as variables.
``cel-expr-python`` is about as fast and type-checks at compile time, but its
checker needs declarations in protobuf-style types; ``cel-python`` is pure
Python and about 40 times slower. The one thing ``cel`` lacks, a type checker,
ztlab supplies in :mod:`ztlab.abac.celcheck`, which also yields the exact list
of attributes each condition reads: the engine caches on it, so CEL runs once
per distinct projection of the requests rather than once per request.

>>> ps = load_policies({"policies": [
...     {"id": "admin-needs-mfa", "effect": "deny", "target": {"actions": ["admin"]},
...      "condition": '!("otp" in subject.amr)'},
...     {"id": "admins", "effect": "allow", "condition": 'subject.role == "admin"'}]},
...     load_schema({"attributes": {
...         "subject.role": {"type": "string", "values": ["admin", "staff"]},
...         "subject.amr": {"type": "list", "values": ["pwd", "otp"]},
...         "action": {"type": "string", "values": ["read", "admin"]}}}))
>>> request = {"subject": {"role": "admin", "amr": ["pwd"]}, "action": "admin"}
>>> ps.decide(request).reason
'denied by admin-needs-mfa'
>>> [s.describe() for s in why_not(ps, request)]
['allowed with otp added to subject.amr (by admins)']
"""

from collections.abc import Mapping
from typing import Any

from ztlab.abac.analysis import Finding, analyze
from ztlab.abac.combining import ALGORITHMS
from ztlab.abac.diff import Change, DecisionDiff, decision_diff
from ztlab.abac.engine import Decision, Engine
from ztlab.abac.identities import (
    cluster_requests,
    cluster_resources,
    cluster_schema,
    cluster_subjects,
)
from ztlab.abac.matrix import decide_requests, load_requests, requests_from_frame
from ztlab.abac.policy import Policy, PolicySet, load_policies
from ztlab.abac.schema import Attribute, AttributeSchema, load_schema
from ztlab.abac.table import Table, decision_table
from ztlab.abac.whynot import AttributeChange, Suggestion, why_not

__all__ = [
    "ALGORITHMS",
    "Attribute",
    "AttributeChange",
    "AttributeSchema",
    "Change",
    "Decision",
    "DecisionDiff",
    "Engine",
    "Finding",
    "Policy",
    "PolicySet",
    "Suggestion",
    "Table",
    "analyze",
    "cluster_requests",
    "cluster_resources",
    "cluster_schema",
    "cluster_subjects",
    "decide",
    "decide_requests",
    "decision_diff",
    "decision_table",
    "load_policies",
    "load_requests",
    "load_schema",
    "requests_from_frame",
    "why_not",
]


def decide(policy_set: PolicySet, request: Mapping[str, Any]) -> Decision:
    """Decide one request against a policy set (same as ``policy_set.decide``)."""
    return policy_set.decide(request)
