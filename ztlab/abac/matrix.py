"""Request matrices: read requests from YAML, CSV or a DataFrame; decide them all.

A request is a mapping ``{"subject": {...}, "resource": {...}, "action": "read",
"environment": {...}}``, optionally with ``id`` and ``expect`` (the decision the
author expects). Flat tables (CSV, DataFrame) use one column per dotted attribute
name (``subject.role``); list cells are written ``otp|hwk`` (``[]`` is the empty
list) and an empty cell leaves the attribute out of the request. pandas is only
used here, at the edge.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ztlab.abac.schema import ROOTS, AttributeSchema
from ztlab.abac.source import read_yaml
from ztlab.errors import PolicyError
from ztlab.yamlio import read_text

if TYPE_CHECKING:
    import pandas as pd

    from ztlab.abac.policy import PolicySet

__all__ = [
    "load_requests",
    "requests_from_frame",
    "decide_requests",
    "check_request",
    "flatten",
    "OUTCOMES",
]

_META = ("id", "expect", "description")

# What a request may expect: the decisions ztlab gives (see ztlab.abac).
OUTCOMES = ("allow", "deny", "error", "not-applicable")


def load_requests(
    path: str | Path, schema: AttributeSchema | None = None
) -> list[dict[str, Any]]:
    """Read requests from a YAML file (a list, or ``requests:``) or a CSV file.

    With a schema, every request is checked: unknown attributes and values of the
    wrong type are errors naming the request.
    """
    path = Path(path)
    if path.suffix.lower() == ".csv":
        text = read_text(path, error=PolicyError, what="requests file")
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
        requests = [
            _unflatten(row, schema, f"{path}, row {i + 2}")
            for i, row in enumerate(rows)
        ]
    else:
        data, _ = read_yaml(path)
        if data is None:
            raise PolicyError(
                f"{path}: the file is empty. Fix: write a list of requests, each a "
                "mapping with subject, resource, action, environment"
            )
        if isinstance(data, Mapping) and "requests" in data:
            data = data["requests"]
        if not isinstance(data, list) or not all(isinstance(r, Mapping) for r in data):
            raise PolicyError(
                f"{path}: expected a list of requests (or 'requests:' with a list). "
                "Fix: write each request as a mapping with subject, resource, action, "
                "environment"
            )
        requests = [dict(r) for r in data]
    for index, request in enumerate(requests):
        where = f"{path}, request {index + 1}"
        check_expect(request, where)
        if schema is not None:
            check_request(request, schema, where)
    return requests


def requests_from_frame(
    frame: pd.DataFrame, schema: AttributeSchema | None = None
) -> list[dict[str, Any]]:
    """Requests from a DataFrame with one column per dotted attribute name."""
    requests = []
    for i, row in enumerate(frame.to_dict(orient="records")):
        request = _unflatten(row, schema, f"row {i}")
        check_expect(request, f"row {i}")
        if schema is not None:
            check_request(request, schema, f"row {i}")
        requests.append(request)
    return requests


def check_expect(request: Mapping[str, Any], where: str) -> None:
    """Raise a PolicyError if the request expects a decision ztlab never gives.

    >>> check_expect({"id": "r7", "expect": "maybe"}, "requests.yaml, request 7")
    Traceback (most recent call last):
    ztlab.errors.PolicyError: requests.yaml, request 7 (r7): expect: 'maybe' is \
not a decision. Fix: expect one of allow, deny, error, not-applicable
    """
    if "expect" not in request or request["expect"] in OUTCOMES:
        return
    named = f"{where} ({request['id']})" if "id" in request else where
    raise PolicyError(
        f"{named}: expect: {request['expect']!r} is not a decision. "
        f"Fix: expect one of {', '.join(OUTCOMES)}"
    )


def check_request(
    request: Mapping[str, Any], schema: AttributeSchema, where: str
) -> None:
    """Raise a PolicyError if ``request`` has unknown attributes or wrong types."""
    named = f"{where} ({request['id']})" if "id" in request else where
    for name, value in flatten(request).items():
        if name in _META:
            continue
        if name not in schema:
            raise PolicyError(
                f"{named}: unknown attribute {name}. "
                f"Fix: declare it in {schema.origin} "
                "or correct the name"
            )
        attribute = schema[name]
        if not attribute.accepts(value):
            raise PolicyError(
                f"{named}: attribute {name} = {value!r} is not a "
                f"{attribute.describe_domain()}. Fix: correct the value"
            )


def flatten(request: Mapping[str, Any]) -> dict[str, Any]:
    """``{"subject": {"role": "x"}}`` as ``{"subject.role": "x"}``.

    >>> flatten({"subject": {"role": "admin"}, "action": "read", "id": "r1"})
    {'subject.role': 'admin', 'action': 'read', 'id': 'r1'}
    """
    out: dict[str, Any] = {}
    for key, value in request.items():
        if key in ROOTS and key != "action" and isinstance(value, Mapping):
            for name, item in value.items():
                out[f"{key}.{name}"] = item
        else:
            out[key] = value
    return out


def _unflatten(
    row: Mapping[str, Any], schema: AttributeSchema | None, where: str
) -> dict[str, Any]:
    request: dict[str, Any] = {}
    for column, cell in row.items():
        if column is None:
            raise PolicyError(
                f"{where}: more cells than columns. Fix: quote cells with commas"
            )
        if cell is None or (isinstance(cell, float) and cell != cell) or cell == "":
            continue
        name = column.strip()
        value = _cell(
            cell,
            schema[name].type if schema is not None and name in schema else None,
            where,
            name,
        )
        if name in _META or name == "action":
            request[name] = value
        elif "." in name and name.split(".", 1)[0] in ROOTS:
            root, field = name.split(".", 1)
            request.setdefault(root, {})[field] = value
        else:
            raise PolicyError(
                f"{where}: column {name!r} is not an attribute. Fix: name columns "
                "subject.<x>, resource.<x>, environment.<x>, action, id or expect"
            )
    return request


def _cell(cell: Any, kind: str | None, where: str, name: str) -> Any:
    if not isinstance(cell, str):
        if kind == "list" and isinstance(cell, list | tuple):
            return list(cell)
        return cell.item() if hasattr(cell, "item") else cell
    text = cell.strip()
    try:
        if kind == "int":
            return int(text)
        if kind == "double":
            return float(text)
        if kind == "bool":
            if text.lower() not in ("true", "false"):
                raise ValueError(text)
            return text.lower() == "true"
        if kind == "list":
            if text.startswith("["):
                return list(json.loads(text))
            return [v.strip() for v in text.split("|") if v.strip()]
        if kind == "map":
            return dict(json.loads(text))
    except ValueError:
        raise PolicyError(
            f"{where}: column {name}: {cell!r} is not a {kind}. Fix: correct the cell"
        ) from None
    return text


def decide_requests(
    policy_set: PolicySet, requests: Iterable[Mapping[str, Any]] | pd.DataFrame
) -> pd.DataFrame:
    """Decide every request; one DataFrame row each, with the explanation.

    Columns: ``id``, the attributes, ``decision``, ``expect`` and ``ok`` (when
    any request states an expectation), ``deciding``, ``matched``, ``reason``.

    >>> from ztlab.abac import load_policies, load_schema
    >>> schema = load_schema({"attributes": {"subject.mfa": {"type": "bool"}}})
    >>> ps = load_policies({"policies": [
    ...     {"id": "mfa", "effect": "allow", "condition": "subject.mfa"}]}, schema)
    >>> frame = decide_requests(ps, [{"id": "a", "subject": {"mfa": True}},
    ...                              {"id": "b", "subject": {"mfa": False}}])
    >>> frame[["id", "decision", "deciding"]].values.tolist()
    [['a', 'allow', 'mfa'], ['b', 'deny', '']]
    """
    import pandas as pd

    if isinstance(requests, pd.DataFrame):
        requests = requests_from_frame(requests, policy_set.schema)
    requests = list(requests)
    for index, request in enumerate(requests):
        check_expect(request, f"request {index + 1}")
    decisions = policy_set.engine.decide_many(requests)
    rows = []
    any_expect = False
    for index, (request, decision) in enumerate(zip(requests, decisions, strict=True)):
        row: dict[str, Any] = {"id": request.get("id", str(index + 1))}
        for name, value in flatten(request).items():
            if name not in _META:
                row[name] = "|".join(value) if isinstance(value, list) else value
        row["decision"] = decision.outcome
        if "expect" in request:
            any_expect = True
            row["expect"] = request["expect"]
            row["ok"] = request["expect"] == decision.outcome
        row["deciding"] = decision.deciding or ""
        row["matched"] = ",".join(decision.matched)
        row["reason"] = decision.reason
        rows.append(row)
    frame = pd.DataFrame(rows)
    for name in frame.columns:
        # A request leaving an int out makes pandas turn the column into floats.
        attribute = policy_set.schema.get(name)
        if attribute is not None and attribute.type == "int":
            # Values the schema does not allow (unchecked requests) stay as they are.
            with contextlib.suppress(TypeError, ValueError):
                frame[name] = frame[name].astype("Int64")
    if any_expect and "expect" in frame:
        frame["ok"] = frame["ok"].astype("boolean")
    return frame
