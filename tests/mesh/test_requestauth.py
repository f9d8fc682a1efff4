"""RequestAuthentication (SEMANTICS section 2, IST-RA): valid, invalid, no token."""

from __future__ import annotations

from typing import Any

import pytest

from ztlab.mesh import Request, mesh_of

from .helpers import cluster_of, deployment, istio, namespace, service

ISS = "https://idp.example.com"
RA = istio(
    "RequestAuthentication",
    "shop",
    "jwt",
    {
        "selector": {"matchLabels": {"app": "api"}},
        "jwtRules": [{"issuer": ISS, "audiences": ["shop"]}],
    },
)


def _cluster(*extra: dict) -> Any:
    return cluster_of(
        namespace("shop", **{"istio-injection": "enabled"}),
        deployment("shop", "api"),
        deployment("shop", "web"),
        service("shop", "api", [{"port": 80, "targetPort": 8080, "name": "http"}]),
        *extra,
    )


def _verdict(cluster: Any, request: Request) -> Any:
    return mesh_of(cluster).evaluate(
        "shop/web", "shop/api", service="shop/api", service_port=80, request=request
    )


VALID = {"iss": ISS, "sub": "alice", "aud": "shop", "groups": ["admin", "dev"]}


def test_invalid_token_is_rejected() -> None:
    verdict = _verdict(_cluster(RA), Request("GET", "/", jwt_invalid=True))
    assert (verdict.authz, verdict.policies[-1]) == (
        "deny",
        "requestauthentication:shop/jwt",
    )


@pytest.mark.parametrize(
    "claims",
    [{"iss": "https://other", "sub": "x"}, {"iss": ISS, "sub": "x", "aud": "billing"}],
)
def test_unknown_issuer_or_audience_is_an_invalid_token(claims: dict) -> None:
    assert (
        _verdict(_cluster(RA), Request("GET", "/", jwt_claims=claims)).authz == "deny"
    )


def test_missing_token_is_allowed_without_request_principal() -> None:
    assert _verdict(_cluster(RA), Request("GET", "/")).authz == "allow"


REQUIRE = istio(
    "AuthorizationPolicy",
    "shop",
    "require-jwt",
    {
        "selector": {"matchLabels": {"app": "api"}},
        "rules": [{"from": [{"source": {"requestPrincipals": ["*"]}}]}],
    },
)


def test_request_principals_star_requires_a_token() -> None:
    cluster = _cluster(RA, REQUIRE)
    assert _verdict(cluster, Request("GET", "/")).authz == "deny"
    assert _verdict(cluster, Request("GET", "/", jwt_claims=VALID)).authz == "allow"


def test_a_token_without_request_authentication_gives_no_principal() -> None:
    assert (
        _verdict(_cluster(REQUIRE), Request("GET", "/", jwt_claims=VALID)).authz
        == "deny"
    )


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"from": [{"source": {"requestPrincipals": [f"{ISS}/alice"]}}]}, "allow"),
        ({"from": [{"source": {"requestPrincipals": [f"{ISS}/bob"]}}]}, "deny"),
        ({"from": [{"source": {"notRequestPrincipals": [f"{ISS}/alice"]}}]}, "deny"),
        (
            {"when": [{"key": "request.auth.claims[groups]", "values": ["admin"]}]},
            "allow",
        ),
        ({"when": [{"key": "request.auth.claims[groups]", "values": ["ops"]}]}, "deny"),
        ({"when": [{"key": "request.auth.claims[iss]", "values": [ISS]}]}, "allow"),
        (
            {"when": [{"key": "request.auth.principal", "values": [f"{ISS}/*"]}]},
            "allow",
        ),
        ({"when": [{"key": "request.auth.audiences", "values": ["shop"]}]}, "allow"),
    ],
)
def test_allow_by_jwt_claims(rule: dict, expected: str) -> None:
    policy = istio(
        "AuthorizationPolicy",
        "shop",
        "claims",
        {"selector": {"matchLabels": {"app": "api"}}, "rules": [rule]},
    )
    assert (
        _verdict(_cluster(RA, policy), Request("GET", "/", jwt_claims=VALID)).authz
        == expected
    )


def test_nested_claims() -> None:
    policy = istio(
        "AuthorizationPolicy",
        "shop",
        "claims",
        {
            "selector": {"matchLabels": {"app": "api"}},
            "rules": [
                {
                    "when": [
                        {"key": "request.auth.claims[realm][role]", "values": ["owner"]}
                    ]
                }
            ],
        },
    )
    claims = {**VALID, "realm": {"role": "owner"}}
    assert (
        _verdict(_cluster(RA, policy), Request("GET", "/", jwt_claims=claims)).authz
        == "allow"
    )


def test_mesh_wide_request_authentication_in_the_root_namespace() -> None:
    root = istio(
        "RequestAuthentication", "istio-system", "jwt", {"jwtRules": [{"issuer": ISS}]}
    )
    assert (
        _verdict(_cluster(root), Request("GET", "/", jwt_invalid=True)).authz == "deny"
    )
