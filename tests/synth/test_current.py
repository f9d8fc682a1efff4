"""The current-flows intent where a mesh applies: allowed end to end, never wider.

Expected values are derived by hand from the sample manifests and the Istio
rules of SEMANTICS.md section 2 (or from tests/samples/expected/*.yaml, which
were derived by hand), never from ztlab's output.
"""

from __future__ import annotations

import pytest
import yaml

from ztlab.mesh import Request, mesh_of
from ztlab.model import PortSet
from ztlab.reach import reach
from ztlab.synth import export, from_current
from ztlab.synth.diff import mesh_diff
from ztlab.synth.proof import reload

from .helpers import ROOT, SAMPLES, cluster_of, deployment, namespace, sample

EXPECTED = ROOT / "tests" / "samples" / "expected"


def _tcp_pairs(intent, keep) -> dict[tuple[str, str], PortSet]:
    out = {}
    for (src, dst), ports in intent.pairs().items():
        tcp = ports.restrict("TCP")
        if keep(dst) and not tcp.is_empty():
            out[(src, dst)] = tcp
    return out


def test_bookinfo_current_intent_is_what_the_mesh_allows():
    c = sample("bookinfo-mesh")
    intent = from_current(c)
    got = _tcp_pairs(intent, lambda d: d.split("/")[0] in ("bookinfo", "istio-system"))
    p9080 = PortSet.of("TCP", 9080)
    meshed = [
        "istio-system/istio-ingressgateway",
        "bookinfo/productpage",
        "bookinfo/details",
        "bookinfo/ratings",
        "bookinfo/reviews-v1",
        "bookinfo/reviews-v2",
        "bookinfo/reviews-v3",
        "reviews-staging/reviews-v4",
    ]
    want = {
        # productpage-viewer: only the gateway's principal, on 9080.
        ("istio-system/istio-ingressgateway", "bookinfo/productpage"): p9080,
        # details-viewer: only productpage's principal, on 9080.
        ("bookinfo/productpage", "bookinfo/details"): p9080,
    }
    # reviews-viewer rule 2 (the stray dash): every caller on 9080 that gets
    # through STRICT mTLS, i.e. every meshed workload; outside/curl is rejected.
    for r in ("bookinfo/reviews-v1", "bookinfo/reviews-v2", "bookinfo/reviews-v3"):
        for src in meshed:
            if src != r:
                want[(src, r)] = p9080
    # The gateway: STRICT (mesh-wide), no AuthorizationPolicy in istio-system:
    # every meshed caller on its declared ports 8080, 8443, 15021.
    gw = PortSet.of("TCP", 8080) | PortSet.of("TCP", 8443) | PortSet.of("TCP", 15021)
    for src in meshed:
        if src != "istio-system/istio-ingressgateway":
            want[(src, "istio-system/istio-ingressgateway")] = gw
    # ratings: the DestinationRule's tls DISABLE makes every client send
    # plaintext to a STRICT server, so nobody reaches it today.
    assert got == want


def test_bookinfo_staging_keeps_its_plaintext_callers():
    c = sample("bookinfo-mesh")
    got = _tcp_pairs(from_current(c), lambda d: d == "reviews-staging/reviews-v4")
    # PERMISSIVE and no AuthorizationPolicy in reviews-staging: every workload
    # (curl as plaintext) and every external address, on the declared 9080.
    sources = {s for s, _ in got}
    assert {"outside/curl", "0.0.0.0/0", "::/0", "bookinfo/ratings"} <= sources
    assert set(got.values()) == {PortSet.of("TCP", 9080)}
    assert len(sources) == 10  # 8 other workloads + 2 address families


def test_bookinfo_export_without_intent_widens_nothing_the_newcomer_saw():
    c = sample("bookinfo-mesh")
    result = export(c, from_current(c))
    assert result.proof.status == "proven", result.proof.to_dict()["differences"]
    after = reload(c, result.objects, result.plan.governed)
    # The three flows of the report: denied before (expected file), denied after.
    for src, dst in [
        ("outside/curl", "svc:bookinfo/ratings"),
        ("bookinfo/details", "svc:bookinfo/productpage"),
        ("reviews-staging/reviews-v4", "svc:bookinfo/ratings"),
    ]:
        assert not reach(after, src, dst, 9080).allowed, (src, dst)
    for g in result.objects:
        text = yaml.safe_dump(g.data)
        if g.namespace == "bookinfo":
            assert "PERMISSIVE" not in text and "notPrincipals" not in text, g.name
            assert "0.0.0.0/0" not in text or g.kind == "NetworkPolicy", g.name


def _claims(name: str):
    data = yaml.safe_load((EXPECTED / f"{name}.yaml").read_text())
    before: dict[tuple, dict] = {}
    for claim in data.get("reach") or []:
        key = (claim["from"], claim["to"], claim.get("port"))
        if claim.get("protocol", "TCP") == "TCP":
            before.setdefault(key, {})["network"] = claim["allowed"]
    for claim in data.get("mesh") or []:
        key = (claim["from"], claim["to"], claim.get("port"))
        before.setdefault(key, {})["mtls"] = claim["mtls"]
        if "authorized" in claim:
            before[key]["authorized"] = claim["authorized"]
    return before


@pytest.mark.parametrize("name", SAMPLES)
def test_export_from_current_is_never_wider_at_any_layer(name):
    c = sample(name)
    result = export(c, from_current(c))
    assert result.proof.ok, result.proof.to_dict()["differences"][:3]
    after = reload(c, result.objects, result.plan.governed)
    wider = []
    for (src, dst, port), was in sorted(_claims(name).items(), key=str):
        now = reach(after, src, dst, port)
        if now.network.allowed and was.get("network") is False:
            wider.append(f"{src} -> {dst}:{port}: network now allows")
        mesh = now.mesh or {}
        if "mtls" not in was or not mesh:
            continue
        # Transport: plaintext accepted now only where it was accepted before.
        if mesh["mtls"] == "plaintext" and was["mtls"] != "plaintext":
            wider.append(f"{src} -> {dst}:{port}: plaintext, was {was['mtls']}")
        # Authorization: a request that gets through is allowed now only where
        # it got through and was allowed before.
        through_now = mesh["mtls"] != "rejected" and mesh["authz"] != "deny"
        through_before = was["mtls"] != "rejected" and was.get("authorized", True)
        if through_now and not through_before:
            wider.append(f"{src} -> {dst}:{port}: mesh allows, was denied")
        if now.allowed and not (through_before and was.get("network", True)):
            wider.append(f"{src} -> {dst}:{port}: allowed end to end, was not")
    assert not wider, "\n".join(wider)


def test_bookinfo_mesh_diff_names_the_changed_outcomes():
    c = sample("bookinfo-mesh")
    result = export(c, from_current(c))
    rows = [r for r in result.diff if r["change"].startswith("mesh-")]
    # The corrected DestinationRule (DISABLE -> ISTIO_MUTUAL) lets the seven
    # meshed callers of ratings through mTLS; ratings-allow admits none of them
    # (none reached ratings before). curl stays rejected (STRICT, plaintext).
    callers = {
        "istio-system/istio-ingressgateway",
        "bookinfo/productpage",
        "bookinfo/details",
        "bookinfo/reviews-v1",
        "bookinfo/reviews-v2",
        "bookinfo/reviews-v3",
        "reviews-staging/reviews-v4",
    }
    assert {(r["src"], r["dst"], r["ports"]) for r in rows} == {
        (s, "bookinfo/ratings", "9080") for s in callers
    }
    assert {(r["change"], r["before"], r["after"]) for r in rows} == {
        ("mesh-changed", "rejected/not-applicable", "mutual/deny")
    }
    assert result.summary["mesh-changed"] == 7
    assert result.summary["mesh-loosened"] == 0


def _pa(ns: str, mode: str) -> dict:
    return {
        "apiVersion": "security.istio.io/v1",
        "kind": "PeerAuthentication",
        "metadata": {"name": "default", "namespace": ns},
        "spec": {"mtls": {"mode": mode}},
    }


def test_mesh_diff_tells_loosened_from_tightened():
    base = [
        namespace("shop", **{"istio-injection": "enabled"}),
        namespace("legacy"),
        deployment("shop", "api", {"app": "api"}, ports=[8080], sa="api"),
        deployment("legacy", "job", {"app": "job"}, sa="job"),
    ]
    strict = cluster_of(*base, _pa("shop", "STRICT"))
    permissive = cluster_of(*base, _pa("shop", "PERMISSIVE"))
    # legacy/job has no sidecar: rejected by STRICT, accepted as plaintext by
    # PERMISSIVE; so is the external caller. Meshed callers: none besides api.
    rows = mesh_diff(strict, permissive)
    assert {(r["src"], r["change"], r["before"], r["after"]) for r in rows} == {
        ("legacy/job", "mesh-loosened", "rejected/not-applicable", "plaintext/allow"),
        ("203.0.113.1", "mesh-loosened", "rejected/not-applicable", "plaintext/allow"),
    }
    back = mesh_diff(permissive, strict)
    assert {r["change"] for r in back} == {"mesh-tightened"}


# HTTP-level authorization and ipBlocks on tiny clusters.


def _service(ns: str, name: str, port: int, port_name: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "selector": {"app": name},
            "ports": [{"name": port_name, "port": port, "targetPort": port}],
        },
    }


def _ap(name: str, spec: dict) -> dict:
    return {
        "apiVersion": "security.istio.io/v1",
        "kind": "AuthorizationPolicy",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": spec,
    }


def _shop(*policies: dict):
    return cluster_of(
        namespace("shop", **{"istio-injection": "enabled"}),
        deployment("shop", "web", {"app": "web"}, sa="web"),
        deployment("shop", "other", {"app": "other"}, sa="other"),
        deployment("shop", "api", {"app": "api"}, ports=[8080], sa="api"),
        _service("shop", "api", 8080, "http-api"),
        *policies,
    )


ALLOW_GET_ITEMS = _ap(
    "api-get",
    {
        "selector": {"matchLabels": {"app": "api"}},
        "action": "ALLOW",
        "rules": [
            {
                "from": [{"source": {"principals": ["cluster.local/ns/shop/sa/web"]}}],
                "to": [{"operation": {"methods": ["GET"], "paths": ["/items/*"]}}],
            }
        ],
    },
)


def test_http_allow_rule_is_kept_not_widened():
    c = _shop(ALLOW_GET_ITEMS)
    intent = from_current(c)
    to_api = [
        f for f in intent.flows if f.dst == "shop/api" and "TCP" in f.ports.protocols
    ]
    # Only web's principal matches; it keeps exactly GET on /items/* (port 8080,
    # named http-api, is HTTP); other is denied by the ALLOW policy.
    assert [(f.src, str(f.ports), f.methods, f.paths) for f in to_api] == [
        ("shop/web", "TCP 8080", ("GET",), ("/items/*",))
    ]
    result = export(c, intent)
    assert result.proof.ok, result.proof.to_dict()["differences"]
    mesh = mesh_of(reload(c, result.objects, result.plan.governed))

    def allowed(src: str, method: str, path: str) -> bool:
        request = Request(method=method, path=path)
        return mesh.evaluate(src, "shop/api", dst_port=8080, request=request).allowed

    assert allowed("shop/web", "GET", "/items/1")
    assert not allowed("shop/web", "DELETE", "/items/1")
    assert not allowed("shop/web", "GET", "/admin")
    assert not allowed("shop/other", "GET", "/items/1")


def test_http_deny_rule_leaves_the_flow_out_with_a_note():
    deny_delete = _ap(
        "no-delete",
        {
            "selector": {"matchLabels": {"app": "api"}},
            "action": "DENY",
            "rules": [{"to": [{"operation": {"methods": ["DELETE"]}}]}],
        },
    )
    c = _shop(deny_delete)
    intent = from_current(c)
    # Today web may GET but not DELETE; an export without DENY rules could only
    # allow both, so the TCP flow to api:8080 is left out (narrower) and named.
    tcp_to_api = [
        f
        for f in intent.flows
        if f.dst == "shop/api" and not f.ports.restrict("TCP").is_empty()
    ]
    assert tcp_to_api == []
    assert any(
        "shop/web -> shop/api port 8080 left out" in n and "no-delete" in n
        for n in intent.notes
    )
    result = export(c, intent)
    mesh = mesh_of(reload(c, result.objects, result.plan.governed))
    delete = Request(method="DELETE", path="/x")
    assert not mesh.evaluate("shop/web", "shop/api", 8080, request=delete).allowed


def test_external_range_split_by_ip_blocks():
    allow_block = _ap(
        "api-partner",
        {
            "selector": {"matchLabels": {"app": "api"}},
            "rules": [{"from": [{"source": {"ipBlocks": ["198.51.100.0/24"]}}]}],
        },
    )
    pa = _pa("shop", "PERMISSIVE")
    c = cluster_of(
        namespace("shop", **{"istio-injection": "enabled"}),
        deployment("shop", "api", {"app": "api"}, ports=[8080], sa="api"),
        allow_block,
        pa,
    )
    intent = from_current(c)
    external = {
        (f.src, str(f.ports.restrict("TCP")))
        for f in intent.flows
        if f.dst == "shop/api" and not f.ports.restrict("TCP").is_empty()
    }
    # PERMISSIVE accepts the plaintext caller; only 198.51.100.0/24 matches.
    assert external == {("198.51.100.0/24", "TCP 8080")}
