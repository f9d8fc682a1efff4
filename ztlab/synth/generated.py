"""A generated Kubernetes object with the comment that says what it allows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Generated", "manifest"]


@dataclass(frozen=True)
class Generated:
    """One object to write: the API mapping and a comment naming what it allows.

    >>> g = Generated(manifest("v1", "Namespace", "", "shop", {}), "the shop")
    >>> g.kind, g.namespace, g.name
    ('Namespace', '', 'shop')
    """

    data: dict[str, Any]
    comment: str = ""

    @property
    def kind(self) -> str:
        return str(self.data["kind"])

    @property
    def namespace(self) -> str:
        return str(self.data["metadata"].get("namespace", ""))

    @property
    def name(self) -> str:
        return str(self.data["metadata"]["name"])

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.namespace, self.kind, self.name)


def manifest(
    api_version: str,
    kind: str,
    namespace: str,
    name: str,
    spec: dict[str, Any],
    labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An API-shaped mapping; the ``app.kubernetes.io/managed-by`` label marks ours."""
    metadata: dict[str, Any] = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    metadata["labels"] = {"app.kubernetes.io/managed-by": "ztlab", **(labels or {})}
    return {"apiVersion": api_version, "kind": kind, "metadata": metadata, "spec": spec}
