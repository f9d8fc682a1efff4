"""Minimal fixes for findings, keeping everything else as it was.

Each fix patches or adds as little as possible: DNS egress for egress-isolated
workloads that cannot resolve names (NP007), a default-deny where a namespace
lacks one (NP003), the pod port in place of a Service port (NP008),
``kubernetes.io/metadata.name`` in place of a ``name:`` namespace label (NP006),
one peer in place of a split namespace/pod peer pair (NP014), one rule in
place of a split from/to AuthorizationPolicy rule (mesh.split-from-to), and
ISTIO_MUTUAL in a DestinationRule that sends plaintext to a STRICT server.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from ztlab.findings import Finding
from ztlab.model import (
    NAMESPACE_NAME_LABEL,
    Cluster,
    IstioResource,
    NetworkPolicy,
    PolicyPeer,
    PolicyPort,
    PolicyRule,
)
from ztlab.synth.generated import Generated
from ztlab.synth.netpol_gen import ALLOW_DNS, DEFAULT_DENY, dns_egress_spec

__all__ = [
    "FixResult",
    "fix_findings",
    "isolation_allows",
    "policy_manifest",
    "FIXABLE",
    "all_findings",
]

FIXABLE = (
    "NP003",
    "NP006",
    "NP007",
    "NP008",
    "NP014",
    "mesh.split-from-to",
    "mesh.dr-plaintext-to-strict",
)


@dataclass
class FixResult:
    """Patched and added objects, and which findings they fix."""

    objects: list[Generated] = field(default_factory=list)
    fixed: list[Finding] = field(default_factory=list)
    unfixed: list[Finding] = field(default_factory=list)
    reasons: dict[tuple[str, str], str] = field(default_factory=dict)

    replaced: set[tuple[str, str, int]] = field(default_factory=set)
    narrowed: set[str] = field(default_factory=set)

    def losses(self, before: Cluster, after: Cluster) -> list[tuple[str, str, Any]]:
        """(src, dst, ports) allowed in ``before`` and not in ``after``, except
        what a finding's own fix means to take away: the Service ports replaced
        by the pod port (NP008), and flows that only a split peer admitted
        (NP014: the merged peer admits fewer, as intended)."""
        from ztlab.model import PortSet
        from ztlab.netpol import flows

        def table(c: Cluster) -> dict[tuple[str, str], PortSet]:
            out: dict[tuple[str, str], PortSet] = {}
            for f in flows(c):
                out[(f.src, f.dst)] = out.get((f.src, f.dst), PortSet.empty()) | f.ports
            return out

        by_split = {
            (f.src, f.dst)
            for f in flows(before)
            if f.policies and set(f.policies) <= self.narrowed
        }
        old, new = table(before), table(after)
        lost = []
        for (src, dst), ports in sorted(old.items()):
            if (src, dst) in by_split:
                continue
            gone = ports - new.get((src, dst), PortSet.empty())
            for d, proto, port in self.replaced:
                if d == dst:
                    gone = gone - PortSet.of(proto, port)
            if not gone.is_empty():
                lost.append((src, dst, gone))
        return lost

    def reason(self, finding: Finding) -> str:
        """Why ``finding`` was left unfixed, or "" when no fix applies."""
        return self.reasons.get((finding.rule, finding.message), "")

    def apply(self, cluster: Cluster) -> Cluster:
        """The cluster with the patched objects in place."""
        from ztlab.synth.proof import reload

        return reload(cluster, self.objects, ())


def all_findings(cluster: Cluster, mesh: bool | None = None) -> list[Finding]:
    """Segmentation findings, plus the mesh findings when a mesh applies."""
    from ztlab.mesh import mesh_applies, mesh_findings, mesh_of
    from ztlab.netpol.findings import segmentation_findings

    found = list(segmentation_findings(cluster))
    if mesh_applies(cluster) if mesh is None else mesh:
        found += mesh_findings(mesh_of(cluster))
    return found


def _peer_spec(peer: PolicyPeer) -> dict[str, Any]:
    if peer.ip_block is not None:
        block: dict[str, Any] = {"cidr": peer.ip_block.cidr}
        if peer.ip_block.excepts:
            block["except"] = list(peer.ip_block.excepts)
        return {"ipBlock": block}
    out: dict[str, Any] = {}
    if peer.namespace_selector is not None:
        out["namespaceSelector"] = peer.namespace_selector.to_spec()
    if peer.pod_selector is not None:
        out["podSelector"] = peer.pod_selector.to_spec()
    return out


def _port_spec(port: PolicyPort) -> dict[str, Any]:
    out: dict[str, Any] = {"protocol": port.protocol}
    if port.port is not None:
        out["port"] = port.port
    if port.end_port is not None:
        out["endPort"] = port.end_port
    return out


def policy_manifest(policy: NetworkPolicy) -> dict[str, Any]:
    """A NetworkPolicy model object back as an API mapping.

    >>> import ztlab
    >>> c = ztlab.load("sample_clusters/online-boutique")
    >>> spec = policy_manifest(c.network_policies["boutique/frontend-ingress"])["spec"]
    >>> spec["ingress"]
    [{'ports': [{'protocol': 'TCP', 'port': 'http'}]}]
    """
    spec: dict[str, Any] = {"podSelector": policy.pod_selector.to_spec()}
    if policy.policy_types_explicit:
        spec["policyTypes"] = [
            t for t in ("Ingress", "Egress") if t in policy.policy_types
        ]
    for direction, fld, word in (
        ("Ingress", "ingress", "from"),
        ("Egress", "egress", "to"),
    ):
        rules = policy.rules(direction)
        if not rules and not (
            direction == "Egress"
            and "Egress" in policy.policy_types
            and not policy.policy_types_explicit
        ):
            continue
        out = []
        for rule in rules:
            entry: dict[str, Any] = {}
            if rule.peers:
                entry[word] = [_peer_spec(p) for p in rule.peers]
            if rule.ports:
                entry["ports"] = [_port_spec(p) for p in rule.ports]
            out.append(entry)
        spec[fld] = out
    metadata: dict[str, Any] = {"name": policy.name, "namespace": policy.namespace}
    if policy.labels:
        metadata["labels"] = policy.labels.to_dict()
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": metadata,
        "spec": spec,
    }


def _istio_manifest(r: IstioResource, spec: dict[str, Any]) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": r.name, "namespace": r.namespace}
    if r.labels:
        metadata["labels"] = r.labels.to_dict()
    return {
        "apiVersion": r.api_version,
        "kind": r.kind,
        "metadata": metadata,
        "spec": spec,
    }


def fix_findings(cluster: Cluster, findings: list[Finding] | None = None) -> FixResult:
    """The minimal fix for each finding that has one.

    >>> import ztlab
    >>> c = ztlab.load("sample_clusters/online-boutique")
    >>> sorted({f.rule for f in fix_findings(c).fixed})
    ['NP003', 'NP007', 'NP008']
    """
    from ztlab.synth.istio_gen import _plain

    found = all_findings(cluster) if findings is None else findings
    result = FixResult()
    policies: dict[str, NetworkPolicy] = {}
    istio: dict[str, tuple[IstioResource, dict[str, Any]]] = {}
    added: dict[tuple[str, str], Generated] = {}
    notes: dict[str, list[str]] = {}
    for f in found:
        done = False
        ids = [o.id for o in f.objects]
        if f.rule in ("NP006", "NP008", "NP014"):
            for pid in ids:
                if not pid.startswith("networkpolicy:"):
                    continue
                key = pid.split(":", 1)[1]
                policy = policies.get(key, cluster.network_policies[key])
                patched, what = _patch_policy(cluster, policy, f.rule, result.replaced)
                if what:
                    policies[key] = patched
                    notes.setdefault(pid, []).extend(what)
                    done = True
                    if f.rule == "NP014":
                        result.narrowed.add(key)
        elif f.rule == "NP007":
            w = next(
                (
                    cluster.workloads[i.split(":", 1)[1]]
                    for i in ids
                    if i.startswith("workload:")
                ),
                None,
            )
            if w is not None:
                added[(w.namespace, w.key)] = _dns_fix(cluster, w.namespace, w.key)
                done = True
        elif f.rule == "NP003":
            ns = ids[0].split(":", 1)[1] if ids else None
            if ns:
                missing = [d for d in ("Ingress", "Egress") if d in f.message]
                allows, why = isolation_allows(cluster, ns, missing)
                if why:
                    result.reasons[(f.rule, f.message)] = why
                else:
                    added[(ns, "default-deny")] = _renamed(
                        cluster, _default_deny(ns, missing)
                    )
                    for g in allows:
                        added[(ns, f"allow {g.name}")] = g
                    done = True
        elif f.rule in ("mesh.split-from-to", "mesh.dr-plaintext-to-strict"):
            for rid in ids:
                r = next((x for x in cluster.istio if x.id == rid), None)
                if r is None or r.kind not in (
                    "AuthorizationPolicy",
                    "DestinationRule",
                ):
                    continue
                _, spec = istio.get(rid, (r, copy.deepcopy(_plain(r.spec))))
                changed: list[str] = []
                if r.kind == "AuthorizationPolicy":
                    changed = _merge_split(spec)
                else:
                    from ztlab.synth.istio_gen import _switch

                    _switch(spec.get("trafficPolicy"), "trafficPolicy", changed)
                    for s in spec.get("subsets") or ():
                        if isinstance(s, dict):
                            _switch(
                                s.get("trafficPolicy"),
                                f"subset {s.get('name')}",
                                changed,
                            )
                if changed:
                    istio[rid] = (r, spec)
                    notes.setdefault(rid, []).extend(changed)
                    done = True
                elif rid in istio:
                    done = True
        (result.fixed if done else result.unfixed).append(f)
    for key in sorted(policies):
        p = policies[key]
        result.objects.append(
            Generated(policy_manifest(p), f"Fixed {p.id}: {'; '.join(notes[p.id])}.")
        )
    for rid in sorted(istio):
        r, spec = istio[rid]
        result.objects.append(
            Generated(
                _istio_manifest(r, spec), f"Fixed {rid}: {'; '.join(notes[rid])}."
            )
        )
    seen = set()
    for added_key in sorted(added):
        g = added[added_key]
        if g.key not in seen:
            seen.add(g.key)
            result.objects.append(g)
    return result


def _patch_policy(
    cluster: Cluster,
    policy: NetworkPolicy,
    rule_id: str,
    replaced: set[tuple[str, str, int]],
) -> tuple[NetworkPolicy, list[str]]:
    from dataclasses import replace

    from ztlab.model import Labels, LabelSelector

    what: list[str] = []
    new_rules: dict[str, list[PolicyRule]] = {}
    for direction in ("Ingress", "Egress"):
        out = []
        for rule in policy.rules(direction):
            peers, ports = list(rule.peers), list(rule.ports)
            if rule_id == "NP006":
                for i, peer in enumerate(peers):
                    sel = peer.namespace_selector
                    if sel is None:
                        continue
                    labels = dict(sel.match_labels)
                    for k, v in list(labels.items()):
                        if (
                            k != NAMESPACE_NAME_LABEL
                            and v in cluster.namespaces
                            and not any(
                                ns.labels.get(k) == v
                                for ns in cluster.namespaces.values()
                            )
                        ):
                            del labels[k]
                            labels[NAMESPACE_NAME_LABEL] = v
                            what.append(
                                f"namespace label {k}={v} -> {NAMESPACE_NAME_LABEL}={v}"
                            )
                    if labels != dict(sel.match_labels):
                        peers[i] = replace(
                            peer,
                            namespace_selector=LabelSelector(
                                Labels(labels), sel.match_expressions
                            ),
                        )
            elif rule_id == "NP008" and direction == "Ingress":
                ports = [_pod_port(cluster, policy, p, what, replaced) for p in ports]
            elif rule_id == "NP014":
                ns_only = [
                    p
                    for p in peers
                    if p.namespace_selector is not None
                    and p.pod_selector is None
                    and not p.namespace_selector.is_empty
                ]
                pod_only = [
                    p
                    for p in peers
                    if p.pod_selector is not None
                    and p.namespace_selector is None
                    and p.ip_block is None
                ]
                if ns_only and pod_only:
                    merged = PolicyPeer(
                        pod_only[0].pod_selector, ns_only[0].namespace_selector
                    )
                    peers = [
                        p for p in peers if p is not ns_only[0] and p is not pod_only[0]
                    ]
                    peers.insert(0, merged)
                    what.append(
                        f"{direction.lower()} rule {rule.index + 1}: namespaceSelector "
                        "and podSelector merged into one peer"
                    )
            out.append(replace(rule, peers=tuple(peers), ports=tuple(ports)))
        new_rules[direction] = out
    return (
        replace(
            policy,
            ingress=tuple(new_rules["Ingress"]),
            egress=tuple(new_rules["Egress"]),
        ),
        what,
    )


def _pod_port(
    cluster: Cluster,
    policy: NetworkPolicy,
    entry: PolicyPort,
    what: list[str],
    replaced: set[tuple[str, str, int]],
) -> PolicyPort:
    from dataclasses import replace

    if not isinstance(entry.port, int) or entry.end_port is not None:
        return entry
    selected = [
        w
        for w in cluster.workloads_in(policy.namespace)
        if policy.pod_selector.matches(w.labels)
    ]
    if any(
        p.port == entry.port and p.protocol == entry.protocol
        for w in selected
        for p in w.ports
    ):
        return entry
    for svc in cluster.services.values():
        for sp in svc.ports:
            backends = [w for w in cluster.backends(svc) if w in selected]
            if sp.port != entry.port or sp.protocol != entry.protocol or not backends:
                continue
            target = sp.target_port
            if isinstance(target, str) and not target.isdigit():
                number = backends[0].named_port(target, sp.protocol)
                if number is None:
                    continue
                target = number
            target = int(target)
            if target != entry.port:
                what.append(
                    f"port {entry.port} (Service {svc.key}) -> pod port {target}"
                )
                replaced.update((w.key, entry.protocol, entry.port) for w in selected)
                return replace(entry, port=target)
    return entry


def _merge_split(spec: dict[str, Any]) -> list[str]:
    rules = spec.get("rules") or []
    changed = []
    i = 0
    while i + 1 < len(rules):
        a, b = rules[i], rules[i + 1]
        if (
            isinstance(a, dict)
            and isinstance(b, dict)
            and (
                (set(a) == {"from"} and set(b) == {"to"})
                or (set(a) == {"to"} and set(b) == {"from"})
            )
        ):
            rules[i] = {
                "from": (a.get("from") or b.get("from")),
                "to": (a.get("to") or b.get("to")),
            }
            del rules[i + 1]
            changed.append(
                f"rules[{i}] and rules[{i + 1}] merged into one from/to rule"
            )
        i += 1
    return changed


def _default_deny(ns: str, directions: list[str]) -> Generated:
    from ztlab.synth.generated import manifest

    name = (
        DEFAULT_DENY
        if len(directions) == 2
        else f"{DEFAULT_DENY}-{directions[0].lower()}"
    )
    text = f"Added: default-deny for {' and '.join(directions)} in {ns}"
    return Generated(
        manifest(
            "networking.k8s.io/v1",
            "NetworkPolicy",
            ns,
            name,
            {"podSelector": {}, "policyTypes": directions},
        ),
        f"{text}; the allows added with it keep the flows allowed today.",
    )


def _isolated(cluster: Cluster, direction: str) -> set[str]:
    """Keys of the workloads some NetworkPolicy isolates in ``direction``."""
    from ztlab.netpol import engine_of

    engine = engine_of(cluster)
    table = (
        engine.ingress_policies if direction == "Ingress" else engine.egress_policies
    )
    return {w.key for c in engine.index.classes if table[c.index] for w in c.members}


def isolation_allows(
    cluster: Cluster, ns: str, directions: list[str]
) -> tuple[list[Generated], str]:
    """Allows that keep, under a new default-deny of ``directions`` in ``ns``,
    every flow the workloads it newly isolates have today; or "" and why not.

    The intent is the NetworkPolicy flows of today in those directions for
    every workload of ``ns`` (so that a selector shared with an already
    isolated workload grants nothing new); the plan and the generated
    policies are those of the export (:mod:`ztlab.synth.plan`,
    :mod:`ztlab.synth.netpol_gen`); only the policies selecting a newly
    isolated workload are kept.

    >>> import ztlab
    >>> c = ztlab.load("sample_clusters/online-boutique")
    >>> allows, why = isolation_allows(c, "boutique", ["Ingress"])
    >>> sorted(g.name for g in allows), why
    (['adservice-ingress', 'cartservice-ingress-2'], '')

    Limitations: the flows kept are the NetworkPolicy ones (the mesh is left
    as it is); ports that only *possibly* pass (ipBlocks against unknown pod
    IPs, hostNetwork) are not among them.
    """
    from ztlab.model import LabelSelector
    from ztlab.netpol import flows
    from ztlab.synth.intent import Intent, IntentFlow
    from ztlab.synth.netpol_gen import network_policies
    from ztlab.synth.plan import make_plan

    here = {w.key for w in cluster.workloads_in(ns)}
    newly = {d: here - _isolated(cluster, d) for d in directions}
    if not any(newly.values()):
        return [], ""
    wanted = []
    for f in flows(cluster):
        ingress = "Ingress" in directions and f.dst in here
        egress = "Egress" in directions and f.src in here
        if (ingress or egress) and not f.ports.is_empty():
            wanted.append(IntentFlow(f.src, f.dst, f.ports))
    plan = make_plan(cluster, Intent(tuple(wanted), dns=False, namespaces=(ns,)))
    lost = [
        i
        for i in plan.inexpressible
        if (i.dst in newly.get("Ingress", ()) or i.src in newly.get("Egress", ()))
    ]
    if lost:
        return [], "a default-deny would drop flows allowed today: " + "; ".join(
            str(i) for i in lost
        )
    out = []
    for g in network_policies(plan):
        spec = g.data["spec"]
        types = spec["policyTypes"]
        if g.name == DEFAULT_DENY or len(types) != 1 or types[0] not in directions:
            continue
        selector = LabelSelector.from_spec(spec["podSelector"])
        if any(selector.matches(cluster.workloads[k].labels) for k in newly[types[0]]):
            out.append(_renamed(cluster, g))
    return out, ""


def _renamed(cluster: Cluster, g: Generated) -> Generated:
    """``g`` under a name no existing policy of its namespace has (kept as is)."""
    name, n = g.name, 1
    while f"{g.namespace}/{name}" in cluster.network_policies:
        n += 1
        name = f"{g.name}-{n}"
    if name == g.name:
        return g
    data = copy.deepcopy(g.data)
    data["metadata"]["name"] = name
    return Generated(data, g.comment)


def _dns_fix(cluster: Cluster, ns: str, workload: str | None) -> Generated:
    from ztlab.synth.generated import manifest
    from ztlab.synth.labels import choose_selector
    from ztlab.synth.plan import dns_servers

    servers = dns_servers(cluster)
    label = servers[0].labels.get("k8s-app", "kube-dns") if servers else "kube-dns"
    selector: dict[str, Any] = {}
    name = ALLOW_DNS
    if workload is not None:
        w = cluster.workloads[workload]
        # Select only the workloads that lack DNS, so no other pod becomes isolated.
        isolated_all = all(
            _egress_isolated(cluster, o) for o in cluster.workloads_in(ns)
        )
        if not isolated_all:
            sel = choose_selector(w, cluster.workloads_in(ns))
            selector = {"matchLabels": sel.labels.to_dict()}
            name = f"{w.name}-{ALLOW_DNS}"
    spec = dns_egress_spec(selector, label)
    return Generated(
        manifest("networking.k8s.io/v1", "NetworkPolicy", ns, name, spec),
        f"Added: DNS egress to kube-system/k8s-app={label} on 53/UDP and 53/TCP.",
    )


def _egress_isolated(cluster: Cluster, w) -> bool:
    from ztlab.netpol import engine_of

    engine = engine_of(cluster)
    for c in engine.index.classes:
        if w in c.members:
            return bool(engine.egress_policies[c.index])
    return False
