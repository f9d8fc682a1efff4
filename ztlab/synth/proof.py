"""Proof by re-analysis: the exported policies allow exactly the intent.

The generated YAML is parsed again and put in place of the original policies
of the governed namespaces (workloads, Services and service accounts stay as
loaded). Then the NetworkPolicy engine's flows and, where a mesh applies, the
mesh engine's mTLS outcome and authorization decision are compared with the
intent: every extra and every missing flow is a difference.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

import yaml

from ztlab.errors import Provenance
from ztlab.model import Cluster, PortSet
from ztlab.synth.generated import Generated
from ztlab.synth.intent import is_cidr
from ztlab.synth.plan import Inexpressible, Plan

__all__ = ["Difference", "Proof", "reload", "prove"]

POLICY_KINDS = ("PeerAuthentication", "AuthorizationPolicy")
_TAG = "intent:"
_SMALL_RANGE = 64
_PROBE_METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH")


@dataclass(frozen=True)
class Difference:
    """One way the re-analysis differs from the intent.

    ``kind``: ``extra`` (allowed, not intended), ``missing`` (intended, not
    allowed), ``uncertain`` (depends on the network plugin), ``mtls`` (allowed
    with another mTLS outcome than expected) or ``gap`` (the mesh admits what
    it cannot tell apart from an intended caller; the network layer denies it).
    """

    layer: str
    kind: str
    src: str
    dst: str
    ports: str
    detail: str = ""

    def to_dict(self) -> dict[str, str]:
        return {
            "layer": self.layer,
            "kind": self.kind,
            "src": self.src,
            "dst": self.dst,
            "ports": self.ports,
            "detail": self.detail,
        }


@dataclass
class Proof:
    """The outcome: ``status`` is ``proven``, ``inexpressible`` or ``failed``."""

    differences: list[Difference] = field(default_factory=list)
    gaps: list[Difference] = field(default_factory=list)
    inexpressible: list[Inexpressible] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)
    mesh: bool = False

    @property
    def status(self) -> str:
        if self.differences:
            return "failed"
        return "inexpressible" if self.inexpressible else "proven"

    @property
    def ok(self) -> bool:
        """True when nothing but reported inexpressible flows differs."""
        return not self.differences

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "mesh": self.mesh,
            "checked": dict(self.checked),
            "differences": [d.to_dict() for d in self.differences],
            "gaps": [d.to_dict() for d in self.gaps],
            "inexpressible": [i.to_dict() for i in self.inexpressible],
        }


def reload(
    cluster: Cluster, generated: list[Generated], governed: tuple[str, ...]
) -> Cluster:
    """The cluster with the generated objects in place of its policies.

    Original NetworkPolicies, PeerAuthentications and AuthorizationPolicies of
    governed namespaces are dropped; a generated object replaces the original
    of the same kind, namespace and name; everything else is kept.
    """
    from ztlab.load import Document, build_cluster

    text = yaml.safe_dump_all([g.data for g in generated], sort_keys=True)
    docs = [
        Document(data, Provenance("<export>", i + 1))
        for i, data in enumerate(yaml.safe_load_all(text))
    ]
    new = build_cluster(docs)
    replaced = {(r.kind, r.namespace, r.name) for r in new.istio}
    kept_istio = tuple(
        r
        for r in cluster.istio
        if (r.kind, r.namespace, r.name) not in replaced
        and not (r.kind in POLICY_KINDS and r.namespace in governed)
    )
    policies = {
        k: p for k, p in cluster.network_policies.items() if p.namespace not in governed
    }
    policies.update(new.network_policies)
    return cluster.replace(network_policies=policies, istio=kept_istio + new.istio)


def prove(plan: Plan, generated: list[Generated], mesh: bool | None = None) -> Proof:
    """Re-analyse the export and compare it with the plan's expected flows.

    ``mesh`` None checks the mesh when the original cluster has one.

    >>> import ztlab
    >>> from ztlab.synth.intent import from_current
    >>> from ztlab.synth.plan import make_plan
    >>> from ztlab.synth.netpol_gen import network_policies
    >>> c = ztlab.load("sample_clusters/online-boutique")
    >>> plan = make_plan(c, from_current(c, remove=["*->boutique/adservice"]))
    >>> prove(plan, network_policies(plan)).status
    'proven'
    """
    from ztlab.mesh import mesh_applies

    after = reload(plan.cluster, generated, plan.governed)
    proof = Proof(inexpressible=list(plan.inexpressible))
    _network(plan, after, proof)
    proof.mesh = mesh_applies(plan.cluster) if mesh is None else mesh
    if proof.mesh:
        _mesh(plan, after, proof)
    _explain(proof)
    return proof


def _explain(proof: Proof) -> None:
    """Missing flows that a reported inexpressible flow explains are not failures."""
    kept = []
    for d in proof.differences:
        if d.kind == "missing" and any(
            _same(d.src, i.src) and _same(d.dst, i.dst) for i in proof.inexpressible
        ):
            continue
        kept.append(d)
    proof.differences = kept


def _same(a: str, b: str) -> bool:
    """The same workload, or overlapping address ranges (split differently)."""
    if a == b:
        return True
    if not (is_cidr(a) and is_cidr(b)):
        return False
    x, y = ipaddress.ip_network(a), ipaddress.ip_network(b)
    return x.version == y.version and x.overlaps(y)


# Network layer


def _network(plan: Plan, after: Cluster, proof: Proof) -> None:
    from ztlab.netpol import flows

    actual: dict[tuple[str, str], tuple[PortSet, PortSet]] = {}
    external: dict[tuple[str, str], list[tuple[str, PortSet]]] = {}
    for f in flows(after, include_self=True):
        if f.src_kind == "external" or f.dst_kind == "external":
            w, side = (f.dst, "in") if f.src_kind == "external" else (f.src, "out")
            if plan.is_governed(w):
                cidr = f.src if side == "in" else f.dst
                external.setdefault((w, side), []).append((cidr, f.ports))
            continue
        if f.src != f.dst and (plan.is_governed(f.src) or plan.is_governed(f.dst)):
            actual[(f.src, f.dst)] = (f.ports, f.possible)
    expected_ext: dict[tuple[str, str], list[tuple[str, PortSet]]] = {}
    for (src, dst), ports in plan.expected.items():
        if is_cidr(src) and plan.is_governed(dst):
            expected_ext.setdefault((dst, "in"), []).append((src, ports))
        elif is_cidr(dst) and plan.is_governed(src):
            expected_ext.setdefault((src, "out"), []).append((dst, ports))
    pairs = {k for k in plan.expected if not is_cidr(k[0]) and not is_cidr(k[1])}
    pairs |= set(actual)
    for src, dst in sorted(pairs):
        want = plan.expected.get((src, dst), PortSet.empty())
        sure, possible = actual.get((src, dst), (PortSet.empty(), PortSet.empty()))
        _compare(proof, "network", src, dst, want, sure)
        vague = possible - want
        if not vague.is_empty() and not _covered_by_blocks(
            vague,
            expected_ext.get((dst, "in"), []) + expected_ext.get((src, "out"), []),
        ):
            proof.differences.append(
                Difference(
                    "network",
                    "uncertain",
                    src,
                    dst,
                    str(vague),
                    "allowed or not depending on whether ipBlock matches pod IPs",
                )
            )
    for key in sorted(set(external) | set(expected_ext)):
        w, side = key
        for cidr, want, got in _external_atoms(
            expected_ext.get(key, []), external.get(key, [])
        ):
            src, dst = (cidr, w) if side == "in" else (w, cidr)
            _compare(proof, "network", src, dst, want, got)
    proof.checked["network pairs"] = len(pairs)
    proof.checked["external endpoints"] = len(set(external) | set(expected_ext))


def _compare(
    proof: Proof, layer: str, src: str, dst: str, want: PortSet, got: PortSet
) -> None:
    extra, missing = got - want, want - got
    if not extra.is_empty():
        proof.differences.append(Difference(layer, "extra", src, dst, str(extra)))
    if not missing.is_empty():
        proof.differences.append(Difference(layer, "missing", src, dst, str(missing)))


def _covered_by_blocks(ports: PortSet, blocks: list[tuple[str, PortSet]]) -> bool:
    allowed = PortSet.empty()
    for _, p in blocks:
        allowed = allowed | p
    return (ports - allowed).is_empty()


def _tagged(ports: PortSet) -> PortSet:
    out = PortSet.empty()
    for protocol, ranges in ports.by_protocol:
        out = out | PortSet.from_ranges(_TAG + protocol, ranges)
    return out


def _external_atoms(
    want: list[tuple[str, PortSet]], got: list[tuple[str, PortSet]]
) -> list[tuple[str, PortSet, PortSet]]:
    """Disjoint CIDRs with (intended ports, allowed ports) for each."""
    from ztlab.netpol.engine import _atoms

    blocks: list[tuple[Any, list[Any], PortSet]] = [
        (ipaddress.ip_network(c), [], _tagged(p)) for c, p in want
    ]
    blocks += [(ipaddress.ip_network(c), [], p) for c, p in got]
    out = []
    for cidr, ports in _atoms(blocks):
        mine = PortSet.empty()
        theirs = PortSet.empty()
        for protocol, ranges in ports.by_protocol:
            if protocol.startswith(_TAG):
                mine = mine | PortSet.from_ranges(protocol[len(_TAG) :], ranges)
            else:
                theirs = theirs | PortSet.from_ranges(protocol, ranges)
        out.append((cidr, mine, theirs))
    return out


# Mesh layer


def _probe_ports(ports: PortSet, declared: set[int] | None = None) -> list[int]:
    """TCP ports worth probing: small ranges whole, and declared ports in big ones."""
    out: set[int] = set()
    for lo, hi in ports.ranges("TCP"):
        if hi - lo < _SMALL_RANGE:
            out.update(range(lo, hi + 1))
        else:
            out.update(p for p in declared or () if lo <= p <= hi)
    return sorted(out)


def _representative(cidr: str) -> str:
    net = ipaddress.ip_network(cidr)
    if net.num_addresses == 1:
        return str(net.network_address)
    return str(net.network_address + 1)


def _mesh(plan: Plan, after: Cluster, proof: Proof) -> None:
    from ztlab.mesh import Request, mesh_of
    from ztlab.mesh.identity import principal

    mesh = mesh_of(after)
    callers = sorted(after.workloads)
    outside = sorted(
        {k[0] for k in plan.expected if is_cidr(k[0])} | {"203.0.113.1/32"}
    )
    checked = 0
    for dst in sorted(after.workloads):
        w = after.workloads[dst]
        if not plan.is_governed(dst) or not mesh.dataplane(w).meshed:
            continue
        wanted: dict[str, PortSet] = {
            src: ports for (src, d), ports in plan.expected.items() if d == dst
        }
        probe = PortSet.empty()
        for p in w.ports:
            probe = probe | PortSet.of(p.protocol, p.port)
        for ports in wanted.values():
            probe = probe | ports
        declared = {p.port for p in w.ports if p.protocol == "TCP"}
        intended_principals: dict[int, set[str | None]] = {}
        for src, ports in wanted.items():
            for port in _probe_ports(ports, declared):
                who = None
                if not is_cidr(src) and mesh.dataplane(src).meshed:
                    who = principal(after, after.workloads[src])
                intended_principals.setdefault(port, set()).add(who)
        for src in [*callers, *outside]:
            if src == dst:
                continue
            want = _wanted(wanted, src)
            for port in _probe_ports(probe, declared):
                checked += 1
                if is_cidr(src):
                    verdict = mesh.evaluate(
                        None, dst, dst_port=port, src_ip=_representative(src)
                    )
                    meshed_caller, who = False, None
                else:
                    requests = _requests(plan, src, dst, port)
                    verdict = mesh.evaluate(src, dst, dst_port=port, request=requests)
                    meshed_caller = mesh.dataplane(src).meshed
                    who = (
                        principal(after, after.workloads[src])
                        if meshed_caller
                        else None
                    )
                intended = ("TCP", port) in want
                if intended and not verdict.allowed:
                    layer = "mtls" if verdict.mtls == "rejected" else "authz"
                    proof.differences.append(
                        Difference(
                            layer, "missing", src, dst, f"TCP {port}", verdict.reason
                        )
                    )
                elif intended:
                    expect = "mutual" if meshed_caller else "plaintext"
                    if verdict.mtls != expect:
                        proof.differences.append(
                            Difference(
                                "mtls",
                                "mtls",
                                src,
                                dst,
                                f"TCP {port}",
                                f"expected {expect}, got {verdict.mtls}",
                            )
                        )
                elif verdict.allowed:
                    reason = _gap_reason(who, intended_principals.get(port, set()))
                    diff = Difference(
                        "authz" if verdict.authz == "allow" else "mtls",
                        "gap" if reason else "extra",
                        src,
                        dst,
                        f"TCP {port}",
                        reason or verdict.reason,
                    )
                    if reason and not _network_allows(proof, after, src, dst, port):
                        proof.gaps.append(diff)
                    else:
                        proof.differences.append(diff)
                _check_http(plan, mesh, Request, src, dst, port, proof)
    proof.checked["mesh probes"] = checked


def _wanted(wanted: dict[str, PortSet], src: str) -> PortSet:
    if not is_cidr(src):
        return wanted.get(src, PortSet.empty())
    net = ipaddress.ip_network(src)
    out = PortSet.empty()
    for cidr, ports in wanted.items():
        if is_cidr(cidr):
            block = ipaddress.ip_network(cidr)
            if block.version == net.version and net.subnet_of(block):  # type: ignore[arg-type]
                out = out | ports
    return out


def _gap_reason(who: str | None, intended: set[str | None]) -> str:
    if who is not None and who in intended:
        return (
            f"shares the identity {who} with an intended caller; give it its own "
            "ServiceAccount to tell them apart"
        )
    if who is None and None in intended:
        return (
            "a caller without identity, like an intended plaintext or external "
            "caller; only the NetworkPolicy tells them apart"
        )
    return ""


def _network_allows(
    proof: Proof, after: Cluster, src: str, dst: str, port: int
) -> bool:
    if is_cidr(src):
        return False
    verdict = after.can_reach(src, dst, port, "TCP")
    return bool(verdict.allowed)


def _requests(plan: Plan, src: str, dst: str, port: int) -> Any:
    from ztlab.mesh import Request

    for f in plan.http.get((src, dst), []):
        if ("TCP", port) in f.ports:
            method = f.methods[0] if f.methods else None
            path = f.paths[0].replace("*", "x") if f.paths else None
            return Request(method=method, path=path)
    return None


def _check_http(plan, mesh, request_type, src, dst, port, proof) -> None:
    """An intended HTTP flow must be denied for a method the intent omits."""
    if is_cidr(src):
        return
    for f in plan.http.get((src, dst), []):
        if ("TCP", port) not in f.ports or not f.methods:
            continue
        other = next(m for m in _PROBE_METHODS if m not in f.methods)
        path = f.paths[0].replace("*", "x") if f.paths else None
        verdict = mesh.evaluate(
            src, dst, dst_port=port, request=request_type(method=other, path=path)
        )
        if verdict.protocol == "http" and verdict.allowed:
            proof.differences.append(
                Difference(
                    "authz",
                    "extra",
                    src,
                    dst,
                    f"TCP {port} {other} {path or ''}".strip(),
                    "a method the intent does not name is allowed",
                )
            )
        return
