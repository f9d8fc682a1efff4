"""Mesh findings on AuthorizationPolicy rules and the names they use."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from ztlab.findings import Finding
from ztlab.mesh.authz import action_of, http_only_fields, identity_fields
from ztlab.mesh.engine import protocol_of
from ztlab.mesh.findings_common import refs, selected_workloads
from ztlab.mesh.identity import parse_principal
from ztlab.model import Workload

if TYPE_CHECKING:
    from ztlab.mesh.engine import Mesh

__all__ = ["authorization_findings"]


def authorization_findings(mesh: Mesh) -> Iterator[Finding]:
    cluster = mesh.cluster
    accounts = set(cluster.service_accounts) | {
        f"{w.namespace}/{w.service_account}" for w in cluster.workloads.values()
    }
    for kind in ("AuthorizationPolicy", "RequestAuthentication", "PeerAuthentication"):
        for p in cluster.istio_of_kind(kind):
            if p.selector and not selected_workloads(
                mesh, p, kind == "AuthorizationPolicy"
            ):
                yield Finding(
                    "mesh.selects-nothing",
                    "low",
                    f"{p.id} selects no workload ({dict(p.selector)})",
                    refs(p),
                    "fix the selector labels or delete the policy",
                )
    for p in cluster.istio_of_kind("AuthorizationPolicy"):
        action = action_of(p)
        rules = [r for r in p.spec.get("rules") or () if isinstance(r, Mapping)]
        selected = [
            w
            for w in selected_workloads(mesh, p, True)
            if mesh.dataplane(w).has_sidecar
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
                        refs(p),
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
                        refs(p, weak[0]),
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
                        refs(p, disabled[0]),
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
                            refs(p),
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
                            refs(p),
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
                            refs(p),
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
                    refs(p),
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
                    refs(p),
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
