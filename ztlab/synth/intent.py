"""Intent: the set of flows that should be allowed, and where it comes from.

An intent is built from the currently allowed flows minus the ones the user
removes (:func:`from_current`), from an intent YAML file (:func:`from_yaml`), or
from an observed flow log in CSV (:func:`from_csv`), as Hubble or mesh telemetry
export it. Endpoints are workload keys ``ns/name`` or CIDRs; ports are pod
(container) ports.
"""

from __future__ import annotations

import csv
import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ztlab.errors import LoadError, Provenance, QueryError
from ztlab.model import Cluster, PortSet, Workload
from ztlab.model.ports import MAX_PORT, MIN_PORT, PROTOCOLS

__all__ = [
    "IntentFlow",
    "UnmappedRow",
    "Intent",
    "from_current",
    "from_yaml",
    "from_csv",
    "parse_ports",
    "is_cidr",
]


def is_cidr(text: str) -> bool:
    """True for an IP address or CIDR (an endpoint outside the workloads).

    >>> is_cidr("10.0.0.0/8"), is_cidr("boutique/frontend")
    (True, False)
    """
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return True


def _cidr(text: str) -> str:
    return str(ipaddress.ip_network(text, strict=False))


@dataclass(frozen=True)
class IntentFlow:
    """One intended flow: ``src`` may open connections to ``dst`` on ``ports``.

    ``methods`` and ``paths`` (HTTP) narrow the flow at the mesh layer; both
    empty means any request.
    """

    src: str
    dst: str
    ports: PortSet
    methods: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()

    @property
    def http(self) -> bool:
        return bool(self.methods or self.paths)


@dataclass(frozen=True)
class UnmappedRow:
    """A flow-log row that names no workload of the cluster (never dropped)."""

    line: int
    field: str
    value: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field} {self.value!r}: {self.reason}"


@dataclass(frozen=True)
class Intent:
    """The intended flows, and which namespaces the export governs.

    ``namespaces`` None means every namespace that has workloads, except
    kube-system. ``dns`` adds, for every governed workload, DNS to the
    cluster DNS (kube-system, ``k8s-app: kube-dns``) on 53/UDP and 53/TCP.

    >>> i = Intent((IntentFlow("a/x", "a/y", PortSet.of("TCP", 80)),))
    >>> str(i.pairs()[("a/x", "a/y")])
    'TCP 80'
    """

    flows: tuple[IntentFlow, ...]
    dns: bool = True
    namespaces: tuple[str, ...] | None = None
    unmapped: tuple[UnmappedRow, ...] = ()
    source: str = "api"
    notes: tuple[str, ...] = field(default=())

    def pairs(self) -> dict[tuple[str, str], PortSet]:
        """Intended ports per (src, dst), the union over all flows."""
        out: dict[tuple[str, str], PortSet] = {}
        for f in self.flows:
            key = (f.src, f.dst)
            out[key] = out.get(key, PortSet.empty()) | f.ports
        return out

    def governed(self, cluster: Cluster) -> tuple[str, ...]:
        """The namespaces whose policies the export writes."""
        if self.namespaces is not None:
            return tuple(sorted(self.namespaces))
        return tuple(
            sorted(
                ns
                for ns in cluster.namespaces
                if ns != "kube-system" and cluster.workloads_in(ns)
            )
        )


# Ports

_PORT = re.compile(r"^(\d+)(?:-(\d+))?(?:/(TCP|UDP|SCTP))?$", re.IGNORECASE)


def parse_ports(
    entries: Any, protocol: str | None = None, where: str = "ports"
) -> PortSet:
    """Port entries as an intent writes them: ``80``, ``"53/UDP"``, ``"8000-8010"``.

    No entries means every port of ``protocol`` (of every protocol when None).

    >>> str(parse_ports([80, "53/UDP", "8000-8010/TCP"]))
    'TCP 80,8000-8010, UDP 53'
    >>> str(parse_ports(None, "UDP"))
    'UDP all ports'
    """
    default = (protocol or "TCP").upper()
    if protocol is not None and default not in PROTOCOLS:
        raise ValueError(f"{where}: protocol {protocol!r} is not TCP, UDP or SCTP")
    if entries is None or entries == []:
        return PortSet.all() if protocol is None else PortSet.all((default,))
    if not isinstance(entries, list):
        entries = [entries]
    out = PortSet.empty()
    for entry in entries:
        match = _PORT.match(str(entry).strip())
        if match is None:
            raise ValueError(
                f"{where}: {entry!r} is not a port; write 8080, '53/UDP' or "
                "'8000-8010/TCP'"
            )
        lo = int(match.group(1))
        hi = int(match.group(2) or lo)
        proto = (match.group(3) or default).upper()
        if not MIN_PORT <= lo <= hi <= MAX_PORT:
            raise ValueError(f"{where}: {entry!r} is outside 1-65535")
        out = out | PortSet.of(proto, lo, hi)
    return out


def _endpoint(cluster: Cluster, text: str, where: str) -> str:
    if is_cidr(text):
        return _cidr(text)
    if text not in cluster.workloads:
        try:
            cluster.workload(text)
        except QueryError as exc:
            raise ValueError(f"{where}: {exc}") from None
    return text


# From the current flows


def from_current(
    cluster: Cluster,
    remove: Iterable[str] = (),
    namespaces: Iterable[str] | None = None,
    dns: bool = True,
) -> Intent:
    """The flows allowed end to end now, minus those named in ``remove``.

    ``remove`` entries are ``SRC->DST`` (every port) or ``SRC->DST:PORT[/PROTO]``;
    either side may be ``*``. Only definitely allowed ports count, and where
    the mesh applies only those it neither rejects nor denies
    (:func:`ztlab.synth.current.allowed_now`); ``Intent.notes`` names the
    flows left out for the mesh's sake.

    Limitations: a workload's connections to itself are left out, as
    everywhere in the export (a pod can always reach itself); see
    :func:`ztlab.synth.current.allowed_now` for the mesh's.

    >>> import ztlab
    >>> c = ztlab.load("sample_clusters/online-boutique")
    >>> i = from_current(c, remove=["*->boutique/adservice"])
    >>> any(f.dst == "boutique/adservice" for f in i.flows)
    False
    """
    from ztlab.synth.current import allowed_now

    removals = [_removal(cluster, text) for text in remove]
    now, notes = allowed_now(cluster)
    out = []
    for f in now:
        ports = f.ports
        for src, dst, cut in removals:
            if src in ("*", f.src) and dst in ("*", f.dst):
                ports = ports - cut
        if not ports.is_empty():
            out.append(IntentFlow(f.src, f.dst, ports, f.methods, f.paths))
    ns = tuple(sorted(namespaces)) if namespaces is not None else None
    return Intent(
        tuple(out),
        dns=dns,
        namespaces=ns,
        source="current flows",
        notes=tuple(notes),
    )


def _removal(cluster: Cluster, text: str) -> tuple[str, str, PortSet]:
    if "->" not in text:
        raise QueryError(
            f"removal {text!r} must be SRC->DST or SRC->DST:PORT, e.g. "
            "boutique/frontend->boutique/adservice:9555"
        )
    src, rest = (part.strip() for part in text.split("->", 1))
    ports = PortSet.all()
    dst = rest
    if ":" in rest and not is_cidr(rest):
        dst, spec = rest.rsplit(":", 1)
        try:
            ports = parse_ports([spec], where=f"removal {text!r}")
        except ValueError as exc:
            raise QueryError(str(exc)) from None
    for side in (src, dst):
        if side != "*":
            try:
                _endpoint(cluster, side, f"removal {text!r}")
            except ValueError as exc:
                raise QueryError(str(exc)) from None
    src = src if src == "*" or not is_cidr(src) else _cidr(src)
    dst = dst if dst == "*" or not is_cidr(dst) else _cidr(dst)
    return src, dst, ports


# From an intent file


def from_yaml(path: str | Path, cluster: Cluster) -> Intent:
    """An intent file: ``flows`` with ``from``, ``to``, ``ports``, ``protocol``,
    optional ``methods`` and ``paths``; optional ``dns`` and ``namespaces``.

    Raises LoadError naming the file, flow and field of a bad entry.
    """
    path = Path(path)
    text = _read_text(path, "intent", "save the intent as UTF-8 YAML")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise LoadError(
            f"cannot parse intent: {exc}",
            Provenance(str(path)),
            hint="write the intent as YAML: flows: [{from: ns/a, to: ns/b, ports: [80]}]",
        ) from None
    return from_mapping(data, cluster, str(path))


def _read_text(path: Path, what: str, hint: str) -> str:
    """A file's text, or a LoadError naming it (missing, unreadable, not UTF-8)."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise LoadError(
            f"cannot read {what}: byte {exc.object[exc.start]:#04x} at offset "
            f"{exc.start} is not UTF-8 text (a binary file?)",
            Provenance(str(path)),
            hint=hint,
        ) from None
    except OSError as exc:
        raise LoadError(
            f"cannot read {what}: {exc.strerror or exc}",
            Provenance(str(path)),
            hint=f"give the path of a readable file; {hint}",
        ) from None


def from_mapping(data: Any, cluster: Cluster, name: str = "<intent>") -> Intent:
    """An intent from already parsed data (see :func:`from_yaml`)."""
    where = Provenance(name, 1)
    if not isinstance(data, Mapping) or not isinstance(data.get("flows"), list):
        raise LoadError(
            "an intent must be a mapping with a list 'flows'",
            where,
            field="flows",
            hint="write flows: [{from: ns/a, to: ns/b, ports: [8080]}]",
        )
    out = []
    for i, entry in enumerate(data["flows"]):
        fld = f"flows[{i}]"
        if not isinstance(entry, Mapping) or "from" not in entry or "to" not in entry:
            raise LoadError(
                "a flow needs 'from' and 'to'",
                where,
                field=fld,
                hint="name workloads as namespace/name or CIDRs",
            )
        try:
            ports = parse_ports(entry.get("ports"), entry.get("protocol"), fld)
            sources = _names(entry["from"])
            targets = _names(entry["to"])
            methods = tuple(str(m).upper() for m in entry.get("methods") or ())
            paths = tuple(str(p) for p in entry.get("paths") or ())
            for src in sources:
                for dst in targets:
                    out.append(
                        IntentFlow(
                            _endpoint(cluster, src, f"{fld}.from"),
                            _endpoint(cluster, dst, f"{fld}.to"),
                            ports,
                            methods,
                            paths,
                        )
                    )
        except ValueError as exc:
            raise LoadError(
                str(exc), where, field=fld, hint="see the intent file format"
            ) from None
    namespaces = data.get("namespaces")
    return Intent(
        tuple(out),
        dns=bool(data.get("dns", True)),
        namespaces=tuple(str(n) for n in namespaces) if namespaces else None,
        source=name,
    )


def _names(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [str(v) for v in items]


# From a flow log


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
    text = _read_text(path, "flow log", "save the flow log as UTF-8 CSV")
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
            ports = parse_ports([get["port"]], get["protocol"] or "TCP", "port")
        except ValueError as exc:
            raise LoadError(
                str(exc),
                Provenance(str(path), line=line),
                field=f"column {cols['port']}",
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
        message = "flow log has a header but no rows"
    else:
        message = f"no row of the flow log names a flow of the cluster: {shown}{more}"
    return LoadError(
        message,
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
