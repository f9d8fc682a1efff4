"""Small clusters built from API-shaped mappings, for the graph tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ztlab
from ztlab.errors import Provenance
from ztlab.load import Document

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_clusters"
XSS = Path(__file__).resolve().parent / "fixtures" / "xss-cluster.yaml"

# Every payload of fixtures/xss-cluster.yaml, as written there.
PAYLOADS = (
    '<img src=x onerror="window.__xss=1;alert(1)">',
    '"><script>window.__xss=2;alert(2)</script>',
    "<img src=x onerror=window.__xss=3>",
    '<a href="javascript:window.__xss=4">click</a>',
    "</script><script>window.__xss=5;alert(5)</script>",
    '\'><svg onload="window.__xss=6">',
    '"><script>window.__xss=7</script>',
    "<script>window.__xss=8</script>",
    '<iframe srcdoc="<script>parent.__xss=9</script>"></iframe>',
    "<img src=x onerror=window.__xss=10>",
)


def namespace(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def deployment(ns: str, name: str, port: int = 8080, **labels: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "template": {
                "metadata": {"labels": {"app": name, **labels}},
                "spec": {
                    "containers": [{"name": "c", "ports": [{"containerPort": port}]}]
                },
            }
        },
    }


def deny_all(ns: str, types: tuple[str, ...] = ("Ingress", "Egress")) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "deny-all", "namespace": ns},
        "spec": {"podSelector": {}, "policyTypes": list(types)},
    }


def cluster(*docs: dict[str, Any]) -> ztlab.Cluster:
    return ztlab.build_cluster(
        Document(d, Provenance("test.yaml", i)) for i, d in enumerate(docs)
    )
