"""Group workloads that no policy can tell apart, and compile selectors to masks.

Workloads with the same namespace, labels, named ports, pod IPs and hostNetwork
setting behave alike under every NetworkPolicy, so the engine works on such
classes. Sets of classes are Python integers used as bit masks.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ztlab.model import Cluster, LabelSelector, Workload

__all__ = ["WorkloadClass", "ClassIndex", "bits"]


def bits(mask: int) -> Iterator[int]:
    """The indexes of the set bits of ``mask``, lowest first.

    >>> list(bits(0b10110))
    [1, 2, 4]
    """
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


@dataclass
class WorkloadClass:
    """Workloads alike under every policy; ``named`` is their named-port map."""

    index: int
    representative: Workload
    members: list[Workload]
    named: frozenset[tuple[str | None, str, int]] = frozenset()

    @property
    def namespace(self) -> str:
        return self.representative.namespace


def _class_key(w: Workload) -> tuple:
    named = frozenset((p.name, p.protocol, p.port) for p in w.ports if p.name)
    return (w.namespace, w.labels, named, w.pod_ips, w.host_network)


class ClassIndex:
    """Workload classes with label and namespace postings as bit masks."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        by_key: dict[tuple, WorkloadClass] = {}
        for w in cluster.workloads.values():
            key = _class_key(w)
            found = by_key.get(key)
            if found is None:
                by_key[key] = WorkloadClass(len(by_key), w, [w], key[2])
            else:
                found.members.append(w)
        self.classes = list(by_key.values())
        self.all = (1 << len(self.classes)) - 1
        self.ns_mask: dict[str, int] = {}
        self.kv_mask: dict[tuple[str, str], int] = {}
        self.key_mask: dict[str, int] = {}
        self.portmap_mask: dict[frozenset, int] = {}
        self.host_network = 0
        self.with_ips = 0
        for c in self.classes:
            bit = 1 << c.index
            w = c.representative
            self.ns_mask[w.namespace] = self.ns_mask.get(w.namespace, 0) | bit
            for k, v in w.labels.items():
                self.kv_mask[(k, v)] = self.kv_mask.get((k, v), 0) | bit
                self.key_mask[k] = self.key_mask.get(k, 0) | bit
            named = c.named
            self.portmap_mask[named] = self.portmap_mask.get(named, 0) | bit
            if w.host_network:
                self.host_network |= bit
            if w.pod_ips:
                self.with_ips |= bit
        self._ns_selector_cache: dict[LabelSelector, int] = {}
        self._selector_cache: dict[LabelSelector, int] = {}
        self._ns_names: list[str] | None = None
        self._ns_kv: dict[tuple[str, str], int] = {}
        self._ns_key: dict[str, int] = {}

    def selector_mask(self, selector: LabelSelector) -> int:
        """Classes whose labels the selector matches (in every namespace)."""
        cached = self._selector_cache.get(selector)
        if cached is not None:
            return cached
        mask = _mask_of(selector, self.kv_mask, self.key_mask, self.all)
        self._selector_cache[selector] = mask
        return mask

    def namespace_selector_mask(self, selector: LabelSelector) -> int:
        """Classes in the namespaces whose labels the selector matches."""
        cached = self._ns_selector_cache.get(selector)
        if cached is not None:
            return cached
        mask = 0
        for name in self._namespaces_matching(selector):
            mask |= self.ns_mask.get(name, 0)
        self._ns_selector_cache[selector] = mask
        return mask

    def _namespaces_matching(self, selector: LabelSelector) -> list[str]:
        """Namespace names the selector matches, through label postings."""
        if self._ns_names is None:
            self._ns_names = [n for n in self.cluster.namespaces if n in self.ns_mask]
            for i, name in enumerate(self._ns_names):
                for kv in self.cluster.namespaces[name].labels.items():
                    self._ns_kv[kv] = self._ns_kv.get(kv, 0) | 1 << i
                    self._ns_key[kv[0]] = self._ns_key.get(kv[0], 0) | 1 << i
        every = (1 << len(self._ns_names)) - 1
        mask = _mask_of(selector, self._ns_kv, self._ns_key, every)
        return [self._ns_names[i] for i in bits(mask)]


def _mask_of(
    selector: LabelSelector,
    kv_mask: dict[tuple[str, str], int],
    key_mask: dict[str, int],
    every: int,
) -> int:
    """The objects (as bits) a selector matches, given label postings."""
    mask = every
    for kv in selector.match_labels.items():
        mask &= kv_mask.get(kv, 0)
    for req in selector.match_expressions:
        if req.operator in ("In", "NotIn"):
            hit = 0
            for value in req.values:
                hit |= kv_mask.get((req.key, value), 0)
            mask &= hit if req.operator == "In" else every & ~hit
        elif req.operator == "Exists":
            mask &= key_mask.get(req.key, 0)
        else:
            mask &= every & ~key_mask.get(req.key, 0)
    return mask
