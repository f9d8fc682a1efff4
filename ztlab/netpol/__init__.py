"""Kubernetes NetworkPolicy semantics: verdicts with reasons, all flows, findings.

>>> import ztlab
>>> cluster = ztlab.load("sample_clusters/online-boutique")
>>> cluster.can_reach("boutique/frontend", "boutique/adservice", 9555).allowed
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ztlab.model import Cluster, PortSet
from ztlab.netpol.engine import Engine, Flow, engine_of
from ztlab.netpol.evaluate import _single_pod, can_reach
from ztlab.netpol.verdict import RuleRef, Side, Verdict, ports_json

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "Engine",
    "Flow",
    "RuleRef",
    "Side",
    "Verdict",
    "can_reach",
    "connectivity_matrix",
    "engine_of",
    "flows",
    "ports_json",
]


def flows(
    cluster: Cluster, *, external: bool = True, include_self: bool = False
) -> list[Flow]:
    """Every allowed flow between workloads, and to and from external CIDRs.

    Flows are at workload granularity (the owning controller, or the pod for
    bare pods). A workload's connections to itself are left out unless
    ``include_self``; a single pod may always reach itself, whatever the
    policies say. External flows name the CIDRs that ipBlocks (or the lack
    of isolation: ``0.0.0.0/0`` and ``::/0``) admit.

    Limitations: external CIDRs are listed as the policies write them; they
    may include addresses of pods and nodes.
    """
    engine = engine_of(cluster)
    classes = engine.index.classes
    hostnet = engine.index.host_network
    conn = engine.connectivity()
    out: list[Flow] = []
    for s, d, r in zip(
        conn.src.tolist(), conn.dst.tolist(), conn.result.tolist(), strict=True
    ):
        sure, possible, policies = conn.results[r]
        definite = possible.is_empty() and not (hostnet >> s & 1 or hostnet >> d & 1)
        for src in classes[s].members:
            for dst in classes[d].members:
                if src is dst and (not include_self or _single_pod(src)):
                    continue
                out.append(Flow(src.key, dst.key, sure, possible, definite, policies))
    if include_self:
        # A pod cannot block access to itself (the NetworkPolicy concept page).
        out += [
            Flow(w.key, w.key, PortSet.all())
            for w in cluster.workloads.values()
            if _single_pod(w)
        ]
    if external:
        for c in classes:
            # Whether policies govern a hostNetwork pod is up to the plugin.
            sure = not (hostnet >> c.index & 1)
            for cidr, ports in engine.external_egress(c.index):
                for w in c.members:
                    out.append(
                        Flow(w.key, cidr, ports, definite=sure, dst_kind="external")
                    )
            for cidr, ports in engine.external_ingress(c.index):
                for w in c.members:
                    out.append(
                        Flow(cidr, w.key, ports, definite=sure, src_kind="external")
                    )
    out.sort(key=lambda f: (f.src, f.dst))
    return out


def connectivity_matrix(cluster: Cluster, protocol: str = "TCP") -> pd.DataFrame:
    """Allowed destination ports per (source, destination) workload pair.

    Rows are sources, columns destinations; a cell holds the allowed ports of
    ``protocol`` as text (``all``, ``80,443``, ``""`` for none).
    """
    import pandas as pd

    keys = sorted(cluster.workloads)
    cells = {k: dict.fromkeys(keys, "") for k in keys}
    for f in flows(cluster, external=False, include_self=True):
        ports = f.ports.restrict(protocol)
        if ports.is_empty():
            continue
        cells[f.src][f.dst] = (
            "all" if ports.is_all(protocol) else str(ports).split(" ", 1)[1]
        )
    return pd.DataFrame.from_dict(cells, orient="index")[keys]
