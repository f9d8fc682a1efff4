"""Each sample: export from its hand-written intent, validate, prove, re-analyse."""

from __future__ import annotations

import pytest

from ztlab.mesh import Request, mesh_of
from ztlab.netpol import flows
from ztlab.synth import export, from_csv, from_current, from_yaml
from ztlab.synth.plan import dns_servers
from ztlab.synth.proof import reload
from ztlab.synth.validate import validate, validate_object
from ztlab.synth.writer import KUSTOMIZATION, render

from .helpers import ROOT, SAMPLES, hand_expected, intent_file, sample

# The README's unwanted flows, removed from the current flows (API path).
REMOVALS = {
    "online-boutique": ["*->boutique/adservice", "*->boutique/cartservice"],
    "bookinfo-mesh": ["outside/curl->*", "*->reviews-staging/reviews-v4"],
    "fintech-zero-trust": [
        "legacy/legacy-sftp->data/customer-db",
        "data/customer-db->*",
    ],
}


@pytest.fixture(scope="module", params=SAMPLES)
def exported(request):
    c = sample(request.param)
    return request.param, c, export(c, from_yaml(intent_file(request.param), c))


def test_proof_passes_and_yaml_validates(exported):
    name, _, result = exported
    assert result.proof.status == "proven", result.proof.to_dict()["differences"]
    assert result.problems == []
    assert validate([g.data for g in result.objects]) == []


def test_reanalysis_equals_hand_written_intent(exported):
    name, c, result = exported
    after = reload(c, result.objects, result.plan.governed)
    governed = set(result.plan.governed)
    got = set()
    for f in flows(after):
        if f.src_kind == "external" or f.dst_kind == "external":
            continue
        if f.src.split("/")[0] not in governed and f.dst.split("/")[0] not in governed:
            continue
        for protocol, (lo, hi) in f.ports:
            got.update((f.src, f.dst, protocol, p) for p in range(lo, hi + 1))
    want = {e for e in hand_expected(name) if "/" in e[0] and not e[0][0].isdigit()}
    for w in c.workloads.values():
        if w.namespace in governed:
            for server in dns_servers(c):
                want |= {(w.key, server.key, "UDP", 53), (w.key, server.key, "TCP", 53)}
    assert got == want


def test_external_sources_only_where_intended(exported):
    name, c, result = exported
    after = reload(c, result.objects, result.plan.governed)
    external_in = {
        (f.src, f.dst)
        for f in flows(after)
        if f.src_kind == "external" and f.dst.split("/")[0] in result.plan.governed
    }
    want = {(s, d) for s, d, _, _ in hand_expected(name) if s[0].isdigit()}
    assert external_in == want


def test_output_is_deterministic_and_kustomize_ready(exported):
    name, _, result = exported
    c2 = sample(name)
    again = export(c2, from_yaml(intent_file(name), c2))
    first, second = render(result.objects), render(again.objects)
    assert first == second
    kustomization = first[KUSTOMIZATION]
    for file in first:
        if file != KUSTOMIZATION:
            assert f"- {file}" in kustomization
            assert file.count(".") == 2  # <namespace>.<kind>.yaml


def test_current_flows_minus_readme_unwanted_is_proven():
    for name in SAMPLES:
        c = sample(name)
        result = export(c, from_current(c, remove=REMOVALS[name]))
        assert result.proof.ok, (name, result.proof.to_dict()["differences"][:3])
        assert result.problems == []


def test_flow_log_path_online_boutique():
    c = sample("online-boutique")
    result = export(c, from_csv(ROOT / "sample_clusters/online-boutique/flows.csv", c))
    assert result.proof.status == "proven"
    after = reload(c, result.objects, result.plan.governed)
    # From the CSV: the shop calls, nothing else.
    assert after.can_reach(
        "boutique/checkoutservice", "boutique/emailservice", 8080
    ).allowed
    assert not after.can_reach(
        "boutique/frontend", "boutique/emailservice", 8080
    ).allowed
    assert not after.can_reach(
        "boutique/loadgenerator", "boutique/adservice", 9555
    ).allowed
    assert after.can_reach(
        "boutique/frontend", "kube-system/kube-dns", 53, "UDP"
    ).allowed
    assert after.can_reach("203.0.113.10", "boutique/frontend", 8080).allowed
    assert not after.can_reach("203.0.113.11", "boutique/frontend", 8080).allowed


def test_boutique_named_ports_and_mistakes_fixed():
    c = sample("online-boutique")
    result = export(c, from_yaml(intent_file("online-boutique"), c))
    by_name = {g.name: g.data for g in result.objects}
    ad = by_name["adservice-ingress"]["spec"]["ingress"][0]
    assert ad["ports"] == [
        {"protocol": "TCP", "port": "grpc"}
    ]  # pod declares grpc = 9555
    assert ad["from"][0]["namespaceSelector"] == {
        "matchLabels": {"kubernetes.io/metadata.name": "boutique"}
    }
    assert by_name["default-deny"]["spec"]["policyTypes"] == ["Ingress", "Egress"]


def test_bookinfo_mesh_outcomes():
    c = sample("bookinfo-mesh")
    result = export(c, from_yaml(intent_file("bookinfo-mesh"), c))
    after = reload(c, result.objects, result.plan.governed)
    mesh = mesh_of(after)
    # DR corrected: reviews-v2 -> ratings is mutual and authorized (README fixes).
    v = mesh.evaluate("bookinfo/reviews-v2", "bookinfo/ratings", dst_port=9080)
    assert (v.mtls, v.authz) == ("mutual", "allow")
    dr = next(g for g in result.objects if g.kind == "DestinationRule")
    assert dr.data["spec"]["trafficPolicy"]["tls"] == {"mode": "ISTIO_MUTUAL"}
    # The split reviews rule is gone: details may not call reviews.
    v = mesh.evaluate("bookinfo/details", "bookinfo/reviews-v1", dst_port=9080)
    assert v.authz == "deny"
    # HTTP methods from the intent: GET allowed, DELETE denied.
    get = Request(method="GET", path="/details/0")
    delete = Request(method="DELETE", path="/details/0")
    assert mesh.evaluate(
        "bookinfo/productpage", "bookinfo/details", dst_port=9080, request=get
    ).allowed
    assert not mesh.evaluate(
        "bookinfo/productpage", "bookinfo/details", dst_port=9080, request=delete
    ).allowed
    # reviews-v1 shares the identity of v2/v3: a reported gap, closed by the network.
    gaps = {(g.src, g.dst) for g in result.proof.gaps}
    assert ("bookinfo/reviews-v1", "bookinfo/ratings") in gaps
    assert not after.can_reach("bookinfo/reviews-v1", "bookinfo/ratings", 9080).allowed
    # External callers reach the gateway only through a reported PERMISSIVE port.
    permissive = [
        f for f in result.findings if f.rule == "synth.permissive-for-plaintext-caller"
    ]
    assert [f.message.split(" port ")[1].split()[0] for f in permissive] == [
        "8080",
        "8443",
    ]


def test_fintech_permissive_only_for_plaintext_callers():
    c = sample("fintech-zero-trust")
    result = export(c, from_yaml(intent_file("fintech-zero-trust"), c))
    pas = {
        g.name: g.data["spec"] for g in result.objects if g.kind == "PeerAuthentication"
    }
    assert pas["customer-db-permissive-ports"]["portLevelMtls"] == {
        "5432": {"mode": "PERMISSIVE"}
    }
    assert pas["ledger-permissive-ports"]["portLevelMtls"] == {
        "8080": {"mode": "PERMISSIVE"}
    }
    assert pas["default"] == {"mtls": {"mode": "STRICT"}}
    after = reload(c, result.objects, result.plan.governed)
    mesh = mesh_of(after)
    assert (
        mesh.evaluate("legacy/legacy-batch", "payments/ledger", dst_port=8080).mtls
        == "plaintext"
    )
    v = mesh.evaluate("payments/fraud-scoring", "data/customer-db", dst_port=5432)
    assert v.authz == "deny"  # mistake 6 gone
    assert not after.can_reach("legacy/legacy-sftp", "data/customer-db", 5432).allowed


def test_validation_rejects_broken_objects():
    np_bad = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "x"},
        "spec": {"podSelector": {}, "ingress": [{"form": []}]},
    }
    assert validate_object(np_bad)
    ap_bad = {
        "apiVersion": "security.istio.io/v1",
        "kind": "AuthorizationPolicy",
        "metadata": {"name": "x"},
        "spec": {"rules": [{"to": [{"operation": {"ports": [9080]}}]}]},
    }
    assert validate_object(ap_bad)  # ports are strings in the Istio API
    pa_bad = {
        "apiVersion": "security.istio.io/v1",
        "kind": "PeerAuthentication",
        "metadata": {"name": "x"},
        "spec": {"portLevelMtls": {"80": {"mode": "STRICT"}}},
    }
    assert validate_object(pa_bad)  # portLevelMtls needs a selector
    dr_bad = {
        "apiVersion": "networking.istio.io/v1",
        "kind": "DestinationRule",
        "metadata": {"name": "x"},
        "spec": {"trafficPolicy": {"tls": {"mode": "ISTIO_MUTUAL"}}},
    }
    assert validate_object(dr_bad)  # host is required
