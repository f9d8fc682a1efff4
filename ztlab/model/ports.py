"""Port sets: per-protocol sets of inclusive port ranges over 1-65535."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

__all__ = ["PROTOCOLS", "MIN_PORT", "MAX_PORT", "PortSet", "Range"]

PROTOCOLS = ("TCP", "UDP", "SCTP")
MIN_PORT = 1
MAX_PORT = 65535

Range = tuple[int, int]


def _normalise(ranges: Iterable[Range]) -> tuple[Range, ...]:
    merged: list[list[int]] = []
    for lo, hi in sorted(ranges):
        lo, hi = max(lo, MIN_PORT), min(hi, MAX_PORT)
        if lo > hi:
            continue
        if merged and lo <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return tuple((lo, hi) for lo, hi in merged)


def _intersect(a: tuple[Range, ...], b: tuple[Range, ...]) -> tuple[Range, ...]:
    out: list[Range] = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo = max(a[i][0], b[j][0])
        hi = min(a[i][1], b[j][1])
        if lo <= hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return tuple(out)


def _subtract(a: tuple[Range, ...], b: tuple[Range, ...]) -> tuple[Range, ...]:
    out: list[Range] = []
    for lo, hi in a:
        cur = lo
        for blo, bhi in b:
            if bhi < cur or blo > hi:
                continue
            if blo > cur:
                out.append((cur, blo - 1))
            cur = max(cur, bhi + 1)
            if cur > hi:
                break
        if cur <= hi:
            out.append((cur, hi))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class PortSet:
    """An immutable set of (protocol, port) pairs stored as interval lists.

    >>> web = PortSet.of("TCP", 80, 90) | PortSet.of("UDP", 53)
    >>> (("TCP", 85) in web, ("TCP", 91) in web, ("UDP", 53) in web)
    (True, False, True)
    >>> (PortSet.all() - web).ranges("TCP")
    ((1, 79), (91, 65535))
    >>> str(web)
    'TCP 80-90, UDP 53'
    """

    by_protocol: tuple[tuple[str, tuple[Range, ...]], ...] = ()

    @classmethod
    def _from_map(cls, mapping: Mapping[str, tuple[Range, ...]]) -> PortSet:
        return cls(tuple((p, mapping[p]) for p in sorted(mapping) if mapping[p]))

    @classmethod
    def empty(cls) -> PortSet:
        return _EMPTY

    @classmethod
    def all(cls, protocols: Iterable[str] = PROTOCOLS) -> PortSet:
        """Every port of the given protocols (all three by default)."""
        protocols = tuple(protocols)
        if protocols == PROTOCOLS:
            return _ALL
        return cls._from_map({p: ((MIN_PORT, MAX_PORT),) for p in protocols})

    @classmethod
    def of(cls, protocol: str, lo: int, hi: int | None = None) -> PortSet:
        """One protocol's inclusive range ``lo..hi`` (one port when hi is None)."""
        return cls._from_map({protocol: _normalise([(lo, lo if hi is None else hi)])})

    @classmethod
    def from_ranges(cls, protocol: str, ranges: Iterable[Range]) -> PortSet:
        return cls._from_map({protocol: _normalise(ranges)})

    def as_dict(self) -> dict[str, tuple[Range, ...]]:
        return dict(self.by_protocol)

    def ranges(self, protocol: str) -> tuple[Range, ...]:
        return self.as_dict().get(protocol, ())

    @property
    def protocols(self) -> tuple[str, ...]:
        return tuple(p for p, _ in self.by_protocol)

    def is_empty(self) -> bool:
        return not self.by_protocol

    def __bool__(self) -> bool:
        return bool(self.by_protocol)

    def __contains__(self, item: object) -> bool:
        if not isinstance(item, tuple) or len(item) != 2:
            return False
        protocol, port = item
        return any(lo <= port <= hi for lo, hi in self.ranges(protocol))

    def covers(self, protocol: str, lo: int, hi: int | None = None) -> bool:
        """True when every port of ``lo..hi`` is in the set."""
        hi = lo if hi is None else hi
        return any(a <= lo and hi <= b for a, b in self.ranges(protocol))

    def __or__(self, other: PortSet) -> PortSet:
        if not other.by_protocol or self.by_protocol == other.by_protocol:
            return self
        if not self.by_protocol:
            return other
        mine, theirs = self.as_dict(), other.as_dict()
        return PortSet._from_map(
            {
                p: _normalise(mine.get(p, ()) + theirs.get(p, ()))
                for p in set(mine) | set(theirs)
            }
        )

    def __and__(self, other: PortSet) -> PortSet:
        if self.by_protocol == other.by_protocol or other is _ALL:
            return self
        if self is _ALL:
            return other
        if not self.by_protocol or not other.by_protocol:
            return _EMPTY
        mine, theirs = self.as_dict(), other.as_dict()
        return PortSet._from_map(
            {p: _intersect(mine[p], theirs[p]) for p in set(mine) & set(theirs)}
        )

    def __sub__(self, other: PortSet) -> PortSet:
        if not other.by_protocol or not self.by_protocol:
            return self
        if self.by_protocol == other.by_protocol:
            return _EMPTY
        theirs = other.as_dict()
        return PortSet._from_map(
            {p: _subtract(r, theirs.get(p, ())) for p, r in self.by_protocol}
        )

    def restrict(self, protocol: str) -> PortSet:
        """Only the ranges of one protocol."""
        return PortSet._from_map({protocol: self.ranges(protocol)})

    def size(self) -> int:
        """How many (protocol, port) pairs the set holds."""
        return sum(hi - lo + 1 for _, rs in self.by_protocol for lo, hi in rs)

    def __iter__(self) -> Iterator[tuple[str, Range]]:
        for protocol, ranges in self.by_protocol:
            for r in ranges:
                yield protocol, r

    def is_all(self, protocol: str) -> bool:
        return self.ranges(protocol) == ((MIN_PORT, MAX_PORT),)

    def __str__(self) -> str:
        if not self.by_protocol:
            return "nothing"
        parts = []
        for protocol, ranges in self.by_protocol:
            if ranges == ((MIN_PORT, MAX_PORT),):
                parts.append(f"{protocol} all ports")
                continue
            text = ",".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in ranges)
            parts.append(f"{protocol} {text}")
        return ", ".join(parts)


_EMPTY = PortSet()
_ALL = PortSet._from_map({p: ((MIN_PORT, MAX_PORT),) for p in PROTOCOLS})
