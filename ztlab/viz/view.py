"""What a graph shows, as plain data: nodes, edges and their status, before drawing.

A :class:`View` knows nothing of pyvis. Workload views carry one edge per
allowed flow with its NetworkPolicy verdict (definite or not) and, where the
cluster has a mesh, the mTLS outcome and the authorization decision of the
flow's first port. Namespace views (:mod:`ztlab.viz.aggregate`) sum flows per
namespace pair; they are what large clusters get.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from ztlab.errors import QueryError
from ztlab.model import Cluster, PortSet

__all__ = [
    "AGGREGATE_ABOVE",
    "EDGE_STATUSES",
    "LAYOUT_ABOVE",
    "View",
    "ViewEdge",
    "ViewNode",
    "with_query",
    "workload_view",
]


# Above this many nodes (or edges) the browser gets fixed positions, no physics.
LAYOUT_ABOVE = 200
LAYOUT_EDGES_ABOVE = 1500
# Above this many workloads (or flows) a cluster is shown per namespace.
AGGREGATE_ABOVE = 300
AGGREGATE_FLOWS_ABOVE = 5000
# The mesh is asked about each flow only up to this many flows.
MESH_FLOWS_LIMIT = 5000

# Edge statuses, worst first: the legend lists them in this order.
EDGE_STATUSES = (
    "denied",
    "rejected",
    "authz-deny",
    "possible",
    "plaintext",
    "mutual",
    "allowed",
)


@dataclass(frozen=True)
class ViewNode:
    """A workload, an external address range or (aggregated) a namespace.

    ``id`` is the ztlab key: ``ns/name``, a CIDR, or ``namespace:<name>``.
    ``details`` are the tooltip lines; ``size`` the workloads it stands for.
    """

    id: str
    label: str
    kind: str
    namespace: str | None
    details: tuple[str, ...] = ()
    size: int = 1
    x: float | None = None
    y: float | None = None


@dataclass(frozen=True)
class ViewEdge:
    """An allowed flow (or, for a query, a denied one) between two nodes.

    ``verdict`` is ``allowed``, ``possible`` (the answer depends on the network
    plugin) or ``denied``; ``mtls`` is ``mutual``, ``plaintext``, ``rejected``
    or None (no mesh on this flow); ``authz`` ``allow``, ``deny``,
    ``not-applicable`` or None. ``flows`` counts aggregated flows.
    """

    src: str
    dst: str
    verdict: str
    mtls: str | None = None
    authz: str | None = None
    ports: str = ""
    details: tuple[str, ...] = ()
    flows: int = 1
    highlight: bool = False

    @property
    def status(self) -> str:
        """The one word the legend styles: the worst of verdict, mTLS and authz."""
        if self.verdict == "denied":
            return "denied"
        if self.mtls == "rejected":
            return "rejected"
        if self.authz == "deny":
            return "authz-deny"
        if self.verdict == "possible":
            return "possible"
        if self.mtls in ("plaintext", "mutual"):
            return self.mtls
        return "allowed"


@dataclass(frozen=True)
class View:
    """Nodes and edges to draw, at ``workload`` or ``namespace`` level."""

    nodes: tuple[ViewNode, ...]
    edges: tuple[ViewEdge, ...]
    level: str
    heading: str
    note: str = ""

    @property
    def physics(self) -> bool:
        """Whether the browser should lay the graph out itself."""
        return len(self.nodes) <= LAYOUT_ABOVE and len(self.edges) <= LAYOUT_EDGES_ABOVE

    def node(self, node_id: str) -> ViewNode:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise QueryError(f"no node {node_id!r} in this view")

    def laid_out(self) -> View:
        """The same view with fixed positions (namespace groups on a circle)."""
        from ztlab.viz.layout import grouped_layout

        positions = grouped_layout(self.nodes)
        return replace(
            self,
            nodes=tuple(
                replace(n, x=positions[n.id][0], y=positions[n.id][1])
                for n in self.nodes
            ),
        )


def _ports_text(ports: PortSet) -> str:
    return str(ports) if not ports.is_empty() else ""


def _workload_node(cluster: Cluster, key: str) -> ViewNode:
    w = cluster.workloads[key]
    lines = [f"{w.kind} {w.key}", f"service account: {w.service_account}"]
    lines += [f"label {k}={v}" for k, v in w.labels.items()]
    ports = ", ".join(f"{p.port}/{p.protocol}" for p in w.ports)
    if ports:
        lines.append(f"ports: {ports}")
    if w.host_network:
        lines.append("hostNetwork: true")
    return ViewNode(w.key, w.name, "workload", w.namespace, tuple(lines))


def external_node(cidr: str) -> ViewNode:
    return ViewNode(cidr, cidr, "external", None, (f"addresses {cidr}",))


def _first_port(cluster: Cluster, dst: str, ports: PortSet) -> int | None:
    """The lowest declared TCP container port of ``dst`` the flow allows."""
    w = cluster.workloads.get(dst)
    if w is None:
        return None
    declared = sorted(p.port for p in w.ports if p.protocol == "TCP")
    return next((p for p in declared if ("TCP", p) in ports), None)


def _mesh_of_flow(
    cluster: Cluster, src: str | None, dst: str, ports: PortSet
) -> tuple[str | None, str | None, str]:
    from ztlab.mesh import mesh_of

    port = _first_port(cluster, dst, ports)
    if port is None:
        return None, None, ""
    try:
        verdict = mesh_of(cluster).evaluate(src, dst, dst_port=port)
    except QueryError as exc:
        return None, None, str(exc)
    return verdict.mtls, verdict.authz, f"port {port}: {verdict.reason}"


def workload_view(
    cluster: Cluster,
    *,
    namespaces: Iterable[str] | None = None,
    mesh: bool = True,
    external: bool = True,
) -> View:
    """One node per workload (and external range), one edge per allowed flow.

    ``namespaces`` keeps the workloads of those namespaces and the flows
    between them. ``mesh`` adds each flow's mTLS outcome and authorization
    decision when the cluster has a mesh.

    Limitations: the mesh is asked about the lowest declared TCP port of the
    destination that the flow allows, and only up to 5,000 flows.

    >>> import ztlab
    >>> view = workload_view(ztlab.load("sample_clusters/online-boutique"))
    >>> view.node("boutique/frontend").namespace
    'boutique'
    >>> sorted({e.status for e in view.edges})
    ['allowed']
    """
    from ztlab.mesh import mesh_applies
    from ztlab.netpol import flows

    keep = set(namespaces) if namespaces is not None else None
    keys = [
        k for k, w in cluster.workloads.items() if keep is None or w.namespace in keep
    ]
    nodes = {k: _workload_node(cluster, k) for k in keys}
    all_flows = [
        f
        for f in flows(cluster, external=external)
        if (f.src in nodes or f.src_kind == "external")
        and (f.dst in nodes or f.dst_kind == "external")
        and not (f.src_kind == "external" and f.dst_kind == "external")
    ]
    ask_mesh = mesh and mesh_applies(cluster) and len(all_flows) <= MESH_FLOWS_LIMIT
    edges = []
    for f in all_flows:
        for end, kind in ((f.src, f.src_kind), (f.dst, f.dst_kind)):
            if kind == "external" and end not in nodes:
                nodes[end] = external_node(end)
        details = [f"{f.src} -> {f.dst}", f"allowed: {_ports_text(f.ports)}"]
        if not f.possible.is_empty():
            details.append(f"depends on the network plugin: {_ports_text(f.possible)}")
        if f.policies:
            details.append("by " + ", ".join(f.policies))
        mtls = authz = None
        if ask_mesh and f.dst_kind == "workload":
            src = None if f.src_kind == "external" else f.src
            mtls, authz, why = _mesh_of_flow(cluster, src, f.dst, f.ports)
            if why:
                details.append(f"mesh: {why}")
        edges.append(
            ViewEdge(
                f.src,
                f.dst,
                "allowed" if f.definite else "possible",
                mtls,
                authz,
                _ports_text(f.ports),
                tuple(details),
            )
        )
    scope = "" if keep is None else f" in {', '.join(sorted(keep))}"
    return View(
        tuple(nodes.values()),
        tuple(edges),
        "workload",
        f"{len(keys)} workloads{scope}, {len(edges)} allowed flows",
    )


def with_query(view: View, result: Any) -> View:
    """The view with a query's path highlighted; a denied path is drawn in red.

    ``result`` is a :class:`ztlab.reach.ReachResult`. A Service destination
    highlights the paths to its backends.

    >>> import ztlab
    >>> from ztlab.reach import reach
    >>> cluster = ztlab.load("sample_clusters/online-boutique")
    >>> r = reach(cluster, "boutique/loadgenerator", "boutique/frontend", 80)
    >>> [(e.status, e.highlight) for e in with_query(workload_view(cluster), r).edges
    ...  if e.src == "boutique/loadgenerator" and e.dst == "boutique/frontend"]
    [('denied', True)]
    """
    network = result.network
    targets = [b.dst for b in network.backends if not b.dst.startswith("svc:")] or [
        network.dst
    ]
    sources = [network.src]
    ids = {n.id for n in view.nodes}
    mesh = result.mesh or {}
    edges = list(view.edges)
    for src in sources:
        for dst in targets:
            if src not in ids or dst not in ids:
                continue
            found = False
            for i, e in enumerate(edges):
                if e.src == src and e.dst == dst:
                    found = True
                    edges[i] = replace(
                        e,
                        highlight=True,
                        verdict=e.verdict if network.allowed else "denied",
                        mtls=mesh.get("mtls", e.mtls),
                        authz=mesh.get("authz", e.authz),
                    )
            if not found:
                edges.append(
                    ViewEdge(
                        src,
                        dst,
                        "allowed" if network.allowed else "denied",
                        mesh.get("mtls"),
                        mesh.get("authz"),
                        details=(f"{src} -> {dst}", network.reason),
                        highlight=True,
                    )
                )
    return replace(view, edges=tuple(edges))
