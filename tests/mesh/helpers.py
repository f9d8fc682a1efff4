"""Helpers for the mesh tests: fixtures are manifests loaded with ztlab.load."""

from __future__ import annotations

from pathlib import Path

import yaml

import ztlab
from ztlab.errors import Provenance
from ztlab.load import Document
from ztlab.model import Cluster

FIXTURES = Path(__file__).parent / "fixtures"


def load_fixture(*names: str) -> Cluster:
    """Load fixture files (relative to tests/mesh/fixtures)."""
    return ztlab.load(*(FIXTURES / n for n in names))


def cluster_from(text: str, **kwargs: object) -> Cluster:
    """Build a Cluster from a YAML stream written inline in a test."""
    docs = [
        Document(d, Provenance("inline", i + 1))
        for i, d in enumerate(yaml.safe_load_all(text))
        if d is not None
    ]
    return ztlab.build_cluster(docs, **kwargs)  # type: ignore[arg-type]


def cluster_of(*objects: dict, **kwargs: object) -> Cluster:
    """Build a Cluster from API-shaped mappings."""
    docs = [Document(o, Provenance("inline", i + 1)) for i, o in enumerate(objects)]
    return ztlab.build_cluster(docs, **kwargs)  # type: ignore[arg-type]


def namespace(name: str, **labels: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": labels},
    }


def deployment(
    ns: str,
    name: str,
    labels: dict | None = None,
    *,
    annotations: dict | None = None,
    sa: str = "default",
    ports: tuple[int, ...] = (8080,),
    host_network: bool = False,
) -> dict:
    pod_labels = {"app": name, **(labels or {})}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": pod_labels, "annotations": annotations or {}},
                "spec": {
                    "serviceAccountName": sa,
                    "hostNetwork": host_network,
                    "containers": [
                        {"name": "app", "ports": [{"containerPort": p} for p in ports]}
                    ],
                },
            },
        },
    }


def service(ns: str, name: str, ports: list[dict], app: str | None = None) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"selector": {"app": app or name}, "ports": ports},
    }


def istio(
    kind: str,
    ns: str,
    name: str,
    spec: dict,
    created: str | None = None,
    version: str = "v1",
) -> dict:
    group = "networking.istio.io" if kind == "DestinationRule" else "security.istio.io"
    meta: dict = {"name": name, "namespace": ns}
    if created:
        meta["creationTimestamp"] = created
    return {
        "apiVersion": f"{group}/{version}",
        "kind": kind,
        "metadata": meta,
        "spec": spec,
    }
