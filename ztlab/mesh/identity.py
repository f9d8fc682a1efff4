"""Workload identities: SPIFFE ids and the principal strings policies use."""

from __future__ import annotations

from ztlab.model import Cluster, Workload

__all__ = ["spiffe_id", "principal", "parse_principal"]


def spiffe_id(cluster: Cluster, workload: Workload) -> str:
    """``spiffe://<trust-domain>/ns/<ns>/sa/<sa>`` of a workload.

    >>> from ztlab.model import Cluster, Workload
    >>> spiffe_id(Cluster(trust_domain="corp.example"),
    ...           Workload("Deployment", "shop", "web", service_account="web"))
    'spiffe://corp.example/ns/shop/sa/web'
    """
    return cluster.identity(workload).spiffe_id(cluster.trust_domain)


def principal(cluster: Cluster, workload: Workload) -> str:
    """The identity as AuthorizationPolicy ``principals`` write it (no scheme).

    >>> from ztlab.model import Cluster, Workload
    >>> principal(Cluster(), Workload("Deployment", "shop", "web"))
    'cluster.local/ns/shop/sa/default'
    """
    return spiffe_id(cluster, workload).removeprefix("spiffe://")


def parse_principal(text: str) -> tuple[str, str, str] | None:
    """(trust domain, namespace, service account) of a literal principal.

    Returns None for patterns (``*`` anywhere) and strings of another shape.

    >>> parse_principal("cluster.local/ns/shop/sa/web")
    ('cluster.local', 'shop', 'web')
    >>> parse_principal("cluster.local/ns/shop/*") is None
    True
    """
    if "*" in text:
        return None
    parts = text.removeprefix("spiffe://").split("/")
    if len(parts) != 5 or parts[1] != "ns" or parts[3] != "sa":
        return None
    return parts[0], parts[2], parts[4]
