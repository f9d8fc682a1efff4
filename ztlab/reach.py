"""One query through both layers: NetworkPolicy first, then the Istio mesh.

A connection is allowed when NetworkPolicy allows it, the mesh does not reject
it, and authorization allows the request.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from ztlab.errors import QueryError
from ztlab.model import Cluster, Service, Workload
from ztlab.netpol import Verdict, can_reach

__all__ = ["ReachResult", "reach"]


@dataclass(frozen=True)
class ReachResult:
    """The combined answer: ``network`` (a Verdict), ``mesh`` (a dict or None)."""

    src: str
    dst: str
    port: int | str | None
    protocol: str
    network: Verdict
    mesh: dict[str, Any] | None

    @property
    def allowed(self) -> bool:
        if not self.network.allowed:
            return False
        if self.mesh is None:
            return True
        return self.mesh["mtls"] != "rejected" and self.mesh["authz"] != "deny"

    @property
    def definite(self) -> bool:
        return self.network.definite and (self.mesh is None or self.mesh["definite"])

    def to_dict(self) -> dict[str, Any]:
        net = self.network.to_dict()
        return {
            "src": self.src,
            "dst": self.dst,
            "protocol": self.protocol,
            "port": self.port,
            "allowed": self.allowed,
            "definite": self.definite,
            "network": {
                "allowed": self.network.allowed,
                "definite": self.network.definite,
                "egress": net["egress"],
                "ingress": net["ingress"],
                "reason": self.network.reason,
                "ports": net["ports"],
                "backends": net["backends"],
            },
            "mesh": self.mesh,
        }


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return True


def _mesh_one(
    cluster: Cluster,
    src: Workload | None,
    src_ip: str | None,
    dst: Workload,
    port: int | None,
    service: Service | None,
    service_port: int | None,
    request: Any,
) -> dict[str, Any]:
    from ztlab.mesh import mesh_of

    verdict = mesh_of(cluster).evaluate(
        src,
        dst,
        dst_port=port,
        service=service,
        service_port=service_port,
        request=request,
        src_ip=src_ip,
    )
    out = verdict.to_dict()
    out["definite"] = verdict.definite
    out["protocol"] = verdict.protocol
    out["notes"] = list(verdict.notes)
    out["workload"] = dst.key
    return out


def reach(
    cluster: Cluster,
    src: str,
    dst: str,
    port: int | str | None = None,
    protocol: str = "TCP",
    request: Any = None,
) -> ReachResult:
    """NetworkPolicy and mesh verdicts for ``src`` connecting to ``dst``.

    ``request`` is a :class:`ztlab.mesh.Request` (method, path, host, headers,
    JWT claims) for the mesh's authorization; the mesh part is None when the
    cluster has no mesh or the destination lies outside it.

    >>> import ztlab
    >>> cluster = ztlab.load("sample_clusters/bookinfo-mesh")
    >>> r = reach(cluster, "outside/curl", "svc:bookinfo/ratings", 9080)
    >>> r.network.allowed, r.mesh["mtls"], r.allowed
    (True, 'rejected', False)
    """
    from ztlab.mesh import mesh_applies

    network = can_reach(cluster, src, dst, port=port, protocol=protocol)
    if not mesh_applies(cluster) or _is_address(dst):
        return ReachResult(src, dst, port, protocol, network, None)

    src_ip = src.split("/")[0] if _is_address(src) else None
    sources: list[Workload | None]
    if src.startswith("svc:"):
        sources = list(cluster.backends(cluster.service(src[4:])))
    elif src_ip is not None:
        sources = [None]
    else:
        sources = [network_source(cluster, src)]
    service = cluster.service(dst[4:]) if dst.startswith("svc:") else None
    targets: list[tuple[Workload, int | None]] = []
    if service is not None:
        for b in network.backends or (network,):
            if b.dst.startswith("svc:"):
                continue
            w = cluster.workload(b.dst)
            targets.append((w, b.target_ports[0] if b.target_ports else None))
        service_port = _service_port(service, port, protocol)
    else:
        w = cluster.workload(network.dst)
        number = network.target_ports[0] if network.target_ports else None
        if number is None:
            number = next((p.port for p in w.ports if p.protocol == protocol), None)
        targets = [(w, number)]
        service_port = None
    results: list[dict[str, Any]] = []
    for s in sources:
        for w, number in targets:
            if number is None and service_port is None:
                results.append(
                    {
                        "mtls": None,
                        "authz": None,
                        "policies": [],
                        "definite": False,
                        "reason": f"no {protocol} port known for {w.key}; give --port",
                        "workload": w.key,
                    }
                )
                continue
            try:
                results.append(
                    _mesh_one(
                        cluster, s, src_ip, w, number, service, service_port, request
                    )
                )
            except QueryError as exc:
                results.append(
                    {
                        "mtls": None,
                        "authz": None,
                        "policies": [],
                        "definite": False,
                        "reason": str(exc),
                        "workload": w.key,
                    }
                )
    return ReachResult(src, dst, port, protocol, network, _combine(results))


def network_source(cluster: Cluster, text: str) -> Workload:
    from ztlab.netpol.endpoints import parse_endpoint

    end = parse_endpoint(cluster, text)
    if not isinstance(end, Workload):
        raise QueryError(f"{text} is not a workload")
    return end


def _service_port(
    service: Service, port: int | str | None, protocol: str
) -> int | None:
    for p in service.ports:
        if p.protocol != protocol:
            continue
        if port is None or p.port == port or p.name == port or str(p.port) == str(port):
            return p.port
    return None


def _combine(results: list[dict[str, Any]]) -> dict[str, Any] | None:
    if not results:
        return None
    first = dict(results[0])
    same = all(
        (r["mtls"], r["authz"]) == (first["mtls"], first["authz"]) for r in results
    )
    if len(results) > 1:
        first["backends"] = results
        if not same:
            first["definite"] = False
            first["reason"] = "backends differ: " + "; ".join(
                f"{r['workload']}: {r['mtls']}/{r['authz']}" for r in results
            )
            # The connection is as safe as its weakest backend.
            rank = {"rejected": 0, "plaintext": 1, "mutual": 2, None: 3}
            worst = min(results, key=lambda r: rank.get(r["mtls"], 3))
            first["mtls"] = worst["mtls"]
            first["authz"] = (
                "deny" if any(r["authz"] == "deny" for r in results) else first["authz"]
            )
    first.pop("workload", None)
    return first


def flow_mesh(cluster: Cluster, flow: Any) -> dict[int, dict[str, Any]]:
    """Mesh verdicts of a workload-to-workload flow, per declared TCP port.

    Only the destination's declared container ports inside the flow's allowed
    TCP ranges are evaluated (undeclared ports have no listener to reach).
    Empty when the mesh does not apply or the flow touches an external range.
    """
    from ztlab.mesh import mesh_applies, mesh_of

    if flow.src_kind != "workload" or flow.dst_kind != "workload":
        return {}
    if not cluster.cached("mesh_applies", lambda: mesh_applies(cluster)):
        return {}
    mesh = mesh_of(cluster)
    src = cluster.workloads[flow.src]
    dst = cluster.workloads[flow.dst]
    out: dict[int, dict[str, Any]] = {}
    for p in dst.ports:
        if p.protocol != "TCP" or ("TCP", p.port) not in flow.ports or p.port in out:
            continue
        try:
            verdict = mesh.evaluate(src, dst, dst_port=p.port)
        except QueryError:
            continue
        out[p.port] = {
            "mtls": verdict.mtls,
            "authz": verdict.authz,
            "definite": verdict.definite,
        }
    return out


def summarise_mesh(per_port: dict[int, dict[str, Any]], key: str) -> str:
    """The outcome with the ports it was evaluated on (``mutual on 9080``).

    Only declared ports are evaluated, so the ports are always named: the
    outcome says nothing of the other ports of an allowed range.
    """
    if not per_port:
        return ""
    values = {v[key] for v in per_port.values()}
    if len(values) == 1:
        ports = ",".join(str(p) for p in sorted(per_port))
        return f"{values.pop()} on {ports}"
    return ", ".join(f"{port} {v[key]}" for port, v in sorted(per_port.items()))
