"""Data pillar: classification labels, and sensitive data only from named callers
through mTLS.

- ``data.classification-labels``: every workload (pod template) and Service
  outside kube-system carries the label ``data-classification`` with one of
  public, internal, confidential, restricted (or sensitive, secret).
- ``data.sensitive-named-callers``: a workload classified confidential,
  restricted, sensitive or secret (itself or through a Service that selects it)
  is ingress-isolated, reachable from no address outside the cluster, every
  ingress rule that selects it names pods (a podSelector that is not empty, no
  namespace-only, ipBlock or missing ``from``), and, when it has a proxy, every
  ALLOW rule that applies to it names principals.
- ``data.sensitive-mtls``: such a workload has a proxy and is STRICT on every port.
"""

from __future__ import annotations

from collections.abc import Mapping

from ztlab.findings import Finding
from ztlab.mesh.authz import action_of, applicable_policies
from ztlab.model import NetworkPolicy, PolicyPeer, Workload
from ztlab.scorecard.application import broad_rule
from ztlab.scorecard.model import (
    SYSTEM_NAMESPACES,
    CheckResult,
    Context,
    ref,
    verdict,
    violation,
)

__all__ = ["CHECKS", "LABEL", "CLASSES", "SENSITIVE", "sensitive_workloads"]

PILLAR = "data"
LABEL = "data-classification"
CLASSES = ("public", "internal", "confidential", "restricted", "sensitive", "secret")
SENSITIVE = ("confidential", "restricted", "sensitive", "secret")


def classification_labels(ctx: Context) -> CheckResult:
    cid = "data.classification-labels"
    out = []
    objects = [*ctx.team_workloads()] + [
        s for s in ctx.cluster.services.values() if s.namespace not in SYSTEM_NAMESPACES
    ]
    for obj in objects:
        value = obj.labels.get(LABEL)
        what = "workload" if isinstance(obj, Workload) else "Service"
        if value is None:
            out.append(
                violation(
                    cid,
                    "medium",
                    f"{what} {obj.key} has no {LABEL} label",
                    [ref(obj)],
                    f"label it {LABEL}: one of {', '.join(CLASSES[:4])}"
                    + (" (on the pod template)" if what == "workload" else ""),
                )
            )
        elif value not in CLASSES:
            out.append(
                violation(
                    cid,
                    "low",
                    f"{what} {obj.key} has {LABEL}={value}, not a known class",
                    [ref(obj)],
                    f"use one of {', '.join(CLASSES)}",
                )
            )
    return verdict(
        cid,
        PILLAR,
        "Workloads and Services carry a data classification",
        "medium",
        out,
        ok=f"every workload and Service carries {LABEL}",
        fix=f"label workloads and Services with {LABEL}",
    )


def sensitive_workloads(ctx: Context) -> list[Workload]:
    """Workloads classified sensitive, by their own label or a Service's."""
    out = []
    for w in ctx.team_workloads():
        labels = [w.labels.get(LABEL)] + [
            s.labels.get(LABEL) for s in ctx.cluster.services_of(w)
        ]
        if any(v in SENSITIVE for v in labels):
            out.append(w)
    return out


def _unclassified(ctx: Context, cid: str, title: str, severity: str) -> CheckResult:
    labelled = all(LABEL in w.labels for w in ctx.team_workloads())
    if labelled:
        return CheckResult(
            cid,
            PILLAR,
            title,
            "pass",
            severity,
            message="no workload is classified confidential or restricted",
        )
    return CheckResult(
        cid,
        PILLAR,
        title,
        "unknown",
        severity,
        message=f"no workload is classified sensitive, and some carry no {LABEL} "
        "label: which data is sensitive is not known",
        fix=f"label every workload with {LABEL}",
    )


def _peer_unnamed(peer: PolicyPeer) -> str | None:
    if peer.ip_block is not None:
        return f"ipBlock {peer.ip_block.cidr}"
    if peer.pod_selector is None or peer.pod_selector.is_empty:
        if peer.namespace_selector is None:
            return "every pod of the namespace"
        return f"every pod of namespaces {peer.namespace_selector}"
    return None


def _selecting(ctx: Context, w: Workload) -> list[NetworkPolicy]:
    return [
        p
        for p in ctx.cluster.policies_in(w.namespace)
        if "Ingress" in p.policy_types and p.pod_selector.matches(w.labels)
    ]


def _network_callers(ctx: Context, cid: str, w: Workload) -> list[Finding]:
    out = []
    policies = _selecting(ctx, w)
    if not policies:
        out.append(
            violation(
                cid,
                "high",
                f"sensitive {w.key} is not isolated for ingress: every pod and "
                "address may connect",
                [ref(w)],
                f"add an ingress NetworkPolicy for {w.key} naming its callers",
            )
        )
    external = sorted(
        {f.src for f in ctx.flows() if f.dst == w.key and f.src_kind == "external"}
    )
    if policies and external:
        out.append(
            violation(
                cid,
                "high",
                f"sensitive {w.key} is reachable from outside the cluster "
                f"({', '.join(external)})",
                [ref(w)],
                "admit only named in-cluster callers",
            )
        )
    for p in policies:
        for rule in p.ingress:
            whys = (
                ["no from: every source"]
                if not rule.peers
                else [y for y in map(_peer_unnamed, rule.peers) if y]
            )
            for why in whys:
                out.append(
                    violation(
                        cid,
                        "high",
                        f"{p.key} ingress rule {rule.index + 1} admits {why} to "
                        f"sensitive {w.key}",
                        [ref(p), ref(w)],
                        "name the callers: namespaceSelector and podSelector in one "
                        "peer",
                    )
                )
    return out


def _mesh_callers(ctx: Context, cid: str, w: Workload) -> list[Finding]:
    if not ctx.mesh.dataplane(w).has_sidecar:
        return []
    allows = [p for p in applicable_policies(ctx.cluster, w) if action_of(p) == "ALLOW"]
    out = []
    if not allows:
        out.append(
            violation(
                cid,
                "high",
                f"no ALLOW AuthorizationPolicy names the callers of sensitive {w.key}",
                [ref(w)],
                "add an ALLOW policy with from.source.principals",
            )
        )
    for p in allows:
        for i, rule in enumerate(p.spec.get("rules") or ()):
            if not isinstance(rule, Mapping):
                continue
            why = broad_rule(rule)
            sources = [
                e.get("source") or {}
                for e in rule.get("from") or ()
                if isinstance(e, Mapping)
            ]
            if why is None and not any(s.get("principals") for s in sources):
                why = "its sources name no principals"
            if why is not None:
                out.append(
                    violation(
                        cid,
                        "high",
                        f"{p.id} rules[{i}] on sensitive {w.key}: {why}",
                        [ref(p), ref(w)],
                        "allow sensitive workloads by principal only",
                    )
                )
    return out


def sensitive_named_callers(ctx: Context) -> CheckResult:
    cid = "data.sensitive-named-callers"
    title = "Sensitive data reachable only from named callers"
    targets = sensitive_workloads(ctx)
    if not targets:
        return _unclassified(ctx, cid, title, "high")
    out = []
    for w in targets:
        out += _network_callers(ctx, cid, w) + _mesh_callers(ctx, cid, w)
    return verdict(
        cid,
        PILLAR,
        title,
        "high",
        out,
        ok=f"{len(targets)} sensitive workloads admit only named callers",
        fix="name the callers of sensitive workloads in NetworkPolicy and "
        "AuthorizationPolicy",
        evidence=tuple(ref(w) for w in targets),
    )


def sensitive_mtls(ctx: Context) -> CheckResult:
    cid = "data.sensitive-mtls"
    title = "Sensitive data only through mTLS"
    targets = sensitive_workloads(ctx)
    if not targets:
        return _unclassified(ctx, cid, title, "high")
    out = []
    for w in targets:
        if not ctx.mesh.dataplane(w).meshed:
            out.append(
                violation(
                    cid,
                    "high",
                    f"sensitive {w.key} has no mesh proxy: its data travels in "
                    "plaintext",
                    [ref(w)],
                    "mesh the workload and make it STRICT",
                )
            )
            continue
        for port in [None, *sorted({p.port for p in w.ports})]:
            mode = ctx.mesh.peer_mode(w, port)
            if mode.mode != "STRICT":
                out.append(
                    violation(
                        cid,
                        "high",
                        f"sensitive {w.key} accepts plaintext on "
                        f"{'every port' if port is None else f'port {port}'} "
                        f"({mode.mode})",
                        [ref(w), *([ref(mode.policy)] if mode.policy else [])],
                        "set PeerAuthentication STRICT for the workload and drop "
                        "the port exception",
                    )
                )
    return verdict(
        cid,
        PILLAR,
        title,
        "high",
        out,
        ok=f"{len(targets)} sensitive workloads accept only mTLS",
        fix="STRICT mTLS for sensitive workloads",
        evidence=tuple(ref(w) for w in targets),
    )


CHECKS = [classification_labels, sensitive_named_callers, sensitive_mtls]
