"""``ztlab check``: the zero-trust scorecard and CI gate.

Exit status: 0 when no violation at or above ``--fail-on`` is left after the
baseline, 1 when some is, 2 on bad input (unreadable manifests, attestations,
baseline or ABAC policies, a baseline that cannot be written, a live cluster
of which nothing could be read).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import click

from ztlab.cli.common import paths_argument
from ztlab.cli.live import ClusterSource, cluster_input
from ztlab.cli.output import emit, emit_json, fail, warn
from ztlab.cli.tables import markdown_table, text_table
from ztlab.errors import ZtlabError

__all__ = ["COMMANDS", "check", "render"]

MARK = {
    "pass": "PASS",
    "fail": "FAIL",
    "unknown": "????",
    "needs-attestation": "ATTEST",
}


@click.command()
@paths_argument
@click.option(
    "--fail-on",
    type=click.Choice(["high", "medium", "low"]),
    default="high",
    show_default=True,
    help="Lowest severity of a violation that fails the gate.",
)
@click.option(
    "--baseline",
    type=click.Path(dir_okay=False, path_type=str),
    help="JSON file of accepted violations (by fingerprint).",
)
@click.option(
    "--write-baseline",
    type=click.Path(dir_okay=False, writable=True, path_type=str),
    help="Write every current violation to FILE as accepted.",
)
@click.option(
    "--attestations",
    type=click.Path(dir_okay=False, path_type=str),
    help="YAML file of attested items (ztlab/schemas/attestations.schema.json).",
)
@click.option(
    "--abac",
    "abac_path",
    type=click.Path(dir_okay=False, path_type=str),
    metavar="POLICIES",
    help="ABAC policy set to check device, MFA and session rules against.",
)
@click.option(
    "--compare",
    "compare_path",
    type=click.Path(path_type=str),
    metavar="OTHER_PATH",
    help="An earlier snapshot: report what got better or worse since then.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown", "sarif"]),
    default="text",
    show_default=True,
)
@cluster_input
def check(
    source: ClusterSource,
    fail_on: str,
    baseline: str | None,
    write_baseline: str | None,
    attestations: str | None,
    abac_path: str | None,
    compare_path: str | None,
    fmt: str,
) -> None:
    """Score a cluster against the zero-trust checklist and gate CI on it.

    PATHS are manifest files, directories or - (stdin); without any, the
    bundled online-boutique sample. With --live, the cluster of a kubeconfig
    context, read-only.
    """
    from ztlab import scorecard as sc

    try:
        policy_set = None
        if abac_path:
            from ztlab.abac import load_policies

            policy_set = load_policies(abac_path)
        attested = sc.load_attestations(attestations) if attestations else []
        accepted = sc.read_baseline(baseline) if baseline else set()
        cluster = source.load()
        card = sc.scorecard(cluster, abac=policy_set, attestations=attested)
        changes = None
        if compare_path:
            before = sc.scorecard(
                replace(
                    source,
                    paths=(compare_path,),
                    live=False,
                    context=None,
                    kubeconfig=None,
                    namespaces=(),
                ).load(),
                abac=policy_set,
                attestations=attested,
            )
            changes = sc.compare(before, card)
        if write_baseline:
            count = sc.write_baseline(write_baseline, card.violations())
            warn(f"wrote {count} accepted violations to {write_baseline}")
            accepted = {sc.fingerprint(v) for v in card.violations()}
    except ZtlabError as exc:
        fail(str(exc))
        return

    if fmt == "sarif":
        # SARIF has no place for them; text, Markdown and JSON show them.
        for note in card.notes:
            warn(note)
    blocking = sc.gate(card.violations(), fail_on, accepted)
    gate = {
        "fail_on": fail_on,
        "violations": len(card.violations()),
        "accepted": len(card.violations())
        - len(sc.gate(card.violations(), "info", accepted)),
        "blocking": [
            {**v.to_dict(), "fingerprint": sc.fingerprint(v)} for v in blocking
        ],
        "passed": not blocking,
    }

    data = card.to_dict()
    ignored = _ignored_attestations(card, attested)
    for item in data["items"]:
        if item["id"] in ignored:
            item["ignored_attestation"] = ignored[item["id"]]
    if fmt == "sarif":
        emit_json(sc.to_sarif(card))
    elif fmt == "json":
        emit_json({**data, "gate": gate, "comparison": changes})
    else:
        emit(render(data, gate, changes, markdown=fmt == "markdown"))
    if blocking:
        click.get_current_context().exit(1)


def _ignored_attestations(card: Any, attested: list[Any]) -> dict[str, Any]:
    """Per item id: the attestation configuration overrode, and why."""
    out = {}
    for a in attested:
        result = card.result(a.id)
        if result.attestation is None:
            out[a.id] = {
                **a.to_dict(),
                "reason": f"configuration shows {result.status}",
            }
    return out


def _where(evidence: list[dict[str, Any]]) -> str:
    places = []
    for e in evidence:
        if e.get("file") and not str(e["file"]).startswith("<"):
            line = f":{e['line']}" if e.get("line") else ""
            places.append(f"{e['file']}{line}")
    return ", ".join(dict.fromkeys(places))


def render(
    data: dict[str, Any],
    gate: dict[str, Any],
    changes: list[dict[str, Any]] | None,
    *,
    markdown: bool,
) -> str:
    """The scorecard as text or Markdown."""
    table = markdown_table if markdown else text_table
    h = (lambda t: f"## {t}") if markdown else (lambda t: f"{t}\n{'=' * len(t)}")
    overall = data["overall"]
    out = [h(f"Zero-trust scorecard: {'-' if overall is None else overall}%")]
    rows = [
        [
            p,
            "-" if s["score"] is None else f"{s['score']}%",
            s["pass"],
            s["fail"],
            s["unknown"],
            s["needs-attestation"],
        ]
        for p, s in data["pillars"].items()
    ]
    out.append(table(["pillar", "score", "pass", "fail", "unknown", "attest"], rows))
    for pillar in data["pillars"]:
        items = [i for i in data["items"] if i["pillar"] == pillar]
        out.append(h(pillar.capitalize()))
        lines = []
        for i in items:
            lines.append(f"- {MARK[i['status']]} {i['id']}: {i['title']}")
            lines.append(f"  {i['message']}")
            if i["status"] == "fail":
                for v in i["violations"]:
                    where = _where(v["objects"])
                    lines.append(
                        f"  * [{v['severity']}] {v['message']}"
                        + (f" ({where})" if where else "")
                    )
                lines.append(f"  fix: {i['fix']}")
            elif i["status"] == "needs-attestation" and i["fix"]:
                lines.append(f"  to do: {i['fix']}")
            if i.get("ignored_attestation"):
                a = i["ignored_attestation"]
                place = f"{a['file']}:{a['line']}" if a.get("line") else a["file"]
                lines.append(
                    f"  note: the attestation by {a['who']} ({place}) is ignored: "
                    f"{a['reason']}"
                )
        out.append("\n".join(lines))
    if changes is not None:
        out.append(h("Since the other snapshot"))
        moved = [c for c in changes if c["change"] != "unchanged"]
        out.append(
            table(
                ["item", "before", "after", "change", "detail"],
                [
                    [c["id"], c["before"], c["after"], c["change"], c["detail"]]
                    for c in moved
                ],
            )
            if moved
            else "nothing changed"
        )
    if data.get("notes"):
        out.append(h("Notes"))
        out.append("\n".join(f"- {note}" for note in data["notes"]))
    out.append(h("Gate"))
    verdict = "passed" if gate["passed"] else "FAILED"
    out.append(
        f"{verdict}: {len(gate['blocking'])} violations at or above "
        f"{gate['fail_on']} not in the baseline ({gate['violations']} violations, "
        f"{gate['accepted']} accepted)"
    )
    return "\n\n".join(out)


COMMANDS = [check]
