"""Each sample gets the scorecard its README predicts (the "## Scorecard" table)."""

from __future__ import annotations

import re

import pytest

from .helpers import SAMPLES, card

ROW = re.compile(r"^\| `([a-z]+\.[a-z0-9-]+)` \| ([a-z-]+) \|")
OVERALL = re.compile(r"overall (\d+) of (\d+) = (\d+)%")


def expected(sample: str) -> tuple[dict[str, str], dict[str, str], tuple[int, ...]]:
    text = (SAMPLES / sample / "README.md").read_text()
    section = text.split("\n## Scorecard\n", 1)[1]
    plain, _, with_abac = section.partition("\n### With `--abac")
    rows = lambda part: {  # noqa: E731
        m.group(1): m.group(2) for m in map(ROW.match, part.splitlines()) if m
    }
    overall = tuple(int(x) for x in OVERALL.search(plain).groups())
    return rows(plain), rows(with_abac), overall


@pytest.mark.parametrize(
    "sample", ["online-boutique", "bookinfo-mesh", "fintech-zero-trust"]
)
def test_sample_scorecard_matches_readme(sample: str) -> None:
    items, _, (passed, decided, score) = expected(sample)
    result = card(f"sample_clusters/{sample}")
    assert {r.id: r.status for r in result.results} == items
    counts = [r.status for r in result.results]
    assert counts.count("pass") == passed
    assert counts.count("pass") + counts.count("fail") == decided
    assert result.overall() == score


def test_fintech_with_abac_matches_readme() -> None:
    items, with_abac, _ = expected("fintech-zero-trust")
    assert len(with_abac) == 3
    result = card(
        "sample_clusters/fintech-zero-trust",
        abac="sample_clusters/fintech-abac/policies.yaml",
    )
    assert {r.id: r.status for r in result.results} == {**items, **with_abac}
