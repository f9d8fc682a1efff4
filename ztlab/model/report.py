"""The load report: what was read, what was skipped and why, what went wrong."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ztlab.errors import LoadError, Provenance

__all__ = ["LoadIssue", "LoadReport"]


@dataclass(frozen=True, slots=True)
class LoadIssue:
    """One problem met while loading.

    ``severity`` is ``error`` (the document, or the file, was not loaded) or
    ``warning`` (it was loaded, with the caveat in ``message``).
    """

    severity: str
    message: str
    where: Provenance | None = None
    field: str | None = None
    hint: str | None = None

    def __str__(self) -> str:
        return str(
            LoadError(self.message, self.where, field=self.field, hint=self.hint)
        )

    def to_dict(self) -> dict[str, Any]:
        where = self.where
        return {
            "severity": self.severity,
            "message": self.message,
            "file": where.file if where else None,
            "document": where.document if where else None,
            "item": where.item if where else None,
            "line": where.line if where else None,
            "field": self.field,
            "hint": self.hint,
            "text": str(self),
        }


@dataclass
class LoadReport:
    """Counts and issues of one load.

    ``loaded`` counts loaded resources by kind; ``skipped`` counts documents not
    turned into model objects, by reason (``Secret (never read)``, ``unsupported
    kind ConfigMap``, ``invalid``, ``empty document``, ``duplicate`` ...).
    """

    files: list[str] = field(default_factory=list)
    documents: int = 0
    loaded: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    issues: list[LoadIssue] = field(default_factory=list)

    def add(
        self,
        severity: str,
        message: str,
        where: Provenance | None = None,
        *,
        field: str | None = None,
        hint: str | None = None,
    ) -> LoadIssue:
        issue = LoadIssue(severity, message, where, field, hint)
        self.issues.append(issue)
        return issue

    def add_error(self, error: LoadError) -> LoadIssue:
        return self.add(
            "error", error.message, error.where, field=error.field, hint=error.hint
        )

    @property
    def errors(self) -> list[LoadIssue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[LoadIssue]:
        return [i for i in self.issues if i.severity == "warning"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": list(self.files),
            "documents": self.documents,
            "loaded": dict(sorted(self.loaded.items())),
            "skipped": dict(sorted(self.skipped.items())),
            "issues": [i.to_dict() for i in self.issues],
        }
