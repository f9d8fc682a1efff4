"""Findings: problems that the engines point out, each with its fix."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ztlab.errors import Provenance

__all__ = ["Finding", "ObjectRef", "SEVERITIES", "severity_rank"]

SEVERITIES = ("high", "medium", "low", "info")


def severity_rank(severity: str) -> int:
    """0 for high ... 3 for info; unknown severities sort last."""
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """An object a finding concerns: its graph id and where it was defined."""

    id: str
    provenance: Provenance | None = None

    def to_dict(self) -> dict[str, Any]:
        where = self.provenance
        return {
            "id": self.id,
            "file": where.file if where else None,
            "document": where.document if where else None,
            "line": where.line if where else None,
        }


@dataclass(frozen=True)
class Finding:
    """One problem: a stable rule id, severity, message, objects and the fix.

    >>> f = Finding("NP001", "high", "boutique/adservice accepts all ingress",
    ...             fix="add a policy selecting it with Ingress")
    >>> f.to_dict()["severity"]
    'high'
    """

    rule: str
    severity: str
    message: str
    objects: tuple[ObjectRef, ...] = ()
    fix: str = ""
    category: str = "network"
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        """The rule id (the same as ``rule``)."""
        return self.rule

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "category": self.category,
            "message": self.message,
            "objects": [o.to_dict() for o in self.objects],
            "fix": self.fix,
            "details": self.details,
        }

    def __str__(self) -> str:
        return f"[{self.severity}] {self.rule}: {self.message}"
