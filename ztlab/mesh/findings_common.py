"""Helpers shared by the mesh finding modules: object refs and policy scopes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ztlab.findings import ObjectRef
from ztlab.model import IstioResource, Workload

if TYPE_CHECKING:
    from ztlab.mesh.engine import Mesh

__all__ = ["refs", "selected_workloads"]


def refs(*items: Any) -> tuple[ObjectRef, ...]:
    """Finding object refs for model objects (anything with id and provenance).

    >>> from ztlab.model import Workload
    >>> refs(Workload("Deployment", "shop", "web"))[0].id
    'workload:shop/web'
    """
    return tuple(ObjectRef(i.id, i.provenance) for i in items)


def selected_workloads(
    mesh: Mesh, policy: IstioResource, any_namespace: bool
) -> list[Workload]:
    """Workloads whose pod labels match a policy's selector.

    ``any_namespace`` lets a root-namespace policy select in every namespace (as
    AuthorizationPolicy does); otherwise only the policy's own namespace counts.

    >>> from ztlab.mesh.engine import mesh_of
    >>> from ztlab.model import Cluster, IstioResource, Workload
    >>> w = Workload("Deployment", "shop", "web")
    >>> p = IstioResource("PeerAuthentication", "security.istio.io/v1", "shop", "x", {})
    >>> [x.key for x in selected_workloads(mesh_of(Cluster(workloads={w.key: w})), p,
    ...                                    False)]
    ['shop/web']
    """
    root = mesh.cluster.root_namespace
    out = []
    for w in mesh.cluster.workloads.values():
        if w.namespace != policy.namespace and not (
            any_namespace and policy.namespace == root
        ):
            continue
        if all(w.labels.get(k) == v for k, v in (policy.selector or {}).items()):
            out.append(w)
    return out
