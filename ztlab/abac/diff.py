"""Decision diff: every request of the domain whose decision differs between two
versions of a policy set."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ztlab.abac.table import Table, decision_table
from ztlab.errors import PolicyError

if TYPE_CHECKING:
    import pandas as pd

    from ztlab.abac.policy import PolicySet

__all__ = ["Change", "DecisionDiff", "decision_diff"]


@dataclass(frozen=True)
class Change:
    """A class of requests whose decision changes the same way, with a witness."""

    before: str
    after: str
    deciding_before: str | None
    deciding_after: str | None
    count: int
    witness: dict[str, Any]

    @property
    def loosened(self) -> bool:
        """True when requests that were not allowed are now allowed."""
        return self.after == "allow" and self.before != "allow"

    def to_dict(self) -> dict[str, Any]:
        return {
            "before": self.before,
            "after": self.after,
            "deciding_before": self.deciding_before,
            "deciding_after": self.deciding_after,
            "count": self.count,
            "loosened": self.loosened,
            "witness": self.witness,
        }


@dataclass
class DecisionDiff:
    """The changed requests between ``old`` and ``new``, grouped into changes."""

    old: Table
    new: Table
    rows: np.ndarray
    changes: list[Change]

    def __len__(self) -> int:
        return int(self.rows.size)

    def frame(self) -> pd.DataFrame:
        """Every changed request, one row each, with both decisions."""
        full = self.old.frame().iloc[self.rows]
        after = self.new.frame().iloc[self.rows]
        out = full.drop(columns=["matched", "reason"]).rename(
            columns={"decision": "before", "deciding": "deciding_before"}
        )
        out["after"] = after["decision"].to_numpy()
        out["deciding_after"] = after["deciding"].to_numpy()
        return out.reset_index(drop=True)


def decision_diff(old: PolicySet, new: PolicySet) -> DecisionDiff:
    """Compare two versions over the finite domain of ``old``'s schema.

    >>> from ztlab.abac import load_policies, load_schema
    >>> schema = load_schema({"attributes": {"subject.mfa": {"type": "bool"}}})
    >>> v1 = load_policies({"policies": [
    ...     {"id": "mfa", "effect": "allow", "condition": "subject.mfa"}]}, schema)
    >>> v2 = load_policies({"policies": [{"id": "mfa", "effect": "allow"}]}, schema)
    >>> [(c.before, c.after, c.count, c.witness) for c in decision_diff(v1, v2).changes]
    [('deny', 'allow', 1, {'subject': {'mfa': False}})]
    """
    names = [a.name for a in old.schema.values() if a.finite]
    for attribute in names:
        if (
            attribute in new.schema
            and new.schema[attribute].domain() != old.schema[attribute].domain()
        ):
            raise PolicyError(
                f"{new.origin}: attribute {attribute} has another domain than in "
                f"{old.origin}. Fix: compare both versions with the same schema"
            )
    before = decision_table(old, names)
    after = decision_table(new, names)
    changed = np.flatnonzero(before.outcomes != after.outcomes)
    pairs = np.stack([before.groups[changed], after.groups[changed]], axis=1)
    changes = []
    if changed.size:
        kinds, first, counts = np.unique(
            pairs, axis=0, return_index=True, return_counts=True
        )
        for (g_old, g_new), at, count in zip(kinds, first, counts, strict=True):
            was, now = before.decisions[int(g_old)], after.decisions[int(g_new)]
            changes.append(
                Change(
                    was.outcome,
                    now.outcome,
                    was.deciding,
                    now.deciding,
                    int(count),
                    before.request(int(changed[at])),
                )
            )
    changes.sort(key=lambda c: (not c.loosened, -c.count))
    return DecisionDiff(before, after, changed, changes)
