"""AuthorizationPolicy matrices (SEMANTICS section 2, IST-AP, IST-SEC).

Callers: shop/client and other/caller have sidecars (identities
cluster.local/ns/shop/sa/client and cluster.local/ns/other/sa/caller);
legacy/naked has none and reaches the PERMISSIVE server in plaintext. The server
shop/server listens on container port 8080 (Service port 80, http) and 9000
(Service port 9000, tcp).
"""

from __future__ import annotations

from typing import Any

import pytest

from ztlab.mesh import Request, mesh_of

from .helpers import cluster_of, deployment, istio, namespace, service

AP = "AuthorizationPolicy"
CLIENT = "cluster.local/ns/shop/sa/client"
CALLER = "cluster.local/ns/other/sa/caller"


def _cluster(*policies: dict) -> Any:
    return cluster_of(
        namespace("shop", **{"istio-injection": "enabled"}),
        namespace("other", **{"istio-injection": "enabled"}),
        namespace("legacy"),
        deployment("shop", "server", ports=(8080, 9000), sa="server"),
        deployment("shop", "client", sa="client"),
        deployment("other", "caller", sa="caller"),
        deployment("legacy", "naked", sa="naked"),
        service(
            "shop",
            "server",
            [
                {"port": 80, "targetPort": 8080, "name": "http-web"},
                {"port": 9000, "targetPort": 9000, "name": "tcp-raw"},
            ],
        ),
        *policies,
    )


def _policy(spec: dict, name: str = "p", ns: str = "shop") -> dict:
    return istio(AP, ns, name, {"selector": {"matchLabels": {"app": "server"}}, **spec})


def _authz(
    cluster: Any,
    src: str | None,
    port: int = 80,
    request: Request | None = None,
    src_ip: str | None = None,
) -> str:
    verdict = mesh_of(cluster).evaluate(
        src,
        "shop/server",
        service="shop/server",
        service_port=port,
        request=request,
        src_ip=src_ip,
    )
    return verdict.authz


def _rule_from(source: dict) -> dict:
    return {"rules": [{"from": [{"source": source}]}]}


SOURCES = ("shop/client", "other/caller", "legacy/naked")


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ({"principals": [CLIENT]}, ("allow", "deny", "deny")),
        ({"principals": ["*"]}, ("allow", "allow", "deny")),
        ({"principals": ["cluster.local/ns/other/*"]}, ("deny", "allow", "deny")),
        ({"principals": ["*/sa/caller"]}, ("deny", "allow", "deny")),
        ({"notPrincipals": [CLIENT]}, ("deny", "allow", "allow")),
        ({"notPrincipals": ["*"]}, ("deny", "deny", "allow")),
        ({"namespaces": ["other"]}, ("deny", "allow", "deny")),
        ({"namespaces": ["*"]}, ("allow", "allow", "deny")),
        ({"notNamespaces": ["other"]}, ("allow", "deny", "allow")),
        ({"principals": [CLIENT], "namespaces": ["other"]}, ("deny", "deny", "deny")),
        (
            {"namespaces": ["shop", "other"], "notPrincipals": [CALLER]},
            ("allow", "deny", "deny"),
        ),
    ],
)
def test_allow_by_identity(source: dict, expected: tuple[str, ...]) -> None:
    cluster = _cluster(_policy(_rule_from(source)))
    assert tuple(_authz(cluster, s) for s in SOURCES) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ({"principals": [CLIENT]}, ("deny", "allow", "allow")),
        ({"namespaces": ["other"]}, ("allow", "deny", "allow")),
        # A plaintext caller has no identity: the not-variant matches it.
        ({"notPrincipals": ["*"]}, ("allow", "allow", "deny")),
        ({"notNamespaces": ["shop"]}, ("allow", "deny", "deny")),
    ],
)
def test_deny_by_identity(source: dict, expected: tuple[str, ...]) -> None:
    cluster = _cluster(_policy({"action": "DENY", **_rule_from(source)}))
    assert tuple(_authz(cluster, s) for s in SOURCES) == expected


def test_from_entries_are_ored() -> None:
    cluster = _cluster(
        _policy(
            {
                "rules": [
                    {
                        "from": [
                            {"source": {"principals": [CLIENT]}},
                            {"source": {"namespaces": ["other"]}},
                        ]
                    }
                ]
            }
        )
    )
    assert tuple(_authz(cluster, s) for s in SOURCES) == ("allow", "allow", "deny")


@pytest.mark.parametrize(
    ("source", "ip", "expected"),
    [
        ({"ipBlocks": ["10.1.0.0/16"]}, "10.1.2.3", "allow"),
        ({"ipBlocks": ["10.1.0.0/16"]}, "10.2.0.1", "deny"),
        ({"ipBlocks": ["10.1.2.3"]}, "10.1.2.3", "allow"),
        ({"notIpBlocks": ["10.1.0.0/16"]}, "10.1.2.3", "deny"),
        ({"notIpBlocks": ["10.1.0.0/16"]}, "192.168.0.1", "allow"),
        ({"remoteIpBlocks": ["192.168.0.0/24"]}, "192.168.0.9", "allow"),
        ({"notRemoteIpBlocks": ["192.168.0.0/24"]}, "192.168.0.9", "deny"),
    ],
)
def test_allow_by_ip_block(source: dict, ip: str, expected: str) -> None:
    cluster = _cluster(_policy(_rule_from(source)))
    assert _authz(cluster, "legacy/naked", src_ip=ip) == expected


def test_unknown_source_ip_is_not_definite() -> None:
    cluster = _cluster(_policy(_rule_from({"ipBlocks": ["10.1.0.0/16"]})))
    verdict = mesh_of(cluster).evaluate(
        None, "shop/server", service="shop/server", service_port=80
    )
    assert verdict.definite is False


@pytest.mark.parametrize(
    ("operation", "port", "expected"),
    [
        (
            {"ports": ["8080"]},
            80,
            "allow",
        ),  # container port, reached via Service port 80
        ({"ports": ["80"]}, 80, "deny"),  # a Service port never matches
        ({"ports": ["8080"]}, 9000, "deny"),
        ({"notPorts": ["8080"]}, 9000, "allow"),
        ({"notPorts": ["8080"]}, 80, "deny"),
    ],
)
def test_allow_by_port(operation: dict, port: int, expected: str) -> None:
    cluster = _cluster(_policy({"rules": [{"to": [{"operation": operation}]}]}))
    assert (
        _authz(cluster, "shop/client", port=port, request=Request("GET", "/"))
        == expected
    )


@pytest.mark.parametrize(
    ("operation", "request_", "expected"),
    [
        ({"methods": ["GET"]}, Request("GET", "/"), "allow"),
        ({"methods": ["GET"]}, Request("POST", "/"), "deny"),
        ({"notMethods": ["DELETE"]}, Request("GET", "/"), "allow"),
        ({"notMethods": ["DELETE"]}, Request("DELETE", "/"), "deny"),
        ({"paths": ["/api/*"]}, Request("GET", "/api/v1"), "allow"),
        ({"paths": ["/api/*"]}, Request("GET", "/admin"), "deny"),
        ({"paths": ["*/health"]}, Request("GET", "/v1/health"), "allow"),
        ({"paths": ["/exact"]}, Request("GET", "/exact/more"), "deny"),
        ({"notPaths": ["/admin*"]}, Request("GET", "/admin/x"), "deny"),
        (
            {"hosts": ["server.shop.svc.cluster.local"]},
            Request("GET", "/", host="Server.Shop.svc.cluster.local"),
            "allow",
        ),
        (
            {"hosts": ["*.example.com"]},
            Request("GET", "/", host="api.example.com"),
            "allow",
        ),
        ({"hosts": ["*.example.com"]}, Request("GET", "/", host="example.org"), "deny"),
        ({"notHosts": ["evil.com"]}, Request("GET", "/", host="evil.com"), "deny"),
        ({"methods": ["GET"], "paths": ["/a"]}, Request("GET", "/b"), "deny"),
    ],
)
def test_allow_by_operation(operation: dict, request_: Request, expected: str) -> None:
    cluster = _cluster(_policy({"rules": [{"to": [{"operation": operation}]}]}))
    assert _authz(cluster, "shop/client", request=request_) == expected


@pytest.mark.parametrize(
    ("condition", "headers", "expected"),
    [
        (
            {"key": "request.headers[x-user]", "values": ["alice"]},
            {"X-User": "alice"},
            "allow",
        ),
        (
            {"key": "request.headers[x-user]", "values": ["alice"]},
            {"x-user": "bob"},
            "deny",
        ),
        ({"key": "request.headers[x-user]", "values": ["*"]}, {}, "deny"),
        (
            {"key": "request.headers[x-user]", "notValues": ["bob"]},
            {"x-user": "alice"},
            "allow",
        ),
        (
            {"key": "request.headers[x-user]", "notValues": ["bob"]},
            {"x-user": "bob"},
            "deny",
        ),
    ],
)
def test_allow_by_header(condition: dict, headers: dict, expected: str) -> None:
    cluster = _cluster(_policy({"rules": [{"when": [condition]}]}))
    assert (
        _authz(cluster, "shop/client", request=Request("GET", "/", headers=headers))
        == expected
    )


@pytest.mark.parametrize(
    ("condition", "src", "expected"),
    [
        ({"key": "source.principal", "values": [CLIENT]}, "shop/client", "allow"),
        ({"key": "source.principal", "values": ["*"]}, "legacy/naked", "deny"),
        ({"key": "source.namespace", "notValues": ["shop"]}, "legacy/naked", "allow"),
        ({"key": "source.ip", "values": ["10.9.0.0/16"]}, "legacy/naked", "allow"),
        ({"key": "destination.port", "values": ["8080"]}, "legacy/naked", "allow"),
    ],
)
def test_when_conditions(condition: dict, src: str, expected: str) -> None:
    cluster = _cluster(_policy({"rules": [{"when": [condition]}]}))
    assert (
        _authz(cluster, src, request=Request("GET", "/"), src_ip="10.9.1.1") == expected
    )


def test_from_to_when_are_anded_inside_a_rule() -> None:
    rule = {
        "from": [{"source": {"namespaces": ["shop"]}}],
        "to": [{"operation": {"methods": ["GET"]}}],
        "when": [{"key": "request.headers[x-env]", "values": ["prod"]}],
    }
    cluster = _cluster(_policy({"rules": [rule]}))
    good = Request("GET", "/", headers={"x-env": "prod"})
    assert _authz(cluster, "shop/client", request=good) == "allow"
    assert _authz(cluster, "other/caller", request=good) == "deny"
    assert (
        _authz(
            cluster,
            "shop/client",
            request=Request("PUT", "/", headers={"x-env": "prod"}),
        )
        == "deny"
    )
    assert _authz(cluster, "shop/client", request=Request("GET", "/")) == "deny"


def test_a_stray_dash_splits_from_and_to_and_widens() -> None:
    split = _cluster(
        _policy(
            {
                "rules": [
                    {"from": [{"source": {"namespaces": ["shop"]}}]},
                    {"to": [{"operation": {"methods": ["GET"]}}]},
                ]
            }
        )
    )
    # other/caller is not in namespace shop, yet GET is allowed by the second rule.
    assert _authz(split, "other/caller", request=Request("GET", "/")) == "allow"
    assert _authz(split, "shop/client", request=Request("DELETE", "/")) == "allow"


def test_spec_empty_denies_everything_and_rules_empty_object_allows_everything() -> (
    None
):
    deny_all = _cluster(istio(AP, "shop", "deny-all", {}))
    assert {_authz(deny_all, s) for s in SOURCES} == {"deny"}
    allow_all = _cluster(istio(AP, "shop", "allow-all", {"rules": [{}]}))
    assert {_authz(allow_all, s) for s in SOURCES} == {"allow"}


def test_no_policy_allows() -> None:
    assert {_authz(_cluster(), s) for s in SOURCES} == {"allow"}


def test_deny_wins_over_allow_and_audit_never_decides() -> None:
    cluster = _cluster(
        _policy({"rules": [{}]}, name="allow"),
        _policy(
            {"action": "DENY", **_rule_from({"namespaces": ["other"]})}, name="deny"
        ),
        _policy({"action": "AUDIT", "rules": [{}]}, name="audit"),
    )
    assert _authz(cluster, "shop/client") == "allow"
    verdict = mesh_of(cluster).evaluate(
        "other/caller", "shop/server", service="shop/server", service_port=80
    )
    assert (verdict.authz, verdict.policies[-1]) == (
        "deny",
        "authorizationpolicy:shop/deny",
    )
    audit_only = _cluster(_policy({"action": "AUDIT", "rules": [{}]}))
    assert _authz(audit_only, "shop/client") == "allow"


def test_custom_match_is_not_definite() -> None:
    cluster = _cluster(
        _policy({"action": "CUSTOM", "provider": {"name": "ext"}, "rules": [{}]})
    )
    verdict = mesh_of(cluster).evaluate(
        "shop/client",
        "shop/server",
        service="shop/server",
        service_port=80,
        request=Request("GET", "/"),
    )
    assert (verdict.authz, verdict.definite) == ("allow", False)


def test_applicability() -> None:
    other_ns = istio(AP, "other", "deny-all", {})
    assert _authz(_cluster(other_ns), "shop/client") == "allow"
    root = istio(AP, "istio-system", "deny-all", {})
    assert _authz(_cluster(root), "shop/client") == "deny"
    root_selector = istio(
        AP, "istio-system", "sel", {"selector": {"matchLabels": {"app": "server"}}}
    )
    assert _authz(_cluster(root_selector), "shop/client") == "deny"
    miss = _policy({}, name="x") | {
        "spec": {"selector": {"matchLabels": {"app": "nope"}}}
    }
    assert _authz(_cluster(miss), "shop/client") == "allow"
    target_refs = istio(
        AP, "shop", "gw", {"targetRefs": [{"kind": "Gateway", "name": "gw"}]}
    )
    assert _authz(_cluster(target_refs), "shop/client") == "allow"


def test_http_only_fields_on_tcp_allow_rule_dropped_deny_rule_widened() -> None:
    allow = _cluster(
        _policy(
            {
                "rules": [
                    {
                        "from": [{"source": {"namespaces": ["shop"]}}],
                        "to": [{"operation": {"methods": ["GET"]}}],
                    }
                ]
            }
        )
    )
    # On the http port the rule works; on the tcp port it is dropped: nothing matches.
    assert _authz(allow, "shop/client", port=80, request=Request("GET", "/")) == "allow"
    verdict = mesh_of(allow).evaluate(
        "shop/client", "shop/server", service="shop/server", service_port=9000
    )
    assert verdict.authz == "deny"
    assert any("dropped on TCP" in n for n in verdict.notes)

    deny = _cluster(
        _policy(
            {
                "action": "DENY",
                "rules": [
                    {
                        "from": [{"source": {"namespaces": ["other"]}}],
                        "to": [{"operation": {"methods": ["DELETE"]}}],
                    }
                ],
            }
        )
    )
    assert _authz(deny, "other/caller", port=80, request=Request("GET", "/")) == "allow"
    verdict = mesh_of(deny).evaluate(
        "other/caller", "shop/server", service="shop/server", service_port=9000
    )
    assert (
        verdict.authz == "deny"
    )  # methods dropped: every TCP call from other is denied
    assert any("widened on TCP" in n for n in verdict.notes)
    assert _authz(deny, "shop/client", port=9000) == "allow"


def test_protocol_override_per_request() -> None:
    cluster = _cluster(
        _policy({"rules": [{"to": [{"operation": {"methods": ["GET"]}}]}]})
    )
    assert (
        _authz(
            cluster,
            "shop/client",
            port=9000,
            request=Request("GET", "/", protocol="http"),
        )
        == "allow"
    )
    assert (
        _authz(
            cluster, "shop/client", port=80, request=Request("GET", "/", protocol="tcp")
        )
        == "deny"
    )


def test_a_server_without_proxy_enforces_nothing() -> None:
    cluster = _cluster(istio(AP, "legacy", "deny-all", {}))
    verdict = mesh_of(cluster).evaluate("shop/client", "legacy/naked", dst_port=8080)
    assert verdict.authz == "not-applicable"
