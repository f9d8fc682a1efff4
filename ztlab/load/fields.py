"""Typed access to the fields of one manifest, with errors that point at them."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from ztlab.errors import LoadError, Provenance
from ztlab.load.documents import Document
from ztlab.model.labels import OPERATORS, Labels, LabelSelector

__all__ = ["Fields"]

_TYPE_NAMES = {
    str: "a string",
    int: "an integer",
    bool: "true or false",
    dict: "a mapping",
    list: "a list",
}


def _kind_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return f"the number {value}"
    if isinstance(value, float):
        return f"the number {value}"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, datetime.datetime):
        return "a timestamp"
    if isinstance(value, datetime.date):
        return "a date"
    if isinstance(value, bytes):
        return "binary data"
    return type(value).__name__


def _quote_hint(value: Any, fallback: str) -> str:
    """Tell the user to quote a scalar that YAML read as a number, date ..."""
    if isinstance(value, Mapping | list | bytes) or value is None:
        return fallback
    shown = str(value).lower() if isinstance(value, bool) else value
    if isinstance(value, datetime.date):
        shown = value.isoformat()
    return f'quote the value: "{shown}"'


class Fields:
    """A view of one object (a document, or an item of a List) for parsing.

    ``base`` is the path of the object inside its document (for List items),
    so field errors name the full path and the line of the field.
    """

    def __init__(
        self,
        data: Mapping[str, Any],
        document: Document,
        where: Provenance,
        base: tuple[str | int, ...] = (),
    ) -> None:
        self.data = data
        self.document = document
        self.where = where
        self.base = base

    def error(self, path: str, message: str, hint: str | None = None) -> LoadError:
        steps = [int(p) if p.isdigit() else p for p in path.split(".")] if path else []
        line = self.document.line_of([*self.base, *steps])
        return LoadError(message, self.where.at_line(line), field=path, hint=hint)

    def raw(self, path: str) -> Any:
        value: Any = self.data
        for step in path.split("."):
            if isinstance(value, Mapping):
                value = value.get(step)
            elif isinstance(value, list) and step.isdigit():
                idx = int(step)
                value = value[idx] if idx < len(value) else None
            else:
                return None
            if value is None:
                return None
        return value

    def get(
        self, path: str, expected: type, *, required: bool = False, default: Any = None
    ) -> Any:
        value = self.raw(path)
        if value is None:
            if required:
                raise self.error(
                    path, "is required", hint=f"add {path} ({_TYPE_NAMES[expected]})"
                )
            return default
        if expected is int and isinstance(value, bool):
            ok = False
        elif expected is dict:
            ok = isinstance(value, Mapping)
        else:
            ok = isinstance(value, expected)
        if not ok:
            fallback = f"write {path} as {_TYPE_NAMES[expected]}"
            raise self.error(
                path,
                f"must be {_TYPE_NAMES[expected]}, not {_kind_of(value)}",
                hint=_quote_hint(value, fallback) if expected is str else fallback,
            )
        return value

    def sub(self, path: str, value: Mapping[str, Any]) -> Fields:
        """A view of a nested mapping whose errors still name the full path."""
        steps = tuple(int(p) if p.isdigit() else p for p in path.split("."))
        view = _Nested(value, self.document, self.where, (*self.base, *steps))
        view.prefix = (
            f"{self.prefix}{path}." if isinstance(self, _Nested) else f"{path}."
        )
        return view

    prefix = ""

    def items(self, path: str) -> list[tuple[str, Fields]]:
        """The mappings of a list field, each as a Fields view."""
        values = self.get(path, list, default=[])
        out = []
        for i, item in enumerate(values):
            item_path = f"{path}.{i}"
            if not isinstance(item, Mapping):
                raise self.error(
                    item_path,
                    f"must be a mapping, not {_kind_of(item)}",
                    hint=f"write each entry of {path} as key: value pairs",
                )
            out.append((item_path, self.sub(item_path, item)))
        return out

    def string_map(self, path: str) -> Labels:
        """A labels or annotations map: string keys to string values."""
        value = self.get(path, dict, default={})
        for key, item in value.items():
            if not isinstance(key, str):
                raise self.error(path, f"key {key!r} must be a string", hint="quote it")
            if not isinstance(item, str):
                fallback = (
                    'write "" for an empty value'
                    if item is None
                    else f"write {path}.{key} as one string"
                )
                raise self.error(
                    f"{path}.{key}",
                    f"must be a string, not {_kind_of(item)}",
                    hint=_quote_hint(item, fallback),
                )
        return Labels(value)

    def selector(self, path: str) -> LabelSelector | None:
        """A metav1.LabelSelector, or None when the field is absent."""
        value = self.raw(path)
        if value is None:
            return None
        self.get(path, dict)
        self.string_map(f"{path}.matchLabels")
        for _, expr in self.items(f"{path}.matchExpressions"):
            expr.get("key", str, required=True)
            operator = expr.get("operator", str, required=True)
            if operator not in OPERATORS:
                raise expr.error(
                    "operator",
                    f"unknown operator {operator!r}",
                    hint=f"use one of {', '.join(OPERATORS)}",
                )
            values = expr.get("values", list, default=[])
            if operator in ("In", "NotIn") and not values:
                raise expr.error(
                    "values",
                    f"operator {operator} needs at least one value",
                    hint="list the values, or use Exists / DoesNotExist",
                )
            if operator in ("Exists", "DoesNotExist") and values:
                raise expr.error(
                    "values",
                    f"operator {operator} takes no values",
                    hint="remove values, or use In / NotIn",
                )
            for i, item in enumerate(values):
                if not isinstance(item, str):
                    raise expr.error(
                        f"values.{i}",
                        f"must be a string, not {_kind_of(item)}",
                        hint=_quote_hint(item, "write each value as a string"),
                    )
        return LabelSelector.from_spec(value)


class _Nested(Fields):
    def error(self, path: str, message: str, hint: str | None = None) -> LoadError:
        steps = [int(p) if p.isdigit() else p for p in path.split(".")] if path else []
        line = self.document.line_of([*self.base, *steps])
        return LoadError(
            message,
            self.where.at_line(line),
            field=f"{self.prefix}{path}".rstrip("."),
            hint=hint,
        )
