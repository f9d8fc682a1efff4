"""Endpoints of a flow: workloads, or external address ranges; peer matching."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from enum import Enum

from ztlab.errors import QueryError
from ztlab.model import Cluster, IPBlock, NetworkPolicy, PolicyPeer, Workload

__all__ = [
    "Match",
    "External",
    "Endpoint",
    "parse_endpoint",
    "peer_match",
    "block_match",
]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Text that is meant as an address: digits and dots (or hex and colons), maybe /N.
_ADDRESS_LIKE = re.compile(r"^(\d+(\.\d+){1,3}|[0-9a-fA-F:]*:[0-9a-fA-F:.]*)(/\d+)?$")


class Match(Enum):
    """Whether a peer matches an endpoint: yes, no, or implementation-defined."""

    YES = "yes"
    NO = "no"
    MAYBE = "maybe"


@dataclass(frozen=True, slots=True)
class External:
    """An address range outside the cluster's pods (one IP is a /32 or /128)."""

    network: Network

    @property
    def key(self) -> str:
        return str(self.network)


Endpoint = Workload | External


def parse_endpoint(cluster: Cluster, text: str) -> Endpoint:
    """A workload ``ns/name`` or an IP address / CIDR (services are handled above).

    An address that is the known IP of exactly one pod means that pod's workload.
    """
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        if _ADDRESS_LIKE.match(text):
            raise QueryError(
                f"{text!r} is not a valid IP address or CIDR; write it as 10.0.0.5 "
                "or 10.0.0.0/24 (or give a workload as namespace/name)"
            ) from None
    else:
        if network.num_addresses == 1:
            # A pod's own address (known from a pod dump) means that pod.
            owners = [
                w
                for w in cluster.workloads.values()
                if str(network.network_address) in w.pod_ips
            ]
            if len(owners) == 1:
                return owners[0]
        return External(network)
    if not text:
        raise QueryError("an empty endpoint; give namespace/name, svc:ns/name or an IP")
    return cluster.workload(text) if "/" in text else _bare(cluster, text)


def _bare(cluster: Cluster, text: str) -> Workload:
    matches = [w for w in cluster.workloads.values() if w.name == text]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise QueryError(
            f"workload name {text!r} is ambiguous; write one of "
            + ", ".join(w.key for w in matches)
        )
    return cluster.workload(text)


def _block_network(block: IPBlock) -> tuple[Network, list[Network]]:
    return (
        ipaddress.ip_network(block.cidr, strict=False),
        [ipaddress.ip_network(e, strict=False) for e in block.excepts],
    )


def block_match(block: IPBlock, network: Network) -> Match:
    """Does an ipBlock hold every address of ``network``? MAYBE when only part."""
    cidr, excepts = _block_network(block)
    if cidr.version != network.version:
        return Match.NO
    if not network.subnet_of(cidr) and not cidr.subnet_of(network):  # type: ignore[arg-type]
        return Match.NO
    if not network.subnet_of(cidr):  # type: ignore[arg-type]
        return Match.MAYBE
    for ex in excepts:
        if ex.version != network.version:
            continue
        if network.subnet_of(ex):  # type: ignore[arg-type]
            return Match.NO
        if ex.subnet_of(network):  # type: ignore[arg-type]
            return Match.MAYBE
    return Match.YES


def _unknown_ip_match(block: IPBlock, pod_cidrs: list[Network]) -> Match:
    """Does an ipBlock match a pod whose IP is unknown but inside ``pod_cidrs``?"""
    if not pod_cidrs:
        return Match.MAYBE
    results = {block_match(block, cidr) for cidr in pod_cidrs}
    if results == {Match.YES}:
        return Match.YES
    if results == {Match.NO}:
        return Match.NO
    return Match.MAYBE


def _pod_block_match(
    block: IPBlock, workload: Workload, pod_cidrs: list[Network] | None = None
) -> Match:
    if not workload.pod_ips:
        return _unknown_ip_match(block, pod_cidrs or [])
    results = {block_match(block, ipaddress.ip_network(ip)) for ip in workload.pod_ips}
    if results == {Match.YES}:
        return Match.YES
    if results == {Match.NO}:
        return Match.NO
    return Match.MAYBE


def peer_match(
    cluster: Cluster, policy: NetworkPolicy, peer: PolicyPeer, other: Endpoint
) -> Match:
    """Does one ``from``/``to`` entry of ``policy`` match the other endpoint?

    An ipBlock is matched against the pod's IPs when a pod dump gave them;
    otherwise against the cluster's configured pod CIDRs (``Cluster.pod_cidrs``):
    a block holding all of them matches, one disjoint from them does not.

    Limitations: with neither pod IPs nor pod CIDRs, ipBlock against a pod is
    MAYBE: whether ipBlock applies to pod IPs is implementation-defined.
    """
    if peer.ip_block is not None:
        if isinstance(other, External):
            return block_match(peer.ip_block, other.network)
        cidrs = [ipaddress.ip_network(c, strict=False) for c in cluster.pod_cidrs]
        return _pod_block_match(peer.ip_block, other, cidrs)
    if isinstance(other, External):
        return Match.NO
    if peer.namespace_selector is None:
        ns_ok = other.namespace == policy.namespace
    else:
        namespace = cluster.namespaces.get(other.namespace)
        ns_ok = namespace is not None and peer.namespace_selector.matches(
            namespace.labels
        )
    if not ns_ok:
        return Match.NO
    if peer.pod_selector is not None and not peer.pod_selector.matches(other.labels):
        return Match.NO
    return Match.YES
