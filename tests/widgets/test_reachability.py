"""The reachability explorer, driven headless by setting control values.

Expected verdicts: tests/samples/expected/online-boutique.yaml and the
bookinfo-mesh README (derived by hand from the YAML and SEMANTICS.md).
"""

from __future__ import annotations

import html
from pathlib import Path

import pytest

import ztlab
from ztlab.widgets import ReachabilityExplorer
from ztlab.widgets.reachability import ANY_PORT

SAMPLES = Path(__file__).resolve().parents[2] / "sample_clusters"


@pytest.fixture(scope="module")
def boutique():
    return ztlab.load(SAMPLES / "online-boutique")


@pytest.fixture
def explorer(boutique):
    return ReachabilityExplorer(boutique)


def _shown_word(ex: ReachabilityExplorer) -> str:
    text = ex.verdict.value
    start = text.index('class="ztlab-verdict-word"')
    return html.unescape(text[text.index(">", start) + 1 : text.index("</b>", start)])


def test_changing_the_destination_changes_the_verdict(explorer):
    explorer.source.value = "boutique/frontend"
    explorer.destination.value = "boutique/currencyservice"
    explorer.port.value = "7000"
    assert _shown_word(explorer) == "allowed"
    # redis-cart-ingress admits only cartservice.
    explorer.destination.value = "boutique/redis-cart"
    assert explorer.port.value == "6379"
    assert _shown_word(explorer) == "denied"
    assert "redis-cart-ingress" in explorer.explanation.value


def test_changing_the_source_changes_the_verdict(explorer):
    explorer.destination.value = "boutique/redis-cart"
    explorer.source.value = "boutique/cartservice"
    assert explorer.verdict_word == "allowed"
    explorer.source.value = "kube-system/kube-dns"
    assert explorer.verdict_word == "denied"


def test_port_and_protocol(explorer):
    explorer.source.value = "boutique/checkoutservice"
    explorer.destination.value = "boutique/frontend"
    explorer.port.value = "8080"
    assert explorer.verdict_word == "allowed"
    # Named port http is TCP 8080 only.
    explorer.protocol.value = "UDP"
    assert explorer.verdict_word == "denied"


def test_service_destinations_offer_service_ports(explorer):
    explorer.source.value = "boutique/loadgenerator"
    explorer.destination.value = "svc:boutique/frontend"
    assert list(explorer.port.options) == [ANY_PORT, "80"]
    explorer.port.value = "80"
    assert explorer.verdict_word == "allowed"


def test_the_graph_highlights_the_queried_path(explorer):
    explorer.source.value = "boutique/frontend"
    explorer.destination.value = "boutique/redis-cart"
    frame = html.unescape(explorer.graph.value)
    assert frame.startswith('<iframe class="ztlab-graph"')
    assert '"label": "denied"' in frame


def test_mesh_outcome_is_part_of_the_verdict():
    ex = ReachabilityExplorer(ztlab.load(SAMPLES / "bookinfo-mesh"), graph=False)
    ex.source.value = "outside/curl"
    ex.destination.value = "svc:bookinfo/ratings"
    ex.port.value = "9080"
    # README: NetworkPolicy allows, the STRICT server rejects the plaintext call.
    assert ex.result.network.allowed
    assert ex.verdict_word == "denied"
    assert "mTLS rejected" in ex.explanation.value
    ex.destination.value = "svc:reviews-staging/reviews"
    ex.port.value = "9080"
    assert ex.verdict_word == "allowed"
    assert "mTLS plaintext" in ex.explanation.value


def test_an_external_source_is_offered(explorer):
    explorer.source.value = "203.0.113.10"
    explorer.destination.value = "svc:boutique/frontend-external"
    explorer.port.value = "80"
    assert explorer.verdict_word == "allowed"
