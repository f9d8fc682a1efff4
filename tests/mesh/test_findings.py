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


# Negative identity matches and plaintext (IST-SEC "Dependency on mutual TLS"):
# a plaintext caller has no principal and no namespace, so notNamespaces and
# notPrincipals match it. In the base cluster shop/web has a sidecar (auto mTLS
# sends Istio mTLS to api); legacy/old and shop/batch have none and send plaintext.

API_8080_PERMISSIVE = istio(
    "PeerAuthentication",
    "shop",
    "api-mtls",
    {
        "selector": {"matchLabels": {"app": "api"}},
        "mtls": {"mode": "STRICT"},
        "portLevelMtls": {"8080": {"mode": "PERMISSIVE"}},
    },
)


def _negative(*extra: dict) -> list[Any]:
    return [
        f
        for f in _ids(*extra).get("mesh.identity-without-mtls", [])
        if f.details.get("case") == "negative-match"
    ]


def _not_legacy(port: str = "8080", action: str = "ALLOW") -> dict:
    return _ap(
        {
            "action": action,
            "rules": [
                {
                    "from": [{"source": {"notNamespaces": ["legacy"]}}],
                    "to": [{"operation": {"ports": [port]}}],
                }
            ],
        }
    )


def test_negative_match_admits_plaintext_callers_on_a_permissive_port() -> None:
    [finding] = _negative(API_8080_PERMISSIVE, _not_legacy())
    assert finding.severity == "high"
    assert "negative match" in finding.message
    assert finding.details["port"] == 8080
    assert finding.details["mode"] == "PERMISSIVE"
    # legacy/old is exactly the namespace the rule means to exclude.
    assert finding.details["callers"] == ["legacy/old", "shop/batch"]
    assert {o.id for o in finding.objects} == {
        "authorizationpolicy:shop/p",
        "workload:shop/api",
        "peerauthentication:shop/api-mtls",
    }


def test_negative_match_under_strict_or_on_another_port_is_no_finding() -> None:
    # STRICT rejects plaintext before authorization.
    assert _negative(_not_legacy()) == []
    # 8080 PERMISSIVE, but the rule only covers 9000, which stays STRICT.
    assert _negative(API_8080_PERMISSIVE, _not_legacy("9000")) == []


def test_negative_match_with_a_positive_field_in_the_same_source() -> None:
    # Fields of one source are ANDed; the principal never matches plaintext.
    both = _ap(
        {
            "rules": [
                {
                    "from": [
                        {
                            "source": {
                                "principals": ["cluster.local/ns/shop/sa/web"],
                                "notNamespaces": ["legacy"],
                            }
                        }
                    ]
                }
            ]
        }
    )
    assert _negative(API_8080_PERMISSIVE, both) == []


def test_negative_condition_is_a_negative_match_too() -> None:
    when = _ap(
        {"rules": [{"when": [{"key": "source.namespace", "notValues": ["legacy"]}]}]}
    )
    [finding] = _negative(API_8080_PERMISSIVE, when)
    assert finding.details["field"] == "when[0] source.namespace notValues"
    assert finding.details["callers"] == ["legacy/old", "shop/batch"]


def test_deny_of_plaintext_closes_the_negative_match() -> None:
    # notPrincipals ["*"]: a caller without principal matches, so it is denied.
    deny_plaintext = _ap(
        {"action": "DENY", "rules": [{"from": [{"source": {"notPrincipals": ["*"]}}]}]},
        name="deny-plaintext",
    )
    assert _negative(API_8080_PERMISSIVE, _not_legacy(), deny_plaintext) == []


def test_negative_match_in_a_deny_rule_does_not_let_plaintext_escape() -> None:
    # Plaintext matches notNamespaces, so this DENY denies it: nothing escapes.
    permissive = istio(
        "PeerAuthentication", "shop", "default", {"mtls": {"mode": "PERMISSIVE"}}
    )
    ids = _ids(permissive, _not_legacy(action="DENY"))
    assert "mesh.identity-without-mtls" not in ids
    # The positive form does let plaintext escape.
    positive = _ap(
        {"action": "DENY", "rules": [{"from": [{"source": {"namespaces": ["x"]}}]}]}
    )
    [finding] = _ids(permissive, positive)["mesh.identity-without-mtls"]
    assert "positive match" in finding.message


# A pod template that asks for injection in a namespace with
# istio-injection=disabled (IST-INJ: the namespace label always wins).


def _ignored(*pods: dict, strict_mesh: bool = True) -> list[Any]:
    ids = _ids(
        namespace("old", **{"istio-injection": "disabled"}),
        *pods,
        strict_mesh=strict_mesh,
    )
    return [
        f
        for f in ids.get("mesh.workload-without-sidecar", [])
        if f.details.get("case") == "injection-label-ignored"
    ]


def test_injection_label_ignored_under_a_strict_mesh() -> None:
    pod = deployment("old", "ftp", {"sidecar.istio.io/inject": "true"})
    [finding] = _ignored(pod)
    assert finding.objects[0].id == "workload:old/ftp"
    assert finding.details["ignored"] == 'pod label sidecar.istio.io/inject="true"'
    assert finding.details["mesh_mode"] == "STRICT"
    assert "istio-injection=disabled" in finding.message
    assert "STRICT" in finding.message
    [finding] = _ignored(pod, strict_mesh=False)
    assert finding.details["mesh_mode"] == "PERMISSIVE"
    assert "sends plaintext" in finding.message


def test_injection_annotation_and_revision_label_are_ignored_too() -> None:
    annotated = deployment(
        "old", "ftp", annotations={"sidecar.istio.io/inject": "true"}
    )
    [finding] = _ignored(annotated)
    assert finding.details["ignored"] == (
        'pod annotation sidecar.istio.io/inject="true"'
    )
    revision = deployment("old", "ftp", {"istio.io/rev": "canary"})
    [finding] = _ignored(revision)
    assert finding.details["ignored"] == "pod label istio.io/rev=canary"


def test_no_injection_request_in_a_disabled_namespace_is_no_finding() -> None:
    assert _ignored(deployment("old", "ftp")) == []
    assert (
        _ignored(deployment("old", "ftp", {"sidecar.istio.io/inject": "false"})) == []
    )
    # The same label in a namespace without injection label does inject.
    ids = _ids(deployment("legacy", "ftp", {"sidecar.istio.io/inject": "true"}))
    assert not any(
        o.id == "workload:legacy/ftp"
        for f in ids.get("mesh.workload-without-sidecar", [])
        for o in f.objects
    )


def test_http_fields_on_a_port_without_declared_protocol() -> None:
    # An unnamed Service port: Istio detects the protocol per connection, so an
    # HTTP-only ALLOW rule applies to HTTP requests and is dropped for other TCP.
    cluster = cluster_of(
        namespace("shop", **{"istio-injection": "enabled"}),
        deployment("shop", "api", ports=(7000,), sa="api"),
        service("shop", "api", [{"port": 7000, "targetPort": 7000}]),
        _ap({"rules": [{"to": [{"operation": {"methods": ["GET"]}}]}]}),
    )
    found = {f.id: f for f in mesh_of(cluster).findings()}
    assert "mesh.allow-http-on-tcp" not in found
    finding = found["mesh.http-fields-on-undeclared-protocol"]
    assert "[7000]" in finding.message and "is dropped" in finding.message
