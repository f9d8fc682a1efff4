"""Baselines: violations a team has accepted, by stable fingerprint.

A baseline is a JSON file written by ``ztlab check --write-baseline FILE``::

    {"version": 1, "tool": "ztlab", "accepted": [
        {"fingerprint": "3f1c...", "check": "network.default-deny",
         "message": "namespace shop has no default-deny for Egress"}]}

The gate ignores violations whose fingerprint the baseline lists; the check and
message are there for the reader. Fingerprints leave out file and line, so a
moved manifest keeps its accepted violations.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Any

from ztlab.errors import LoadError, Provenance
from ztlab.findings import Finding, severity_rank
from ztlab.scorecard.model import fingerprint
from ztlab.yamlio import read_text

__all__ = ["read_baseline", "write_baseline", "baseline_data", "gate"]


def baseline_data(violations: Iterable[Finding]) -> dict[str, Any]:
    """The baseline document accepting ``violations``.

    >>> baseline_data([Finding("network.no-ssh", "high", "x")])["accepted"][0][
    ...     "check"]
    'network.no-ssh'
    """
    accepted = {
        fingerprint(v): {
            "fingerprint": fingerprint(v),
            "check": v.rule,
            "message": v.message,
        }
        for v in violations
    }
    return {
        "version": 1,
        "tool": "ztlab",
        "accepted": sorted(accepted.values(), key=lambda a: (a["check"], a["message"])),
    }


def write_baseline(path: str | Path, violations: Iterable[Finding]) -> int:
    """Write the baseline file; returns how many violations it accepts.

    A path that cannot be written is a LoadError naming it.
    """
    data = baseline_data(violations)
    try:
        Path(path).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        missing = isinstance(exc, FileNotFoundError)
        raise LoadError(
            f"cannot write the baseline: {exc.strerror or type(exc).__name__}",
            Provenance(str(path)),
            hint=f"create the directory {Path(path).parent} first, or choose "
            "another path for --write-baseline"
            if missing
            else "choose a writable file path for --write-baseline",
        ) from None
    return len(data["accepted"])


def read_baseline(path: str | Path) -> set[str]:
    """The accepted fingerprints of a baseline file; LoadError when malformed."""
    where = Provenance(str(path))
    text = read_text(path, what="baseline")
    if not text.strip():
        raise LoadError(
            "the baseline file is empty",
            where,
            hint="write the baseline with --write-baseline",
        )
    try:
        data = json.loads(text)
    except RecursionError:
        raise LoadError(
            "the JSON nests too deeply",
            where,
            hint="write the baseline with --write-baseline",
        ) from None
    except json.JSONDecodeError as exc:
        raise LoadError(
            f"not valid JSON: {exc.msg}",
            where.at_line(exc.lineno),
            hint="write the baseline with --write-baseline",
        ) from None
    if not isinstance(data, dict) or data.get("version") != 1:
        raise LoadError(
            "not a ztlab baseline (version 1 expected)",
            where,
            field="version",
            hint="write the baseline with --write-baseline",
        )
    accepted = data.get("accepted")
    if not isinstance(accepted, list) or not all(
        isinstance(a, dict) and isinstance(a.get("fingerprint"), str) for a in accepted
    ):
        raise LoadError(
            "must be a list of objects with a fingerprint string",
            where,
            field="accepted",
            hint="write the baseline with --write-baseline",
        )
    return {a["fingerprint"] for a in accepted}


def gate(
    violations: Iterable[Finding], fail_on: str, accepted: Collection[str] = frozenset()
) -> list[Finding]:
    """The violations at or above ``fail_on`` that the baseline does not accept.

    >>> v = [Finding("a.b", "medium", "m"), Finding("a.c", "low", "l")]
    >>> [f.rule for f in gate(v, "medium")], [f.rule for f in gate(v, "low")]
    (['a.b'], ['a.b', 'a.c'])
    """
    limit = severity_rank(fail_on)
    return [
        v
        for v in violations
        if severity_rank(v.severity) <= limit and fingerprint(v) not in accepted
    ]
