"""Fixed positions for views too large for the browser's physics."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ztlab.viz.view import ViewNode

__all__ = ["grouped_layout"]


def grouped_layout(
    nodes: Iterable[ViewNode], radius: float = 1000.0
) -> dict[str, tuple[float, float]]:
    """Fixed positions: one circle of namespace groups, each group a small circle.

    >>> from ztlab.viz.view import ViewNode
    >>> pos = grouped_layout([ViewNode("a/x", "x", "workload", "a"),
    ...                       ViewNode("b/y", "y", "workload", "b")])
    >>> round(pos["a/x"][0]), round(pos["b/y"][0])
    (1000, -1000)
    """
    groups: dict[str, list[ViewNode]] = {}
    for n in nodes:
        groups.setdefault(n.namespace or "(external)", []).append(n)
    out: dict[str, tuple[float, float]] = {}
    count = len(groups)
    for g, (_, members) in enumerate(sorted(groups.items())):
        angle = 2 * np.pi * g / count
        cx, cy = radius * np.cos(angle), radius * np.sin(angle)
        inner = 0.0 if len(members) == 1 else 30.0 * np.sqrt(len(members))
        for m, node in enumerate(members):
            a = 2 * np.pi * m / len(members)
            out[node.id] = (
                float(cx + inner * np.cos(a)),
                float(cy + inner * np.sin(a)),
            )
    return out
