"""Policy analysis over the exhaustive table, each finding with a witness request.

Definitions (over every request of the finite domain):

- never-matching: the policy's target and condition hold for no request.
- shadowed: the policy matches requests but decides none of them, and none of
  them gets the policy's effect: a policy of the opposite effect always wins.
- redundant: the policy matches requests, is not shadowed, and removing it
  changes no decision (other policies of the same effect cover it).
- conflict: an allow and a deny policy both match some request; the finding
  says which one the combining algorithm lets win.
- coverage gap: requests that no policy matches (decided by the default),
  grouped by action and resource type where the schema has them.
- evaluation error: a policy whose condition errors on some request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ztlab.abac.combining import combine, outcome, rule_result
from ztlab.abac.engine import APPLIES, ERROR, NA
from ztlab.abac.table import Table, decision_table

if TYPE_CHECKING:
    from ztlab.abac.policy import PolicySet

__all__ = ["Finding", "analyze", "SEVERITY_ORDER"]

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class Finding:
    """One analysis result; ``witness`` is a concrete request that shows it."""

    id: str
    kind: str
    severity: str
    policies: tuple[str, ...]
    message: str
    witness: dict[str, Any] | None
    count: int
    fix: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "severity": self.severity,
            "policies": list(self.policies),
            "message": self.message,
            "count": self.count,
            "witness": self.witness,
            "fix": self.fix,
            **({"details": self.details} if self.details else {}),
        }


def analyze(policy_set: PolicySet, table: Table | None = None) -> list[Finding]:
    """All findings of a policy set, most severe first.

    >>> from ztlab.abac import load_policies, load_schema
    >>> schema = load_schema({"attributes": {"subject.mfa": {"type": "bool"}}})
    >>> ps = load_policies({"policies": [
    ...     {"id": "deny-all", "effect": "deny"},
    ...     {"id": "mfa", "effect": "allow", "condition": "subject.mfa"}]}, schema)
    >>> [(f.kind, f.policies) for f in analyze(ps)]
    [('shadowed', ('mfa', 'deny-all')), ('conflict', ('mfa', 'deny-all'))]
    """
    table = table if table is not None else decision_table(policy_set)
    findings: list[Finding] = []
    findings += _per_policy(policy_set, table)
    findings += _gaps(policy_set, table)
    findings += _conflicts(policy_set, table)
    return sorted(findings, key=lambda f: SEVERITY_ORDER[f.severity])


def _per_policy(ps: PolicySet, table: Table) -> list[Finding]:
    out: list[Finding] = []
    codes, counts, first = table.group_codes, table.group_counts, table.group_first
    total = len(table)
    for j, policy in enumerate(ps.policies):
        column = codes[:, j]
        errors = np.flatnonzero(column == ERROR)
        if errors.size:
            g = int(errors[0])
            decision = table.decisions[g]
            message = dict(decision.errors).get(policy.id, "")
            out.append(
                Finding(
                    "ABAC-ERROR",
                    "evaluation-error",
                    "error",
                    (policy.id,),
                    f"policy {policy.id} cannot be evaluated on "
                    f"{int(counts[errors].sum()):,} requests: {message}",
                    table.request(int(first[g])),
                    int(counts[errors].sum()),
                    "guard the condition with has() or fix the types it compares",
                )
            )
        matching = np.flatnonzero(column == APPLIES)
        if not matching.size:
            out.append(
                Finding(
                    "ABAC-NEVER-MATCHES",
                    "never-matching",
                    "warning",
                    (policy.id,),
                    f"policy {policy.id} matches none of the {total:,} requests of the "
                    "domain"
                    + (
                        " (its condition contradicts its target or the domain; "
                        "the witness is in its target)"
                        if policy.actions or policy.resource_types
                        else ""
                    ),
                    _target_example(policy, table),
                    0,
                    "correct the condition or the target, or delete the policy",
                )
            )
            continue
        decides = [g for g in matching if table.decisions[g].deciding == policy.id]
        matched_count = int(counts[matching].sum())
        wanted = "allow" if policy.effect == "allow" else "deny"
        same = [g for g in matching if table.decisions[g].outcome == wanted]
        if not decides and not same:
            winners = sorted(
                {table.decisions[g].deciding or "" for g in matching} - {""}
            )
            g = int(matching[0])
            out.append(
                Finding(
                    "ABAC-SHADOWED",
                    "shadowed",
                    "warning",
                    (policy.id, *winners),
                    f"policy {policy.id} matches {matched_count:,} requests but never "
                    f"decides: {', '.join(winners)} always win"
                    + (f" under {ps.algorithm}" if winners else ""),
                    table.request(int(first[g])),
                    matched_count,
                    "delete the policy, or narrow the policies that override it",
                    {"overridden_by": winners},
                )
            )
            continue
        changed = _removal_changes(ps, table, j, matching)
        if changed is None:
            g = int(decides[0]) if decides else int(matching[0])
            same_effect = {p.id for p in ps.policies if p.effect == policy.effect}
            takers = sorted(
                {_decider_without(ps, table, j, int(h)) or "" for h in matching}
                & same_effect
            )
            out.append(
                Finding(
                    "ABAC-REDUNDANT",
                    "redundant",
                    "warning",
                    (policy.id, *takers),
                    f"policy {policy.id} matches {matched_count:,} requests, but "
                    "removing it changes no decision"
                    + (f": {', '.join(takers)} cover them" if takers else ""),
                    table.request(int(first[g])),
                    matched_count,
                    "delete the policy (or keep it only as documentation)",
                    {"covered_by": takers},
                )
            )
    return out


def _removal_changes(
    ps: PolicySet, table: Table, j: int, groups: np.ndarray
) -> int | None:
    """The first group whose outcome changes without policy ``j``, or None."""
    candidates = np.flatnonzero(table.group_codes[:, j] != NA)
    for g in candidates:
        if _outcome_without(ps, table, j, int(g)) != table.decisions[g].outcome:
            return int(g)
    return None


def _results_without(ps: PolicySet, table: Table, j: int, g: int) -> list[str]:
    return [
        rule_result(p.effect, None if c == ERROR else c == APPLIES)
        for k, (p, c) in enumerate(zip(ps.policies, table.group_codes[g], strict=True))
        if k != j
    ]


def _outcome_without(ps: PolicySet, table: Table, j: int, g: int) -> str:
    xacml, _ = combine(ps.algorithm, _results_without(ps, table, j, g))
    return outcome(ps.algorithm, xacml)


def _decider_without(ps: PolicySet, table: Table, j: int, g: int) -> str | None:
    _, at = combine(ps.algorithm, _results_without(ps, table, j, g))
    if at is None:
        return None
    return ps.policies[at if at < j else at + 1].id


def _conflicts(ps: PolicySet, table: Table) -> list[Finding]:
    out = []
    codes, counts, first = table.group_codes, table.group_counts, table.group_first
    allows = [j for j, p in enumerate(ps.policies) if p.effect == "allow"]
    denies = [j for j, p in enumerate(ps.policies) if p.effect == "deny"]
    for a in allows:
        for d in denies:
            both = np.flatnonzero((codes[:, a] == APPLIES) & (codes[:, d] == APPLIES))
            if not both.size:
                continue
            g = int(both[0])
            count = int(counts[both].sum())
            allow_id, deny_id = ps.policies[a].id, ps.policies[d].id
            winner = table.decisions[g]
            out.append(
                Finding(
                    "ABAC-CONFLICT",
                    "conflict",
                    "info",
                    (allow_id, deny_id),
                    f"allow {allow_id} and deny {deny_id} both match {count:,} "
                    "requests; "
                    f"{ps.algorithm} decides {winner.outcome}"
                    + (f" by {winner.deciding}" if winner.deciding else ""),
                    table.request(int(first[g])),
                    count,
                    "intended for guards under deny-overrides; otherwise narrow "
                    "one of them",
                )
            )
    return out


def _gaps(ps: PolicySet, table: Table) -> list[Finding]:
    none_match = np.flatnonzero((table.group_codes == NA).all(axis=1))
    if not none_match.size:
        return []
    rows_mask = np.isin(table.groups, none_match)
    rows = np.flatnonzero(rows_mask)
    names = [a.name for a in table.attributes]
    axes = [names.index(n) for n in ("action", "resource.type") if n in names]
    if not axes:
        row = int(rows[0])
        return [_gap_finding(ps, table, row, int(rows.size), {})]
    index = np.unravel_index(rows, table.shape)
    keys = np.stack([index[a] for a in axes], axis=1)
    combos, where, count = np.unique(
        keys, axis=0, return_index=True, return_counts=True
    )
    out = []
    for combo, at, n in zip(combos, where, count, strict=True):
        scope = {
            names[a]: table.domains[a][int(i)] for a, i in zip(axes, combo, strict=True)
        }
        out.append(_gap_finding(ps, table, int(rows[at]), int(n), scope))
    return out


def _gap_finding(
    ps: PolicySet, table: Table, row: int, count: int, scope: dict[str, Any]
) -> Finding:
    shown = " ".join(f"{k}={v}" for k, v in scope.items())
    total = table.shape_size(scope) if scope else len(table)
    every = " (all of them)" if count == total else f" of {total:,}"
    return Finding(
        "ABAC-COVERAGE-GAP",
        "coverage-gap",
        "info",
        (),
        f"no policy matches {count:,}{every} requests"
        + (f" with {shown}" if shown else "")
        + f"; they get the default ({table.decision(row).outcome})",
        table.request(row),
        count,
        "add an explicit policy if the default is not what you intend",
        {"scope": scope},
    )


def _target_example(policy: Any, table: Table) -> dict[str, Any]:
    request = table.request(0)
    if policy.actions:
        request["action"] = sorted(policy.actions)[0]
    if policy.resource_types:
        request.setdefault("resource", {})["type"] = sorted(policy.resource_types)[0]
    return request
