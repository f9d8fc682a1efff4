"""``ztlab flows`` and ``ztlab reach``: allowed connections and single verdicts."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import click

from ztlab.cli.common import load_cluster, load_option_group, paths_argument
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
            if src == dst:
                continue
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
@load_option_group
def flows(
    paths: tuple[str, ...],
    fmt: str,
    level: str,
    no_external: bool,
    strict: bool,
    default_namespace: str,
    pod_cidrs: tuple[str, ...],
) -> None:
    """List every connection NetworkPolicy allows (workload to workload or CIDR).

    Ports are destination ports as inclusive ranges. Flows whose answer depends
    on the network plugin are marked not definite.
    """
    from ztlab.netpol import flows as all_flows

    cluster = load_cluster(
        paths,
        strict=strict,
        default_namespace=default_namespace,
        pod_cidrs=pod_cidrs,
    )
    rows = flow_rows(all_flows(cluster, external=not no_external), level)
    rows = [r for r in rows if r["ports"]]
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
                    }
                    for r in rows
                ]
            }
        )
        return
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["src", "dst", "protocol", "ports", "definite", "policies"])
        for r in rows:
            writer.writerow(
                [
                    r["src"],
                    r["dst"],
                    r["protocol"],
                    _ports_text(r["ports"]),
                    str(r["definite"]).lower(),
                    " ".join(r["policies"]),
                ]
            )
        emit(buffer.getvalue(), nl=False)
        return
    table = markdown_table if fmt == "markdown" else text_table
    emit(
        table(
            ["src", "dst", "protocol", "ports", "definite", "policies"],
            [
                [
                    r["src"],
                    r["dst"],
                    r["protocol"],
                    _ports_text(r["ports"]),
                    "yes" if r["definite"] else "no",
                    " ".join(r["policies"]) or "-",
                ]
                for r in rows
            ],
        )
    )


def _port_value(text: str | None) -> int | str | None:
    if text is None:
        return None
    if text.isdigit():
        number = int(text)
        if not 1 <= number <= 65535:
            raise click.BadParameter(f"{text} is outside 1-65535", param_hint="--port")
        return number
    return text


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
@click.option("--json", "as_json", is_flag=True, help="Print the verdict as JSON.")
@load_option_group
def reach(
    paths: tuple[str, ...],
    src: str,
    dst: str,
    port: str | None,
    protocol: str,
    as_json: bool,
    strict: bool,
    default_namespace: str,
    pod_cidrs: tuple[str, ...],
) -> None:
    """May SRC open a connection to DST? Prints the verdict and why.

    Exits 0 whatever the verdict; 2 on bad input or an unknown workload.
    """
    cluster = load_cluster(
        paths,
        strict=strict,
        default_namespace=default_namespace,
        pod_cidrs=pod_cidrs,
    )
    verdict = cluster.can_reach(src, dst, port=_port_value(port), protocol=protocol)
    network = verdict.to_dict()
    data = {
        "src": src,
        "dst": dst,
        "protocol": protocol,
        "port": _port_value(port),
        "allowed": verdict.allowed,
        "definite": verdict.definite,
        "network": {
            "allowed": verdict.allowed,
            "definite": verdict.definite,
            "egress": network["egress"],
            "ingress": network["ingress"],
            "reason": verdict.reason,
            "ports": network["ports"],
            "backends": network["backends"],
        },
        "mesh": None,
    }
    if as_json:
        emit(json.dumps(data, indent=2))
        return
    word = "ALLOWED" if verdict.allowed else "DENIED"
    if not verdict.definite:
        word += " (not definite: depends on the network plugin)"
    emit(f"{src} -> {dst} {protocol}{' ' + port if port else ''}: {word}")
    emit(f"  network: {verdict.reason}")


COMMANDS = [flows, reach]
