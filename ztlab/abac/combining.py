"""XACML 3.0 combining algorithms, and how their results map to ztlab decisions.

Each ztlab policy behaves as an XACML *rule*: target and condition true gives its
effect (Permit or Deny), false gives NotApplicable, and an error gives
Indeterminate{P} for an allow policy or Indeterminate{D} for a deny policy
(XACML 3.0 section 7.11). A policy set combines them in order with one of the
algorithms of XACML 3.0 appendix C:

- ``deny-overrides`` (C.2): Deny wins; then Indeterminate{DP}; Indeterminate{D}
  together with Permit or Indeterminate{P} gives Indeterminate{DP}; then
  Indeterminate{D}; then Permit; then Indeterminate{P}; else NotApplicable.
- ``permit-overrides`` (C.4): the same with Permit and Deny swapped.
- ``first-applicable`` (C.8): the first Permit, Deny or Indeterminate decides;
  if none, NotApplicable.

ztlab's decision (``outcome``), which never turns an error into an allow:

=====================  ==================  ==================  ==================
XACML result           deny-overrides      permit-overrides    first-applicable
=====================  ==================  ==================  ==================
Permit                 allow               allow               allow
Deny                   deny                deny                deny
Indeterminate{D}       deny (fail closed)  error               error
Indeterminate{DP}      deny (fail closed)  error               error
Indeterminate{P}       error               error               error
NotApplicable          deny (default)      deny (default)      not-applicable
=====================  ==================  ==================  ==================

Under deny-overrides an Indeterminate{D} or {DP} result always comes from a
deny policy whose condition errored; the rule "an erroring deny policy denies"
makes it a deny (the errors are still reported). Everywhere else an
Indeterminate result is the ``error`` decision. Only ``allow`` admits the request.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "ALGORITHMS",
    "PERMIT",
    "DENY",
    "NOT_APPLICABLE",
    "INDETERMINATE_D",
    "INDETERMINATE_P",
    "INDETERMINATE_DP",
    "rule_result",
    "combine",
    "outcome",
]

PERMIT = "Permit"
DENY = "Deny"
NOT_APPLICABLE = "NotApplicable"
INDETERMINATE_D = "Indeterminate{D}"
INDETERMINATE_P = "Indeterminate{P}"
INDETERMINATE_DP = "Indeterminate{DP}"

ALGORITHMS = ("deny-overrides", "permit-overrides", "first-applicable")


def rule_result(effect: str, applies: bool | None) -> str:
    """The XACML result of one policy: ``applies`` None means its evaluation erred.

    >>> rule_result("deny", None), rule_result("allow", True)
    ('Indeterminate{D}', 'Permit')
    >>> rule_result("allow", False)
    'NotApplicable'
    """
    if applies is None:
        return INDETERMINATE_P if effect == "allow" else INDETERMINATE_D
    if not applies:
        return NOT_APPLICABLE
    return PERMIT if effect == "allow" else DENY


def _overrides(
    results: Sequence[str], winner: str, loser: str
) -> tuple[str, int | None]:
    # "winner" is Deny for deny-overrides and Permit for permit-overrides.
    error_win = INDETERMINATE_D if winner == DENY else INDETERMINATE_P
    error_lose = INDETERMINATE_P if winner == DENY else INDETERMINATE_D
    first: dict[str, int] = {}
    for index, result in enumerate(results):
        if result == winner:
            return winner, index
        first.setdefault(result, index)
    if INDETERMINATE_DP in first:
        return INDETERMINATE_DP, first[INDETERMINATE_DP]
    if error_win in first and (error_lose in first or loser in first):
        return INDETERMINATE_DP, first[error_win]
    if error_win in first:
        return error_win, first[error_win]
    if loser in first:
        return loser, first[loser]
    if error_lose in first:
        return error_lose, first[error_lose]
    return NOT_APPLICABLE, None


def combine(algorithm: str, results: Sequence[str]) -> tuple[str, int | None]:
    """Combine per-policy results; return the XACML result and the deciding index.

    The deciding policy is the first one whose result the combined result
    reports (for Indeterminate{DP} under deny-overrides: the first erroring deny).

    >>> combine("deny-overrides", ["Permit", "Deny"])
    ('Deny', 1)
    >>> combine("deny-overrides", ["Indeterminate{D}", "Permit"])
    ('Indeterminate{DP}', 0)
    >>> combine("first-applicable", ["NotApplicable", "Indeterminate{P}", "Deny"])
    ('Indeterminate{P}', 1)
    """
    if algorithm == "deny-overrides":
        return _overrides(results, DENY, PERMIT)
    if algorithm == "permit-overrides":
        return _overrides(results, PERMIT, DENY)
    if algorithm == "first-applicable":
        for index, result in enumerate(results):
            if result != NOT_APPLICABLE:
                return result, index
        return NOT_APPLICABLE, None
    raise ValueError(f"unknown combining algorithm {algorithm!r}")


def outcome(algorithm: str, xacml: str) -> str:
    """ztlab's decision for an XACML result (see the module table).

    >>> outcome("deny-overrides", "Indeterminate{D}")
    'deny'
    >>> outcome("permit-overrides", "Indeterminate{D}")
    'error'
    """
    if xacml == PERMIT:
        return "allow"
    if xacml == DENY:
        return "deny"
    if xacml == NOT_APPLICABLE:
        return "not-applicable" if algorithm == "first-applicable" else "deny"
    if algorithm == "deny-overrides" and xacml in (INDETERMINATE_D, INDETERMINATE_DP):
        return "deny"
    return "error"
