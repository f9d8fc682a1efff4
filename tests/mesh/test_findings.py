"""Mesh findings: each one triggered by a minimal cluster, and absent otherwise."""

from __future__ import annotations

from typing import Any

from ztlab.mesh import mesh_of

from .helpers import cluster_of, deployment, istio, namespace, service

STRICT_MESH = istio(
    "PeerAuthentication", "istio-system", "default", {"mtls": {"mode": "STRICT"}}
)


def _ids(*extra: dict, strict_mesh: bool = True) -> dict[str, list[Any]]:
    cluster = cluster_of(
        namespace("shop", **{"istio-injection": "enabled"}),
        namespace("legacy"),
        deployment("shop", "api", ports=(8080, 9000), sa="api"),
        deployment("shop", "web", sa="web"),
        deployment("shop", "batch", {"sidecar.istio.io/inject": "false"}, sa="batch"),
        deployment("legacy", "old", sa="old"),
        service(
            "shop",
            "api",
            [
                {"port": 80, "targetPort": 8080, "name": "http"},
                {"port": 9000, "targetPort": 9000, "name": "tcp"},
            ],
        ),
        *((STRICT_MESH,) if strict_mesh else ()),
        *extra,
    )
    out: dict[str, list[Any]] = {}
    for f in mesh_of(cluster).findings():
        out.setdefault(f.id, []).append(f)
    return out


def test_a_clean_strict_mesh_has_only_the_unmeshed_workload() -> None:
    assert set(_ids()) == {"mesh.workload-without-sidecar"}
    finding = _ids()["mesh.workload-without-sidecar"][0]
    assert finding.objects[0].id == "workload:shop/batch"
    assert finding.objects[0].provenance.file == "inline"
    assert finding.fix


def test_permissive_default_and_scopes() -> None:
    assert "mesh.no-mesh-strict" in _ids(strict_mesh=False)
    ids = _ids(
        istio("PeerAuthentication", "shop", "default", {"mtls": {"mode": "DISABLE"}})
    )
    assert ids["mesh.peer-authentication-disable"][0].severity == "high"


def test_destination_rule_plaintext_to_strict() -> None:
    dr = istio(
        "DestinationRule",
        "shop",
        "api",
        {"host": "api", "trafficPolicy": {"tls": {"mode": "DISABLE"}}},
    )
    finding = _ids(dr)["mesh.dr-plaintext-to-strict"][0]
    assert {o.id for o in finding.objects} >= {
        "destinationrule:shop/api",
        "workload:shop/api",
    }


def test_strict_under_disable() -> None:
    ids = _ids(
        istio("PeerAuthentication", "shop", "default", {"mtls": {"mode": "DISABLE"}}),
        istio(
            "PeerAuthentication",
            "shop",
            "api",
            {"selector": {"matchLabels": {"app": "api"}}, "mtls": {"mode": "STRICT"}},
        ),
    )
    assert "mesh.strict-under-disable" in ids


def test_port_level_mistakes() -> None:
    no_selector = istio(
        "PeerAuthentication",
        "shop",
        "x",
        {"portLevelMtls": {"8080": {"mode": "DISABLE"}}},
    )
    assert "mesh.port-level-without-selector" in _ids(no_selector)
    service_port = istio(
        "PeerAuthentication",
        "shop",
        "api",
        {
            "selector": {"matchLabels": {"app": "api"}},
            "portLevelMtls": {"80": {"mode": "DISABLE"}},
        },
    )
    assert "mesh.port-level-service-port" in _ids(service_port)


def test_duplicate_same_scope_peer_authentications() -> None:
    ids = _ids(
        istio(
            "PeerAuthentication",
            "shop",
            "old",
            {"mtls": {"mode": "STRICT"}},
            created="2023-01-01T00:00:00Z",
        ),
        istio(
            "PeerAuthentication",
            "shop",
            "new",
            {"mtls": {"mode": "PERMISSIVE"}},
            created="2024-01-01T00:00:00Z",
        ),
    )
    finding = ids["mesh.duplicate-peer-authentication"][0]
    assert finding.objects[0].id == "peerauthentication:shop/old"


def _ap(spec: dict, name: str = "p") -> dict:
    return istio(
        "AuthorizationPolicy",
        "shop",
        name,
        {"selector": {"matchLabels": {"app": "api"}}, **spec},
    )


def test_identity_rules_without_mtls() -> None:
    permissive = istio(
        "PeerAuthentication", "shop", "default", {"mtls": {"mode": "PERMISSIVE"}}
    )
    deny = _ap(
        {
            "action": "DENY",
            "rules": [{"from": [{"source": {"namespaces": ["legacy"]}}]}],
        }
    )
    assert "mesh.identity-without-mtls" in _ids(permissive, deny)
    assert "mesh.identity-without-mtls" not in _ids(deny)
    no_proxy_caller = _ap(
        {
            "rules": [
                {
                    "from": [
                        {"source": {"principals": ["cluster.local/ns/shop/sa/batch"]}}
                    ]
                }
            ]
        }
    )
    assert "mesh.identity-without-mtls" in _ids(no_proxy_caller)


def test_http_fields_on_tcp_ports() -> None:
    allow = _ap({"rules": [{"to": [{"operation": {"methods": ["GET"]}}]}]})
    assert "mesh.allow-http-on-tcp" in _ids(allow)
    only_http_port = _ap(
        {"rules": [{"to": [{"operation": {"methods": ["GET"], "ports": ["8080"]}}]}]}
    )
    assert "mesh.allow-http-on-tcp" not in _ids(only_http_port)
    deny = _ap(
        {"action": "DENY", "rules": [{"to": [{"operation": {"paths": ["/admin"]}}]}]}
    )
    assert "mesh.deny-widened-on-tcp" in _ids(deny)


def test_split_from_to() -> None:
    split = _ap(
        {
            "rules": [
                {"from": [{"source": {"namespaces": ["shop"]}}]},
                {"to": [{"operation": {"ports": ["8080"]}}]},
            ]
        }
    )
    assert "mesh.split-from-to" in _ids(split)
    joined = _ap(
        {
            "rules": [
                {
                    "from": [{"source": {"namespaces": ["shop"]}}],
                    "to": [{"operation": {"ports": ["8080"]}}],
                }
            ]
        }
    )
    assert "mesh.split-from-to" not in _ids(joined)


def test_selects_nothing_and_unknown_names() -> None:
    nothing = istio(
        "AuthorizationPolicy",
        "shop",
        "ghost",
        {"selector": {"matchLabels": {"app": "ghost"}}},
    )
    assert "mesh.selects-nothing" in _ids(nothing)
    unknown = _ap(
        {
            "rules": [
                {
                    "from": [
                        {
                            "source": {
                                "namespaces": ["nowhere"],
                                "principals": ["cluster.local/ns/shop/sa/ghost"],
                            }
                        }
                    ]
                }
            ]
        }
    )
    ids = _ids(unknown)
    assert "mesh.unknown-namespace" in ids
    assert "mesh.unknown-service-account" in ids
