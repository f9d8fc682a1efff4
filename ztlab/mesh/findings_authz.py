"""Mesh findings on AuthorizationPolicy rules and the names they use.

Identity fields need mTLS (IST-SEC "Dependency on mutual TLS"): a caller that
arrives as plaintext has no principal and no namespace. A positive match
(``principals``, ``namespaces``) then fails, so plaintext escapes a DENY; a
negative match (``notPrincipals``, ``notNamespaces``) succeeds, so plaintext
satisfies an ALLOW written as "everyone except ...".
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from ztlab.findings import Finding
from ztlab.mesh.authz import RequestContext, action_of, http_only_fields, rule_matches
from ztlab.mesh.engine import MeshVerdict, protocol_of
from ztlab.mesh.findings_common import refs, selected_workloads
from ztlab.mesh.identity import parse_principal
from ztlab.mesh.rules import negative_identity_fields, positive_identity_fields
from ztlab.model import IstioResource, Workload

if TYPE_CHECKING:
    from ztlab.mesh.engine import Mesh

__all__ = ["authorization_findings"]


def authorization_findings(mesh: Mesh) -> Iterator[Finding]:
    """Findings on AuthorizationPolicies (and selectors of all security policies).

    >>> from ztlab.mesh.engine import mesh_of
    >>> from ztlab.model import Cluster, IstioResource
    >>> ghost = IstioResource("AuthorizationPolicy", "security.istio.io/v1", "shop",
    ...                       "ghost", {}, selector={"app": "ghost"})
    >>> [f.id for f in authorization_findings(mesh_of(Cluster(istio=(ghost,))))]
    ['mesh.selects-nothing']
    """
    cluster = mesh.cluster
    flows: dict[tuple[str, str, int], MeshVerdict] = {}
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
            if action == "ALLOW":
                yield from _negative_matches(mesh, p, i, rule, selected, flows)
            for f in positive_identity_fields(rule):
                weak = [w for w in selected if mesh.peer_mode(w).mode != "STRICT"]
                if action == "DENY" and weak:
                    yield Finding(
                        "mesh.identity-without-mtls",
                        "high",
                        f"{p.id} rules[{i}] denies by {f} (a positive match), but "
                        f"{weak[0].key} accepts plaintext "
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
                        f"{p.id} rules[{i}] allows by {f} (a positive match), but "
                        f"{disabled[0].key} is DISABLE: "
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
            declared, sniffed = _tcp_ports(mesh, selected)
            rule_ports = {
                str(x)
                for e in rule.get("to") or ()
                if isinstance(e, Mapping)
                for x in ((e.get("operation") or {}).get("ports") or ())
            }
            hit = _on_rule(declared, rule_ports)
            guessed = _on_rule(sniffed, rule_ports)
            if guessed and action in ("ALLOW", "DENY"):
                yield Finding(
                    "mesh.http-fields-on-undeclared-protocol",
                    "low",
                    f"{p.id} rules[{i}] uses HTTP-only {', '.join(fields)} on "
                    f"ports {guessed}, whose Service ports declare no protocol: "
                    "Istio detects the protocol per connection, so the rule "
                    "applies to HTTP requests but "
                    + ("is dropped" if action == "ALLOW" else "loses those fields")
                    + " for other TCP traffic",
                    refs(p),
                    "declare the protocol: name the Service port http-* or tcp-* "
                    "(or set appProtocol)",
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


def _on_rule(ports: set[int], rule_ports: set[str]) -> list[int]:
    """The ports a rule's operation covers (all, when it names none)."""
    if not rule_ports:
        return sorted(ports)
    return sorted(p for p in ports if str(p) in rule_ports)


def _tcp_ports(mesh: Mesh, workloads: list[Workload]) -> tuple[set[int], set[int]]:
    """Container ports served as TCP: declared TCP, and undeclared (sniffed)."""
    declared: set[int] = set()
    sniffed: set[int] = set()
    for w in workloads:
        for svc in mesh.cluster.services_of(w):
            for sp in svc.ports:
                protocol, explicit = protocol_of(sp)
                if protocol == "tcp" and sp.protocol == "TCP":
                    target = (
                        sp.target_port
                        if isinstance(sp.target_port, int)
                        else w.named_port(str(sp.target_port), sp.protocol)
                    )
                    if target is not None:
                        (declared if explicit else sniffed).add(target)
    return declared, sniffed - declared


def _rule_ports(rule: Mapping[str, Any]) -> set[int]:
    """Numeric ports named in a rule's ``to[].operation.ports``."""
    return {
        int(x)
        for e in rule.get("to") or ()
        if isinstance(e, Mapping)
        for x in ((e.get("operation") or {}).get("ports") or ())
        if str(x).isdigit()
    }


def _negative_matches(
    mesh: Mesh,
    policy: IstioResource,
    index: int,
    rule: Mapping[str, Any],
    selected: list[Workload],
    flows: dict[tuple[str, str, int], MeshVerdict],
) -> Iterator[Finding]:
    """An ALLOW rule with a negative identity match that plaintext callers satisfy.

    For each selected workload and each port that accepts plaintext (PERMISSIVE
    or DISABLE), the rule is evaluated for a caller without identity; the
    workloads of the cluster whose calls arrive there as plaintext and are
    allowed through this rule are named.

    Limitations: ports are the workload's TCP container ports plus those the rule
    names; a workload that declares no port and a rule without ports are not
    checked. Callers are checked without NetworkPolicy (see ztlab.reach).
    """
    negative = negative_identity_fields(rule)
    if not negative:
        return
    cluster = mesh.cluster
    for w in selected:
        ports = {cp.port for cp in w.ports if cp.protocol == "TCP"} | _rule_ports(rule)
        for port in sorted(ports):
            server = mesh.peer_mode(w, port)
            if server.mode not in ("PERMISSIVE", "DISABLE"):
                continue
            anyone = _flow(mesh, flows, None, w, port)
            ctx = RequestContext(port=port, http=anyone.protocol == "http")
            if anyone.mtls != "plaintext" or not rule_matches(rule, "ALLOW", ctx)[0]:
                continue
            callers = []
            for caller in cluster.workloads.values():
                if caller.key == w.key:
                    continue
                verdict = _flow(mesh, flows, caller, w, port)
                if verdict.mtls != "plaintext" or verdict.authz != "allow":
                    continue
                own = RequestContext(
                    source_ip=caller.pod_ips[0] if caller.pod_ips else None,
                    port=port,
                    http=verdict.protocol == "http",
                )
                if rule_matches(rule, "ALLOW", own)[0]:
                    callers.append(caller.key)
            callers.sort()
            outside = anyone.authz == "allow"
            if not callers and not outside:
                continue
            named = ", ".join(callers) if callers else "none in the manifests"
            others = ", and any client without a sidecar" if outside else ""
            yield Finding(
                "mesh.identity-without-mtls",
                "high" if callers else "medium",
                f"{policy.id} rules[{index}] allows by {negative[0]} (a negative "
                f"match), and {w.key} port {port} accepts plaintext "
                f"({server.reason}): a plaintext caller has no identity, so it "
                f"satisfies the negative match and is allowed; plaintext callers: "
                f"{named}{others}",
                refs(policy, w) + (refs(server.policy) if server.policy else ()),
                f"allow the intended callers by principals instead of {negative[0]}, "
                f"or make port {port} STRICT",
                details={
                    "case": "negative-match",
                    "field": negative[0],
                    "workload": w.key,
                    "port": port,
                    "mode": server.mode,
                    "callers": callers,
                },
            )


def _flow(
    mesh: Mesh,
    flows: dict[tuple[str, str, int], MeshVerdict],
    caller: Workload | None,
    server: Workload,
    port: int,
) -> MeshVerdict:
    """The mesh verdict of one call, cached across rules."""
    key = (caller.key if caller else "", server.key, port)
    if key not in flows:
        flows[key] = mesh.evaluate(caller, server, dst_port=port)
    return flows[key]
