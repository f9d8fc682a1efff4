"""Istio policies from a plan: STRICT mTLS, per-workload ALLOW, DR corrections.

- PeerAuthentication STRICT in every governed namespace that has proxies, and
  mesh-wide in the root namespace when every meshed namespace is governed. A
  workload port gets PERMISSIVE only where an intended caller has no sidecar
  (or is outside the cluster); each such port is reported as a finding.
- AuthorizationPolicy ``allow-nothing`` (``spec: {}``) per governed namespace,
  and one ALLOW policy per selected workload admitting its intended callers'
  principals on the intended ports, with HTTP methods and paths where the
  intent names them and the port speaks HTTP.
- A DestinationRule that sends plaintext or non-Istio TLS to a server that is
  STRICT after the export is switched to ISTIO_MUTUAL.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from ztlab.findings import Finding, ObjectRef
from ztlab.model import IstioResource, PortSet, Workload
from ztlab.model.ports import MAX_PORT, MIN_PORT
from ztlab.synth.generated import Generated, manifest
from ztlab.synth.intent import is_cidr
from ztlab.synth.plan import Plan

__all__ = ["istio_policies", "fix_destination_rule"]

SECURITY = "security.istio.io/v1"
NETWORKING = "networking.istio.io/v1"
NON_ISTIO_TLS = ("DISABLE", "SIMPLE", "MUTUAL")
_MAX_LISTED_PORTS = 64
_MAX_OPERATION_PORTS = 256


def _ref(obj: Any) -> ObjectRef:
    return ObjectRef(obj.id, obj.provenance)


def istio_policies(plan: Plan) -> tuple[list[Generated], list[Finding]]:
    """The Istio objects of the export and the findings they come with.

    >>> import ztlab
    >>> from ztlab.synth.intent import from_current
    >>> from ztlab.synth.plan import make_plan
    >>> c = ztlab.load("sample_clusters/bookinfo-mesh")
    >>> objs, _ = istio_policies(make_plan(c, from_current(c)))
    >>> sorted({g.kind for g in objs})
    ['AuthorizationPolicy', 'DestinationRule', 'PeerAuthentication']
    """
    from ztlab.mesh import mesh_of

    cluster = plan.cluster
    mesh = mesh_of(cluster)
    meshed = {k for k, w in cluster.workloads.items() if mesh.dataplane(w).meshed}
    if not meshed:
        return [], []
    findings: list[Finding] = []
    out: list[Generated] = []
    meshed_ns = sorted({k.split("/", 1)[0] for k in meshed})
    governed_meshed = [ns for ns in meshed_ns if ns in plan.governed]
    root = cluster.root_namespace
    if set(meshed_ns) <= set(plan.governed):
        out.append(_strict(root, "the whole mesh"))
    for ns in governed_meshed:
        if ns != root:
            out.append(_strict(ns, f"namespace {ns}"))
    groups = _groups(plan, meshed)
    for key in sorted(groups):
        ns, labels = key
        members = groups[key]
        permissive = _permissive_ports(plan, mesh, members)
        if permissive:
            out.append(_port_permissive(ns, labels, members, permissive))
            for port, callers in sorted(permissive.items()):
                findings.append(
                    Finding(
                        "synth.permissive-for-plaintext-caller",
                        "medium",
                        f"{', '.join(members)} port {port} is PERMISSIVE because "
                        f"intended callers have no sidecar: {', '.join(callers)}",
                        tuple(_ref(cluster.workloads[m]) for m in members),
                        "inject a sidecar into those callers, then set the port STRICT",
                        category="mesh",
                    )
                )
    for ns in governed_meshed:
        if ns != root:
            out.append(
                Generated(
                    manifest(SECURITY, "AuthorizationPolicy", ns, "allow-nothing", {}),
                    f"Baseline: an ALLOW policy without rules, so nothing in {ns} is "
                    "allowed unless a policy below allows it.",
                )
            )
    for key in sorted(groups):
        generated, found = _allow(plan, mesh, key, groups[key])
        out.append(generated)
        findings.extend(found)
    for dr in cluster.istio_of_kind("DestinationRule"):
        fixed = fix_destination_rule(plan, mesh, dr)
        if fixed is not None:
            out.append(fixed)
    return out, findings


def _strict(ns: str, scope: str) -> Generated:
    return Generated(
        manifest(
            SECURITY, "PeerAuthentication", ns, "default", {"mtls": {"mode": "STRICT"}}
        ),
        f"Accepts only Istio mTLS in {scope}.",
    )


def _groups(plan: Plan, meshed: set[str]) -> dict[tuple, list[str]]:
    groups: dict[tuple, list[str]] = {}
    for key in sorted(meshed):
        if not plan.is_governed(key):
            continue
        w = plan.cluster.workloads[key]
        labels = tuple(plan.selections[key].labels.items())
        groups.setdefault((w.namespace, labels), []).append(key)
    return groups


def _callers(plan: Plan, members: list[str]) -> dict[str, PortSet]:
    """Intended callers of the group with the ports granted to every member."""
    out: dict[str, PortSet] = {}
    for (src, dst), ports in plan.granted.items():
        if dst in members and not ports.is_empty():
            out[src] = out.get(src, PortSet.empty()) | ports
    return out


def _permissive_ports(
    plan: Plan, mesh: Any, members: list[str]
) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for src, ports in _callers(plan, members).items():
        plaintext = is_cidr(src) or not mesh.dataplane(src).meshed
        if not plaintext:
            continue
        for lo, hi in ports.ranges("TCP"):
            for port in _declared_in(plan, members, lo, hi):
                out.setdefault(port, []).append(src)
    return {p: sorted(set(c)) for p, c in out.items()}


def _declared_in(plan: Plan, members: list[str], lo: int, hi: int) -> list[int]:
    ports = {
        p.port
        for m in members
        for p in plan.cluster.workloads[m].ports
        if p.protocol == "TCP" and lo <= p.port <= hi
    }
    if hi - lo < _MAX_LISTED_PORTS:
        ports |= set(range(lo, hi + 1))
    return sorted(ports)


def _selector(labels: tuple) -> dict[str, Any]:
    return {"matchLabels": dict(labels)}


def _port_permissive(
    ns: str, labels: tuple, members: list[str], ports: dict[int, list[str]]
) -> Generated:
    name = members[0].split("/", 1)[1] + "-permissive-ports"
    spec = {
        "selector": _selector(labels),
        "mtls": {"mode": "STRICT"},
        "portLevelMtls": {str(p): {"mode": "PERMISSIVE"} for p in sorted(ports)},
    }
    callers = sorted({c for cs in ports.values() for c in cs})
    return Generated(
        manifest(SECURITY, "PeerAuthentication", ns, name, spec),
        f"{', '.join(members)}: STRICT, except PERMISSIVE on container ports "
        f"{', '.join(str(p) for p in sorted(ports))} for callers without a sidecar "
        f"({', '.join(callers)}).",
    )


def _http_port(plan: Plan, w: Workload, port: int) -> bool:
    from ztlab.mesh import protocol_of

    for svc in plan.cluster.services_of(w):
        for sp in svc.ports:
            target = sp.target_port
            if not isinstance(target, int):
                target = w.named_port(str(target), sp.protocol) or -1
            if target == port:
                return protocol_of(sp) == ("http", True)
    return False


def _operation_ports(ports: PortSet) -> list[str] | None:
    tcp = ports.ranges("TCP")
    if tcp == ((MIN_PORT, MAX_PORT),):
        return None
    if sum(hi - lo + 1 for lo, hi in tcp) > _MAX_OPERATION_PORTS:
        # AuthorizationPolicy has no port ranges; the NetworkPolicy keeps the range.
        return None
    return [str(p) for lo, hi in tcp for p in range(lo, hi + 1)]


def _allow(
    plan: Plan, mesh: Any, key: tuple, members: list[str]
) -> tuple[Generated, list[Finding]]:
    from ztlab.mesh.identity import principal

    cluster = plan.cluster
    ns, labels = key
    findings: list[Finding] = []
    operations: dict[tuple[tuple[str, ...], ...], list[tuple[str, str]]] = {}
    first = cluster.workloads[members[0]]
    for src, ports in sorted(_callers(plan, members).items()):
        tcp = ports.restrict("TCP")
        if tcp.is_empty():
            continue
        if is_cidr(src):
            source = ("ipBlocks", src)
        elif mesh.dataplane(src).meshed:
            source = ("principals", principal(cluster, cluster.workloads[src]))
        else:
            source = ("notPrincipals", "*")
        http = [f for m in members for f in plan.http.get((src, m), [])]
        plain = tcp
        for f in http:
            for _, (lo, hi) in f.ports.restrict("TCP"):
                for port in range(lo, hi + 1):
                    if not _http_port(plan, first, port):
                        findings.append(_http_on_tcp(src, members, port, first))
                        continue
                    op = (
                        (str(port),),
                        tuple(sorted(f.methods)),
                        tuple(sorted(f.paths)),
                    )
                    operations.setdefault(op, []).append(source)
                    plain = plain - PortSet.of("TCP", port)
        if not plain.is_empty():
            listed = _operation_ports(plain)
            l4: tuple[tuple[str, ...], ...] = (tuple(listed or ()), (), ())
            operations.setdefault(l4, []).append(source)
    rules = []
    notes = []
    for (ports_, methods, paths), sources in sorted(operations.items()):
        rule: dict[str, Any] = {"from": _sources(sources)}
        operation: dict[str, Any] = {}
        if ports_:
            operation["ports"] = list(ports_)
        if methods:
            operation["methods"] = list(methods)
        if paths:
            operation["paths"] = list(paths)
        if operation:
            rule["to"] = [{"operation": operation}]
        rules.append(rule)
        what = f"ports {', '.join(ports_)}" if ports_ else "every port"
        if methods or paths:
            what += f" ({' '.join(methods)} {' '.join(paths)})".rstrip()
        notes.append(f"{', '.join(sorted({s[1] for s in sources}))} on {what}")
    spec: dict[str, Any] = {"selector": _selector(labels), "action": "ALLOW"}
    if rules:
        spec["rules"] = rules
    name = members[0].split("/", 1)[1] + "-allow"
    comment = (
        f"{', '.join(members)}: allows " + "; ".join(notes)
        if notes
        else f"{', '.join(members)}: allows nothing (no intended caller)"
    )
    return (
        Generated(
            manifest(SECURITY, "AuthorizationPolicy", ns, name, spec), comment + "."
        ),
        findings,
    )


def _sources(sources: list[tuple[str, str]]) -> list[dict[str, Any]]:
    by_field: dict[str, list[str]] = {}
    for fld, value in sources:
        values = by_field.setdefault(fld, [])
        if value not in values:
            values.append(value)
    return [
        {"source": {fld: sorted(values)}} for fld, values in sorted(by_field.items())
    ]


def _http_on_tcp(src: str, members: list[str], port: int, w: Workload) -> Finding:
    return Finding(
        "synth.http-intent-on-tcp",
        "low",
        f"the intent names HTTP methods or paths for {src} -> {', '.join(members)} "
        f"port {port}, but no Service declares that port as HTTP: the policy "
        "allows the port at L4 only",
        (ObjectRef(w.id, w.provenance),),
        "name the Service port http-* or set appProtocol: http",
        category="mesh",
    )


def fix_destination_rule(plan: Plan, mesh: Any, dr: IstioResource) -> Generated | None:
    """The rule with each non-Istio tls mode toward a STRICT server set to
    ISTIO_MUTUAL (certificates dropped), or None when nothing needs it."""
    from ztlab.mesh.client import host_specificity, service_fqdn

    host = str(dr.spec.get("host", ""))
    targets = [
        w
        for svc in plan.cluster.services.values()
        if host_specificity(host, dr.namespace, service_fqdn(svc)) is not None
        for w in plan.cluster.backends(svc)
    ]
    strict = [
        w for w in targets if mesh.dataplane(w).has_sidecar and plan.is_governed(w.key)
    ]
    if not strict:
        return None
    spec = copy.deepcopy(_plain(dr.spec))
    changed: list[str] = []
    _switch(spec.get("trafficPolicy"), "trafficPolicy", changed)
    for subset in spec.get("subsets") or ():
        if isinstance(subset, dict):
            _switch(
                subset.get("trafficPolicy"), f"subset {subset.get('name')}", changed
            )
    if not changed:
        return None
    data = manifest(NETWORKING, "DestinationRule", dr.namespace, dr.name, spec)
    data["metadata"]["labels"] = {**dict(dr.labels), **data["metadata"]["labels"]}
    return Generated(
        data,
        f"Correction of {dr.id}: {', '.join(changed)} now ISTIO_MUTUAL, since "
        f"{', '.join(w.key for w in strict)} accept only Istio mTLS.",
    )


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _switch(policy: Any, where: str, changed: list[str]) -> None:
    if not isinstance(policy, dict):
        return
    tls = policy.get("tls")
    if isinstance(tls, dict) and str(tls.get("mode", "")).upper() in NON_ISTIO_TLS:
        policy["tls"] = {"mode": "ISTIO_MUTUAL"}
        changed.append(f"{where}.tls")
    for entry in policy.get("portLevelSettings") or ():
        tls = entry.get("tls") if isinstance(entry, dict) else None
        if isinstance(tls, dict) and str(tls.get("mode", "")).upper() in NON_ISTIO_TLS:
            entry["tls"] = {"mode": "ISTIO_MUTUAL"}
            number = (entry.get("port") or {}).get("number")
            changed.append(f"{where}.portLevelSettings[{number}].tls")
