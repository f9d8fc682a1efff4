"""Graph views: flows and their status, aggregation, layout, drill-down, queries.

Expected statuses come from the sample READMEs (derived by hand from the YAML
and SEMANTICS.md) and from hand-counted small clusters.
"""

from __future__ import annotations

import pytest

import ztlab
from ztlab.errors import QueryError
from ztlab.reach import reach
from ztlab.viz import (
    cluster_view,
    drill_down,
    namespace_view,
    with_query,
    workload_view,
)
from ztlab.viz.view import AGGREGATE_ABOVE, LAYOUT_ABOVE, View, ViewEdge, ViewNode

from .helpers import SAMPLES, cluster, deny_all, deployment, namespace


@pytest.fixture(scope="module")
def bookinfo():
    return ztlab.load(SAMPLES / "bookinfo-mesh")


def _edge(view: View, src: str, dst: str) -> ViewEdge:
    (edge,) = [e for e in view.edges if e.src == src and e.dst == dst]
    return edge


@pytest.mark.parametrize(
    ("src", "dst", "status"),
    [
        # README: outside/curl has no sidecar; STRICT servers reject it.
        ("outside/curl", "bookinfo/ratings", "rejected"),
        ("outside/curl", "bookinfo/productpage", "rejected"),
        # README: reviews-staging is PERMISSIVE, accepts curl's plaintext.
        ("outside/curl", "reviews-staging/reviews-v4", "plaintext"),
        # README: DR ratings tls DISABLE -> plaintext to a STRICT server.
        ("bookinfo/reviews-v2", "bookinfo/ratings", "rejected"),
        # README: ingressgateway -> productpage mutual, authorized.
        ("istio-system/istio-ingressgateway", "bookinfo/productpage", "mutual"),
        # README: details -> productpage mutual but denied (allow-nothing).
        ("bookinfo/details", "bookinfo/productpage", "authz-deny"),
        ("bookinfo/reviews-v1", "bookinfo/details", "authz-deny"),
    ],
)
def test_bookinfo_flows_carry_the_mesh_outcome(bookinfo, src, dst, status):
    assert _edge(workload_view(bookinfo), src, dst).status == status


def test_flows_without_mesh_are_plain_allowed():
    c = ztlab.load(SAMPLES / "online-boutique")
    view = workload_view(c)
    assert {e.mtls for e in view.edges} == {None}
    # tests/samples/expected/online-boutique.yaml: loadgenerator -> frontend 8080.
    assert _edge(view, "boutique/loadgenerator", "boutique/frontend").status == (
        "allowed"
    )


def test_namespace_view_counts_workload_pairs_by_hand():
    # a: x, y; b: z; no policy: every ordered pair of distinct workloads flows.
    c = cluster(
        namespace("a"),
        namespace("b"),
        deployment("a", "x"),
        deployment("a", "y"),
        deployment("b", "z"),
    )
    counts = {
        (e.src, e.dst): e.flows
        for e in namespace_view(c).edges
        if e.src.startswith("namespace:") and e.dst.startswith("namespace:")
    }
    assert counts == {
        ("namespace:a", "namespace:a"): 2,
        ("namespace:a", "namespace:b"): 2,
        ("namespace:b", "namespace:a"): 2,
    }


def test_namespace_view_drops_pairs_a_default_deny_blocks():
    c = cluster(
        namespace("a"),
        namespace("b"),
        deployment("a", "x"),
        deployment("a", "y"),
        deployment("b", "z"),
        deny_all("b", ("Ingress",)),
    )
    pairs = {(e.src, e.dst) for e in namespace_view(c).edges}
    assert ("namespace:a", "namespace:b") not in pairs
    assert ("namespace:b", "namespace:a") in pairs
    assert ("0.0.0.0/0", "namespace:b") not in pairs
    assert ("0.0.0.0/0", "namespace:a") in pairs


def test_namespace_view_matches_the_sum_of_workload_flows(bookinfo):
    by_pair: dict[tuple[str, str], int] = {}
    for f in bookinfo.flows():
        if f.src_kind == f.dst_kind == "workload":
            key = (
                "namespace:" + f.src.split("/")[0],
                "namespace:" + f.dst.split("/")[0],
            )
            by_pair[key] = by_pair.get(key, 0) + 1
    aggregated = {
        (e.src, e.dst): e.flows
        for e in namespace_view(bookinfo).edges
        if e.src.startswith("namespace:") and e.dst.startswith("namespace:")
    }
    assert aggregated == by_pair


def _many(count: int, isolated: bool) -> ztlab.Cluster:
    docs = [namespace(f"ns{i}") for i in range(10)]
    docs += [deployment(f"ns{i % 10}", f"w{i}") for i in range(count)]
    if isolated:
        docs += [deny_all(f"ns{i}") for i in range(10)]
    return cluster(*docs)


def test_large_clusters_are_aggregated_per_namespace():
    view = cluster_view(_many(AGGREGATE_ABOVE + 10, isolated=True))
    assert view.level == "namespace"
    assert {n.kind for n in view.nodes} <= {"namespace", "external"}
    assert "drill_down" in view.note


def test_above_the_layout_threshold_positions_are_fixed():
    view = cluster_view(_many(LAYOUT_ABOVE + 20, isolated=True))
    assert view.level == "workload"
    assert not view.physics
    assert all(n.x is not None and n.y is not None for n in view.nodes)
    # Namespace groups: members of one namespace sit closer to each other
    # than to the members of the namespace across the circle.
    pos = {n.id: (n.x, n.y) for n in view.nodes}

    def dist(a: str, b: str) -> float:
        (ax, ay), (bx, by) = pos[a], pos[b]
        return ((ax - bx) ** 2 + (ay - by) ** 2) ** 0.5

    assert dist("ns0/w0", "ns0/w10") < dist("ns0/w0", "ns5/w5")


def test_small_views_keep_physics():
    assert cluster_view(ztlab.load(SAMPLES / "online-boutique")).physics


def test_drill_down_collapses_other_namespaces(bookinfo):
    view = drill_down(bookinfo, "outside")
    workloads = {n.id for n in view.nodes if n.kind == "workload"}
    assert workloads == {"outside/curl"}
    collapsed = {n.id for n in view.nodes if n.kind == "namespace"}
    assert collapsed == {
        "namespace:bookinfo",
        "namespace:istio-system",
        "namespace:reviews-staging",
    }
    # curl calls 6 bookinfo workloads: one collapsed edge counting them.
    assert _edge(view, "outside/curl", "namespace:bookinfo").flows == 6


def test_drill_down_names_unknown_namespaces(bookinfo):
    with pytest.raises(QueryError, match="unknown namespace 'nope'"):
        drill_down(bookinfo, "nope")


def test_a_denied_query_is_drawn_as_a_highlighted_denied_edge():
    c = ztlab.load(SAMPLES / "online-boutique")
    # expected/online-boutique.yaml: loadgenerator -> frontend port 80 is denied
    # (80 is the Service port, the policy admits pod port 8080).
    r = reach(c, "boutique/loadgenerator", "boutique/frontend", 80)
    edge = _edge(
        with_query(workload_view(c), r), "boutique/loadgenerator", "boutique/frontend"
    )
    assert edge.highlight and edge.status == "denied"


def test_a_query_through_a_service_highlights_its_backend(bookinfo):
    r = reach(bookinfo, "outside/curl", "svc:bookinfo/ratings", 9080)
    view = with_query(workload_view(bookinfo), r)
    lit = [(e.src, e.dst, e.status) for e in view.edges if e.highlight]
    assert lit == [("outside/curl", "bookinfo/ratings", "rejected")]


def test_a_query_adds_a_denied_edge_when_no_flow_exists():
    c = cluster(
        namespace("a"), deployment("a", "x"), deployment("a", "y"), deny_all("a")
    )
    view = workload_view(c)
    assert not view.edges
    r = reach(c, "a/x", "a/y", 8080)
    assert [(e.src, e.dst, e.status) for e in with_query(view, r).edges] == [
        ("a/x", "a/y", "denied")
    ]


def test_edge_status_order_worst_first():
    assert ViewEdge("a", "b", "denied", "mutual", "allow").status == "denied"
    assert ViewEdge("a", "b", "possible", "rejected").status == "rejected"
    assert ViewEdge("a", "b", "possible", "mutual", "deny").status == "authz-deny"
    assert ViewEdge("a", "b", "possible", "mutual").status == "possible"
    assert View((ViewNode("a", "a", "workload", "n"),), (), "workload", "").physics
