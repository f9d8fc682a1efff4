"""Client side: what a caller's proxy sends to a destination.

A DestinationRule ``trafficPolicy.tls`` decides when one applies (IST-DR):
``ISTIO_MUTUAL`` sends Istio mTLS, ``DISABLE`` plaintext, ``SIMPLE`` and ``MUTUAL``
non-Istio TLS without a mesh identity. ``portLevelSettings`` are keyed by Service
port; a subset's settings override the top level. Without a tls block auto mTLS
sends Istio mTLS when the destination pod has a sidecar, unless the
destination's namespace or mesh PeerAuthentication is DISABLE (auto mTLS sees
only those two scopes, never a workload policy). A client without a proxy always
sends plaintext.

Which DestinationRule a client sees, kept simple: the rules of the client's own
namespace first, then those of the Service's namespace, then those of the root
namespace; a rule is visible when its ``exportTo`` is absent, contains ``*``,
the client's namespace, or ``.`` and the client shares the rule's namespace. In
the first namespace with a match the most specific host wins (exact name before
wildcards, longer wildcard suffix first), then the oldest rule. A rule with a
``workloadSelector`` counts only for matching clients of its own namespace. The
subset is the first one whose labels the destination pod carries.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ztlab.mesh.dataplane import Dataplane
from ztlab.mesh.peerauth import PeerMode, oldest_first
from ztlab.model import Cluster, IstioResource, Service, Workload

__all__ = [
    "CLUSTER_DOMAIN",
    "ClientTLS",
    "service_fqdn",
    "host_specificity",
    "find_destination_rule",
    "dr_tls_mode",
    "client_tls",
]

# The DNS domain of Services; Istio's default, independent of the trust domain.
CLUSTER_DOMAIN = "cluster.local"
TLS_MODES = ("DISABLE", "SIMPLE", "MUTUAL", "ISTIO_MUTUAL")


@dataclass(frozen=True, slots=True)
class ClientTLS:
    """What the client sends: ``istio-mtls``, ``plaintext`` or ``tls``.

    ``source`` is ``destination-rule``, ``auto-mtls``, ``no-proxy`` or ``ambient``;
    ``mode`` the DestinationRule mode when one decided; ``auto_disabled_by`` the
    namespace or mesh policy that turned auto mTLS to plaintext.
    """

    sends: str
    source: str
    reason: str
    mode: str | None = None
    rule: IstioResource | None = None
    auto_disabled_by: PeerMode | None = None
    definite: bool = True


def service_fqdn(service: Service) -> str:
    """``name.namespace.svc.cluster.local``.

    >>> from ztlab.model import Service
    >>> service_fqdn(Service("shop", "cart"))
    'cart.shop.svc.cluster.local'
    """
    return f"{service.name}.{service.namespace}.svc.{CLUSTER_DOMAIN}"


def host_specificity(host: str, rule_namespace: str, fqdn: str) -> int | None:
    """How specifically a DestinationRule host names ``fqdn``; None if it does not.

    Short names resolve in the rule's namespace; ``*`` and ``*.suffix`` are
    wildcards. Higher is more specific.

    >>> host_specificity("cart", "shop", "cart.shop.svc.cluster.local")
    10000
    >>> host_specificity("*.local", "x", "cart.shop.svc.cluster.local")
    6
    >>> host_specificity("cart", "other", "cart.shop.svc.cluster.local") is None
    True
    """
    host = host.strip().lower()
    if not host:
        return None
    if host == "*":
        return 0
    if host.startswith("*"):
        suffix = host[1:]
        return len(suffix) if fqdn.endswith(suffix) else None
    if "." not in host:
        host = f"{host}.{rule_namespace}.svc.{CLUSTER_DOMAIN}"
    return 10000 if host == fqdn else None


def _visible(rule: IstioResource, client_namespace: str) -> bool:
    export = rule.spec.get("exportTo")
    if not export:
        return True
    names = {str(e) for e in export}
    if "*" in names or client_namespace in names:
        return True
    return "." in names and client_namespace == rule.namespace


def _selects_client(rule: IstioResource, client: Workload | None) -> bool | None:
    """True/False for a rule with workloadSelector; None when it has none."""
    selector = rule.spec.get("workloadSelector")
    if not isinstance(selector, Mapping):
        return None
    labels = selector.get("matchLabels") or {}
    if client is None or client.namespace != rule.namespace:
        return False
    return all(client.labels.get(k) == v for k, v in labels.items())


def find_destination_rule(
    cluster: Cluster, client: Workload | None, service: Service
) -> IstioResource | None:
    """The DestinationRule a client's sidecar applies to traffic for a Service.

    Limitations: several rules for one host are not merged (Istio merges rules
    without selector); the oldest wins. VirtualService routing is not read.
    """
    fqdn = service_fqdn(service)
    client_ns = client.namespace if client is not None else service.namespace
    rules = cluster.istio_of_kind("DestinationRule")
    for namespace in dict.fromkeys(
        (client_ns, service.namespace, cluster.root_namespace)
    ):
        ranked: list[tuple[int, int, IstioResource]] = []
        for rule in rules:
            if rule.namespace != namespace or not _visible(rule, client_ns):
                continue
            chosen = _selects_client(rule, client)
            if chosen is False:
                continue
            score = host_specificity(
                str(rule.spec.get("host", "")), rule.namespace, fqdn
            )
            if score is not None:
                ranked.append((1 if chosen else 0, score, rule))
        if ranked:
            best = max((sel, score) for sel, score, _ in ranked)
            tied = [r for sel, score, r in ranked if (sel, score) == best]
            return oldest_first(tied)[0]
    return None


def _tls_of(policy: Any, service_port: int | None) -> tuple[str, str] | None:
    """(mode, where) from one trafficPolicy: its port-level entry over its top."""
    if not isinstance(policy, Mapping):
        return None
    found: tuple[str, str] | None = None
    tls = policy.get("tls")
    if isinstance(tls, Mapping) and tls.get("mode"):
        found = (str(tls["mode"]).upper(), "trafficPolicy.tls")
    for entry in policy.get("portLevelSettings") or ():
        if not isinstance(entry, Mapping):
            continue
        number = (entry.get("port") or {}).get("number")
        tls = entry.get("tls")
        if (
            service_port is not None
            and str(number) == str(service_port)
            and isinstance(tls, Mapping)
            and tls.get("mode")
        ):
            found = (str(tls["mode"]).upper(), f"portLevelSettings[port {number}].tls")
    return found


def dr_tls_mode(
    rule: IstioResource, service_port: int | None, destination: Workload | None
) -> tuple[str, str] | None:
    """The tls mode a DestinationRule sets for one Service port and destination pod.

    >>> from ztlab.model import IstioResource
    >>> dr = IstioResource("DestinationRule", "networking.istio.io/v1", "shop", "db",
    ...     {"host": "db", "trafficPolicy": {"tls": {"mode": "ISTIO_MUTUAL"},
    ...      "portLevelSettings": [{"port": {"number": 5432},
    ...                             "tls": {"mode": "DISABLE"}}]}})
    >>> dr_tls_mode(dr, 5432, None)
    ('DISABLE', 'portLevelSettings[port 5432].tls')
    """
    found = _tls_of(rule.spec.get("trafficPolicy"), service_port)
    if destination is not None:
        for subset in rule.spec.get("subsets") or ():
            if not isinstance(subset, Mapping):
                continue
            labels = subset.get("labels") or {}
            if all(destination.labels.get(k) == v for k, v in labels.items()):
                own = _tls_of(subset.get("trafficPolicy"), service_port)
                if own is not None:
                    found = (own[0], f"subsets[{subset.get('name')}].{own[1]}")
                break
    return found


def client_tls(
    cluster: Cluster,
    src: Workload | None,
    src_plane: Dataplane | None,
    dst: Workload,
    dst_plane: Dataplane,
    service: Service | None,
    service_port: int | None,
    dst_namespace_mode: PeerMode,
) -> ClientTLS:
    """Decide what the client sends to ``dst``.

    >>> from ztlab.mesh.dataplane import Dataplane
    >>> from ztlab.mesh.peerauth import PeerMode
    >>> from ztlab.model import Cluster, Workload
    >>> none = Dataplane("none", "none", None, "no injection label", "-")
    >>> w = Workload("Deployment", "shop", "web")
    >>> client_tls(Cluster(), None, None, w, none, None, None,
    ...            PeerMode("PERMISSIVE", "default", None, "-")).sends
    'plaintext'
    """
    if src_plane is None or not src_plane.meshed:
        who = (
            "the caller is outside the cluster model"
            if src is None
            else (f"{src.key} has no proxy")
        )
        return ClientTLS("plaintext", "no-proxy", f"{who}: it sends plaintext")

    if src_plane.mode == "ambient":
        if dst_plane.meshed:
            return ClientTLS(
                "istio-mtls",
                "ambient",
                "ztunnel sends mTLS (HBONE) to a meshed destination",
                definite=dst_plane.mode == "ambient",
            )
        return ClientTLS(
            "plaintext", "ambient", "ztunnel sends plaintext to a pod outside the mesh"
        )

    rule = find_destination_rule(cluster, src, service) if service is not None else None
    if rule is not None:
        found = dr_tls_mode(rule, service_port, dst)
        if found is not None:
            mode, where = found
            sends = {
                "ISTIO_MUTUAL": "istio-mtls",
                "DISABLE": "plaintext",
                "SIMPLE": "tls",
                "MUTUAL": "tls",
            }.get(mode)
            if sends is None:
                return ClientTLS(
                    "plaintext",
                    "destination-rule",
                    f"{rule.id} {where} has unknown mode {mode}",
                    mode,
                    rule,
                    definite=False,
                )
            text = {
                "istio-mtls": "sends Istio mTLS",
                "plaintext": "sends plaintext",
                "tls": "originates non-Istio TLS without a mesh identity",
            }[sends]
            return ClientTLS(
                sends,
                "destination-rule",
                f"{rule.id} {where}={mode}: {text}",
                mode,
                rule,
            )

    via = f" ({rule.id} has no tls setting)" if rule is not None else ""
    if not dst_plane.meshed:
        return ClientTLS(
            "plaintext",
            "auto-mtls",
            f"auto mTLS{via}: {dst.key} has no sidecar, so plaintext",
        )
    if dst_namespace_mode.mode == "DISABLE":
        return ClientTLS(
            "plaintext",
            "auto-mtls",
            f"auto mTLS{via}: the destination's {dst_namespace_mode.scope} policy "
            f"{dst_namespace_mode.policy_id} is DISABLE, so plaintext",
            auto_disabled_by=dst_namespace_mode,
            definite=dst_namespace_mode.definite,
        )
    definite = True
    reason = f"auto mTLS{via}: {dst.key} has a proxy, so Istio mTLS"
    if service is None:
        definite = False
        reason += (
            " (no Service: ztlab assumes passthrough traffic to the pod also uses "
            "auto mTLS)"
        )
    return ClientTLS("istio-mtls", "auto-mtls", reason, rule=rule, definite=definite)
