"""Scores per pillar and overall, and the comparison of snapshots."""

from __future__ import annotations

from ztlab.scorecard import compare
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


def test_failing_item_with_fewer_violations_is_better() -> None:
    one = card("bad/ssh.yaml")
    two = card("bad/ssh.yaml", "bad/open-namespace.yaml")
    changes = {c["id"]: c for c in compare(two, one)}
    assert changes["network.default-deny"]["before"] == "fail"
    assert changes["network.default-deny"]["after"] == "fail"
    assert changes["network.default-deny"]["change"] == "better"
    assert {c["change"] for c in compare(one, one)} == {"unchanged"}
