"""The ztlab error family.

Every error ztlab raises on purpose derives from :class:`ZtlabError`::

    ZtlabError
    ├── LoadError        input files or API objects that cannot be read or parsed
    ├── QueryError       a query that names something the cluster does not have
    └── PolicyError      an ABAC policy set or attribute schema that is not valid

Messages name the file, the document and the field where those are known, and end
with what to do about it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Provenance", "ZtlabError", "LoadError", "QueryError", "PolicyError"]


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where an object came from: file, 1-based document number, line and item.

    ``document`` counts the YAML documents of the file from 1; ``item`` is the
    1-based position inside a ``kind: List`` document; ``line`` is 1-based.
    ``source`` is the template named by a ``# Source:`` comment of helm output.

    >>> str(Provenance("shop.yaml", 3, line=41))
    'shop.yaml, document 3 (line 41)'
    >>> str(Provenance("dump.yaml", 1, line=12, item=4))
    'dump.yaml, document 1, item 4 (line 12)'
    """

    file: str
    document: int | None = None
    line: int | None = None
    item: int | None = None
    source: str | None = None

    def __str__(self) -> str:
        text = self.file
        if self.document is not None:
            text += f", document {self.document}"
        if self.item is not None:
            text += f", item {self.item}"
        if self.line is not None:
            text += f" (line {self.line})"
        if self.source:
            text += f" [helm source {self.source}]"
        return text

    def at_line(self, line: int | None) -> Provenance:
        """The same place, pointing at another line (for a field inside it)."""
        if line is None or line == self.line:
            return self
        return Provenance(self.file, self.document, line, self.item, self.source)


class ZtlabError(Exception):
    """Base class of every error that ztlab raises on purpose."""


class LoadError(ZtlabError):
    """Input that cannot be loaded.

    ``where`` is the provenance of the document (or file) at fault, ``field`` the
    dotted path of the field inside it, and ``hint`` what the user can do.

    >>> str(LoadError("must be a string", Provenance("a.yaml", 2, 7),
    ...               field="metadata.name", hint="quote it"))
    'a.yaml, document 2 (line 7): field metadata.name: must be a string. Fix: quote it'
    """

    def __init__(
        self,
        message: str,
        where: Provenance | None = None,
        *,
        field: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.where = where
        self.field = field
        self.hint = hint
        super().__init__(self._render())

    def _render(self) -> str:
        parts = []
        if self.where is not None:
            parts.append(str(self.where))
        if self.field:
            parts.append(f"field {self.field}")
        text = ": ".join([*parts, self.message])
        if self.hint:
            text += f". Fix: {self.hint}"
        return text


class QueryError(ZtlabError):
    """A query that names a workload, service or address the cluster lacks."""


class PolicyError(ZtlabError):
    """An ABAC policy set or attribute schema that is not valid."""
