"""``ztlab abac``: decide requests, analyse and diff ABAC policy sets."""

from __future__ import annotations

import io
import sys
from typing import Any

import click

from ztlab.cli.output import emit, emit_json

__all__ = ["COMMANDS", "abac"]

_FORMATS = ("text", "json", "csv", "markdown")


@click.command("abac")
@click.argument("policies", type=click.Path(exists=True, dir_okay=False, path_type=str))
@click.option(
    "--schema",
    "schema_path",
    type=click.Path(exists=True, dir_okay=False),
    help="Attribute schema (default: the file the policy set names).",
)
@click.option(
    "--requests",
    "requests_path",
    type=click.Path(exists=True, dir_okay=False),
    help="Requests to decide (YAML or CSV).",
)
@click.option(
    "--analyze",
    is_flag=True,
    help="Find shadowed, redundant, never-matching and conflicting "
    "policies and coverage gaps over the whole domain.",
)
@click.option(
    "--diff",
    "other",
    type=click.Path(exists=True, dir_okay=False),
    help="Another version of the policy set: show every changed decision.",
)
@click.option("--table", is_flag=True, help="The exhaustive decision table.")
@click.option(
    "--format", "fmt", type=click.Choice(_FORMATS), default="text", show_default=True
)
def abac(
    policies: str,
    schema_path: str | None,
    requests_path: str | None,
    analyze: bool,
    other: str | None,
    table: bool,
    fmt: str,
) -> None:
    """Simulate an ABAC policy set on requests, analyse it, or diff two versions.

    With --requests, the exit status is 1 when a request's decision differs
    from its 'expect' field.
    """
    from ztlab import abac as engine

    chosen = sum(bool(x) for x in (requests_path, analyze, other, table))
    if chosen != 1:
        raise click.UsageError(
            "give exactly one of --requests, --analyze, --diff, --table"
        )
    schema = engine.load_schema(schema_path) if schema_path else None
    policy_set = engine.load_policies(policies, schema)

    if requests_path:
        requests = engine.load_requests(requests_path, policy_set.schema)
        frame = engine.decide_requests(policy_set, requests)
        _show_requests(policy_set, requests, frame, fmt)
        if "ok" in frame and not bool(frame["ok"].fillna(True).all()):
            sys.exit(1)
    elif analyze:
        findings = engine.analyze(policy_set)
        _show_findings(policy_set, findings, fmt)
    elif other:
        newer = engine.load_policies(other, policy_set.schema)
        _show_diff(policy_set, newer, engine.decision_diff(policy_set, newer), fmt)
    else:
        _emit_frame(engine.decision_table(policy_set).frame(), fmt)


def _show_requests(
    policy_set: Any, requests: list[dict[str, Any]], frame: Any, fmt: str
) -> None:
    if fmt == "json":
        out = []
        for request in requests:
            decision = policy_set.decide(request)
            item = {"id": request.get("id"), "request": request, **decision.to_dict()}
            if "expect" in request:
                item["ok"] = request["expect"] == decision.outcome
            out.append(item)
        emit_json(out)
        return
    if fmt != "text":
        _emit_frame(frame, fmt)
        return
    emit(
        f"{policy_set.name or policy_set.origin} ({policy_set.algorithm}): "
        f"{len(frame)} requests"
    )
    for row in frame.to_dict(orient="records"):
        mark = ""
        if "expect" in row and isinstance(row.get("expect"), str):
            mark = "  ok" if row["ok"] else f"  MISMATCH (expected {row['expect']})"
        emit(f"{row['id']:>6}  {row['decision']:<14} {row['reason']}{mark}")
    if "ok" in frame:
        bad = int((~frame["ok"].fillna(True)).sum())
        emit(f"{len(frame) - bad} of {len(frame)} as expected")


def _show_findings(policy_set: Any, findings: list[Any], fmt: str) -> None:
    if fmt == "json":
        emit_json([f.to_dict() for f in findings])
        return
    if fmt in ("csv", "markdown"):
        import pandas as pd

        frame = pd.DataFrame(
            [
                {
                    "severity": f.severity,
                    "kind": f.kind,
                    "policies": ",".join(f.policies),
                    "count": f.count,
                    "message": f.message,
                    "witness": _request_text(f.witness),
                }
                for f in findings
            ]
        )
        _emit_frame(frame, fmt)
        return
    emit(
        f"{policy_set.name or policy_set.origin}: {len(findings)} findings "
        f"over {policy_set.schema.size():,} requests"
    )
    for f in findings:
        emit(f"[{f.severity}] {f.kind}: {f.message}")
        if f.witness is not None:
            emit(f"    witness: {_request_text(f.witness)}")
        if f.fix:
            emit(f"    fix: {f.fix}")


def _show_diff(old: Any, new: Any, diff: Any, fmt: str) -> None:
    if fmt == "json":
        emit_json(
            {
                "old": old.origin,
                "new": new.origin,
                "changed": len(diff),
                "changes": [c.to_dict() for c in diff.changes],
            }
        )
        return
    if fmt in ("csv", "markdown"):
        _emit_frame(diff.frame(), fmt)
        return
    emit(
        f"{old.origin} -> {new.origin}: {len(diff):,} of {len(diff.old):,} "
        "decisions change"
    )
    for change in diff.changes:
        flag = "LOOSENED " if change.loosened else ""
        emit(
            f"{flag}{change.count:,} requests: {change.before} "
            f"({change.deciding_before or 'no policy'}) -> {change.after} "
            f"({change.deciding_after or 'no policy'})"
        )
        emit(f"    witness: {_request_text(change.witness)}")


def _request_text(request: dict[str, Any] | None) -> str:
    if request is None:
        return "-"
    from ztlab.abac.matrix import flatten

    parts = []
    for name, value in flatten(request).items():
        shown = "[" + ",".join(value) + "]" if isinstance(value, list) else value
        if isinstance(shown, bool):
            shown = "true" if shown else "false"
        parts.append(f"{name}={shown}")
    return " ".join(parts)


def _emit_frame(frame: Any, fmt: str) -> None:
    if fmt == "json":
        emit_json(frame.to_dict(orient="records"))
        return
    frame = _lowercase_bools(frame)
    if fmt == "csv":
        buffer = io.StringIO()
        frame.to_csv(buffer, index=False)
        emit(buffer.getvalue(), nl=False)
    elif fmt == "markdown":
        emit(_markdown(frame))
    else:
        emit(frame.to_string(index=False))


def _lowercase_bools(frame: Any) -> Any:
    """The frame with booleans written ``true``/``false``, as in YAML and CEL."""

    def show(value: Any) -> Any:
        if isinstance(value, bool | np.bool_):
            return "true" if value else "false"
        return value

    import numpy as np

    out = frame.copy()
    for column in out.columns:
        if out[column].dtype.kind in "bO" or str(out[column].dtype) == "boolean":
            out[column] = out[column].astype(object).map(show, na_action="ignore")
    return out


def _markdown(frame: Any) -> str:
    def cell(value: Any) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = [
        "| " + " | ".join(cell(c) for c in frame.columns) + " |",
        "| " + " | ".join("---" for _ in frame.columns) + " |",
    ]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(cell(v) for v in row) + " |")
    return "\n".join(lines)


COMMANDS = [abac]
