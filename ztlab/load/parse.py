"""Turn one manifest object into model objects, validating the fields it uses."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ztlab.errors import LoadError
from ztlab.load.fields import Fields
from ztlab.load.parse_common import (
    read_int_or_name,
    read_metadata,
    read_port,
    read_protocol,
)
from ztlab.load.parse_policies import parse_istio, parse_network_policy
from ztlab.model.labels import Labels
from ztlab.model.objects import (
    ISTIO_KINDS,
    Container,
    ContainerPort,
    EnvVar,
    Namespace,
    Service,
    ServiceAccount,
    ServicePort,
)

__all__ = ["PodTemplate", "parse_object", "TEMPLATE_PATHS"]

# Where each controller keeps its pod template.
TEMPLATE_PATHS = {
    "Deployment": "spec.template",
    "StatefulSet": "spec.template",
    "DaemonSet": "spec.template",
    "ReplicaSet": "spec.template",
    "ReplicationController": "spec.template",
    "Job": "spec.template",
    "CronJob": "spec.jobTemplate.spec.template",
    "Pod": "",
}


@dataclass(frozen=True)
class PodTemplate:
    """A workload as read, before pods are folded into their controllers."""

    kind: str
    namespace: str
    name: str
    labels: Labels
    annotations: Labels
    controller_labels: Labels
    service_account: str
    containers: tuple[Container, ...]
    host_network: bool
    automount_token: bool | None
    replicas: int | None
    owners: tuple[tuple[str, str], ...] = ()
    pod_ips: tuple[str, ...] = ()
    observed: bool = False
    fields: Fields | None = field(default=None, compare=False, repr=False)


def _containers(f: Fields) -> tuple[Container, ...]:
    out: list[Container] = []
    for group, init in (("containers", False), ("initContainers", True)):
        for _, c in f.items(group):
            name = c.get("name", str, default="")
            ports = []
            for _, p in c.items("ports"):
                number = read_port(p, "containerPort")
                assert number is not None
                ports.append(
                    ContainerPort(
                        number, read_protocol(p, "protocol"), p.get("name", str)
                    )
                )
            env = []
            for _, e in c.items("env"):
                env_name = e.get("name", str, default="")
                source = "unknown"
                if "value" in e.data:
                    source = "value"
                elif isinstance(e.data.get("valueFrom"), Mapping):
                    ref = e.data["valueFrom"]
                    source = next(
                        (
                            label
                            for key, label in (
                                ("secretKeyRef", "secret"),
                                ("configMapKeyRef", "configmap"),
                                ("fieldRef", "field"),
                                ("resourceFieldRef", "resource"),
                            )
                            if key in ref
                        ),
                        "unknown",
                    )
                env.append(EnvVar(env_name, source))
            image = c.get("image", str)
            out.append(Container(name, image, tuple(ports), tuple(env), init))
    return tuple(out)


def parse_pod_template(kind: str, f: Fields, default_namespace: str) -> PodTemplate:
    """Read a controller's pod template, or a Pod itself."""
    name, namespace = read_metadata(f, default_namespace)
    path = TEMPLATE_PATHS[kind]
    if path:
        template = f.get(path, dict)
        if template is None:
            raise f.error(path, "is required", hint=f"give the {kind} a pod template")
        t = f.sub(path, template)
    else:
        t = f
    labels = t.string_map("metadata.labels")
    annotations = t.string_map("metadata.annotations")
    controller_labels = f.string_map("metadata.labels") if path else labels
    spec = t.get("spec", dict)
    if spec is None:
        raise t.error(
            "spec", "is required", hint="add the pod spec with its containers"
        )
    s = t.sub("spec", spec)
    account = s.get("serviceAccountName", str) or s.get("serviceAccount", str)
    replicas = f.get("spec.replicas", int) if kind in TEMPLATE_PATHS and path else None
    owners = tuple(
        (o.get("kind", str, default=""), o.get("name", str, default=""))
        for _, o in f.items("metadata.ownerReferences")
    )
    pod_ips: tuple[str, ...] = ()
    if kind == "Pod":
        ips = [f.get("status.podIP", str)] + [
            item.get("ip", str) for _, item in f.items("status.podIPs")
        ]
        pod_ips = tuple(dict.fromkeys(ip for ip in ips if ip))
        for i, ip in enumerate(pod_ips):
            try:
                ipaddress.ip_address(ip)
            except ValueError:
                raise f.error(
                    "status.podIP" if i == 0 else "status.podIPs",
                    f"{ip!r} is not an IP address",
                    hint="remove the status or fix the address",
                ) from None
    return PodTemplate(
        kind=kind,
        namespace=namespace,
        name=name,
        labels=labels,
        annotations=annotations,
        controller_labels=controller_labels,
        service_account=account or "default",
        containers=_containers(s),
        host_network=bool(s.get("hostNetwork", bool, default=False)),
        automount_token=s.get("automountServiceAccountToken", bool),
        replicas=replicas,
        owners=owners,
        pod_ips=pod_ips,
        observed=kind == "Pod"
        and any(
            f.raw(k) is not None for k in ("status", "metadata.uid", "spec.nodeName")
        ),
        fields=f,
    )


def _namespace(f: Fields) -> Namespace:
    name, _ = read_metadata(f, "", namespaced=False)
    labels = f.string_map("metadata.labels")
    return Namespace(
        name,
        labels,
        f.string_map("metadata.annotations"),
        inferred=False,
        provenance=f.where,
    )


def _service(f: Fields, default_namespace: str) -> Service:
    name, namespace = read_metadata(f, default_namespace)
    selector_raw = f.raw("spec.selector")
    selector = f.string_map("spec.selector") if selector_raw is not None else None
    ports = []
    for _, p in f.items("spec.ports"):
        number = read_port(p, "port")
        assert number is not None
        target = read_int_or_name(p, "targetPort")
        ports.append(
            ServicePort(
                number,
                number if target is None else target,
                read_protocol(p, "protocol"),
                p.get("name", str),
                p.get("appProtocol", str),
            )
        )
    return Service(
        namespace,
        name,
        selector,
        tuple(ports),
        f.get("spec.type", str, default="ClusterIP"),
        f.get("spec.clusterIP", str),
        f.string_map("metadata.labels"),
        f.string_map("metadata.annotations"),
        f.where,
    )


def _service_account(f: Fields, default_namespace: str) -> ServiceAccount:
    name, namespace = read_metadata(f, default_namespace)
    return ServiceAccount(
        namespace,
        name,
        f.string_map("metadata.labels"),
        f.string_map("metadata.annotations"),
        f.get("automountServiceAccountToken", bool),
        provenance=f.where,
    )


def parse_object(kind: str, f: Fields, default_namespace: str) -> Any:
    """Parse one object of a supported kind; raises LoadError on bad fields."""
    if kind in TEMPLATE_PATHS:
        return parse_pod_template(kind, f, default_namespace)
    if kind == "Namespace":
        return _namespace(f)
    if kind == "Service":
        return _service(f, default_namespace)
    if kind == "ServiceAccount":
        return _service_account(f, default_namespace)
    if kind == "NetworkPolicy":
        return parse_network_policy(f, default_namespace)
    if kind in ISTIO_KINDS:
        return parse_istio(kind, f, default_namespace)
    raise LoadError(f"unsupported kind {kind}", f.where)
