"""Resolve a rule's ports against the destination workload."""

from __future__ import annotations

from ztlab.model import PolicyPort, PortSet, Workload
from ztlab.model.ports import MAX_PORT, MIN_PORT

__all__ = ["rule_ports", "entry_ports"]


def entry_ports(entry: PolicyPort, destination: Workload | None) -> PortSet:
    """The destination ports one ``ports`` entry admits.

    A named port is looked up on the destination's own container ports, by name
    and protocol; an external destination, or a pod without that name, gets
    nothing from the entry.
    """
    if entry.port is None:
        return PortSet.of(entry.protocol, MIN_PORT, MAX_PORT)
    if isinstance(entry.port, int):
        return PortSet.of(entry.protocol, entry.port, entry.end_port)
    if destination is None:
        return PortSet.empty()
    number = destination.named_port(entry.port, entry.protocol)
    if number is None:
        return PortSet.empty()
    return PortSet.of(entry.protocol, number)


def rule_ports(ports: tuple[PolicyPort, ...], destination: Workload | None) -> PortSet:
    """The union over a rule's ``ports``; an empty list admits every port.

    >>> from ztlab.model import PolicyPort
    >>> str(rule_ports((PolicyPort("TCP", 32000, 32768),), None))
    'TCP 32000-32768'
    >>> str(rule_ports((), None))
    'SCTP all ports, TCP all ports, UDP all ports'
    """
    if not ports:
        return PortSet.all()
    out = PortSet.empty()
    for entry in ports:
        out = out | entry_ports(entry, destination)
    return out
