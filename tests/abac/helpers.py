"""Plain helpers for the ABAC tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

SAMPLE = Path(__file__).resolve().parents[2] / "sample_clusters" / "fintech-abac"

SMALL_SCHEMA = {
    "attributes": {
        "subject.role": {"type": "string", "values": ["employee", "manager", "admin"]},
        "subject.mfa": {"type": "bool"},
        "subject.amr": {"type": "list", "values": ["pwd", "otp", "hwk"]},
        "resource.type": {"type": "string", "values": ["report", "config"]},
        "resource.owner": {"type": "string", "values": ["alice", "bob"]},
        "action": {"type": "string", "values": ["read", "write", "admin"]},
        "environment.hour": {"type": "int", "min": 0, "max": 3},
        "resource.labels": {"type": "map"},
    }
}


def request(**values: Any) -> dict[str, Any]:
    """A request from keyword names: request(subject_role="admin", action="read")."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        root, _, field = key.partition("_")
        if root == "action":
            out["action"] = value
        else:
            out.setdefault(root, {})[field] = value
    return out
