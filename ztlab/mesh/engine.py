"""The mesh engine: per-workload answers and per-flow verdicts, cached per Cluster.

Whether a flow is HTTP or TCP follows Istio's protocol selection on the Service
port: ``appProtocol`` first, then the port name's prefix (``<protocol>`` or
``<protocol>-<suffix>``). ``http``, ``http2``, ``grpc``, ``grpc-web`` (and
``kubernetes.io/h2c``) are HTTP; ``tcp``, ``tls``, ``https``, databases and
unnamed ports are TCP. Istio sniffs unnamed ports, so there ztlab says TCP but
marks the verdict not definite when an applicable policy uses HTTP-only fields.
``Request(protocol=...)`` overrides the choice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ztlab.errors import QueryError
from ztlab.mesh.authz import (
    RequestContext,
    applicable_policies,
    authorize,
    http_only_fields,
)
from ztlab.mesh.client import ClientTLS, client_tls
from ztlab.mesh.dataplane import AMBIENT, INJECTION_LABEL, REV, Dataplane, dataplane_of
from ztlab.mesh.identity import principal, spiffe_id
from ztlab.mesh.outcome import Outcome, outcome
from ztlab.mesh.peerauth import PeerAuthIndex, PeerMode
from ztlab.mesh.requestauth import applicable_request_authns, authenticate
from ztlab.model import Cluster, Service, ServicePort, Workload

__all__ = ["Request", "MeshVerdict", "Mesh", "mesh_of", "mesh_applies", "protocol_of"]

HTTP_PROTOCOLS = ("http", "http2", "grpc", "grpc-web", "kubernetes.io/h2c")


@dataclass(frozen=True)
class Request:
    """What the caller sends. ``jwt_claims`` are the claims of a valid-looking
    token (None: no token); ``jwt_invalid`` marks a token that fails validation;
    ``protocol`` (``http`` or ``tcp``) overrides the Service port's protocol.

    >>> Request("GET", "/api", protocol="http").method
    'GET'
    """

    method: str | None = None
    path: str | None = None
    host: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    jwt_claims: Mapping[str, Any] | None = None
    jwt_invalid: bool = False
    protocol: str | None = None


@dataclass(frozen=True)
class MeshVerdict:
    """The mesh's answer for one flow.

    ``mtls``: ``mutual``, ``plaintext`` or ``rejected``; ``authz``: ``allow``,
    ``deny`` or ``not-applicable`` (no proxy enforces, or the connection was
    rejected first); ``policies``: ids of the objects that decided, transport
    first.
    """

    mtls: str
    authz: str
    policies: list[str]
    reason: str
    definite: bool = True
    protocol: str = "tcp"
    notes: tuple[str, ...] = ()
    client: ClientTLS | None = None
    server: PeerMode | None = None

    @property
    def allowed(self) -> bool:
        """True when the connection is accepted and authorization allows it."""
        return self.mtls != "rejected" and self.authz != "deny"

    def to_dict(self) -> dict[str, Any]:
        return {
            "mtls": self.mtls,
            "authz": self.authz,
            "policies": list(self.policies),
            "reason": self.reason,
        }

    def explain(self) -> dict[str, Any]:
        """Everything: the four ``to_dict`` members plus definiteness and notes."""
        return {
            **self.to_dict(),
            "definite": self.definite,
            "protocol": self.protocol,
            "notes": list(self.notes),
            "client": self.client.reason if self.client else None,
            "server": self.server.reason if self.server else None,
        }


def protocol_of(port: ServicePort | None) -> tuple[str, bool]:
    """(``http`` or ``tcp``, chosen explicitly) for a Service port.

    >>> protocol_of(ServicePort(80, 8080, name="http-web"))
    ('http', True)
    >>> protocol_of(ServicePort(80, 8080, name="web"))
    ('tcp', False)
    """
    if port is None:
        return "tcp", False
    if port.app_protocol:
        return ("http" if port.app_protocol.lower() in HTTP_PROTOCOLS else "tcp"), True
    name = (port.name or "").lower()
    if not name:
        return "tcp", False
    prefix = name.split("-", 1)[0]
    if name.startswith("grpc-web"):
        prefix = "grpc-web"
    if prefix in HTTP_PROTOCOLS:
        return "http", True
    known = ("tcp", "tls", "https", "mongo", "mysql", "redis", "udp", "thrift")
    return "tcp", prefix in known


def _target(port: ServicePort, workload: Workload) -> int | None:
    if isinstance(port.target_port, int):
        return port.target_port
    if str(port.target_port).isdigit():
        return int(port.target_port)
    return workload.named_port(str(port.target_port), port.protocol)


class Mesh:
    """The Istio view of one Cluster. Build it with :func:`mesh_of`.

    >>> import ztlab
    >>> from ztlab.load import Document
    >>> from ztlab.errors import Provenance
    >>> docs = [Document(d, Provenance("inline")) for d in (
    ...     {"apiVersion": "v1", "kind": "Namespace",
    ...      "metadata": {"name": "shop", "labels": {"istio-injection": "enabled"}}},
    ...     {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web",
    ...      "namespace": "shop"}, "spec": {"template": {"spec": {
    ...      "containers": [{"name": "c"}]}}}})]
    >>> mesh = mesh_of(ztlab.build_cluster(docs))
    >>> mesh.dataplane("shop/web").mode, mesh.identity("shop/web")
    ('sidecar', 'spiffe://cluster.local/ns/shop/sa/default')
    """

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.peer = PeerAuthIndex(cluster)
        self._planes: dict[str, Dataplane] = {}

    # Per workload

    def _workload(self, ref: str | Workload) -> Workload:
        return ref if isinstance(ref, Workload) else self.cluster.workload(ref)

    def dataplane(self, ref: str | Workload) -> Dataplane:
        workload = self._workload(ref)
        if workload.key not in self._planes:
            self._planes[workload.key] = dataplane_of(self.cluster, workload)
        return self._planes[workload.key]

    def identity(self, ref: str | Workload) -> str | None:
        """The SPIFFE id of a meshed workload; None without a proxy."""
        workload = self._workload(ref)
        return (
            spiffe_id(self.cluster, workload)
            if self.dataplane(workload).meshed
            else None
        )

    def peer_mode(self, ref: str | Workload, port: int | None = None) -> PeerMode:
        """The effective PeerAuthentication mode on a container port."""
        return self.peer.mode_for(self._workload(ref), port)

    def authorization_policies(self, ref: str | Workload) -> list[str]:
        return [p.id for p in applicable_policies(self.cluster, self._workload(ref))]

    def workload_info(self, ref: str | Workload) -> dict[str, Any]:
        """Dataplane, identity, per-port mTLS mode and applicable policies."""
        workload = self._workload(ref)
        ports = sorted({p.port for p in workload.ports})
        modes = {}
        for port in [None, *ports]:
            mode = self.peer_mode(workload, port)
            modes["default" if port is None else str(port)] = {
                "mode": mode.mode,
                "scope": mode.scope,
                "policy": mode.policy_id,
            }
        return {
            "workload": workload.key,
            "dataplane": self.dataplane(workload).to_dict(),
            "identity": self.identity(workload),
            "peer_authentication": modes,
            "authorization_policies": self.authorization_policies(workload),
            "request_authentications": [
                p.id for p in applicable_request_authns(self.cluster, workload)
            ],
        }

    def findings(self) -> list[Any]:
        from ztlab.mesh.findings import mesh_findings

        return mesh_findings(self)

    # Per flow

    def _service_port(
        self,
        dst: Workload,
        dst_port: int | None,
        service: Service | None,
        service_port: int | None,
    ) -> tuple[Service | None, ServicePort | None, int | None]:
        candidates = [service] if service is not None else self.cluster.services_of(dst)
        for svc in candidates:
            for port in svc.ports:
                if service_port is not None and port.port != service_port:
                    continue
                target = _target(port, dst)
                if dst_port is None or target == dst_port:
                    return svc, port, target if dst_port is None else dst_port
        return service, None, dst_port

    def evaluate(
        self,
        src: str | Workload | None,
        dst: str | Workload,
        dst_port: int | None = None,
        service: str | Service | None = None,
        service_port: int | None = None,
        request: Request | None = None,
        src_ip: str | None = None,
    ) -> MeshVerdict:
        """The mesh verdict for ``src`` calling ``dst`` on a container port.

        ``src`` None is a caller outside the model (no proxy). ``service`` and
        ``service_port`` say how the call was addressed; when absent ztlab picks
        a Service of ``dst`` whose port targets ``dst_port``.
        """
        request = request or Request()
        src_w = None if src is None else self._workload(src)
        dst_w = self._workload(dst)
        svc = self.cluster.service(service) if isinstance(service, str) else service
        svc, sport, dst_port = self._service_port(dst_w, dst_port, svc, service_port)
        if dst_port is None:
            raise QueryError(
                f"no port of {dst_w.key} is known for this flow; pass dst_port "
                f"(a container port) or a service_port of one of its Services"
            )
        protocol, explicit = protocol_of(sport)
        if request.protocol:
            protocol, explicit = request.protocol.lower(), True
        notes: list[str] = []

        src_plane = self.dataplane(src_w) if src_w is not None else None
        dst_plane = self.dataplane(dst_w)
        if sport is not None and sport.protocol == "UDP":
            return MeshVerdict(
                "plaintext",
                "not-applicable",
                [],
                "Istio does not proxy UDP: the datagrams pass as they are",
                True,
                "udp",
            )

        server = self.peer_mode(dst_w, dst_port) if dst_plane.meshed else None
        ns_mode = self.peer.namespace_mode(svc.namespace if svc else dst_w.namespace)
        client = client_tls(
            self.cluster,
            src_w,
            src_plane,
            dst_w,
            dst_plane,
            svc,
            sport.port if sport else None,
            ns_mode,
        )
        result: Outcome = outcome(client, dst_plane, server)
        transport_ids = [
            i
            for i in (
                client.rule.id
                if client.rule and client.source == "destination-rule"
                else None,
                client.auto_disabled_by.policy_id if client.auto_disabled_by else None,
                server.policy_id if server else None,
            )
            if i
        ]
        policies = list(dict.fromkeys(transport_ids))
        definite = result.definite

        if result.mtls == "rejected":
            return MeshVerdict(
                "rejected",
                "not-applicable",
                policies,
                f"rejected: {result.reason}",
                definite,
                protocol,
                tuple(notes),
                client,
                server,
            )
        if not dst_plane.meshed:
            return MeshVerdict(
                result.mtls,
                "not-applicable",
                policies,
                f"{result.reason}; no proxy enforces authorization",
                definite,
                protocol,
                tuple(notes),
                client,
                server,
            )

        http = protocol == "http"
        if http and dst_plane.mode == "ambient":
            http = False
            notes.append(
                "ambient without waypoint: ztunnel enforces L4 only, HTTP fields are "
                "handled as on TCP"
            )
        aps = applicable_policies(self.cluster, dst_w)
        if not explicit and any(
            http_only_fields(r)
            for p in aps
            for r in p.spec.get("rules") or ()
            if isinstance(r, Mapping)
        ):
            definite = False
            notes.append(
                "the port's protocol is not declared; Istio sniffs it, ztlab assumes "
                "TCP"
            )

        authn = None
        if http:
            authn = authenticate(
                applicable_request_authns(self.cluster, dst_w),
                request.jwt_claims,
                request.jwt_invalid,
            )
            if authn.rejected:
                return MeshVerdict(
                    result.mtls,
                    "deny",
                    policies + [p.id for p in authn.policies],
                    f"{result.reason}; {authn.reason}",
                    definite,
                    protocol,
                    tuple(notes),
                    client,
                    server,
                )
        if src_ip is None and src_w is not None and src_w.pod_ips:
            src_ip = src_w.pod_ips[0]
        ctx = RequestContext(
            principal=principal(self.cluster, src_w)
            if result.identity and src_w
            else None,
            namespace=src_w.namespace if result.identity and src_w else None,
            source_ip=src_ip,
            destination_ip=dst_w.pod_ips[0] if dst_w.pod_ips else None,
            port=dst_port,
            http=http,
            method=request.method if http else None,
            path=request.path if http else None,
            host=request.host if http else None,
            headers=request.headers if http else {},
            request_principal=authn.principal if authn else None,
            claims=authn.claims if authn else {},
        )
        decision = authorize(aps, ctx)
        notes.extend(decision.notes)
        return MeshVerdict(
            result.mtls,
            decision.decision,
            policies + list(decision.policies),
            f"{result.reason}; authorization: {decision.reason}",
            definite and decision.definite,
            protocol,
            tuple(notes),
            client,
            server,
        )


def mesh_of(cluster: Cluster) -> Mesh:
    """The cached Mesh of a Cluster."""
    mesh: Mesh = cluster.cached("mesh", lambda: Mesh(cluster))
    return mesh


def mesh_applies(cluster: Cluster) -> bool:
    """True when the cluster has Istio resources or meshed namespaces or pods.

    >>> mesh_applies(Cluster())
    False
    """
    if cluster.istio:
        return True
    for ns in cluster.namespaces.values():
        if ns.labels.get(INJECTION_LABEL) == "enabled" or ns.labels.get(REV):
            return True
        if ns.labels.get(AMBIENT) == "ambient":
            return True
    mesh = mesh_of(cluster)
    return any(mesh.dataplane(w).meshed for w in cluster.workloads.values())
