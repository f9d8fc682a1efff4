"""A 2,000-workload cluster renders aggregated in the browser in a few seconds."""

from __future__ import annotations

import sys
import time

import ztlab
from ztlab.errors import Provenance
from ztlab.load import Document
from ztlab.viz import cluster_view, render

from .conftest import ARTIFACTS, ROOT
from .jupyter import canvas_state

sys.path.insert(0, str(ROOT / "benchmarks"))
from generate import generate  # noqa: E402  (the benchmarks' seeded generator)


def test_two_thousand_workloads_render_aggregated(browser):
    cluster = ztlab.build_cluster(
        Document(d, Provenance("generated", i))
        for i, d in enumerate(generate(2000, seed=1))
    )
    started = time.monotonic()
    view = cluster_view(cluster)
    graph = render(view)
    built = time.monotonic() - started
    assert view.level == "namespace"
    assert not view.physics and all(n.x is not None for n in view.nodes)

    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        started = time.monotonic()
        page.set_content(f"<html><body>{graph.iframe()}</body></html>")
        (frame,) = [f for f in page.frames if f.url == "about:srcdoc"]
        state = canvas_state(frame)
        drawn = time.monotonic() - started
        page.screenshot(path=str(ARTIFACTS / "large-2000-aggregated.png"))
    finally:
        page.close()
    assert state and state["painted"] > 1000, state
    # Timings are figures to read, not pass/fail targets (those live in
    # benchmarks/): measured here about 2 s to build and render, 4 s to draw.
    (ARTIFACTS / "large-2000-aggregated.txt").write_text(
        f"built and rendered in {built:.2f} s; drawn in the browser in {drawn:.2f} s\n"
    )
