"""ztlab: a zero-trust design workbench for Kubernetes and Istio.

>>> import ztlab
>>> cluster = ztlab.load("sample_clusters/online-boutique")
>>> "boutique" in cluster.namespaces
True
"""

from ztlab.errors import LoadError, PolicyError, QueryError, ZtlabError
from ztlab.load import build_cluster, load
from ztlab.model import Cluster

__all__ = [
    "Cluster",
    "LoadError",
    "PolicyError",
    "QueryError",
    "ZtlabError",
    "build_cluster",
    "load",
]
__version__ = "0.1.0"
