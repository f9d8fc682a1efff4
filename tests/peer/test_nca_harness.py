"""Smoke test of the nca peer harness on a two-workload cluster solved by hand."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import yaml


def _load_helper():
    # By path, so the test works whatever the package layout of tests/ is.
    path = Path(__file__).with_name("nca.py")
    spec = importlib.util.spec_from_file_location("ztlab_tests_peer_nca", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


nca = _load_helper()

pytestmark = pytest.mark.skipif(
    not nca.nca_available(), reason="nca not installed (.venv-nca or ZTLAB_NCA)"
)


def _deployment(name: str, ports: list[dict]) -> dict:
    container = {"name": "main", "image": "example/app:1", "ports": ports}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "demo"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [container]},
            },
        },
    }


NAMESPACES = [
    {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "demo", "labels": {"env": "prod"}},
    }
]

WORKLOADS = [
    _deployment("client", []),
    _deployment(
        "server",
        [
            {"name": "http", "containerPort": 8080},
            {"name": "dns", "containerPort": 53, "protocol": "UDP"},
            {"name": "diameter", "containerPort": 3868, "protocol": "SCTP"},
        ],
    ),
]

POLICIES = [
    {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "server-in", "namespace": "demo"},
        "spec": {
            "podSelector": {"matchLabels": {"app": "server"}},
            "policyTypes": ["Ingress"],
            "ingress": [
                {
                    "from": [
                        {
                            "namespaceSelector": {"matchLabels": {"env": "prod"}},
                            "podSelector": {"matchLabels": {"app": "client"}},
                        }
                    ],
                    "ports": [
                        {"port": "http"},
                        {"port": 53, "protocol": "UDP"},
                        {"port": 9000, "endPort": 9005},
                    ],
                },
                {
                    "from": [
                        {
                            "ipBlock": {
                                "cidr": "203.0.113.0/24",
                                "except": ["203.0.113.128/25"],
                            }
                        }
                    ],
                    "ports": [{"port": "diameter", "protocol": "SCTP"}],
                },
            ],
        },
    },
    {
        # No policyTypes and an egress section: Ingress is implied, so the
        # client accepts nothing.
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "client-out", "namespace": "demo"},
        "spec": {
            "podSelector": {"matchLabels": {"app": "client"}},
            "egress": [
                {"to": [{"podSelector": {"matchLabels": {"app": "server"}}}]},
                {
                    "to": [{"ipBlock": {"cidr": "198.51.100.0/24"}}],
                    "ports": [{"port": 443}],
                },
            ],
        },
    },
]

# Derived by hand from SEMANTICS.md section 1:
# - client -> server: the client's egress allows every port to the server; the
#   server's ingress admits the client (namespace env=prod AND app=client) on its
#   named port http (8080/TCP), 53/UDP and 9000-9005/TCP.
# - client -> 198.51.100.0/24 on 443/TCP only; no other address.
# - server -> anything: the server is not egress-isolated, so every address on
#   every port; server -> client is denied by the client's implied Ingress.
# - 203.0.113.0/24 except 203.0.113.128/25 -> server on diameter (3868/SCTP).
# - Nothing reaches the client. Self-pairs are not reported.
ALL = (1, 65535)
EXPECTED = {
    ("demo/client", "demo/server", "TCP", 8080, 8080),
    ("demo/client", "demo/server", "TCP", 9000, 9005),
    ("demo/client", "demo/server", "UDP", 53, 53),
    ("demo/client", "198.51.100.0/24", "TCP", 443, 443),
    ("demo/server", "0.0.0.0/0", "TCP", *ALL),
    ("demo/server", "0.0.0.0/0", "UDP", *ALL),
    ("demo/server", "0.0.0.0/0", "SCTP", *ALL),
    ("203.0.113.0/25", "demo/server", "SCTP", 3868, 3868),
}


def _write(directory: Path) -> None:
    # Namespaces in their own file: nca must see their labels whatever order it
    # reads the files in.
    files = {"namespaces": NAMESPACES, "workloads": WORKLOADS, "policies": POLICIES}
    for name, docs in files.items():
        (directory / f"{name}.yaml").write_text(yaml.safe_dump_all(docs))


def test_nca_agrees_with_hand_derived_answer(tmp_path: Path) -> None:
    _write(tmp_path)

    assert nca.nca_connectivity(tmp_path) == EXPECTED


def test_nca_time_is_measured(tmp_path: Path) -> None:
    _write(tmp_path)

    assert 0 < nca.nca_time(tmp_path) < 120
