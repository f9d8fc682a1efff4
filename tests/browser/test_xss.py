"""Script payloads in names, labels and annotations never run in the browser.

The fixture (tests/viz/fixtures/xss-cluster.yaml) carries payloads that would
set ``window.__xss`` (or ``parent.__xss``) or open an alert. A notebook renders
the cluster every way ztlab can: DataFrame tables, the HTML report tables, the
graph (with every tooltip forced open), the widgets and the HTML report page.
"""

from __future__ import annotations

import json
import shutil

from .conftest import ARTIFACTS, ROOT
from .jupyter import canvas_state, error_outputs, graph_frames, open_notebook, run_all

CELLS = [
    "import pandas as pd\nfrom IPython.display import HTML, display\n"
    "from ztlab.summary import cluster_report\n"
    "from ztlab.viz import html_table, report_page, show\n"
    "from ztlab.widgets import ReachabilityExplorer, WhatIfPanel\n"
    "from ztlab.widgets.source import load_source, summary_tables\n"
    'cluster = load_source("xss-cluster.yaml")\n'
    "report = cluster_report(cluster)",
    "tables = summary_tables(report)\n"
    "for frame in tables.values():\n    display(frame)",
    'display(HTML(html_table(["workload", "labels", "annotations"], [\n'
    "    [w.key, dict(w.labels), dict(w.annotations)]\n"
    "    for w in cluster.workloads.values()])))",
    "show(cluster)",
    "ReachabilityExplorer(cluster)",
    "WhatIfPanel(cluster)",
    "page = report_page(cluster, report)\n"
    "import html\n"
    'HTML(\'<iframe class="ztlab-report" sandbox="allow-scripts" \'\n'
    "     'style=\"width:100%;height:600px\" '\n"
    "     f'srcdoc=\"{html.escape(page)}\"></iframe>')",
]

_OPEN_TOOLTIPS = """() => {
  const ids = nodes.getIds();
  let popups = 0, elements = 0;
  const texts = [];
  for (const id of ids) {
    network.body.emitter.emit('showPopup', id);
    for (const p of document.querySelectorAll('div.popup')) {
      popups++;
      elements += p.querySelectorAll('*').length;
      texts.push(p.textContent);
    }
  }
  return {nodes: ids.length, popups: popups, elements: elements,
          text: texts.join(' | ')};
}"""


def _notebook(path):
    cells = [
        {
            "cell_type": "code",
            "metadata": {},
            "source": src,
            "outputs": [],
            "execution_count": None,
        }
        for src in CELLS
    ]
    path.write_text(
        json.dumps(
            {
                "cells": cells,
                "metadata": {
                    "kernelspec": {
                        "name": "python3",
                        "display_name": "Python 3",
                        "language": "python",
                    }
                },
                "nbformat": 4,
                "nbformat_minor": 5,
            }
        )
    )


def test_no_payload_runs(page, lab):
    folder = lab.root / "xss"
    folder.mkdir(exist_ok=True)
    shutil.copy(ROOT / "tests" / "viz" / "fixtures" / "xss-cluster.yaml", folder)
    _notebook(folder / "xss.ipynb")

    open_notebook(page, lab, "xss/xss.ipynb")
    run_all(page)
    page.wait_for_timeout(1500)
    assert error_outputs(page) == []

    frames = graph_frames(page)
    # The graph, the explorer's graph, the report page and the graph inside it.
    assert len(frames) >= 4, [f.url for f in page.frames]
    drawn = 0
    for frame in frames:
        if frame.evaluate("() => !!document.getElementById('mynetwork')"):
            state = canvas_state(frame)
            assert state and state["painted"] > 0
            result = frame.evaluate(_OPEN_TOOLTIPS)
            assert result["nodes"] > 0
            # pyvis's raw-HTML tooltips (a title holds "href"): text only.
            assert result["popups"] > 0 and result["elements"] == 0, result
            # The payloads show as text, exactly as written in the manifest.
            assert "<img src=x onerror=window.__xss=3>" in result["text"], result
            drawn += 1
    assert drawn >= 3
    page.wait_for_timeout(1000)

    # The payloads are visible as text in the tables...
    body = page.locator(".jp-Notebook").inner_text()
    assert "onerror=window.__xss=3" in body
    # ...and none of them ran, in the page or in any frame.
    assert page.evaluate("() => window.__xss") is None
    for frame in page.frames:
        assert frame.evaluate("() => window.__xss") is None, frame.url
    assert page.dialogs == []
    assert page.external_requests == []
    page.screenshot(path=str(ARTIFACTS / "xss.png"))
