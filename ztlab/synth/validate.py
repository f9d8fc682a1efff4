"""Schema validation of exported objects.

Kubernetes kinds are checked with ``kubernetes-validate`` (the upstream OpenAPI
schemas, strict: unknown fields are errors); Istio kinds with ztlab's own
structural JSON Schemas in ``ztlab/schemas/istio-*.json``, written from the
Istio API reference.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema

__all__ = ["validate", "validate_object", "KUBERNETES_VERSION", "ISTIO_SCHEMAS"]

KUBERNETES_VERSION = "1.30.0"
ISTIO_SCHEMAS = {
    "PeerAuthentication": "istio-peerauthentication.json",
    "AuthorizationPolicy": "istio-authorizationpolicy.json",
    "DestinationRule": "istio-destinationrule.json",
}


@cache
def _istio_validator(kind: str) -> jsonschema.protocols.Validator:
    text = (resources.files("ztlab") / "schemas" / ISTIO_SCHEMAS[kind]).read_text(
        encoding="utf-8"
    )
    schema = json.loads(text)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_object(data: dict[str, Any]) -> list[str]:
    """Problems of one object (empty when it is valid).

    >>> validate_object({"apiVersion": "security.istio.io/v1",
    ...     "kind": "PeerAuthentication", "metadata": {"name": "default"},
    ...     "spec": {"mtls": {"mode": "STRIKT"}}})[0][:40]
    'PeerAuthentication default: spec.mtls.mo'
    """
    kind = str(data.get("kind", ""))
    name = str((data.get("metadata") or {}).get("name", "?"))
    if kind in ISTIO_SCHEMAS:
        validator = _istio_validator(kind)
        return [
            f"{kind} {name}: {'.'.join(str(p) for p in e.absolute_path) or '(top)'}: "
            f"{e.message}"
            for e in sorted(validator.iter_errors(data), key=lambda e: list(e.path))
        ]
    import kubernetes_validate

    try:
        kubernetes_validate.validate(data, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as exc:
        where = ".".join(str(p) for p in exc.path) or "(top)"
        return [f"{kind} {name}: {where}: {exc.message}"]
    except kubernetes_validate.SchemaNotFoundError as exc:
        return [f"{kind} {name}: no schema: {exc}"]
    return []


def validate(objects: list[dict[str, Any]]) -> list[str]:
    """Problems of every object, in order."""
    out: list[str] = []
    for data in objects:
        out.extend(validate_object(data))
    return out
