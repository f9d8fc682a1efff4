"""Combining algorithms against XACML 3.0 appendix C and section 7.11.

Expected values are written out by hand from the specification's prose:
deny-overrides (C.2): 1. any Deny -> Deny; 2. else any Indeterminate{DP} ->
Indeterminate{DP}; 3. else Indeterminate{D} with Indeterminate{P} or Permit ->
Indeterminate{DP}; 4. else Indeterminate{D}; 5. else Permit; 6. else
Indeterminate{P}; 7. else NotApplicable. Permit-overrides (C.4) is the mirror.
First-applicable (C.8): the first result that is not NotApplicable.
"""

from __future__ import annotations

import itertools

import pytest

from ztlab.abac.combining import combine, outcome, rule_result

P, D, NA = "Permit", "Deny", "NotApplicable"
ID, IP, IDP = "Indeterminate{D}", "Indeterminate{P}", "Indeterminate{DP}"
ALL = (P, D, NA, ID, IP, IDP)

# Deny-overrides for two children, unordered pairs, written from the C.2 steps.
DENY_OVERRIDES = {
    frozenset([D]): D,
    frozenset([D, P]): D,
    frozenset([D, NA]): D,
    frozenset([D, ID]): D,
    frozenset([D, IP]): D,
    frozenset([D, IDP]): D,
    frozenset([P]): P,
    frozenset([P, NA]): P,
    frozenset([P, ID]): IDP,
    frozenset([P, IP]): P,
    frozenset([P, IDP]): IDP,
    frozenset([NA]): NA,
    frozenset([NA, ID]): ID,
    frozenset([NA, IP]): IP,
    frozenset([NA, IDP]): IDP,
    frozenset([ID]): ID,
    frozenset([ID, IP]): IDP,
    frozenset([ID, IDP]): IDP,
    frozenset([IP]): IP,
    frozenset([IP, IDP]): IDP,
    frozenset([IDP]): IDP,
}

# Permit-overrides for two children, written from the C.4 steps.
PERMIT_OVERRIDES = {
    frozenset([P]): P,
    frozenset([P, D]): P,
    frozenset([P, NA]): P,
    frozenset([P, ID]): P,
    frozenset([P, IP]): P,
    frozenset([P, IDP]): P,
    frozenset([D]): D,
    frozenset([D, NA]): D,
    frozenset([D, IP]): IDP,
    frozenset([D, ID]): D,
    frozenset([D, IDP]): IDP,
    frozenset([NA]): NA,
    frozenset([NA, IP]): IP,
    frozenset([NA, ID]): ID,
    frozenset([NA, IDP]): IDP,
    frozenset([IP]): IP,
    frozenset([IP, ID]): IDP,
    frozenset([IP, IDP]): IDP,
    frozenset([ID]): ID,
    frozenset([ID, IDP]): IDP,
    frozenset([IDP]): IDP,
}


@pytest.mark.parametrize("first,second", list(itertools.product(ALL, ALL)))
def test_deny_overrides_pairs(first: str, second: str) -> None:
    assert (
        combine("deny-overrides", [first, second])[0]
        == DENY_OVERRIDES[frozenset([first, second])]
    )


@pytest.mark.parametrize("first,second", list(itertools.product(ALL, ALL)))
def test_permit_overrides_pairs(first: str, second: str) -> None:
    assert (
        combine("permit-overrides", [first, second])[0]
        == PERMIT_OVERRIDES[frozenset([first, second])]
    )


@pytest.mark.parametrize("first,second", list(itertools.product(ALL, ALL)))
def test_first_applicable_pairs(first: str, second: str) -> None:
    expected = second if first == NA else first
    assert combine("first-applicable", [first, second])[0] == expected


def test_three_children() -> None:
    assert combine("deny-overrides", [IP, P, NA]) == (P, 1)
    assert combine("deny-overrides", [NA, IP, ID]) == (IDP, 2)
    assert combine("deny-overrides", [P, IDP, D]) == (D, 2)
    assert combine("permit-overrides", [D, ID, IP]) == (IDP, 2)
    assert combine("first-applicable", [NA, NA, NA]) == (NA, None)
    assert combine("first-applicable", [NA, D, P]) == (D, 1)
    assert combine("deny-overrides", []) == (NA, None)


def test_rule_truth_table() -> None:
    # XACML 3.0 section 7.11: match & true -> effect; false -> NotApplicable;
    # Indeterminate -> Indeterminate{P} or {D} after the rule's effect.
    assert rule_result("allow", True) == P
    assert rule_result("deny", True) == D
    assert rule_result("allow", False) == NA
    assert rule_result("deny", False) == NA
    assert rule_result("allow", None) == IP
    assert rule_result("deny", None) == ID


@pytest.mark.parametrize(
    "algorithm,xacml,expected",
    [
        ("deny-overrides", P, "allow"),
        ("deny-overrides", D, "deny"),
        ("deny-overrides", NA, "deny"),
        ("deny-overrides", ID, "deny"),  # an erroring deny policy denies
        ("deny-overrides", IDP, "deny"),
        ("deny-overrides", IP, "error"),
        ("permit-overrides", ID, "error"),
        ("permit-overrides", IDP, "error"),
        ("permit-overrides", IP, "error"),
        ("permit-overrides", NA, "deny"),
        ("first-applicable", NA, "not-applicable"),
        ("first-applicable", ID, "error"),
        ("first-applicable", IP, "error"),
    ],
)
def test_outcome_mapping(algorithm: str, xacml: str, expected: str) -> None:
    assert outcome(algorithm, xacml) == expected


@pytest.mark.parametrize(
    "algorithm", ["deny-overrides", "permit-overrides", "first-applicable"]
)
def test_no_indeterminate_is_ever_an_allow(algorithm: str) -> None:
    for xacml in (ID, IP, IDP, NA):
        assert outcome(algorithm, xacml) != "allow"


def test_unknown_algorithm() -> None:
    with pytest.raises(ValueError):
        combine("only-one-applicable", [P])
