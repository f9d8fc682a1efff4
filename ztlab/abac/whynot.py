"""Why-not: the smallest attribute change that turns a denied request into an allow."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations, product
from typing import TYPE_CHECKING, Any

from ztlab.abac.engine import MISSING, Decision, freeze, thaw
from ztlab.abac.schema import Attribute

if TYPE_CHECKING:
    from ztlab.abac.policy import PolicySet

__all__ = ["AttributeChange", "Suggestion", "why_not"]


@dataclass(frozen=True)
class AttributeChange:
    attribute: str
    before: Any
    after: Any

    def describe(self) -> str:
        """Plain words, e.g. ``otp added to subject.amr``."""
        if isinstance(self.after, list) and isinstance(self.before, list | type(None)):
            added = [v for v in self.after if v not in (self.before or [])]
            removed = [v for v in (self.before or []) if v not in self.after]
            parts = []
            if added:
                parts.append(f"{' and '.join(added)} added to")
            if removed:
                parts.append(f"{' and '.join(removed)} removed from")
            return f"{' and '.join(parts)} {self.attribute}"
        shown = _show(self.after)
        was = "missing" if self.before is None else _show(self.before)
        return f"{self.attribute} = {shown} (was {was})"


@dataclass(frozen=True)
class Suggestion:
    """A set of attribute changes and the decision they lead to."""

    changes: tuple[AttributeChange, ...]
    decision: Decision
    request: dict[str, Any]

    def describe(self) -> str:
        return (
            "allowed with "
            + "; ".join(c.describe() for c in self.changes)
            + (f" (by {self.decision.deciding})" if self.decision.deciding else "")
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "changes": [
                {"attribute": c.attribute, "before": c.before, "after": c.after}
                for c in self.changes
            ],
            "text": self.describe(),
            "deciding": self.decision.deciding,
        }


def why_not(
    policy_set: PolicySet,
    request: Mapping[str, Any],
    *,
    vary: Sequence[str] = ("subject", "environment"),
    max_changes: int = 2,
    limit: int = 5,
) -> list[Suggestion]:
    """The smallest attribute changes that allow a request that is not allowed.

    Only attributes under the roots in ``vary`` that some policy reads and that
    have a finite domain are changed (by default the subject's and the
    environment's, not what is asked for). The fewest changed attributes win,
    then the smallest change (fewest list elements, the nearest number); all
    changes of that minimal size are returned, at most ``limit``. An allowed request
    gives an empty list, as does one that no change of up to ``max_changes``
    attributes allows.

    >>> from ztlab.abac import load_policies, load_schema
    >>> schema = load_schema({"attributes": {
    ...     "subject.amr": {"type": "list", "values": ["pwd", "otp", "hwk"]}}})
    >>> ps = load_policies({"policies": [{"id": "mfa", "effect": "allow",
    ...     "condition": '"otp" in subject.amr || "hwk" in subject.amr'}]}, schema)
    >>> for suggestion in why_not(ps, {"subject": {"amr": ["pwd"]}}):
    ...     print(suggestion.describe())
    allowed with otp added to subject.amr (by mfa)
    allowed with hwk added to subject.amr (by mfa)

    Limitations: attributes without a finite domain are never varied.
    """
    if policy_set.decide(request).allowed:
        return []
    candidates = [
        policy_set.schema[name]
        for name in policy_set.reads
        if policy_set.schema[name].root in vary and policy_set.schema[name].finite
    ]
    for size in range(1, max_changes + 1):
        found: list[tuple[float, Suggestion]] = []
        for chosen in combinations(candidates, size):
            options = [_alternatives(a, _get(request, a)) for a in chosen]
            for values in product(*options):
                changed = _with(request, chosen, values)
                decision = policy_set.decide(changed)
                if not decision.allowed:
                    continue
                changes = tuple(
                    AttributeChange(a.name, _plain(_get(request, a)), thaw(freeze(v)))
                    for a, v in zip(chosen, values, strict=True)
                )
                cost = sum(
                    _cost(a, _get(request, a), v)
                    for a, v in zip(chosen, values, strict=True)
                )
                found.append((cost, Suggestion(changes, decision, changed)))
        if found:
            found.sort(key=lambda item: item[0])
            best = found[0][0]
            return [s for cost, s in found if cost == best][:limit]
    return []


def _get(request: Mapping[str, Any], attribute: Attribute) -> Any:
    if attribute.field is None:
        return request.get(attribute.root, MISSING)
    part = request.get(attribute.root)
    return part.get(attribute.field, MISSING) if isinstance(part, Mapping) else MISSING


def _plain(value: Any) -> Any:
    return None if value is MISSING else thaw(freeze(value))


def _alternatives(attribute: Attribute, current: Any) -> list[Any]:
    now = freeze(current) if current is not MISSING else MISSING
    return [v for v in attribute.domain() if freeze(v) != now]


def _cost(attribute: Attribute, before: Any, after: Any) -> float:
    if attribute.type == "list":
        old = set(before) if isinstance(before, list | tuple) else set()
        return float(len(old ^ set(after)))
    if attribute.type == "int" and isinstance(before, int):
        return abs(after - before) / (1 + (attribute.max or 0) - (attribute.min or 0))
    return 1.0


def _with(
    request: Mapping[str, Any], chosen: Sequence[Attribute], values: Sequence[Any]
) -> dict[str, Any]:
    out: dict[str, Any] = {
        k: dict(v) if isinstance(v, Mapping) else v for k, v in request.items()
    }
    for attribute, value in zip(chosen, values, strict=True):
        plain = list(value) if isinstance(value, tuple) else value
        if attribute.field is None:
            out[attribute.root] = plain
        else:
            out.setdefault(attribute.root, {})[attribute.field] = plain
    return out


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
