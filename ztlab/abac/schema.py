"""The attribute schema: each attribute's type and, where finite, its domain."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ztlab.abac.source import read_yaml, validate
from ztlab.errors import PolicyError

__all__ = ["Attribute", "AttributeSchema", "load_schema", "ROOTS", "MAX_LIST_VALUES"]

ROOTS = ("subject", "resource", "action", "environment")

# A list attribute's domain is every subset of its values: keep it enumerable.
MAX_LIST_VALUES = 12


@dataclass(frozen=True, slots=True)
class Attribute:
    """One attribute: dotted ``name``, CEL-facing ``type`` and optional domain.

    ``values`` is the domain of a string, or the possible elements of a list;
    ``min``/``max`` bound an int. Bool is always finite.

    >>> Attribute("subject.amr", "list", values=("pwd", "otp")).domain()
    [(), ('pwd',), ('otp',), ('pwd', 'otp')]
    """

    name: str
    type: str
    values: tuple[str, ...] | None = None
    min: int | None = None
    max: int | None = None
    description: str = ""

    @property
    def root(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def field(self) -> str | None:
        """The name below the root (``role`` of ``subject.role``); None for action."""
        return self.name.split(".", 1)[1] if "." in self.name else None

    @property
    def finite(self) -> bool:
        if self.type == "bool":
            return True
        if self.type == "int":
            return self.min is not None and self.max is not None
        return self.type in ("string", "list") and self.values is not None

    def domain(self) -> list[Any]:
        """Every value the attribute can take, in a stable order.

        A list attribute's values are tuples keeping the declared element order.
        """
        if self.type == "bool":
            return [False, True]
        if self.type == "int" and self.min is not None and self.max is not None:
            return list(range(self.min, self.max + 1))
        if self.type == "string" and self.values is not None:
            return list(self.values)
        if self.type == "list" and self.values is not None:
            subsets = itertools.chain.from_iterable(
                itertools.combinations(self.values, size)
                for size in range(len(self.values) + 1)
            )
            return list(subsets)
        raise PolicyError(
            f"attribute {self.name} has no finite domain. Fix: give it values "
            "(string, list) or min and max (int) in the attribute schema"
        )

    def accepts(self, value: Any) -> bool:
        """Whether a request value fits the type and the domain."""
        if self.type == "bool":
            return isinstance(value, bool)
        if self.type == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                return False
            return self.min is None or self.max is None or self.min <= value <= self.max
        if self.type == "double":
            return isinstance(value, int | float) and not isinstance(value, bool)
        if self.type == "string":
            return isinstance(value, str) and (
                self.values is None or value in self.values
            )
        if self.type == "list":
            return isinstance(value, list | tuple) and all(
                isinstance(v, str) and (self.values is None or v in self.values)
                for v in value
            )
        return isinstance(value, Mapping) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        )

    def describe_domain(self) -> str:
        if self.type == "int" and self.finite:
            return f"int {self.min}..{self.max}"
        if self.values is not None:
            return f"{self.type} of {', '.join(self.values)}"
        return self.type


class AttributeSchema(Mapping[str, Attribute]):
    """The attributes of requests, keyed by dotted name, in declaration order.

    >>> schema = AttributeSchema([Attribute("action", "string", ("read", "write")),
    ...                           Attribute("subject.mfa", "bool")])
    >>> schema.size(), list(schema)
    (4, ['action', 'subject.mfa'])
    """

    def __init__(self, attributes: list[Attribute], origin: str = "<schema>") -> None:
        self._attributes = {a.name: a for a in attributes}
        self.origin = origin

    def __getitem__(self, name: str) -> Attribute:
        return self._attributes[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._attributes)

    def __len__(self) -> int:
        return len(self._attributes)

    def __repr__(self) -> str:
        return f"AttributeSchema({list(self._attributes)!r})"

    def fields(self, root: str) -> list[str]:
        """The field names declared below a root such as ``subject``."""
        return [a.field for a in self.values() if a.root == root and a.field]

    def finite_attributes(self) -> list[Attribute]:
        return [a for a in self.values() if a.finite]

    def size(self, names: list[str] | None = None) -> int:
        """The number of requests over ``names`` (default: all finite attributes)."""
        chosen = (
            names if names is not None else [a.name for a in self.finite_attributes()]
        )
        total = 1
        for name in chosen:
            total *= len(self[name].domain())
        return total

    def merged(self, other: AttributeSchema) -> AttributeSchema:
        """This schema with the attributes of ``other`` added (``other`` wins)."""
        return AttributeSchema(
            [*(a for a in self.values() if a.name not in other), *other.values()],
            origin=f"{self.origin} + {other.origin}",
        )


def load_schema(source: str | Path | Mapping[str, Any]) -> AttributeSchema:
    """Load an attribute schema from a YAML file or a mapping, checked by JSON Schema.

    >>> schema = load_schema({"attributes": {
    ...     "subject.role": {"type": "string", "values": ["employee", "admin"]},
    ...     "environment.session_age_hours": {"type": "int", "min": 0, "max": 9}}})
    >>> schema["subject.role"].domain(), schema.size()
    (['employee', 'admin'], 20)
    """
    if isinstance(source, Mapping):
        data: Any = dict(source)
        lines: dict[tuple[Any, ...], int] = {}
        origin = "<schema>"
    else:
        data, lines = read_yaml(source)
        origin = str(source)
    validate(data, "abac-attributes", origin, lines)

    attributes = []
    for name, spec in data["attributes"].items():
        line = lines.get(("attributes", name))
        at = f"{origin}" + (f" (line {line})" if line else "")
        values = tuple(spec["values"]) if "values" in spec else None
        if spec["type"] == "int" and "min" in spec and spec["min"] > spec["max"]:
            raise PolicyError(
                f"{at}: attribute {name}: min is above max. Fix: swap them"
            )
        if spec["type"] == "list" and values and len(values) > MAX_LIST_VALUES:
            raise PolicyError(
                f"{at}: attribute {name}: a list attribute may have at most "
                f"{MAX_LIST_VALUES} values (its domain is every subset). "
                "Fix: drop values no policy needs"
            )
        attributes.append(
            Attribute(
                name,
                spec["type"],
                values=values,
                min=spec.get("min"),
                max=spec.get("max"),
                description=spec.get("description", ""),
            )
        )
    return AttributeSchema(attributes, origin=origin)
