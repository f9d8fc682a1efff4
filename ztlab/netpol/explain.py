"""Why a rule did not admit a peer: the closest miss, in the user's terms."""

from __future__ import annotations

from collections.abc import Mapping

from ztlab.model import (
    Cluster,
    LabelSelector,
    NetworkPolicy,
    PolicyPort,
    PolicyRule,
    Workload,
)
from ztlab.netpol.endpoints import Endpoint, External

__all__ = ["port_miss", "near_misses", "selector_gaps"]


def port_miss(
    policy: NetworkPolicy,
    direction: str,
    index: int,
    ports: tuple[PolicyPort, ...],
    dst: Workload | None,
) -> str:
    names = [p.port for p in ports if isinstance(p.port, str)]
    where = f"{policy.key} {direction.lower()} rule {index + 1}"
    if names and dst is not None:
        return (
            f"{where} admits the peer but names port {', '.join(names)}, which "
            f"{dst.key} does not declare for that protocol"
        )
    return f"{where} admits the peer on no port of the destination"


def near_misses(
    cluster: Cluster,
    policy: NetworkPolicy,
    direction: str,
    rule: PolicyRule,
    other: Endpoint,
) -> list[tuple[int, str]]:
    """For peers that failed, how far the other endpoint is from matching."""
    out = []
    where = f"{policy.key} {direction.lower()} rule {rule.index + 1}"
    for i, peer in enumerate(rule.peers):
        if isinstance(other, External) or peer.ip_block is not None:
            continue
        problems: list[str] = []
        if peer.namespace_selector is None:
            if other.namespace != policy.namespace:
                problems.append(
                    f"its podSelector-only peer means namespace {policy.namespace}, "
                    f"the peer is in {other.namespace}"
                )
        else:
            ns = cluster.namespaces.get(other.namespace)
            labels = ns.labels if ns else {}
            problems += selector_gaps(
                peer.namespace_selector, labels, "namespace " + other.namespace
            )
        if peer.pod_selector is not None:
            problems += selector_gaps(peer.pod_selector, other.labels, other.key)
        if problems:
            out.append((len(problems), f"{where} peer {i + 1}: " + "; ".join(problems)))
    return out


def selector_gaps(
    selector: LabelSelector, labels: Mapping[str, str], who: str
) -> list[str]:
    gaps = []
    for key, value in selector.match_labels.items():
        if labels.get(key) != value:
            has = f"has {key}={labels[key]}" if key in labels else f"has no {key} label"
            gaps.append(f"needs {key}={value}, {who} {has}")
    for req in selector.match_expressions:
        if not req.matches(labels):
            gaps.append(f"needs {req}, {who} does not match it")
    return gaps
