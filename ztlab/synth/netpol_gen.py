"""Least-privilege NetworkPolicies from a plan.

Per governed namespace: a default-deny for Ingress and Egress and, when the
intent wants DNS, one egress policy to the cluster DNS on 53/UDP and 53/TCP.
Per selected workload: an ingress policy admitting exactly its intended callers
and an egress policy reaching exactly its intended destinations. Peers are
``namespaceSelector`` (``kubernetes.io/metadata.name``) AND ``podSelector`` in
one entry, or ipBlocks for external addresses; peers with identical ports share
a rule.
"""

from __future__ import annotations

from typing import Any

from ztlab.model import NAMESPACE_NAME_LABEL, Labels, PortSet
from ztlab.model.ports import MAX_PORT, MIN_PORT
from ztlab.synth.generated import Generated, manifest
from ztlab.synth.intent import is_cidr
from ztlab.synth.plan import DNS_PORTS, Plan

__all__ = ["network_policies", "port_entries", "DEFAULT_DENY", "ALLOW_DNS"]

API = "networking.k8s.io/v1"
DEFAULT_DENY = "default-deny"
ALLOW_DNS = "allow-dns-egress"


def port_entries(
    ports: PortSet, named: dict[tuple[str, int], str] | None = None
) -> list[dict[str, Any]] | None:
    """NetworkPolicy ``ports`` for a port set; None when it is every port.

    ``named`` maps (protocol, number) to a port name all destinations declare.

    >>> port_entries(PortSet.of("TCP", 80) | PortSet.of("TCP", 90, 99))
    [{'protocol': 'TCP', 'port': 80}, {'protocol': 'TCP', 'port': 90, 'endPort': 99}]
    >>> port_entries(PortSet.all()) is None
    True
    """
    if ports == PortSet.all():
        return None
    out: list[dict[str, Any]] = []
    for protocol, (lo, hi) in ports:
        if (lo, hi) == (MIN_PORT, MAX_PORT):
            out.append({"protocol": protocol})
        elif lo == hi:
            name = (named or {}).get((protocol, lo))
            out.append({"protocol": protocol, "port": name or lo})
        else:
            out.append({"protocol": protocol, "port": lo, "endPort": hi})
    return out


def _peer(plan: Plan, endpoint: str) -> tuple[tuple, dict[str, Any]]:
    if is_cidr(endpoint):
        return ("ip", endpoint), {"ipBlock": {"cidr": endpoint}}
    w = plan.cluster.workloads[endpoint]
    labels = plan.selections[endpoint].labels
    key = ("pod", w.namespace, tuple(labels.items()))
    return key, {
        "namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: w.namespace}},
        "podSelector": {"matchLabels": labels.to_dict()} if labels else {},
    }


def _named_ports(plan: Plan, members: tuple[str, ...]) -> dict[tuple[str, int], str]:
    """(protocol, number) -> name, where every member declares that one name."""
    maps = []
    for key in members:
        w = plan.cluster.workloads[key]
        m: dict[tuple[str, int], set[str]] = {}
        for p in w.ports:
            if p.name:
                m.setdefault((p.protocol, p.port), set()).add(p.name)
        maps.append(m)
    if not maps:
        return {}
    out = {}
    for port, names in maps[0].items():
        if len(names) != 1:
            continue
        (name,) = names
        same = all(m.get(port) == {name} for m in maps[1:])
        # The name must mean this number on every member, for every protocol.
        unique = all(
            plan.cluster.workloads[k].named_port(name, port[0]) == port[1]
            for k in members
        )
        if same and unique:
            out[port] = name
    return out


def _rules(
    plan: Plan, peers: dict[tuple, tuple[dict[str, Any], PortSet, list[str]]], named
) -> tuple[list[dict[str, Any]], list[str]]:
    by_ports: dict[PortSet, list[tuple[tuple, dict[str, Any], list[str]]]] = {}
    for key, (peer, ports, names) in peers.items():
        by_ports.setdefault(ports, []).append((key, peer, names))
    rules, notes = [], []
    for ports, entries in sorted(by_ports.items(), key=lambda kv: str(kv[0])):
        entries.sort(key=lambda e: str(e[0]))
        rule: dict[str, Any] = {"peers": [e[1] for e in entries]}
        entries_ports = port_entries(ports, named)
        if entries_ports is not None:
            rule["ports"] = entries_ports
        rules.append(rule)
        who = ", ".join(sorted({n for e in entries for n in e[2]}))
        notes.append(f"{who} on {ports}")
    return rules, notes


def network_policies(plan: Plan) -> list[Generated]:
    """The NetworkPolicies of every governed namespace, in a stable order.

    >>> import ztlab
    >>> from ztlab.synth.intent import from_current
    >>> from ztlab.synth.plan import make_plan
    >>> c = ztlab.load("sample_clusters/online-boutique")
    >>> plan = make_plan(c, from_current(c, dns=True))
    >>> names = [g.name for g in network_policies(plan)]
    >>> names[:2]
    ['default-deny', 'allow-dns-egress']
    """
    out: list[Generated] = []
    cluster = plan.cluster
    dns_keys = {w.key for w in plan.dns}
    ingress: dict[tuple, dict[tuple, tuple[dict[str, Any], PortSet, list[str]]]] = {}
    egress: dict[tuple, dict[tuple, tuple[dict[str, Any], PortSet, list[str]]]] = {}
    owners: dict[tuple, list[str]] = {}
    for (src, dst), ports in sorted(plan.granted.items()):
        if ports.is_empty():
            continue
        if plan.is_governed(dst):
            key = _owner(plan, dst, owners)
            peer_key, peer = _peer(plan, src)
            _add(ingress.setdefault(key, {}), peer_key, peer, ports, src)
        if plan.is_governed(src):
            if plan.intent.dns and dst in dns_keys:
                ports = ports - DNS_PORTS
                if ports.is_empty():
                    continue
            key = _owner(plan, src, owners)
            peer_key, peer = _peer(plan, dst)
            _add(egress.setdefault(key, {}), peer_key, peer, ports, dst)
    for ns in plan.governed:
        if not cluster.workloads_in(ns):
            continue
        out.append(_default_deny(ns))
        if plan.intent.dns:
            out.append(_allow_dns(plan, ns))
        for direction, table in (("Ingress", ingress), ("Egress", egress)):
            for key in sorted(k for k in table if k[0] == ns):
                out.append(_policy(plan, direction, key, table[key], owners[key]))
    return out


def _owner(plan: Plan, endpoint: str, owners: dict[tuple, list[str]]) -> tuple:
    w = plan.cluster.workloads[endpoint]
    labels = plan.selections[endpoint].labels
    key = (w.namespace, tuple(labels.items()))
    # The first entry names the policy: the workload whose selection this is.
    names = owners.setdefault(key, [endpoint])
    for m in plan.selections[endpoint].members:
        if m not in names:
            names.append(m)
    names[1:] = sorted(names[1:])
    return key


def _add(table, peer_key, peer, ports: PortSet, name: str) -> None:
    old = table.get(peer_key)
    if old is None:
        table[peer_key] = (peer, ports, [name])
    else:
        table[peer_key] = (old[0], old[1] | ports, sorted({*old[2], name}))


def _default_deny(ns: str) -> Generated:
    spec = {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    return Generated(
        manifest(API, "NetworkPolicy", ns, DEFAULT_DENY, spec),
        f"Denies all ingress and egress of every pod in {ns}; the policies "
        "below allow the intended flows.",
    )


def dns_egress_spec(pod_selector: dict[str, Any], label: str) -> dict[str, Any]:
    """A NetworkPolicy spec letting the selected pods reach kube-dns on port 53."""
    return {
        "podSelector": pod_selector,
        "policyTypes": ["Egress"],
        "egress": [
            {
                "to": [
                    {
                        "namespaceSelector": {
                            "matchLabels": {NAMESPACE_NAME_LABEL: "kube-system"}
                        },
                        "podSelector": {"matchLabels": {"k8s-app": label}},
                    }
                ],
                "ports": [
                    {"protocol": "UDP", "port": 53},
                    {"protocol": "TCP", "port": 53},
                ],
            }
        ],
    }


def _allow_dns(plan: Plan, ns: str) -> Generated:
    label = plan.dns[0].labels.get("k8s-app", "kube-dns") if plan.dns else "kube-dns"
    spec = dns_egress_spec({}, label)
    return Generated(
        manifest(API, "NetworkPolicy", ns, ALLOW_DNS, spec),
        f"Allows every pod in {ns} to reach kube-system/k8s-app={label} on 53/UDP "
        "and 53/TCP.",
    )


def _policy(plan: Plan, direction: str, key: tuple, peers, members) -> Generated:
    ns, labels = key[0], Labels(dict(key[1]))
    named = _named_ports(plan, tuple(members)) if direction == "Ingress" else {}
    rules, notes = _rules(plan, peers, named)
    field, word = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    spec: dict[str, Any] = {
        "podSelector": {"matchLabels": labels.to_dict()} if labels else {},
        "policyTypes": [direction],
        field: [
            {word: r["peers"], **({"ports": r["ports"]} if "ports" in r else {})}
            for r in rules
        ],
    }
    first = members[0].split("/", 1)[1]
    name = f"{first}-{field}"
    who = ", ".join(members)
    verb = "from" if direction == "Ingress" else "to"
    comment = f"{direction} of {who}: allows {verb} " + "; ".join(notes) + "."
    return Generated(manifest(API, "NetworkPolicy", ns, name, spec), comment)
