"""Driving a JupyterLab notebook from Playwright through the exposed app."""

from __future__ import annotations

import contextlib
from typing import Any

# True once the kernel is idle and every code cell has run (or one failed).
_DONE = """() => {
  const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  if (!panel || !panel.content || !panel.sessionContext) return false;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  if (!kernel || kernel.status !== 'idle') return false;
  const cells = panel.content.widgets.filter(
    c => c.model.type === 'code' && c.model.sharedModel.getSource().trim() !== '');
  const failed = cells.some(
    c => c.model.outputs.toJSON().some(o => o.output_type === 'error'));
  return failed || cells.every(c => c.model.executionCount !== null);
}"""

_READY = """() => {
  const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  if (!panel || !panel.sessionContext || !panel.content) return false;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  return !!kernel && kernel.status === 'idle' && panel.content.widgets.length > 0;
}"""

_ERRORS = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const out = [];
  panel.content.widgets.forEach((c, i) => {
    if (c.model.type !== 'code') return;
    for (const o of c.model.outputs.toJSON()) {
      if (o.output_type === 'error') out.push(`cell ${i}: ${o.ename}: ${o.evalue}`);
    }
  });
  return out;
}"""


def open_notebook(page: Any, lab: Any, relative: str) -> None:
    page.goto(lab.notebook_url(relative))
    page.wait_for_function(_READY, timeout=90_000, polling=500)


def run_all(page: Any, timeout_ms: int = 120_000) -> None:
    """Clear every output (and execution count), run all cells, wait for the end."""
    page.evaluate(
        "() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')"
    )
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_timeout(500)
    page.wait_for_function(_DONE, timeout=timeout_ms, polling=500)


def error_outputs(page: Any) -> list[str]:
    return page.evaluate(_ERRORS)


def graph_frames(page: Any) -> list[Any]:
    """The visible ``about:srcdoc`` frames: ztlab's sandboxed graphs and pages."""
    from playwright.sync_api import Error as PlaywrightError

    out = []
    for frame in page.frames:
        if frame.url != "about:srcdoc" or frame.is_detached():
            continue
        try:
            if frame.frame_element().is_visible():
                out.append(frame)
        except PlaywrightError:  # replaced by a newer frame meanwhile
            continue
    return out


_CANVAS = """() => {
  const c = document.querySelector('#mynetwork canvas');
  if (!c || c.width === 0 || c.height === 0) return null;
  const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) painted++;
  return {width: c.width, height: c.height, painted: painted};
}"""


def canvas_state(frame: Any) -> dict[str, int] | None:
    """Size of the graph canvas and how many of its pixels are painted.

    The frame is scrolled into view first: chromium does not animate frames
    of another origin (a sandboxed srcdoc) while they are off screen.
    """
    frame.frame_element().evaluate("e => e.scrollIntoView({block: 'center'})")
    frame.wait_for_selector("#mynetwork canvas", timeout=30_000)
    frame.wait_for_function(
        "() => typeof network !== 'undefined'", timeout=30_000, polling=200
    )
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    # On a timeout the caller sees the unpainted state instead.
    with contextlib.suppress(PlaywrightTimeout):
        frame.wait_for_function(
            f"() => {{ const s = ({_CANVAS})(); return s && s.painted > 0; }}",
            timeout=20_000,
            polling=250,
        )
    return frame.evaluate(_CANVAS)
