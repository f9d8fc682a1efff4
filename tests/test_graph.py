"""The networkx view of a small cluster written by hand.

The node and edge sets below are written out from the fixture itself: one node
per namespace, workload, service and identity; member_of from each object to
its namespace, runs_as from each workload to its service account, backs from
each Service to the workloads its selector matches. The flow expectations come
from the NetworkPolicy rules of SEMANTICS.md section 1 (an isolated pod admits
only what a rule allows; a pod no policy selects admits everything).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import ztlab

FIXTURE = """\
apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: v1
kind: Namespace
metadata:
  name: ops
  labels:
    team: sre
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: web-sa
  namespace: shop
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: db-sa
  namespace: shop
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      serviceAccountName: web-sa
      containers:
      - name: web
        image: web:1
        ports:
        - containerPort: 8080
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
  namespace: shop
spec:
  serviceName: db
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      serviceAccountName: db-sa
      containers:
      - name: db
        image: postgres:16
        ports:
        - containerPort: 5432
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: monitor
  namespace: ops
spec:
  selector:
    matchLabels: {app: monitor}
  template:
    metadata:
      labels: {app: monitor}
    spec:
      containers:
      - name: monitor
        image: prom:2
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  selector: {app: web}
  ports:
  - port: 80
    targetPort: 8080
---
apiVersion: v1
kind: Service
metadata:
  name: db
  namespace: shop
spec:
  selector: {app: db}
  ports:
  - port: 5432
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: db-ingress
  namespace: shop
spec:
  podSelector:
    matchLabels: {app: db}
  ingress:
  - from:
    - podSelector:
        matchLabels: {app: web}
    ports:
    - port: 5432
"""

NODES = {
    "namespace:shop": "namespace",
    "namespace:ops": "namespace",
    "workload:shop/web": "workload",
    "workload:shop/db": "workload",
    "workload:ops/monitor": "workload",
    "service:shop/web": "service",
    "service:shop/db": "service",
    "identity:shop/web-sa": "identity",
    "identity:shop/db-sa": "identity",
    # monitor names no service account: it runs as ops/default, not declared.
    "identity:ops/default": "identity",
}

STRUCTURE_EDGES = {
    ("workload:shop/web", "namespace:shop", "member_of"),
    ("workload:shop/db", "namespace:shop", "member_of"),
    ("workload:ops/monitor", "namespace:ops", "member_of"),
    ("service:shop/web", "namespace:shop", "member_of"),
    ("service:shop/db", "namespace:shop", "member_of"),
    ("identity:shop/web-sa", "namespace:shop", "member_of"),
    ("identity:shop/db-sa", "namespace:shop", "member_of"),
    ("identity:ops/default", "namespace:ops", "member_of"),
    ("workload:shop/web", "identity:shop/web-sa", "runs_as"),
    ("workload:shop/db", "identity:shop/db-sa", "runs_as"),
    ("workload:ops/monitor", "identity:ops/default", "runs_as"),
    ("service:shop/web", "workload:shop/web", "backs"),
    ("service:shop/db", "workload:shop/db", "backs"),
}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> ztlab.Cluster:
    path: Path = tmp_path_factory.mktemp("graph") / "cluster.yaml"
    path.write_text(FIXTURE, encoding="utf-8")
    loaded = ztlab.load(path, strict=True)
    assert dict(loaded.report.loaded) == {
        "Namespace": 2,
        "ServiceAccount": 2,
        "Deployment": 2,
        "StatefulSet": 1,
        "Service": 2,
        "NetworkPolicy": 1,
    }
    return loaded


def edges_of(graph) -> set[tuple[str, str, str]]:
    return {(u, v, data["kind"]) for u, v, data in graph.edges(data=True)}


def test_nodes_and_their_kinds(cluster: ztlab.Cluster) -> None:
    g = cluster.graph(flows=False)
    assert {n: d["kind"] for n, d in g.nodes(data=True)} == NODES


def test_structure_edges(cluster: ztlab.Cluster) -> None:
    g = cluster.graph(flows=False)
    assert edges_of(g) == STRUCTURE_EDGES
    assert g.number_of_edges() == len(STRUCTURE_EDGES)  # no parallel copies
    for _, _, key, data in g.edges(keys=True, data=True):
        assert key == data["kind"]


def test_node_attributes(cluster: ztlab.Cluster) -> None:
    g = cluster.graph(flows=False)
    assert g.nodes["identity:shop/web-sa"]["spiffe"] == (
        "spiffe://cluster.local/ns/shop/sa/web-sa"
    )
    assert g.nodes["identity:shop/db-sa"]["spiffe"] == (
        "spiffe://cluster.local/ns/shop/sa/db-sa"
    )
    assert g.nodes["identity:ops/default"]["spiffe"] == (
        "spiffe://cluster.local/ns/ops/sa/default"
    )
    assert g.nodes["identity:ops/default"]["inferred"] is True
    assert g.nodes["identity:shop/web-sa"]["inferred"] is False
    web = g.nodes["workload:shop/web"]
    assert (web["name"], web["namespace"], web["workload_kind"]) == (
        "web",
        "shop",
        "Deployment",
    )
    assert web["labels"] == {"app": "web"}
    assert web["service_account"] == "web-sa"
    assert g.nodes["workload:shop/db"]["workload_kind"] == "StatefulSet"
    assert g.nodes["namespace:ops"]["labels"] == {
        "team": "sre",
        "kubernetes.io/metadata.name": "ops",
    }
    assert g.nodes["service:shop/web"]["ports"] == ["80->8080/TCP"]


def test_trust_domain_reaches_the_spiffe_ids(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(FIXTURE, encoding="utf-8")
    g = ztlab.load(path, trust_domain="corp.example").graph(flows=False)
    assert g.nodes["identity:shop/db-sa"]["spiffe"] == (
        "spiffe://corp.example/ns/shop/sa/db-sa"
    )


def test_flow_edges(cluster: ztlab.Cluster) -> None:
    g = cluster.graph()
    flows = {
        (u, v, d["protocol"]): d
        for u, v, d in g.edges(data=True)
        if d["kind"] == "flow"
    }
    # The structure is unchanged by flows.
    assert {e for e in edges_of(g) if e[2] != "flow"} == STRUCTURE_EDGES

    # db is ingress-isolated by db-ingress, whose one rule admits pods labelled
    # app=web of its own namespace on TCP 5432: web reaches db on TCP 5432 only.
    web_db = {
        k: d
        for k, d in flows.items()
        if k[:2] == ("workload:shop/web", "workload:shop/db")
    }
    assert set(web_db) == {("workload:shop/web", "workload:shop/db", "TCP")}
    edge = web_db[("workload:shop/web", "workload:shop/db", "TCP")]
    assert edge["ports"] == [[5432, 5432]]
    assert edge["definite"] is True
    assert [p for p in edge["policies"] if "db-ingress" in p]

    # monitor is in ops: a podSelector-only peer selects pods of shop alone.
    assert not [
        k for k in flows if k[:2] == ("workload:ops/monitor", "workload:shop/db")
    ]

    # web is selected by no policy and no pod is egress-isolated: db reaches web
    # on every port of every protocol.
    for protocol in ("TCP", "UDP", "SCTP"):
        edge = flows[("workload:shop/db", "workload:shop/web", protocol)]
        assert edge["ports"] == [[1, 65535]]
        assert edge["policies"] == []


def test_flow_edges_carry_the_mesh_outcome():
    from pathlib import Path

    import ztlab

    root = Path(__file__).resolve().parents[1]
    g = ztlab.load(root / "sample_clusters" / "bookinfo-mesh").graph()
    edge = g.get_edge_data(
        "workload:outside/curl", "workload:bookinfo/ratings", key="flow/TCP"
    )
    # curl has no sidecar; ratings is STRICT by the mesh-wide PeerAuthentication.
    assert edge["mtls"] == "rejected"
    assert edge["mesh"]["9080"]["mtls"] == "rejected"
