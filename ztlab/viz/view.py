"""What a graph shows, as plain data: nodes, edges and their status, before drawing.

A :class:`View` knows nothing of pyvis. Workload views carry one edge per
allowed flow with its NetworkPolicy verdict (definite or not) and, where the
cluster has a mesh, the mTLS outcome and the authorization decision of the
flow's first port. Namespace views aggregate flows per namespace pair; they are
what large clusters get, with :func:`drill_down` to open one namespace.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ztlab.errors import QueryError
from ztlab.model import Cluster, PortSet

__all__ = [
    "AGGREGATE_ABOVE",
    "EDGE_STATUSES",
    "LAYOUT_ABOVE",
    "View",
    "ViewEdge",
    "ViewNode",
    "cluster_view",
    "drill_down",
    "namespace_view",
    "with_query",
    "workload_view",
]

log = logging.getLogger(__name__)

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


def _external_node(cidr: str) -> ViewNode:
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
                nodes[end] = _external_node(end)
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


def namespace_view(cluster: Cluster) -> View:
    """One node per namespace, one edge per namespace pair with allowed flows.

    Computed from the engine's class-level connectivity, so it stays fast on
    thousands of workloads. Flows to and from external ranges are summed per
    range.

    Limitations: no mesh outcome per namespace pair (ask a workload view).

    >>> import ztlab
    >>> view = namespace_view(ztlab.load("sample_clusters/online-boutique"))
    >>> [(e.src, e.flows) for e in view.edges if e.dst == "namespace:boutique"][:2]
    [('namespace:boutique', 45), ('namespace:kube-system', 3)]
    """
    from ztlab.netpol import engine_of

    engine = engine_of(cluster)
    classes = engine.index.classes
    names = sorted({c.namespace for c in classes} | set(cluster.namespaces))
    ns_index = {n: i for i, n in enumerate(names)}
    class_ns = np.array([ns_index[c.namespace] for c in classes], dtype=np.int64)
    sizes = np.array([len(c.members) for c in classes], dtype=np.int64)
    hostnet = engine.index.host_network

    conn = engine.connectivity()
    n = len(names)
    src = conn.src.astype(np.int64)
    dst = conn.dst.astype(np.int64)
    pairs = sizes[src] * sizes[dst] - np.where(src == dst, sizes[src], 0)
    unsure = np.array(
        [not possible.is_empty() for _, possible, _ in conn.results], dtype=bool
    )
    host = np.array([bool(hostnet >> c.index & 1) for c in classes], dtype=bool)
    unsure_pair = unsure[conn.result.astype(np.int64)] | host[src] | host[dst]
    cell = class_ns[src] * n + class_ns[dst]
    total = np.bincount(cell, weights=pairs, minlength=n * n).astype(np.int64)
    unsure_total = np.bincount(
        cell, weights=pairs * unsure_pair, minlength=n * n
    ).astype(np.int64)

    nodes = [
        ViewNode(
            f"namespace:{name}",
            name,
            "namespace",
            name,
            (
                f"namespace {name}",
                f"{len(cluster.workloads_in(name))} workloads",
                f"{len(cluster.policies_in(name))} NetworkPolicies",
            ),
            size=len(cluster.workloads_in(name)),
        )
        for name in names
    ]
    edges = []
    for index in np.flatnonzero(total).tolist():
        a, b = divmod(index, n)
        count, maybe = int(total[index]), int(unsure_total[index])
        details = [f"{names[a]} -> {names[b]}", f"{count} workload flows"]
        if maybe:
            details.append(f"{maybe} of them depend on the network plugin")
        edges.append(
            ViewEdge(
                f"namespace:{names[a]}",
                f"namespace:{names[b]}",
                "possible" if maybe else "allowed",
                details=tuple(details),
                flows=count,
            )
        )
    nodes += _external_aggregates(engine, class_ns, names, edges)
    return View(
        tuple(nodes),
        tuple(edges),
        "namespace",
        f"{len(cluster.workloads)} workloads in {len(names)} namespaces",
        note="aggregated per namespace; drill_down(cluster, namespace) opens one",
    )


def _external_aggregates(
    engine: Any, class_ns: np.ndarray, names: list[str], edges: list[ViewEdge]
) -> list[ViewNode]:
    counts: dict[tuple[str, str, str], int] = {}
    for c in engine.index.classes:
        ns = names[int(class_ns[c.index])]
        for cidr, _ in engine.external_egress(c.index):
            key = (f"namespace:{ns}", cidr, "egress")
            counts[key] = counts.get(key, 0) + len(c.members)
        for cidr, _ in engine.external_ingress(c.index):
            key = (cidr, f"namespace:{ns}", "ingress")
            counts[key] = counts.get(key, 0) + len(c.members)
    cidrs: dict[str, None] = {}
    for (a, b, direction), count in sorted(counts.items()):
        cidr = b if direction == "egress" else a
        cidrs[cidr] = None
        edges.append(
            ViewEdge(
                a,
                b,
                "allowed",
                details=(f"{a} -> {b}", f"{count} workloads"),
                flows=count,
            )
        )
    return [_external_node(c) for c in cidrs]


def cluster_view(cluster: Cluster, *, aggregate_above: int = AGGREGATE_ABOVE) -> View:
    """The right view for the cluster's size: workloads, or namespaces when large.

    Large views come laid out (fixed positions), since physics on hundreds of
    nodes keeps the browser busy.

    >>> import ztlab
    >>> cluster_view(ztlab.load("sample_clusters/online-boutique")).level
    'workload'
    """
    if len(cluster.workloads) > aggregate_above:
        view = namespace_view(cluster)
    else:
        view = workload_view(cluster)
        if len(view.edges) > AGGREGATE_FLOWS_ABOVE:
            view = namespace_view(cluster)
    return view if view.physics else view.laid_out()


def drill_down(cluster: Cluster, namespace: str) -> View:
    """The workloads of one namespace; other namespaces collapse to one node each.

    >>> import ztlab
    >>> view = drill_down(ztlab.load("sample_clusters/online-boutique"), "kube-system")
    >>> sorted(n.id for n in view.nodes if n.kind == "namespace")
    ['namespace:boutique']
    """
    if namespace not in cluster.namespaces:
        raise QueryError(
            f"unknown namespace {namespace!r}; known: {', '.join(cluster.namespaces)}"
        )
    full = workload_view(cluster, mesh=len(cluster.workloads) <= AGGREGATE_ABOVE)
    inside = {
        n.id for n in full.nodes if n.namespace == namespace or n.kind != "workload"
    }
    nodes = {n.id: n for n in full.nodes if n.id in inside}
    merged: dict[tuple[str, str], ViewEdge] = {}
    for e in full.edges:
        if e.src not in inside and e.dst not in inside:
            continue
        src, dst = (_collapse(cluster, end, inside, nodes) for end in (e.src, e.dst))
        key = (src, dst)
        if src == e.src and dst == e.dst:
            merged[key] = e
            continue
        old = merged.get(key)
        verdict = (
            "possible"
            if e.verdict == "possible"
            or (old is not None and old.verdict == "possible")
            else "allowed"
        )
        merged[key] = ViewEdge(
            src,
            dst,
            verdict,
            details=(
                f"{src} -> {dst}",
                f"{(old.flows if old else 0) + 1} workload flows",
            ),
            flows=(old.flows if old else 0) + 1,
        )
    used = {end for e in merged.values() for end in (e.src, e.dst)}
    kept = [n for n in nodes.values() if n.kind != "external" or n.id in used]
    view = View(
        tuple(kept),
        tuple(merged.values()),
        "workload",
        f"namespace {namespace}: {len(cluster.workloads_in(namespace))} workloads",
    )
    return view if view.physics else view.laid_out()


def _collapse(
    cluster: Cluster, end: str, inside: set[str], nodes: dict[str, ViewNode]
) -> str:
    if end in inside:
        return end
    ns = cluster.workloads[end].namespace
    node_id = f"namespace:{ns}"
    if node_id not in nodes:
        nodes[node_id] = ViewNode(
            node_id,
            ns,
            "namespace",
            ns,
            (f"namespace {ns} (collapsed)",),
            size=len(cluster.workloads_in(ns)),
        )
    return node_id


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


def grouped_layout(
    nodes: Iterable[ViewNode], radius: float = 1000.0
) -> dict[str, tuple[float, float]]:
    """Fixed positions: one circle of namespace groups, each group a small circle.

    >>> pos = grouped_layout([ViewNode("a/x", "x", "workload", "a"),
    ...                       ViewNode("b/y", "y", "workload", "b")])
    >>> round(pos["a/x"][0]), round(pos["b/y"][0])
    (1000, -1000)
    """
    groups: dict[str, list[ViewNode]] = {}
    for n in nodes:
        groups.setdefault(n.namespace or "(external)", []).append(n)
    out: dict[str, tuple[float, float]] = {}
    count = len(groups)
    for g, (_, members) in enumerate(sorted(groups.items())):
        angle = 2 * np.pi * g / count
        cx, cy = radius * np.cos(angle), radius * np.sin(angle)
        inner = 0.0 if len(members) == 1 else 30.0 * np.sqrt(len(members))
        for m, node in enumerate(members):
            a = 2 * np.pi * m / len(members)
            out[node.id] = (
                float(cx + inner * np.cos(a)),
                float(cy + inner * np.sin(a)),
            )
    return out
