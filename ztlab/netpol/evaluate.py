"""Answer one reachability query directly from the policies, with reasons.

This evaluator walks the policies of the two namespaces involved, so a single
query is cheap and every step can be explained. ``ztlab.netpol.engine`` computes
all flows at once and is checked against this one in the tests.
"""

from __future__ import annotations

from dataclasses import replace

from ztlab.errors import QueryError
from ztlab.model import Cluster, NetworkPolicy, PolicyPeer, PortSet, Service, Workload
from ztlab.netpol.endpoints import Endpoint, External, Match, parse_endpoint, peer_match
from ztlab.netpol.explain import near_misses, port_miss
from ztlab.netpol.ports import rule_ports
from ztlab.netpol.verdict import RuleRef, Side, Verdict

__all__ = ["can_reach", "evaluate_side", "isolating_policies", "host_network_note"]

host_network_note = (
    "{key} uses hostNetwork: whether policies select it is up to the network "
    "plugin (most treat its traffic as node traffic)"
)


def isolating_policies(
    cluster: Cluster, workload: Workload, direction: str
) -> list[NetworkPolicy]:
    """The policies that select ``workload`` and list ``direction``."""
    return [
        p
        for p in cluster.policies_in(workload.namespace)
        if direction in p.policy_types and p.pod_selector.matches(workload.labels)
    ]


def _describe(endpoint: Endpoint) -> str:
    return endpoint.key


def evaluate_side(
    cluster: Cluster, direction: str, pod: Endpoint, other: Endpoint, dst: Endpoint
) -> Side:
    """What ``pod``'s policies of one direction admit from/to ``other``.

    ``dst`` is the destination of the flow; named ports resolve on it.
    """
    if isinstance(pod, External):
        return Side(
            direction,
            pod.key,
            (),
            (),
            PortSet.all(),
            PortSet.all(),
            "external endpoint: no NetworkPolicy applies to it",
        )
    policies = isolating_policies(cluster, pod, direction)
    if not policies:
        return Side(
            direction,
            pod.key,
            (),
            (),
            PortSet.all(),
            PortSet.all(),
            f"{pod.key} is not isolated for {direction.lower()}: no policy selects "
            f"it with {direction} in policyTypes, so everything is allowed",
        )
    destination = dst if isinstance(dst, Workload) else None
    allowed: list[RuleRef] = []
    ports = PortSet.empty()
    possible = PortSet.empty()
    near: list[tuple[int, str]] = []
    for policy in policies:
        for rule in policy.rules(direction):
            rule_set = rule_ports(rule.ports, destination)
            match, peer_index = _rule_peers(cluster, policy, rule.peers, other)
            if match is Match.NO:
                near.extend(near_misses(cluster, policy, direction, rule, other))
                continue
            if rule_set.is_empty():
                near.append(
                    (
                        1,
                        port_miss(
                            policy, direction, rule.index, rule.ports, destination
                        ),
                    )
                )
                continue
            possible = possible | rule_set
            if match is Match.YES:
                ports = ports | rule_set
                allowed.append(
                    RuleRef(
                        policy.key, direction, rule.index, peer_index, policy.provenance
                    )
                )
    names = tuple(p.key for p in policies)
    shown = ", ".join(names)
    if allowed:
        reason = (
            f"{pod.key} is isolated for {direction.lower()} by {shown}; "
            f"{', '.join(str(r) for r in allowed)} admits {_describe(other)} on {ports}"
        )
    elif not possible.is_empty():
        reason = (
            f"{pod.key} is isolated for {direction.lower()} by {shown}; only an "
            f"ipBlock may admit {_describe(other)}, and whether ipBlock matches pod "
            "IPs is up to the network plugin"
        )
    else:
        reason = (
            f"{pod.key} is isolated for {direction.lower()} by {shown}, and no "
            f"{direction.lower()} rule admits {_describe(other)}"
        )
    closest = min(near)[1] if near and not allowed else None
    return Side(
        direction, pod.key, names, tuple(allowed), ports, possible, reason, closest
    )


def _rule_peers(
    cluster: Cluster,
    policy: NetworkPolicy,
    peers: tuple[PolicyPeer, ...],
    other: Endpoint,
) -> tuple[Match, int | None]:
    if not peers:
        return Match.YES, None
    best = Match.NO
    for i, peer in enumerate(peers):
        match = peer_match(cluster, policy, peer, other)
        if match is Match.YES:
            return Match.YES, i
        if match is Match.MAYBE:
            best = Match.MAYBE
    return best, None


def _resolve_port(
    dst: Endpoint, port: int | str | None, protocol: str
) -> tuple[int | None, str | None]:
    if port is None or isinstance(port, int):
        return port, None
    if port.isdigit():
        return int(port), None
    if isinstance(dst, External):
        raise QueryError(f"a named port ({port}) needs a workload destination")
    number = dst.named_port(port, protocol)
    if number is None:
        declared = ", ".join(
            f"{p.port}/{p.protocol}" + (f" ({p.name})" if p.name else "")
            for p in dst.ports
        )
        raise QueryError(
            f"{dst.key} declares no {protocol} port named {port!r}; its ports are "
            f"{declared or 'none'}: give a number or one of those names"
        )
    return number, None


def _pair(
    cluster: Cluster,
    src: Endpoint,
    dst: Endpoint,
    port: int | str | None,
    protocol: str,
) -> Verdict:
    if src is dst and isinstance(src, Workload) and _single_pod(src):
        # "A pod cannot block access to itself" (the NetworkPolicy concept page).
        number, missing = _resolve_port(dst, port, protocol)
        return Verdict(
            src=src.key,
            dst=dst.key,
            protocol=protocol,
            port=port,
            allowed=missing is None,
            definite=True,
            ports=PortSet.all(),
            egress=None,
            ingress=None,
            reasons=(
                missing
                or f"{src.key} is one pod, and a pod cannot block "
                "access to itself: NetworkPolicy does not apply",
            ),
            target_ports=(number,) if number else (),
        )
    egress = evaluate_side(cluster, "Egress", src, dst, dst)
    ingress = evaluate_side(cluster, "Ingress", dst, src, dst)
    lower = egress.ports & ingress.ports
    upper = egress.possible & ingress.possible
    number, missing = _resolve_port(dst, port, protocol)
    reasons: list[str] = []
    if missing:
        allowed, definite = False, True
        reasons.append(missing)
    elif number is None:
        allowed = not lower.restrict(protocol).is_empty()
        definite = allowed or upper.restrict(protocol).is_empty()
    else:
        allowed = (protocol, number) in lower
        definite = allowed or (protocol, number) not in upper
    if not missing:
        failing = [
            _not_this_port(s, protocol, number)
            for s in (egress, ingress)
            if not _admits(s, protocol, number)
        ]
        if allowed or not failing:
            reasons += [egress.reason, ingress.reason]
        else:
            reasons += failing
        if not allowed and not failing:
            reasons.append(
                f"egress admits {egress.ports.restrict(protocol)} and ingress admits "
                f"{ingress.ports.restrict(protocol)}: no port in common"
            )
    for side in (egress, ingress):
        if side.closest and not allowed:
            reasons.append(f"closest rule: {side.closest}")
    for end in (src, dst):
        if isinstance(end, Workload) and end.host_network:
            definite = False
            reasons.append(host_network_note.format(key=end.key))
    if not definite and not any("ipBlock" in r or "hostNetwork" in r for r in reasons):
        reasons.append("an ipBlock may match pod IPs, which are unknown here")
    return Verdict(
        src=src.key,
        dst=dst.key,
        protocol=protocol,
        port=port,
        allowed=allowed,
        definite=definite,
        ports=lower,
        egress=egress,
        ingress=ingress,
        reasons=tuple(reasons),
        target_ports=(number,) if number else (),
    )


def _not_this_port(side: Side, protocol: str, number: int | None) -> str:
    """A side's reason, made plain when its rules admit the peer on other ports."""
    if not side.allowed_by or number is None:
        return side.reason
    return (
        f"{side.reason}, but not {protocol} {number}: no rule that admits the peer "
        f"names that port"
    )


def _single_pod(workload: Workload) -> bool:
    return workload.kind == "Pod" or workload.replicas == 1


def _admits(side: Side, protocol: str, number: int | None) -> bool:
    if number is None:
        return not side.ports.restrict(protocol).is_empty()
    return (protocol, number) in side.ports


def _service_ref(cluster: Cluster, text: str) -> Service | None:
    if text.startswith("svc:"):
        return cluster.service(text[4:])
    return None


def can_reach(
    cluster: Cluster,
    src: str,
    dst: str,
    port: int | str | None = None,
    protocol: str = "TCP",
) -> Verdict:
    """May ``src`` open a connection to ``dst`` on ``protocol``/``port``?

    ``src`` and ``dst`` are workloads (``ns/name``), Services (``svc:ns/name``:
    the port is the Service port, translated to each backend's targetPort) or
    IP addresses and CIDRs. Without a port the answer is whether any port is
    allowed; ``verdict.ports`` lists them.

    >>> import ztlab
    >>> cluster = ztlab.load("sample_clusters/online-boutique")
    >>> v = cluster.can_reach("boutique/loadgenerator", "boutique/frontend", 8080)
    >>> v.allowed, v.definite
    (True, True)
    """
    if protocol not in ("TCP", "UDP", "SCTP"):
        raise QueryError(f"unknown protocol {protocol!r}; use TCP, UDP or SCTP")
    src_service = _service_ref(cluster, src)
    dst_service = _service_ref(cluster, dst)
    sources = (
        cluster.backends(src_service) if src_service else [parse_endpoint(cluster, src)]
    )
    if src_service and not sources:
        raise QueryError(f"service {src} selects no workload to send from")
    if dst_service is None:
        dst_end = parse_endpoint(cluster, dst)
        verdicts = [_pair(cluster, s, dst_end, port, protocol) for s in sources]
        if len(verdicts) == 1:
            return verdicts[0]
        return _combine(src, dst, port, protocol, verdicts)
    return _via_service(cluster, src, dst_service, list(sources), port, protocol)


def _via_service(
    cluster: Cluster,
    src: str,
    service: Service,
    sources: list[Endpoint],
    port: int | str | None,
    protocol: str,
) -> Verdict:
    backends = cluster.backends(service)
    name = f"svc:{service.key}"
    if port is None:
        entries = [p for p in service.ports if p.protocol == protocol]
    else:
        entries = [
            p
            for p in service.ports
            if p.protocol == protocol
            and (p.port == port or p.name == port or str(p.port) == str(port))
        ]
    if not entries:
        raise QueryError(
            f"service {service.key} has no {protocol} port {port}; its ports are "
            + ", ".join(f"{p.port}/{p.protocol}" for p in service.ports)
        )
    if not backends:
        return Verdict(
            src,
            name,
            protocol,
            port,
            False,
            True,
            PortSet.empty(),
            None,
            None,
            (f"service {service.key} selects no workload",),
        )
    verdicts = []
    for backend in backends:
        for entry in entries:
            target = entry.target_port
            if isinstance(target, str):
                resolved = backend.named_port(target, protocol)
                if resolved is None:
                    verdicts.append(
                        Verdict(
                            src,
                            backend.key,
                            protocol,
                            target,
                            False,
                            True,
                            PortSet.empty(),
                            None,
                            None,
                            (
                                f"targetPort {target} of {service.key} is not "
                                "declared by "
                                f"{backend.key}, so the Service has no endpoint there",
                            ),
                        )
                    )
                    continue
                target = resolved
            via = (
                f"Service port {entry.port} of {service.key} targets port {target} "
                f"of {backend.key}"
            )
            for s in sources:
                v = _pair(cluster, s, backend, target, protocol)
                verdicts.append(replace(v, reasons=(via, *v.reasons)))
    return _combine(src, name, port, protocol, verdicts)


def _combine(
    src: str, dst: str, port: int | str | None, protocol: str, verdicts: list[Verdict]
) -> Verdict:
    allowed_all = all(v.allowed for v in verdicts)
    allowed_any = any(v.allowed for v in verdicts)
    definite = all(v.definite for v in verdicts) and allowed_all == allowed_any
    reasons: tuple[str, ...]
    if allowed_all:
        reasons = ("every backend allows it",)
    elif allowed_any:
        ok = ", ".join(v.dst for v in verdicts if v.allowed)
        no = ", ".join(v.dst for v in verdicts if not v.allowed)
        reasons = (f"depends on the backend chosen: allowed to {ok}, denied to {no}",)
    else:
        reasons = tuple(dict.fromkeys(r for v in verdicts for r in v.reasons))
    ports = PortSet.empty()
    for v in verdicts:
        ports = ports | v.ports
    targets = tuple(sorted({t for v in verdicts for t in v.target_ports}))
    return Verdict(
        src,
        dst,
        protocol,
        port,
        allowed_all,
        definite,
        ports,
        verdicts[0].egress,
        verdicts[0].ingress,
        reasons,
        targets,
        tuple(verdicts),
    )
