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

_RANK = {"fail": 0, "unknown": 1, "needs-attestation": 1, "pass": 2}


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
    """Per item: status before and after, and whether it got better or worse.

    Between two failing snapshots an item is better when it lost more violations
    than it gained, worse when it gained more than it lost. ``fixed`` and ``new``
    list the violation fingerprints that went away and appeared.
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
        if status is None or _RANK[r.status] == _RANK[status]:
            change = "unchanged"
            if r.status == "fail" and (fixed or new):
                gained, lost = len(new), len(fixed)
                change = (
                    "better" if lost > gained else "worse" if gained > lost else change
                )
        else:
            change = "better" if _RANK[r.status] > _RANK[status] else "worse"
        out.append(
            {
                "id": r.id,
                "pillar": r.pillar,
                "before": status,
                "after": r.status,
                "change": change,
                "fixed": [was[f].message for f in fixed],
                "new": [now[f].message for f in new],
            }
        )
    return out
