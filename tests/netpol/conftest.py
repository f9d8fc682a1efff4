"""Fixtures for the NetworkPolicy tests: manifests, the e2e cluster, truth tables.

Expected values in these tests come from SEMANTICS.md section 1, the Kubernetes
NetworkPolicy documentation and the upstream e2e suite
(kubernetes/kubernetes test/e2e/network/netpol), never from ztlab's own output.

The e2e cluster mirrors the upstream model: namespaces x, y, z (label ns=<name>),
bare pods a, b, c in each (label pod=<name>), one container per port and protocol
serving 80 and 81 over TCP, UDP and SCTP, with ports named serve-80-tcp and so on.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

NAMESPACES = ("x", "y", "z")
POD_NAMES = ("a", "b", "c")
PODS = tuple(f"{ns}/{pod}" for ns in NAMESPACES for pod in POD_NAMES)
SERVED_PORTS = (80, 81)
PROTOCOLS = ("TCP", "UDP", "SCTP")

# Upstream ignores loopback (pod to itself) when it compares truth tables, and
# the NetworkPolicy concept page says a pod cannot block access to itself, so
# the diagonal is skipped here as upstream does; test_semantics checks the
# self-access rule on its own.
LOOPBACK_FOLLOWS_RULES = False

Manifest = Mapping[str, Any] | str


# Manifests


def _documents(items: Iterable[Manifest]) -> list[Any]:
    docs: list[Any] = []
    for item in items:
        if isinstance(item, str):
            docs.extend(d for d in yaml.safe_load_all(textwrap.dedent(item)) if d)
        else:
            docs.append(dict(item))
    return docs


def write_and_load(directory: Path, *manifests: Manifest) -> Any:
    """Write manifests (dicts or YAML text) into one file and load the directory."""
    import ztlab

    directory.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump_all(_documents(manifests), sort_keys=False)
    (directory / "manifests.yaml").write_text(text, encoding="utf-8")
    return ztlab.load(directory)


def make_namespace(
    name: str, labels: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """A Namespace object; labels exactly as given (no name label added here)."""
    metadata: dict[str, Any] = {"name": name}
    if labels:
        metadata["labels"] = dict(labels)
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": metadata}


def make_pod(
    namespace: str,
    name: str,
    labels: Mapping[str, str] | None = None,
    ports: Iterable[tuple[int, str, str | None]] = (),
    *,
    ip: str | None = None,
    host_network: bool = False,
) -> dict[str, Any]:
    """A bare Pod; ``ports`` are (number, protocol, name) with one container each."""
    containers = []
    for number, protocol, port_name in ports:
        port: dict[str, Any] = {"containerPort": number, "protocol": protocol}
        if port_name is not None:
            port["name"] = port_name
        containers.append(
            {
                "name": f"cont-{number}-{protocol.lower()}",
                "image": "registry.k8s.io/e2e-test-images/agnhost:2.52",
                "ports": [port],
            }
        )
    if not containers:
        containers.append({"name": "main", "image": "busybox:1.36"})
    pod: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": dict(labels) if labels is not None else {"app": name},
        },
        "spec": {"containers": containers},
    }
    if host_network:
        pod["spec"]["hostNetwork"] = True
    if ip is not None:
        pod["status"] = {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}]}
    return pod


def e2e_pod_ip(pod: str) -> str:
    """The address the e2e builder gives ``pod`` when asked for pod IPs.

    All nine addresses lie in 10.244.0.0/16, hence in the /4 that holds them
    (0.0.0.0/4), as the upstream except-clause case assumes.
    """
    ns, name = pod.split("/")
    return f"10.244.{NAMESPACES.index(ns) + 1}.{POD_NAMES.index(name) + 10}"


def e2e_manifests(
    *,
    pod_ips: bool = False,
    namespace_labels: Mapping[str, Mapping[str, str]] | None = None,
    pod_labels: Mapping[str, Mapping[str, str]] | None = None,
) -> list[dict[str, Any]]:
    """Namespaces x, y, z and pods a, b, c as the upstream e2e model builds them.

    ``namespace_labels`` and ``pod_labels`` add labels (keyed by "x" or "x/a"),
    which is how the final state of the upstream "updated" cases is written.
    """
    ports = [
        (number, protocol, f"serve-{number}-{protocol.lower()}")
        for number in SERVED_PORTS
        for protocol in PROTOCOLS
    ]
    docs: list[dict[str, Any]] = []
    for ns in NAMESPACES:
        labels = {"ns": ns, **(namespace_labels or {}).get(ns, {})}
        docs.append(make_namespace(ns, labels))
    for key in PODS:
        ns, name = key.split("/")
        labels = {"pod": name, **(pod_labels or {}).get(key, {})}
        ip = e2e_pod_ip(key) if pod_ips else None
        docs.append(make_pod(ns, name, labels, ports, ip=ip))
    return docs


# Truth tables


class Expect:
    """An expected 9x9 truth table, built like a reachability table.

    Patterns name pods: "*" every pod, "x" or "x/*" a namespace, "*/a" a pod name
    in every namespace, "x/a" one pod. Later calls override earlier ones.

    >>> exp = Expect(True).deny("*", "x").allow("x/b", "x/a")
    >>> exp["y/a", "x/c"], exp["x/b", "x/a"], exp["x/a", "y/a"]
    (False, True, True)
    """

    def __init__(self, default: bool = True) -> None:
        self.table: dict[tuple[str, str], bool] = {
            (src, dst): default for src in PODS for dst in PODS
        }

    @staticmethod
    def pods(pattern: str) -> list[str]:
        if pattern == "*":
            return list(PODS)
        ns, _, name = pattern.partition("/")
        if ns not in ("*", *NAMESPACES) or name not in ("", "*", *POD_NAMES):
            raise ValueError(f"bad pod pattern {pattern!r}")
        return [
            p
            for p in PODS
            if ns in ("*", p.split("/")[0]) and name in ("", "*", p.split("/")[1])
        ]

    def set(self, src: str, dst: str, allowed: bool) -> Expect:
        for s in self.pods(src):
            for d in self.pods(dst):
                self.table[s, d] = allowed
        return self

    def allow(self, src: str, dst: str) -> Expect:
        return self.set(src, dst, True)

    def deny(self, src: str, dst: str) -> Expect:
        return self.set(src, dst, False)

    def __getitem__(self, pair: tuple[str, str]) -> bool:
        return self.table[pair]

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self.table)


def matrix(cluster: Any, port: int | str | None, protocol: str = "TCP") -> dict:
    """``cluster.can_reach`` for all 81 ordered pairs of e2e pods."""
    return {
        (src, dst): cluster.can_reach(src, dst, port=port, protocol=protocol)
        for src in PODS
        for dst in PODS
    }


def render(table: Mapping[tuple[str, str], bool]) -> str:
    """A truth table in the upstream layout: rows are sources, "X" is denied."""
    lines = ["-\t" + "\t".join(PODS)]
    for src in PODS:
        cells = ["." if table[src, dst] else "X" for dst in PODS]
        lines.append(src + "\t" + "\t".join(cells))
    return "\n".join(lines)


def assert_reachability(
    cluster: Any, port: int | str | None, protocol: str, expected: Expect
) -> None:
    """Check every pair against ``expected``; list each mismatched pair if any."""
    verdicts = matrix(cluster, port, protocol)
    observed = {pair: bool(v.allowed) for pair, v in verdicts.items()}
    wrong = []
    for src, dst in PODS_PAIRS:
        if src == dst and not LOOPBACK_FOLLOWS_RULES:
            continue
        if observed[src, dst] != expected[src, dst]:
            want = "allowed" if expected[src, dst] else "denied"
            got = "allowed" if observed[src, dst] else "denied"
            wrong.append(f"  {src} -> {dst}: expected {want}, got {got}")
    vague = [f"  {s} -> {d}" for (s, d), v in verdicts.items() if not v.definite]
    message = []
    if wrong:
        message += [
            f"{len(wrong)} of 81 pairs differ on {protocol} {port}:",
            *wrong,
            "expected:",
            render(expected.table),
            "observed:",
            render(observed),
        ]
    if vague:
        message += ["verdicts that should be definite but are not:", *vague]
    assert not message, "\n".join(message)


PODS_PAIRS = tuple((src, dst) for src in PODS for dst in PODS)


# Fixtures


@pytest.fixture
def load_yaml(tmp_path: Path) -> Callable[..., Any]:
    """``load_yaml(*manifests)``: write dicts or YAML text, return ztlab.load()."""
    counter = iter(range(1_000_000))

    def load(*manifests: Manifest) -> Any:
        return write_and_load(tmp_path / f"cluster-{next(counter)}", *manifests)

    return load


@pytest.fixture
def pod() -> Callable[..., dict[str, Any]]:
    """The Pod builder ``make_pod``."""
    return make_pod


@pytest.fixture
def namespace() -> Callable[..., dict[str, Any]]:
    """The Namespace builder ``make_namespace``."""
    return make_namespace


@pytest.fixture
def e2e(load_yaml: Callable[..., Any]) -> Callable[..., Any]:
    """``e2e(*policies, pod_ips=False, ...)``: the 3x3 e2e cluster plus policies."""

    def build(
        *policies: Manifest,
        pod_ips: bool = False,
        namespace_labels: Mapping[str, Mapping[str, str]] | None = None,
        pod_labels: Mapping[str, Mapping[str, str]] | None = None,
        extra: Iterable[Manifest] = (),
    ) -> Any:
        base = e2e_manifests(
            pod_ips=pod_ips, namespace_labels=namespace_labels, pod_labels=pod_labels
        )
        return load_yaml(*base, *extra, *policies)

    return build


@pytest.fixture
def expect() -> type[Expect]:
    """The truth-table builder ``Expect``."""
    return Expect


@pytest.fixture
def check() -> Callable[[Any, int | str | None, str, Expect], None]:
    """``check(cluster, port, protocol, expected)``: compare all 81 pairs."""
    return assert_reachability


@pytest.fixture
def reach_matrix() -> Callable[..., dict]:
    """``reach_matrix(cluster, port, protocol)``: the raw 9x9 verdicts."""
    return matrix
