"""Benchmark ztlab's NetworkPolicy engine on synthetic clusters, against nca.

    python benchmarks/run.py [--sizes 100,200,500,2000,10000] [--nca-max 200]

For each size N, benchmarks/generate.py writes N workloads and N policies
(seed 0, ``nca_safe=True`` so that nca can be compared). A fresh Python process
per size then measures, with the generator's pod CIDR given so that every
ipBlock verdict is definite (see benchmarks/README.md for what each column
means):

- load: ``ztlab.load(dir, pod_cidrs=[POD_CIDR])``, YAML parsing and the model;
- connectivity: ``engine_of(cluster)`` (compiling selectors and policies) plus
  ``engine.connectivity()``, the complete answer (every class pair's allowed
  ports); the number of allowed workload pairs follows from class sizes;
- flows: ``ztlab.netpol.flows(cluster)``, one Flow per allowed workload pair
  and external CIDR, skipped when the estimated size exceeds ``--flows-max-gib``;
- memory: the process's peak RSS after connectivity and after flows, and the
  tracemalloc peak of a second, untimed compile + connectivity on a fresh copy.

nca runs on the same directory for N <= ``--nca-max`` (its own process, timed
the same way), and its answer is compared with ztlab's after the
normalisation of tests/peer/nca.py. The exit code is 1 if an answer differs or
a run fails.

Limitations: wall times on a shared 2-core machine vary by some 10 %; the
comparison covers flows between workloads and to and from IPv4 addresses, and
nca's own limits listed in tests/peer/nca.py.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import importlib.util
import io
import json
import pstats
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

# Bytes per materialised Flow (NamedTuple, its two key strings, list slot),
# measured on this machine; used only to decide whether to materialise.
FLOW_BYTES = 330
TARGETS = "2000 workloads: connectivity <= 2 s, <= 500 MiB; 10000: <= 15 s"


def _module(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


generate = _module("ztlab_bench_generate", HERE / "generate.py")
peer = _module("ztlab_tests_peer_nca", ROOT / "tests" / "peer" / "nca.py")


def _rss_kib() -> int:
    """This process's peak RSS in KiB.

    ``VmHWM`` where Linux has it: ``ru_maxrss`` of a spawned child starts at
    the parent's RSS, which survives fork and exec.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


# -- the child process ---------------------------------------------------------


def child(directory: str, result_file: str, opts: dict[str, Any]) -> None:
    """Runs in a fresh process: load, analyse, and write the figures as JSON."""
    # A cap on the address space turns a size too big for the machine into a
    # MemoryError in the table instead of swapping the machine to a halt.
    limit = int(opts["max_gib"] * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    result: dict[str, Any] = {}
    try:
        _measure(directory, opts, result)
    except Exception as exc:  # reported in the table, the run goes on
        result["error"] = f"{type(exc).__name__}: {exc}"
    Path(result_file).write_text(json.dumps(result))


def _measure(directory: str, opts: dict[str, Any], result: dict[str, Any]) -> None:
    start = time.perf_counter()
    import numpy as np

    import ztlab
    from ztlab.netpol import engine_of, flows

    result["import_s"] = time.perf_counter() - start
    result["rss_base_kib"] = _rss_kib()

    start = time.perf_counter()
    cluster = ztlab.load(directory, pod_cidrs=[generate.POD_CIDR])
    result["load_s"] = time.perf_counter() - start
    result["rss_load_kib"] = _rss_kib()
    result["workloads"] = len(cluster.workloads)
    result["policies"] = len(cluster.network_policies)

    start = time.perf_counter()
    engine = engine_of(cluster)
    result["compile_s"] = time.perf_counter() - start
    conn = engine.connectivity()
    result["connectivity_s"] = time.perf_counter() - start
    result["rss_conn_kib"] = _rss_kib()

    # Allowed workload pairs from class sizes: a class pair (s, d) stands for
    # |s| * |d| workload pairs, less the self-pairs when s == d.
    sizes = np.array([len(c.members) for c in engine.index.classes], dtype=np.int64)
    same = conn.src == conn.dst
    pairs = int((sizes[conn.src] * sizes[conn.dst]).sum() - sizes[conn.src[same]].sum())
    possible = np.array([not r[1].is_empty() for r in conn.results], dtype=bool)
    ids = conn.result
    result["classes"] = len(engine.index.classes)
    result["class_pairs"] = len(conn)
    result["workload_pairs"] = pairs
    result["indefinite_class_pairs"] = int(possible[ids].sum()) if len(ids) else 0

    estimate = pairs * FLOW_BYTES / 2**30
    result["flows_estimate_gib"] = estimate
    if estimate <= opts["flows_max_gib"]:
        start = time.perf_counter()
        materialised = flows(cluster)
        result["flows_s"] = time.perf_counter() - start
        result["rss_flows_kib"] = _rss_kib()
        result["flow_count"] = len(materialised)
        # Cross-check: the workload flows are exactly the pairs counted above.
        result["workload_flows"] = sum(
            f.src_kind == f.dst_kind == "workload" for f in materialised
        )
        if opts["want_flows"]:
            tuples = [
                (f.src, f.dst, p, lo, hi)
                for f in materialised
                for p, (lo, hi) in f.ports
            ]
            result["flows"] = sorted(peer.canonical(tuples))
            result["all_definite"] = all(f.definite for f in materialised)
        del materialised
    gc.collect()

    # Untimed: the analysis's own allocation peak, on a copy with an empty cache.
    fresh = cluster.replace()
    tracemalloc.start()
    engine_of(fresh).connectivity()
    result["tracemalloc_peak_kib"] = tracemalloc.get_traced_memory()[1] // 1024
    tracemalloc.stop()
    del fresh
    gc.collect()

    if opts["profile"]:
        fresh = cluster.replace()
        profile = cProfile.Profile()
        profile.enable()
        engine_of(fresh).connectivity()
        profile.disable()
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out).strip_dirs()
        stats.sort_stats("tottime").print_stats(18)
        stats.sort_stats("cumulative").print_stats(18)
        result["profile"] = out.getvalue()


def run_ztlab(directory: Path, opts: dict[str, Any]) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        result_file = Path(fh.name)
    try:
        cmd = [sys.executable, __file__, "--child", str(directory), str(result_file)]
        cmd += ["--child-opts", json.dumps(opts)]
        start = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.perf_counter() - start
        if proc.returncode != 0 or not result_file.stat().st_size:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:]
            return {"error": tail[0] if tail else f"exit {proc.returncode}"}
        result: dict[str, Any] = json.loads(result_file.read_text())
        result["process_s"] = wall
        return result
    finally:
        result_file.unlink(missing_ok=True)


# -- the table -------------------------------------------------------------------


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
    if value is None:
        return "-"
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


COLUMNS = (
    ("workloads", 9),
    ("policies", 8),
    ("classes", 7),
    ("load s", 7),
    ("conn s", 7),
    ("pairs", 11),
    ("flows s", 8),
    ("flows", 11),
    ("RSS conn", 8),
    ("RSS flows", 9),
    ("tm MiB", 6),
    ("nca s", 7),
    ("nca MiB", 7),
    ("speedup", 7),
    ("e2e", 5),
    ("agree", 5),
)


def _row(values: list[str]) -> str:
    return " ".join(f"{v:>{w}}" for v, (_, w) in zip(values, COLUMNS, strict=True))


def _ztlab_answer_s(ours: dict[str, Any], with_imports: bool = False) -> float:
    """ztlab's time for nca's answer: load + compile + connectivity + flows."""
    total = ours["load_s"] + ours["connectivity_s"] + ours.get("flows_s", 0.0)
    return total + (ours["import_s"] if with_imports else 0.0)


def _speedup(nca_s: float | None, ours: dict[str, Any], with_imports: bool) -> str:
    if nca_s is None or "connectivity_s" not in ours:
        return "-"
    return f"{nca_s / _ztlab_answer_s(ours, with_imports):.0f}x"


def _targets(results: dict[int, dict[str, Any]]) -> list[str]:
    lines = []

    def check(size: int, label: str, value: float | None, limit: float) -> None:
        if value is None:
            lines.append(f"  {size:>5} workloads: {label}: not measured")
            return
        verdict = "met" if value <= limit else "MISSED"
        lines.append(
            f"  {size:>5} workloads: {label} {value:.2f} <= {limit}: {verdict}"
        )

    if 2000 in results:
        r = results[2000]
        check(2000, "connectivity s", r.get("connectivity_s"), 2.0)
        rss = r.get("rss_conn_kib")
        check(2000, "peak RSS MiB", None if rss is None else rss / 1024, 500)
    if 10000 in results:
        check(10000, "connectivity s", results[10000].get("connectivity_s"), 15.0)
    if 200 in results and "nca_s" in results[200]:
        r = results[200]
        speed = r["nca_s"] / _ztlab_answer_s(r)
        verdict = "met" if speed >= 100 and r.get("agree") == "yes" else "MISSED"
        lines.append(
            f"    200 workloads: nca / ztlab {speed:.0f}x >= 100x, answers "
            f"{'identical' if r.get('agree') == 'yes' else 'DIFFER'}: {verdict}"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,200,500,2000,10000")
    parser.add_argument("--nca-max", type=int, default=200, help="0 skips nca")
    parser.add_argument("--nca-timeout", type=float, default=1800.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="write the clusters here")
    parser.add_argument(
        "--flows-max-gib",
        type=float,
        default=4.0,
        help="materialise flows() only when its estimated size is below this",
    )
    parser.add_argument(
        "--max-gib", type=float, default=16.0, help="address-space cap for ztlab"
    )
    parser.add_argument(
        "--profile", action="store_true", help="print a cProfile of connectivity"
    )
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--child-opts", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child[0], args.child[1], json.loads(args.child_opts))
        return 0

    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    use_nca = args.nca_max > 0 and peer.nca_available()
    if args.nca_max > 0 and not use_nca:
        print("nca is not installed (.venv-nca/bin/nca or ZTLAB_NCA): skipped")

    print(f"ztlab NetworkPolicy benchmark, seed {args.seed}; times in s, memory MiB")
    print(_row([name for name, _ in COLUMNS]), flush=True)
    notes: list[str] = []
    results: dict[int, dict[str, Any]] = {}
    failed = False
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix=f"ztlab-bench-{size}-") as tmp:
            directory = args.keep / str(size) if args.keep else Path(tmp)
            manifests = generate.generate(size, seed=args.seed, nca_safe=True)
            generate.write(manifests, directory)
            del manifests  # keep this process small: nca's RSS is measured too
            with_nca = use_nca and size <= args.nca_max
            opts = {
                "max_gib": args.max_gib,
                "flows_max_gib": args.flows_max_gib,
                "want_flows": with_nca,
                "profile": args.profile,
            }
            ours = run_ztlab(directory, opts)
            results[size] = ours
            nca_s = nca_kib = None
            agree = "-"
            if with_nca:
                try:
                    run = peer.run_nca(directory, timeout=args.nca_timeout)
                except RuntimeError as exc:
                    notes.append(f"size {size}: nca failed: {exc}")
                    failed = True
                else:
                    nca_s, nca_kib = run.seconds, run.max_rss_kib
                    ours["nca_s"] = nca_s
                    if "flows" in ours:
                        same, diff = compare(
                            {tuple(f) for f in ours["flows"]}, run.connectivity()
                        )
                        same &= ours.get("all_definite", False)
                        agree = ours["agree"] = "yes" if same else "NO"
                        failed |= not same
                        if diff:
                            notes += [f"size {size}: differences", *diff]
        if "error" in ours:
            notes.append(f"size {size}: ztlab failed: {ours['error']}")
            failed = True
        if (
            "workload_flows" in ours
            and ours["workload_flows"] != ours["workload_pairs"]
        ):
            notes.append(
                f"size {size}: flows() has {ours['workload_flows']} workload flows,"
                f" the class sizes say {ours['workload_pairs']}"
            )
            failed = True
        if "connectivity_s" in ours and "flows_s" not in ours:
            notes.append(
                f"size {size}: flows() not materialised: "
                f"{ours['workload_pairs']:,} pairs, about "
                f"{ours['flows_estimate_gib']:.1f} GiB > --flows-max-gib "
                f"{args.flows_max_gib}"
            )
        if ours.get("profile"):
            notes.append(f"size {size}: cProfile of compile + connectivity\n")
            notes.append(ours["profile"])
        print(
            _row(
                [
                    str(size),
                    str(ours.get("policies", "-")),
                    str(ours.get("classes", "-")),
                    _secs(ours.get("load_s")),
                    _secs(ours.get("connectivity_s")),
                    f"{ours['workload_pairs']:,}" if "workload_pairs" in ours else "-",
                    _secs(ours.get("flows_s")),
                    f"{ours['flow_count']:,}" if "flow_count" in ours else "skipped",
                    _mib(ours.get("rss_conn_kib")),
                    _mib(ours.get("rss_flows_kib")),
                    _mib(ours.get("tracemalloc_peak_kib")),
                    _secs(nca_s),
                    _mib(nca_kib),
                    _speedup(nca_s, ours, with_imports=False),
                    _speedup(nca_s, ours, with_imports=True),
                    agree,
                ]
            ),
            flush=True,
        )
    print("\ntargets (" + TARGETS + "; 200: >= 100x nca, identical answers):")
    print("\n".join(_targets(results)) or "  none of the target sizes was run")
    first = next(iter(results.values()), {})
    if "import_s" in first:
        print(
            f"\nimporting ztlab and numpy: {first['import_s']:.2f} s, RSS then "
            f"{_mib(first['rss_base_kib'])} MiB (in every RSS figure)"
        )
    for note in notes:
        print(note)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
