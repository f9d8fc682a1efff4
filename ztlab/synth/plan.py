"""From an intent to what policies can express: selections, pair ports, gaps.

Policies select pods by labels, so a policy written for workload ``c`` also
applies to every workload its selector cannot tell apart from ``c``. The plan
therefore grants a selector pair only the ports that every pair of members
intends (the intersection), never the union: an intended flow that this leaves
out is *inexpressible* and reported with a label to add; nothing is widened.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ztlab.model import Cluster, PortSet, Workload
from ztlab.synth.intent import Intent, IntentFlow, is_cidr
from ztlab.synth.labels import Selection, choose_selectors, suggest_label

__all__ = ["DNS_PORTS", "Inexpressible", "Plan", "make_plan", "dns_servers"]

DNS_PORTS = PortSet.of("UDP", 53) | PortSet.of("TCP", 53)


@dataclass(frozen=True)
class Inexpressible:
    """An intended flow that no label selector can grant without widening."""

    src: str
    dst: str
    ports: PortSet
    workloads: tuple[str, ...]
    suggestion: str

    def __str__(self) -> str:
        return (
            f"{self.src} -> {self.dst} ({self.ports}) cannot be expressed: "
            f"{', '.join(self.workloads)} share every stable label but need "
            f"different access; add label {self.suggestion}"
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "src": self.src,
            "dst": self.dst,
            "ports": str(self.ports),
            "workloads": list(self.workloads),
            "suggestion": self.suggestion,
        }


@dataclass
class Plan:
    """Everything the generators need, computed once."""

    cluster: Cluster
    intent: Intent
    governed: tuple[str, ...]
    selections: dict[str, Selection]
    expected: dict[tuple[str, str], PortSet]
    granted: dict[tuple[str, str], PortSet]
    inexpressible: list[Inexpressible] = field(default_factory=list)
    dns: list[Workload] = field(default_factory=list)
    http: dict[tuple[str, str], list[IntentFlow]] = field(default_factory=dict)

    def is_governed(self, endpoint: str) -> bool:
        return not is_cidr(endpoint) and endpoint.split("/", 1)[0] in self.governed

    def members(self, endpoint: str) -> tuple[str, ...]:
        if is_cidr(endpoint):
            return (endpoint,)
        return self.selections[endpoint].members


def dns_servers(cluster: Cluster) -> list[Workload]:
    """The cluster DNS workloads (kube-system, ``k8s-app`` kube-dns or coredns)."""
    return [
        w
        for w in cluster.workloads_in("kube-system")
        if w.labels.get("k8s-app") in ("kube-dns", "coredns")
    ]


def make_plan(cluster: Cluster, intent: Intent) -> Plan:
    """Selections, the expected flows, and the ports each selector pair gets.

    ``expected`` is the intent restricted to flows with a governed endpoint,
    plus DNS when ``intent.dns``; ``granted`` holds, per intended (src, dst)
    key pair, the ports granted to the selector pair.

    >>> import ztlab
    >>> from ztlab.synth.intent import from_current
    >>> c = ztlab.load("sample_clusters/online-boutique")
    >>> plan = make_plan(c, from_current(c))
    >>> plan.governed, plan.inexpressible
    (('boutique',), [])
    """
    governed = intent.governed(cluster)
    selections = choose_selectors(
        cluster.workloads.values(), wide_namespaces=[cluster.root_namespace]
    )
    plan = Plan(cluster, intent, governed, selections, {}, {})
    plan.dns = dns_servers(cluster) if intent.dns else []
    for (src, dst), ports in intent.pairs().items():
        if src == dst:
            continue
        if plan.is_governed(src) or plan.is_governed(dst):
            plan.expected[(src, dst)] = (
                plan.expected.get((src, dst), PortSet.empty()) | ports
            )
    for f in intent.flows:
        if f.http:
            plan.http.setdefault((f.src, f.dst), []).append(f)
    if intent.dns:
        for key, w in cluster.workloads.items():
            if w.namespace not in governed:
                continue
            for server in plan.dns:
                pair = (key, server.key)
                plan.expected[pair] = plan.expected.get(pair, PortSet.empty()) | (
                    DNS_PORTS
                )
    _grant(plan)
    return plan


def _grant(plan: Plan) -> None:
    expected = plan.expected
    for (src, dst), ports in sorted(expected.items()):
        granted = ports
        for m in plan.members(src):
            for n in plan.members(dst):
                granted = granted & expected.get((m, n), PortSet.empty())
        plan.granted[(src, dst)] = granted
    # What every workload pair really gets: the union over the selector pairs
    # whose members include it.
    member_of: dict[str, list[str]] = {}
    for key in {k for pair in expected for k in pair}:
        for m in plan.members(key):
            member_of.setdefault(m, []).append(key)
    for (x, y), ports in sorted(expected.items()):
        got = PortSet.empty()
        for c in member_of.get(x, [x]):
            for d in member_of.get(y, [y]):
                got = got | plan.granted.get((c, d), PortSet.empty())
        missing = ports - got
        if missing.is_empty():
            continue
        sides = [k for k in (x, y) if not is_cidr(k) and not plan.selections[k].exact]
        shared = tuple(sorted({m for k in sides for m in plan.members(k)}))
        culprit = sides[0] if sides else x
        plan.inexpressible.append(
            Inexpressible(
                x,
                y,
                missing,
                shared,
                suggest_label(plan.cluster.workloads[culprit]),
            )
        )
