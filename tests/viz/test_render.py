"""Rendering: offline, escaped, locked down, nothing written to disk."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import pyvis

import ztlab
from ztlab.viz import render, show, workload_view
from ztlab.viz.offline import remote_references, script_urls
from ztlab.viz.render import EDGE_STYLE
from ztlab.viz.view import View, ViewNode

from .helpers import PAYLOADS, SAMPLES, XSS

PYVIS_LIB = Path(pyvis.__file__).parent / "templates" / "lib"


@pytest.fixture(scope="module")
def bookinfo_page() -> str:
    return show(ztlab.load(SAMPLES / "bookinfo-mesh")).html


@pytest.fixture(scope="module")
def xss_graph():
    return show(ztlab.load(XSS))


def _library_text() -> str:
    return "".join(
        p.read_text(encoding="utf-8", errors="replace")
        for p in PYVIS_LIB.rglob("*")
        if p.suffix in (".js", ".css")
    )


def test_the_page_refers_to_no_remote_resource(bookinfo_page):
    assert remote_references(bookinfo_page) == []
    # pyvis's template links Bootstrap from jsDelivr even in_line: gone.
    assert "cdn.jsdelivr.net" not in bookinfo_page
    assert "cdnjs.cloudflare.com" not in bookinfo_page
    assert "<link" not in bookinfo_page


def test_urls_left_in_scripts_are_vis_networks_own_text(bookinfo_page):
    library = _library_text()
    urls = script_urls(bookinfo_page)
    assert urls, "the inlined vis-network should carry its licence URLs"
    for url in urls:
        assert url in library, url
    # Outside <script> there is no URL at all.
    outside = re.sub(r"<script\b.*?</script>", "", bookinfo_page, flags=re.S)
    assert not re.search(r"https?://", outside)


def test_remote_reference_checker_sees_what_it_should():
    assert remote_references('<script src="https://x.example/a.js"></script>')
    assert remote_references('<img srcset="a.png 1x, //x.example/b.png 2x">')
    assert remote_references('<div style="background:url(http://x.example/a)">')
    assert remote_references("<style>@import 'https://x.example/a.css';</style>")
    assert remote_references(
        '<iframe srcdoc="&lt;img src=&quot;https://x.example/p&quot;&gt;"></iframe>'
    )
    assert not remote_references('<img src="data:image/png;base64,AA==">')


def test_nothing_is_written_to_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    graph = show(ztlab.load(SAMPLES / "online-boutique"))
    graph._repr_html_()
    assert os.listdir(tmp_path) == []


def _nodes_and_edges(page: str) -> tuple[list[dict], list[dict]]:
    nodes = re.search(r"nodes = new vis\.DataSet\((\[.*?\])\);", page, re.S)
    edges = re.search(r"edges = new vis\.DataSet\((\[.*?\])\);", page, re.S)
    assert nodes and edges
    return json.loads(nodes.group(1)), json.loads(edges.group(1))


def test_no_payload_appears_unescaped(xss_graph):
    page = xss_graph.html
    for payload in PAYLOADS:
        assert payload not in page
    frame = xss_graph._repr_html_()
    for payload in PAYLOADS:
        assert payload not in frame


def test_every_label_and_title_is_html_escaped(xss_graph):
    nodes, edges = _nodes_and_edges(xss_graph.html)
    texts = [n["label"] for n in nodes] + [n["title"] for n in nodes]
    texts += [e["title"] for e in edges]
    for text in texts:
        assert "<" not in text and ">" not in text and '"' not in text, text
    web = next(n for n in nodes if "web" in n["label"])
    assert web["label"] == html.escape("web<img src=x onerror=window.__xss=3>")
    assert html.escape(PAYLOADS[3]) in web["title"]  # the pod label with href


def test_node_ids_are_opaque(xss_graph):
    nodes, edges = _nodes_and_edges(xss_graph.html)
    assert all(re.fullmatch(r"n\d+", n["id"]) for n in nodes)
    assert all(re.fullmatch(r"n\d+", e["from"] + "") for e in edges)


def test_href_in_a_title_switches_pyvis_to_raw_html_tooltips_safely(xss_graph):
    # A pod label holds "href", so pyvis uses popup.innerHTML for tooltips;
    # escaped titles then render as text.
    assert "popup.innerHTML = nodeData[0].title" in xss_graph.html


def test_heading_and_legend_are_escaped():
    view = View(
        (ViewNode("a/x", "x", "workload", '<b onclick="1">ns</b>'),),
        (),
        "workload",
        "<script>window.__xss=1</script>",
    )
    page = render(view, title="").html
    assert "<script>window.__xss=1</script>" not in page
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in page
    assert '<b onclick="1">' not in page
    assert html.escape('<b onclick="1">ns</b>') in page


def _srcdoc(frame: str) -> str:
    found: list[str] = []

    class P(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag == "iframe":
                found.append(dict(attrs)["srcdoc"])

    P().feed(frame)
    (doc,) = found
    return doc


def test_the_iframe_holds_the_whole_page_escaped_and_sandboxed(xss_graph):
    frame = xss_graph._repr_html_()
    assert frame.startswith('<iframe class="ztlab-graph" sandbox="allow-scripts" ')
    assert "allow-same-origin" not in frame
    assert _srcdoc(frame) == xss_graph.html


def test_content_security_policy_admits_exactly_the_page_scripts(bookinfo_page):
    meta = re.search(
        r'http-equiv="Content-Security-Policy" content="([^"]*)"', bookinfo_page
    )
    assert meta
    policy = html.unescape(meta.group(1))
    assert "default-src 'none'" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    bodies = re.findall(r"<script\b[^>]*>(.*?)</script>", bookinfo_page, re.S)
    for body in bodies:
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy


def test_legend_lists_namespaces_and_the_edge_styles_in_use(bookinfo_page):
    for ns in ("bookinfo", "istio-system", "outside", "reviews-staging"):
        assert f"</span> {ns}</span>" in bookinfo_page
    for status in ("rejected", "mutual", "plaintext", "authz-deny"):
        assert EDGE_STYLE[status][2].replace("✕", "").split(" (")[0] in html.unescape(
            bookinfo_page
        )


def test_edges_are_styled_by_status():
    c = ztlab.load(SAMPLES / "bookinfo-mesh")
    view = workload_view(c)
    _, edges = _nodes_and_edges(render(view).html)
    colors = {e["color"] for e in edges}
    for status in {e.status for e in view.edges}:
        assert EDGE_STYLE[status][0] in colors
    dashed = [e for e in edges if e["dashes"]]
    assert dashed and all(
        e["color"] in (EDGE_STYLE["rejected"][0], EDGE_STYLE["possible"][0])
        for e in dashed
    )


def test_physics_follows_the_view():
    small = show(ztlab.load(SAMPLES / "online-boutique")).html
    assert '"physics": {"enabled": true' in small
    nodes = tuple(
        ViewNode(f"n/w{i}", f"w{i}", "workload", "n", x=float(i), y=0.0)
        for i in range(250)
    )
    big = render(View(nodes, (), "workload", "big")).html
    assert '"physics": {"enabled": false' in big
