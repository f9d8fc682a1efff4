"""Scores per pillar and overall, and the comparison of two snapshots.

A pillar's score is the share of its decided items (pass or fail) that pass, in
percent; ``unknown`` and ``needs-attestation`` items are counted but not scored,
so a pillar with no decided item has no score (None). The overall score is the
share over all decided items.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ztlab.findings import Finding, severity_rank
from ztlab.scorecard.model import PILLARS, STATUSES, CheckResult, fingerprint

__all__ = ["Scorecard", "compare", "percent"]


def percent(passed: int, decided: int) -> int | None:
    """``passed`` of ``decided`` in whole percent (rounded half up); None if 0.

    >>> percent(2, 3), percent(0, 0)
    (67, None)
    """
    if decided == 0:
        return None
    return (200 * passed + decided) // (2 * decided)


@dataclass
class Scorecard:
    """The evaluated checklist of one cluster.

    >>> card = Scorecard([CheckResult("network.no-ssh", "network", "t", "pass",
    ...                               "high")])
    >>> card.pillar_scores()["network"]["score"], card.overall()
    (100, 100)
    """

    results: list[CheckResult]
    notes: list[str] = field(default_factory=list)

    def result(self, check_id: str) -> CheckResult:
        for r in self.results:
            if r.id == check_id:
                return r
        raise KeyError(check_id)

    def pillar_scores(self) -> dict[str, dict[str, Any]]:
        """Per pillar: counts per status and the score."""
        out = {}
        for pillar in PILLARS:
            counts = Counter(r.status for r in self.results if r.pillar == pillar)
            decided = counts["pass"] + counts["fail"]
            out[pillar] = {
                **{s: counts[s] for s in STATUSES},
                "score": percent(counts["pass"], decided),
            }
        return out

    def overall(self) -> int | None:
        counts = Counter(r.status for r in self.results)
        return percent(counts["pass"], counts["pass"] + counts["fail"])

    def violations(self) -> list[Finding]:
        """Every violation of every failing item, most severe first."""
        found = [v for r in self.results if r.status == "fail" for v in r.violations]
        return sorted(found, key=lambda f: (severity_rank(f.severity), f.rule))

    def frame(self) -> Any:
        """The pillar scores as a pandas DataFrame (one row per pillar)."""
        import pandas as pd

        frame = pd.DataFrame.from_dict(self.pillar_scores(), orient="index")
        frame["score"] = frame["score"].astype("Int64")
        return frame

    def to_dict(self) -> dict[str, Any]:
        return {
            "overall": self.overall(),
            "pillars": self.pillar_scores(),
            "items": [r.to_dict() for r in self.results],
            "notes": list(self.notes),
        }


def compare(before: Scorecard, after: Scorecard) -> list[dict[str, Any]]:
    """Per item: status before and after, what changed, and a line saying why.

    ``change`` is one of:

    - ``better`` (fail to pass) or ``worse`` (pass to fail);
    - ``no longer decided`` (pass or fail to unknown or needs-attestation: the
      evidence went away, which is neither better nor worse) and ``now
      decided`` (the other way round; ``detail`` says whether it passes);
    - ``fewer violations``, ``more violations`` or ``other violations``
      between two failing snapshots, by the number of violations;
    - ``still undecided`` (unknown to needs-attestation or back);
    - ``unchanged``.

    ``fixed`` and ``new`` list the messages of the violations that went away
    and appeared.

    >>> from ztlab.scorecard.model import CheckResult
    >>> def one(status): return Scorecard([CheckResult("a.b", "network", "t",
    ...                                                status, "high")])
    >>> [(c["change"], c["detail"]) for c in compare(one("fail"), one("unknown"))]
    [('no longer decided', 'was fail, now unknown: configuration no longer \
decides it')]
    """
    old = {r.id: r for r in before.results}
    out = []
    for r in after.results:
        prev = old.get(r.id)
        was = {fingerprint(v): v for v in prev.violations} if prev else {}
        now = {fingerprint(v): v for v in r.violations}
        fixed = sorted(set(was) - set(now))
        new = sorted(set(now) - set(was))
        status = prev.status if prev else None
        change, detail = _change(status, r.status, len(was), len(now), fixed, new)
        out.append(
            {
                "id": r.id,
                "pillar": r.pillar,
                "before": status,
                "after": r.status,
                "change": change,
                "detail": detail,
                "fixed": [was[f].message for f in fixed],
                "new": [now[f].message for f in new],
            }
        )
    return out


def _change(
    before: str | None,
    after: str,
    had: int,
    has: int,
    fixed: list[str],
    new: list[str],
) -> tuple[str, str]:
    """The change label of one item and the sentence that explains it."""
    decided = ("pass", "fail")
    if before is None:
        return "new item", f"not in the other snapshot; now {after}"
    if before == after == "fail":
        counts = f"{had} -> {_violations(has)} ({len(fixed)} fixed, {len(new)} new)"
        if has < had:
            return "fewer violations", counts
        if has > had:
            return "more violations", counts
        if fixed or new:
            return "other violations", counts
        return "unchanged", f"still fails with the same {_violations(has)}"
    if before == after:
        return "unchanged", f"still {after}"
    if before in decided and after in decided:
        if after == "pass":
            return "better", "was fail, now passes"
        return "worse", f"was pass, now fails with {_violations(has)}"
    if before in decided:
        return (
            "no longer decided",
            f"was {before}, now {after}: configuration no longer decides it",
        )
    if after in decided:
        verb = "passes" if after == "pass" else f"fails with {_violations(has)}"
        return "now decided", f"was {before}, now {verb}"
    return "still undecided", f"was {before}, now {after}"


def _violations(count: int) -> str:
    return f"{count} violation" + ("" if count == 1 else "s")
