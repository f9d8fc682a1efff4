"""Large clusters: flows summed per namespace pair, and drill-down into one."""

from __future__ import annotations

from typing import Any

import numpy as np

from ztlab.errors import QueryError
from ztlab.model import Cluster
from ztlab.viz.view import (
    AGGREGATE_ABOVE,
    AGGREGATE_FLOWS_ABOVE,
    View,
    ViewEdge,
    ViewNode,
    external_node,
    workload_view,
)

__all__ = ["cluster_view", "drill_down", "namespace_view"]


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
    return [external_node(c) for c in cidrs]


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
