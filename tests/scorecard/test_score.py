"""Scores per pillar and overall, and the comparison of snapshots."""

from __future__ import annotations

from ztlab.scorecard import CheckResult, Scorecard, compare
from ztlab.scorecard.score import percent

from .helpers import card


def test_percent_rounds_half_up() -> None:
    assert percent(1, 8) == 13  # 12.5
    assert percent(1, 3) == 33 and percent(2, 3) == 67 and percent(0, 4) == 0
    assert percent(0, 0) is None


def test_undecided_items_are_not_scored() -> None:
    scores = card("good", abac="abac-good.yaml").pillar_scores()
    assert scores["observability"] == {
        "pass": 0,
        "fail": 0,
        "unknown": 0,
        "needs-attestation": 3,
        "score": None,
    }
    assert scores["application"]["score"] == 100  # 2 of 2 decided pass


def test_compare_better_worse_unchanged() -> None:
    before = card("good")
    after = card("good", "bad/ssh.yaml")
    changes = {c["id"]: c for c in compare(before, after)}
    assert changes["network.no-ssh"]["change"] == "worse"
    assert changes["network.no-ssh"]["new"] == [
        # shop's pods are egress-isolated; kube-dns is not, so it reaches bastion
        "SSH on ops/bastion port 22 is reachable from 3 sources "
        "(0.0.0.0/0, ::/0, kube-system/kube-dns)"
    ]
    back = {c["id"]: c for c in compare(after, before)}
    assert back["network.no-ssh"]["change"] == "better"
    assert back["identity.static-credentials"]["change"] == "unchanged"


def test_failing_items_say_how_the_violations_changed() -> None:
    # Namespaces ops (ssh.yaml) and shop (open-namespace.yaml) have no policy:
    # one default-deny violation each.
    one = card("bad/ssh.yaml")
    two = card("bad/ssh.yaml", "bad/open-namespace.yaml")
    other = card("bad/open-namespace.yaml")
    fewer = {c["id"]: c for c in compare(two, one)}["network.default-deny"]
    assert (fewer["before"], fewer["after"]) == ("fail", "fail")
    assert fewer["change"] == "fewer violations"
    assert fewer["detail"] == "2 -> 1 violation (1 fixed, 0 new)"
    more = {c["id"]: c for c in compare(one, two)}["network.default-deny"]
    assert more["change"] == "more violations"
    assert more["detail"] == "1 -> 2 violations (0 fixed, 1 new)"
    swapped = {c["id"]: c for c in compare(one, other)}["network.default-deny"]
    assert swapped["change"] == "other violations"
    assert swapped["detail"] == "1 -> 1 violation (1 fixed, 1 new)"
    assert swapped["fixed"] == [
        "namespace ops has no default-deny for Ingress and Egress"
    ]
    assert {c["change"] for c in compare(one, one)} == {"unchanged"}


def _one(status: str) -> Scorecard:
    return Scorecard([CheckResult("network.no-ssh", "network", "t", status, "high")])


def test_undecided_is_neither_better_nor_worse() -> None:
    # A check that stops deciding says nothing about posture: the evidence went.
    cases = {
        ("fail", "unknown"): "no longer decided",
        ("pass", "needs-attestation"): "no longer decided",
        ("unknown", "pass"): "now decided",
        ("needs-attestation", "fail"): "now decided",
        ("unknown", "needs-attestation"): "still undecided",
        ("fail", "pass"): "better",
        ("pass", "fail"): "worse",
        ("unknown", "unknown"): "unchanged",
    }
    for (before, after), change in cases.items():
        (row,) = compare(_one(before), _one(after))
        assert (row["before"], row["after"], row["change"]) == (before, after, change)
        assert before in row["detail"] or change == "unchanged"
