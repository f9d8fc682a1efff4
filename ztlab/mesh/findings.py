"""Mesh findings: settings that weaken zero trust, each with objects and fix.

The checks live in :mod:`ztlab.mesh.findings_peer` (PeerAuthentication, sidecars,
DestinationRule TLS) and :mod:`ztlab.mesh.findings_authz` (AuthorizationPolicy);
this module collects them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from ztlab.findings import Finding
from ztlab.findings import ObjectRef as FindingObject
from ztlab.mesh.findings_authz import authorization_findings
from ztlab.mesh.findings_peer import (
    dataplane_findings,
    destination_rule_findings,
    peer_authentication_findings,
)

if TYPE_CHECKING:
    from ztlab.mesh.engine import Mesh

__all__ = ["Finding", "FindingObject", "mesh_findings"]


def _mesh(finding: Finding) -> Finding:
    """The shared finding type, marked as a mesh finding."""
    return replace(finding, category="mesh")


def mesh_findings(mesh: Mesh) -> list[Finding]:
    """Every mesh finding of a cluster, most severe first.

    >>> from ztlab.mesh.engine import mesh_of
    >>> from ztlab.model import Cluster
    >>> mesh_findings(mesh_of(Cluster()))[0].id
    'mesh.no-mesh-strict'
    """
    found = [
        *peer_authentication_findings(mesh),
        *dataplane_findings(mesh),
        *destination_rule_findings(mesh),
        *authorization_findings(mesh),
    ]
    unique = [_mesh(f) for f in {(f.id, f.message): f for f in found}.values()]
    order = {"high": 0, "medium": 1, "low": 2}
    return sorted(unique, key=lambda f: (order.get(f.severity, 3), f.id, f.message))
