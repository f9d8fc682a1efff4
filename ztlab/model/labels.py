"""Label maps and compiled Kubernetes label selectors."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Labels", "Requirement", "LabelSelector", "OPERATORS"]

OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


class Labels(Mapping[str, str]):
    """An immutable, hashable map of label (or annotation) keys to values.

    >>> labels = Labels({"app": "cart", "tier": "backend"})
    >>> labels["app"], len(labels), hash(labels) == hash(Labels(dict(labels)))
    ('cart', 2, True)
    """

    __slots__ = ("_items", "_hash")

    def __init__(self, items: Mapping[str, str] | None = None) -> None:
        self._items: dict[str, str] = dict(sorted((items or {}).items()))
        self._hash: int | None = None

    def __getitem__(self, key: str) -> str:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._items.items()))
        return self._hash

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Labels):
            return self._items == other._items
        if isinstance(other, Mapping):
            return self._items == dict(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"Labels({self._items!r})"

    def with_items(self, **changes: str | None) -> Labels:
        """A copy with keys set (or removed where the value is None)."""
        items = dict(self._items)
        for key, value in changes.items():
            if value is None:
                items.pop(key, None)
            else:
                items[key] = value
        return Labels(items)

    def to_dict(self) -> dict[str, str]:
        return dict(self._items)


@dataclass(frozen=True, slots=True)
class Requirement:
    """One matchExpressions entry: ``key operator values``."""

    key: str
    operator: str
    values: frozenset[str] = frozenset()

    def matches(self, labels: Mapping[str, str]) -> bool:
        if self.operator == "In":
            return self.key in labels and labels[self.key] in self.values
        if self.operator == "NotIn":
            return self.key not in labels or labels[self.key] not in self.values
        if self.operator == "Exists":
            return self.key in labels
        if self.operator == "DoesNotExist":
            return self.key not in labels
        raise ValueError(f"unknown selector operator {self.operator!r}")

    def __str__(self) -> str:
        if self.operator in ("Exists", "DoesNotExist"):
            return f"{'!' if self.operator == 'DoesNotExist' else ''}{self.key}"
        word = "in" if self.operator == "In" else "notin"
        return f"{self.key} {word} ({','.join(sorted(self.values))})"


@dataclass(frozen=True, slots=True)
class LabelSelector:
    """A compiled label selector: matchLabels and matchExpressions, ANDed.

    An empty selector selects everything. NotIn and DoesNotExist match objects
    that lack the key.

    >>> sel = LabelSelector.from_spec({"matchLabels": {"app": "db"},
    ...     "matchExpressions": [{"key": "env", "operator": "NotIn",
    ...                           "values": ["dev"]}]})
    >>> sel.matches({"app": "db"}), sel.matches({"app": "db", "env": "dev"})
    (True, False)
    >>> LabelSelector().matches({"anything": "x"})
    True
    """

    match_labels: Labels = Labels()
    match_expressions: tuple[Requirement, ...] = ()

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any] | None) -> LabelSelector:
        """Build from an already validated API selector mapping."""
        spec = spec or {}
        expressions = tuple(
            Requirement(
                str(expr["key"]),
                str(expr["operator"]),
                frozenset(str(v) for v in (expr.get("values") or ())),
            )
            for expr in spec.get("matchExpressions") or ()
        )
        return cls(Labels(spec.get("matchLabels") or {}), expressions)

    @property
    def is_empty(self) -> bool:
        """True when the selector selects everything."""
        return not self.match_labels and not self.match_expressions

    def matches(self, labels: Mapping[str, str]) -> bool:
        for key, value in self.match_labels.items():
            if labels.get(key) != value:
                return False
        return all(req.matches(labels) for req in self.match_expressions)

    def __str__(self) -> str:
        if self.is_empty:
            return "{} (everything)"
        parts = [f"{k}={v}" for k, v in self.match_labels.items()]
        parts += [str(req) for req in self.match_expressions]
        return ",".join(parts)

    def to_spec(self) -> dict[str, Any]:
        spec: dict[str, Any] = {}
        if self.match_labels:
            spec["matchLabels"] = self.match_labels.to_dict()
        if self.match_expressions:
            spec["matchExpressions"] = [
                {"key": r.key, "operator": r.operator, "values": sorted(r.values)}
                if r.operator in ("In", "NotIn")
                else {"key": r.key, "operator": r.operator}
                for r in self.match_expressions
            ]
        return spec
