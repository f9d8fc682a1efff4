"""Field helpers shared by the parsers: metadata, ports, protocols, plain data."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from ztlab.load.fields import Fields
from ztlab.model.ports import MAX_PORT, MIN_PORT, PROTOCOLS

__all__ = [
    "read_metadata",
    "read_port",
    "read_protocol",
    "read_int_or_name",
    "read_timestamp",
    "plain_data",
]


def read_metadata(f: Fields, default_namespace: str, namespaced: bool = True) -> tuple:
    name = f.get("metadata.name", str, required=True)
    if not name:
        raise f.error(
            "metadata.name", "must not be empty", hint="give the object a name"
        )
    namespace = f.get("metadata.namespace", str) if namespaced else None
    if namespaced and not namespace:
        namespace = default_namespace
    return name, namespace


def read_port(f: Fields, path: str, *, required: bool = True) -> int | None:
    value = f.get(path, int, required=required)
    if value is not None and not MIN_PORT <= value <= MAX_PORT:
        raise f.error(path, f"port {value} is outside 1-65535", hint="use a valid port")
    return value


def read_protocol(f: Fields, path: str) -> str:
    protocol = f.get(path, str, default="TCP")
    if protocol not in PROTOCOLS:
        hint = f"use {protocol.upper()}" if protocol.upper() in PROTOCOLS else None
        raise f.error(
            path,
            f"unknown protocol {protocol!r}",
            hint=hint or "use TCP, UDP or SCTP (protocol names are upper case)",
        )
    return protocol


def read_int_or_name(f: Fields, path: str) -> int | str | None:
    value = f.raw(path)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise f.error(
            path,
            "must be a port number or a port name",
            hint="write a number such as 8080 or a name such as http",
        )
    if isinstance(value, str) and value.isdigit():
        number = int(value)
        if not MIN_PORT <= number <= MAX_PORT:
            raise f.error(
                path, f"port {number} is outside 1-65535", hint="use a valid port"
            )
        return number
    if isinstance(value, int):
        return read_port(f, path)
    if not value:
        raise f.error(path, "must not be empty", hint="write a port number or name")
    return value


def read_timestamp(value: Any) -> str | None:
    """An RFC 3339 creationTimestamp, whether YAML read it as text or as a time.

    Kept as text in the API's own form (``2024-01-31T12:00:00Z``) so that
    timestamps from YAML, JSON and the live API sort alike.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.UTC).replace(tzinfo=None)
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def plain_data(value: Any) -> Any:
    """A deep copy made only of dicts, lists and JSON scalars.

    YAML reads unquoted dates as date objects; they become ISO text, as the
    API server would store them.
    """
    if isinstance(value, Mapping):
        return {str(k): plain_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain_data(v) for v in value]
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return value
