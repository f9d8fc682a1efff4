"""Semantic diff of two clusters: NetworkPolicy flows and mesh outcomes.

:func:`flow_diff` compares the ports NetworkPolicy allows; :func:`mesh_diff`
compares, per TCP port a workload listens on, the mTLS outcome and the
authorization decision.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from ztlab.model import Cluster, PortSet

__all__ = ["flow_diff", "mesh_diff", "summary", "EXTERNAL_PROBE"]

EXTERNAL_PROBE = "203.0.113.1"


def _flows(cluster: Cluster, keep: Callable[[str, str], bool]) -> dict[tuple, PortSet]:
    from ztlab.netpol import flows

    out: dict[tuple, PortSet] = {}
    for f in flows(cluster):
        if keep(f.src, f.dst):
            key = (f.src, f.dst)
            out[key] = out.get(key, PortSet.empty()) | f.ports
    return out


def flow_diff(
    before: Cluster, after: Cluster, keep: Callable[[str, str], bool] | None = None
) -> list[dict[str, Any]]:
    """One row per (src, dst, change, protocol): ``removed``, ``added`` or
    ``unchanged`` ports, sorted. ``keep(src, dst)`` limits the flows compared.

    >>> import ztlab
    >>> c = ztlab.load("sample_clusters/online-boutique")
    >>> {r["change"] for r in flow_diff(c, c)}
    {'unchanged'}

    Limitations: NetworkPolicy flows only (:func:`mesh_diff` compares the
    mesh); external CIDRs are compared as the engine splits them.
    """
    keep = keep or (lambda s, d: True)
    old, new = _flows(before, keep), _flows(after, keep)
    rows = []
    for src, dst in sorted(set(old) | set(new)):
        a = old.get((src, dst), PortSet.empty())
        b = new.get((src, dst), PortSet.empty())
        for change, ports in (
            ("removed", a - b),
            ("added", b - a),
            ("unchanged", a & b),
        ):
            for protocol in ports.protocols:
                rows.append(
                    {
                        "src": src,
                        "dst": dst,
                        "change": change,
                        "protocol": protocol,
                        "ports": str(ports.restrict(protocol)).split(" ", 1)[1],
                    }
                )
    return rows


_RANK = {"rejected": 0, "mutual": 1, "plaintext": 2}


def _outcome(mesh: Any, src: Any, dst: Any, port: int) -> tuple[str, str] | None:
    from ztlab.errors import QueryError

    try:
        if src is None:
            v = mesh.evaluate(None, dst, dst_port=port, src_ip=EXTERNAL_PROBE)
        else:
            v = mesh.evaluate(src, dst, dst_port=port)
    except QueryError:
        return None
    return v.mtls, v.authz


def _permits(outcome: tuple[str, str]) -> tuple[int, int]:
    mtls, authz = outcome
    allowed = mtls != "rejected" and authz != "deny"
    return int(allowed), _RANK.get(mtls, 2) if allowed else 0


def mesh_diff(
    before: Cluster, after: Cluster, keep: Callable[[str, str], bool] | None = None
) -> list[dict[str, Any]]:
    """One row per (src, dst, TCP port) whose mesh outcome changes.

    ``change`` is ``mesh-tightened`` (denied now, or mutual where it was
    plaintext), ``mesh-loosened`` (the reverse) or ``mesh-changed`` (denied
    both times, for another reason); ``before`` and ``after`` are
    ``mtls/authz``. The ports are the destination's TCP container ports; the
    source ``203.0.113.1`` stands for callers outside the cluster.

    >>> import ztlab
    >>> c = ztlab.load("sample_clusters/bookinfo-mesh")
    >>> mesh_diff(c, c)
    []

    Limitations: ports a workload does not declare are not compared; one
    address stands for every external caller.
    """
    from ztlab.mesh import mesh_applies, mesh_of

    if not (mesh_applies(before) or mesh_applies(after)):
        return []
    keep = keep or (lambda s, d: True)
    old, new = mesh_of(before), mesh_of(after)
    rows = []
    for dst_key in sorted(after.workloads):
        if dst_key not in before.workloads:
            continue
        dst_a, dst_b = before.workloads[dst_key], after.workloads[dst_key]
        ports = sorted({p.port for p in dst_b.ports if p.protocol == "TCP"})
        sources = [k for k in sorted(after.workloads) if k in before.workloads]
        for src_key in [*sources, EXTERNAL_PROBE]:
            if src_key == dst_key or not keep(src_key, dst_key):
                continue
            src_a = before.workloads.get(src_key)
            src_b = after.workloads.get(src_key)
            for port in ports:
                a = _outcome(old, src_a, dst_a, port)
                b = _outcome(new, src_b, dst_b, port)
                if a is None or b is None or a == b:
                    continue
                if _permits(b) > _permits(a):
                    change = "mesh-loosened"
                elif _permits(b) < _permits(a):
                    change = "mesh-tightened"
                else:
                    change = "mesh-changed"
                rows.append(
                    {
                        "src": src_key,
                        "dst": dst_key,
                        "change": change,
                        "protocol": "TCP",
                        "ports": str(port),
                        "before": "/".join(a),
                        "after": "/".join(b),
                    }
                )
    return rows


_CHANGES = (
    "removed",
    "added",
    "unchanged",
    "mesh-tightened",
    "mesh-loosened",
    "mesh-changed",
)


def summary(rows: list[dict[str, Any]]) -> dict[str, int]:
    """How many (src, dst) pairs lost, gained or kept some ports, and whose
    mesh outcome tightened, loosened or changed otherwise."""
    pairs: dict[str, set[tuple[str, str]]] = {}
    for r in rows:
        pairs.setdefault(r["change"], set()).add((r["src"], r["dst"]))
    counts = Counter({k: len(v) for k, v in pairs.items()})
    return {k: counts.get(k, 0) for k in _CHANGES}
