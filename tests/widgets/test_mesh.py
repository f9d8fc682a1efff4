"""The mesh explorer: per-namespace modes, per-flow outcomes, the request builder.

Expected outcomes: the bookinfo-mesh README (derived by hand from the YAML).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import ztlab
from ztlab.widgets import MeshExplorer
from ztlab.widgets.mesh import NO_SOURCE, flow_rows, namespace_rows

SAMPLES = Path(__file__).resolve().parents[2] / "sample_clusters"


@pytest.fixture(scope="module")
def bookinfo():
    return ztlab.load(SAMPLES / "bookinfo-mesh")


def test_namespace_modes(bookinfo):
    modes = {ns: mode for ns, mode, _, _ in namespace_rows(bookinfo)}
    # Mesh-wide STRICT from istio-system/default; reviews-staging PERMISSIVE.
    assert modes["bookinfo"] == "STRICT"
    assert modes["reviews-staging"] == "PERMISSIVE"


def test_flow_rows(bookinfo):
    rows = {(s, d): (m, a) for s, d, _, m, a in flow_rows(bookinfo)}
    assert rows[("outside/curl", "bookinfo/ratings")][0] == "rejected"
    assert rows[("istio-system/istio-ingressgateway", "bookinfo/productpage")] == (
        "mutual",
        "allow",
    )
    assert rows[("bookinfo/details", "bookinfo/productpage")] == ("mutual", "deny")


def test_request_builder_source_and_destination(bookinfo):
    ex = MeshExplorer(bookinfo)
    ex.source.value = "bookinfo/productpage"
    ex.destination.value = "bookinfo/details"
    assert (ex.verdict.mtls, ex.verdict.authz) == ("mutual", "allow")
    ex.source.value = "bookinfo/reviews-v1"
    assert (ex.verdict.mtls, ex.verdict.authz) == ("mutual", "deny")
    assert "denied" in ex.result.value
    ex.source.value = NO_SOURCE
    assert ex.verdict.mtls == "rejected"


def test_bad_claims_json_is_an_error_not_a_crash(bookinfo):
    ex = MeshExplorer(bookinfo)
    ex.token.value = "valid token"
    ex.claims.value = "{not json"
    assert ex.verdict is None
    assert ex.error.startswith("claims:")
    ex.claims.value = json.dumps(["a list"])
    assert "JSON object" in ex.error
    ex.claims.value = json.dumps({"sub": "alice"})
    assert ex.error is None and ex.verdict is not None


def test_the_per_flow_table_fills_on_demand(bookinfo):
    ex = MeshExplorer(bookinfo)
    assert ex.flows.value == ""
    ex.show_flows()
    assert "rejected" in ex.flows.value and "<table>" in ex.flows.value


def _jwt_cluster():
    # A RequestAuthentication and a policy requiring a request principal: a
    # request without a token is denied, one with a valid token allowed, an
    # invalid token rejected (SEMANTICS 2, RequestAuthentication).
    docs = [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": "api", "labels": {"istio-injection": "enabled"}},
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "server", "namespace": "api"},
            "spec": {
                "template": {
                    "metadata": {"labels": {"app": "server"}},
                    "spec": {
                        "containers": [
                            {"name": "c", "ports": [{"containerPort": 8080}]}
                        ]
                    },
                }
            },
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "client", "namespace": "api"},
            "spec": {
                "template": {
                    "metadata": {"labels": {"app": "client"}},
                    "spec": {"containers": [{"name": "c"}]},
                }
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "server", "namespace": "api"},
            "spec": {
                "selector": {"app": "server"},
                "ports": [{"name": "http", "port": 80, "targetPort": 8080}],
            },
        },
        {
            "apiVersion": "security.istio.io/v1",
            "kind": "RequestAuthentication",
            "metadata": {"name": "jwt", "namespace": "api"},
            "spec": {
                "selector": {"matchLabels": {"app": "server"}},
                "jwtRules": [{"issuer": "https://issuer.example"}],
            },
        },
        {
            "apiVersion": "security.istio.io/v1",
            "kind": "AuthorizationPolicy",
            "metadata": {"name": "need-jwt", "namespace": "api"},
            "spec": {
                "selector": {"matchLabels": {"app": "server"}},
                "rules": [{"from": [{"source": {"requestPrincipals": ["*"]}}]}],
            },
        },
    ]
    from ztlab.errors import Provenance
    from ztlab.load import Document

    return ztlab.build_cluster(
        Document(d, Provenance("t.yaml", i)) for i, d in enumerate(docs)
    )


def test_jwt_controls():
    ex = MeshExplorer(_jwt_cluster())
    ex.source.value = "api/client"
    ex.destination.value = "api/server"
    assert ex.verdict.authz == "deny"
    ex.token.value = "valid token"
    ex.claims.value = json.dumps({"iss": "https://issuer.example", "sub": "alice"})
    assert ex.verdict.authz == "allow"
    ex.token.value = "invalid token"
    assert ex.verdict.authz == "deny"
