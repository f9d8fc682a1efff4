"""Frozen model objects: what ztlab keeps of each Kubernetes and Istio resource.

Every object carries the :class:`~ztlab.errors.Provenance` of the document it came
from, so that a verdict or finding can point at the file and line behind it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ztlab.errors import Provenance
from ztlab.model.labels import Labels, LabelSelector

__all__ = [
    "NAMESPACE_NAME_LABEL",
    "Namespace",
    "ContainerPort",
    "EnvVar",
    "Container",
    "Workload",
    "ServicePort",
    "Service",
    "ServiceAccount",
    "IPBlock",
    "PolicyPeer",
    "PolicyPort",
    "PolicyRule",
    "NetworkPolicy",
    "IstioResource",
    "WORKLOAD_KINDS",
    "ISTIO_KINDS",
]

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"

WORKLOAD_KINDS = (
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
    "Pod",
)

ISTIO_KINDS = {
    "PeerAuthentication": ("security.istio.io", ("v1", "v1beta1")),
    "AuthorizationPolicy": ("security.istio.io", ("v1", "v1beta1")),
    "RequestAuthentication": ("security.istio.io", ("v1", "v1beta1")),
    "DestinationRule": ("networking.istio.io", ("v1", "v1beta1", "v1alpha3")),
}

_NOWHERE = Provenance("<inferred>")


@dataclass(frozen=True, slots=True)
class Namespace:
    """A namespace; ``inferred`` when only other resources referred to it.

    Its labels always include ``kubernetes.io/metadata.name``.
    """

    name: str
    labels: Labels = Labels()
    annotations: Labels = Labels()
    inferred: bool = False
    provenance: Provenance = _NOWHERE

    @property
    def id(self) -> str:
        return f"namespace:{self.name}"


@dataclass(frozen=True, slots=True)
class ContainerPort:
    """A declared container port; ``protocol`` is TCP unless the pod says."""

    port: int
    protocol: str = "TCP"
    name: str | None = None


@dataclass(frozen=True, slots=True)
class EnvVar:
    """An environment variable's name and where its value comes from.

    ``source`` is ``value`` (a literal in the manifest), ``secret``, ``configmap``,
    ``field``, ``resource`` or ``unknown``. The value itself is never kept.
    """

    name: str
    source: str


@dataclass(frozen=True, slots=True)
class Container:
    name: str
    image: str | None = None
    ports: tuple[ContainerPort, ...] = ()
    env: tuple[EnvVar, ...] = ()
    init: bool = False


@dataclass(frozen=True, slots=True)
class Workload:
    """A set of alike pods: a controller's pod template, or one bare pod.

    ``labels`` and ``annotations`` are those of the pod template (what selectors
    and sidecar injection see), not the controller's own metadata, which is in
    ``controller_labels``. ``pod_ips`` and ``pod_names`` are known only from pod
    dumps; ``observed_sidecar`` is True when a dumped pod already runs an
    ``istio-proxy`` container, False when dumped pods run none, None when no pod
    of the workload was loaded.
    """

    kind: str
    namespace: str
    name: str
    labels: Labels = Labels()
    annotations: Labels = Labels()
    controller_labels: Labels = Labels()
    service_account: str = "default"
    containers: tuple[Container, ...] = ()
    host_network: bool = False
    pod_ips: tuple[str, ...] = ()
    replicas: int | None = None
    automount_token: bool | None = None
    pod_names: tuple[str, ...] = ()
    observed_sidecar: bool | None = None
    provenance: Provenance = _NOWHERE

    @property
    def key(self) -> str:
        """``namespace/name``, the workload's address in queries and output."""
        return f"{self.namespace}/{self.name}"

    @property
    def id(self) -> str:
        return f"workload:{self.namespace}/{self.name}"

    @property
    def ports(self) -> tuple[ContainerPort, ...]:
        """Declared ports of the regular containers (init containers excluded)."""
        return tuple(p for c in self.containers if not c.init for p in c.ports)

    def named_port(self, name: str, protocol: str) -> int | None:
        """The number a named port resolves to on this workload, if declared."""
        for port in self.ports:
            if port.name == name and port.protocol == protocol:
                return port.port
        return None


@dataclass(frozen=True, slots=True)
class ServicePort:
    port: int
    target_port: int | str
    protocol: str = "TCP"
    name: str | None = None
    app_protocol: str | None = None


@dataclass(frozen=True, slots=True)
class Service:
    """A Service; ``selector`` is None for a Service without selector."""

    namespace: str
    name: str
    selector: Labels | None = None
    ports: tuple[ServicePort, ...] = ()
    type: str = "ClusterIP"
    cluster_ip: str | None = None
    labels: Labels = Labels()
    annotations: Labels = Labels()
    provenance: Provenance = _NOWHERE

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def id(self) -> str:
        return f"service:{self.namespace}/{self.name}"

    def selects(self, workload: Workload) -> bool:
        if self.selector is None or not self.selector:
            return False
        if workload.namespace != self.namespace:
            return False
        return all(workload.labels.get(k) == v for k, v in self.selector.items())


@dataclass(frozen=True, slots=True)
class ServiceAccount:
    namespace: str
    name: str
    labels: Labels = Labels()
    annotations: Labels = Labels()
    automount_token: bool | None = None
    inferred: bool = False
    provenance: Provenance = _NOWHERE

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def id(self) -> str:
        return f"identity:{self.namespace}/{self.name}"

    def spiffe_id(self, trust_domain: str = "cluster.local") -> str:
        return f"spiffe://{trust_domain}/ns/{self.namespace}/sa/{self.name}"


@dataclass(frozen=True, slots=True)
class IPBlock:
    cidr: str
    excepts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PolicyPeer:
    """One entry of a rule's ``from`` or ``to`` list.

    Either ``ip_block`` is set, or one or both selectors. A None selector means
    the field was absent; an empty selector selects everything.
    """

    pod_selector: LabelSelector | None = None
    namespace_selector: LabelSelector | None = None
    ip_block: IPBlock | None = None


@dataclass(frozen=True, slots=True)
class PolicyPort:
    """One entry of a rule's ``ports``; ``port`` None means every port."""

    protocol: str = "TCP"
    port: int | str | None = None
    end_port: int | None = None


@dataclass(frozen=True, slots=True)
class PolicyRule:
    """An ingress or egress rule; an empty ``peers`` or ``ports`` matches all."""

    peers: tuple[PolicyPeer, ...] = ()
    ports: tuple[PolicyPort, ...] = ()
    index: int = 0


@dataclass(frozen=True, slots=True)
class NetworkPolicy:
    """A networking.k8s.io/v1 NetworkPolicy with the API defaults applied.

    ``policy_types`` is the effective set: when the manifest omits it, Ingress
    always, plus Egress when the spec has an ``egress`` section
    (``policy_types_explicit`` is then False).
    """

    namespace: str
    name: str
    pod_selector: LabelSelector
    policy_types: frozenset[str]
    ingress: tuple[PolicyRule, ...] = ()
    egress: tuple[PolicyRule, ...] = ()
    policy_types_explicit: bool = True
    labels: Labels = Labels()
    provenance: Provenance = _NOWHERE

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def id(self) -> str:
        return f"networkpolicy:{self.namespace}/{self.name}"

    def rules(self, direction: str) -> tuple[PolicyRule, ...]:
        return self.ingress if direction == "Ingress" else self.egress


@dataclass(frozen=True, slots=True)
class IstioResource:
    """An Istio security or networking resource, its spec kept as plain data.

    ``selector`` is the ``spec.selector.matchLabels`` map, or None when the
    resource has no selector. The mesh engine interprets ``spec``.
    """

    kind: str
    api_version: str
    namespace: str
    name: str
    spec: Mapping[str, Any] = field(default_factory=dict)
    selector: Labels | None = None
    labels: Labels = Labels()
    creation_timestamp: str | None = None
    provenance: Provenance = _NOWHERE

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def id(self) -> str:
        return f"{self.kind.lower()}:{self.namespace}/{self.name}"
