"""Subjects and resources taken from a loaded cluster, so that ABAC decisions
attach to the graph's identities.

Subjects are service accounts: ``subject.id`` is the SPIFFE id, plus
``namespace``, ``name``, ``labels`` and ``namespace_labels``. Resources are
services and workloads: ``resource.type`` (``service`` or ``workload``),
``resource.id`` (the graph node id, e.g. ``service:payments/ledger``),
``namespace``, ``name``, ``labels``, ``namespace_labels`` and, when the object
carries the label ``data-classification``, ``resource.data_classification``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from itertools import product
from typing import TYPE_CHECKING, Any

from ztlab.abac.schema import Attribute, AttributeSchema

if TYPE_CHECKING:
    from ztlab.model import Cluster

__all__ = [
    "CLASSIFICATION_LABEL",
    "cluster_subjects",
    "cluster_resources",
    "cluster_requests",
    "cluster_schema",
]

CLASSIFICATION_LABEL = "data-classification"


def _namespace_labels(cluster: Cluster, namespace: str) -> dict[str, str]:
    found = cluster.namespaces.get(namespace)
    labels = dict(found.labels) if found is not None else {}
    labels.setdefault("kubernetes.io/metadata.name", namespace)
    return labels


def cluster_subjects(cluster: Cluster) -> list[dict[str, Any]]:
    """One subject per service account (declared, or used by a workload).

    >>> from ztlab.model import Cluster, ServiceAccount
    >>> cluster = Cluster(service_accounts={"pay/api": ServiceAccount("pay", "api")})
    >>> cluster_subjects(cluster)[0]["id"]
    'spiffe://cluster.local/ns/pay/sa/api'
    """
    accounts = dict(cluster.service_accounts)
    for workload in cluster.workloads.values():
        identity = cluster.identity(workload)
        accounts.setdefault(identity.key, identity)
    subjects = []
    for key in sorted(accounts):
        account = accounts[key]
        subjects.append(
            {
                "id": account.spiffe_id(cluster.trust_domain),
                "namespace": account.namespace,
                "name": account.name,
                "labels": dict(account.labels),
                "namespace_labels": _namespace_labels(cluster, account.namespace),
            }
        )
    return subjects


def cluster_resources(cluster: Cluster) -> list[dict[str, Any]]:
    """One resource per service and per workload, with their labels.

    >>> from ztlab.model import Cluster, Labels, Service
    >>> labels = Labels({"data-classification": "sensitive"})
    >>> svc = Service("pay", "ledger", labels=labels)
    >>> resource = cluster_resources(Cluster(services={"pay/ledger": svc}))[0]
    >>> resource["type"], resource["id"], resource["data_classification"]
    ('service', 'service:pay/ledger', 'sensitive')
    """
    resources = []
    objects: Iterable[tuple[str, Any]] = [
        *(("service", s) for _, s in sorted(cluster.services.items())),
        *(("workload", w) for _, w in sorted(cluster.workloads.items())),
    ]
    for kind, obj in objects:
        resource: dict[str, Any] = {
            "type": kind,
            "id": obj.id,
            "namespace": obj.namespace,
            "name": obj.name,
            "labels": dict(obj.labels),
            "namespace_labels": _namespace_labels(cluster, obj.namespace),
        }
        if CLASSIFICATION_LABEL in obj.labels:
            resource["data_classification"] = obj.labels[CLASSIFICATION_LABEL]
        resources.append(resource)
    return resources


def cluster_requests(
    cluster: Cluster,
    actions: Iterable[str],
    environment: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Every subject x resource x action of the cluster, with one environment."""
    env = dict(environment or {})
    return [
        {"subject": s, "resource": r, "action": a, "environment": dict(env)}
        for s, r, a in product(
            cluster_subjects(cluster), cluster_resources(cluster), actions
        )
    ]


def cluster_schema(
    cluster: Cluster, actions: Iterable[str] = ("read", "write")
) -> AttributeSchema:
    """The attributes of cluster subjects and resources, with the cluster's values
    as domains (merge it with your own schema for environment attributes)."""
    subjects, resources = cluster_subjects(cluster), cluster_resources(cluster)

    def values(items: list[dict[str, Any]], key: str) -> tuple[str, ...] | None:
        seen = sorted({i[key] for i in items if key in i})
        return tuple(seen) or None

    return AttributeSchema(
        [
            Attribute("subject.id", "string", values(subjects, "id")),
            Attribute("subject.namespace", "string", values(subjects, "namespace")),
            Attribute("subject.name", "string"),
            Attribute("subject.labels", "map"),
            Attribute("subject.namespace_labels", "map"),
            Attribute("resource.type", "string", ("service", "workload")),
            Attribute("resource.id", "string", values(resources, "id")),
            Attribute("resource.namespace", "string", values(resources, "namespace")),
            Attribute("resource.name", "string"),
            Attribute("resource.labels", "map"),
            Attribute("resource.namespace_labels", "map"),
            Attribute(
                "resource.data_classification",
                "string",
                values(resources, "data_classification"),
            ),
            Attribute("action", "string", tuple(actions)),
        ],
        origin="<cluster>",
    )
