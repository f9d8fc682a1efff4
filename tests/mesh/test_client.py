"""Client side and outcome (SEMANTICS section 2, IST-DR): DestinationRule tls,
auto mTLS, clients without proxy, and the STRICT-under-DISABLE trap."""

from __future__ import annotations

import pytest

from ztlab.mesh import mesh_of

from .helpers import cluster_of, deployment, istio, namespace, service

DR = "DestinationRule"
PA = "PeerAuthentication"


def _cluster(*extra: dict) -> object:
    return cluster_of(
        namespace("front", **{"istio-injection": "enabled"}),
        namespace("back", **{"istio-injection": "enabled"}),
        namespace("legacy"),
        deployment("front", "client"),
        deployment("legacy", "old"),
        deployment("back", "api", {"version": "v1"}, ports=(8080, 9090)),
        deployment("back", "api-v2", {"version": "v2"}, ports=(8080, 9090)),
        deployment("legacy", "plain", ports=(8080,)),
        service(
            "back",
            "api",
            [
                {"port": 80, "targetPort": 8080, "name": "http"},
                {"port": 90, "targetPort": 9090, "name": "tcp"},
            ],
            app="api",
        ),
        service("legacy", "plain", [{"port": 80, "targetPort": 8080, "name": "http"}]),
        *extra,
    )


def _mtls(
    cluster: object,
    dst: str = "back/api",
    svc: str = "back/api",
    port: int = 80,
    src: str | None = "front/client",
) -> str:
    return mesh_of(cluster).evaluate(src, dst, service=svc, service_port=port).mtls


def _tls(mode: str) -> dict:
    return {"tls": {"mode": mode}}


@pytest.mark.parametrize(
    ("mode", "server", "expected"),
    [
        ("ISTIO_MUTUAL", "STRICT", "mutual"),
        ("ISTIO_MUTUAL", "PERMISSIVE", "mutual"),
        ("ISTIO_MUTUAL", "DISABLE", "rejected"),
        ("DISABLE", "STRICT", "rejected"),
        ("DISABLE", "PERMISSIVE", "plaintext"),
        ("DISABLE", "DISABLE", "plaintext"),
        ("SIMPLE", "STRICT", "rejected"),
        ("MUTUAL", "STRICT", "rejected"),
        ("SIMPLE", "PERMISSIVE", "plaintext"),
    ],
)
def test_destination_rule_modes(mode: str, server: str, expected: str) -> None:
    cluster = _cluster(
        istio(DR, "back", "api", {"host": "api", "trafficPolicy": _tls(mode)}),
        istio(PA, "back", "default", {"mtls": {"mode": server}}),
    )
    assert _mtls(cluster) == expected


def test_non_istio_tls_is_not_definite_and_carries_no_identity() -> None:
    cluster = _cluster(
        istio(DR, "back", "api", {"host": "api", "trafficPolicy": _tls("SIMPLE")})
    )
    verdict = mesh_of(cluster).evaluate(
        "front/client", "back/api", service="back/api", service_port=80
    )
    assert verdict.definite is False
    assert "without a mesh identity" in verdict.reason


def test_port_level_settings_are_keyed_by_service_port() -> None:
    spec = {
        "host": "api.back.svc.cluster.local",
        "trafficPolicy": {
            **_tls("ISTIO_MUTUAL"),
            "portLevelSettings": [
                {"port": {"number": 90}, **_tls("DISABLE")},
                {"port": {"number": 8080}, **_tls("DISABLE")},
            ],
        },
    }
    cluster = _cluster(istio(DR, "back", "api", spec))
    assert _mtls(cluster, port=90) == "plaintext"
    # 8080 is the container port of Service port 80: that entry never applies.
    assert _mtls(cluster, port=80) == "mutual"


def test_subset_settings_override_the_top_level() -> None:
    spec = {
        "host": "api",
        "trafficPolicy": _tls("ISTIO_MUTUAL"),
        "subsets": [
            {
                "name": "v2",
                "labels": {"version": "v2"},
                "trafficPolicy": _tls("DISABLE"),
            },
            {"name": "v1", "labels": {"version": "v1"}},
        ],
    }
    cluster = _cluster(istio(DR, "back", "api", spec))
    assert _mtls(cluster, dst="back/api-v2") == "plaintext"
    assert _mtls(cluster, dst="back/api") == "mutual"


@pytest.mark.parametrize(
    "host",
    [
        "api",
        "api.back.svc.cluster.local",
        "*.back.svc.cluster.local",
        "*.cluster.local",
        "*.local",
        "*",
    ],
)
def test_host_matching(host: str) -> None:
    cluster = _cluster(
        istio(DR, "back", "dr", {"host": host, "trafficPolicy": _tls("DISABLE")})
    )
    assert _mtls(cluster) == "plaintext"


@pytest.mark.parametrize(
    "host", ["other", "api.front.svc.cluster.local", "*.front.svc.cluster.local"]
)
def test_hosts_that_do_not_match(host: str) -> None:
    cluster = _cluster(
        istio(DR, "back", "dr", {"host": host, "trafficPolicy": _tls("DISABLE")})
    )
    assert _mtls(cluster) == "mutual"


def test_short_host_resolves_in_the_rules_namespace() -> None:
    # "api" written in namespace front means api.front..., not the back Service.
    cluster = _cluster(
        istio(DR, "front", "dr", {"host": "api", "trafficPolicy": _tls("DISABLE")})
    )
    assert _mtls(cluster) == "mutual"


def test_export_to_dot_hides_the_rule_from_other_namespaces() -> None:
    cluster = _cluster(
        istio(
            DR,
            "back",
            "dr",
            {"host": "api", "exportTo": ["."], "trafficPolicy": _tls("DISABLE")},
        )
    )
    assert _mtls(cluster) == "mutual"
    cluster = _cluster(
        istio(
            DR,
            "back",
            "dr",
            {"host": "api", "exportTo": ["front"], "trafficPolicy": _tls("DISABLE")},
        )
    )
    assert _mtls(cluster) == "plaintext"


def test_client_namespace_rule_wins_over_the_service_namespace() -> None:
    cluster = _cluster(
        istio(
            DR,
            "front",
            "mine",
            {
                "host": "api.back.svc.cluster.local",
                "trafficPolicy": _tls("ISTIO_MUTUAL"),
            },
        ),
        istio(DR, "back", "theirs", {"host": "api", "trafficPolicy": _tls("DISABLE")}),
    )
    assert _mtls(cluster) == "mutual"


@pytest.mark.parametrize("version", ["v1", "v1beta1", "v1alpha3"])
def test_destination_rule_api_versions(version: str) -> None:
    cluster = _cluster(
        istio(
            DR,
            "back",
            "api",
            {"host": "api", "trafficPolicy": _tls("DISABLE")},
            version=version,
        )
    )
    assert _mtls(cluster) == "plaintext"


def test_auto_mtls() -> None:
    cluster = _cluster()
    assert _mtls(cluster) == "mutual"  # destination has a sidecar
    assert _mtls(cluster, dst="legacy/plain", svc="legacy/plain") == "plaintext"


def test_a_client_without_proxy_sends_plaintext() -> None:
    cluster = _cluster(
        istio(DR, "legacy", "api", {"host": "*", "trafficPolicy": _tls("ISTIO_MUTUAL")})
    )
    assert _mtls(cluster, src="legacy/old") == "plaintext"
    assert _mtls(cluster, src=None) == "plaintext"


def test_strict_workload_under_namespace_disable_is_the_trap() -> None:
    cluster = _cluster(
        istio(PA, "back", "default", {"mtls": {"mode": "DISABLE"}}),
        istio(
            PA,
            "back",
            "api",
            {"selector": {"matchLabels": {"app": "api"}}, "mtls": {"mode": "STRICT"}},
        ),
    )
    verdict = mesh_of(cluster).evaluate(
        "front/client", "back/api", service="back/api", service_port=80
    )
    assert verdict.mtls == "rejected"
    assert "trap" in verdict.reason
    assert "peerauthentication:back/default" in verdict.policies
    assert "peerauthentication:back/api" in verdict.policies
    # The fix: an explicit ISTIO_MUTUAL DestinationRule.
    fixed = cluster.replace(
        istio=cluster.istio
        + cluster_of(
            istio(
                DR,
                "back",
                "api",
                {"host": "api", "trafficPolicy": _tls("ISTIO_MUTUAL")},
            )
        ).istio
    )
    assert _mtls(fixed) == "mutual"


def test_workload_disable_is_invisible_to_auto_mtls() -> None:
    # Auto mTLS follows namespace and mesh policies only; a workload DISABLE
    # makes sidecar callers fail (Istio beta-mtls-partial-automtls).
    cluster = _cluster(
        istio(
            PA,
            "back",
            "api",
            {"selector": {"matchLabels": {"app": "api"}}, "mtls": {"mode": "DISABLE"}},
        )
    )
    assert _mtls(cluster) == "rejected"
    assert _mtls(cluster, src=None) == "plaintext"
