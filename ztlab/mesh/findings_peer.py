"""Mesh findings on the transport: PeerAuthentication, sidecars, DestinationRule TLS."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from ztlab.findings import Finding
from ztlab.mesh.client import host_specificity, service_fqdn
from ztlab.mesh.dataplane import INJECTION_LABEL, injection_request
from ztlab.mesh.findings_common import refs, selected_workloads
from ztlab.mesh.peerauth import PeerMode, mode_of
from ztlab.model import Workload

if TYPE_CHECKING:
    from ztlab.mesh.engine import Mesh

__all__ = [
    "dataplane_findings",
    "destination_rule_findings",
    "peer_authentication_findings",
]


def peer_authentication_findings(mesh: Mesh) -> Iterator[Finding]:
    """PeerAuthentication modes, scopes and port keys that weaken or miss mTLS.

    >>> from ztlab.mesh.engine import mesh_of
    >>> from ztlab.model import Cluster
    >>> [f.id for f in peer_authentication_findings(mesh_of(Cluster()))]
    ['mesh.no-mesh-strict']
    """
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
                    refs(p),
                    "set mtls.mode STRICT once every client has a sidecar",
                )
        if levels and not p.selector:
            yield Finding(
                "mesh.port-level-without-selector",
                "medium",
                f"{p.id} has portLevelMtls but no selector: Istio ignores port-level "
                "settings there",
                refs(p),
                "add a selector, or move the port settings to a workload policy",
            )
        elif levels:
            selected = selected_workloads(mesh, p, False)
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
                        refs(p, svc),
                        f"key it by the targetPort {sp.target_port}",
                    )
    for winner, ignored in mesh.peer.duplicates():
        yield Finding(
            "mesh.duplicate-peer-authentication",
            "medium",
            f"{winner.id} and {', '.join(p.id for p in ignored)} share a scope: the "
            "oldest "
            f"({winner.id}) wins and the others are ignored",
            refs(winner, *ignored),
            "keep one PeerAuthentication per scope",
        )


def dataplane_findings(mesh: Mesh) -> Iterator[Finding]:
    """Workloads without a proxy where one is expected, and stale predictions.

    >>> from ztlab.mesh.engine import mesh_of
    >>> from ztlab.model import Cluster, Labels, Namespace, Workload
    >>> ns = Namespace("old", Labels({"istio-injection": "disabled"}))
    >>> w = Workload("Deployment", "old", "ftp",
    ...              labels=Labels({"sidecar.istio.io/inject": "true"}))
    >>> c = Cluster(namespaces={"old": ns}, workloads={w.key: w})
    >>> [f.details["ignored"] for f in dataplane_findings(mesh_of(c))]
    ['pod label sidecar.istio.io/inject="true"']
    """
    cluster = mesh.cluster
    mesh_wide = mesh.peer.namespace_mode(cluster.root_namespace)
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
                refs(w),
                "restart the pods so they match the injection settings",
            )
        ns = cluster.namespaces.get(w.namespace)
        asked = injection_request(w)
        disabled = ns is not None and ns.labels.get(INJECTION_LABEL) == "disabled"
        if not plane.meshed and asked and disabled:
            yield _ignored_injection(w, asked, mesh_wide)
            continue
        if plane.meshed or w.namespace in ("kube-system", cluster.root_namespace):
            continue
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
                refs(w),
                "inject the sidecar or move the workload out of the mesh namespace",
            )


def _ignored_injection(w: Workload, asked: str, mesh_wide: PeerMode) -> Finding:
    """A pod template asks for a sidecar that istio-injection=disabled refuses."""
    if mesh_wide.mode == "STRICT":
        effect = (
            f" while the mesh is STRICT ({mesh_wide.reason}): its calls to STRICT "
            "workloads are rejected, it has no identity and enforces no mesh policy"
        )
    else:
        effect = ": it has no identity, sends plaintext and enforces no mesh policy"
    return Finding(
        "mesh.workload-without-sidecar",
        "medium",
        f"{w.key} asks for a sidecar ({asked}), but namespace {w.namespace} has "
        f"{INJECTION_LABEL}=disabled, which always wins: the {asked.split(' ')[1]} "
        f"is ignored and the workload runs without a proxy{effect}",
        refs(w) + ((refs(mesh_wide.policy)) if mesh_wide.policy else ()),
        f"label namespace {w.namespace} {INJECTION_LABEL}=enabled (or move the "
        f"workload to an injected namespace), or drop the ignored {asked}",
        details={
            "case": "injection-label-ignored",
            "ignored": asked,
            "namespace_label": f"{INJECTION_LABEL}=disabled",
            "mesh_mode": mesh_wide.mode,
        },
    )


def destination_rule_findings(mesh: Mesh) -> Iterator[Finding]:
    """Clients that send plaintext or non-Istio TLS to a STRICT workload.

    >>> from ztlab.mesh.engine import mesh_of
    >>> from ztlab.model import Cluster
    >>> list(destination_rule_findings(mesh_of(Cluster())))
    []
    """
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
                                refs(dr, w)
                                + (refs(server.policy) if server.policy else ()),
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
                    refs(*(p for p in (mode.policy, ns_mode.policy) if p)),
                    "set the namespace or mesh policy to PERMISSIVE or STRICT, or add "
                    "a "
                    "DestinationRule with ISTIO_MUTUAL for this workload's Service",
                )
                break
