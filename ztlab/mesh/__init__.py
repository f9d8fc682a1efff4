"""Istio mesh simulation: dataplanes, identities, mTLS outcomes, authorization.

>>> from ztlab.model import Cluster
>>> mesh_applies(Cluster())
False
"""

from ztlab.mesh.dataplane import Dataplane, dataplane_of
from ztlab.mesh.engine import (
    Mesh,
    MeshVerdict,
    Request,
    mesh_applies,
    mesh_of,
    protocol_of,
)
from ztlab.mesh.findings import Finding, FindingObject, mesh_findings

__all__ = [
    "Dataplane",
    "Finding",
    "FindingObject",
    "Mesh",
    "MeshVerdict",
    "Request",
    "dataplane_of",
    "mesh_applies",
    "mesh_findings",
    "mesh_of",
    "protocol_of",
]
