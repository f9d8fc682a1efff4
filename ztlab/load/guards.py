"""Guards against hostile input: Secret data dropped at read, alias bombs refused."""

from __future__ import annotations

from typing import Any

import yaml

from ztlab.errors import LoadError, Provenance

__all__ = ["drop_secret_data", "check_expansion", "MAX_EXPANDED_NODES"]

MAX_EXPANDED_NODES = 2_000_000

_SECRET_KEEP = ("apiVersion", "kind", "metadata")
_SECRET_METADATA_KEEP = ("name", "namespace")


def _is_secret(data: Any) -> bool:
    return isinstance(data, dict) and data.get("kind") == "Secret"


def drop_secret_data(data: Any, node: yaml.Node | None = None) -> Any:
    """Keep of each Secret (alone or in a List) its kind and name, nothing else.

    The composed YAML node loses the same fields, so no Secret value stays
    behind in memory for a later message to show.
    """
    if _is_secret(data):
        _prune_node(node, _SECRET_KEEP)
        return _secret_stub(data)
    items = data.get("items") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return data
    # Items of a typed SecretList carry no kind of their own.
    all_secrets = data.get("kind") == "SecretList"
    secret = [all_secrets and isinstance(i, dict) or _is_secret(i) for i in items]
    if not any(secret):
        return data
    item_nodes = _value_node(node, "items")
    if isinstance(item_nodes, yaml.SequenceNode):
        for is_secret, item_node in zip(secret, item_nodes.value, strict=False):
            if is_secret:
                _prune_node(item_node, _SECRET_KEEP)
    stubs = [_secret_stub(i) if s else i for i, s in zip(items, secret, strict=True)]
    return {**data, "items": stubs}


def _secret_stub(data: dict[str, Any]) -> dict[str, Any]:
    stub = {k: data[k] for k in _SECRET_KEEP if k in data}
    metadata = stub.get("metadata")
    if isinstance(metadata, dict):
        stub["metadata"] = {
            k: metadata[k] for k in _SECRET_METADATA_KEEP if k in metadata
        }
    return stub


def _value_node(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    return next((v for k, v in node.value if getattr(k, "value", None) == key), None)


def _prune_node(node: yaml.Node | None, keep: tuple[str, ...]) -> None:
    if isinstance(node, yaml.MappingNode):
        node.value = [
            (k, v) for k, v in node.value if getattr(k, "value", None) in keep
        ]
        metadata = _value_node(node, "metadata")
        if isinstance(metadata, yaml.MappingNode):
            metadata.value = [
                (k, v)
                for k, v in metadata.value
                if getattr(k, "value", None) in _SECRET_METADATA_KEEP
            ]


def check_expansion(root: yaml.Node, where: Provenance) -> None:
    """Refuse documents whose aliases expand past MAX_EXPANDED_NODES."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    order: list[tuple[yaml.Node, bool]] = [(root, False)]
    while order:
        node, done = order.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            children = _children(node)
            total = 1 + sum(sizes[id(c)] for c in children)
            sizes[key] = total
            if total > MAX_EXPANDED_NODES:
                raise LoadError(
                    f"aliases expand to more than {MAX_EXPANDED_NODES} nodes",
                    where,
                    hint="this looks like an alias bomb; remove the anchors (&) "
                    "and aliases (*) or expand them by hand",
                )
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise LoadError(
                "an alias refers to a node that contains it",
                where,
                hint="remove the recursive anchor (&) and alias (*)",
            )
        on_path.add(key)
        order.append((node, True))
        for child in _children(node):
            if id(child) not in sizes:
                if id(child) in on_path:
                    raise LoadError(
                        "an alias refers to a node that contains it",
                        where,
                        hint="remove the recursive anchor (&) and alias (*)",
                    )
                order.append((child, False))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []
