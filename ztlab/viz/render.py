"""Draw a View with pyvis: offline, escaped, embeddable as an iframe ``srcdoc``.

This is the only module that imports pyvis. What it guarantees:

- Offline: ``cdn_resources="in_line"`` inlines vis-network; the Bootstrap
  ``<link>`` and ``<script src>`` tags that pyvis's template adds anyway are
  removed, so the page loads nothing from the network.
- Escaped: every label, tooltip and heading goes through ``html.escape``
  (manifests are untrusted, and pyvis shows tooltips as raw HTML as soon as one
  of them contains ``href``). Node ids are opaque (``n0``, ``n1``...).
- Locked down: a Content-Security-Policy allows only the page's own inline
  scripts (by hash) and no network at all, so even markup that escaped the
  escaping could not run or load anything; the iframe is sandboxed
  (``allow-scripts`` only: an opaque origin that cannot touch the notebook).
- Nothing is written to disk: ``generate_html()`` builds the page in memory.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from dataclasses import dataclass
from pathlib import Path

from pyvis.network import Network

from ztlab.viz.view import EDGE_STATUSES, View, ViewEdge, ViewNode

__all__ = ["Graph", "render", "iframe", "legend_html", "EDGE_STYLE", "csp_for"]

# status -> (color, dashes, words for the legend)
EDGE_STYLE: dict[str, tuple[str, bool, str]] = {
    "denied": ("#d62728", True, "denied by NetworkPolicy (queried path)"),
    "rejected": (
        "#9b1b1b",
        True,
        "mTLS rejected (e.g. STRICT server, plaintext client)",
    ),
    "authz-deny": ("#e377c2", False, "connected, but AuthorizationPolicy denies (✕)"),
    "possible": (
        "#7f7f7f",
        True,
        "allowed only on some network plugins (not definite)",
    ),
    "plaintext": ("#ff7f0e", False, "allowed, plaintext (no Istio mTLS)"),
    "mutual": ("#2ca02c", False, "allowed, Istio mutual TLS"),
    "allowed": ("#1f77b4", False, "allowed by NetworkPolicy (no mesh on this flow)"),
}
assert tuple(EDGE_STYLE) == EDGE_STATUSES

PALETTE = (
    "#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#edc948",
    "#76b7b2", "#ff9da7", "#9c755f", "#e15759", "#bab0ac",
)  # fmt: skip
EXTERNAL_COLOR = "#dddddd"
LEGEND_NAMESPACES = 20

_REMOTE_TAG = re.compile(
    r"<link\b[^>]*\bhref\s*=\s*[\"']?https?://[^>]*>"
    r"|<script\b[^>]*\bsrc\s*=\s*[\"']?https?://[^>]*>\s*</script>",
    re.IGNORECASE,
)
_EMPTY_HEADING = re.compile(r"<center>\s*<h1>\s*</h1>\s*</center>")
# The template's commented-out links to a node_modules copy of vis.
_DEAD_LINKS = re.compile(r"<!--\s*<link\b[^>]*node_modules.*?-->", re.DOTALL)
_SCRIPT = re.compile(r"<script\b[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE)


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def namespace_colors(view: View) -> dict[str, str]:
    """A stable color per namespace, in sorted order of names."""
    names = sorted({n.namespace for n in view.nodes if n.namespace})
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(names)}


def _node_options(node: ViewNode, colors: dict[str, str]) -> dict[str, object]:
    color = colors.get(node.namespace or "", EXTERNAL_COLOR)
    shape = {"workload": "dot", "external": "box", "namespace": "diamond"}[node.kind]
    options: dict[str, object] = {
        "label": _esc(node.label),
        "title": _esc("\n".join(node.details or (node.id,))),
        "color": color,
        "shape": shape,
        "size": 12 if node.kind != "namespace" else 10 + min(30, node.size),
    }
    if node.x is not None and node.y is not None:
        options.update(x=node.x, y=node.y, physics=False)
    return options


def _edge_options(edge: ViewEdge) -> dict[str, object]:
    color, dashes, _ = EDGE_STYLE[edge.status]
    lines = list(edge.details)
    if edge.mtls:
        lines.append(f"mTLS: {edge.mtls}")
    if edge.authz:
        lines.append(f"authorization: {edge.authz}")
    options: dict[str, object] = {
        "color": color,
        "dashes": dashes,
        "title": _esc("\n".join(lines)),
        "width": 4 if edge.highlight else 1 + min(4, edge.flows // 10),
    }
    if edge.status == "authz-deny":
        options["label"] = "✕"
    if edge.highlight:
        options["label"] = _esc(edge.status)
    return options


def legend_html(view: View) -> str:
    """The legend: namespace colors and edge styles, as escaped HTML."""
    items = [
        f'<span style="display:inline-block;margin-right:12px">'
        f'<span style="display:inline-block;width:10px;height:10px;'
        f'border-radius:5px;background:{color}"></span> {_esc(name)}</span>'
        for name, color in list(namespace_colors(view).items())[:LEGEND_NAMESPACES]
    ]
    hidden = len(namespace_colors(view)) - LEGEND_NAMESPACES
    if hidden > 0:
        items.append(f"and {hidden} more (colors repeat)")
    shown = {e.status for e in view.edges}
    edges = [
        f'<span style="display:inline-block;margin-right:12px">'
        f'<span style="display:inline-block;width:24px;border-top:3px '
        f'{"dashed" if dashes else "solid"} {color}"></span> {_esc(words)}</span>'
        for status, (color, dashes, words) in EDGE_STYLE.items()
        if status in shown
    ]
    return (
        '<div class="ztlab-legend" style="font:12px sans-serif;margin:4px 0">'
        f"<div><b>namespaces</b> {''.join(items)}</div>"
        f"<div><b>flows</b> {''.join(edges) or 'none'}</div></div>"
    )


def csp_for(document: str) -> str:
    """A Content-Security-Policy admitting only the document's own inline scripts.

    >>> csp_for("<script>1</script>").split(";")[1].strip()
    "script-src 'sha256-a4ayc/80/OGda4BO/1o/V0etpOqiLx1JwB5S3beHW0s='"
    """
    hashes = sorted(
        {
            "'sha256-"
            + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
            + "'"
            for body in _SCRIPT.findall(document)
        }
    )
    return (
        "default-src 'none'; script-src "
        + (" ".join(hashes) or "'none'")
        + "; style-src 'unsafe-inline'; img-src data:"
    )


def _network(view: View, height: str) -> Network:
    net = Network(
        height=height,
        width="100%",
        directed=True,
        cdn_resources="in_line",
        heading="",
    )
    colors = namespace_colors(view)
    ids = {n.id: f"n{i}" for i, n in enumerate(view.nodes)}
    for n in view.nodes:
        net.add_node(ids[n.id], **_node_options(n, colors))
    for e in view.edges:
        net.add_edge(ids[e.src], ids[e.dst], **_edge_options(e))
    physics = view.physics and not any(n.x is not None for n in view.nodes)
    net.set_options(
        json.dumps(
            {
                "physics": {
                    "enabled": physics,
                    "stabilization": {"iterations": 150},
                    "barnesHut": {"springLength": 140},
                },
                "interaction": {"hover": True, "tooltipDelay": 150},
                "edges": {"smooth": False, "arrows": {"to": {"scaleFactor": 0.5}}},
            }
        )
    )
    return net


def render_document(view: View, *, height: str = "600px", title: str = "") -> str:
    """The whole HTML page for a view: offline, escaped, with a CSP."""
    page = _network(view, height).generate_html()
    page = _REMOTE_TAG.sub("", page)
    page = _EMPTY_HEADING.sub("", page)
    page = _DEAD_LINKS.sub("", page)
    heading = title or view.heading
    header = f'<h3 style="font:bold 14px sans-serif;margin:4px 0">{_esc(heading)}</h3>'
    if view.note:
        header += (
            f'<div style="font:12px sans-serif;color:#555">{_esc(view.note)}</div>'
        )
    header += legend_html(view)
    page = page.replace("<body>", "<body>" + header, 1)
    meta = (
        f'<meta http-equiv="Content-Security-Policy" content="{_esc(csp_for(page))}">'
    )
    return page.replace('<meta charset="utf-8">', '<meta charset="utf-8">' + meta, 1)


def iframe(document: str, *, height: int = 720) -> str:
    """An ``<iframe srcdoc>`` holding ``document``, sandboxed to scripts only."""
    return (
        f'<iframe class="ztlab-graph" sandbox="allow-scripts" '
        f'style="width:100%;height:{height}px;border:none" '
        f'srcdoc="{html.escape(document, quote=True)}"></iframe>'
    )


@dataclass(frozen=True)
class Graph:
    """A rendered view. Displays itself in Jupyter as a sandboxed iframe.

    >>> import ztlab
    >>> from ztlab.viz.view import workload_view
    >>> g = render(workload_view(ztlab.load("sample_clusters/online-boutique")))
    >>> g.html.count("https://cdn"), g._repr_html_().startswith("<iframe")
    (0, True)
    """

    view: View
    html: str
    height: int = 720

    def _repr_html_(self) -> str:
        return iframe(self.html, height=self.height)

    def iframe(self) -> str:
        return iframe(self.html, height=self.height)

    def save(self, path: str | Path) -> Path:
        """Write the page to ``path`` (only where asked: nothing goes to cwd)."""
        target = Path(path)
        target.write_text(self.html, encoding="utf-8")
        return target


def render(view: View, *, height: int = 600, title: str = "") -> Graph:
    """Draw a view; ``height`` is the canvas height in pixels."""
    document = render_document(view, height=f"{height}px", title=title)
    return Graph(view, document, height + 120)
