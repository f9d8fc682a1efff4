"""The flows allowed end to end today: NetworkPolicy, then mTLS, then authorization.

An export whose intent is "the current flows" must never widen anything, so
where the mesh applies a flow counts only on the ports where NetworkPolicy
allows it, the mesh does not reject the connection and authorization allows
it. The mesh is asked per TCP port the destination listens on, as
:func:`ztlab.reach.flow_mesh` does; UDP and SCTP pass the mesh unproxied.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any

from ztlab.errors import QueryError
from ztlab.model import Cluster, PortSet, Workload
from ztlab.synth.intent import IntentFlow

__all__ = ["allowed_now"]

_PLAIN_HTTP_FIELD = re.compile(r"^to\[\d+\]\.operation\.(methods|paths)$")
_IP_SOURCE_FIELDS = ("ipBlocks", "notIpBlocks", "remoteIpBlocks", "notRemoteIpBlocks")
_IP_KEYS = ("source.ip", "remote.ip")
_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def allowed_now(cluster: Cluster) -> tuple[list[IntentFlow], list[str]]:
    """The flows allowed end to end now, and notes on the flows left out.

    Only definitely allowed NetworkPolicy ports count. Where the mesh applies:

    - a TCP flow with a proxy on either side keeps the destination's listening
      ports (declared container ports and Service target ports) on which the
      mesh neither rejects the connection nor denies it; a destination without
      a proxy also keeps its other ports when the mesh passes them;
    - an external range calling a meshed workload is split by the ipBlocks of
      the workload's AuthorizationPolicies, and each part is asked separately;
    - on an HTTP port whose AuthorizationPolicies use HTTP fields, the flow
      keeps exactly the ``methods`` and ``paths`` of the ALLOW rules that admit
      the caller (see :func:`_http_operations`).

    Limitations: TCP ports that a meshed destination does not declare are left
    out (the intent narrows, never widens); HTTP-level authorization is kept
    only where ALLOW rules name plain ``methods``/``paths``: a caller whose
    access depends on a DENY or CUSTOM rule with HTTP fields, on hosts,
    headers, JWT claims or ``not*`` HTTP fields is left out and named in the
    notes.

    >>> import ztlab
    >>> c = ztlab.load("sample_clusters/bookinfo-mesh")
    >>> flows, _ = allowed_now(c)
    >>> tcp = [f for f in flows if "TCP" in f.ports.protocols]
    >>> sorted(f.src for f in tcp if f.dst == "bookinfo/productpage")
    ['istio-system/istio-ingressgateway']
    """
    from ztlab.mesh import mesh_applies, mesh_of
    from ztlab.netpol import flows

    mesh = mesh_of(cluster) if mesh_applies(cluster) else None
    out: list[IntentFlow] = []
    notes: list[str] = []
    for f in flows(cluster):
        if f.ports.is_empty():
            continue
        if mesh is None or f.dst_kind != "workload":
            out.append(IntentFlow(f.src, f.dst, f.ports))
            continue
        out.extend(_through_mesh(cluster, mesh, f, notes))
    return out, notes


def _listening(cluster: Cluster, w: Workload) -> set[int]:
    """TCP container ports and numeric Service target ports of a workload."""
    ports = {p.port for p in w.ports if p.protocol == "TCP"}
    for svc in cluster.services_of(w):
        for sp in svc.ports:
            if sp.protocol != "TCP":
                continue
            number: int | None
            if isinstance(sp.target_port, int):
                number = sp.target_port
            elif str(sp.target_port).isdigit():
                number = int(sp.target_port)
            else:
                number = w.named_port(str(sp.target_port), "TCP")
            if number is not None:
                ports.add(number)
    return ports


def _through_mesh(cluster: Cluster, mesh: Any, f: Any, notes: list[str]) -> list:
    dst = cluster.workloads[f.dst]
    src = cluster.workloads[f.src] if f.src_kind == "workload" else None
    dst_meshed = mesh.dataplane(dst).meshed
    src_meshed = src is not None and mesh.dataplane(src).meshed
    if not dst_meshed and not src_meshed:
        return [IntentFlow(f.src, f.dst, f.ports)]
    tcp = f.ports.restrict("TCP")
    unproxied = f.ports - tcp
    listening = sorted(p for p in _listening(cluster, dst) if ("TCP", p) in tcp)
    sources = [(f.src, None)] if src is not None else _external_parts(cluster, f)
    out: list[IntentFlow] = []
    for name, ip in sources:
        l4 = unproxied
        for port in listening:
            ops = _port(cluster, mesh, src, ip, dst, port, f"{name} -> {f.dst}", notes)
            for methods, paths in ops:
                if methods or paths:
                    out.append(
                        IntentFlow(name, f.dst, PortSet.of("TCP", port), methods, paths)
                    )
                else:
                    l4 = l4 | PortSet.of("TCP", port)
        rest = tcp
        for port in listening:
            rest = rest - PortSet.of("TCP", port)
        if not dst_meshed and not rest.is_empty():
            # Without a Service on the port no DestinationRule applies: one port
            # stands for all of them.
            probe = rest.ranges("TCP")[0][0]
            if _verdict(mesh, src, ip, dst, probe).allowed:
                l4 = l4 | rest
        if not l4.is_empty():
            out.append(IntentFlow(name, f.dst, l4))
    return out


def _verdict(mesh: Any, src: Workload | None, ip: str | None, dst: Workload, port: int):
    return mesh.evaluate(src, dst, dst_port=port, src_ip=ip)


def _port(
    cluster: Cluster,
    mesh: Any,
    src: Workload | None,
    ip: str | None,
    dst: Workload,
    port: int,
    flow: str,
    notes: list[str],
) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """What one port admits: [] nothing, [((), ())] every request, or HTTP
    (methods, paths) pairs."""
    try:
        verdict = _verdict(mesh, src, ip, dst, port)
    except QueryError:
        return []
    if verdict.mtls == "rejected":
        return []
    if mesh.dataplane(dst).meshed:
        custom = _custom(cluster, src, ip, dst, port, verdict)
        if custom is not None:
            notes.append(
                f"{flow} port {port} left out: {custom} (CUSTOM) hands it to an "
                "external authorizer, which the export cannot reproduce"
            )
            return []
    http = _http_operations(cluster, src, ip, dst, port, verdict, flow, notes)
    if http is not None:
        return http
    return [((), ())] if verdict.allowed else []


def _external_parts(cluster: Cluster, f: Any) -> list[tuple[str, str]]:
    """The external range split so that each part meets the same ipBlocks."""
    from ztlab.mesh.authz import applicable_policies

    blocks: list[_Network] = []
    for policy in applicable_policies(cluster, cluster.workloads[f.dst]):
        for rule in _rules(policy):
            for text in _ip_patterns(rule):
                try:
                    blocks.append(ipaddress.ip_network(text, strict=False))
                except ValueError:
                    continue
    pieces = [ipaddress.ip_network(f.src, strict=False)]
    for block in blocks:
        split: list[_Network] = []
        for piece in pieces:
            inside = piece.version == block.version and block != piece
            if inside and block.subnet_of(piece):  # type: ignore[arg-type]
                split.append(block)
                split.extend(piece.address_exclude(block))  # type: ignore[arg-type]
            else:
                split.append(piece)
        pieces = split
    out = []
    for piece in sorted(pieces, key=lambda n: (n.version, n)):
        first = piece.network_address + (1 if piece.num_addresses > 1 else 0)
        out.append((str(piece), str(first)))
    return out


def _rules(policy: Any) -> list[Mapping[str, Any]]:
    return [r for r in policy.spec.get("rules") or () if isinstance(r, Mapping)]


def _ip_patterns(rule: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    for entry in rule.get("from") or ():
        source = entry.get("source") if isinstance(entry, Mapping) else None
        for key in _IP_SOURCE_FIELDS:
            out += [str(v) for v in (source or {}).get(key) or ()]
    for cond in rule.get("when") or ():
        if isinstance(cond, Mapping) and cond.get("key") in _IP_KEYS:
            out += [str(v) for v in cond.get("values") or ()]
            out += [str(v) for v in cond.get("notValues") or ()]
    return out


def _http_operations(
    cluster: Cluster,
    src: Workload | None,
    ip: str | None,
    dst: Workload,
    port: int,
    verdict: Any,
    flow: str,
    notes: list[str],
) -> list[tuple[tuple[str, ...], tuple[str, ...]]] | None:
    """None when authorization on this port does not depend on the request;
    else the (methods, paths) that the ALLOW rules admitting the caller name.

    A request-less verdict is no answer on such a port: an ALLOW rule naming
    methods never matches it and a DENY rule naming methods never fires.
    """
    from ztlab.mesh.authz import action_of, applicable_policies
    from ztlab.mesh.rules import http_only_fields, strip_http

    policies = applicable_policies(cluster, dst)
    if verdict.protocol != "http" or not any(
        http_only_fields(r) for p in policies for r in _rules(p)
    ):
        return None
    ctx = _context(cluster, src, ip, port, verdict)
    where = f"{flow} port {port}"
    allows = []
    for policy in policies:
        action = action_of(policy)
        if action == "ALLOW":
            allows.append(policy)
            continue
        if action not in ("DENY", "CUSTOM"):
            continue
        for i, rule in enumerate(_rules(policy)):
            if not _matches(strip_http(rule), action, ctx):
                continue
            if http_only_fields(rule) or action == "CUSTOM":
                notes.append(
                    f"{where} left out: {policy.id} rules[{i}] ({action}) may decide "
                    "some requests and the export writes no such rule"
                )
            return []
    if not allows:
        return [((), ())]
    out: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
    for policy in allows:
        for i, rule in enumerate(_rules(policy)):
            other = [
                f for f in http_only_fields(rule) if not _PLAIN_HTTP_FIELD.match(f)
            ]
            operations = [
                e.get("operation") or {}
                for e in rule.get("to") or ()
                if isinstance(e, Mapping)
            ] or [{}]
            for op in operations:
                one = {**rule, "to": [{"operation": op}]} if rule.get("to") else rule
                if not _matches(strip_http(one), "ALLOW", ctx):
                    continue
                if other:
                    notes.append(
                        f"{where}: {policy.id} rules[{i}] is left out: it uses "
                        f"{', '.join(other)}, which the export does not reproduce"
                    )
                    break
                methods = tuple(str(m) for m in op.get("methods") or ())
                paths = tuple(str(p) for p in op.get("paths") or ())
                if not methods and not paths:
                    return [((), ())]
                out.append((methods, paths))
    return sorted(set(out))


def _context(
    cluster: Cluster, src: Workload | None, ip: str | None, port: int, verdict: Any
) -> Any:
    """The L4 part of what the server-side proxy knows of the caller."""
    from ztlab.mesh.authz import RequestContext
    from ztlab.mesh.identity import principal

    mutual = verdict.mtls == "mutual" and src is not None
    return RequestContext(
        principal=principal(cluster, src) if mutual and src is not None else None,
        namespace=src.namespace if mutual and src is not None else None,
        source_ip=ip or (src.pod_ips[0] if src is not None and src.pod_ips else None),
        port=port,
        http=False,
    )


def _custom(
    cluster: Cluster,
    src: Workload | None,
    ip: str | None,
    dst: Workload,
    port: int,
    verdict: Any,
) -> str | None:
    """The id of a CUSTOM policy that sends this caller to an external authorizer."""
    from ztlab.mesh.authz import action_of, applicable_policies
    from ztlab.mesh.rules import strip_http

    ctx = _context(cluster, src, ip, port, verdict)
    for policy in applicable_policies(cluster, dst):
        if action_of(policy) == "CUSTOM" and any(
            _matches(strip_http(r), "CUSTOM", ctx) for r in _rules(policy)
        ):
            return str(policy.id)
    return None


def _matches(rule: Mapping[str, Any], action: str, ctx: Any) -> bool:
    from ztlab.mesh.authz import rule_matches

    return rule_matches(rule, action, ctx)[0]
