"""The exhaustive decision table over the finite domain of the attribute schema.

Each policy is evaluated once per value combination of the attributes *it*
reads (a few dozen, not the whole domain); numpy broadcasting spreads those
results over every request, and the decision is computed once per distinct
combination of policy results. The whole table of a few hundred thousand
requests therefore costs well under a second.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import product
from typing import TYPE_CHECKING, Any

import numpy as np

from ztlab.abac.engine import ERROR, Decision, freeze
from ztlab.abac.schema import Attribute
from ztlab.errors import PolicyError

if TYPE_CHECKING:
    import pandas as pd

    from ztlab.abac.policy import PolicySet

__all__ = ["Table", "decision_table", "MAX_TABLE_ROWS"]

MAX_TABLE_ROWS = 5_000_000


@dataclass
class Table:
    """Every request of the domain, as policy result codes and decisions.

    Row ``i`` is the request whose attribute values are ``np.unravel_index(i,
    shape)`` into the domains of ``attributes``. ``codes[i, j]`` is policy
    ``j``'s result on it (0 not applicable, 1 applies, 2 error); ``groups``
    indexes distinct rows of ``codes`` and ``decisions[g]`` is their decision.
    """

    policy_set: PolicySet
    attributes: tuple[Attribute, ...]
    domains: tuple[list[Any], ...]
    codes: np.ndarray
    groups: np.ndarray
    group_codes: np.ndarray
    group_first: np.ndarray
    group_counts: np.ndarray
    decisions: list[Decision]

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(d) for d in self.domains)

    def __len__(self) -> int:
        return int(self.codes.shape[0])

    def request(self, row: int) -> dict[str, Any]:
        """The request of row ``row`` as a nested mapping."""
        values = np.unravel_index(row, self.shape)
        request: dict[str, Any] = {}
        for attribute, domain, at in zip(
            self.attributes, self.domains, values, strict=True
        ):
            value = thaw_domain(domain[int(at)], attribute)
            if attribute.field is None:
                request[attribute.root] = value
            else:
                request.setdefault(attribute.root, {})[attribute.field] = value
        return request

    def shape_size(self, fixed: dict[str, Any]) -> int:
        """How many rows have the attribute values in ``fixed``."""
        total = 1
        for attribute, domain in zip(self.attributes, self.domains, strict=True):
            if attribute.name not in fixed:
                total *= len(domain)
        return total

    def decision(self, row: int) -> Decision:
        return self.decisions[int(self.groups[row])]

    @cached_property
    def outcomes(self) -> np.ndarray:
        """The outcome (allow, deny, ...) of every row, as a numpy string array."""
        per_group = np.array([d.outcome for d in self.decisions], dtype=object)
        result: np.ndarray = per_group[self.groups]
        return result

    def frame(self) -> pd.DataFrame:
        """The table as a DataFrame: one column per attribute, then the decision."""
        import pandas as pd

        index = np.unravel_index(np.arange(len(self)), self.shape)
        columns: dict[str, Any] = {}
        for attribute, domain, at in zip(
            self.attributes, self.domains, index, strict=True
        ):
            shown = np.empty(len(domain), dtype=object)
            shown[:] = [_show(v) for v in domain]
            columns[attribute.name] = shown[at]
        for name, pick in (
            ("decision", lambda d: d.outcome),
            ("deciding", lambda d: d.deciding or ""),
            ("matched", lambda d: ",".join(d.matched)),
            ("reason", lambda d: d.reason),
        ):
            per_group = np.empty(len(self.decisions), dtype=object)
            per_group[:] = [pick(d) for d in self.decisions]
            columns[name] = per_group[self.groups]
        return pd.DataFrame(columns)


def thaw_domain(value: Any, attribute: Attribute) -> Any:
    return list(value) if attribute.type == "list" else value


def _show(value: Any) -> Any:
    return "|".join(value) if isinstance(value, tuple) else value


def decision_table(
    policy_set: PolicySet, attributes: Sequence[str] | None = None
) -> Table:
    """Decide every request of the finite domain (default: all finite attributes).

    >>> from ztlab.abac import load_policies, load_schema
    >>> schema = load_schema({"attributes": {
    ...     "subject.mfa": {"type": "bool"},
    ...     "action": {"type": "string", "values": ["read", "admin"]}}})
    >>> ps = load_policies({"policies": [
    ...     {"id": "admin-needs-mfa", "effect": "deny",
    ...      "target": {"actions": ["admin"]}, "condition": "!subject.mfa"},
    ...     {"id": "all", "effect": "allow"}]}, schema)
    >>> table = decision_table(ps)
    >>> len(table), sorted(table.frame()["decision"].value_counts().items())
    (4, [('allow', 3), ('deny', 1)])

    Limitations: every attribute a policy reads needs a finite domain; maps never
    have one, so policies reading a map cannot be tabled.
    """
    schema = policy_set.schema
    if attributes is None:
        chosen = [a for a in schema.values() if a.finite]
    else:
        chosen = [schema[name] for name in attributes]
    names = [a.name for a in chosen]
    for policy in policy_set.policies:
        for name in policy.reads:
            if name not in names:
                raise PolicyError(
                    f"{policy.where}: policy {policy.id!r} reads {name}, which has no "
                    "finite domain. Fix: give it values or min/max in "
                    f"{schema.origin} to enumerate the requests"
                )
    domains = tuple([freeze(v) for v in a.domain()] for a in chosen)
    shape = tuple(len(d) for d in domains)
    rows = int(np.prod(shape, dtype=np.int64)) if shape else 1
    if rows > MAX_TABLE_ROWS:
        raise PolicyError(
            f"{schema.origin}: the domain has {rows:,} requests, more than "
            f"{MAX_TABLE_ROWS:,}. Fix: narrow the domains (fewer values, smaller "
            "int ranges)"
        )

    engine = policy_set.engine
    axis = {name: i for i, name in enumerate(names)}
    codes = np.zeros((rows, len(policy_set.policies)), dtype=np.int8)
    for j, policy in enumerate(policy_set.policies):
        axes = [axis[name] for name in policy.reads]
        local = np.zeros([shape[a] for a in axes], dtype=np.int8)
        for at in product(*(range(shape[a]) for a in axes)):
            values = tuple(domains[a][i] for a, i in zip(axes, at, strict=True))
            local[at] = engine.evaluate_projection(j, values)[0]
        # Put the policy's axes in table order and broadcast over the others.
        full = [1] * len(shape)
        for a in axes:
            full[a] = shape[a]
        spread = np.broadcast_to(local.reshape(full), shape)
        codes[:, j] = spread.reshape(-1)

    group_codes, first, groups, counts = np.unique(
        codes, axis=0, return_index=True, return_inverse=True, return_counts=True
    )
    groups = groups.reshape(-1)
    decisions: list[Decision] = []
    table = Table(
        policy_set,
        tuple(chosen),
        domains,
        codes,
        groups,
        group_codes,
        first,
        counts,
        decisions,
    )
    for g in range(len(group_codes)):
        request = table.request(int(first[g]))
        if (group_codes[g] == ERROR).any():
            decisions.append(engine.decide(request))
        else:
            decisions.append(engine.combine([(int(c), "") for c in group_codes[g]]))
    return table
