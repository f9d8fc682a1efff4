"""The reachability explorer: pick two endpoints, read the verdict and the path."""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from ztlab.errors import ZtlabError
from ztlab.model import Cluster
from ztlab.reach import ReachResult, reach
from ztlab.viz import render, with_query
from ztlab.viz.aggregate import cluster_view
from ztlab.viz.view import View
from ztlab.widgets.common import Panel, badge, destinations, esc, sources

__all__ = ["ReachabilityExplorer"]

ANY_PORT = "any"


class ReachabilityExplorer(Panel):
    """Source, destination, port and protocol controls; verdict, why, and graph.

    >>> import ztlab
    >>> ex = ReachabilityExplorer(ztlab.load("sample_clusters/online-boutique"),
    ...                           graph=False)
    >>> ex.source.value, ex.destination.value = "boutique/loadgenerator", (
    ...     "boutique/frontend")
    >>> ex.port.value = "8080"
    >>> ex.verdict_word
    'allowed'
    >>> ex.port.value = ANY_PORT; ex.protocol.value = "UDP"; ex.verdict_word
    'denied'
    """

    def __init__(self, cluster: Cluster, *, graph: bool = True) -> None:
        self.cluster = cluster
        self.result: ReachResult | None = None
        self.error: str | None = None
        self._quiet = False
        self._base_view: View | None = cluster_view(cluster) if graph else None
        srcs, dsts = sources(cluster), destinations(cluster)
        self.source = w.Dropdown(options=srcs, value=srcs[0], description="source")
        self.destination = w.Dropdown(
            options=dsts,
            value=dsts[1] if len(dsts) > 1 else dsts[0],
            description="destination",
        )
        self.port = w.Dropdown(description="port")
        self.protocol = w.Dropdown(
            options=["TCP", "UDP", "SCTP"], value="TCP", description="protocol"
        )
        self.verdict = w.HTML().add_class("ztlab-verdict")
        self.explanation = w.HTML().add_class("ztlab-explanation")
        self.graph = w.HTML().add_class("ztlab-graph-box")
        self._ports_for_destination()
        self.destination.observe(self.on_destination, names="value")
        for control in (self.source, self.port, self.protocol):
            control.observe(self.on_change, names="value")
        self.widget = w.VBox(
            [
                w.HBox([self.source, self.destination]),
                w.HBox([self.port, self.protocol]),
                self.verdict,
                self.explanation,
                self.graph,
            ]
        )
        self.update()

    # Handlers (tests call them by setting values)

    def on_destination(self, change: dict[str, Any]) -> None:
        self._ports_for_destination()
        self.update()

    def on_change(self, change: dict[str, Any]) -> None:
        if not self._quiet:
            self.update()

    # Logic

    def _ports_for_destination(self) -> None:
        dst = self.destination.value
        numbers: list[int] = []
        if dst.startswith("svc:") and dst[4:] in self.cluster.services:
            numbers = [p.port for p in self.cluster.services[dst[4:]].ports]
        elif dst in self.cluster.workloads:
            numbers = [p.port for p in self.cluster.workloads[dst].ports]
        options = [ANY_PORT, *(str(n) for n in sorted(set(numbers)))]
        # Changing the options fires the port handler; one update follows anyway.
        self._quiet = True
        try:
            self.port.options = options
            self.port.value = options[1] if len(options) > 1 else ANY_PORT
        finally:
            self._quiet = False

    @property
    def verdict_word(self) -> str:
        """``allowed``, ``denied`` or ``error``: what the verdict line says."""
        if self.result is None:
            return "error"
        return "allowed" if self.result.allowed else "denied"

    def update(self) -> None:
        """Ask :func:`ztlab.reach.reach` and refresh verdict, explanation, graph."""
        port = None if self.port.value in (None, ANY_PORT) else int(self.port.value)
        try:
            self.result = reach(
                self.cluster,
                self.source.value,
                self.destination.value,
                port,
                self.protocol.value,
            )
            self.error = None
        except ZtlabError as exc:
            self.result, self.error = None, str(exc)
            self.verdict.value = badge("error", str(exc))
            self.explanation.value = ""
            return
        r = self.result
        detail = "" if r.definite else "(not definite: depends on the network plugin)"
        self.verdict.value = badge(self.verdict_word, detail)
        self.explanation.value = self.explain(r)
        if self._base_view is not None:
            view = with_query(self._base_view, r)
            self.graph.value = render(view, height=420).iframe()

    @staticmethod
    def explain(r: ReachResult) -> str:
        """The reasons as an escaped HTML list: NetworkPolicy, then the mesh."""
        items = [f"<li><b>NetworkPolicy</b>: {esc(r.network.reason)}</li>"]
        for side in (r.network.egress, r.network.ingress):
            if side is not None and side.allowed_by:
                rules = ", ".join(str(x) for x in side.allowed_by)
                items.append(f"<li>{esc(side.direction)} allowed by {esc(rules)}</li>")
        if r.mesh:
            m = r.mesh
            items.append(
                f"<li><b>mesh</b>: mTLS {esc(m.get('mtls'))}, authorization "
                f"{esc(m.get('authz'))}: {esc(m.get('reason'))}</li>"
            )
        return "<ul>" + "".join(items) + "</ul>"
