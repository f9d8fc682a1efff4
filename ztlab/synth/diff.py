"""Semantic diff of two clusters' NetworkPolicy flows: removed, added, unchanged."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from ztlab.model import Cluster, PortSet

__all__ = ["flow_diff", "summary"]


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

    Limitations: NetworkPolicy flows only (the mesh layer is checked by the
    proof); external CIDRs are compared as the engine splits them.
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


def summary(rows: list[dict[str, Any]]) -> dict[str, int]:
    """How many (src, dst) pairs lost, gained or kept some ports."""
    pairs: dict[str, set[tuple[str, str]]] = {}
    for r in rows:
        pairs.setdefault(r["change"], set()).add((r["src"], r["dst"]))
    counts = Counter({k: len(v) for k, v in pairs.items()})
    return {k: counts.get(k, 0) for k in ("removed", "added", "unchanged")}
