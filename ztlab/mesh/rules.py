"""Static views of AuthorizationPolicy rules: HTTP-only and identity fields.

HTTP-only fields (``methods``, ``paths``, ``hosts``, their ``not`` variants,
``requestPrincipals``, and ``request.headers`` / ``request.auth.*`` conditions)
cannot be evaluated on TCP traffic; identity fields (``principals``,
``namespaces`` and the ``source.principal`` / ``source.namespace`` conditions)
need an mTLS peer identity. A caller without one has no principal and no
namespace: a positive identity match never matches it, a negative one
(``notPrincipals``, ``notNamespaces``, ``notValues`` of those conditions)
always does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "http_only_fields",
    "identity_fields",
    "negative_identity_fields",
    "positive_identity_fields",
    "strip_http",
]

HTTP_SOURCE_FIELDS = ("requestPrincipals", "notRequestPrincipals")
HTTP_OPERATION_FIELDS = (
    "hosts",
    "notHosts",
    "methods",
    "notMethods",
    "paths",
    "notPaths",
)
IDENTITY_SOURCE_FIELDS = ("principals", "notPrincipals", "namespaces", "notNamespaces")
IDENTITY_KEYS = ("source.principal", "source.namespace")
NEGATIVE_SOURCE_FIELDS = ("notPrincipals", "notNamespaces")


def _is_http_key(key: str) -> bool:
    return key.startswith(
        ("request.headers", "request.auth.", "experimental.envoy.filters.")
    )


def http_only_fields(rule: Mapping[str, Any]) -> list[str]:
    """Dotted names of the HTTP-only fields a rule uses.

    >>> http_only_fields({"to": [{"operation": {"methods": ["GET"], "ports": ["80"]}}]})
    ['to[0].operation.methods']
    """
    out = []
    for i, entry in enumerate(rule.get("from") or ()):
        for key in (entry.get("source") or {}) if isinstance(entry, Mapping) else ():
            if key in HTTP_SOURCE_FIELDS:
                out.append(f"from[{i}].source.{key}")
    for i, entry in enumerate(rule.get("to") or ()):
        for key in (entry.get("operation") or {}) if isinstance(entry, Mapping) else ():
            if key in HTTP_OPERATION_FIELDS:
                out.append(f"to[{i}].operation.{key}")
    for i, cond in enumerate(rule.get("when") or ()):
        if isinstance(cond, Mapping) and _is_http_key(str(cond.get("key", ""))):
            out.append(f"when[{i}] {cond.get('key')}")
    return out


def identity_fields(rule: Mapping[str, Any]) -> list[str]:
    """Dotted names of the fields that need an mTLS identity (principals ...)."""
    out = []
    for i, entry in enumerate(rule.get("from") or ()):
        for key in (entry.get("source") or {}) if isinstance(entry, Mapping) else ():
            if key in IDENTITY_SOURCE_FIELDS:
                out.append(f"from[{i}].source.{key}")
    for i, cond in enumerate(rule.get("when") or ()):
        if isinstance(cond, Mapping) and str(cond.get("key", "")) in IDENTITY_KEYS:
            out.append(f"when[{i}] {cond.get('key')}")
    return out


def _identity_fields(rule: Mapping[str, Any], negative: bool) -> list[str]:
    out = []
    for i, entry in enumerate(rule.get("from") or ()):
        for key in (entry.get("source") or {}) if isinstance(entry, Mapping) else ():
            if key in IDENTITY_SOURCE_FIELDS and (
                (key in NEGATIVE_SOURCE_FIELDS) == negative
            ):
                out.append(f"from[{i}].source.{key}")
    for i, cond in enumerate(rule.get("when") or ()):
        if (
            not isinstance(cond, Mapping)
            or str(cond.get("key", "")) not in IDENTITY_KEYS
        ):
            continue
        part = "notValues" if negative else "values"
        if cond.get(part):
            out.append(f"when[{i}] {cond.get('key')} {part}")
    return out


def positive_identity_fields(rule: Mapping[str, Any]) -> list[str]:
    """Identity fields that a caller without mTLS identity can never match.

    >>> positive_identity_fields({"from": [{"source": {"namespaces": ["a"],
    ...                                               "notPrincipals": ["b"]}}]})
    ['from[0].source.namespaces']
    """
    return _identity_fields(rule, False)


def negative_identity_fields(rule: Mapping[str, Any]) -> list[str]:
    """Identity fields (``not*``) that a caller without mTLS identity always matches.

    >>> negative_identity_fields({"from": [{"source": {"notNamespaces": ["a"]}}],
    ...     "when": [{"key": "source.principal", "notValues": ["x"]}]})
    ['from[0].source.notNamespaces', 'when[0] source.principal notValues']
    """
    return _identity_fields(rule, True)


def strip_http(rule: Mapping[str, Any]) -> dict[str, Any]:
    """The rule without its HTTP-only fields (how DENY rules apply to TCP)."""
    out: dict[str, Any] = dict(rule)
    if rule.get("from"):
        out["from"] = [
            {
                "source": {
                    k: v
                    for k, v in (e.get("source") or {}).items()
                    if k not in HTTP_SOURCE_FIELDS
                }
            }
            for e in rule["from"]
            if isinstance(e, Mapping)
        ]
    if rule.get("to"):
        out["to"] = [
            {
                "operation": {
                    k: v
                    for k, v in (e.get("operation") or {}).items()
                    if k not in HTTP_OPERATION_FIELDS
                }
            }
            for e in rule["to"]
            if isinstance(e, Mapping)
        ]
    if rule.get("when"):
        out["when"] = [
            c
            for c in rule["when"]
            if isinstance(c, Mapping) and not _is_http_key(str(c.get("key", "")))
        ]
    return out
