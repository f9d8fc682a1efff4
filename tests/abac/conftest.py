"""Shared helpers for the ABAC tests: a small schema and policy-set builder."""

from __future__ import annotations

from typing import Any

import pytest

from ztlab.abac import load_policies, load_schema

from .helpers import SMALL_SCHEMA


@pytest.fixture
def schema() -> Any:
    return load_schema(SMALL_SCHEMA)


@pytest.fixture
def build(schema: Any) -> Any:
    def make(*policies: dict[str, Any], algorithm: str = "deny-overrides") -> Any:
        return load_policies(
            {"algorithm": algorithm, "policies": list(policies)}, schema
        )

    return make
