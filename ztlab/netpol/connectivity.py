"""All-pairs connectivity over workload classes, computed in bulk with numpy.

Each destination class has an ingress *profile* (the policies isolating it and
its named ports) and each source class an egress profile. A profile splits the
other side's classes into *cells* that its rules treat alike: one set of ports
admitted for sure, one set that may be admitted (ipBlock against pods whose IPs
are unknown), and the policies that admit them. A pair's answer is then the
intersection of the destination's ingress cell for the source and the source's
egress cell for the destination; distinct (ingress cell, egress cell) pairs are
few, so each intersection is computed once. Pairs are handled in row blocks to
bound memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ztlab.model import PortSet

if TYPE_CHECKING:
    from ztlab.netpol.engine import Engine, _Rule

__all__ = ["Cell", "Connectivity", "compute"]

BLOCK_ROWS = 512


@dataclass(frozen=True)
class Cell:
    """What one side admits for a set of peers: sure and possible ports."""

    sure: PortSet
    maybe: PortSet
    policies: tuple[str, ...]


OPEN = Cell(PortSet.all(), PortSet.empty(), ())
NOTHING = Cell(PortSet.empty(), PortSet.empty(), ())


class _Cells:
    """Interning of cells, so that equal cells share one id."""

    def __init__(self) -> None:
        self.ids: dict[Cell, int] = {}
        self.cells: list[Cell] = []
        self.intern(NOTHING)
        self.intern(OPEN)

    def intern(self, cell: Cell) -> int:
        found = self.ids.get(cell)
        if found is None:
            found = self.ids[cell] = len(self.cells)
            self.cells.append(cell)
        return found


def _split(
    universe: int, rules: Sequence[tuple[int, int, PortSet, str]]
) -> list[tuple[int, Cell]]:
    """Partition ``universe`` by the rules (sure mask, maybe mask, ports, policy)."""
    parts: list[tuple[int, PortSet, PortSet, tuple[str, ...]]] = [
        (universe, PortSet.empty(), PortSet.empty(), ())
    ]
    for sure_mask, maybe_mask, ports, policy in rules:
        if ports.is_empty() or not (sure_mask | maybe_mask):
            continue
        nxt: list[tuple[int, PortSet, PortSet, tuple[str, ...]]] = []
        for mask, sure, maybe, pols in parts:
            hit = mask & sure_mask
            may = mask & maybe_mask & ~sure_mask
            rest = mask & ~(sure_mask | maybe_mask)
            if hit:
                nxt.append((hit, sure | ports, maybe, _add(pols, policy)))
            if may:
                nxt.append((may, sure, maybe | ports, pols))
            if rest:
                nxt.append((rest, sure, maybe, pols))
        merged: dict[tuple, int] = {}
        for mask, sure, maybe, pols in nxt:
            key = (sure, maybe, pols)
            merged[key] = merged.get(key, 0) | mask
        parts = [(m, s, mb, p) for (s, mb, p), m in merged.items()]
    return [
        (mask, Cell(sure, maybe - sure, pols))
        for mask, sure, maybe, pols in parts
        if not (sure.is_empty() and maybe.is_empty())
    ]


def _add(policies: tuple[str, ...], policy: str) -> tuple[str, ...]:
    return policies if policy in policies else (*policies, policy)


def _bools(mask: int, n: int) -> np.ndarray:
    raw = np.frombuffer(mask.to_bytes((n + 7) // 8 or 1, "little"), dtype=np.uint8)
    return np.unpackbits(raw, bitorder="little")[:n].astype(bool)


@dataclass
class Connectivity:
    """Allowed class pairs: parallel arrays of source, destination, result id.

    ``results[i]`` is ``(sure ports, possible ports, policies)`` for pairs whose
    result id is ``i``.
    """

    src: np.ndarray
    dst: np.ndarray
    result: np.ndarray
    results: list[tuple[PortSet, PortSet, tuple[str, ...]]]

    def __len__(self) -> int:
        return int(self.src.shape[0])


def _profile_vectors(
    engine: Engine, cells: _Cells, direction: str
) -> tuple[np.ndarray, np.ndarray]:
    """Per class, its profile number; per profile, the cell id of each peer class.

    For ingress the peers are sources; for egress they are destinations.
    """
    idx = engine.index
    n = len(idx.classes)
    rules_of = engine.ingress_rules if direction == "Ingress" else engine.egress_rules
    policies_of = (
        engine.ingress_policies if direction == "Ingress" else engine.egress_policies
    )
    profile_of = np.zeros(n, dtype=np.int32)
    keys: dict[tuple, int] = {}
    firsts: list[tuple[int, tuple]] = []
    for c in idx.classes:
        i = c.index
        if not policies_of[i]:
            key: tuple = ("open",)
        elif direction == "Ingress":
            named = c.named if _uses_named(rules_of[i]) else frozenset()
            key = (tuple(id(p) for p in policies_of[i]), named)
        else:
            key = (tuple(id(p) for p in policies_of[i]),)
        number = keys.get(key)
        if number is None:
            number = keys[key] = len(firsts)
            firsts.append((i, key))
        profile_of[i] = number
    vectors = np.zeros((len(firsts), n), dtype=np.int32)
    for row, (i, key) in enumerate(firsts):
        _fill(vectors[row], engine, cells, direction, i, key, n)
    return profile_of, vectors


def _uses_named(rules: list[_Rule]) -> bool:
    return any(isinstance(p.port, str) for r in rules for p in r.rule.ports)


def _fill(
    vec: np.ndarray,
    engine: Engine,
    cells: _Cells,
    direction: str,
    i: int,
    key: tuple,
    n: int,
) -> None:
    """Write the cell id of each peer class of profile ``key`` into ``vec``."""
    if key == ("open",):
        vec[:] = cells.intern(OPEN)
        return
    idx = engine.index
    rules = (
        engine.ingress_rules[i] if direction == "Ingress" else engine.egress_rules[i]
    )
    split: list[tuple[int, int, PortSet, str]] = []
    dst_class = idx.classes[i]
    for r in rules:
        named = any(isinstance(p.port, str) for p in r.rule.ports)
        if direction == "Ingress":
            split.append(
                (r.sure, r.maybe, engine._ports_for(r, dst_class), r.policy.key)
            )
        elif not named:
            split.append((r.sure, r.maybe, engine._ports_for(r, None), r.policy.key))
        else:
            # Named ports resolve on each destination: split by named-port map.
            for group_mask in idx.portmap_mask.values():
                sure, maybe = r.sure & group_mask, r.maybe & group_mask
                if not (sure | maybe):
                    continue
                rep = next(idx.classes[j] for j in _first_bit(group_mask))
                split.append((sure, maybe, engine._ports_for(r, rep), r.policy.key))
    for mask, cell in _split(idx.all, split):
        vec[_bools(mask, n)] = cells.intern(cell)


def _first_bit(mask: int) -> list[int]:
    return [(mask & -mask).bit_length() - 1]


def _meet(
    a: Cell, b: Cell, cache: dict[tuple, tuple[PortSet, PortSet] | None]
) -> tuple[PortSet, PortSet] | None:
    """Sure and possible ports of a pair whose sides admit ``a`` and ``b``."""
    key = (a.sure, a.maybe, b.sure, b.maybe)
    if key in cache:
        return cache[key]
    sure = a.sure & b.sure
    if a.maybe.is_empty() and b.maybe.is_empty():
        result = None if sure.is_empty() else (sure, PortSet.empty())
    else:
        upper = (a.sure | a.maybe) & (b.sure | b.maybe)
        result = None if upper.is_empty() else (sure, upper - sure)
    cache[key] = result
    return result


def compute(engine: Engine) -> Connectivity:
    """Every class pair with some port allowed (or possibly allowed)."""
    n = len(engine.index.classes)
    cells = _Cells()
    in_profile, in_vectors = _profile_vectors(engine, cells, "Ingress")
    eg_profile, eg_vectors = _profile_vectors(engine, cells, "Egress")
    width = len(cells.cells)
    results: list[tuple[PortSet, PortSet, tuple[str, ...]]] = []
    result_of: dict[int, int] = {}
    meet_cache: dict[tuple, tuple[PortSet, PortSet] | None] = {}
    srcs, dsts, ids = [], [], []
    for start in range(0, n, BLOCK_ROWS):
        rows = np.arange(start, min(n, start + BLOCK_ROWS))
        ingress = in_vectors[in_profile[rows]]  # (rows D, all S)
        egress = eg_vectors[:, rows][eg_profile].T  # (rows D, all S)
        keys = ingress.astype(np.int64) * width + egress
        allowed_any = (ingress != 0) & (egress != 0)
        if not allowed_any.any():
            continue
        flat = keys[allowed_any]
        uniq, inverse = np.unique(flat, return_inverse=True)
        mapped = np.empty(uniq.shape[0], dtype=np.int32)
        for j, key in enumerate(uniq.tolist()):
            found = result_of.get(key)
            if found is None:
                a = cells.cells[key // width]
                b = cells.cells[key % width]
                ports = _meet(a, b, meet_cache)
                if ports is None:
                    found = -1
                else:
                    found = len(results)
                    pols = b.policies + tuple(
                        p for p in a.policies if p not in b.policies
                    )
                    results.append((ports[0], ports[1], pols))
                result_of[key] = found
            mapped[j] = found
        d_idx, s_idx = np.nonzero(allowed_any)
        res = mapped[inverse.reshape(-1)]
        keep = res >= 0
        srcs.append(s_idx[keep].astype(np.int32))
        dsts.append((d_idx[keep] + start).astype(np.int32))
        ids.append(res[keep])
    if not srcs:
        empty = np.zeros(0, np.int32)
        return Connectivity(empty, empty, empty, results)
    return Connectivity(
        np.concatenate(srcs), np.concatenate(dsts), np.concatenate(ids), results
    )
