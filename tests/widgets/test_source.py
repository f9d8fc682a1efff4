"""The notebooks' SOURCE parameter and the summary tables."""

from __future__ import annotations

import importlib
from pathlib import Path

import ztlab
from ztlab.summary import cluster_report
from ztlab.widgets import source
from ztlab.widgets.source import load_source, summary_tables

ROOT = Path(__file__).resolve().parents[2]
XSS = ROOT / "tests" / "viz" / "fixtures" / "xss-cluster.yaml"


def test_paths_and_lists_of_paths():
    one = load_source(str(ROOT / "sample_clusters" / "online-boutique"))
    assert "boutique/frontend" in one.workloads
    two = load_source([str(ROOT / "sample_clusters" / "online-boutique"), str(XSS)])
    assert {"boutique/frontend", "xss/client"} <= set(two.workloads)


def test_live_sources_go_to_load_live(monkeypatch):
    calls = []

    def fake_load_live(context=None, **options):
        calls.append((context, options))
        return ztlab.Cluster()

    live = importlib.import_module("ztlab.load.live")
    monkeypatch.setattr(live, "load_live", fake_load_live)
    load_source("live:kind-dev")
    load_source(f"{source.LIVE}")
    assert calls == [("kind-dev", {"progress": False}), (None, {"progress": False})]


def test_summary_tables_render_escaped():
    tables = summary_tables(cluster_report(ztlab.load(XSS)))
    page = "".join(frame._repr_html_() for frame in tables.values())
    assert "<img src=x onerror=window.__xss=3>" not in page
    assert "&lt;img src=x onerror=window.__xss=3&gt;" in page
    assert list(tables["counts"]["kind"])[:2] == ["namespaces", "workloads"]
