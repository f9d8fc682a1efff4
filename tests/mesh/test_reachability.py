"""Istio's own security reachability matrix, replayed on fixtures of ours.

Each scenario mirrors a test case of istio/istio
tests/integration/security/reachability (the TestReachability table): the policy
file it applies and its ExpectSuccess / ExpectMTLS functions give the expected
values below. "naked" is a workload without sidecar in a namespace without
injection; None is a caller outside the cluster (no proxy either). An outcome
of "mutual" means success with mTLS, "plaintext" success without, "rejected" a
failed call.
"""

from __future__ import annotations

import pytest

from ztlab.mesh import mesh_of

from .helpers import load_fixture

SOURCES = {"a": "injected/a", "naked": "plain/naked", "external": None}
TARGETS = {"b": ("injected/b", "injected/b"), "naked": ("plain/naked", "plain/naked")}
PORTS = {"http": 80, "tcp": 9000, "grpc": 7070}


def _run(scenario: str, src: str, dst: str, port: str) -> str:
    cluster = load_fixture("reachability/apps.yaml", f"reachability/{scenario}.yaml")
    workload, service = TARGETS[dst]
    verdict = mesh_of(cluster).evaluate(
        SOURCES[src], workload, service=service, service_port=PORTS[port]
    )
    return verdict.mtls


def _naked(name: str) -> bool:
    return name in ("naked", "external")


def _expect_strict(src: str, dst: str, port: str) -> str:
    # beta-mtls-on: naked->naked succeeds; one naked end fails; mTLS otherwise.
    if _naked(src) and _naked(dst):
        return "plaintext"
    if _naked(src) or _naked(dst):
        return "rejected"
    return "mutual"


def _expect_automtls_strict(src: str, dst: str, port: str) -> str:
    # beta-mtls-automtls: a naked client succeeds only to a naked target.
    if _naked(src):
        return "plaintext" if _naked(dst) else "rejected"
    return "plaintext" if _naked(dst) else "mutual"


def _expect_partial(src: str, dst: str, port: str) -> str:
    # beta-mtls-partial-automtls: b is DISABLE except its http port (STRICT).
    if _naked(src):
        ok = _naked(dst) or (dst == "b" and port != "http")
        return "plaintext" if ok else "rejected"
    ok = dst != "b" or port == "http"
    if not ok:
        return "rejected"
    return "plaintext" if _naked(dst) else "mutual"


def _expect_port_level(src: str, dst: str, port: str) -> str:
    # beta-per-port-mtls: targets b only; success iff not the http port; no mTLS.
    return "rejected" if port == "http" else "plaintext"


def _expect_no_mtls(src: str, dst: str, port: str) -> str:
    # beta-mtls-off and global-plaintext: everything succeeds, never mTLS.
    return "plaintext"


def _expect_permissive(src: str, dst: str, port: str) -> str:
    # beta-mtls-permissive and no-peer-authn (targets other than naked): always
    # success, mTLS unless the client is naked.
    return "plaintext" if _naked(src) else "mutual"


CASES = [
    ("global-mtls-strict", _expect_strict, ("b", "naked")),
    ("global-mtls-permissive", _expect_permissive, ("b",)),
    ("global-mtls-disabled", _expect_no_mtls, ("b", "naked")),
    ("automtls-strict", _expect_automtls_strict, ("b", "naked")),
    ("automtls-disable", _expect_no_mtls, ("b", "naked")),
    ("no-peer-authentication", _expect_permissive, ("b",)),
    ("port-level-override", _expect_port_level, ("b",)),
    ("partial-automtls", _expect_partial, ("b", "naked")),
]

MATRIX = [
    pytest.param(
        scenario,
        src,
        dst,
        port,
        expect(src, dst, port),
        id=f"{scenario}:{src}->{dst}:{port}",
    )
    for scenario, expect, targets in CASES
    for src in SOURCES
    for dst in targets
    for port in PORTS
]


@pytest.mark.parametrize(("scenario", "src", "dst", "port", "expected"), MATRIX)
def test_reachability_matrix(
    scenario: str, src: str, dst: str, port: str, expected: str
) -> None:
    assert _run(scenario, src, dst, port) == expected


@pytest.mark.parametrize(
    "scenario", ["global-mtls-permissive", "no-peer-authentication"]
)
def test_istio_mutual_to_a_pod_without_sidecar_is_rejected(scenario: str) -> None:
    # Istio excludes these calls from the matrix; SEMANTICS section 2 decides:
    # a client sending mTLS to a pod without a sidecar is rejected.
    assert _run(scenario, "a", "naked", "http") == "rejected"


# Migration through subsets: a calls multiversion, whose vistio pods are
# injected and whose vlegacy pods are not (automtls-partial-sidecar-dr-*).
MIGRATION = {
    "migration-no-tls": {"vistio": "mutual", "vlegacy": "plaintext"},
    "migration-disable": {"vistio": "rejected", "vlegacy": "plaintext"},
    "migration-mutual": {"vistio": "mutual", "vlegacy": "rejected"},
}


@pytest.mark.parametrize(
    ("scenario", "backend", "expected"),
    [(s, b, e) for s, table in MIGRATION.items() for b, e in table.items()],
)
def test_migration_through_subsets(scenario: str, backend: str, expected: str) -> None:
    cluster = load_fixture("reachability/apps.yaml", f"reachability/{scenario}.yaml")
    verdict = mesh_of(cluster).evaluate(
        "injected/a",
        f"injected/{backend}",
        service="injected/multiversion",
        service_port=80,
    )
    assert verdict.mtls == expected


def test_fixture_dataplanes() -> None:
    cluster = load_fixture("reachability/apps.yaml")
    mesh = mesh_of(cluster)
    modes = {key: mesh.dataplane(key).mode for key in cluster.workloads}
    assert modes == {
        "injected/a": "sidecar",
        "injected/b": "sidecar",
        "injected/vistio": "sidecar",
        "injected/vlegacy": "none",
        "plain/naked": "none",
    }
