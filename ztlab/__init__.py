"""ztlab: a zero-trust design workbench for Kubernetes and Istio.

>>> import ztlab
>>> cluster = ztlab.load("sample_clusters/online-boutique")
>>> "boutique" in cluster.namespaces
True
"""

from typing import Any

from ztlab.errors import LoadError, PolicyError, QueryError, ZtlabError
from ztlab.load import build_cluster, load
from ztlab.model import Cluster


def load_live(*args: Any, **kwargs: Any) -> Cluster:
    """Read a live cluster through the Kubernetes API (read-only).

    See :func:`ztlab.load.live.load_live`; the kubernetes client is imported
    only when this is called.
    """
    from ztlab.load.live import load_live as _load_live

    return _load_live(*args, **kwargs)


__all__ = [
    "Cluster",
    "LoadError",
    "PolicyError",
    "QueryError",
    "ZtlabError",
    "build_cluster",
    "load",
    "load_live",
]
__version__ = "0.1.0"
