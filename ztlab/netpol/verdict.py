"""Verdicts with their reasons: what a NetworkPolicy query answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ztlab.errors import Provenance
from ztlab.model import PortSet

__all__ = ["RuleRef", "Side", "Verdict", "ports_json"]


def ports_json(ports: PortSet, protocol: str | None = None) -> Any:
    """Inclusive ranges as lists ``[[lo, hi], ...]`` (one protocol) or a mapping."""
    if protocol is not None:
        return [[lo, hi] for lo, hi in ports.ranges(protocol)]
    return {p: [[lo, hi] for lo, hi in r] for p, r in ports.by_protocol}


@dataclass(frozen=True, slots=True)
class RuleRef:
    """One rule of one policy (and the peer of it that matched, if any).

    ``rule`` and ``peer`` count from 0 here; text and JSON count from 1, as a
    reader of the manifest does.
    """

    policy: str
    direction: str
    rule: int
    peer: int | None = None
    provenance: Provenance | None = None

    def __str__(self) -> str:
        text = f"{self.policy} {self.direction.lower()} rule {self.rule + 1}"
        if self.peer is not None:
            text += f" peer {self.peer + 1}"
        return text

    def to_dict(self) -> dict[str, Any]:
        where = self.provenance
        return {
            "policy": self.policy,
            "direction": self.direction,
            "rule": self.rule + 1,
            "peer": None if self.peer is None else self.peer + 1,
            "file": where.file if where else None,
            "line": where.line if where else None,
        }


@dataclass(frozen=True)
class Side:
    """One direction of a flow: the source's egress or the destination's ingress.

    ``isolated_by`` lists the policies that isolate the pod in this direction;
    ``allowed_by`` the rules that admit the other end; ``ports`` what they admit
    (definitely); ``possible`` what they may admit where the answer is
    implementation-defined.
    """

    direction: str
    endpoint: str
    isolated_by: tuple[str, ...]
    allowed_by: tuple[RuleRef, ...]
    ports: PortSet
    possible: PortSet
    reason: str
    closest: str | None = None

    @property
    def isolated(self) -> bool:
        return bool(self.isolated_by)

    def to_dict(self) -> dict[str, Any]:
        return {
            "direction": self.direction,
            "endpoint": self.endpoint,
            "isolated": self.isolated,
            "isolated_by": list(self.isolated_by),
            "allowed_by": [r.to_dict() for r in self.allowed_by],
            "ports": ports_json(self.ports),
            "reason": self.reason,
            "closest": self.closest,
        }


@dataclass(frozen=True)
class Verdict:
    """Whether ``src`` may open a connection to ``dst`` under NetworkPolicy.

    ``allowed`` is the answer for the asked port (any port when none was
    asked); ``definite`` is False where the answer depends on the network
    plugin, and ``reasons`` say why. ``ports`` holds every port allowed
    between the two. A Service query carries one verdict per backend.
    """

    src: str
    dst: str
    protocol: str
    port: int | str | None
    allowed: bool
    definite: bool
    ports: PortSet
    egress: Side | None
    ingress: Side | None
    reasons: tuple[str, ...]
    target_ports: tuple[int, ...] = ()
    backends: tuple[Verdict, ...] = field(default=())

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)

    def to_dict(self) -> dict[str, Any]:
        return {
            "src": self.src,
            "dst": self.dst,
            "protocol": self.protocol,
            "port": self.port,
            "allowed": self.allowed,
            "definite": self.definite,
            "reason": self.reason,
            "ports": ports_json(self.ports),
            "egress": [self.egress.to_dict()] if self.egress else [],
            "ingress": [self.ingress.to_dict()] if self.ingress else [],
            "backends": [b.to_dict() for b in self.backends],
        }

    def __str__(self) -> str:
        word = "allowed" if self.allowed else "denied"
        if not self.definite:
            word += " (not definite)"
        port = f" port {self.port}" if self.port is not None else ""
        return f"{self.src} -> {self.dst} {self.protocol}{port}: {word}: {self.reason}"
