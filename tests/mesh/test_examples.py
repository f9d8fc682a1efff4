"""Worked examples 9 to 12 of SEMANTICS section 4."""

from __future__ import annotations

from typing import Any

from ztlab.mesh import mesh_of

from .helpers import cluster_of, deployment, istio, namespace, service


def _cluster(*extra: dict) -> Any:
    return cluster_of(
        namespace("mesh", **{"istio-injection": "enabled"}),
        namespace("outside"),
        deployment("mesh", "server"),
        deployment("mesh", "other"),
        deployment("mesh", "client"),
        deployment("outside", "bare"),
        service("mesh", "server", [{"port": 80, "targetPort": 8080, "name": "http"}]),
        service("mesh", "other", [{"port": 80, "targetPort": 8080, "name": "http"}]),
        service("outside", "bare", [{"port": 80, "targetPort": 8080, "name": "http"}]),
        *extra,
    )


def _eval(cluster: Any, src: str | None, dst: str) -> Any:
    return mesh_of(cluster).evaluate(src, dst, service=dst, service_port=80)


def test_example_9_strict_permissive_and_auto_mtls_to_a_pod_without_sidecar() -> None:
    strict = _cluster(
        istio(
            "PeerAuthentication",
            "istio-system",
            "default",
            {"mtls": {"mode": "STRICT"}},
        )
    )
    assert _eval(strict, "outside/bare", "mesh/server").mtls == "rejected"
    permissive = _cluster(
        istio(
            "PeerAuthentication",
            "istio-system",
            "default",
            {"mtls": {"mode": "PERMISSIVE"}},
        )
    )
    assert _eval(permissive, "outside/bare", "mesh/server").mtls == "plaintext"
    verdict = _eval(strict, "mesh/client", "outside/bare")
    assert (verdict.mtls, verdict.allowed) == ("plaintext", True)


def test_example_10_root_allow_nothing_plus_workload_allow_all() -> None:
    cluster = _cluster(
        istio("AuthorizationPolicy", "istio-system", "allow-nothing", {}),
        istio(
            "AuthorizationPolicy",
            "mesh",
            "server-all",
            {"selector": {"matchLabels": {"app": "server"}}, "rules": [{}]},
        ),
    )
    assert _eval(cluster, "mesh/client", "mesh/server").authz == "allow"
    assert _eval(cluster, "outside/bare", "mesh/server").authz == "allow"
    assert _eval(cluster, "mesh/client", "mesh/other").authz == "deny"
    assert _eval(cluster, "outside/bare", "mesh/other").authz == "deny"


def test_example_11_matching_deny_wins_over_matching_allow() -> None:
    cluster = _cluster(
        istio("AuthorizationPolicy", "mesh", "allow", {"rules": [{}]}),
        istio("AuthorizationPolicy", "mesh", "deny", {"action": "DENY", "rules": [{}]}),
    )
    verdict = _eval(cluster, "mesh/client", "mesh/server")
    assert (verdict.authz, verdict.policies) == (
        "deny",
        ["authorizationpolicy:mesh/deny"],
    )


def test_example_12_namespace_disabled_beats_pod_inject_true() -> None:
    cluster = cluster_of(
        namespace("off", **{"istio-injection": "disabled"}),
        deployment("off", "app", {"sidecar.istio.io/inject": "true"}),
    )
    assert mesh_of(cluster).dataplane("off/app").mode == "none"
