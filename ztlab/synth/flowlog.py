"""Intent from an observed flow log (CSV), as Hubble or mesh telemetry export it.

Pods are mapped to workloads by pod name, pod IP or the controller's naming
scheme. A row with a bad port is an error naming the row; a log without any
usable row is an error too, since its intent would deny everything.
"""

from __future__ import annotations

import csv
import ipaddress
import re
from collections.abc import Iterable
from pathlib import Path

from ztlab.errors import LoadError, Provenance
from ztlab.model import Cluster, PortSet, Workload
from ztlab.synth.intent import (
    Intent,
    IntentFlow,
    UnmappedRow,
    is_cidr,
    parse_ports,
    read_text,
)

__all__ = ["from_csv"]


_COLUMNS = {
    "source": ("source", "src", "source_pod", "src_pod", "source_ip"),
    "destination": (
        "destination",
        "dst",
        "destination_pod",
        "dst_pod",
        "destination_ip",
    ),
    "port": ("port", "destination_port", "dst_port"),
    "protocol": ("protocol", "proto", "l4_protocol"),
    "method": ("method", "http_method"),
    "path": ("path", "http_path", "url"),
    "verdict": ("verdict",),
}


def from_csv(
    path: str | Path,
    cluster: Cluster,
    namespaces: Iterable[str] | None = None,
    dns: bool = True,
) -> Intent:
    """Observed flows as CSV: source, destination (``namespace/pod`` or IP),
    port, protocol, optional method, path and verdict columns.

    Pods are mapped to workloads by their pod names, pod IPs, or the
    controller's naming scheme (``frontend-7d9f8b-abcde`` belongs to
    Deployment ``frontend``). Rows that map to nothing, or whose verdict is not
    FORWARDED, are kept in ``Intent.unmapped``; IPs outside the pod CIDRs are
    external endpoints.

    Limitations: a pod IP is recognised only from pod dumps (``pod_ips``) or
    ``Cluster.pod_cidrs``; without those every IP counts as external.
    """
    path = Path(path)
    text = read_text(path, "flow log", "save the flow log as UTF-8 CSV")
    if "\x00" in text:
        raise LoadError(
            "flow log contains NUL bytes (a binary file?)",
            Provenance(str(path)),
            hint="give a CSV file with the header source,destination,port",
        )
    numbered = [
        (n, ln) for n, ln in enumerate(text.splitlines(), 1) if not ln.startswith("#")
    ]
    at = [0]

    def lines() -> Iterable[str]:
        for n, ln in numbered:
            at[0] = n
            yield ln

    try:
        reader = csv.DictReader(lines())
        fieldnames = reader.fieldnames
    except csv.Error as exc:
        raise _csv_error(path, at[0], exc) from None
    header = {h.strip().lower(): h for h in fieldnames or ()}
    cols = {
        key: next((header[n] for n in names if n in header), None)
        for key, names in _COLUMNS.items()
    }
    for key in ("source", "destination", "port"):
        if cols[key] is None:
            raise LoadError(
                f"flow log has no {key} column",
                Provenance(str(path), line=at[0] or 1),
                field=key,
                hint="the header needs source,destination,port[,protocol,method,path]",
            )
    mapper = _PodMapper(cluster)
    grouped: dict[tuple, set[str]] = {}
    unmapped: list[UnmappedRow] = []
    rows = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise _csv_error(path, at[0], exc) from None
        rows += 1
        line = at[0]
        get = {k: (row.get(c) or "").strip() if c else "" for k, c in cols.items()}
        try:
            ports = parse_ports(
                [get["port"]], get["protocol"] or "TCP", f"column {cols['port']}"
            )
        except ValueError as exc:
            raise LoadError(
                str(exc),
                Provenance(str(path), line=line),
                hint="give the destination port as a number 1-65535 and the "
                "protocol as TCP, UDP or SCTP, or delete the row",
            ) from None
        ((proto, ((port, last),)),) = ports.by_protocol
        if port != last:
            raise LoadError(
                f"port {get['port']!r} is a range; a flow log row is one connection",
                Provenance(str(path), line=line),
                field=f"column {cols['port']}",
                hint="give the one destination port the connection used",
            )
        if get["verdict"] and get["verdict"].upper() != "FORWARDED":
            unmapped.append(
                UnmappedRow(line, "verdict", get["verdict"], "not a forwarded flow")
            )
            continue
        src, why_src = mapper.map(get["source"])
        dst, why_dst = mapper.map(get["destination"])
        if src is None:
            unmapped.append(UnmappedRow(line, "source", get["source"], why_src))
        if dst is None:
            unmapped.append(
                UnmappedRow(line, "destination", get["destination"], why_dst)
            )
        if src is None or dst is None:
            continue
        group = (src, dst, proto, port, get["method"].upper())
        paths = grouped.setdefault(group, set())
        if get["path"]:
            paths.add(get["path"])
    if not grouped:
        raise _no_usable_row(path, rows, unmapped)
    flows = []
    for (src, dst, proto, port, method), paths in sorted(grouped.items()):
        flows.append(
            IntentFlow(
                src,
                dst,
                PortSet.of(proto, port),
                (method,) if method else (),
                tuple(sorted(paths)) if method else (),
            )
        )
    ns = tuple(sorted(namespaces)) if namespaces is not None else None
    return Intent(
        tuple(_drop_unconstrained_duplicates(flows)),
        dns=dns,
        namespaces=ns,
        unmapped=tuple(unmapped),
        source=str(path),
    )


def _csv_error(path: Path, line: int, exc: csv.Error) -> LoadError:
    return LoadError(
        f"flow log is not valid CSV: {exc}",
        Provenance(str(path), line=line or None),
        hint="give a CSV file with the header source,destination,port",
    )


def _no_usable_row(path: Path, rows: int, unmapped: list[UnmappedRow]) -> LoadError:
    """An empty intent would export a deny-all: refuse it."""
    shown = "; ".join(str(r) for r in unmapped[:5])
    more = f" (and {len(unmapped) - 5} more)" if len(unmapped) > 5 else ""
    if rows == 0:
        return LoadError(
            "flow log has a header but no rows: the export would deny everything",
            Provenance(str(path)),
            hint="give a flow log with one row per observed connection",
        )
    return LoadError(
        f"no row of the flow log names a flow of the cluster, so the export would "
        f"deny everything: {shown}{more}",
        Provenance(str(path)),
        hint="name pods as namespace/pod of the loaded workloads (or give pod IPs "
        "with --pod-cidr or a pod dump), keep only FORWARDED rows, and check the "
        "flow log belongs to these manifests",
    )


def _drop_unconstrained_duplicates(flows: list[IntentFlow]) -> list[IntentFlow]:
    """A port seen without any HTTP request admits everything: keep that only."""
    plain = {(f.src, f.dst, f.ports) for f in flows if not f.http}
    return [f for f in flows if not f.http or (f.src, f.dst, f.ports) not in plain]


_DEPLOYMENT_POD = re.compile(r"^-[a-z0-9]{5,10}-[a-z0-9]{5}$")
_SET_POD = re.compile(r"^-(\d+|[a-z0-9]{5})$")
_JOB_POD = re.compile(r"^-(\d+-)?[a-z0-9]{5}$")


class _PodMapper:
    """Pod names and IPs of a flow log to workload keys."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.by_ip = {ip: w.key for w in cluster.workloads.values() for ip in w.pod_ips}
        self.pod_cidrs = [ipaddress.ip_network(c) for c in cluster.pod_cidrs]

    def map(self, text: str) -> tuple[str | None, str]:
        if not text:
            return None, "empty"
        if is_cidr(text):
            ip = ipaddress.ip_network(text, strict=False)
            if str(ip.network_address) in self.by_ip and ip.num_addresses == 1:
                return self.by_ip[str(ip.network_address)], ""
            if any(ip.subnet_of(c) for c in self.pod_cidrs if c.version == ip.version):  # type: ignore[arg-type]
                return None, "a pod IP that no loaded pod has"
            return str(ip), ""
        if "/" not in text:
            return None, "write pods as namespace/pod"
        namespace, pod = text.split("/", 1)
        if text in self.cluster.workloads:
            return text, ""
        candidates = self.cluster.workloads_in(namespace)
        for w in candidates:
            if pod in w.pod_names:
                return w.key, ""
        best: Workload | None = None
        for w in candidates:
            fits = pod.startswith(w.name) and _pod_suffix_fits(w, pod[len(w.name) :])
            if fits and (best is None or len(w.name) > len(best.name)):
                best = w
        if best is not None:
            return best.key, ""
        if namespace not in self.cluster.namespaces:
            return None, f"namespace {namespace} is not in the cluster"
        return None, f"no workload of {namespace} owns a pod named {pod}"


def _pod_suffix_fits(w: Workload, suffix: str) -> bool:
    if w.kind in ("Deployment", "ReplicaSet"):
        return bool(_DEPLOYMENT_POD.match(suffix)) or (
            w.kind == "ReplicaSet" and bool(_SET_POD.match(suffix))
        )
    if w.kind in ("StatefulSet", "DaemonSet", "ReplicationController"):
        return bool(_SET_POD.match(suffix))
    if w.kind in ("Job", "CronJob"):
        return bool(_JOB_POD.match(suffix))
    return suffix == ""
