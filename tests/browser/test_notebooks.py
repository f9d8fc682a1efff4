"""Every notebook in a real JupyterLab and chromium: runs clean, draws, responds."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from .conftest import ARTIFACTS, ROOT
from .jupyter import canvas_state, error_outputs, graph_frames, open_notebook, run_all

NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("0*.ipynb"))


def _graph_notebook(name: str) -> bool:
    """Whether the notebook draws a graph (ztlab.viz or the explorer)."""
    text = (ROOT / "notebooks" / name).read_text(encoding="utf-8")
    return "from ztlab.viz import" in text or "ReachabilityExplorer" in text


def _shows(frame, text: str) -> bool:
    from playwright.sync_api import Error as PlaywrightError

    try:
        return frame.evaluate("t => document.body.innerText.includes(t)", text)
    except PlaywrightError:  # the widget replaced this frame meanwhile
        return False


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_without_errors_and_draws_its_graphs(page, lab, name):
    open_notebook(page, lab, f"notebooks/{name}")
    run_all(page)
    page.wait_for_timeout(1000)
    page.screenshot(path=str(ARTIFACTS / f"{Path(name).stem}.png"))
    assert error_outputs(page) == []
    assert page.locator("text=Error displaying widget").count() == 0
    if _graph_notebook(name):
        frames = graph_frames(page)
        assert frames, "no graph iframe was rendered"
        for frame in frames:
            state = canvas_state(frame)
            assert state is not None, "graph canvas missing or of zero size"
            assert state["width"] > 0 and state["height"] > 0
            assert state["painted"] > 100, state
        page.locator("iframe.ztlab-graph").first.screenshot(
            path=str(ARTIFACTS / f"{Path(name).stem}-graph.png")
        )
    assert page.external_requests == []
    assert page.dialogs == []


def test_changing_the_explorers_destination_changes_the_verdict(page, lab):
    open_notebook(page, lab, "notebooks/01-segmentation.ipynb")
    run_all(page)
    verdict = page.locator(".ztlab-verdict .ztlab-verdict-word").first
    verdict.wait_for(timeout=30_000)
    box = page.locator(".widget-vbox:has(.ztlab-verdict)").first
    source = box.locator(".widget-dropdown:has(label:text-is('source')) select")
    destination = box.locator(
        ".widget-dropdown:has(label:text-is('destination')) select"
    )
    # expected/online-boutique.yaml: cartservice -> redis-cart 6379 allowed;
    # frontend -> redis-cart 6379 denied (redis-cart-ingress admits cartservice).
    source.select_option("boutique/frontend")
    destination.select_option("boutique/currencyservice")
    page.wait_for_function(
        "() => document.querySelector('.ztlab-verdict .ztlab-verdict-word')"
        ".textContent === 'allowed'",
        timeout=30_000,
    )
    destination.select_option("boutique/redis-cart")
    page.wait_for_function(
        "() => document.querySelector('.ztlab-verdict .ztlab-verdict-word')"
        ".textContent === 'denied'",
        timeout=30_000,
    )
    assert verdict.text_content() == "denied"
    # The explorer's graph follows: the queried path drawn as denied.
    deadline = time.monotonic() + 30
    while not any(
        _shows(frame, "denied by NetworkPolicy") for frame in graph_frames(page)
    ):
        assert time.monotonic() < deadline, "the graph never showed the denied path"
        page.wait_for_timeout(250)
    verdict.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / "explorer-denied.png"))
