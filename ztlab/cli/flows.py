"""``ztlab flows`` and ``ztlab reach``: allowed connections and single verdicts."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import click

from ztlab.cli.common import paths_argument
from ztlab.cli.live import ClusterSource, cluster_input
from ztlab.cli.output import emit, emit_json
from ztlab.cli.tables import markdown_table, text_table

__all__ = ["COMMANDS", "flow_rows"]


def flow_rows(flows: list[Any], level: str) -> list[dict[str, Any]]:
    """One row per (src, dst, protocol) with inclusive port ranges."""
    merged: dict[tuple[str, str, str], dict[str, Any]] = {}
    for f in flows:
        src, dst = f.src, f.dst
        if level == "namespace":
            src = src.split("/", 1)[0] if f.src_kind == "workload" else src
            dst = dst.split("/", 1)[0] if f.dst_kind == "workload" else dst
        for protocol, ranges in f.ports.by_protocol:
            key = (src, dst, protocol)
            row = merged.setdefault(
                key,
                {
                    "src": src,
                    "dst": dst,
                    "protocol": protocol,
                    "ranges": [],
                    "definite": True,
                    "policies": [],
                },
            )
            row["ranges"] += [list(r) for r in ranges]
            row["definite"] = row["definite"] and f.definite
            row["policies"] += [p for p in f.policies if p not in row["policies"]]
    out = []
    for row in merged.values():
        from ztlab.model import PortSet

        ports = PortSet.from_ranges(row["protocol"], [tuple(r) for r in row["ranges"]])
        row["ports"] = [list(r) for r in ports.ranges(row["protocol"])]
        del row["ranges"]
        out.append(row)
    out.sort(key=lambda r: (r["src"], r["dst"], r["protocol"]))
    return out


def _ports_text(ranges: list[list[int]]) -> str:
    if ranges == [[1, 65535]]:
        return "all"
    return ",".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in ranges)


@click.command()
@paths_argument
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "csv", "markdown"]),
    default="text",
    show_default=True,
)
@click.option(
    "--level",
    type=click.Choice(["workload", "namespace"]),
    default="workload",
    show_default=True,
    help="Granularity of sources and destinations.",
)
@click.option("--no-external", is_flag=True, help="Leave out flows to and from CIDRs.")
@cluster_input
def flows(
    source: ClusterSource,
    fmt: str,
    level: str,
    no_external: bool,
) -> None:
    """List every connection NetworkPolicy allows (workload to workload or CIDR).

    Ports are destination ports as inclusive ranges. Flows whose answer depends
    on the network plugin are marked not definite. Where the cluster has a
    mesh, each TCP flow also shows its mTLS outcome and authorization decision.
    """
    from ztlab.netpol import flows as all_flows

    cluster = source.load()
    found = all_flows(cluster, external=not no_external)
    rows = [r for r in flow_rows(found, level) if r["ports"]]
    mesh_cols = level == "workload" and _add_mesh(cluster, found, rows)
    extra = ["mtls", "authz"] if mesh_cols else []
    if fmt == "json":
        emit_json(
            {
                "flows": [
                    {
                        "src": r["src"],
                        "dst": r["dst"],
                        "protocol": r["protocol"],
                        "ports": r["ports"],
                        "definite": r["definite"],
                        "policies": r["policies"],
                        **({"mesh": r.get("mesh", {})} if mesh_cols else {}),
                    }
                    for r in rows
                ]
            }
        )
        return
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(
            ["src", "dst", "protocol", "ports", "definite", "policies", *extra]
        )
        for r in rows:
            writer.writerow(
                [
                    r["src"],
                    r["dst"],
                    r["protocol"],
                    _ports_text(r["ports"]),
                    str(r["definite"]).lower(),
                    " ".join(r["policies"]),
                    *([r["mtls"], r["authz"]] if mesh_cols else []),
                ]
            )
        emit(buffer.getvalue(), nl=False)
        return
    table = markdown_table if fmt == "markdown" else text_table
    emit(
        table(
            ["src", "dst", "protocol", "ports", "definite", "policies", *extra],
            [
                [
                    r["src"],
                    r["dst"],
                    r["protocol"],
                    _ports_text(r["ports"]),
                    "yes" if r["definite"] else "no",
                    " ".join(r["policies"]) or "-",
                    *([r["mtls"] or "-", r["authz"] or "-"] if mesh_cols else []),
                ]
                for r in rows
            ],
        )
    )


def _add_mesh(cluster: Any, found: list[Any], rows: list[dict[str, Any]]) -> bool:
    """Attach the mesh outcome to TCP rows; False when the mesh does not apply."""
    from ztlab.mesh import mesh_applies
    from ztlab.reach import flow_mesh, summarise_mesh

    if not mesh_applies(cluster):
        return False
    by_pair = {(f.src, f.dst): f for f in found}
    for row in rows:
        row["mtls"] = row["authz"] = ""
        flow = by_pair.get((row["src"], row["dst"]))
        if flow is None or row["protocol"] != "TCP":
            continue
        per_port = flow_mesh(cluster, flow)
        row["mesh"] = {str(p): v for p, v in per_port.items()}
        row["mtls"] = summarise_mesh(per_port, "mtls")
        row["authz"] = summarise_mesh(per_port, "authz")
    return True


_PORT_NAME = re.compile(r"^(?=.{1,15}$)(?=.*[a-z])[a-z0-9]+(-[a-z0-9]+)*$")


def _port_value(text: str | None) -> int | str | None:
    if text is None:
        return None
    if text.isdigit():
        number = int(text)
        if not 1 <= number <= 65535:
            raise click.BadParameter(f"{text} is outside 1-65535", param_hint="--port")
        return number
    if not _PORT_NAME.match(text):
        raise click.BadParameter(
            f"{text!r} is neither a port number (1-65535) nor a port name (up to 15 "
            "lower-case letters, digits and inner dashes, at least one letter)",
            param_hint="--port",
        )
    return text


def _headers(values: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{item!r} is not K=V", param_hint="--header")
        out[key.strip().lower()] = value
    return out


def _claims(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    source = "--jwt-claims"
    if text.startswith("@"):
        path = text[1:]
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        except OSError as exc:
            raise click.BadParameter(
                f"cannot read {path}: {exc.strerror}", param_hint=source
            ) from None
    try:
        claims = json.loads(text)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(
            f"not JSON ({exc.msg} at column {exc.colno}); write the claims as a JSON "
            'object, e.g. \'{"iss": "https://idp", "sub": "alice"}\'',
            param_hint=source,
        ) from None
    if not isinstance(claims, dict):
        raise click.BadParameter("the claims must be a JSON object", param_hint=source)
    return claims


@click.command()
@paths_argument
@click.option(
    "--from",
    "src",
    required=True,
    help="Source: ns/name, svc:ns/name, or an IP / CIDR.",
)
@click.option(
    "--to",
    "dst",
    required=True,
    help="Destination: ns/name, svc:ns/name, or an IP / CIDR.",
)
@click.option(
    "--port",
    default=None,
    help="Destination port number or name (a Service port for svc:).",
)
@click.option(
    "--protocol",
    type=click.Choice(["TCP", "UDP", "SCTP"]),
    default="TCP",
    show_default=True,
)
@click.option("--method", default=None, help="HTTP method of the request (mesh).")
@click.option("--path", "http_path", default=None, help="HTTP path (mesh).")
@click.option("--host", default=None, help="HTTP Host / authority (mesh).")
@click.option(
    "--header",
    "headers",
    multiple=True,
    metavar="K=V",
    help="HTTP request header (repeatable).",
)
@click.option(
    "--jwt-claims",
    default=None,
    metavar="JSON|@FILE",
    help="Claims of a valid JWT the request carries.",
)
@click.option("--jwt-invalid", is_flag=True, help="The request carries a bad JWT.")
@click.option("--json", "as_json", is_flag=True, help="Print the verdict as JSON.")
@cluster_input
def reach(
    source: ClusterSource,
    src: str,
    dst: str,
    port: str | None,
    protocol: str,
    method: str | None,
    http_path: str | None,
    host: str | None,
    headers: tuple[str, ...],
    jwt_claims: str | None,
    jwt_invalid: bool,
    as_json: bool,
) -> None:
    """May SRC open a connection to DST? NetworkPolicy, then the mesh.

    The answer is allowed only when NetworkPolicy allows the connection, the
    mesh does not reject it and authorization allows the request. Exits 0
    whatever the verdict; 2 on bad input or an unknown workload.
    """
    from ztlab.mesh import Request
    from ztlab.reach import reach as combined

    request = Request(
        method=method,
        path=http_path,
        host=host,
        headers=_headers(headers),
        jwt_claims=_claims(jwt_claims),
        jwt_invalid=jwt_invalid,
        protocol="http" if (method or http_path or host or headers) else None,
    )
    cluster = source.load()
    result = combined(cluster, src, dst, _port_value(port), protocol, request)
    if as_json:
        emit_json(result.to_dict())
        return
    word = "ALLOWED" if result.allowed else "DENIED"
    if not result.definite:
        word += " (not definite)"
    emit(f"{src} -> {dst} {protocol}{' ' + port if port else ''}: {word}")
    emit(
        f"  network: {'allowed' if result.network.allowed else 'denied'}: "
        f"{result.network.reason}"
    )
    if result.mesh is not None:
        mesh = result.mesh
        if mesh["mtls"] is None:
            emit(f"  mesh: not evaluated: {mesh['reason']}")
        else:
            emit(
                f"  mesh: {mesh['mtls']}, authorization {mesh['authz']}: "
                f"{mesh['reason']}"
            )
        for note in mesh.get("notes") or ():
            emit(f"  note: {note}")


COMMANDS = [flows, reach]
