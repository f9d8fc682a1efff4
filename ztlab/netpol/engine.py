"""All allowed flows of a cluster at once, computed over workload classes.

Cost grows with the number of distinct workload classes and selectors: each
selector is compiled once to a bit mask over classes, and only class pairs that
both the source's egress and the destination's ingress can admit are visited.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from ztlab.model import (
    Cluster,
    NetworkPolicy,
    PolicyPeer,
    PolicyRule,
    PortSet,
    Workload,
)
from ztlab.netpol.classes import ClassIndex, WorkloadClass, bits
from ztlab.netpol.connectivity import Connectivity, compute
from ztlab.netpol.endpoints import (
    Match,
    Network,
    _pod_block_match,
    _unknown_ip_match,
)
from ztlab.netpol.ports import rule_ports

__all__ = ["Flow", "Engine", "engine_of"]

ANY_V4 = ipaddress.ip_network("0.0.0.0/0")
ANY_V6 = ipaddress.ip_network("::/0")


class Flow(NamedTuple):
    """An allowed connection from ``src`` to ``dst``.

    ``src``/``dst`` are workload keys (``ns/name``) or CIDRs for addresses
    outside the cluster. ``ports`` are the destination ports definitely
    allowed; ``possible`` those that depend on the network plugin (ipBlock
    against pod IPs that are unknown, hostNetwork endpoints), in which case
    ``definite`` is False. ``policies`` are the policies whose rules allowed it
    (empty where a side is not isolated).
    """

    src: str
    dst: str
    ports: PortSet
    possible: PortSet = PortSet()
    definite: bool = True
    policies: tuple[str, ...] = ()
    src_kind: str = "workload"
    dst_kind: str = "workload"


@dataclass
class _Rule:
    policy: NetworkPolicy
    rule: PolicyRule
    sure: int
    maybe: int
    blocks: tuple[PolicyPeer, ...]
    all_peers: bool


class Engine:
    """Compiled NetworkPolicy state of one cluster (build with ``engine_of``)."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.pod_cidrs = [
            ipaddress.ip_network(c, strict=False) for c in cluster.pod_cidrs
        ]
        self.index = ClassIndex(cluster)
        n = len(self.index.classes)
        self.ingress_rules: list[list[_Rule]] = [[] for _ in range(n)]
        self.egress_rules: list[list[_Rule]] = [[] for _ in range(n)]
        self.ingress_policies: list[list[NetworkPolicy]] = [[] for _ in range(n)]
        self.egress_policies: list[list[NetworkPolicy]] = [[] for _ in range(n)]
        self.selected: dict[str, int] = {}
        self._connectivity: Connectivity | None = None
        self._peer_cache: dict[tuple[str, PolicyPeer], tuple[int, int]] = {}
        self._compile()

    def _peer_masks(self, policy: NetworkPolicy, peer: PolicyPeer) -> tuple[int, int]:
        idx = self.index
        if peer.ip_block is not None:
            sure = maybe = 0
            unknown = idx.all & ~idx.with_ips
            match = _unknown_ip_match(peer.ip_block, self.pod_cidrs)
            if match is Match.YES:
                sure |= unknown
            elif match is Match.MAYBE:
                maybe |= unknown
            for i in bits(idx.with_ips):
                match = _pod_block_match(peer.ip_block, idx.classes[i].representative)
                if match is Match.YES:
                    sure |= 1 << i
                elif match is Match.MAYBE:
                    maybe |= 1 << i
            return sure, maybe
        if peer.namespace_selector is None:
            ns = idx.ns_mask.get(policy.namespace, 0)
        else:
            ns = idx.namespace_selector_mask(peer.namespace_selector)
        pods = (
            idx.all
            if peer.pod_selector is None
            else idx.selector_mask(peer.pod_selector)
        )
        return ns & pods, 0

    def _compile(self) -> None:
        idx = self.index
        block_cache = self._peer_cache
        for policy in self.cluster.network_policies.values():
            selected = idx.ns_mask.get(policy.namespace, 0) & idx.selector_mask(
                policy.pod_selector
            )
            self.selected[policy.key] = selected
            for direction in ("Ingress", "Egress"):
                if direction not in policy.policy_types:
                    continue
                compiled = []
                for rule in policy.rules(direction):
                    sure = maybe = 0
                    for peer in rule.peers:
                        key = (policy.namespace, peer)
                        if key not in block_cache:
                            block_cache[key] = self._peer_masks(policy, peer)
                        s, m = block_cache[key]
                        sure |= s
                        maybe |= m
                    if not rule.peers:
                        sure = idx.all
                    blocks = tuple(p for p in rule.peers if p.ip_block is not None)
                    compiled.append(
                        _Rule(policy, rule, sure, maybe & ~sure, blocks, not rule.peers)
                    )
                rules = (
                    self.ingress_rules if direction == "Ingress" else self.egress_rules
                )
                policies = (
                    self.ingress_policies
                    if direction == "Ingress"
                    else self.egress_policies
                )
                for i in bits(selected):
                    rules[i].extend(compiled)
                    policies[i].append(policy)

    # Pairs of classes

    def peer_workloads(self, policy: NetworkPolicy, peer: PolicyPeer) -> list[Workload]:
        """The workloads one peer of ``policy`` matches for sure (from the masks)."""
        key = (policy.namespace, peer)
        if key not in self._peer_cache:
            self._peer_cache[key] = self._peer_masks(policy, peer)
        sure, _ = self._peer_cache[key]
        classes = self.index.classes
        return [w for i in bits(sure) for w in classes[i].members]

    def connectivity(self) -> Connectivity:
        """Every class pair with some port allowed, computed once and cached."""
        if self._connectivity is None:
            self._connectivity = compute(self)
        return self._connectivity

    def _ports_for(self, rule: _Rule, dst: WorkloadClass | None) -> PortSet:
        return rule_ports(rule.rule.ports, dst.representative if dst else None)

    # External addresses

    def external_egress(self, s: int) -> list[tuple[str, PortSet]]:
        """CIDRs outside the cluster that class ``s`` may send to, with ports."""
        if not self.egress_policies[s]:
            return [(str(ANY_V4), PortSet.all()), (str(ANY_V6), PortSet.all())]
        return _atoms(self._blocks(self.egress_rules[s], None))

    def external_ingress(self, d: int) -> list[tuple[str, PortSet]]:
        """CIDRs outside the cluster that may connect to class ``d``, with ports."""
        if not self.ingress_policies[d]:
            return [(str(ANY_V4), PortSet.all()), (str(ANY_V6), PortSet.all())]
        dst = self.index.classes[d]
        return _atoms(self._blocks(self.ingress_rules[d], dst))

    def _blocks(
        self, rules: list[_Rule], dst: WorkloadClass | None
    ) -> list[tuple[Network, list[Network], PortSet]]:
        out: list[tuple[Network, list[Network], PortSet]] = []
        for rule in rules:
            ports = self._ports_for(rule, dst)
            if ports.is_empty():
                continue
            if rule.all_peers:
                out.append((ANY_V4, [], ports))
                out.append((ANY_V6, [], ports))
            for peer in rule.blocks:
                assert peer.ip_block is not None
                cidr = ipaddress.ip_network(peer.ip_block.cidr, strict=False)
                excepts = [
                    ipaddress.ip_network(e, strict=False) for e in peer.ip_block.excepts
                ]
                out.append((cidr, excepts, ports))
        return out


def _atoms(
    blocks: Iterable[tuple[Network, list[Network], PortSet]],
) -> list[tuple[str, PortSet]]:
    """Split address blocks (minus excepts) into disjoint CIDRs with their ports."""
    out: list[tuple[str, PortSet]] = []
    for version in (4, 6):
        spans: list[tuple[int, int, PortSet]] = []
        for cidr, excepts, ports in blocks:
            if cidr.version != version:
                continue
            pieces = [(int(cidr.network_address), int(cidr.broadcast_address))]
            for ex in excepts:
                if ex.version != version:
                    continue
                lo, hi = int(ex.network_address), int(ex.broadcast_address)
                cut = []
                for a, b in pieces:
                    if hi < a or lo > b:
                        cut.append((a, b))
                        continue
                    if a < lo:
                        cut.append((a, lo - 1))
                    if hi < b:
                        cut.append((hi + 1, b))
                pieces = cut
            spans += [(a, b, ports) for a, b in pieces]
        if not spans:
            continue
        points = sorted({a for a, _, _ in spans} | {b + 1 for _, b, _ in spans})
        merged: list[list] = []
        for lo, nxt in zip(points, points[1:], strict=False):
            hi = nxt - 1
            ports = PortSet.empty()
            for a, b, p in spans:
                if a <= lo and hi <= b:
                    ports = ports | p
            if ports.is_empty():
                continue
            if merged and merged[-1][1] + 1 == lo and merged[-1][2] == ports:
                merged[-1][1] = hi
            else:
                merged.append([lo, hi, ports])
        make = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address
        for lo, hi, ports in merged:
            for net in ipaddress.summarize_address_range(make(lo), make(hi)):
                out.append((str(net), ports))
    return out


def engine_of(cluster: Cluster) -> Engine:
    """The cluster's compiled engine, built on first use and cached."""
    engine: Engine = cluster.cached("netpol", lambda: Engine(cluster))
    return engine
