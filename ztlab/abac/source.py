"""Reading ABAC files: YAML with line numbers, checked against a JSON Schema."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from ztlab import yamlio
from ztlab.errors import PolicyError

__all__ = ["read_yaml", "validate", "schema_document", "SCHEMA_DIR"]

SCHEMA_DIR = Path(__file__).resolve().parents[1] / "schemas"


@cache
def schema_document(name: str) -> dict[str, Any]:
    """The packaged JSON Schema ``ztlab/schemas/<name>.schema.json``."""
    with open(SCHEMA_DIR / f"{name}.schema.json", encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


@cache
def _validator(name: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema_document(name))


def read_yaml(path: str | Path) -> tuple[Any, dict[tuple[Any, ...], int]]:
    """The data of a one-document YAML file and the 1-based line of each node.

    Lines are keyed by the path of the node, e.g. ``("policies", 2)``. A file
    that is not text or not YAML is a PolicyError naming the file and line; an
    empty file gives None (:func:`validate` then says the file is empty).
    """
    data, node = yamlio.read_yaml(path, error=PolicyError)
    lines: dict[tuple[Any, ...], int] = {}
    if node is not None:
        _record_lines(node, (), lines)
    return data, lines


def _record_lines(
    node: yaml.Node, where: tuple[Any, ...], lines: dict[tuple[Any, ...], int]
) -> None:
    lines[where] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                _record_lines(value, (*where, key.value), lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_lines(item, (*where, index), lines)


def validate(
    data: Any,
    schema_name: str,
    origin: str,
    lines: Mapping[tuple[Any, ...], int] | None = None,
) -> None:
    """Check ``data`` against a packaged schema; a PolicyError names the field.

    >>> validate(None, "abac-attributes", "attributes.yaml")
    Traceback (most recent call last):
    ztlab.errors.PolicyError: attributes.yaml: the file is empty. Fix: write the \
document ztlab/schemas/abac-attributes.schema.json describes
    """
    if data is None:
        raise PolicyError(
            f"{origin}: the file is empty. Fix: write the document "
            f"ztlab/schemas/{schema_name}.schema.json describes"
        )
    validator = _validator(schema_name)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if not errors:
        return
    error = errors[0]
    where = tuple(error.absolute_path)
    field = ".".join(str(part) for part in where) or "(top level)"
    line = None
    if lines:
        for depth in range(len(where), -1, -1):
            if where[:depth] in lines:
                line = lines[where[:depth]]
                break
    at = f" (line {line})" if line else ""
    raise PolicyError(
        f"{origin}{at}: field {field}: {error.message}. "
        f"Fix: follow ztlab/schemas/{schema_name}.schema.json"
    )
