"""SARIF 2.1.0 output: each violation as a result at the manifest line behind it.

One run; ``tool.driver.rules`` lists every scorecard item (failed or not) with
its title, fix and pillar; each violation of a failing item is one result with
``ruleId`` and ``ruleIndex``, a ``level`` from its severity (high: error,
medium: warning, low and info: note), its message and fix, and one location per
object that has a file: ``physicalLocation.artifactLocation.uri`` (relative to
the working directory when the file lies below it) and ``region.startLine``.
Where helm output named the template (``# Source:``), a related location points
at it. ``partialFingerprints`` carries the baseline fingerprint.

Limitations: objects ztlab inferred (a namespace nobody declared) have no file,
so a violation about only such objects has no location.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ztlab.findings import Finding, ObjectRef
from ztlab.scorecard.model import fingerprint
from ztlab.scorecard.score import Scorecard

__all__ = ["to_sarif", "SARIF_SCHEMA", "LEVELS"]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"high": "error", "medium": "warning", "low": "note", "info": "note"}


def _uri(file: str) -> str:
    path = Path(file)
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.resolve().as_uri()


def _locations(objects: tuple[ObjectRef, ...]) -> list[dict[str, Any]]:
    out = []
    seen = set()
    for o in objects:
        where = o.provenance
        if where is None or not where.file or where.file.startswith("<"):
            continue
        key = (where.file, where.line)
        if key in seen:
            continue
        seen.add(key)
        physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(where.file)}}
        if where.line:
            physical["region"] = {"startLine": where.line}
        out.append(
            {
                "physicalLocation": physical,
                "logicalLocations": [{"fullyQualifiedName": o.id}],
            }
        )
    return out


def _related(objects: tuple[ObjectRef, ...]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for o in objects:
        if o.provenance is not None and o.provenance.source:
            out.append(
                {
                    "id": len(out),
                    "physicalLocation": {
                        "artifactLocation": {"uri": o.provenance.source}
                    },
                    "message": {"text": f"{o.id} is rendered from this helm template"},
                }
            )
    return out


def _result(v: Finding, index: int) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": v.rule,
        "ruleIndex": index,
        "level": LEVELS.get(v.severity, "warning"),
        "message": {"text": f"{v.message}. Fix: {v.fix}" if v.fix else v.message},
        "partialFingerprints": {"ztlabFingerprint/v1": fingerprint(v)},
        "properties": {
            "severity": v.severity,
            "objects": [o.id for o in v.objects],
            **({"engineRule": v.details["rule"]} if v.details.get("rule") else {}),
        },
    }
    locations = _locations(v.objects)
    if locations:
        result["locations"] = locations
    related = _related(v.objects)
    if related:
        result["relatedLocations"] = related
    return result


def to_sarif(card: Scorecard, *, version: str = "0.1.0") -> dict[str, Any]:
    """The scorecard's violations as a SARIF 2.1.0 log (a JSON-ready dict).

    >>> from ztlab.scorecard.model import CheckResult
    >>> log = to_sarif(Scorecard([CheckResult("network.no-ssh", "network",
    ...                                       "No SSH", "pass", "high")]))
    >>> log["version"], log["runs"][0]["tool"]["driver"]["rules"][0]["id"]
    ('2.1.0', 'network.no-ssh')
    """
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    for r in card.results:
        index[r.id] = len(rules)
        rules.append(
            {
                "id": r.id,
                "name": "".join(p.title() for p in r.id.replace(".", "-").split("-")),
                "shortDescription": {"text": r.title},
                "fullDescription": {"text": f"{r.title} ({r.pillar} pillar)"},
                "help": {"text": r.fix or r.title},
                "defaultConfiguration": {"level": LEVELS.get(r.severity, "warning")},
                "properties": {"tags": ["zero-trust", r.pillar]},
            }
        )
    results = [_result(v, index[v.rule]) for v in card.violations()]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "ztlab",
                        "version": version,
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }
