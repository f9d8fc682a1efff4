"""``ztlab export``: least-privilege policies from intent, proven by re-analysis."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ztlab.cli.common import paths_argument
from ztlab.cli.live import ClusterSource, cluster_input
from ztlab.cli.output import emit, fail, warn
from ztlab.cli.tables import text_table
from ztlab.errors import ZtlabError

__all__ = ["COMMANDS"]


@click.command()
@paths_argument
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(path_type=str),
    help="Directory for the YAML and kustomization.yaml (created with its "
    "parents if missing).",
)
@click.option(
    "--intent",
    "intent_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Intent YAML: flows with from, to, ports, protocol, methods, paths.",
)
@click.option(
    "--flows",
    "flows_csv",
    type=click.Path(exists=True, dir_okay=False),
    help="Observed flow log (CSV: source, destination, port, protocol, method, path).",
)
@click.option(
    "--remove",
    multiple=True,
    metavar="SRC->DST[:PORT]",
    help="Remove a flow from the current flows (repeatable).",
)
@click.option(
    "--fix-findings",
    is_flag=True,
    help="Write the minimal fix of each finding instead of new policies.",
)
@click.option(
    "--mesh/--no-mesh",
    default=None,
    help="Generate and prove Istio policies (default: when a mesh applies).",
)
@click.option("--diff", "show_diff", is_flag=True, help="Print every diff row.")
@click.option(
    "--allow-loss",
    is_flag=True,
    help="With --fix-findings: exit 0 even when some flow allowed today loses ports.",
)
@cluster_input
def export(
    source: ClusterSource,
    out_dir: str,
    intent_file: str | None,
    flows_csv: str | None,
    remove: tuple[str, ...],
    fix_findings: bool,
    mesh: bool | None,
    show_diff: bool,
    allow_loss: bool,
) -> None:
    """Export corrected policies for PATH... (or --live) into --out and prove them.

    The intent is the flows allowed end to end now (NetworkPolicy, mTLS and
    authorization) minus --remove, or --intent, or --flows. Exits 1 when the
    proof fails, or, with --fix-findings, when a fixed finding remains or a
    flow allowed today loses ports (unless --allow-loss); 2 on bad input.
    """
    if intent_file and flows_csv:
        fail("give --intent or --flows, not both")
    if remove and (intent_file or flows_csv):
        fail("--remove applies to the current flows; drop --intent/--flows")
    _check_out(out_dir)
    try:
        cluster = source.load()
        if fix_findings:
            _fix(cluster, out_dir, mesh, show_diff, allow_loss)
            return
        if allow_loss:
            fail("--allow-loss applies to --fix-findings only")
        _export(cluster, out_dir, intent_file, flows_csv, remove, mesh, show_diff)
    except ZtlabError as exc:
        fail(str(exc))


def _check_out(out_dir: str) -> None:
    """--out must be a directory or not exist yet (it and its parents are made)."""
    out = Path(out_dir)
    for path in (out, *out.parents):
        if path.exists():
            if not path.is_dir():
                which = (
                    f"--out {path}" if path == out else f"{path}, a parent of --out,"
                )
                fail(
                    f"{which} is a file, not a directory: give a directory for the "
                    f"export (created if missing), or move {path} away"
                )
            return


def _write(objects: list[Any], out_dir: str, note: str = "") -> list[Path]:
    from ztlab.synth import writer

    try:
        return writer.write(objects, out_dir, note)
    except OSError as exc:
        fail(
            f"cannot write the export to {out_dir}: {exc.strerror or exc}; give a "
            "directory you may write to with --out"
        )
        raise


def _export(
    cluster: Any,
    out_dir: str,
    intent_file: str | None,
    flows_csv: str | None,
    remove: tuple[str, ...],
    mesh: bool | None,
    show_diff: bool,
) -> None:
    from ztlab import synth

    if intent_file:
        intent = synth.from_yaml(intent_file, cluster)
    elif flows_csv:
        intent = synth.from_csv(flows_csv, cluster)
    else:
        intent = synth.from_current(cluster, remove=remove)
    for row in intent.unmapped:
        warn(f"unmapped flow-log row: {row}")
    for text in intent.notes:
        warn(f"left out of the intent: {text}")
    result = synth.export(cluster, intent, mesh=mesh)
    note = ""
    if result.obsolete:
        note = "Delete after applying (replaced by this export): " + ", ".join(
            result.obsolete
        )
    written = _write(result.objects, out_dir, note)
    emit(f"wrote {len(written)} files to {out_dir} ({len(result.objects)} objects)")
    _emit_summary(result.summary, result.proof.mesh)
    if show_diff:
        _emit_rows(result.diff)
    for name in result.obsolete:
        emit(f"obsolete: {name}")
    for f in result.findings:
        emit(f"finding: {f}")
    for i in result.proof.inexpressible:
        emit(f"inexpressible: {i}")
    for g in result.proof.gaps:
        emit(f"mesh gap: {g.src} -> {g.dst} {g.ports}: {g.detail}")
    for p in result.problems:
        emit(f"schema: {p}")
    proof = result.proof
    checked = ", ".join(f"{v} {k}" for k, v in proof.checked.items())
    emit(f"proof: {proof.status} ({checked})")
    for d in proof.differences:
        emit(f"  {d.kind} [{d.layer}] {d.src} -> {d.dst} {d.ports} {d.detail}".rstrip())
    if not proof.ok or result.problems:
        raise SystemExit(1)


def _emit_rows(rows: list[dict[str, Any]]) -> None:
    cols = ["change", "src", "dst", "protocol", "ports", "before", "after"]
    emit(text_table(cols, [[r.get(c, "") for c in cols] for r in rows]))


def _emit_summary(s: dict[str, int], mesh: bool) -> None:
    emit(
        f"diff: {s['removed']} flows lose ports, {s['added']} gain ports, "
        f"{s['unchanged']} keep ports"
    )
    if mesh:
        emit(
            f"mesh diff: {s['mesh-tightened']} flows tightened, "
            f"{s['mesh-loosened']} loosened, {s['mesh-changed']} changed otherwise"
        )


def _fix(
    cluster: Any, out_dir: str, mesh: bool | None, show_diff: bool, allow_loss: bool
) -> None:
    from ztlab.mesh import mesh_applies
    from ztlab.synth.diff import flow_diff, mesh_diff, summary
    from ztlab.synth.fixes import all_findings, fix_findings

    result = fix_findings(cluster, all_findings(cluster, mesh))
    written = _write(result.objects, out_dir)
    after = result.apply(cluster)
    emit(f"wrote {len(written)} files to {out_dir} ({len(result.objects)} objects)")
    use_mesh = mesh_applies(cluster) if mesh is None else mesh
    rows = flow_diff(cluster, after)
    if use_mesh:
        rows += mesh_diff(cluster, after)
    _emit_summary(summary(rows), use_mesh)
    if show_diff:
        _emit_rows(rows)
    remaining = {(f.rule, f.message) for f in all_findings(after, mesh)}
    still = [f for f in result.fixed if (f.rule, f.message) in remaining]
    for f in result.fixed:
        emit(f"fixed: {f}")
    for f in result.unfixed:
        why = result.reason(f)
        emit(f"not fixed: {f}: {why}" if why else f"no automatic fix: {f}")
    lost = result.losses(cluster, after)
    emit(
        f"proof: {'fixed findings gone' if not still else 'some fixed findings remain'}"
        f", {'no flow loses ports' if not lost else f'{len(lost)} flows lose ports'}"
    )
    for f in still:
        emit(f"  still: {f}")
    for r in lost:
        emit(f"  lost: {r[0]} -> {r[1]} {r[2]}")
    if lost and not allow_loss:
        warn(
            "the fixes would deny flows allowed today (listed as 'lost' above); "
            "fix those findings by hand, or give --allow-loss to accept the loss"
        )
    if still or (lost and not allow_loss):
        raise SystemExit(1)


COMMANDS = [export]
