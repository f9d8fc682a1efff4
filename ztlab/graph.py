"""The networkx view of a cluster: namespaces, workloads, services, identities,
external address ranges, and the flows between them.

Node ids are readable and stable: ``namespace:shop``, ``workload:shop/web``,
``service:shop/web``, ``identity:shop/web-sa``, ``external:0.0.0.0/0``.
Edge kinds: ``member_of`` (object to its namespace), ``runs_as`` (workload to
identity), ``backs`` (service to the workloads it selects) and ``flow``
(allowed connection, with protocol, ports and the allowing policies; where
the mesh applies, TCP flow edges also carry ``mtls`` and ``authz`` — one
value, or ``mixed`` — and ``mesh``, the outcome per evaluated declared port).
"""

from __future__ import annotations

from typing import Any

import networkx as nx

from ztlab.model import Cluster

__all__ = ["build_graph", "NODE_KINDS", "EDGE_KINDS"]

NODE_KINDS = ("namespace", "workload", "service", "identity", "external")
EDGE_KINDS = ("member_of", "runs_as", "backs", "flow")


def build_graph(cluster: Cluster, *, flows: bool = True) -> nx.MultiDiGraph:
    """Build the graph; with ``flows`` the NetworkPolicy engine fills flow edges.

    >>> import ztlab
    >>> g = ztlab.load("sample_clusters/online-boutique").graph()
    >>> g.nodes["workload:boutique/frontend"]["kind"]
    'workload'
    >>> g.has_edge("workload:boutique/frontend", "identity:boutique/frontend")
    True
    """
    g = nx.MultiDiGraph()
    for ns in cluster.namespaces.values():
        g.add_node(
            ns.id,
            kind="namespace",
            name=ns.name,
            labels=ns.labels.to_dict(),
            inferred=ns.inferred,
        )
    for w in cluster.workloads.values():
        g.add_node(
            w.id,
            kind="workload",
            name=w.name,
            namespace=w.namespace,
            workload_kind=w.kind,
            labels=w.labels.to_dict(),
            service_account=w.service_account,
            host_network=w.host_network,
        )
        g.add_edge(w.id, f"namespace:{w.namespace}", key="member_of", kind="member_of")
        identity = cluster.identity(w)
        if identity.id not in g:
            _add_identity(g, cluster, identity)
        g.add_edge(w.id, identity.id, key="runs_as", kind="runs_as")
    for sa in cluster.service_accounts.values():
        if sa.id not in g:
            _add_identity(g, cluster, sa)
    for svc in cluster.services.values():
        g.add_node(
            svc.id,
            kind="service",
            name=svc.name,
            namespace=svc.namespace,
            type=svc.type,
            labels=svc.labels.to_dict(),
            ports=[f"{p.port}->{p.target_port}/{p.protocol}" for p in svc.ports],
        )
        g.add_edge(
            svc.id, f"namespace:{svc.namespace}", key="member_of", kind="member_of"
        )
        for backend in cluster.backends(svc):
            g.add_edge(svc.id, backend.id, key="backs", kind="backs")
    if flows:
        _add_flows(g, cluster)
    return g


def _add_identity(g: nx.MultiDiGraph, cluster: Cluster, sa: Any) -> None:
    g.add_node(
        sa.id,
        kind="identity",
        name=sa.name,
        namespace=sa.namespace,
        spiffe=sa.spiffe_id(cluster.trust_domain),
        inferred=sa.inferred,
    )
    g.add_edge(sa.id, f"namespace:{sa.namespace}", key="member_of", kind="member_of")


def _node_of(g: nx.MultiDiGraph, endpoint: str, kind: str) -> str:
    if kind == "external":
        node = f"external:{endpoint}"
        if node not in g:
            g.add_node(node, kind="external", name=endpoint, cidr=endpoint)
        return node
    return f"workload:{endpoint}"


def _add_flows(g: nx.MultiDiGraph, cluster: Cluster) -> None:
    from ztlab.netpol import flows
    from ztlab.reach import flow_mesh

    for f in flows(cluster):
        src = _node_of(g, f.src, f.src_kind)
        dst = _node_of(g, f.dst, f.dst_kind)
        for protocol, ranges in f.ports.by_protocol:
            attrs: dict[str, Any] = {}
            per_port = flow_mesh(cluster, f) if protocol == "TCP" else {}
            if per_port:
                attrs = {
                    "mtls": _one(per_port, "mtls"),
                    "authz": _one(per_port, "authz"),
                    "mesh": {str(p): v for p, v in per_port.items()},
                }
            g.add_edge(
                src,
                dst,
                key=f"flow/{protocol}",
                kind="flow",
                protocol=protocol,
                ports=[list(r) for r in ranges],
                policies=list(f.policies),
                definite=f.definite,
                **attrs,
            )


def _one(per_port: dict[int, dict[str, Any]], key: str) -> str:
    """The outcome shared by every evaluated port, or ``mixed``; see ``mesh``."""
    values = {v[key] for v in per_port.values()}
    return values.pop() if len(values) == 1 else "mixed"
