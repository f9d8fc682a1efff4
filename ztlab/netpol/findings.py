"""Segmentation findings: gaps and mistakes in a cluster's NetworkPolicies."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from ztlab.findings import Finding, ObjectRef
from ztlab.model import (
    NAMESPACE_NAME_LABEL,
    Cluster,
    NetworkPolicy,
    PolicyPeer,
    PolicyRule,
    Workload,
)
from ztlab.netpol.classes import bits
from ztlab.netpol.engine import engine_of
from ztlab.netpol.evaluate import can_reach

__all__ = ["segmentation_findings", "RULES"]

RULES = {
    "NP001": "workload not isolated for ingress",
    "NP002": "workload not isolated for egress",
    "NP003": "namespace without a default-deny policy",
    "NP004": "allow-all rule",
    "NP005": "policy selects no pods",
    "NP006": "peer matches nothing",
    "NP007": "egress-isolated workload cannot reach DNS",
    "NP008": "policy names a Service port instead of the pod port",
    "NP009": "named port that no pod declares",
    "NP010": "protocol mismatch",
    "NP011": "endPort depends on the network plugin",
    "NP012": "policy involves hostNetwork pods",
    "NP013": "SCTP depends on the network plugin",
    "NP014": "namespace and pod selectors split into two peers",
}


def _ref(obj) -> ObjectRef:
    return ObjectRef(obj.id, obj.provenance)


def segmentation_findings(cluster: Cluster) -> list[Finding]:
    """Every segmentation finding of the cluster, most severe first.

    >>> import ztlab
    >>> found = segmentation_findings(ztlab.load("sample_clusters/online-boutique"))
    >>> any(f.rule == "NP005" for f in found)
    True
    """
    from ztlab.findings import severity_rank

    out = [
        *_isolation(cluster),
        *_default_deny(cluster),
        *_policy_checks(cluster),
        *_dns(cluster),
    ]
    out.sort(key=lambda f: (severity_rank(f.severity), f.rule, f.message))
    return out


def _isolation(cluster: Cluster) -> Iterator[Finding]:
    engine = engine_of(cluster)
    for c in engine.index.classes:
        for w in c.members:
            if w.namespace == "kube-system":
                continue
            if not engine.ingress_policies[c.index]:
                yield Finding(
                    "NP001",
                    "high",
                    f"{w.key} is not isolated for ingress: every pod and address "
                    "may connect to it on every port",
                    (_ref(w),),
                    f"add a NetworkPolicy in {w.namespace} whose podSelector matches "
                    f"{w.key} with Ingress in policyTypes, admitting only its callers",
                )
            if not engine.egress_policies[c.index]:
                yield Finding(
                    "NP002",
                    "medium",
                    f"{w.key} is not isolated for egress: it may connect anywhere",
                    (_ref(w),),
                    f"add a NetworkPolicy in {w.namespace} selecting {w.key} with "
                    "Egress in policyTypes, allowing DNS and its real destinations",
                )


def _is_default_deny(policy: NetworkPolicy, direction: str) -> bool:
    return (
        policy.pod_selector.is_empty
        and direction in policy.policy_types
        and not policy.rules(direction)
    )


def _default_deny(cluster: Cluster) -> Iterator[Finding]:
    for name, ns in cluster.namespaces.items():
        if name == "kube-system" or not cluster.workloads_in(name):
            continue
        policies = cluster.policies_in(name)
        missing = [
            d
            for d in ("Ingress", "Egress")
            if not any(_is_default_deny(p, d) for p in policies)
        ]
        if missing:
            yield Finding(
                "NP003",
                "medium",
                f"namespace {name} has no default-deny for {' and '.join(missing)}",
                (ObjectRef(ns.id, ns.provenance),),
                f"add a policy in {name} with podSelector: {{}}, policyTypes "
                f"{missing} and no rules, then allow what is needed",
            )


def _policy_checks(cluster: Cluster) -> Iterator[Finding]:
    engine = engine_of(cluster)
    classes = engine.index.classes
    for policy in cluster.network_policies.values():
        selected_mask = engine.selected.get(policy.key, 0)
        selected = [w for i in bits(selected_mask) for w in classes[i].members]
        ref = _ref(policy)
        if not selected:
            yield Finding(
                "NP005",
                "medium",
                f"{policy.key} selects no pods (podSelector {policy.pod_selector})",
                (ref,),
                "fix the podSelector labels to match the intended pods, or delete "
                "the policy",
            )
        if any(w.host_network for w in selected):
            yield Finding(
                "NP012",
                "low",
                f"{policy.key} selects hostNetwork pods; whether it applies to them "
                "depends on the network plugin",
                (ref,),
                "do not rely on NetworkPolicy for hostNetwork pods; restrict them "
                "at the node",
            )
        for direction in ("Ingress", "Egress"):
            if direction not in policy.policy_types:
                continue
            for rule in policy.rules(direction):
                yield from _rule_checks(cluster, policy, direction, rule, selected)


def _peer_pods(
    cluster: Cluster, policy: NetworkPolicy, peer: PolicyPeer
) -> list[Workload]:
    return engine_of(cluster).peer_workloads(policy, peer)


def _rule_checks(
    cluster: Cluster,
    policy: NetworkPolicy,
    direction: str,
    rule: PolicyRule,
    selected: list[Workload],
) -> Iterator[Finding]:
    where = f"{policy.key} {direction.lower()} rule {rule.index + 1}"
    ref = _ref(policy)
    word = "from" if direction == "Ingress" else "to"
    if not rule.peers:
        yield Finding(
            "NP004",
            "high" if not rule.ports else "medium",
            f"{where} has no '{word}': it admits every pod and address"
            + ("" if rule.ports else " on every port"),
            (ref,),
            f"list the intended peers under '{word}'",
        )
    destinations: list[Workload] = list(selected) if direction == "Ingress" else []
    ns_only = [
        i
        for i, p in enumerate(rule.peers)
        if p.namespace_selector is not None
        and p.pod_selector is None
        and not p.namespace_selector.is_empty
    ]
    pod_only = [
        i
        for i, p in enumerate(rule.peers)
        if p.pod_selector is not None
        and p.namespace_selector is None
        and p.ip_block is None
    ]
    if ns_only and pod_only:
        yield Finding(
            "NP014",
            "high",
            f"{where} lists a namespaceSelector (peer {ns_only[0] + 1}) and a "
            f"podSelector (peer {pod_only[0] + 1}) as separate peers: that admits "
            "every pod of those namespaces OR those pods of "
            f"{policy.namespace}, not those pods in those namespaces",
            (ref,),
            "if both should hold, put namespaceSelector and podSelector in one "
            "peer (one list item, no dash before podSelector)",
        )
    for i, peer in enumerate(rule.peers):
        label = f"{where} peer {i + 1}"
        if peer.ip_block is not None:
            net = ipaddress.ip_network(peer.ip_block.cidr, strict=False)
            if net.prefixlen == 0:
                yield Finding(
                    "NP004",
                    "medium",
                    f"{label} is ipBlock {peer.ip_block.cidr}: every address",
                    (ref,),
                    "narrow the ipBlock to the addresses really needed",
                )
            continue
        if (
            peer.namespace_selector is not None
            and peer.namespace_selector.is_empty
            and (peer.pod_selector is None or peer.pod_selector.is_empty)
        ):
            yield Finding(
                "NP004",
                "medium",
                f"{label} is namespaceSelector: {{}}: every pod in every namespace",
                (ref,),
                "name the namespaces with kubernetes.io/metadata.name and the pods "
                "with a podSelector",
            )
        pods = _peer_pods(cluster, policy, peer)
        if direction == "Egress":
            destinations += pods
        if not pods:
            yield _no_match(cluster, policy, label, peer, ref)
    if direction == "Egress" and not rule.peers:
        destinations = list(cluster.workloads.values())
    yield from _port_checks(cluster, policy, where, rule, destinations, ref)


def _no_match(
    cluster: Cluster,
    policy: NetworkPolicy,
    label: str,
    peer: PolicyPeer,
    ref: ObjectRef,
) -> Finding:
    sel = peer.namespace_selector
    if sel is not None and sel.match_labels:
        for key, value in sel.match_labels.items():
            if (
                key != NAMESPACE_NAME_LABEL
                and value in cluster.namespaces
                and not any(
                    ns.labels.get(key) == value for ns in cluster.namespaces.values()
                )
            ):
                return Finding(
                    "NP006",
                    "high",
                    f"{label} uses namespace label {key}={value}, which no namespace "
                    f"carries; namespace {value} exists but is not labelled so",
                    (ref,),
                    "select the namespace by name with "
                    f"{NAMESPACE_NAME_LABEL}: {value}",
                )
    return Finding(
        "NP006",
        "medium",
        f"{label} matches no pod in the cluster",
        (ref,),
        "check the peer's labels against the pods and namespaces it should match",
    )


def _port_checks(
    cluster: Cluster,
    policy: NetworkPolicy,
    where: str,
    rule: PolicyRule,
    destinations: list[Workload],
    ref: ObjectRef,
) -> Iterator[Finding]:
    declared = {(p.protocol, p.port) for w in destinations for p in w.ports}
    for entry in rule.ports:
        if entry.protocol == "SCTP":
            yield Finding(
                "NP013",
                "info",
                f"{where} uses SCTP, which not every network plugin enforces",
                (ref,),
                "check that your network plugin supports SCTP policies",
            )
        if entry.end_port is not None:
            yield Finding(
                "NP011",
                "low",
                f"{where} uses endPort {entry.port}-{entry.end_port}; plugins that do "
                "not support endPort treat it as the single port "
                f"{entry.port}",
                (ref,),
                "check that your network plugin supports endPort, or list the ports",
            )
        if not destinations or entry.port is None:
            continue
        if isinstance(entry.port, str):
            names = {
                p.protocol
                for w in destinations
                for p in w.ports
                if p.name == entry.port
            }
            if not names:
                yield Finding(
                    "NP009",
                    "medium",
                    f"{where} names port {entry.port}, which no destination pod "
                    "declares: it admits nothing",
                    (ref,),
                    "use a port name the pods declare in containerPorts, or the "
                    "port number",
                )
            elif entry.protocol not in names:
                yield Finding(
                    "NP010",
                    "medium",
                    f"{where} names port {entry.port} over {entry.protocol}, but the "
                    f"pods declare it over {', '.join(sorted(names))}",
                    (ref,),
                    f"set protocol: {sorted(names)[0]}",
                )
            continue
        hi = entry.end_port or entry.port
        hit = any(
            proto == entry.protocol and entry.port <= num <= hi
            for proto, num in declared
        )
        if hit:
            continue
        other = sorted(
            proto
            for proto, num in declared
            if proto != entry.protocol and entry.port <= num <= hi
        )
        if other:
            yield Finding(
                "NP010",
                "medium",
                f"{where} admits {entry.protocol} {entry.port}, but the pods serve "
                f"that port over {', '.join(other)}",
                (ref,),
                f"set protocol: {other[0]}",
            )
            continue
        for svc in cluster.services.values():
            for sp in svc.ports:
                if sp.port != entry.port or sp.protocol != entry.protocol:
                    continue
                backends = [w for w in cluster.backends(svc) if w in destinations]
                if not backends or sp.target_port == sp.port:
                    continue
                target = sp.target_port
                if isinstance(target, str):
                    numbers = {backends[0].named_port(target, sp.protocol)}
                    target = f"{target} ({', '.join(str(n) for n in numbers)})"
                yield Finding(
                    "NP008",
                    "high",
                    f"{where} admits port {entry.port}, which is a port of Service "
                    f"{svc.key}; its pods listen on targetPort {target}, so the rule "
                    "admits nothing to them",
                    (ref, _ref(svc)),
                    f"replace port {entry.port} with the pod port {target}: "
                    "NetworkPolicy ports are container ports",
                )
                break


def _dns_servers(cluster: Cluster) -> list[Workload]:
    return [
        w
        for w in cluster.workloads_in("kube-system")
        if w.labels.get("k8s-app") in ("kube-dns", "coredns")
    ]


def _dns(cluster: Cluster) -> Iterator[Finding]:
    engine = engine_of(cluster)
    servers = _dns_servers(cluster)
    for c in engine.index.classes:
        if not engine.egress_policies[c.index]:
            continue
        w = c.representative
        missing = []
        for protocol in ("UDP", "TCP"):
            if servers:
                ok = all(
                    can_reach(cluster, w.key, s.key, 53, protocol).allowed
                    for s in servers
                )
            else:
                ok = _egress_allows_port_anywhere(engine, c.index, protocol)
            if not ok:
                missing.append(f"53/{protocol}")
        if not missing:
            continue
        target = ", ".join(s.key for s in servers) if servers else "any DNS server"
        isolating = tuple(_ref(p) for p in engine.egress_policies[c.index])
        for member in c.members:
            yield Finding(
                "NP007",
                "high",
                f"{member.key} is egress-isolated and cannot reach DNS ({target}) on "
                f"{' and '.join(missing)}",
                (_ref(member), *isolating),
                "add an egress rule to namespaceSelector kubernetes.io/metadata.name: "
                "kube-system, podSelector k8s-app: kube-dns on 53/UDP and 53/TCP",
            )


def _egress_allows_port_anywhere(engine, index: int, protocol: str) -> bool:
    from ztlab.netpol.ports import rule_ports

    for rule in engine.egress_rules[index]:
        if (protocol, 53) in rule_ports(rule.rule.ports, None):
            return True
    return False
