"""Mesh findings: settings that weaken zero trust, each with objects and fix."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ztlab.findings import Finding
from ztlab.findings import ObjectRef as FindingObject
from ztlab.mesh.authz import action_of, http_only_fields, identity_fields
from ztlab.mesh.client import host_specificity, service_fqdn
from ztlab.mesh.engine import protocol_of
from ztlab.mesh.identity import parse_principal
from ztlab.mesh.peerauth import mode_of
from ztlab.model import IstioResource, Workload

if TYPE_CHECKING:
    from ztlab.mesh.engine import Mesh

__all__ = ["Finding", "FindingObject", "mesh_findings"]


def _objs(*items: Any) -> tuple[FindingObject, ...]:
    return tuple(FindingObject(i.id, i.provenance) for i in items)


def _mesh(finding: Finding) -> Finding:
    """The shared finding type, marked as a mesh finding."""
    return replace(finding, category="mesh")


def _selected(mesh: Mesh, policy: IstioResource, any_namespace: bool) -> list[Workload]:
    root = mesh.cluster.root_namespace
    out = []
    for w in mesh.cluster.workloads.values():
        if w.namespace != policy.namespace and not (
            any_namespace and policy.namespace == root
        ):
            continue
        if all(w.labels.get(k) == v for k, v in (policy.selector or {}).items()):
            out.append(w)
    return out


def _peer(mesh: Mesh) -> Iterator[Finding]:
    cluster = mesh.cluster
    pas = cluster.istio_of_kind("PeerAuthentication")
    if not any(p.namespace == cluster.root_namespace and not p.selector for p in pas):
        yield Finding(
            "mesh.no-mesh-strict",
            "medium",
            f"no mesh-wide PeerAuthentication in {cluster.root_namespace}: every "
            "sidecar "
            f"without a closer policy is PERMISSIVE and accepts plaintext",
            (),
            f"add PeerAuthentication 'default' in {cluster.root_namespace} with "
            "mtls.mode STRICT",
        )
    for p in pas:
        scope = (
            "workload"
            if p.selector
            else ("mesh" if p.namespace == cluster.root_namespace else "namespace")
        )
        modes = [("", mode_of(p.spec.get("mtls")))]
        levels = p.spec.get("portLevelMtls") or {}
        if isinstance(levels, Mapping):
            modes += [(f" portLevelMtls[{k}]", mode_of(v)) for k, v in levels.items()]
        for where, mode in modes:
            if mode in ("PERMISSIVE", "DISABLE"):
                yield Finding(
                    f"mesh.peer-authentication-{mode.lower()}",
                    "high" if mode == "DISABLE" else "medium",
                    f"{p.id}{where} sets {mode} at {scope} scope: "
                    + (
                        "plaintext only, no peer identity"
                        if mode == "DISABLE"
                        else "plaintext is accepted"
                    ),
                    _objs(p),
                    "set mtls.mode STRICT once every client has a sidecar",
                )
        if levels and not p.selector:
            yield Finding(
                "mesh.port-level-without-selector",
                "medium",
                f"{p.id} has portLevelMtls but no selector: Istio ignores port-level "
                "settings there",
                _objs(p),
                "add a selector, or move the port settings to a workload policy",
            )
        elif levels:
            selected = _selected(mesh, p, False)
            for key in levels:
                port = int(key) if str(key).isdigit() else None
                container = {cp.port for w in selected for cp in w.ports}
                service_ports = {
                    (s, sp)
                    for w in selected
                    for s in cluster.services_of(w)
                    for sp in s.ports
                    if sp.port == port
                }
                if port not in container and service_ports:
                    svc, sp = next(iter(service_ports))
                    yield Finding(
                        "mesh.port-level-service-port",
                        "high",
                        f"{p.id} portLevelMtls key {key} is a port of {svc.id}, not a "
                        "container "
                        "port: portLevelMtls is keyed by container port, so it never "
                        "applies",
                        _objs(p, svc),
                        f"key it by the targetPort {sp.target_port}",
                    )
    for winner, ignored in mesh.peer.duplicates():
        yield Finding(
            "mesh.duplicate-peer-authentication",
            "medium",
            f"{winner.id} and {', '.join(p.id for p in ignored)} share a scope: the "
            "oldest "
            f"({winner.id}) wins and the others are ignored",
            _objs(winner, *ignored),
            "keep one PeerAuthentication per scope",
        )


def _dataplanes(mesh: Mesh) -> Iterator[Finding]:
    cluster = mesh.cluster
    meshed_ns = {
        w.namespace for w in cluster.workloads.values() if mesh.dataplane(w).meshed
    }
    for w in cluster.workloads.values():
        plane = mesh.dataplane(w)
        if plane.disagrees:
            yield Finding(
                "mesh.sidecar-prediction-mismatch",
                "low",
                f"{w.key}: {plane.reason}",
                _objs(w),
                "restart the pods so they match the injection settings",
            )
        if plane.meshed or w.namespace in ("kube-system", cluster.root_namespace):
            continue
        ns = cluster.namespaces.get(w.namespace)
        injected_ns = ns is not None and (
            ns.labels.get("istio-injection") == "enabled"
            or bool(ns.labels.get("istio.io/rev"))
        )
        if injected_ns or w.namespace in meshed_ns:
            yield Finding(
                "mesh.workload-without-sidecar",
                "medium",
                f"{w.key} runs without a proxy inside a meshed namespace "
                f"({plane.decided_by}): "
                f"it has no identity, sends plaintext and enforces no mesh policy",
                _objs(w),
                "inject the sidecar or move the workload out of the mesh namespace",
            )


def _destination_rules(mesh: Mesh) -> Iterator[Finding]:
    cluster = mesh.cluster
    for dr in cluster.istio_of_kind("DestinationRule"):
        settings = []
        policies = [("", dr.spec.get("trafficPolicy"))]
        policies += [
            (f"subsets[{s.get('name')}].", s.get("trafficPolicy"))
            for s in dr.spec.get("subsets") or ()
            if isinstance(s, Mapping)
        ]
        for prefix, tp in policies:
            if not isinstance(tp, Mapping):
                continue
            tls = tp.get("tls") or {}
            if isinstance(tls, Mapping) and tls.get("mode"):
                settings.append(
                    (f"{prefix}trafficPolicy.tls", str(tls["mode"]).upper(), None)
                )
            for e in tp.get("portLevelSettings") or ():
                mode = ((e.get("tls") or {}).get("mode") or "").upper()
                if mode:
                    settings.append(
                        (
                            f"{prefix}portLevelSettings",
                            mode,
                            (e.get("port") or {}).get("number"),
                        )
                    )
        bad = [
            (w, m, p) for w, m, p in settings if m in ("DISABLE", "SIMPLE", "MUTUAL")
        ]
        if not bad:
            continue
        for svc in cluster.services.values():
            if (
                host_specificity(
                    str(dr.spec.get("host", "")), dr.namespace, service_fqdn(svc)
                )
                is None
            ):
                continue
            for where, mode, number in bad:
                sent = "plaintext" if mode == "DISABLE" else f"non-Istio TLS ({mode})"
                for sp in svc.ports:
                    if number is not None and str(number) != str(sp.port):
                        continue
                    for w in cluster.backends(svc):
                        if not mesh.dataplane(w).has_sidecar:
                            continue
                        target = (
                            sp.target_port
                            if isinstance(sp.target_port, int)
                            else w.named_port(str(sp.target_port), sp.protocol)
                        )
                        server = mesh.peer_mode(w, target)
                        if server.mode == "STRICT":
                            yield Finding(
                                "mesh.dr-plaintext-to-strict",
                                "high",
                                f"{dr.id} {where} sends "
                                f"{sent} "
                                f"to {svc.id} port {sp.port}, but {w.key} is STRICT "
                                f"on {target} "
                                f"({server.reason}): those calls are rejected",
                                _objs(dr, w)
                                + (_objs(server.policy) if server.policy else ()),
                                "use ISTIO_MUTUAL (or drop the tls block for auto "
                                "mTLS)",
                            )
    for w in cluster.workloads.values():
        if not mesh.dataplane(w).has_sidecar:
            continue
        ns_mode = mesh.peer.namespace_mode(w.namespace)
        if ns_mode.mode != "DISABLE":
            continue
        for port in [None, *sorted({p.port for p in w.ports})]:
            mode = mesh.peer_mode(w, port)
            if mode.mode == "STRICT":
                yield Finding(
                    "mesh.strict-under-disable",
                    "high",
                    f"{w.key} is STRICT{'' if port is None else f' on {port}'} under a "
                    f"{ns_mode.scope} DISABLE policy: auto mTLS clients follow the "
                    "namespace and "
                    f"send plaintext, which the workload rejects",
                    _objs(*(p for p in (mode.policy, ns_mode.policy) if p)),
                    "set the namespace or mesh policy to PERMISSIVE or STRICT, or add "
                    "a "
                    "DestinationRule with ISTIO_MUTUAL for this workload's Service",
                )
                break


def _authorization(mesh: Mesh) -> Iterator[Finding]:
    cluster = mesh.cluster
    accounts = set(cluster.service_accounts) | {
        f"{w.namespace}/{w.service_account}" for w in cluster.workloads.values()
    }
    for kind in ("AuthorizationPolicy", "RequestAuthentication", "PeerAuthentication"):
        for p in cluster.istio_of_kind(kind):
            if p.selector and not _selected(mesh, p, kind == "AuthorizationPolicy"):
                yield Finding(
                    "mesh.selects-nothing",
                    "low",
                    f"{p.id} selects no workload ({dict(p.selector)})",
                    _objs(p),
                    "fix the selector labels or delete the policy",
                )
    for p in cluster.istio_of_kind("AuthorizationPolicy"):
        action = action_of(p)
        rules = [r for r in p.spec.get("rules") or () if isinstance(r, Mapping)]
        selected = [
            w for w in _selected(mesh, p, True) if mesh.dataplane(w).has_sidecar
        ]
        if not p.selector:
            selected = [
                w
                for w in cluster.workloads.values()
                if (p.namespace == cluster.root_namespace or w.namespace == p.namespace)
                and mesh.dataplane(w).has_sidecar
            ]
        for i, rule in enumerate(rules):
            if i + 1 < len(rules):
                nxt = rules[i + 1]
                if (set(rule) == {"from"} and set(nxt) == {"to"}) or (
                    set(rule) == {"to"} and set(nxt) == {"from"}
                ):
                    yield Finding(
                        "mesh.split-from-to",
                        "high" if action == "ALLOW" else "medium",
                        f"{p.id} rules[{i}] and rules[{i + 1}] hold only 'from' and "
                        "only 'to': a "
                        "stray dash split one rule into two ORed rules, which widens "
                        "an ALLOW",
                        _objs(p),
                        "remove the dash before 'to' so from and to share one rule",
                    )
            for f in identity_fields(rule):
                weak = [w for w in selected if mesh.peer_mode(w).mode != "STRICT"]
                if action == "DENY" and weak:
                    yield Finding(
                        "mesh.identity-without-mtls",
                        "high",
                        f"{p.id} rules[{i}] denies by {f}, but {weak[0].key} accepts "
                        "plaintext "
                        f"({mesh.peer_mode(weak[0]).reason}): plaintext callers have "
                        "no identity and escape the deny",
                        _objs(p, weak[0]),
                        "set PeerAuthentication STRICT on the selected workloads, or "
                        "deny by notPrincipals",
                    )
                disabled = [w for w in selected if mesh.peer_mode(w).mode == "DISABLE"]
                if action == "ALLOW" and disabled:
                    yield Finding(
                        "mesh.identity-without-mtls",
                        "medium",
                        f"{p.id} rules[{i}] allows by {f}, but {disabled[0].key} is "
                        "DISABLE: "
                        f"callers never present an identity, the rule never matches",
                        _objs(p, disabled[0]),
                        "enable mTLS (STRICT) on the selected workloads",
                    )
                break
            for entry in rule.get("from") or ():
                source = (
                    (entry.get("source") or {}) if isinstance(entry, Mapping) else {}
                )
                for value in [
                    *(source.get("principals") or ()),
                    *(source.get("notPrincipals") or ()),
                ]:
                    parsed = parse_principal(str(value))
                    if parsed is None:
                        continue
                    _, ns, sa = parsed
                    if f"{ns}/{sa}" not in accounts:
                        yield Finding(
                            "mesh.unknown-service-account",
                            "low",
                            f"{p.id} rules[{i}] names principal {value}: no service "
                            f"account {ns}/{sa} exists",
                            _objs(p),
                            "fix the principal or create the service account",
                        )
                    elif not any(
                        mesh.dataplane(w).meshed
                        for w in cluster.workloads.values()
                        if w.namespace == ns and w.service_account == sa
                    ):
                        yield Finding(
                            "mesh.identity-without-mtls",
                            "medium",
                            f"{p.id} rules[{i}] names principal {value}, but no "
                            "workload running as "
                            f"{ns}/{sa} has a proxy: that caller cannot present the "
                            "identity",
                            _objs(p),
                            "inject a sidecar into the calling workload",
                        )
                for ns in [
                    *(source.get("namespaces") or ()),
                    *(source.get("notNamespaces") or ()),
                ]:
                    if "*" not in str(ns) and str(ns) not in cluster.namespaces:
                        yield Finding(
                            "mesh.unknown-namespace",
                            "low",
                            f"{p.id} rules[{i}] names namespace {ns}, which the "
                            "cluster does not have",
                            _objs(p),
                            "fix the namespace name",
                        )
            fields = http_only_fields(rule)
            if not fields or not selected:
                continue
            tcp_ports = _tcp_ports(mesh, selected)
            rule_ports = {
                str(x)
                for e in rule.get("to") or ()
                if isinstance(e, Mapping)
                for x in ((e.get("operation") or {}).get("ports") or ())
            }
            hit = sorted(
                tcp_ports
                if not rule_ports
                else {p_ for p_ in tcp_ports if str(p_) in rule_ports}
            )
            if not hit:
                continue
            if action == "ALLOW":
                yield Finding(
                    "mesh.allow-http-on-tcp",
                    "medium",
                    f"{p.id} rules[{i}] uses HTTP-only {', '.join(fields)} and the "
                    "selected "
                    f"workloads serve TCP on {hit}: on TCP the whole rule is dropped",
                    _objs(p),
                    "name the Service port http-* (or appProtocol http), or use L4 "
                    "fields only",
                )
            elif action in ("DENY", "CUSTOM", "AUDIT"):
                yield Finding(
                    "mesh.deny-widened-on-tcp",
                    "high" if action == "DENY" else "low",
                    f"{p.id} rules[{i}] ({action}) uses HTTP-only "
                    f"{', '.join(fields)}; on TCP "
                    f"ports {hit} those fields are ignored and the rule matches more",
                    _objs(p),
                    "name the Service port http-* (or appProtocol http), or use L4 "
                    "fields only",
                )


def _tcp_ports(mesh: Mesh, workloads: list[Workload]) -> set[int]:
    out: set[int] = set()
    for w in workloads:
        for svc in mesh.cluster.services_of(w):
            for sp in svc.ports:
                if protocol_of(sp)[0] == "tcp" and sp.protocol == "TCP":
                    target = (
                        sp.target_port
                        if isinstance(sp.target_port, int)
                        else w.named_port(str(sp.target_port), sp.protocol)
                    )
                    if target is not None:
                        out.add(target)
    return out


def mesh_findings(mesh: Mesh) -> list[Finding]:
    """Every mesh finding of a cluster, most severe first.

    >>> from ztlab.mesh.engine import mesh_of
    >>> from ztlab.model import Cluster
    >>> mesh_findings(mesh_of(Cluster()))[0].id
    'mesh.no-mesh-strict'
    """
    found = [
        *_peer(mesh),
        *_dataplanes(mesh),
        *_destination_rules(mesh),
        *_authorization(mesh),
    ]
    unique = [_mesh(f) for f in {(f.id, f.message): f for f in found}.values()]
    order = {"high": 0, "medium": 1, "low": 2}
    return sorted(unique, key=lambda f: (order.get(f.severity, 3), f.id, f.message))
