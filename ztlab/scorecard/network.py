"""Network pillar: default deny, micro-segmentation, mTLS, no plaintext, no
exposure of internal workloads, no SSH.

- ``network.default-deny``: every namespace with workloads has default-deny
  NetworkPolicies for Ingress and Egress (finding NP003).
- ``network.micro-segmentation``: each workload is isolated in both directions
  and no rule admits everything (NP001, NP002, NP004, NP014).
- ``network.mtls-strict``: every workload has a mesh proxy and its effective
  PeerAuthentication is STRICT on every port.
- ``network.no-plaintext-meshed``: no NetworkPolicy-allowed flow between two
  meshed workloads ends as plaintext in the mesh (e.g. a DestinationRule with
  tls DISABLE towards a PERMISSIVE server).
- ``network.no-external-to-internal``: addresses outside the cluster reach only
  gateways: workloads behind a LoadBalancer or NodePort Service, or labelled
  ``istio: ingressgateway``.
- ``network.no-ssh``: no flow reaches an SSH endpoint (container port 22, a port
  named ``*ssh*``/``*sftp*``, or the target of a Service port 22).

Workloads of kube-system are left out: the platform owns them.
"""

from __future__ import annotations

from ztlab.findings import Finding
from ztlab.model import Workload
from ztlab.scorecard.model import (
    SYSTEM_NAMESPACES,
    CheckResult,
    Context,
    from_finding,
    ref,
    verdict,
    violation,
)

__all__ = ["CHECKS", "is_gateway", "ssh_ports"]

PILLAR = "network"


def _from_rules(ctx: Context, cid: str, rules: tuple[str, ...]) -> list[Finding]:
    return [from_finding(cid, PILLAR, f) for f in ctx.segmentation() if f.rule in rules]


def default_deny(ctx: Context) -> CheckResult:
    cid = "network.default-deny"
    return verdict(
        cid,
        PILLAR,
        "Default deny in every namespace, both directions",
        "medium",
        _from_rules(ctx, cid, ("NP003",)),
        ok="every namespace with workloads denies ingress and egress by default",
        fix="add a NetworkPolicy with podSelector: {} and policyTypes [Ingress, "
        "Egress] and no rules to each namespace",
    )


def micro_segmentation(ctx: Context) -> CheckResult:
    cid = "network.micro-segmentation"
    return verdict(
        cid,
        PILLAR,
        "Micro-segmentation per service",
        "high",
        _from_rules(ctx, cid, ("NP001", "NP002", "NP004", "NP014")),
        ok="every workload is isolated both ways and no rule admits everything",
        fix="one policy per service naming its callers and ports",
    )


def mtls_strict(ctx: Context) -> CheckResult:
    cid = "network.mtls-strict"
    out = []
    for w in ctx.team_workloads():
        plane = ctx.mesh.dataplane(w)
        if not plane.meshed:
            out.append(
                violation(
                    cid,
                    "high",
                    f"{w.key} has no mesh proxy ({plane.decided_by}): its traffic "
                    "is plaintext and carries no identity",
                    [ref(w)],
                    "inject the sidecar (namespace label istio-injection=enabled) "
                    "or enrol the namespace in ambient mode",
                )
            )
            continue
        weak = []
        for port in [None, *sorted({p.port for p in w.ports})]:
            mode = ctx.mesh.peer_mode(w, port)
            if mode.mode != "STRICT":
                weak.append((port, mode))
        if weak:
            where = ", ".join(
                f"{'default' if p is None else p}: {m.mode}" for p, m in weak
            )
            policies = {m.policy.id: m.policy for _, m in weak if m.policy is not None}
            out.append(
                violation(
                    cid,
                    "high",
                    f"{w.key} accepts plaintext ({where})",
                    [ref(w), *(ref(p) for p in policies.values())],
                    "set PeerAuthentication mtls.mode STRICT (mesh-wide in the root "
                    "namespace) and remove PERMISSIVE or DISABLE exceptions",
                )
            )
    return verdict(
        cid,
        PILLAR,
        "mTLS STRICT for all service-to-service traffic",
        "high",
        out,
        ok="every workload has a proxy and is STRICT on every port",
        fix="mesh every workload; PeerAuthentication STRICT everywhere",
    )


def no_plaintext_meshed(ctx: Context) -> CheckResult:
    cid = "network.no-plaintext-meshed"
    title = "No plaintext flows between meshed workloads"
    cluster = ctx.cluster
    if not any(ctx.meshed(w) for w in cluster.workloads.values()):
        return CheckResult(
            cid,
            PILLAR,
            title,
            "unknown",
            "high",
            message="not applicable: no workload has a mesh proxy",
        )
    out = []
    for flow in ctx.flows():
        if flow.src_kind != "workload" or flow.dst_kind != "workload":
            continue
        src, dst = cluster.workloads[flow.src], cluster.workloads[flow.dst]
        if not (ctx.meshed(src) and ctx.meshed(dst)):
            continue
        allowed = flow.ports | flow.possible
        for port in sorted({p.port for p in dst.ports if p.protocol == "TCP"}):
            if ("TCP", port) not in allowed:
                continue
            result = ctx.mesh.evaluate(src, dst, dst_port=port)
            if result.mtls == "plaintext":
                objects = [ref(src), ref(dst)]
                objects += [
                    ref(p) for p in cluster.istio if p.id in set(result.policies)
                ]
                out.append(
                    violation(
                        cid,
                        "high",
                        f"{src.key} -> {dst.key}:{port} is plaintext between two "
                        f"meshed workloads ({result.reason})",
                        objects,
                        "remove tls DISABLE from the DestinationRule (auto mTLS) or "
                        "set ISTIO_MUTUAL, and make the server STRICT",
                    )
                )
    return verdict(
        cid,
        PILLAR,
        title,
        "high",
        out,
        ok="every allowed flow between meshed workloads is mutual TLS",
        fix="ISTIO_MUTUAL or auto mTLS between meshed workloads",
    )


def is_gateway(ctx: Context, workload: Workload) -> bool:
    """True for an entry point: behind a LoadBalancer/NodePort, or an Istio
    ingress gateway."""
    if workload.labels.get("istio") == "ingressgateway":
        return True
    return any(
        s.type in ("LoadBalancer", "NodePort")
        for s in ctx.cluster.services_of(workload)
    )


def no_external_to_internal(ctx: Context) -> CheckResult:
    cid = "network.no-external-to-internal"
    reached: dict[str, list[str]] = {}
    for flow in ctx.flows():
        if flow.src_kind == "external" and flow.dst_kind == "workload":
            reached.setdefault(flow.dst, []).append(flow.src)
    out = []
    for key, cidrs in sorted(reached.items()):
        w = ctx.cluster.workloads[key]
        if w.namespace in SYSTEM_NAMESPACES or is_gateway(ctx, w):
            continue
        out.append(
            violation(
                cid,
                "high",
                f"{w.key} is not a gateway but accepts connections from outside "
                f"the cluster ({', '.join(sorted(set(cidrs)))})",
                [ref(w)],
                f"isolate {w.key} for ingress and admit only its in-cluster callers",
            )
        )
    return verdict(
        cid,
        PILLAR,
        "No flows from outside to non-gateway workloads",
        "high",
        out,
        ok="only gateways accept connections from outside the cluster",
        fix="outside traffic only through gateways",
    )


def ssh_ports(ctx: Context, workload: Workload) -> set[int]:
    """Container ports of ``workload`` that serve SSH (or SFTP)."""
    out = set()
    for p in workload.ports:
        name = (p.name or "").lower()
        if p.protocol == "TCP" and (p.port == 22 or "ssh" in name or "sftp" in name):
            out.add(p.port)
    for svc in ctx.cluster.services_of(workload):
        for sp in svc.ports:
            if sp.port == 22 and sp.protocol == "TCP":
                target = (
                    sp.target_port
                    if isinstance(sp.target_port, int)
                    else workload.named_port(str(sp.target_port), "TCP")
                )
                if target is not None:
                    out.add(target)
    return out


def no_ssh(ctx: Context) -> CheckResult:
    cid = "network.no-ssh"
    out = []
    for w in ctx.team_workloads():
        ports = ssh_ports(ctx, w)
        if not ports:
            continue
        sources = sorted(
            {
                f.src
                for f in ctx.flows()
                if f.dst == w.key
                and any(("TCP", p) in (f.ports | f.possible) for p in ports)
            }
        )
        if sources:
            shown = ", ".join(sources[:3]) + (" ..." if len(sources) > 3 else "")
            out.append(
                violation(
                    cid,
                    "high",
                    f"SSH on {w.key} port {', '.join(map(str, sorted(ports)))} is "
                    f"reachable from {len(sources)} sources ({shown})",
                    [ref(w), *(ref(s) for s in ctx.cluster.services_of(w))],
                    "remove the SSH endpoint, or isolate it so that nothing "
                    "reaches it; use a managed transfer service behind a gateway",
                )
            )
    return verdict(
        cid,
        PILLAR,
        "No SSH port reachable",
        "high",
        out,
        ok="no SSH endpoint is reachable",
        fix="no SSH endpoints",
    )


CHECKS = [
    default_deny,
    micro_segmentation,
    mtls_strict,
    no_plaintext_meshed,
    no_external_to_internal,
    no_ssh,
]
