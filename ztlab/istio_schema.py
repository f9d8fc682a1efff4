"""Structural schemas of the Istio kinds ztlab reads and writes.

The schemas in ``ztlab/schemas/istio-*.json`` are ztlab's own, written from the
Istio API reference. The loader checks input against them (a warning: Istio's
admission would refuse the object) and the exporter checks its output.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

import jsonschema

__all__ = ["ISTIO_SCHEMAS", "istio_problems"]

ISTIO_SCHEMAS = {
    "PeerAuthentication": "istio-peerauthentication.json",
    "AuthorizationPolicy": "istio-authorizationpolicy.json",
    "DestinationRule": "istio-destinationrule.json",
}


@cache
def _validator(kind: str) -> Any:
    text = (resources.files("ztlab") / "schemas" / ISTIO_SCHEMAS[kind]).read_text(
        encoding="utf-8"
    )
    schema = json.loads(text)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def istio_problems(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(dotted field path, message) for each schema violation; [] when valid.

    >>> istio_problems({"apiVersion": "security.istio.io/v1",
    ...     "kind": "PeerAuthentication", "metadata": {"name": "default"},
    ...     "spec": {"mtls": {"mode": "STRIKT"}}})[0][0]
    'spec.mtls.mode'
    """
    kind = str(data.get("kind", ""))
    if kind not in ISTIO_SCHEMAS:
        return []
    errors = sorted(_validator(kind).iter_errors(data), key=lambda e: list(e.path))
    return [(".".join(str(p) for p in e.absolute_path), e.message) for e in errors]
