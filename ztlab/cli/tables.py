"""Plain-text and Markdown tables for command output."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

__all__ = ["text_table", "markdown_table"]


def _cells(rows: Sequence[Sequence[Any]]) -> list[list[str]]:
    return [["" if c is None else str(c) for c in row] for row in rows]


def text_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Columns padded to their widest cell.

    >>> print(text_table(["a", "bb"], [[1, 2]]))
    a  bb
    -  --
    1  2
    """
    body = _cells(rows)
    widths = [max([len(h)] + [len(r[i]) for r in body]) for i, h in enumerate(header)]
    lines = [
        "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()
    ]
    lines.append("  ".join("-" * w for w in widths))
    for row in body:
        lines.append(
            "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        )
    return "\n".join(lines)


def _md(cell: str) -> str:
    # Markdown renderers pass raw HTML through: manifest text must not be markup.
    return html.escape(cell, quote=False).replace("|", "\\|").replace("\n", " ")


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A GitHub-flavoured Markdown table; pipes in cells are escaped.

    >>> print(markdown_table(["a"], [["x|y"]]))
    | a |
    | --- |
    | x\\|y |
    """
    lines = ["| " + " | ".join(_md(h) for h in header) + " |"]
    lines.append("| " + " | ".join("---" for _ in header) + " |")
    for row in _cells(rows):
        lines.append("| " + " | ".join(_md(c) for c in row) + " |")
    return "\n".join(lines)
