"""Pieces every panel uses: escaped HTML, verdict badges, endpoint choices."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any

import ipywidgets as w

from ztlab.model import Cluster

__all__ = [
    "Panel",
    "badge",
    "destinations",
    "esc",
    "sources",
    "table",
]

EXAMPLE_EXTERNAL = "203.0.113.10"

_COLORS = {
    "allowed": "#2ca02c",
    "allow": "#2ca02c",
    "denied": "#d62728",
    "deny": "#d62728",
    "error": "#9467bd",
    "not definite": "#7f7f7f",
}


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def badge(word: str, detail: str = "") -> str:
    """An escaped, colored verdict word; tests and the browser read its text."""
    color = _COLORS.get(word, "#333")
    text = f'<b class="ztlab-verdict-word" style="color:{color}">{esc(word)}</b>'
    return text + (f" {esc(detail)}" if detail else "")


def table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """An HTML table with every cell escaped."""
    from ztlab.viz import html_table

    return html_table(header, [list(r) for r in rows])


def sources(cluster: Cluster) -> list[str]:
    """Workload keys, then one address outside the cluster."""
    return [*sorted(cluster.workloads), EXAMPLE_EXTERNAL]


def destinations(cluster: Cluster) -> list[str]:
    """Workload keys, then Services as ``svc:ns/name``."""
    return [*sorted(cluster.workloads), *(f"svc:{k}" for k in sorted(cluster.services))]


class Panel:
    """A panel is plain methods plus a ``widget`` box that Jupyter displays."""

    widget: w.Widget

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)
