"""Turn one manifest object into model objects, validating the fields it uses."""

from __future__ import annotations

import datetime
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ztlab.errors import LoadError
from ztlab.load.fields import Fields
from ztlab.model.labels import Labels
from ztlab.model.objects import (
    ISTIO_KINDS,
    Container,
    ContainerPort,
    EnvVar,
    IPBlock,
    IstioResource,
    Namespace,
    NetworkPolicy,
    PolicyPeer,
    PolicyPort,
    PolicyRule,
    Service,
    ServiceAccount,
    ServicePort,
)
from ztlab.model.ports import MAX_PORT, MIN_PORT, PROTOCOLS

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


def _metadata(f: Fields, default_namespace: str, namespaced: bool = True) -> tuple:
    name = f.get("metadata.name", str, required=True)
    if not name:
        raise f.error(
            "metadata.name", "must not be empty", hint="give the object a name"
        )
    namespace = f.get("metadata.namespace", str) if namespaced else None
    if namespaced and not namespace:
        namespace = default_namespace
    return name, namespace


def _port_number(f: Fields, path: str, *, required: bool = True) -> int | None:
    value = f.get(path, int, required=required)
    if value is not None and not MIN_PORT <= value <= MAX_PORT:
        raise f.error(path, f"port {value} is outside 1-65535", hint="use a valid port")
    return value


def _protocol(f: Fields, path: str) -> str:
    protocol = f.get(path, str, default="TCP")
    if protocol not in PROTOCOLS:
        hint = f"use {protocol.upper()}" if protocol.upper() in PROTOCOLS else None
        raise f.error(
            path,
            f"unknown protocol {protocol!r}",
            hint=hint or "use TCP, UDP or SCTP (protocol names are upper case)",
        )
    return protocol


def _int_or_name(f: Fields, path: str) -> int | str | None:
    value = f.raw(path)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise f.error(
            path,
            "must be a port number or a port name",
            hint="write a number such as 8080 or a name such as http",
        )
    if isinstance(value, str) and value.isdigit():
        number = int(value)
        if not MIN_PORT <= number <= MAX_PORT:
            raise f.error(
                path, f"port {number} is outside 1-65535", hint="use a valid port"
            )
        return number
    if isinstance(value, int):
        return _port_number(f, path)
    if not value:
        raise f.error(path, "must not be empty", hint="write a port number or name")
    return value


def _containers(f: Fields) -> tuple[Container, ...]:
    out: list[Container] = []
    for group, init in (("containers", False), ("initContainers", True)):
        for _, c in f.items(group):
            name = c.get("name", str, default="")
            ports = []
            for _, p in c.items("ports"):
                number = _port_number(p, "containerPort")
                assert number is not None
                ports.append(
                    ContainerPort(number, _protocol(p, "protocol"), p.get("name", str))
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
    name, namespace = _metadata(f, default_namespace)
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
    name, _ = _metadata(f, "", namespaced=False)
    labels = f.string_map("metadata.labels")
    return Namespace(
        name,
        labels,
        f.string_map("metadata.annotations"),
        inferred=False,
        provenance=f.where,
    )


def _service(f: Fields, default_namespace: str) -> Service:
    name, namespace = _metadata(f, default_namespace)
    selector_raw = f.raw("spec.selector")
    selector = f.string_map("spec.selector") if selector_raw is not None else None
    ports = []
    for _, p in f.items("spec.ports"):
        number = _port_number(p, "port")
        assert number is not None
        target = _int_or_name(p, "targetPort")
        ports.append(
            ServicePort(
                number,
                number if target is None else target,
                _protocol(p, "protocol"),
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
    name, namespace = _metadata(f, default_namespace)
    return ServiceAccount(
        namespace,
        name,
        f.string_map("metadata.labels"),
        f.string_map("metadata.annotations"),
        f.get("automountServiceAccountToken", bool),
        provenance=f.where,
    )


def _ip_block(f: Fields) -> IPBlock:
    cidr = f.get("cidr", str, required=True)
    try:
        network = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        raise f.error(
            "cidr", f"{cidr!r} is not a CIDR", hint="write it as 10.0.0.0/24"
        ) from None
    excepts = []
    for i, item in enumerate(f.get("except", list, default=[])):
        path = f"except.{i}"
        if not isinstance(item, str):
            raise f.error(path, "must be a CIDR string", hint="write it as 10.0.0.0/28")
        try:
            sub = ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise f.error(
                path, f"{item!r} is not a CIDR", hint="write it as 10.0.0.0/28"
            ) from None
        if sub.version != network.version or not sub.subnet_of(network):  # type: ignore[arg-type]
            raise f.error(
                path,
                f"{item} is not inside {cidr}",
                hint="an except range must lie inside the block's cidr",
            )
        excepts.append(item)
    return IPBlock(cidr, tuple(excepts))


def _peers(f: Fields, path: str) -> tuple[PolicyPeer, ...]:
    peers = []
    for peer_path, p in f.items(path):
        has_ip = p.raw("ipBlock") is not None
        pod = p.selector("podSelector")
        ns = p.selector("namespaceSelector")
        if has_ip and (pod is not None or ns is not None):
            raise f.error(
                peer_path,
                "ipBlock cannot be combined with podSelector or namespaceSelector",
                hint="split it into two peers (two list items)",
            )
        if not has_ip and pod is None and ns is None:
            raise f.error(
                peer_path,
                "a peer must set podSelector, namespaceSelector or ipBlock",
                hint="to allow every pod in every namespace write "
                "namespaceSelector: {}; to allow everything, omit the list",
            )
        block = _ip_block(p.sub("ipBlock", p.get("ipBlock", dict))) if has_ip else None
        peers.append(PolicyPeer(pod, ns, block))
    return tuple(peers)


def _policy_ports(f: Fields, path: str) -> tuple[PolicyPort, ...]:
    ports = []
    for _, p in f.items(path):
        protocol = _protocol(p, "protocol")
        port = _int_or_name(p, "port")
        end = p.get("endPort", int)
        if end is not None:
            if not isinstance(port, int):
                raise p.error(
                    "endPort",
                    "endPort needs a numeric port",
                    hint="set port to a number, or remove endPort",
                )
            if end < port or end > MAX_PORT:
                raise p.error(
                    "endPort",
                    f"endPort {end} must be between port {port} and 65535",
                    hint="make endPort >= port",
                )
        ports.append(PolicyPort(protocol, port, end))
    return tuple(ports)


def _rules(f: Fields, direction: str) -> tuple[PolicyRule, ...]:
    key = "ingress" if direction == "Ingress" else "egress"
    peer_key = "from" if direction == "Ingress" else "to"
    rules = []
    for i, (_, r) in enumerate(f.items(f"spec.{key}")):
        rules.append(PolicyRule(_peers(r, peer_key), _policy_ports(r, "ports"), i))
    return tuple(rules)


def _network_policy(f: Fields, default_namespace: str) -> NetworkPolicy:
    name, namespace = _metadata(f, default_namespace)
    if f.get("spec", dict) is None:
        raise f.error("spec", "is required", hint="add spec.podSelector ({} for all)")
    selector = f.selector("spec.podSelector")
    if selector is None:
        raise f.error(
            "spec.podSelector",
            "is required",
            hint="write podSelector: {} to select every pod of the namespace",
        )
    types_raw = f.get("spec.policyTypes", list)
    if types_raw is None:
        types = {"Ingress"}
        if f.raw("spec.egress") is not None:
            types.add("Egress")
    else:
        types = set()
        for i, item in enumerate(types_raw):
            if item not in ("Ingress", "Egress"):
                raise f.error(
                    f"spec.policyTypes.{i}",
                    f"unknown policy type {item!r}",
                    hint="use Ingress or Egress",
                )
            types.add(item)
    return NetworkPolicy(
        namespace,
        name,
        selector,
        frozenset(types),
        _rules(f, "Ingress"),
        _rules(f, "Egress"),
        policy_types_explicit=types_raw is not None,
        labels=f.string_map("metadata.labels"),
        provenance=f.where,
    )


def _istio(kind: str, f: Fields, default_namespace: str) -> IstioResource:
    name, namespace = _metadata(f, default_namespace)
    group, versions = ISTIO_KINDS[kind]
    if f.raw("apiVersion") is None:
        raise f.error("apiVersion", "is required", hint=f"add apiVersion: {group}/v1")
    api_version = f.get("apiVersion", str, required=True)
    got_group, _, version = api_version.partition("/")
    if got_group != group or version not in versions:
        raise f.error(
            "apiVersion",
            f"{kind} is not served as {api_version}",
            hint=f"use {group}/{versions[0]} (or {', '.join(versions[1:])})",
        )
    spec = f.get("spec", dict, default={})
    selector = None
    if f.raw("spec.selector") is not None:
        f.get("spec.selector", dict)
        selector = f.string_map("spec.selector.matchLabels")
    if kind == "DestinationRule" and not f.get("spec.host", str):
        raise f.error("spec.host", "is required", hint="name the service host")
    return IstioResource(
        kind,
        api_version,
        namespace,
        name,
        _plain(spec),
        selector,
        f.string_map("metadata.labels"),
        _timestamp(f.raw("metadata.creationTimestamp")),
        f.where,
    )


def _timestamp(value: Any) -> str | None:
    """An RFC 3339 creationTimestamp, whether YAML read it as text or as a time.

    Kept as text in the API's own form (``2024-01-31T12:00:00Z``) so that
    timestamps from YAML, JSON and the live API sort alike.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.UTC).replace(tzinfo=None)
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _plain(value: Any) -> Any:
    """A deep copy made only of dicts, lists and JSON scalars.

    YAML reads unquoted dates as date objects; they become ISO text, as the
    API server would store them.
    """
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return value


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
        return _network_policy(f, default_namespace)
    if kind in ISTIO_KINDS:
        return _istio(kind, f, default_namespace)
    raise LoadError(f"unsupported kind {kind}", f.where)
