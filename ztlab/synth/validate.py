"""Schema validation of exported objects.

Kubernetes kinds are checked with ``kubernetes-validate`` (the upstream OpenAPI
schemas, strict: unknown fields are errors); Istio kinds with ztlab's own
structural JSON Schemas in ``ztlab/schemas/istio-*.json``, written from the
Istio API reference.
"""

from __future__ import annotations

from typing import Any

from ztlab.istio_schema import ISTIO_SCHEMAS, istio_problems

__all__ = ["validate", "validate_object", "KUBERNETES_VERSION", "ISTIO_SCHEMAS"]

KUBERNETES_VERSION = "1.30.0"


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
        return [
            f"{kind} {name}: {path or '(top)'}: {message}"
            for path, message in istio_problems(data)
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
