"""The transport outcome of a flow: mutual, plaintext or rejected, with the reason.

STRICT accepts only Istio mTLS; PERMISSIVE accepts both; DISABLE accepts only
plaintext at the sidecar. A pod without a proxy accepts plaintext and cannot
terminate Istio mTLS. Non-Istio TLS (DestinationRule SIMPLE or MUTUAL) carries no
peer identity: a STRICT server rejects it; elsewhere it reaches the application as
opaque bytes, which works only if the application terminates TLS itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from ztlab.mesh.client import ClientTLS
from ztlab.mesh.dataplane import Dataplane
from ztlab.mesh.peerauth import PeerMode

__all__ = ["Outcome", "outcome"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """``mtls`` is ``mutual``, ``plaintext`` or ``rejected``; ``identity`` is True
    when the server learns the caller's mesh identity."""

    mtls: str
    reason: str
    identity: bool
    definite: bool = True
    trap: bool = False


def outcome(
    client: ClientTLS, dst_plane: Dataplane, server: PeerMode | None
) -> Outcome:
    """Combine what the client sends with what the server accepts.

    >>> from ztlab.mesh.client import ClientTLS
    >>> from ztlab.mesh.dataplane import Dataplane
    >>> from ztlab.mesh.peerauth import PeerMode
    >>> plain = ClientTLS("plaintext", "no-proxy", "no proxy")
    >>> side = Dataplane("sidecar", "sidecar", None, "ns label", "-")
    >>> outcome(plain, side, PeerMode("STRICT", "mesh", None, "mesh STRICT")).mtls
    'rejected'
    """
    definite = client.definite and (server.definite if server is not None else True)
    sends = client.sends

    if not dst_plane.meshed or server is None:
        if sends == "istio-mtls":
            return Outcome(
                "rejected",
                f"{client.reason}; the destination has no sidecar to terminate Istio "
                "mTLS",
                False,
                definite,
            )
        if sends == "tls":
            return Outcome(
                "plaintext",
                f"{client.reason}; no sidecar at the destination, the application must "
                f"terminate that TLS itself",
                False,
                False,
            )
        return Outcome(
            "plaintext",
            f"{client.reason}; the destination has no proxy",
            False,
            definite,
        )

    if (
        dst_plane.mode == "ambient"
        and client.source != "ambient"
        and sends == "istio-mtls"
    ):
        definite = False

    mode = server.mode
    where = f"server {mode} ({server.reason})"
    if sends == "istio-mtls":
        if mode == "DISABLE":
            return Outcome(
                "rejected",
                f"{client.reason}; {where} accepts only plaintext",
                False,
                definite,
            )
        return Outcome("mutual", f"{client.reason}; {where} accepts it", True, definite)

    if mode == "STRICT":
        trap = client.auto_disabled_by is not None
        reason = f"{client.reason}; {where} rejects it"
        if trap:
            reason += (
                " (trap: the workload is STRICT under a DISABLE namespace or mesh "
                "policy, and auto mTLS follows the namespace)"
            )
        return Outcome("rejected", reason, False, definite, trap)
    if sends == "tls":
        return Outcome(
            "plaintext",
            f"{client.reason}; {where} passes it through without a peer identity; the "
            f"application must terminate that TLS itself",
            False,
            False,
        )
    return Outcome(
        "plaintext", f"{client.reason}; {where} accepts plaintext", False, definite
    )
