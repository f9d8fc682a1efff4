"""A self-contained HTML report: summary tables and the graph, for ``--html``."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from ztlab.model import Cluster
from ztlab.viz.aggregate import cluster_view
from ztlab.viz.render import csp_for, render

__all__ = ["html_table", "report_page"]

_STYLE = """
body { font: 14px sans-serif; margin: 16px; }
table { border-collapse: collapse; margin: 6px 0 18px; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: left;
         vertical-align: top; }
th { background: #f3f3f3; }
"""


def _esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def html_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """An HTML table with every cell escaped.

    >>> html_table(["a"], [["<b>"]])
    '<table><tr><th>a</th></tr><tr><td>&lt;b&gt;</td></tr></table>'
    """
    head = "".join(f"<th>{_esc(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{_esc(c)}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _sections(data: dict[str, Any]) -> list[tuple[str, str]]:
    out = [
        ("Counts", html_table(["kind", "count"], list(data["counts"].items()))),
        (
            "Namespaces",
            html_table(
                ["namespace", "workloads", "policies", "inferred", "labels"],
                [
                    [
                        n["name"],
                        n["workloads"],
                        n["policies"],
                        "yes" if n["inferred"] else "",
                        ", ".join(f"{k}={v}" for k, v in n["labels"].items()),
                    ]
                    for n in data["namespaces"]
                ],
            ),
        ),
        (
            "Workloads",
            html_table(
                ["workload", "kind", "service account", "identity", "ports"],
                [
                    [
                        w["workload"],
                        w["kind"],
                        w["service_account"],
                        w["identity"],
                        " ".join(w["ports"]),
                    ]
                    for w in data["workloads"]
                ],
            ),
        ),
        (
            "NetworkPolicies",
            html_table(
                ["policy", "selects", "types", "ingress rules", "egress rules"],
                [
                    [
                        p["policy"],
                        p["selector"],
                        ",".join(p["policy_types"]),
                        p["ingress_rules"],
                        p["egress_rules"],
                    ]
                    for p in data["policies"]
                ],
            ),
        ),
    ]
    mesh = data.get("mesh") or {}
    rows = mesh.get("workloads") or []
    if rows:
        cols = list(rows[0])
        out.append(("Mesh", html_table(cols, [[r.get(c) for c in cols] for r in rows])))
    out.append(
        (
            "Skipped input",
            html_table(["reason", "documents"], list(data["skipped"].items())),
        )
    )
    out.append(
        (
            "Load issues",
            html_table(
                ["severity", "issue"],
                [[i["severity"], i["text"]] for i in data["issues"]],
            ),
        )
    )
    findings = data.get("findings", [])
    out.append(
        (
            f"Findings ({len(findings)})",
            html_table(
                ["severity", "rule", "finding", "fix"],
                [[f["severity"], f["rule"], f["message"], f["fix"]] for f in findings],
            ),
        )
    )
    return out


def report_page(cluster: Cluster, data: dict[str, Any], *, title: str = "") -> str:
    """The report page: the tables of ``data`` (from ``cluster_report``) and a graph.

    >>> import ztlab
    >>> from ztlab.summary import cluster_report
    >>> cluster = ztlab.load("sample_clusters/online-boutique")
    >>> page = report_page(cluster, cluster_report(cluster))
    >>> from ztlab.viz.offline import remote_references
    >>> "<h2>Findings" in page, "srcdoc=" in page, remote_references(page)
    (True, True, [])
    """
    graph = render(cluster_view(cluster))
    heading = title or "ztlab report"
    body = "".join(f"<h2>{_esc(name)}</h2>{table}" for name, table in _sections(data))
    page = (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        '<meta http-equiv="Content-Security-Policy" content="{csp}">'
        f"<title>{_esc(heading)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{_esc(heading)}</h1><h2>Graph</h2>{graph.iframe()}{body}</body></html>"
    )
    # A srcdoc frame inherits this page's policy: admit exactly the graph's scripts.
    return page.replace("{csp}", _esc(csp_for(graph.html)), 1)
