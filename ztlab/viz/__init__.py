"""Graphs of a cluster for notebooks and HTML reports (the only user of pyvis).

Build a :class:`View` (plain data: :func:`cluster_view`, :func:`workload_view`,
:func:`namespace_view`, :func:`drill_down`, :func:`with_query`), then
:func:`render` it to a :class:`Graph`, which shows itself in Jupyter as a
sandboxed iframe and is never written to disk unless you call ``save``.
See ``ztlab/viz/README.md`` for why pyvis, and what was measured against
ipycytoscape and ipysigma.

>>> import ztlab
>>> cluster = ztlab.load("sample_clusters/online-boutique")
>>> graph = show(cluster)
>>> graph.view.level, "vis.Network" in graph.html
('workload', True)
"""

from __future__ import annotations

from ztlab.model import Cluster
from ztlab.viz.aggregate import cluster_view, drill_down, namespace_view
from ztlab.viz.page import html_table, report_page
from ztlab.viz.render import Graph, iframe, render
from ztlab.viz.view import View, ViewEdge, ViewNode, with_query, workload_view

__all__ = [
    "Graph",
    "View",
    "ViewEdge",
    "ViewNode",
    "cluster_view",
    "drill_down",
    "html_table",
    "iframe",
    "namespace_view",
    "render",
    "report_page",
    "show",
    "with_query",
    "workload_view",
]


def show(cluster: Cluster, *, height: int = 600) -> Graph:
    """The cluster's graph at the level its size calls for, ready to display."""
    return render(cluster_view(cluster), height=height)
