"""The model's value types: Labels, LabelSelector and PortSet.

Selector expectations come from the Kubernetes label-selector documentation
(matchLabels and matchExpressions are ANDed, ``{}`` selects everything, NotIn
and DoesNotExist match objects that lack the key); PortSet is checked against
plain Python sets of (protocol, port) pairs.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ztlab.model import Labels, LabelSelector, PortSet, Requirement

# Labels


def test_labels_is_an_immutable_hashable_mapping() -> None:
    a = Labels({"tier": "db", "app": "cart"})
    b = Labels({"app": "cart", "tier": "db"})
    assert a == b and hash(a) == hash(b)
    assert a == {"app": "cart", "tier": "db"}
    assert a != {"app": "cart"}
    assert list(a) == ["app", "tier"]  # sorted keys: stable output
    assert len(a) == 2 and a["app"] == "cart" and a.get("missing") is None
    assert {a: 1}[b] == 1
    with pytest.raises(TypeError):
        a["app"] = "x"  # type: ignore[index]
    assert Labels() == {} and len(Labels(None)) == 0


def test_labels_with_items_sets_and_removes() -> None:
    a = Labels({"app": "cart", "pod-template-hash": "abc"})
    b = a.with_items(**{"pod-template-hash": None, "env": "prod"})
    assert b == {"app": "cart", "env": "prod"}
    assert a == {"app": "cart", "pod-template-hash": "abc"}  # unchanged
    assert b.to_dict() == {"app": "cart", "env": "prod"}
    assert isinstance(b.to_dict(), dict)


def test_labels_are_not_equal_to_other_types() -> None:
    assert Labels({"a": "b"}) != [("a", "b")]
    assert Labels({"a": "b"}) != "a=b"


# LabelSelector


def sel(match_labels: dict[str, str] | None = None, *exprs: tuple) -> LabelSelector:
    spec: dict = {}
    if match_labels is not None:
        spec["matchLabels"] = match_labels
    if exprs:
        spec["matchExpressions"] = [
            {"key": k, "operator": op, **({"values": list(v)} if v is not None else {})}
            for k, op, v in exprs
        ]
    return LabelSelector.from_spec(spec)


WEB = {"app": "web", "env": "prod"}
DEV = {"app": "web", "env": "dev"}
BARE = {"app": "web"}
NONE: dict[str, str] = {}


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        # {} selects everything, including objects without labels.
        (sel(), [True, True, True, True]),
        (sel({}), [True, True, True, True]),
        (sel({"app": "web"}), [True, True, True, False]),
        (sel({"app": "web", "env": "prod"}), [True, False, False, False]),
        (sel(None, ("env", "In", ["prod", "staging"])), [True, False, False, False]),
        # NotIn matches objects that lack the key.
        (sel(None, ("env", "NotIn", ["dev"])), [True, False, True, True]),
        (sel(None, ("env", "Exists", None)), [True, True, False, False]),
        # DoesNotExist matches objects that lack the key.
        (sel(None, ("env", "DoesNotExist", None)), [False, False, True, True]),
        # matchLabels and matchExpressions are ANDed.
        (sel({"app": "web"}, ("env", "NotIn", ["dev"])), [True, False, True, False]),
        (
            sel(None, ("app", "In", ["web"]), ("env", "DoesNotExist", None)),
            [False, False, True, False],
        ),
        (sel(None, ("env", "In", ["prod"]), ("env", "In", ["dev"])), [False] * 4),
    ],
)
def test_selector_operators(selector: LabelSelector, expected: list[bool]) -> None:
    assert [selector.matches(x) for x in (WEB, DEV, BARE, NONE)] == expected


def test_selector_is_empty_and_text() -> None:
    assert sel().is_empty and sel({}).is_empty
    assert not sel({"a": "b"}).is_empty
    assert str(sel()) == "{} (everything)"
    s = sel(
        {"app": "web"},
        ("env", "NotIn", ["dev", "ci"]),
        ("canary", "DoesNotExist", None),
        ("team", "Exists", None),
        ("zone", "In", ["b", "a"]),
    )
    assert str(s) == "app=web,env notin (ci,dev),!canary,team,zone in (a,b)"


def test_selector_round_trips_through_its_spec() -> None:
    spec = {
        "matchLabels": {"app": "web"},
        "matchExpressions": [
            {"key": "env", "operator": "In", "values": ["a", "b"]},
            {"key": "x", "operator": "Exists"},
        ],
    }
    assert sel().to_spec() == {}
    assert LabelSelector.from_spec(spec).to_spec() == spec
    assert LabelSelector.from_spec(LabelSelector.from_spec(spec).to_spec()) == (
        LabelSelector.from_spec(spec)
    )


def test_requirement_with_unknown_operator_refuses() -> None:
    with pytest.raises(ValueError, match="unknown selector operator 'Equals'"):
        Requirement("a", "Equals", frozenset({"b"})).matches({"a": "b"})


label_maps = st.dictionaries(
    st.sampled_from(["app", "env", "tier"]),
    st.sampled_from(["a", "b", "c"]),
    max_size=3,
)


@settings(max_examples=150, deadline=None)
@given(
    label_maps,
    st.sampled_from(["app", "env", "tier"]),
    st.frozensets(st.sampled_from(["a", "b", "c"]), min_size=1),
)
def test_notin_is_the_complement_of_in(
    labels: dict, key: str, values: frozenset
) -> None:
    is_in = Requirement(key, "In", values).matches(labels)
    assert Requirement(key, "NotIn", values).matches(labels) is (not is_in)
    exists = Requirement(key, "Exists").matches(labels)
    assert exists is (key in labels)
    assert Requirement(key, "DoesNotExist").matches(labels) is (not exists)


# PortSet


def test_portset_basics() -> None:
    web = PortSet.of("TCP", 80) | PortSet.of("TCP", 443)
    assert ("TCP", 80) in web and ("TCP", 443) in web
    assert ("TCP", 81) not in web and ("UDP", 80) not in web
    assert "TCP" not in web  # not a (protocol, port) pair
    assert web.ranges("TCP") == ((80, 80), (443, 443))
    assert web.protocols == ("TCP",)
    assert web.size() == 2
    assert str(web) == "TCP 80,443"
    assert str(PortSet.empty()) == "nothing"
    assert str(PortSet.all()) == "SCTP all ports, TCP all ports, UDP all ports"
    assert not PortSet.empty() and PortSet.empty().is_empty()
    assert PortSet.all().size() == 3 * 65535
    assert PortSet.all().is_all("UDP") and not web.is_all("TCP")
    assert PortSet.all(["TCP"]).protocols == ("TCP",)


def test_portset_normalisation() -> None:
    # Overlapping and adjacent ranges merge; order does not matter.
    merged = PortSet.from_ranges("TCP", [(90, 100), (80, 85), (86, 89), (95, 120)])
    assert merged.ranges("TCP") == ((80, 120),)
    assert PortSet.from_ranges("TCP", [(1, 5), (7, 9)]).ranges("TCP") == (
        (1, 5),
        (7, 9),
    )
    # Ranges are clipped to 1-65535; empty ranges vanish, as do empty protocols.
    assert PortSet.of("UDP", 0, 70000).ranges("UDP") == ((1, 65535),)
    assert PortSet.of("UDP", 10, 5) == PortSet.empty()
    assert PortSet.from_ranges("SCTP", []) == PortSet.empty()
    # Equal sets are equal values regardless of how they were built.
    assert PortSet.of("TCP", 1, 10) == PortSet.of("TCP", 1, 5) | PortSet.of(
        "TCP", 6, 10
    )
    assert hash(PortSet.of("TCP", 1, 10)) == hash(
        PortSet.from_ranges("TCP", [(6, 10), (1, 5)])
    )


def test_portset_union_intersection_difference() -> None:
    a = PortSet.of("TCP", 80, 90) | PortSet.of("UDP", 53)
    b = PortSet.of("TCP", 85, 100) | PortSet.of("SCTP", 9)
    assert (a | b).as_dict() == {
        "SCTP": ((9, 9),),
        "TCP": ((80, 100),),
        "UDP": ((53, 53),),
    }
    assert (a & b).as_dict() == {"TCP": ((85, 90),)}
    assert (a - b).as_dict() == {"TCP": ((80, 84),), "UDP": ((53, 53),)}
    assert (b - a).as_dict() == {"SCTP": ((9, 9),), "TCP": ((91, 100),)}
    assert (PortSet.all() - a).ranges("TCP") == ((1, 79), (91, 65535))
    assert (PortSet.all() - PortSet.all()).is_empty()
    # A hole in the middle splits a range in two.
    assert (PortSet.of("TCP", 1, 100) - PortSet.of("TCP", 50)).ranges("TCP") == (
        (1, 49),
        (51, 100),
    )


def test_portset_protocols_are_separate() -> None:
    # SCTP and UDP are never TCP.
    tcp = PortSet.of("TCP", 80)
    assert (tcp & PortSet.of("SCTP", 80)).is_empty()
    assert (tcp - PortSet.of("UDP", 80)) == tcp
    assert (tcp | PortSet.of("SCTP", 80)).restrict("SCTP") == PortSet.of("SCTP", 80)


def test_portset_covers_and_iteration() -> None:
    s = PortSet.from_ranges("TCP", [(80, 90), (100, 110)])
    assert s.covers("TCP", 82, 88) and s.covers("TCP", 100)
    assert not s.covers("TCP", 85, 105) and not s.covers("UDP", 80)
    assert list(s) == [("TCP", (80, 90)), ("TCP", (100, 110))]


PROTOS = ("TCP", "UDP", "SCTP")
SMALL = 24  # ranges over 1..SMALL keep the reference sets tiny


def _pairs(ps: PortSet) -> set[tuple[str, int]]:
    return {(proto, port) for proto, (lo, hi) in ps for port in range(lo, hi + 1)}


ranges = st.tuples(st.integers(1, SMALL), st.integers(1, SMALL))


def _union(sets) -> PortSet:
    out = PortSet.empty()
    for s in sets:
        out = out | s
    return out


def _reference(ps: PortSet) -> set[tuple[str, int]]:
    return {(p, n) for p in PROTOS for n in range(1, SMALL + 1) if (p, n) in ps}


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(PROTOS), ranges), max_size=6),
    st.lists(st.tuples(st.sampled_from(PROTOS), ranges), max_size=6),
)
def test_portset_algebra_matches_python_sets(raw_a: list, raw_b: list) -> None:
    a = _union(PortSet.from_ranges(p, [r]) for p, r in raw_a)
    b = _union(PortSet.from_ranges(p, [r]) for p, r in raw_b)
    set_a = {(p, n) for p, (lo, hi) in raw_a for n in range(lo, hi + 1)}
    set_b = {(p, n) for p, (lo, hi) in raw_b for n in range(lo, hi + 1)}

    assert _pairs(a) == set_a == _reference(a)
    assert _pairs(a | b) == set_a | set_b
    assert _pairs(a & b) == set_a & set_b
    assert _pairs(a - b) == set_a - set_b
    assert _pairs(b - a) == set_b - set_a
    assert a.size() == len(set_a)
    assert a.is_empty() is (not set_a)
    assert ((a - b) | (a & b)) == a
    assert (a | b) == (b | a) and (a & b) == (b & a)

    # Normal form: per protocol, sorted, disjoint, non-adjacent ranges; no
    # empty protocols; protocols sorted.
    for result in (a, a | b, a & b, a - b):
        assert list(result.protocols) == sorted(result.protocols)
        for _, rs in result.by_protocol:
            assert rs
            assert all(lo <= hi for lo, hi in rs)
            assert all(rs[i][1] + 1 < rs[i + 1][0] for i in range(len(rs) - 1))
