"""Run network-config-analyzer (nca) as a peer tool and normalise its answer.

nca is IBM's NetworkPolicy analyser (PyPI ``network-config-analyzer``). It pins an
old networkx, so it lives in its own venv: ``.venv-nca/bin/nca`` under the repo
root, or wherever the environment variable ``ZTLAB_NCA`` points (a relative path
is taken from the repo root).

How nca is run: ``nca --connectivity DIR --ns_list DIR --pod_list DIR -o
txt_no_fw_rules -f OUT``. The three separate lists matter: with ``-r DIR`` nca
reads namespaces and pods in one pass in directory-walk order, and pods read
before their Namespace document keep a label-less namespace, so namespace
selectors silently stop matching them. With separate lists namespaces are read
first. ``txt_no_fw_rules`` prints one line per connected pair::

    0.0.0.0-255.255.255.255 => shop/web[Deployment] : All connections
    shop/web[Deployment] => shop/db[Deployment] : {protocols:TCP,dst_ports:5432}
    shop/db[Deployment] => 203.0.113.0-203.0.113.127 : {protocols:UDP, SCTP}

Normalisations (applied by :func:`canonical`, which both sides of a comparison
must go through):

1. Workloads: ``ns/name[Kind]`` becomes ``ns/name`` (the owning controller; nca's
   default ``--output_endpoints deployments``).
2. Addresses: nca writes ``a-b`` ranges, single addresses and CIDRs, joined by
   commas, and splits the address space differently on different lines (the
   split depends on every CIDR any policy mentions). For each (workload,
   direction, protocol) the allowed (address, port) set is rebuilt, cut into
   maximal address intervals on which the allowed ports are constant, and each
   interval is written as its minimal list of CIDRs. The result depends only on
   the set of allowed packets, so two tools agree iff their canonical sets are
   equal.
3. Connections: ``All connections`` is TCP, UDP and SCTP on ports 1-65535 (nca
   also means every other IP protocol, which NetworkPolicy cannot single out and
   ztlab does not model). ``{protocols:P1, P2,dst_ports:R}`` cubes are unioned;
   a missing ``protocols`` means all three, a missing ``dst_ports`` means all
   ports; ``All but {...}`` is the complement within those three protocols;
   other protocol names are dropped. Any other dimension (src_ports, HTTP
   methods, paths, hosts) raises: it cannot come from Kubernetes policies.
4. Port ranges of one (src, dst, protocol) are merged into maximal inclusive
   ranges; one tuple per range.
5. Self-pairs (src == dst workload) are dropped: nca never prints a workload's
   connections to itself, even across replicas.
6. IPv6 is dropped: nca prints IPv6 only when a policy names an IPv6 block.
7. nca's "livesim" pods (``*-livesim``, added when a policy selects a kube-dns,
   ingress-controller or Istio gateway pod that the input lacks) are dropped.

>>> sorted(parse_connectivity(
...     "shop/web[Deployment] => shop/db[StatefulSet] : {protocols:TCP,dst_ports:80-81}"
... ))
[('shop/web', 'shop/db', 'TCP', 80, 81)]

Limitations: nca has no node, hostNetwork or pod-IP model (ipBlocks never match
pods, hostNetwork pods are ordinary pods), makes no pods for ``replicas: 0``, and
two workloads of different kinds with one name in one namespace collide.
"""

from __future__ import annotations

import ipaddress
import os
import re
import subprocess
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "Flow",
    "NcaRun",
    "canonical",
    "nca_available",
    "nca_connectivity",
    "nca_executable",
    "nca_time",
    "parse_connections",
    "parse_connectivity",
    "run_nca",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_NCA = Path(".venv-nca") / "bin" / "nca"
PROTOCOLS = ("TCP", "UDP", "SCTP")
ALL_PORTS = ((1, 65535),)

Flow = tuple[str, str, str, int, int]
"""(src, dst, protocol, lo, hi): src/dst are ``ns/name`` or a CIDR."""

Ranges = list[tuple[int, int]]
Interval = tuple[int, int]  # addresses as integers, inclusive

_LINE = re.compile(r"^(?P<src>\S+) => (?P<dst>\S+) : (?P<conn>.+)$")
_KIND_SUFFIX = re.compile(r"\[[^\]]*\]$")
_ITEM_SPLIT = re.compile(r",(?=[a-z_]+:)")


# -- running nca --------------------------------------------------------------


def nca_executable() -> Path | None:
    """The nca command to use, or None when it is not installed."""
    configured = os.environ.get("ZTLAB_NCA")
    path = Path(configured) if configured else DEFAULT_NCA
    if not path.is_absolute():
        path = REPO_ROOT / path
    return path if path.is_file() and os.access(path, os.X_OK) else None


def nca_available() -> bool:
    """True when the nca executable is there to run."""
    return nca_executable() is not None


@dataclass(frozen=True)
class NcaRun:
    """One nca run: wall time, the child's peak RSS, its answer and its log."""

    seconds: float
    max_rss_kib: int
    output: str
    log: str

    def connectivity(self) -> set[Flow]:
        return parse_connectivity(self.output)


def run_nca(manifest_dir: str | Path, timeout: float | None = None) -> NcaRun:
    """Run nca's connectivity query on a directory of manifests.

    Raises RuntimeError when nca is missing, fails or times out.
    """
    exe = nca_executable()
    if exe is None:
        raise RuntimeError("nca is not installed (see tests/peer/nca.py)")
    directory = str(Path(manifest_dir).resolve())
    with tempfile.TemporaryDirectory(prefix="ztlab-nca-") as tmp:
        out = Path(tmp) / "connectivity.txt"
        log = Path(tmp) / "log.txt"
        cmd = [str(exe), "--connectivity", directory, "--ns_list", directory]
        cmd += ["--pod_list", directory, "-o", "txt_no_fw_rules", "-f", str(out)]
        with log.open("wb") as log_fh:
            start = time.perf_counter()
            proc = subprocess.Popen(
                cmd, stdout=log_fh, stderr=subprocess.STDOUT, cwd=tmp
            )
            try:
                _, status, max_rss_kib = _wait4(proc, timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                raise RuntimeError(f"nca took longer than {timeout} s") from None
            seconds = time.perf_counter() - start
        text = log.read_text(errors="replace")
        code = os.waitstatus_to_exitcode(status)
        if code != 0 or not out.exists():
            tail = "\n".join(text.splitlines()[-15:])
            raise RuntimeError(f"nca exited with {code}:\n{tail}")
        return NcaRun(seconds, max_rss_kib, out.read_text(), text)


def _wait4(
    proc: subprocess.Popen[bytes], timeout: float | None
) -> tuple[int, int, int]:
    """Wait for ``proc``; its exit status and peak RSS in KiB.

    The peak is the largest ``VmHWM`` of ``/proc/<pid>/status`` seen while
    polling, where Linux provides it: ``ru_maxrss`` of a spawned child starts
    at the parent's RSS (it survives fork and exec), so it overstates a small
    child of a big parent. Elsewhere ``ru_maxrss`` is used.
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    status_file = Path(f"/proc/{proc.pid}/status")
    hwm = 0
    while True:
        try:
            for line in status_file.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    hwm = max(hwm, int(line.split()[1]))
        except (OSError, ValueError):
            pass
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return pid, status, hwm or usage.ru_maxrss
        if deadline is not None and time.monotonic() > deadline:
            raise subprocess.TimeoutExpired(proc.args, timeout or 0)
        time.sleep(0.02)


def nca_time(manifest_dir: str | Path, timeout: float | None = None) -> float:
    """Wall-clock seconds of one nca connectivity run."""
    return run_nca(manifest_dir, timeout).seconds


def nca_connectivity(manifest_dir: str | Path) -> set[Flow]:
    """nca's allowed flows for a manifest directory, in canonical form."""
    return run_nca(manifest_dir).connectivity()


# -- parsing nca's text -------------------------------------------------------


def parse_connectivity(text: str) -> set[Flow]:
    """Canonical flows from nca's ``txt_no_fw_rules`` output."""
    flows: list[Flow] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line in ("TCP", "non-TCP"):
            continue
        match = _LINE.match(line)
        if match is None:
            raise ValueError(f"unexpected nca output line: {line!r}")
        src, dst = _endpoint(match["src"]), _endpoint(match["dst"])
        if src is None or dst is None:
            continue
        conns = parse_connections(match["conn"])
        for s in src:
            for d in dst:
                for protocol, ranges in conns.items():
                    flows.extend((s, d, protocol, lo, hi) for lo, hi in ranges)
    return canonical(flows)


def _endpoint(text: str) -> list[str] | None:
    """Workload key, or the CIDRs of an address list; None for livesim pods."""
    if not text.endswith("]"):
        try:
            return _addresses(text)
        except ValueError:
            pass
    name = _KIND_SUFFIX.sub("", text)
    return None if name.endswith("-livesim") else [name]


def _addresses(text: str) -> list[str]:
    cidrs: list[str] = []
    for part in text.split(","):
        if "-" in part:
            lo, hi = (ipaddress.ip_address(x) for x in part.split("-", 1))
            cidrs.extend(str(n) for n in ipaddress.summarize_address_range(lo, hi))
        else:
            cidrs.append(str(ipaddress.ip_network(part, strict=False)))
    return cidrs


def parse_connections(text: str) -> dict[str, Ranges]:
    """Per-protocol port ranges (TCP, UDP, SCTP only) of one nca connection text.

    >>> parse_connections("All connections")["UDP"]
    [(1, 65535)]
    >>> parse_connections(
    ...     "{protocols:TCP, UDP,dst_ports:53,7000-7010},{protocols:SCTP}"
    ... )  # doctest: +NORMALIZE_WHITESPACE
    {'TCP': [(53, 53), (7000, 7010)], 'UDP': [(53, 53), (7000, 7010)],
     'SCTP': [(1, 65535)]}
    >>> parse_connections(
    ...     "All but {protocols:all but UDP},{protocols:UDP,dst_ports:1-52,54-65535}"
    ... )
    {'UDP': [(53, 53)]}
    """
    text = text.strip()
    if text == "All connections":
        return {p: list(ALL_PORTS) for p in PROTOCOLS}
    if text == "No connections":
        return {}
    if text.startswith("All but "):
        taken = _parse_cubes(text[len("All but ") :])
        return {
            p: left
            for p in PROTOCOLS
            if (left := _subtract(list(ALL_PORTS), taken.get(p, [])))
        }
    return _parse_cubes(text)


def _parse_cubes(text: str) -> dict[str, Ranges]:
    if not (text.startswith("{") and text.endswith("}")):
        raise ValueError(f"unexpected nca connection text: {text!r}")
    out: dict[str, Ranges] = defaultdict(list)
    for cube in text[1:-1].split("},{"):
        protocols, ports = list(PROTOCOLS), list(ALL_PORTS)
        for item in _ITEM_SPLIT.split(cube):
            key, _, value = item.partition(":")
            if key == "protocols":
                protocols = _protocols(value)
            elif key == "dst_ports":
                ports = _port_ranges(value)
            else:
                raise ValueError(f"nca connection dimension {key!r} is not supported")
        for p in protocols:
            out[p].extend(ports)
    return {p: _merge(r) for p, r in out.items() if r}


def _protocols(value: str) -> list[str]:
    value = value.strip()
    negate = value.startswith("all but ")
    names = {n.strip().upper() for n in value.removeprefix("all but ").split(",")}
    return [p for p in PROTOCOLS if (p in names) != negate]


def _port_ranges(value: str) -> Ranges:
    ranges = []
    for part in value.split(","):
        lo, _, hi = part.strip().partition("-")
        ranges.append((int(lo), int(hi or lo)))
    return ranges


# -- canonical form -------------------------------------------------------------


def _merge(ranges: Iterable[tuple[int, int]]) -> Ranges:
    merged: Ranges = []
    for lo, hi in sorted(ranges):
        if merged and lo <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def _subtract(ranges: Ranges, minus: Ranges) -> Ranges:
    out = []
    for lo, hi in ranges:
        cur = lo
        for mlo, mhi in _merge(minus):
            if mhi < cur or mlo > hi:
                continue
            if mlo > cur:
                out.append((cur, mlo - 1))
            cur = max(cur, mhi + 1)
        if cur <= hi:
            out.append((cur, hi))
    return out


def _as_network(endpoint: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    if not endpoint[:1].isdigit() and ":" not in endpoint:
        return None
    try:
        return ipaddress.ip_network(endpoint, strict=False)
    except ValueError:
        return None


def canonical(
    flows: Iterable[Flow], *, drop_self: bool = True, ipv4_only: bool = True
) -> set[Flow]:
    """The canonical form of a flow set (see the module docstring).

    Endpoints that parse as an IP address or CIDR are addresses; anything else is
    an opaque workload key.

    >>> canonical([("a/x", "10.0.0.0/25", "TCP", 80, 80),
    ...            ("a/x", "10.0.0.128/25", "TCP", 80, 80)])
    {('a/x', '10.0.0.0/24', 'TCP', 80, 80)}
    >>> sorted(canonical([
    ...     ("a/x", "10.0.0.0/25", "TCP", 80, 80),
    ...     ("a/x", "10.0.0.128/25", "TCP", 80, 80),
    ...     ("a/x", "10.0.0.128/25", "TCP", 81, 90),
    ...     ("a/x", "a/x", "UDP", 53, 53),
    ... ]))
    [('a/x', '10.0.0.0/25', 'TCP', 80, 80), ('a/x', '10.0.0.128/25', 'TCP', 80, 90)]
    """
    pairs: dict[tuple[str, str, str], Ranges] = defaultdict(list)
    # (workload, "egress"|"ingress", protocol, IP version) -> [(interval, ports)]
    boxes: dict[tuple[str, str, str, int], list[tuple[Interval, tuple[int, int]]]]
    boxes = defaultdict(list)
    for src, dst, protocol, lo, hi in flows:
        if lo > hi:
            continue
        src_net, dst_net = _as_network(src), _as_network(dst)
        if src_net is not None and dst_net is not None:
            raise ValueError(f"flow between two address blocks: {src} -> {dst}")
        net = src_net or dst_net
        if net is None:
            if not (drop_self and src == dst):
                pairs[(src, dst, protocol)].append((lo, hi))
            continue
        if ipv4_only and net.version != 4:
            continue
        interval = (int(net.network_address), int(net.broadcast_address))
        workload, direction = (dst, "ingress") if src_net else (src, "egress")
        boxes[(workload, direction, protocol, net.version)].append((interval, (lo, hi)))

    out: set[Flow] = set()
    for (src, dst, protocol), ranges in pairs.items():
        out.update((src, dst, protocol, lo, hi) for lo, hi in _merge(ranges))
    for (workload, direction, protocol, version), items in boxes.items():
        for cidr, ports in _cut(items, version):
            for lo, hi in ports:
                flow = (cidr, workload) if direction == "ingress" else (workload, cidr)
                out.add((*flow, protocol, lo, hi))
    return out


def _cut(
    items: list[tuple[Interval, tuple[int, int]]], version: int
) -> list[tuple[str, Ranges]]:
    """Maximal address intervals with constant port sets, as CIDRs."""
    bounds = sorted({a for (a, _), _ in items} | {b + 1 for (_, b), _ in items})
    runs: list[tuple[int, int, Ranges]] = []
    for start, stop in zip(bounds, bounds[1:], strict=False):
        ports = _merge(p for (a, b), p in items if a <= start and stop - 1 <= b)
        if not ports:
            continue
        if runs and runs[-1][1] + 1 == start and runs[-1][2] == ports:
            runs[-1] = (runs[-1][0], stop - 1, ports)
        else:
            runs.append((start, stop - 1, ports))
    out: list[tuple[str, Ranges]] = []
    for start, end, ports in runs:
        lo = ipaddress.ip_address(start if version == 4 else start.to_bytes(16))
        hi = ipaddress.ip_address(end if version == 4 else end.to_bytes(16))
        out.extend((str(n), ports) for n in ipaddress.summarize_address_range(lo, hi))
    return out
