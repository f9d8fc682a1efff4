"""Seeded synthetic clusters: namespaces, workloads, Services and NetworkPolicies.

The output is plain API-shaped manifests (what ``kubectl get -o yaml`` gives), so
the same input can be fed to ztlab and to a peer tool. Labels come from small
vocabularies, so that many workloads share a label set, as in real clusters, and
policies exercise every NetworkPolicy feature: default-deny, pod, namespace and
combined peers, matchExpressions (In, NotIn, Exists, DoesNotExist), ipBlock with
except, numeric and named ports, endPort ranges, UDP and SCTP, egress-only policies
with and without policyTypes, and ``ingress: [{}]``.

By default every ipBlock is an external documentation range (RFC 5737), so that
no answer depends on implementation-defined behaviour. ``include_ambiguous=True``
adds hostNetwork pods and ipBlocks over the pod CIDR.

>>> a = generate(30, seed=7)
>>> a == generate(30, seed=7), a == generate(30, seed=8)
(True, False)
>>> sum(m["kind"] in WORKLOAD_KINDS for m in a)
30
>>> sum(m["kind"] == "NetworkPolicy" for m in a)
30

Limitations: only networking.k8s.io/v1 NetworkPolicy, IPv4 and the controller
kinds Deployment, StatefulSet and DaemonSet (no bare Pods, Jobs or Istio objects).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

__all__ = ["generate", "write", "WORKLOAD_KINDS", "EXTERNAL_CIDRS", "POD_CIDR"]

Manifest = dict[str, Any]

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet")
NAME_LABEL = "kubernetes.io/metadata.name"

NAMESPACE_WORDS = (
    "shop",
    "payments",
    "identity",
    "search",
    "media",
    "ledger",
    "analytics",
    "notify",
    "catalog",
    "billing",
    "support",
    "ingest",
)
TEAMS = ("alpha", "bravo", "charlie", "delta")
ENVS = ("prod", "staging", "dev")
ZONES = ("dmz", "internal")
VERSIONS = ("v1", "v2")

# RFC 5737 documentation ranges: never pod or node addresses.
EXTERNAL_CIDRS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("203.0.113.0/24", ("203.0.113.128/25",)),
    ("198.51.100.0/24", ()),
    ("192.0.2.0/24", ("192.0.2.0/28", "192.0.2.64/26")),
    ("198.51.100.0/25", ("198.51.100.16/28",)),
)
POD_CIDR = "10.244.0.0/16"


@dataclass(frozen=True)
class _Profile:
    """An application archetype: its labels and the container ports it declares."""

    app: str
    tier: str
    ports: tuple[tuple[str, int, str], ...]  # (name, number, protocol)
    weight: int


# "http" maps to different numbers on different apps on purpose: named ports are
# resolved per destination pod.
PROFILES = (
    _Profile("web", "frontend", (("http", 8080, "TCP"), ("metrics", 9090, "TCP")), 6),
    _Profile("api", "backend", (("http", 8000, "TCP"), ("grpc", 9000, "TCP")), 6),
    _Profile("cart", "backend", (("http", 8080, "TCP"), ("grpc", 7070, "TCP")), 3),
    _Profile("auth", "backend", (("https", 8443, "TCP"), ("metrics", 9090, "TCP")), 3),
    _Profile("worker", "backend", (("metrics", 9091, "TCP"),), 4),
    _Profile("db", "data", (("db", 5432, "TCP"),), 3),
    _Profile("cache", "data", (("redis", 6379, "TCP"),), 3),
    _Profile("queue", "data", (("amqp", 5672, "TCP"), ("mgmt", 15672, "TCP")), 2),
    _Profile("search", "data", (("http", 9200, "TCP"), ("transport", 9300, "TCP")), 2),
    _Profile("statsd", "infra", (("statsd", 8125, "UDP"), ("metrics", 9102, "TCP")), 2),
    _Profile(
        "syslog", "infra", (("syslog", 514, "UDP"), ("syslog-tcp", 601, "TCP")), 1
    ),
    _Profile(
        "sigtran", "backend", (("diameter", 3868, "SCTP"), ("http", 8080, "TCP")), 1
    ),
)
_WEIGHTS = [p.weight for p in PROFILES]

_DNS = _Profile(
    "coredns",
    "infra",
    (("dns", 53, "UDP"), ("dns-tcp", 53, "TCP"), ("metrics", 9153, "TCP")),
    0,
)


@dataclass(frozen=True)
class _Workload:
    namespace: str
    name: str
    profile: _Profile
    labels: dict[str, str]


@dataclass(frozen=True)
class _Namespace:
    name: str
    labels: dict[str, str]


def _meta(name: str, namespace: str | None = None, **extra: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    meta.update(extra)
    return meta


def _namespace_names(count: int) -> list[str]:
    names = []
    for i in range(count):
        word = NAMESPACE_WORDS[i % len(NAMESPACE_WORDS)]
        names.append(word if i < len(NAMESPACE_WORDS) else f"{word}-{i}")
    return names


def _make_namespaces(rng: random.Random, count: int) -> list[_Namespace]:
    out = []
    for name in _namespace_names(count):
        labels = {NAME_LABEL: name, "team": rng.choice(TEAMS), "env": rng.choice(ENVS)}
        if rng.random() < 0.5:
            labels["zone"] = rng.choice(ZONES)
        out.append(_Namespace(name, labels))
    return out


def _make_workloads(
    rng: random.Random, count: int, namespaces: list[_Namespace]
) -> list[_Workload]:
    out = []
    seen: dict[tuple[str, str], int] = {}
    for i in range(count):
        # Round-robin keeps namespaces evenly filled; the profile is random.
        ns = namespaces[i % len(namespaces)]
        profile = rng.choices(PROFILES, weights=_WEIGHTS)[0]
        index = seen.get((ns.name, profile.app), 0) + 1
        seen[(ns.name, profile.app)] = index
        labels = {"app": profile.app}
        if rng.random() < 0.9:
            labels["tier"] = profile.tier
        labels["team"] = ns.labels["team"] if rng.random() < 0.8 else rng.choice(TEAMS)
        if rng.random() < 0.3:
            labels["version"] = rng.choice(VERSIONS)
        out.append(_Workload(ns.name, f"{profile.app}-{index}", profile, labels))
    return out


def _workload_manifest(
    rng: random.Random, w: _Workload, host_network: bool = False
) -> Manifest:
    if w.profile is _DNS:
        kind = "Deployment"
    else:
        kind = rng.choices(WORKLOAD_KINDS, weights=(85, 10, 5))[0]
    container_ports = [
        {"name": name, "containerPort": number, "protocol": protocol}
        for name, number, protocol in w.profile.ports
    ]
    pod_spec: dict[str, Any] = {
        "containers": [
            {
                "name": w.profile.app,
                "image": f"registry.example.com/{w.profile.app}:1.0",
                "ports": container_ports,
            }
        ]
    }
    if host_network:
        pod_spec["hostNetwork"] = True
    spec: dict[str, Any] = {
        "selector": {"matchLabels": dict(w.labels)},
        "template": {"metadata": {"labels": dict(w.labels)}, "spec": pod_spec},
    }
    if kind != "DaemonSet":
        spec["replicas"] = rng.randint(1, 3)
    if kind == "StatefulSet":
        spec["serviceName"] = w.name
    return {
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": _meta(w.name, w.namespace, labels={"app": w.profile.app}),
        "spec": spec,
    }


def _service_manifest(w: _Workload) -> Manifest:
    name, number, protocol = w.profile.ports[0]
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta(w.name, w.namespace),
        "spec": {
            "selector": {"app": w.profile.app},
            "ports": [
                {
                    "name": name,
                    "port": 80 if protocol == "TCP" else number,
                    "targetPort": name,
                    "protocol": protocol,
                }
            ],
        },
    }


class _PolicyMaker:
    """Draws NetworkPolicies of every feature from one random stream."""

    def __init__(
        self,
        rng: random.Random,
        namespaces: list[_Namespace],
        workloads: list[_Workload],
        ambiguous: bool,
        nca_safe: bool = False,
    ) -> None:
        self.rng = rng
        self.nca_safe = nca_safe
        self.namespaces = namespaces
        self.workloads = [w for w in workloads if w.profile is not _DNS]
        self.by_ns: dict[str, list[_Workload]] = {}
        for w in self.workloads:
            self.by_ns.setdefault(w.namespace, []).append(w)
        self.ambiguous = ambiguous
        self.serial = 0

    # -- pieces -----------------------------------------------------------

    def _name(self, stem: str) -> str:
        self.serial += 1
        return f"{stem}-{self.serial}"

    def _pod_selector_for(self, w: _Workload, combined: bool = False) -> dict[str, Any]:
        r = self.rng.random()
        if r < 0.55:
            return {"matchLabels": {"app": w.labels["app"]}}
        if r < 0.75 and "tier" in w.labels:
            return {"matchLabels": {"app": w.labels["app"], "tier": w.labels["tier"]}}
        if r < 0.9:
            return {"matchExpressions": [self._expression(w.labels, combined)]}
        return {
            "matchLabels": {"team": w.labels["team"]},
            "matchExpressions": [
                {"key": "app", "operator": "In", "values": [w.labels["app"]]}
            ],
        }

    def _expression(self, labels: dict[str, str], combined: bool) -> dict[str, Any]:
        """A matchExpression that the given labels satisfy."""
        op = self.rng.choice(("In", "NotIn", "Exists", "DoesNotExist"))
        if combined and self.nca_safe and op in ("Exists", "DoesNotExist"):
            # nca 2.1 evaluates these only in the policy's own namespace when the
            # peer also has a namespaceSelector.
            op = "In" if op == "Exists" else "NotIn"
        if op == "In":
            key = self.rng.choice(sorted(labels))
            values = sorted({labels[key], self._other_value(key)})
            return {"key": key, "operator": "In", "values": values}
        if op == "NotIn":
            key = self.rng.choice(("app", "tier", "team", "version"))
            value = self._other_value(key)
            if labels.get(key) == value:
                value = "none"
            return {"key": key, "operator": "NotIn", "values": [value]}
        if op == "Exists":
            return {"key": self.rng.choice(sorted(labels)), "operator": "Exists"}
        absent = [k for k in ("tier", "version", "canary") if k not in labels]
        return {"key": self.rng.choice(absent), "operator": "DoesNotExist"}

    def _other_value(self, key: str) -> str:
        vocab = {
            "app": [p.app for p in PROFILES],
            "tier": ["frontend", "backend", "data", "infra"],
            "team": list(TEAMS),
            "version": list(VERSIONS),
        }.get(key, ["x"])
        return self.rng.choice(vocab)

    def _peer_pod(self, ns: str, combined: bool = False) -> dict[str, Any]:
        members = self.by_ns.get(ns) or self.workloads
        other = self.rng.choice(members)
        if self.rng.random() < 0.25:
            return {
                "podSelector": {
                    "matchLabels": {"tier": self.rng.choice(("frontend", "backend"))}
                }
            }
        return {"podSelector": self._pod_selector_for(other, combined)}

    def _namespace_selector(self) -> dict[str, Any]:
        ns = self.rng.choice(self.namespaces)
        r = self.rng.random()
        if r < 0.35:
            return {"matchLabels": {NAME_LABEL: ns.name}}
        if r < 0.6:
            return {"matchLabels": {"team": ns.labels["team"]}}
        if r < 0.75:
            return {"matchLabels": {"env": ns.labels["env"]}}
        if r < 0.85:
            return {
                "matchExpressions": [
                    {"key": "env", "operator": "NotIn", "values": ["dev"]}
                ]
            }
        if r < 0.95:
            return {"matchExpressions": [{"key": "zone", "operator": "Exists"}]}
        return {}

    def _peer_namespace(self) -> dict[str, Any]:
        return {"namespaceSelector": self._namespace_selector()}

    def _peer_combined(self) -> dict[str, Any]:
        ns = self.rng.choice(self.namespaces)
        peer = self._peer_pod(ns.name, combined=True)
        peer["namespaceSelector"] = self._namespace_selector()
        return peer

    def _peer_ip(self) -> dict[str, Any]:
        excepts: tuple[str, ...]
        if self.ambiguous and self.rng.random() < 0.3:
            cidr, excepts = (
                (POD_CIDR, ("10.244.8.0/24",))
                if self.rng.random() < 0.5
                else ("0.0.0.0/0", ())
            )
        else:
            cidr, excepts = self.rng.choice(EXTERNAL_CIDRS)
        block: dict[str, Any] = {"cidr": cidr}
        if excepts and self.rng.random() < 0.8:
            block["except"] = list(excepts)
        return {"ipBlock": block}

    def _peers(self, ns: str, allow_ip: bool = True) -> list[dict[str, Any]]:
        makers: list[Callable[[], dict[str, Any]]] = [
            lambda: self._peer_pod(ns),
            self._peer_namespace,
            self._peer_combined,
        ]
        weights = [5, 3, 3]
        if allow_ip:
            makers.append(self._peer_ip)
            weights.append(2)
        count = self.rng.choices((1, 2, 3), weights=(6, 3, 1))[0]
        peers = []
        for _ in range(count):
            maker = self.rng.choices(makers, weights=weights)[0]
            peers.append(maker())
        return peers

    def _ports(
        self, target: _Profile | None, named: bool = True
    ) -> list[dict[str, Any]]:
        """Port entries; named ones come from the destination profile."""
        out: list[dict[str, Any]] = []
        for _ in range(self.rng.choices((1, 2, 3), weights=(5, 3, 1))[0]):
            r = self.rng.random()
            if target is not None and named and r < 0.35:
                name, _, protocol = self.rng.choice(target.ports)
                entry: dict[str, Any] = {"port": name}
                if protocol != "TCP" or self.rng.random() < 0.3:
                    entry["protocol"] = protocol
            elif target is not None and r < 0.6:
                _, number, protocol = self.rng.choice(target.ports)
                entry = {"port": number, "protocol": protocol}
            elif r < 0.75:
                lo = self.rng.choice((7000, 8000, 30000, 5000))
                entry = {"port": lo, "endPort": lo + self.rng.choice((10, 100, 768))}
                if self.rng.random() < 0.3:
                    entry["protocol"] = self.rng.choice(("UDP", "SCTP"))
            elif r < 0.85:
                entry = {"protocol": self.rng.choice(("TCP", "UDP", "SCTP"))}
            else:
                entry = {"port": self.rng.choice((80, 443, 8080, 53, 9090))}
                if self.rng.random() < 0.3:
                    entry["protocol"] = "UDP"
            if entry not in out:
                out.append(entry)
        return out

    def _rule(self, ns: str, direction: str, target: _Profile | None) -> dict[str, Any]:
        key = "from" if direction == "ingress" else "to"
        rule: dict[str, Any] = {}
        r = self.rng.random()
        if r < 0.9:
            rule[key] = self._peers(ns)
        if r < 0.12 or r >= 0.9 or self.rng.random() < 0.75:
            rule["ports"] = self._ports(target)
        return rule

    def _policy(self, ns: str, name: str, spec: dict[str, Any]) -> Manifest:
        return {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": _meta(name, ns),
            "spec": spec,
        }

    # -- whole policies ---------------------------------------------------

    def default_deny(self, ns: str, types: list[str]) -> Manifest:
        spec: dict[str, Any] = {"podSelector": {}, "policyTypes": types}
        stem = "default-deny-" + "-".join(t.lower() for t in types)
        return self._policy(ns, self._name(stem), spec)

    def allow_dns(self, ns: str) -> Manifest:
        spec = {
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [
                {
                    "to": [
                        {
                            "namespaceSelector": {
                                "matchLabels": {NAME_LABEL: "kube-system"}
                            },
                            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                        }
                    ],
                    "ports": [
                        {"port": 53, "protocol": "UDP"},
                        {"port": "dns-tcp", "protocol": "TCP"},
                    ],
                }
            ],
        }
        return self._policy(ns, self._name("allow-dns"), spec)

    def workload_policy(self) -> Manifest:
        w = self.rng.choice(self.workloads)
        kind = self.rng.choices(
            (
                "ingress",
                "both",
                "egress-untyped",
                "egress-typed",
                "allow-all",
                "deny-some",
            ),
            weights=(50, 15, 12, 12, 6, 5),
        )[0]
        spec: dict[str, Any] = {"podSelector": self._pod_selector_for(w)}
        if kind == "ingress":
            spec["ingress"] = [
                self._rule(w.namespace, "ingress", w.profile) for _ in range(self._n())
            ]
            if self.rng.random() < 0.6:
                spec["policyTypes"] = ["Ingress"]
        elif kind == "both":
            spec["policyTypes"] = ["Ingress", "Egress"]
            spec["ingress"] = [
                self._rule(w.namespace, "ingress", w.profile) for _ in range(self._n())
            ]
            spec["egress"] = [self._egress_rule(w.namespace) for _ in range(self._n())]
        elif kind == "egress-untyped":
            # No policyTypes: Ingress is implied too, so ingress is denied.
            spec["egress"] = [self._egress_rule(w.namespace) for _ in range(self._n())]
        elif kind == "egress-typed":
            spec["policyTypes"] = ["Egress"]
            spec["egress"] = [self._egress_rule(w.namespace) for _ in range(self._n())]
        elif kind == "allow-all":
            spec["ingress"] = [{}]
        else:
            spec["policyTypes"] = ["Ingress"]
            spec["ingress"] = []
        return self._policy(w.namespace, self._name(f"{kind}-{w.name}"), spec)

    def _egress_rule(self, ns: str) -> dict[str, Any]:
        r = self.rng.random()
        if r < 0.3:
            # To external addresses: numeric ports only (a named port needs a pod).
            return {"to": [self._peer_ip()], "ports": self._ports(None, named=False)}
        dest = self.rng.choice(self.workloads)
        cross = dest.namespace != ns or self.rng.random() < 0.3
        peer: dict[str, Any] = {"podSelector": self._pod_selector_for(dest, cross)}
        if cross:
            peer["namespaceSelector"] = {"matchLabels": {NAME_LABEL: dest.namespace}}
        rule: dict[str, Any] = {"to": [peer]}
        if r < 0.9:
            rule["ports"] = self._ports(dest.profile)
        return rule

    def _n(self) -> int:
        return self.rng.choices((1, 2, 3), weights=(6, 3, 1))[0]


def generate(
    workloads: int,
    policies: int | None = None,
    seed: int = 0,
    namespaces: int | None = None,
    include_ambiguous: bool = False,
    nca_safe: bool = False,
) -> list[Manifest]:
    """A synthetic cluster of ``workloads`` controllers and ``policies`` policies.

    ``policies`` defaults to ``workloads``; ``namespaces`` to one per 15 workloads.
    One workload is kube-system's DNS (``k8s-app: kube-dns``), the target of the
    DNS allow rules that accompany egress default-deny. ``nca_safe`` avoids the
    one construct that nca 2.1 gets wrong (Exists/DoesNotExist in the podSelector
    of a peer that also has a namespaceSelector): the same cluster shape, with
    In/NotIn there instead.

    >>> kinds = [m["kind"] for m in generate(5, policies=3)]
    >>> kinds.count("NetworkPolicy"), kinds.count("Namespace")
    (3, 2)
    """
    if workloads < 1:
        raise ValueError("workloads must be at least 1")
    rng = random.Random(seed)
    policies = workloads if policies is None else policies
    user_workloads = workloads - 1
    ns_count = (
        namespaces if namespaces is not None else max(1, round(user_workloads / 15))
    )

    nss = _make_namespaces(rng, ns_count)
    system = _Namespace("kube-system", {NAME_LABEL: "kube-system"})
    dns = _Workload("kube-system", "coredns", _DNS, {"k8s-app": "kube-dns"})
    ws = _make_workloads(rng, user_workloads, nss) if user_workloads else []

    out: list[Manifest] = [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": _meta(n.name, labels=n.labels),
        }
        for n in [system, *nss]
    ]
    out.append(_workload_manifest(rng, dns))
    for w in ws:
        host = include_ambiguous and rng.random() < 0.05
        out.append(_workload_manifest(rng, w, host_network=host))
        if rng.random() < 0.6:
            out.append(_service_manifest(w))

    out.extend(_policies(rng, nss, ws, policies, include_ambiguous, nca_safe))
    return out


def _policies(
    rng: random.Random,
    nss: list[_Namespace],
    ws: list[_Workload],
    count: int,
    ambiguous: bool,
    nca_safe: bool,
) -> list[Manifest]:
    if not ws:
        return []
    maker = _PolicyMaker(rng, nss, ws, ambiguous, nca_safe)
    out: list[Manifest] = []
    for ns in nss:
        if len(out) >= count:
            break
        r = rng.random()
        if r < 0.35:
            out.append(maker.default_deny(ns.name, ["Ingress"]))
        elif r < 0.55:
            out.append(maker.default_deny(ns.name, ["Ingress", "Egress"]))
            if len(out) < count:
                out.append(maker.allow_dns(ns.name))
        elif r < 0.65:
            out.append(maker.default_deny(ns.name, ["Egress"]))
    while len(out) < count:
        out.append(maker.workload_policy())
    return out[:count]


def write(manifests: Iterable[Manifest], directory: str | Path) -> list[Path]:
    """Write manifests as multi-document YAML, one file per namespace.

    Cluster-scoped objects (namespaces) go to ``00-namespaces.yaml``.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    groups: dict[str, list[Manifest]] = {}
    for m in manifests:
        ns = m["metadata"].get("namespace")
        groups.setdefault("00-namespaces" if ns is None else ns, []).append(m)
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    paths = []
    for stem, docs in groups.items():
        path = directory / f"{stem}.yaml"
        with path.open("w", encoding="utf-8") as fh:
            yaml.dump_all(
                docs, fh, Dumper=dumper, sort_keys=False, default_flow_style=False
            )
        paths.append(path)
    return paths
