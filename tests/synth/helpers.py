"""Shared helpers of the export tests: samples, hand-written intents, tiny clusters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

import ztlab
from ztlab.errors import Provenance
from ztlab.load import Document, build_cluster

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ("online-boutique", "bookinfo-mesh", "fintech-zero-trust")
INTENTS = Path(__file__).with_name("intents")


def sample(name: str) -> Any:
    return ztlab.load(ROOT / "sample_clusters" / name)


def intent_file(name: str) -> Path:
    return INTENTS / f"{name}.yaml"


def hand_expected(name: str) -> set[tuple[str, str, str, int]]:
    """(src, dst, protocol, port) read from the hand-written intent file itself."""
    data = yaml.safe_load(intent_file(name).read_text())
    out = set()
    for flow in data["flows"]:
        sources = flow["from"] if isinstance(flow["from"], list) else [flow["from"]]
        targets = flow["to"] if isinstance(flow["to"], list) else [flow["to"]]
        for s in sources:
            for d in targets:
                for p in flow["ports"]:
                    out.add((s, d, flow.get("protocol", "TCP"), int(p)))
    return out


def cluster_of(*manifests: dict[str, Any]) -> Any:
    return build_cluster(
        [Document(m, Provenance("test.yaml", i + 1)) for i, m in enumerate(manifests)]
    )


def namespace(name: str, **labels: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": labels},
    }


def deployment(
    ns: str, name: str, labels: dict[str, str], ports=(), sa=None
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "containers": [
            {
                "name": "c",
                "image": "x",
                "ports": [{"containerPort": p, "protocol": "TCP"} for p in ports],
            }
        ]
    }
    if sa:
        spec["serviceAccountName"] = sa
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": spec},
        },
    }
