"""Engine surface: caching, mesh_applies, protocol selection, verdict shape."""

from __future__ import annotations

import pytest

from ztlab.errors import QueryError
from ztlab.mesh import Request, mesh_applies, mesh_of, protocol_of
from ztlab.model import Cluster, ServicePort

from .helpers import cluster_of, deployment, istio, namespace, service


def test_mesh_is_cached_per_cluster() -> None:
    cluster = cluster_of(namespace("shop"))
    assert mesh_of(cluster) is mesh_of(cluster)
    assert mesh_of(cluster.replace()) is not mesh_of(cluster)


def test_mesh_applies() -> None:
    assert not mesh_applies(Cluster())
    assert not mesh_applies(cluster_of(namespace("shop"), deployment("shop", "w")))
    assert mesh_applies(cluster_of(namespace("shop", **{"istio-injection": "enabled"})))
    assert mesh_applies(cluster_of(namespace("shop", **{"istio.io/rev": "canary"})))
    assert mesh_applies(
        cluster_of(istio("PeerAuthentication", "istio-system", "d", {}))
    )
    assert mesh_applies(
        cluster_of(
            namespace("shop"),
            deployment("shop", "w", {"sidecar.istio.io/inject": "true"}),
        )
    )


@pytest.mark.parametrize(
    ("port", "expected"),
    [
        (ServicePort(80, 80, name="http"), "http"),
        (ServicePort(80, 80, name="http2-api"), "http"),
        (ServicePort(80, 80, name="grpc"), "http"),
        (ServicePort(80, 80, name="grpc-web-x"), "http"),
        (ServicePort(80, 80, name="tcp-db"), "tcp"),
        (ServicePort(80, 80, name="https"), "tcp"),
        (ServicePort(80, 80, name="web"), "tcp"),
        (ServicePort(80, 80), "tcp"),
        (ServicePort(80, 80, name="tcp", app_protocol="http"), "http"),
        (ServicePort(80, 80, name="http", app_protocol="tcp"), "tcp"),
        (ServicePort(80, 80, app_protocol="kubernetes.io/h2c"), "http"),
    ],
)
def test_protocol_selection(port: ServicePort, expected: str) -> None:
    assert protocol_of(port)[0] == expected


def _cluster(port_name: str | None) -> Cluster:
    port = {"port": 80, "targetPort": 8080}
    if port_name:
        port["name"] = port_name
    return cluster_of(
        namespace("shop", **{"istio-injection": "enabled"}),
        deployment("shop", "api"),
        deployment("shop", "web"),
        service("shop", "api", [port]),
        istio(
            "AuthorizationPolicy",
            "shop",
            "get",
            {"rules": [{"to": [{"operation": {"methods": ["GET"]}}]}]},
        ),
    )


def test_unnamed_port_with_http_rules_is_not_definite() -> None:
    verdict = mesh_of(_cluster(None)).evaluate("shop/web", "shop/api", 8080)
    assert (verdict.protocol, verdict.authz, verdict.definite) == ("tcp", "deny", False)
    verdict = mesh_of(_cluster("http")).evaluate(
        "shop/web", "shop/api", 8080, request=Request("GET", "/")
    )
    assert (verdict.protocol, verdict.authz, verdict.definite) == (
        "http",
        "allow",
        True,
    )


def test_verdict_to_dict_and_service_port_resolution() -> None:
    mesh = mesh_of(_cluster("http"))
    by_service = mesh.evaluate(
        "shop/web",
        "shop/api",
        service="shop/api",
        service_port=80,
        request=Request("GET", "/"),
    )
    by_pod = mesh.evaluate("shop/web", "shop/api", 8080, request=Request("GET", "/"))
    assert by_service.to_dict() == by_pod.to_dict()
    assert set(by_service.to_dict()) == {"mtls", "authz", "policies", "reason"}
    assert by_service.to_dict()["mtls"] == "mutual"
    assert by_service.explain()["definite"] is True


def test_unknown_port_is_a_query_error() -> None:
    cluster = cluster_of(namespace("shop"), deployment("shop", "api"))
    with pytest.raises(QueryError):
        mesh_of(cluster).evaluate(None, "shop/api")


def test_workload_info() -> None:
    info = mesh_of(_cluster("http")).workload_info("shop/api")
    assert info["dataplane"]["mode"] == "sidecar"
    assert info["identity"] == "spiffe://cluster.local/ns/shop/sa/default"
    assert info["peer_authentication"]["8080"]["mode"] == "PERMISSIVE"
    assert info["authorization_policies"] == ["authorizationpolicy:shop/get"]
