"""Paths and loaders shared by the scorecard tests."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import ztlab
from ztlab.abac import load_policies
from ztlab.scorecard import Scorecard, scorecard

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SAMPLES = ROOT / "sample_clusters"


@cache
def card(*paths: str, abac: str | None = None) -> Scorecard:
    """The scorecard of fixture or sample paths (relative to FIXTURES or ROOT)."""
    resolved = [
        str(FIXTURES / p if (FIXTURES / p).exists() else ROOT / p) for p in paths
    ]
    policies = (
        load_policies(FIXTURES / abac if (FIXTURES / abac).exists() else ROOT / abac)
        if abac
        else None
    )
    return scorecard(ztlab.load(*resolved), abac=policies)
