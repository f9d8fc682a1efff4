"""Intent: the set of flows that should be allowed, and where it comes from.

An intent is built from the currently allowed flows minus the ones the user
removes (:func:`from_current`), from an intent YAML file (:func:`from_yaml`), or
from an observed flow log in CSV (:func:`from_csv`), as Hubble or mesh telemetry
export it. Endpoints are workload keys ``ns/name`` or CIDRs; ports are pod
(container) ports.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ztlab.errors import LoadError, Provenance, QueryError
from ztlab.model import Cluster, PortSet
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
    dns: bool = False,
) -> Intent:
    """The flows allowed end to end now, minus those named in ``remove``.

    ``remove`` entries are ``SRC->DST`` (every port) or ``SRC->DST:PORT[/PROTO]``;
    either side may be ``*``. Only definitely allowed ports count, and where
    the mesh applies only those it neither rejects nor denies
    (:func:`ztlab.synth.current.allowed_now`); ``Intent.notes`` names the
    flows left out for the mesh's sake. The DNS flows allowed today are among
    the flows; ``dns=True`` adds DNS for every governed workload, which widens
    where a workload has none today.

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
    text = read_text(path, "intent", "save the intent as UTF-8 YAML")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise LoadError(
            f"cannot parse intent: {exc}",
            Provenance(str(path)),
            hint="write YAML such as flows: [{from: ns/a, to: ns/b, ports: [80]}]",
        ) from None
    return from_mapping(data, cluster, str(path))


def read_text(path: Path, what: str, hint: str) -> str:
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


from ztlab.synth.flowlog import from_csv  # noqa: E402  (flowlog builds on this module)
