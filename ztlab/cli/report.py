"""``ztlab report``: what a cluster holds, what was skipped, what is wrong."""

from __future__ import annotations

import html
from typing import Any

import click

from ztlab.cli.common import paths_argument
from ztlab.cli.live import ClusterSource, cluster_input
from ztlab.cli.output import emit, emit_json
from ztlab.cli.tables import markdown_table, text_table

__all__ = ["COMMANDS"]


@click.command()
@paths_argument
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
)
@click.option("--no-findings", is_flag=True, help="Leave the findings out.")
@click.option(
    "--html",
    "html_file",
    type=click.Path(dir_okay=False, writable=True, allow_dash=False),
    default=None,
    metavar="FILE",
    help="Write a self-contained HTML page (tables and graph) to FILE instead.",
)
@cluster_input
def report(
    source: ClusterSource,
    fmt: str,
    no_findings: bool,
    html_file: str | None,
) -> None:
    """Summarise a cluster: counts, workloads, policies, skipped input, findings.

    PATHS are manifest files, directories or - (stdin); without any, the
    bundled online-boutique sample.
    """
    from ztlab.summary import cluster_report

    cluster = source.load()
    data = cluster_report(cluster, findings=not no_findings)
    if html_file is not None:
        from ztlab.viz import report_page

        try:
            with open(html_file, "w", encoding="utf-8") as out:
                out.write(report_page(cluster, data))
        except OSError as exc:
            raise click.BadParameter(
                f"cannot write {html_file}: {exc.strerror}; give a path in an "
                "existing, writable directory",
                param_hint="--html",
            ) from None
        emit(f"wrote {html_file}")
        return
    if fmt == "json":
        emit_json(data)
        return
    emit(render(data, markdown=fmt == "markdown"))


def render(data: dict[str, Any], *, markdown: bool) -> str:
    """The report as text or Markdown."""
    table = markdown_table if markdown else text_table
    h = (lambda t: f"## {t}") if markdown else (lambda t: f"{t}\n{'=' * len(t)}")
    out = [h("Counts")]
    out.append(table(["kind", "count"], [[k, v] for k, v in data["counts"].items()]))
    out.append(h("Namespaces"))
    out.append(
        table(
            ["namespace", "workloads", "policies", "inferred"],
            [
                [
                    n["name"],
                    n["workloads"],
                    n["policies"],
                    "yes" if n["inferred"] else "",
                ]
                for n in data["namespaces"]
            ],
        )
    )
    out.append(h("Workloads"))
    out.append(
        table(
            ["workload", "kind", "service account", "ports"],
            [
                [w["workload"], w["kind"], w["service_account"], " ".join(w["ports"])]
                for w in data["workloads"]
            ],
        )
    )
    out.append(h("NetworkPolicies"))
    out.append(
        table(
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
        )
    )
    if data.get("mesh"):
        out.append(h("Mesh"))
        mesh = data["mesh"]
        rows = mesh.get("workloads", [])
        if rows:
            cols = list(rows[0])
            out.append(table(cols, [[r.get(c, "") for c in cols] for r in rows]))
    out.append(h("Skipped input"))
    skipped = data["skipped"]
    out.append(
        table(["reason", "documents"], [[k, v] for k, v in skipped.items()])
        if skipped
        else "nothing was skipped"
    )
    out.append(h("Load issues"))
    issues = data["issues"]
    out.append(
        "\n".join(
            f"- {i['severity']}: "
            + (html.escape(i["text"], quote=False) if markdown else i["text"])
            for i in issues
        )
        if issues
        else "none"
    )
    if data.get("findings") is not None:
        esc = (lambda t: html.escape(t, quote=False)) if markdown else str
        out.append(h(f"Findings ({len(data['findings'])})"))
        out.append(
            "\n".join(
                f"- [{f['severity']}] {f['rule']}: {esc(f['message'])}"
                + (f"\n  fix: {esc(f['fix'])}" if f["fix"] else "")
                for f in data["findings"]
            )
            or "none"
        )
    return "\n\n".join(out)


COMMANDS = [report]
