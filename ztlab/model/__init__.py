"""The cluster model: frozen objects, label selectors, port sets, the Cluster."""

from ztlab.model.cluster import Cluster
from ztlab.model.labels import Labels, LabelSelector, Requirement
from ztlab.model.objects import (
    ISTIO_KINDS,
    NAMESPACE_NAME_LABEL,
    WORKLOAD_KINDS,
    Container,
    ContainerPort,
    EnvVar,
    IPBlock,
    IstioResource,
    Namespace,
    NetworkPolicy,
    PolicyPeer,
    PolicyPort,
    PolicyRule,
    Service,
    ServiceAccount,
    ServicePort,
    Workload,
)
from ztlab.model.ports import PortSet
from ztlab.model.report import LoadIssue, LoadReport

__all__ = [
    "Cluster",
    "Container",
    "ContainerPort",
    "EnvVar",
    "IPBlock",
    "ISTIO_KINDS",
    "IstioResource",
    "LabelSelector",
    "Labels",
    "LoadIssue",
    "LoadReport",
    "NAMESPACE_NAME_LABEL",
    "Namespace",
    "NetworkPolicy",
    "PolicyPeer",
    "PolicyPort",
    "PolicyRule",
    "PortSet",
    "Requirement",
    "Service",
    "ServiceAccount",
    "ServicePort",
    "WORKLOAD_KINDS",
    "Workload",
]
