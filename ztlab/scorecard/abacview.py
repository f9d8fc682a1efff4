"""What an ABAC policy set allows, asked over its whole finite domain.

The scorecard asks questions such as "is any request from an unmanaged device to
a sensitive resource allowed?". They are answered on the exhaustive decision
table (:func:`ztlab.abac.decision_table`), so a "no" is a proof over every
request the attribute schema admits, not a sample.

Attributes are found by name: a bool ``*device*managed*`` (or compliant,
trusted) attribute, a ``resource.*classification*`` (or sensitivity) string,
the list attribute ``*amr*``, an int ``*session*`` attribute in hours (minutes
or seconds when its name says so), and ``action``.

Limitations: attributes named otherwise are not recognised; the answer then is
that the policy set does not express the rule.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ztlab.abac import PolicySet, decision_table
from ztlab.abac.schema import Attribute
from ztlab.errors import Provenance, ZtlabError
from ztlab.findings import ObjectRef

__all__ = [
    "SENSITIVE_VALUES",
    "MFA_METHODS",
    "PRIVILEGED_ACTIONS",
    "find_attribute",
    "allowed_witness",
    "policy_ref",
]

SENSITIVE_VALUES = frozenset({"sensitive", "confidential", "restricted", "secret"})
# RFC 8176 methods that are a factor beyond something the user knows.
MFA_METHODS = frozenset(
    {"mfa", "otp", "hwk", "swk", "sms", "tel", "sc", "face", "fpt", "iris", "retina"}
)
PRIVILEGED_ACTIONS = frozenset({"admin", "delete", "approve"})

_PATTERNS = {
    "device": (
        r"device.*(managed|compliant|trusted)|(managed|compliant).*device",
        "bool",
    ),
    "classification": (r"^resource\..*(classification|sensitivity)", "string"),
    "amr": (r"(^|[._])amr$", "list"),
    "session": (r"session", "int"),
    "action": (r"^action$", "string"),
}


def find_attribute(ps: PolicySet, kind: str) -> Attribute | None:
    """The schema attribute playing role ``kind`` (device, classification, amr,
    session, action), or None.

    >>> from ztlab.abac import load_policies, load_schema
    >>> ps = load_policies({"policies": [{"id": "p", "effect": "allow"}]},
    ...     load_schema({"attributes": {"subject.device_managed": {"type": "bool"}}}))
    >>> find_attribute(ps, "device").name
    'subject.device_managed'
    """
    pattern, type_ = _PATTERNS[kind]
    for name, attribute in ps.schema.items():
        if attribute.type == type_ and re.search(pattern, name, re.IGNORECASE):
            return attribute
    return None


def session_limit(attribute: Attribute, hours: int = 8) -> int:
    """``hours`` in the unit the attribute's name suggests."""
    name = attribute.name.lower()
    if "minute" in name or name.endswith("_min"):
        return hours * 60
    if "second" in name or name.endswith(("_s", "_sec")):
        return hours * 3600
    return hours


def allowed_witness(
    ps: PolicySet, where: Mapping[str, Callable[[Any], bool]]
) -> dict[str, Any] | None:
    """An allowed request whose attributes satisfy ``where``, or None if none is.

    Raises ZtlabError when the table cannot be built (an infinite domain).

    >>> from ztlab.abac import load_policies, load_schema
    >>> ps = load_policies({"policies": [{"id": "p", "effect": "allow",
    ...     "condition": "subject.ok"}]},
    ...     load_schema({"attributes": {"subject.ok": {"type": "bool"}}}))
    >>> allowed_witness(ps, {"subject.ok": lambda v: not v}) is None
    True
    """
    table = ps._engine.get("scorecard_table")
    if table is None:
        table = decision_table(ps)
        ps._engine["scorecard_table"] = table
    names = [a.name for a in table.attributes]
    mask = table.outcomes == "allow"
    if not mask.any():
        return None
    index = np.unravel_index(np.arange(len(table)), table.shape)
    for name, predicate in where.items():
        if name not in names:
            raise ZtlabError(f"attribute {name} has no finite domain")
        axis = names.index(name)
        attribute = table.attributes[axis]
        ok = np.array(
            [
                bool(predicate(list(v) if attribute.type == "list" else v))
                for v in table.domains[axis]
            ]
        )
        mask &= ok[index[axis]]
    rows = np.flatnonzero(mask)
    return table.request(int(rows[0])) if len(rows) else None


def policy_ref(ps: PolicySet, policy_id: str | None = None) -> ObjectRef:
    """An ObjectRef to the policy set file, or to one policy in it."""
    if policy_id is None:
        return ObjectRef(f"abac:{ps.origin}", Provenance(ps.origin))
    policy = ps.policy(policy_id)
    line = None
    match = re.search(r"\(line (\d+)\)", policy.where)
    if match:
        line = int(match.group(1))
    return ObjectRef(f"abac:{ps.origin}#{policy_id}", Provenance(ps.origin, 1, line))


def describe(request: Mapping[str, Any]) -> str:
    """A request as ``root.field=value`` pairs."""
    parts = []
    for root, value in request.items():
        if isinstance(value, Mapping):
            parts += [f"{root}.{k}={_show(v)}" for k, v in value.items()]
        else:
            parts.append(f"{root}={_show(value)}")
    return ", ".join(parts)


def _show(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "[" + ",".join(str(v) for v in value) + "]"
    return str(value).lower() if isinstance(value, bool) else str(value)
