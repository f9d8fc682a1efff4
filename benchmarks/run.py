"""Benchmark ztlab's NetworkPolicy engine on synthetic clusters, against nca.

    python benchmarks/run.py [--sizes 100,500,2000,10000] [--nca] [--nca-max 200]

For each size N the generator (benchmarks/generate.py) writes N workloads and N
policies. A fresh Python process then runs ``ztlab.load(dir)`` and
``cluster.flows()`` and reports both wall times and its peak RSS (getrusage
maxrss, so one size's garbage never inflates another's figure; the RSS after
imports is shown too). With ``--nca``, and N <= ``--nca-max``, nca runs on the
same directory (its own process, timed the same way) and the two answers are
compared after the normalisation of tests/peer/nca.py. With ``--nca`` the
clusters are generated with ``nca_safe=True``, which avoids one nca bug.

Limitations: wall times on a shared 2-core machine vary by some 10 %; the
comparison covers only flows that ztlab marks definite, between workloads and
addresses (IPv4), and nca's own limits listed in tests/peer/nca.py.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import generate  # noqa: E402

from tests.peer import nca as peer  # noqa: E402

_PREFIXES = ("ip:", "cidr:", "ipblock:")


def _rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def ztlab_tuples(cluster: Any, flows: Any) -> tuple[list[peer.Flow], dict[str, int]]:
    """(src, dst, protocol, lo, hi) tuples of ztlab flows, and what was left out.

    Only ``flow.ports``, the definitely allowed ports, are compared: nca never
    lets an ipBlock match a pod, which is ztlab's definite answer, while ztlab's
    ``possible`` ports (ipBlock against unknown pod IPs, hostNetwork) are counted
    but not compared. Endpoints are kept when they are workload keys of the
    cluster or parse as an address (an ``ip:``/``cidr:`` prefix is stripped);
    flows with other endpoints (services, nodes) are left out and counted.
    """
    out: list[peer.Flow] = []
    skipped = {"with_possible_ports": 0, "other_endpoint": 0}
    for flow in flows:
        if getattr(flow, "possible", None):
            skipped["with_possible_ports"] += 1
        ends = [_endpoint(cluster, e) for e in (flow.src, flow.dst)]
        if None in ends:
            skipped["other_endpoint"] += 1
            continue
        src, dst = ends
        for protocol, (lo, hi) in flow.ports:
            out.append((src, dst, protocol, lo, hi))
    return out, skipped


def _endpoint(cluster: Any, text: str) -> str | None:
    if text in cluster.workloads:
        return text
    for prefix in _PREFIXES:
        text = text.removeprefix(prefix)
    return text if peer._as_network(text) is not None else None


def child(directory: str, result_file: str, want_flows: bool, max_gib: float) -> None:
    """Runs in a fresh process: load, analyse, and write the figures as JSON."""
    # A cap on the address space turns a size too big for the machine into a
    # MemoryError in the table instead of swapping the machine to a halt.
    limit = int(max_gib * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    import ztlab

    result: dict[str, Any] = {"rss_base_kib": _rss_kib()}
    try:
        start = time.perf_counter()
        cluster = ztlab.load(directory)
        result["load_s"] = time.perf_counter() - start
        result["rss_load_kib"] = _rss_kib()

        start = time.perf_counter()
        flows = cluster.flows()
        result["flows_s"] = time.perf_counter() - start
        result["rss_peak_kib"] = _rss_kib()
        result["flow_count"] = len(flows)
        result["workload_count"] = len(cluster.workloads)
        if want_flows:
            tuples, skipped = ztlab_tuples(cluster, flows)
            result["flows"] = sorted(peer.canonical(tuples))
            result["skipped"] = skipped
    except Exception as exc:  # reported in the table, the run goes on
        result["error"] = f"{type(exc).__name__}: {exc}"
    Path(result_file).write_text(json.dumps(result))


def run_ztlab(directory: Path, want_flows: bool, max_gib: float) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        result_file = Path(fh.name)
    try:
        cmd = [sys.executable, __file__, "--child", str(directory), str(result_file)]
        cmd += ["--max-gib", str(max_gib)]
        if want_flows:
            cmd.append("--want-flows")
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0 or not result_file.stat().st_size:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:]
            return {"error": tail[0] if tail else f"exit {proc.returncode}"}
        return json.loads(result_file.read_text())
    finally:
        result_file.unlink(missing_ok=True)


def compare(ours: set[peer.Flow], theirs: set[peer.Flow]) -> tuple[bool, list[str]]:
    """Whether two canonical flow sets agree, and a few differences if not."""
    only_ours, only_theirs = sorted(ours - theirs), sorted(theirs - ours)
    lines = [f"  only ztlab: {f}" for f in only_ours[:5]]
    lines += [f"  only nca:   {f}" for f in only_theirs[:5]]
    if len(only_ours) > 5 or len(only_theirs) > 5:
        lines.append(
            f"  ({len(only_ours)} only in ztlab, {len(only_theirs)} only in nca)"
        )
    return not (only_ours or only_theirs), lines


def _mib(kib: int | None) -> str:
    return "-" if kib is None else f"{kib / 1024:.0f}"


def _secs(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,500,2000,10000")
    parser.add_argument("--nca", action="store_true", help="also run nca")
    parser.add_argument("--nca-max", type=int, default=200)
    parser.add_argument("--nca-timeout", type=float, default=1800.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="write the clusters here")
    parser.add_argument(
        "--max-gib", type=float, default=16.0, help="address-space cap for ztlab"
    )
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--want-flows", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child[0], args.child[1], args.want_flows, args.max_gib)
        return 0

    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if args.nca and not peer.nca_available():
        print("nca is not installed: .venv-nca/bin/nca or ZTLAB_NCA", file=sys.stderr)
    use_nca = args.nca and peer.nca_available()

    header = (
        f"{'workloads':>9} {'policies':>8} {'gen s':>6} {'load s':>7} {'flows s':>8} "
        f"{'flows':>8} {'RSS MiB':>8} {'base MiB':>8} {'nca s':>8} {'nca MiB':>8} "
        "agree"
    )
    rows, notes, failed = [header], [], False
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix=f"ztlab-bench-{size}-") as tmp:
            directory = args.keep / str(size) if args.keep else Path(tmp)
            start = time.perf_counter()
            manifests = generate.generate(size, seed=args.seed, nca_safe=args.nca)
            generate.write(manifests, directory)
            gen_s = time.perf_counter() - start
            policies = sum(m["kind"] == "NetworkPolicy" for m in manifests)
            with_nca = use_nca and size <= args.nca_max

            ours = run_ztlab(directory, with_nca, args.max_gib)
            nca_s = nca_kib = None
            agree = "-"
            if with_nca:
                try:
                    run = peer.run_nca(directory, timeout=args.nca_timeout)
                    nca_s, nca_kib = run.seconds, run.max_rss_kib
                    if "flows" in ours:
                        same, diff = compare(
                            {tuple(f) for f in ours["flows"]}, run.connectivity()
                        )
                        agree = "yes" if same else "NO"
                        failed |= not same
                        notes += [f"size {size}: differences"] + diff if diff else []
                        if any(ours.get("skipped", {}).values()):
                            notes.append(f"size {size}: {ours['skipped']}")
                except RuntimeError as exc:
                    notes.append(f"size {size}: nca failed: {exc}")
            if "error" in ours:
                notes.append(f"size {size}: ztlab failed: {ours['error']}")
                failed = True
            rows.append(
                f"{size:>9} {policies:>8} {gen_s:>6.1f} {_secs(ours.get('load_s')):>7} "
                f"{_secs(ours.get('flows_s')):>8} {ours.get('flow_count', '-'):>8} "
                f"{_mib(ours.get('rss_peak_kib')):>8} "
                f"{_mib(ours.get('rss_base_kib')):>8} "
                f"{_secs(nca_s):>8} {_mib(nca_kib):>8} {agree}"
            )
            print(rows[-1] if len(rows) > 2 else "\n".join(rows), flush=True)
    for note in notes:
        print(note)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
