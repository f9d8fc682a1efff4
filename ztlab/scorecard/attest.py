"""Attestations: a person's statement about an item configuration cannot show.

The file is YAML, checked against ``ztlab/schemas/attestations.schema.json``::

    attestations:
      - id: application.rate-limiting
        status: pass                # pass or fail
        who: platform-team@example.com
        when: 2024-05-02            # ISO date
        evidence: Envoy local rate limit on the ingress gateway, see RUNBOOK.md

An attestation decides only items that are ``needs-attestation`` or ``unknown``;
where configuration shows pass or fail, the configuration wins and the
attestation is reported as ignored.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from ztlab import yamlio
from ztlab.errors import LoadError, Provenance

__all__ = ["Attestation", "load_attestations", "apply_attestations", "SCHEMA"]

SCHEMA = Path(__file__).resolve().parents[1] / "schemas" / "attestations.schema.json"


@dataclass(frozen=True, slots=True)
class Attestation:
    """One attested item.

    >>> Attestation("observability.audit-logs", "pass", "sec", "2024-05-01",
    ...             "audit policy v3").to_dict()["who"]
    'sec'
    """

    id: str
    status: str
    who: str
    when: str
    evidence: str
    provenance: Provenance | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "who": self.who,
            "when": self.when,
            "evidence": self.evidence,
            "file": self.provenance.file if self.provenance else None,
            "line": self.provenance.line if self.provenance else None,
        }


@cache
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text("utf-8")))


def _plain(value: Any) -> Any:
    # YAML reads an unquoted 2024-05-01 as a date; the schema wants the text.
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def load_attestations(path: str | Path) -> list[Attestation]:
    """Read and validate an attestations file; a LoadError names file and line.

    >>> import tempfile, os
    >>> f = tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False)
    >>> _ = f.write("attestations:\\n  - id: observability.alerting\\n"
    ...             "    status: pass\\n    who: sre\\n    when: 2024-05-01\\n"
    ...             "    evidence: pager rules\\n"); f.close()
    >>> [(a.id, a.when, a.provenance.line) for a in load_attestations(f.name)]
    [('observability.alerting', '2024-05-01', 2)]
    >>> os.unlink(f.name)
    """
    where = Provenance(str(path), 1)
    raw, node = yamlio.read_yaml(path, what="attestations file")
    if raw is None:
        raise LoadError(
            "the attestations file is empty",
            Provenance(str(path)),
            hint="write 'attestations:' with a list of items (id, status pass or "
            "fail, who, when, evidence), or leave out --attestations",
        )
    data = _plain(raw)
    lines: dict[tuple[Any, ...], int] = {}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == "attestations" and isinstance(value, yaml.SequenceNode):
                for i, item in enumerate(value.value):
                    lines[("attestations", i)] = item.start_mark.line + 1
    errors = sorted(_validator().iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        error = errors[0]
        path_ = tuple(error.absolute_path)
        line = lines.get(path_[:2]) if len(path_) >= 2 else None
        raise LoadError(
            error.message,
            where.at_line(line),
            field=".".join(str(p) for p in path_) or "(top level)",
            hint="follow ztlab/schemas/attestations.schema.json (id, status pass or "
            "fail, who, when, evidence)",
        )
    return [
        Attestation(
            a["id"],
            a["status"],
            a["who"],
            a["when"],
            a["evidence"],
            where.at_line(lines.get(("attestations", i))),
        )
        for i, a in enumerate(data["attestations"])
    ]


def apply_attestations(
    results: Iterable[Any], attestations: Iterable[Attestation]
) -> tuple[list[Any], list[str]]:
    """The results with attestations applied, and notes on ignored ones.

    An attestation naming no known item is a LoadError.
    """
    results = list(results)
    by_id = {r.id: r for r in results}
    notes: list[str] = []
    chosen: dict[str, Attestation] = {}
    for a in attestations:
        if a.id not in by_id:
            raise LoadError(
                f"no scorecard item {a.id!r}",
                a.provenance,
                field="id",
                hint="use one of " + ", ".join(sorted(by_id)),
            )
        item = by_id[a.id]
        if item.status in ("pass", "fail"):
            notes.append(
                f"{a.provenance}: attestation for {a.id} ignored: configuration "
                f"shows {item.status}"
            )
            continue
        chosen[a.id] = a
    return [r.attested(chosen[r.id]) if r.id in chosen else r for r in results], notes
