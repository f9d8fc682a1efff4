"""Parse NetworkPolicies and Istio resources, validating the fields they use."""

from __future__ import annotations

import ipaddress

from ztlab.load.fields import Fields
from ztlab.load.parse_common import (
    plain_data,
    read_int_or_name,
    read_metadata,
    read_protocol,
    read_timestamp,
)
from ztlab.model.objects import (
    ISTIO_KINDS,
    IPBlock,
    IstioResource,
    NetworkPolicy,
    PolicyPeer,
    PolicyPort,
    PolicyRule,
)
from ztlab.model.ports import MAX_PORT

__all__ = ["parse_network_policy", "parse_istio"]


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
        protocol = read_protocol(p, "protocol")
        port = read_int_or_name(p, "port")
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


def parse_network_policy(f: Fields, default_namespace: str) -> NetworkPolicy:
    name, namespace = read_metadata(f, default_namespace)
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


def parse_istio(kind: str, f: Fields, default_namespace: str) -> IstioResource:
    name, namespace = read_metadata(f, default_namespace)
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
        plain_data(spec),
        selector,
        f.string_map("metadata.labels"),
        read_timestamp(f.raw("metadata.creationTimestamp")),
        f.where,
    )
