"""Kubernetes name and label syntax: what the API server would refuse.

ztlab still loads such an object (it may be a draft the user is designing), but
says in the load report that a real cluster would reject it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["syntax_problems", "label_value_problem", "label_key_problem"]

_NAME = r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_VALUE = re.compile(rf"^({_NAME})?$")
_LABEL_NAME = re.compile(rf"^{_NAME}$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_SUBDOMAIN = re.compile(
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
)

_RENAME = "rewrite it in Kubernetes syntax"

_POD_SPECS = {
    "Pod": "spec",
    "CronJob": "spec.jobTemplate.spec.template.spec",
    **dict.fromkeys(
        (
            "Deployment",
            "StatefulSet",
            "DaemonSet",
            "ReplicaSet",
            "ReplicationController",
            "Job",
        ),
        "spec.template.spec",
    ),
}

# Kinds whose names must be DNS labels (63 characters, no dots).
_LABEL_NAMED = {"Namespace": _DNS_LABEL, "Service": _DNS_1035}


def label_value_problem(value: str) -> str | None:
    """Why a label value is invalid, or None.

    >>> label_value_problem("web-1"), label_value_problem("a b") is not None
    (None, True)
    """
    if len(value) > 63:
        return "is longer than 63 characters"
    if not _LABEL_VALUE.match(value):
        return (
            "may hold only letters, digits, '-', '_' and '.', and must start and "
            "end with a letter or digit"
        )
    return None


def label_key_problem(key: str) -> str | None:
    """Why a label or annotation key is invalid, or None.

    >>> label_key_problem("app.kubernetes.io/name"), label_key_problem("bad key!")
    (None, "name part 'bad key!' may hold only letters, digits, '-', '_' and '.'")
    """
    prefix, _, name = key.rpartition("/")
    if "/" in key and (not prefix or len(prefix) > 253 or not _SUBDOMAIN.match(prefix)):
        return f"prefix {prefix!r} is not a DNS subdomain"
    if not name or len(name) > 63:
        return f"name part {name!r} must be 1 to 63 characters"
    if not _LABEL_NAME.match(name):
        return f"name part {name!r} may hold only letters, digits, '-', '_' and '.'"
    return None


def _name_problem(kind: str, name: str) -> str | None:
    pattern = _LABEL_NAMED.get(kind, _SUBDOMAIN)
    limit = 63 if kind in _LABEL_NAMED else 253
    if len(name) > limit or not pattern.match(name):
        what = "a DNS label" if limit == 63 else "a DNS subdomain"
        return (
            f"is not {what} (lower-case letters, digits and '-'"
            + ("" if limit == 63 else ", '.'")
            + f", at most {limit} characters)"
        )
    return None


def syntax_problems(
    kind: str, data: Mapping[str, Any]
) -> Iterator[tuple[str, str, str]]:
    """(field, problem, fix) for each name, label or key the API would refuse.

    >>> list(syntax_problems("Pod", {"metadata": {"name": "Web_1",
    ...     "labels": {"app": "<b>"}}}))[0][0]
    'metadata.name'
    """
    metadata = data.get("metadata")
    if isinstance(metadata, Mapping):
        yield from _metadata_problems(kind, metadata, "metadata", named=True)
    spec_path = _POD_SPECS.get(kind)
    if spec_path is not None:
        spec: Any = data
        for step in spec_path.split("."):
            spec = spec.get(step) if isinstance(spec, Mapping) else None
        if isinstance(spec, Mapping) and not spec.get("containers"):
            yield (
                f"{spec_path}.containers",
                "lists no container",
                "add containers: [{name: ..., image: ...}]",
            )
    for path in ("spec.template", "spec.jobTemplate.spec.template"):
        node: Any = data
        for step in path.split("."):
            node = node.get(step) if isinstance(node, Mapping) else None
        if isinstance(node, Mapping) and isinstance(node.get("metadata"), Mapping):
            yield from _metadata_problems(
                kind, node["metadata"], f"{path}.metadata", named=False
            )


def _metadata_problems(
    kind: str, metadata: Mapping[str, Any], base: str, *, named: bool
) -> Iterator[tuple[str, str, str]]:
    name = metadata.get("name")
    if named and isinstance(name, str) and name:
        problem = _name_problem(kind, name)
        if problem:
            yield f"{base}.name", f"{name!r} {problem}", _RENAME
    for section in ("labels", "annotations"):
        values = metadata.get(section)
        if not isinstance(values, Mapping):
            continue
        for key, value in values.items():
            if not isinstance(key, str):
                continue
            problem = label_key_problem(key)
            if problem:
                yield f"{base}.{section}", f"key {key!r}: {problem}", _RENAME
            if section == "labels" and isinstance(value, str):
                problem = label_value_problem(value)
                if problem:
                    yield (
                        f"{base}.labels.{key}",
                        f"label value {value!r} {problem}",
                        _RENAME,
                    )
