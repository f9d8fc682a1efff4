"""Every input form and every supported kind that ``ztlab.load`` reads.

Expected values come from the Kubernetes API reference (field defaults such as
effective policyTypes, typed lists printed without kind), from the shape of
``kubectl``, ``helm template`` and ``kustomize build`` output, and from the
loading rules of the foundation issue; never from ztlab's own output.
"""

from __future__ import annotations

import io
import json
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

import ztlab
from ztlab.errors import Provenance
from ztlab.load import Document, build_cluster
from ztlab.model import NAMESPACE_NAME_LABEL, ContainerPort, ServicePort

NS_SHOP = """\
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels:
    team: web
"""

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels:
    owner: platform
spec:
  replicas: 3
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
      annotations:
        sidecar.istio.io/inject: "true"
    spec:
      serviceAccountName: web-sa
      containers:
      - name: web
        image: nginx:1.27
        ports:
        - containerPort: 8080
          name: http
        - containerPort: 9090
          protocol: UDP
"""


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def load_text(tmp_path: Path, text: str, name: str = "input.yaml", **kw: Any):
    return ztlab.load(write(tmp_path, name, text), **kw)


def ns(name: str) -> str:
    return f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n"


class _Stdin:
    def __init__(self, data: bytes) -> None:
        self.buffer = io.BytesIO(data)


# Input forms


def test_single_file(tmp_path: Path) -> None:
    cluster = load_text(tmp_path, DEPLOYMENT)
    web = cluster.workloads["shop/web"]
    assert list(cluster.workloads) == ["shop/web"]
    assert web.kind == "Deployment"
    assert web.labels == {"app": "web"}
    assert web.controller_labels == {"owner": "platform"}
    assert web.annotations == {"sidecar.istio.io/inject": "true"}
    assert web.service_account == "web-sa"
    assert web.replicas == 3
    assert web.ports == (
        ContainerPort(8080, "TCP", "http"),
        ContainerPort(9090, "UDP", None),
    )
    assert web.provenance == Provenance(str(tmp_path / "input.yaml"), 1, line=1)
    assert cluster.report.files == [str(tmp_path / "input.yaml")]
    assert dict(cluster.report.loaded) == {"Deployment": 1}
    assert cluster.report.issues == []


def test_directory_is_read_recursively_skipping_hidden_and_other_files(
    tmp_path: Path,
) -> None:
    write(tmp_path, "a.yaml", ns("from-yaml"))
    write(tmp_path, "deep/er/b.yml", ns("from-yml"))
    write(tmp_path, "c.json", json.dumps(yaml.safe_load(ns("from-json"))))
    write(tmp_path, "UPPER.YAML", ns("from-upper"))
    write(tmp_path, ".hidden/d.yaml", ns("hidden-dir"))
    write(tmp_path, "sub/.git/e.yaml", ns("hidden-nested"))
    write(tmp_path, "notes.txt", ns("from-txt"))
    write(tmp_path, "kustomization.yaml.bak", ns("from-bak"))
    cluster = ztlab.load(tmp_path)
    assert sorted(cluster.namespaces) == [
        "from-json",
        "from-upper",
        "from-yaml",
        "from-yml",
    ]
    assert sorted(Path(f).name for f in cluster.report.files) == [
        "UPPER.YAML",
        "a.yaml",
        "b.yml",
        "c.json",
    ]


def test_several_paths_are_merged(tmp_path: Path) -> None:
    a = write(tmp_path, "a.yaml", ns("one"))
    b = write(tmp_path, "b.yaml", ns("two"))
    assert sorted(ztlab.load(a, str(b)).namespaces) == ["one", "two"]


def test_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", _Stdin((NS_SHOP + "---\n" + DEPLOYMENT).encode()))
    cluster = ztlab.load("-")
    assert sorted(cluster.namespaces) == ["shop"]
    assert cluster.workloads["shop/web"].provenance == Provenance("<stdin>", 2, line=8)
    assert cluster.report.files == ["<stdin>"]


def test_stdin_json(monkeypatch: pytest.MonkeyPatch) -> None:
    data = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "j"}}
    monkeypatch.setattr(sys, "stdin", _Stdin(json.dumps(data).encode()))
    assert list(ztlab.load("-").namespaces) == ["j"]


def test_multi_document_yaml_with_markers_comments_and_document_ends(
    tmp_path: Path,
) -> None:
    text = (
        "---\n"  # leading marker: no empty document before it
        "# a comment-only document follows\n"
        "---\n" + ns("a") + "...\n"  # explicit document end
        "---\n"
        "--- "
        + "\n"
        + ns("b")  # empty document, then a marker with a blank
        + "---\n"
        + ns("c")
    )
    cluster = load_text(tmp_path, text)
    assert sorted(cluster.namespaces) == ["a", "b", "c"]
    # Documents are numbered among the non-empty ones, lines count from 1.
    assert cluster.namespaces["a"].provenance.document == 1
    assert cluster.namespaces["a"].provenance.line == 4
    assert cluster.namespaces["b"].provenance.document == 2
    assert cluster.namespaces["b"].provenance.line == 11
    assert cluster.namespaces["c"].provenance.document == 3
    assert cluster.namespaces["c"].provenance.line == 16
    assert cluster.report.issues == []


def test_yaml_directive_belongs_to_its_document(tmp_path: Path) -> None:
    cluster = load_text(tmp_path, "%YAML 1.1\n---\n" + ns("a"))
    assert list(cluster.namespaces) == ["a"]
    assert cluster.report.issues == []


def test_json_kubectl_list(tmp_path: Path) -> None:
    # The shape of `kubectl get deploy,svc -n shop -o json`.
    dump = {
        "apiVersion": "v1",
        "kind": "List",
        "metadata": {"resourceVersion": ""},
        "items": [
            yaml.safe_load(DEPLOYMENT),
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": "web", "namespace": "shop"},
                "spec": {
                    "selector": {"app": "web"},
                    "ports": [{"port": 80, "targetPort": 8080, "protocol": "TCP"}],
                },
            },
        ],
    }
    path = write(tmp_path, "dump.json", json.dumps(dump, indent=4))
    cluster = ztlab.load(path)
    assert list(cluster.workloads) == ["shop/web"]
    assert list(cluster.services) == ["shop/web"]
    assert cluster.services["shop/web"].provenance.item == 2
    assert cluster.workloads["shop/web"].provenance.item == 1
    assert cluster.backends(cluster.services["shop/web"]) == [
        cluster.workloads["shop/web"]
    ]


def test_kubectl_yaml_list_points_at_items(tmp_path: Path) -> None:
    text = (
        "apiVersion: v1\nitems:\n"
        + textwrap.indent(NS_SHOP, "  ").replace("  apiVersion", "- apiVersion", 1)
        + textwrap.indent(DEPLOYMENT, "  ").replace("  apiVersion", "- apiVersion", 1)
        + 'kind: List\nmetadata:\n  resourceVersion: ""\n'
    )
    cluster = load_text(tmp_path, text)
    assert cluster.namespaces["shop"].provenance == Provenance(
        str(tmp_path / "input.yaml"), 1, line=3, item=1
    )
    assert cluster.workloads["shop/web"].provenance == Provenance(
        str(tmp_path / "input.yaml"), 1, line=9, item=2
    )
    assert cluster.workloads["shop/web"].replicas == 3


def test_typed_lists_without_kind_or_api_version_on_items(tmp_path: Path) -> None:
    # The API server's PodList / DeploymentList leave kind and apiVersion off
    # their items.
    pod_list = {
        "apiVersion": "v1",
        "kind": "PodList",
        "metadata": {"resourceVersion": "1"},
        "items": [
            {
                "metadata": {"name": "solo", "namespace": "lab"},
                "spec": {"containers": [{"name": "c", "image": "busybox"}]},
                "status": {"podIP": "10.1.0.7"},
            }
        ],
    }
    deployment = yaml.safe_load(DEPLOYMENT)
    del deployment["kind"], deployment["apiVersion"]
    deploy_list = {
        "apiVersion": "apps/v1",
        "kind": "DeploymentList",
        "items": [deployment],
    }
    write(tmp_path, "pods.json", json.dumps(pod_list))
    write(tmp_path, "deploys.yaml", yaml.safe_dump(deploy_list))
    cluster = ztlab.load(tmp_path)
    assert sorted(cluster.workloads) == ["lab/solo", "shop/web"]
    assert cluster.workloads["lab/solo"].kind == "Pod"
    assert cluster.workloads["lab/solo"].pod_ips == ("10.1.0.7",)
    assert cluster.workloads["shop/web"].kind == "Deployment"
    assert cluster.report.issues == []


def test_empty_list_loads_nothing_without_error(tmp_path: Path) -> None:
    cluster = load_text(tmp_path, "apiVersion: v1\nkind: List\nitems: []\n")
    assert cluster.workloads == {} and cluster.report.issues == []


HELM_OUTPUT = """\
---
# Source: shop/templates/serviceaccount.yaml
apiVersion: v1
kind: ServiceAccount
metadata:
  name: shop-web
  labels:
    helm.sh/chart: shop-0.1.0
    app.kubernetes.io/managed-by: Helm
---
# Source: shop/templates/service.yaml
apiVersion: v1
kind: Service
metadata:
  name: shop-web
spec:
  type: ClusterIP
  ports:
    - port: 80
      targetPort: http
      protocol: TCP
      name: http
  selector:
    app.kubernetes.io/name: shop
---
# Source: shop/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop-web
spec:
  replicas: 1
  selector:
    matchLabels:
      app.kubernetes.io/name: shop
  template:
    metadata:
      labels:
        app.kubernetes.io/name: shop
    spec:
      serviceAccountName: shop-web
      containers:
        - name: shop
          image: "nginx:1.16.0"
          ports:
            - name: http
              containerPort: 80
              protocol: TCP
---
# Source: shop/templates/tests/test-connection.yaml
apiVersion: v1
kind: Pod
metadata:
  name: "shop-web-test-connection"
  annotations:
    "helm.sh/hook": test
spec:
  containers:
    - name: wget
      image: busybox
  restartPolicy: Never
"""


def test_helm_template_output_keeps_the_source_template(tmp_path: Path) -> None:
    cluster = load_text(tmp_path, HELM_OUTPUT, default_namespace="apps")
    sa = cluster.service_accounts["apps/shop-web"]
    svc = cluster.services["apps/shop-web"]
    web = cluster.workloads["apps/shop-web"]
    test_pod = cluster.workloads["apps/shop-web-test-connection"]
    assert sa.provenance.source == "shop/templates/serviceaccount.yaml"
    assert svc.provenance.source == "shop/templates/service.yaml"
    assert web.provenance.source == "shop/templates/deployment.yaml"
    assert test_pod.provenance.source == "shop/templates/tests/test-connection.yaml"
    assert str(web.provenance) == (
        f"{tmp_path / 'input.yaml'}, document 3 (line 27) "
        "[helm source shop/templates/deployment.yaml]"
    )
    assert svc.ports == (ServicePort(80, "http", "TCP", "http"),)
    assert cluster.backends(svc) == [web]
    assert web.named_port("http", "TCP") == 80
    assert cluster.report.issues == []


KUSTOMIZE_OUTPUT = """\
apiVersion: v1
kind: Namespace
metadata:
  labels:
    env: prod
  name: prod-shop
---
apiVersion: v1
kind: ServiceAccount
metadata:
  labels:
    env: prod
  name: prod-cart
  namespace: prod-shop
---
apiVersion: v1
kind: Service
metadata:
  labels:
    env: prod
  name: prod-cart
  namespace: prod-shop
spec:
  ports:
  - port: 7070
    targetPort: 7070
  selector:
    app: cart
    env: prod
---
apiVersion: apps/v1
kind: Deployment
metadata:
  labels:
    env: prod
  name: prod-cart
  namespace: prod-shop
spec:
  selector:
    matchLabels:
      app: cart
      env: prod
  template:
    metadata:
      labels:
        app: cart
        env: prod
    spec:
      containers:
      - image: cart:v2
        name: cart
        ports:
        - containerPort: 7070
      serviceAccountName: prod-cart
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  labels:
    env: prod
  name: prod-cart-ingress
  namespace: prod-shop
spec:
  ingress:
  - ports:
    - port: 7070
  podSelector:
    matchLabels:
      app: cart
"""


def test_kustomize_build_output(tmp_path: Path) -> None:
    cluster = load_text(tmp_path, KUSTOMIZE_OUTPUT)
    assert dict(cluster.report.loaded) == {
        "Namespace": 1,
        "ServiceAccount": 1,
        "Service": 1,
        "Deployment": 1,
        "NetworkPolicy": 1,
    }
    cart = cluster.workloads["prod-shop/prod-cart"]
    assert cart.labels == {"app": "cart", "env": "prod"}
    assert cluster.namespaces["prod-shop"].labels == {
        "env": "prod",
        NAMESPACE_NAME_LABEL: "prod-shop",
    }
    assert cluster.namespaces["prod-shop"].inferred is False
    assert cluster.identity(cart) is cluster.service_accounts["prod-shop/prod-cart"]
    assert (
        cluster.network_policies["prod-shop/prod-cart-ingress"].provenance.document == 5
    )


def test_utf8_with_byte_order_mark(tmp_path: Path) -> None:
    path = write(
        tmp_path, "bom.yaml", b"\xef\xbb\xbf" + (NS_SHOP + "---\n" + ns("b")).encode()
    )
    cluster = ztlab.load(path)
    assert sorted(cluster.namespaces) == ["b", "shop"]
    assert cluster.namespaces["shop"].labels["team"] == "web"


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_byte_order_mark_from_powershell(tmp_path: Path, codec: str) -> None:
    # Windows PowerShell's `kubectl get ... -o yaml > dump.yaml` writes UTF-16
    # with a byte order mark and CRLF line ends.
    text = (NS_SHOP + "---\n" + DEPLOYMENT).replace("\n", "\r\n")
    bom = {"utf-16": b"", "utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}[codec]
    path = write(tmp_path, "ps.yaml", bom + text.encode(codec))
    cluster = ztlab.load(path)
    assert sorted(cluster.namespaces) == ["shop"]
    assert cluster.workloads["shop/web"].provenance.document == 2
    assert cluster.workloads["shop/web"].provenance.line == 8
    assert cluster.workloads["shop/web"].ports[0] == ContainerPort(8080, "TCP", "http")
    assert cluster.report.issues == []


def test_crlf_line_ends(tmp_path: Path) -> None:
    text = (ns("a") + "---\n" + ns("b") + "...\n").replace("\n", "\r\n")
    cluster = ztlab.load(write(tmp_path, "crlf.yaml", text.encode()))
    assert sorted(cluster.namespaces) == ["a", "b"]
    assert cluster.report.issues == []


def test_build_cluster_from_plain_documents() -> None:
    docs = [
        Document(yaml.safe_load(NS_SHOP), Provenance("api", 1)),
        Document(yaml.safe_load(DEPLOYMENT), Provenance("api", 2)),
    ]
    cluster = build_cluster(docs)
    assert sorted(cluster.workloads) == ["shop/web"]
    assert cluster.namespaces["shop"].provenance == Provenance("api", 1)


# Every kind


def _pod_spec(sa: str = "default", port: int = 80) -> dict[str, Any]:
    return {
        "serviceAccountName": sa,
        "containers": [
            {"name": "main", "image": "img", "ports": [{"containerPort": port}]}
        ],
    }


def _template(app: str, sa: str = "default", port: int = 80) -> dict[str, Any]:
    return {"metadata": {"labels": {"app": app}}, "spec": _pod_spec(sa, port)}


def _obj(
    api: str,
    kind: str,
    name: str,
    spec: dict[str, Any] | None = None,
    namespace: str | None = "lab",
    **extra: Any,
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    out: dict[str, Any] = {"apiVersion": api, "kind": kind, "metadata": meta}
    if spec is not None:
        out["spec"] = spec
    out.update(extra)
    return out


def load_objects(tmp_path: Path, *objects: dict[str, Any], **kw: Any):
    text = "---\n".join(yaml.safe_dump(o, sort_keys=False) for o in objects)
    return load_text(tmp_path, text, **kw)


@pytest.mark.parametrize(
    ("api", "kind", "spec"),
    [
        (
            "apps/v1",
            "Deployment",
            {"replicas": 2, "template": _template("w", "sa1", 81)},
        ),
        (
            "apps/v1",
            "StatefulSet",
            {"replicas": 2, "template": _template("w", "sa1", 81)},
        ),
        ("apps/v1", "DaemonSet", {"template": _template("w", "sa1", 81)}),
        (
            "apps/v1",
            "ReplicaSet",
            {"replicas": 2, "template": _template("w", "sa1", 81)},
        ),
        (
            "v1",
            "ReplicationController",
            {"replicas": 2, "template": _template("w", "sa1", 81)},
        ),
        ("batch/v1", "Job", {"template": _template("w", "sa1", 81)}),
        (
            "batch/v1",
            "CronJob",
            {
                "schedule": "*/5 * * * *",
                "jobTemplate": {"spec": {"template": _template("w", "sa1", 81)}},
            },
        ),
    ],
)
def test_every_controller_kind_reads_its_pod_template(
    tmp_path: Path, api: str, kind: str, spec: dict[str, Any]
) -> None:
    cluster = load_objects(tmp_path, _obj(api, kind, "w", spec))
    w = cluster.workloads["lab/w"]
    assert (w.kind, w.labels, w.service_account) == (kind, {"app": "w"}, "sa1")
    assert w.ports == (ContainerPort(81, "TCP", None),)
    assert w.replicas == spec.get("replicas")
    assert dict(cluster.report.loaded) == {kind: 1}


def test_pod_kind_and_defaults(tmp_path: Path) -> None:
    pod = _obj("v1", "Pod", "p", {"containers": [{"name": "c"}], "hostNetwork": True})
    pod["metadata"]["labels"] = {"app": "p"}
    cluster = load_objects(tmp_path, pod)
    p = cluster.workloads["lab/p"]
    assert (p.kind, p.labels, p.service_account, p.host_network) == (
        "Pod",
        {"app": "p"},
        "default",
        True,
    )
    assert p.pod_names == ("p",) and p.pod_ips == ()


def test_legacy_service_account_field(tmp_path: Path) -> None:
    pod = _obj("v1", "Pod", "p", {"serviceAccount": "old", "containers": []})
    assert load_objects(tmp_path, pod).workloads["lab/p"].service_account == "old"


def test_older_api_versions_of_controllers(tmp_path: Path) -> None:
    cluster = load_objects(
        tmp_path,
        _obj(
            "batch/v1beta1",
            "CronJob",
            "c",
            {"jobTemplate": {"spec": {"template": _template("c")}}},
        ),
        _obj("extensions/v1beta1", "Deployment", "d", {"template": _template("d")}),
    )
    assert sorted(cluster.workloads) == ["lab/c", "lab/d"]


def test_service_numeric_named_and_default_target_ports_and_no_selector(
    tmp_path: Path,
) -> None:
    cluster = load_objects(
        tmp_path,
        _obj(
            "v1",
            "Service",
            "web",
            {
                "selector": {"app": "web"},
                "ports": [
                    {"name": "http", "port": 80, "targetPort": 8080},
                    {
                        "name": "grpc",
                        "port": 9000,
                        "targetPort": "grpc",
                        "appProtocol": "grpc",
                    },
                    {"name": "dns", "port": 53, "protocol": "UDP"},
                ],
            },
        ),
        _obj(
            "v1",
            "Service",
            "external-db",
            {
                "type": "ExternalName",
                "externalName": "db.example.com",
            },
        ),
        _obj("v1", "Service", "manual", {"ports": [{"port": 5432}]}),
    )
    web = cluster.services["lab/web"]
    assert web.selector == {"app": "web"}
    assert web.ports == (
        ServicePort(80, 8080, "TCP", "http"),
        ServicePort(9000, "grpc", "TCP", "grpc", "grpc"),
        # targetPort defaults to port (Service API reference).
        ServicePort(53, 53, "UDP", "dns"),
    )
    assert web.type == "ClusterIP"
    assert cluster.services["lab/external-db"].type == "ExternalName"
    assert cluster.services["lab/external-db"].selector is None
    assert cluster.services["lab/manual"].selector is None
    assert cluster.services["lab/manual"].ports == (ServicePort(5432, 5432, "TCP"),)


def test_service_account(tmp_path: Path) -> None:
    cluster = load_objects(
        tmp_path,
        _obj("v1", "ServiceAccount", "robot", automountServiceAccountToken=False),
        _obj("v1", "ServiceAccount", "plain"),
    )
    robot = cluster.service_accounts["lab/robot"]
    assert (robot.namespace, robot.name, robot.automount_token) == (
        "lab",
        "robot",
        False,
    )
    assert robot.spiffe_id() == "spiffe://cluster.local/ns/lab/sa/robot"
    assert cluster.service_accounts["lab/plain"].automount_token is None


@pytest.mark.parametrize(
    ("spec", "types", "explicit"),
    [
        # K8S-API policyTypes: absent -> Ingress, plus Egress when egress is present.
        ({"podSelector": {}}, {"Ingress"}, False),
        ({"podSelector": {}, "ingress": [{}]}, {"Ingress"}, False),
        ({"podSelector": {}, "egress": [{}]}, {"Ingress", "Egress"}, False),
        ({"podSelector": {}, "egress": []}, {"Ingress", "Egress"}, False),
        ({"podSelector": {}, "policyTypes": ["Egress"]}, {"Egress"}, True),
        (
            {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
            {"Ingress", "Egress"},
            True,
        ),
        (
            {"podSelector": {}, "egress": [{}], "policyTypes": ["Ingress"]},
            {"Ingress"},
            True,
        ),
    ],
)
def test_network_policy_effective_policy_types(
    tmp_path: Path, spec: dict[str, Any], types: set[str], explicit: bool
) -> None:
    cluster = load_objects(
        tmp_path, _obj("networking.k8s.io/v1", "NetworkPolicy", "np", spec)
    )
    policy = cluster.network_policies["lab/np"]
    assert policy.policy_types == frozenset(types)
    assert policy.policy_types_explicit is explicit


def test_network_policy_rules_are_parsed(tmp_path: Path) -> None:
    spec = {
        "podSelector": {"matchLabels": {"app": "db"}},
        "ingress": [
            {
                "from": [
                    {
                        "namespaceSelector": {"matchLabels": {"zone": "fe"}},
                        "podSelector": {
                            "matchExpressions": [
                                {"key": "role", "operator": "In", "values": ["client"]}
                            ]
                        },
                    },
                    {"ipBlock": {"cidr": "10.0.0.0/16", "except": ["10.0.1.0/24"]}},
                ],
                "ports": [
                    {"port": 5432},
                    {"port": "metrics", "protocol": "TCP"},
                    {"port": 32000, "endPort": 32768, "protocol": "UDP"},
                ],
            }
        ],
    }
    policy = load_objects(
        tmp_path, _obj("networking.k8s.io/v1", "NetworkPolicy", "np", spec)
    ).network_policies["lab/np"]
    (rule,) = policy.ingress
    peer, block = rule.peers
    assert peer.namespace_selector.matches({"zone": "fe"})
    assert peer.pod_selector.matches({"role": "client"})
    assert not peer.pod_selector.matches({"role": "other"})
    assert block.ip_block.cidr == "10.0.0.0/16"
    assert block.ip_block.excepts == ("10.0.1.0/24",)
    assert [(p.protocol, p.port, p.end_port) for p in rule.ports] == [
        ("TCP", 5432, None),
        ("TCP", "metrics", None),
        ("UDP", 32000, 32768),
    ]
    assert policy.egress == ()


@pytest.mark.parametrize(
    ("kind", "api"),
    [
        ("PeerAuthentication", "security.istio.io/v1"),
        ("PeerAuthentication", "security.istio.io/v1beta1"),
        ("AuthorizationPolicy", "security.istio.io/v1"),
        ("AuthorizationPolicy", "security.istio.io/v1beta1"),
        ("RequestAuthentication", "security.istio.io/v1"),
        ("RequestAuthentication", "security.istio.io/v1beta1"),
        ("DestinationRule", "networking.istio.io/v1"),
        ("DestinationRule", "networking.istio.io/v1beta1"),
        ("DestinationRule", "networking.istio.io/v1alpha3"),
    ],
)
def test_istio_kinds_and_versions(tmp_path: Path, kind: str, api: str) -> None:
    spec: dict[str, Any] = {"selector": {"matchLabels": {"app": "web"}}}
    if kind == "DestinationRule":
        spec = {
            "host": "web.lab.svc.cluster.local",
            "trafficPolicy": {"tls": {"mode": "ISTIO_MUTUAL"}},
        }
    obj = _obj(api, kind, "r", spec)
    obj["metadata"]["creationTimestamp"] = "2024-03-01T10:00:00Z"
    cluster = load_objects(tmp_path, obj)
    (res,) = cluster.istio
    assert (res.kind, res.api_version, res.namespace, res.name) == (
        kind,
        api,
        "lab",
        "r",
    )
    assert res.spec == spec
    assert res.creation_timestamp == "2024-03-01T10:00:00Z"
    if kind == "DestinationRule":
        assert res.selector is None
    else:
        assert res.selector == {"app": "web"}
    assert dict(cluster.report.loaded) == {kind: 1}


def test_istio_timestamps_and_dates_read_by_yaml_become_api_text(
    tmp_path: Path,
) -> None:
    # Unquoted, YAML reads these as a timestamp and a date.
    text = """\
    apiVersion: security.istio.io/v1
    kind: AuthorizationPolicy
    metadata:
      name: r
      creationTimestamp: 2024-03-01T10:00:00Z
    spec:
      rules:
      - when:
        - key: request.headers[x-day]
          values: [2024-03-01]
    """
    (res,) = load_text(tmp_path, text).istio
    assert res.creation_timestamp == "2024-03-01T10:00:00Z"
    assert res.spec["rules"][0]["when"][0]["values"] == ["2024-03-01"]
    json.dumps(res.spec)


def test_istio_kind_in_another_group_is_not_read(tmp_path: Path) -> None:
    obj = _obj("example.com/v1", "AuthorizationPolicy", "x", {})
    cluster = load_objects(tmp_path, obj)
    assert cluster.istio == ()
    assert dict(cluster.report.skipped) == {
        "unsupported kind AuthorizationPolicy (example.com/v1)": 1
    }


# Folding pods and ReplicaSets into their owners


def _owned(kind: str, name: str) -> list[dict[str, Any]]:
    return [
        {
            "apiVersion": "apps/v1",
            "kind": kind,
            "name": name,
            "uid": "u",
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]


def _pod(
    name: str,
    labels: dict[str, str],
    owner: tuple[str, str] | None = None,
    ip: str | None = None,
    ips: list[str] | None = None,
    namespace: str = "lab",
) -> dict[str, Any]:
    pod = _obj("v1", "Pod", name, _pod_spec("web-sa", 8080), namespace=namespace)
    pod["metadata"]["labels"] = labels
    if owner:
        pod["metadata"]["ownerReferences"] = _owned(*owner)
    status: dict[str, Any] = {"phase": "Running"}
    if ip:
        status["podIP"] = ip
    if ips:
        status["podIPs"] = [{"ip": i} for i in ips]
    pod["status"] = status
    return pod


WEB_DEPLOYMENT = _obj(
    "apps/v1",
    "Deployment",
    "web",
    {"replicas": 2, "template": _template("web", "web-sa", 8080)},
)
WEB_RS = _obj(
    "apps/v1",
    "ReplicaSet",
    "web-7c9d5b",
    {
        "replicas": 2,
        "template": {
            "metadata": {"labels": {"app": "web", "pod-template-hash": "7c9d5b"}},
            "spec": _pod_spec("web-sa", 8080),
        },
    },
)
WEB_RS["metadata"]["ownerReferences"] = _owned("Deployment", "web")
HASHED = {"app": "web", "pod-template-hash": "7c9d5b"}


def test_deployment_replicaset_and_pods_fold_into_the_deployment(
    tmp_path: Path,
) -> None:
    cluster = load_objects(
        tmp_path,
        WEB_DEPLOYMENT,
        WEB_RS,
        _pod("web-7c9d5b-abcde", HASHED, ("ReplicaSet", "web-7c9d5b"), ip="10.0.0.11"),
        _pod(
            "web-7c9d5b-fghij",
            HASHED,
            ("ReplicaSet", "web-7c9d5b"),
            ips=["10.0.0.12", "fd00::12"],
        ),
    )
    assert list(cluster.workloads) == ["lab/web"]
    web = cluster.workloads["lab/web"]
    assert web.kind == "Deployment"
    assert web.labels == {"app": "web"}
    assert web.pod_ips == ("10.0.0.11", "10.0.0.12", "fd00::12")
    assert web.pod_names == ("web-7c9d5b-abcde", "web-7c9d5b-fghij")
    assert web.replicas == 2
    assert web.observed_sidecar is False
    assert web.provenance.document == 1
    assert dict(cluster.report.loaded) == {"Deployment": 1, "ReplicaSet": 1, "Pod": 2}
    assert cluster.report.issues == []


def test_pods_fold_into_deployment_by_pod_template_hash_without_replicaset(
    tmp_path: Path,
) -> None:
    # A `kubectl get pods -o yaml` dump alone: the ReplicaSet web-7c9d5b is not
    # loaded, its name is <deployment>-<pod-template-hash>.
    cluster = load_objects(
        tmp_path,
        _pod("web-7c9d5b-abcde", HASHED, ("ReplicaSet", "web-7c9d5b"), ip="10.0.0.11"),
        _pod("web-7c9d5b-fghij", HASHED, ("ReplicaSet", "web-7c9d5b"), ip="10.0.0.12"),
    )
    assert list(cluster.workloads) == ["lab/web"]
    web = cluster.workloads["lab/web"]
    assert web.kind == "Deployment"
    # The per-rollout label is dropped from a workload inferred from pods.
    assert web.labels == {"app": "web"}
    assert web.pod_ips == ("10.0.0.11", "10.0.0.12")
    assert web.service_account == "web-sa"


def test_deployment_and_pods_without_replicaset(tmp_path: Path) -> None:
    cluster = load_objects(
        tmp_path,
        WEB_DEPLOYMENT,
        _pod("web-7c9d5b-abcde", HASHED, ("ReplicaSet", "web-7c9d5b"), ip="10.0.0.11"),
    )
    assert list(cluster.workloads) == ["lab/web"]
    assert cluster.workloads["lab/web"].pod_ips == ("10.0.0.11",)
    assert cluster.workloads["lab/web"].replicas == 2


def test_replicaset_alone_folds_into_its_deployment(tmp_path: Path) -> None:
    cluster = load_objects(tmp_path, WEB_RS)
    assert list(cluster.workloads) == ["lab/web"]
    assert cluster.workloads["lab/web"].kind == "Deployment"
    assert cluster.workloads["lab/web"].labels == {"app": "web"}


def test_bare_pods_keep_their_name_and_ip(tmp_path: Path) -> None:
    cluster = load_objects(
        tmp_path,
        _pod("debug", {"app": "debug"}, ip="10.0.0.99"),
        _pod(
            "toolbox", {"app": "tools"}, ip="10.0.0.98", ips=["10.0.0.98", "fd00::98"]
        ),
    )
    assert sorted(cluster.workloads) == ["lab/debug", "lab/toolbox"]
    debug = cluster.workloads["lab/debug"]
    assert (debug.kind, debug.pod_ips, debug.pod_names) == (
        "Pod",
        ("10.0.0.99",),
        ("debug",),
    )
    assert cluster.workloads["lab/toolbox"].pod_ips == ("10.0.0.98", "fd00::98")


def test_pod_owned_by_a_node_stays_a_pod(tmp_path: Path) -> None:
    # Static (mirror) pods are owned by their Node, which is not a controller.
    pod = _pod(
        "etcd-node1", {"component": "etcd"}, ip="192.168.1.10", namespace="kube-system"
    )
    pod["metadata"]["ownerReferences"] = [
        {
            "apiVersion": "v1",
            "kind": "Node",
            "name": "node1",
            "uid": "n",
            "controller": True,
        }
    ]
    cluster = load_objects(tmp_path, pod)
    assert list(cluster.workloads) == ["kube-system/etcd-node1"]


def test_job_owned_by_cronjob_folds_into_the_cronjob(tmp_path: Path) -> None:
    cron = _obj(
        "batch/v1",
        "CronJob",
        "backup",
        {
            "schedule": "0 * * * *",
            "jobTemplate": {"spec": {"template": _template("backup", "web-sa", 8080)}},
        },
    )
    job = _obj(
        "batch/v1",
        "Job",
        "backup-28500000",
        {"template": _template("backup", "web-sa", 8080)},
    )
    job["metadata"]["ownerReferences"] = [
        {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "name": "backup",
            "uid": "c",
            "controller": True,
        }
    ]
    pod = _pod("backup-28500000-x7k2p", {"app": "backup"}, ip="10.0.0.40")
    pod["metadata"]["ownerReferences"] = [
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "name": "backup-28500000",
            "uid": "j",
            "controller": True,
        }
    ]
    cluster = load_objects(tmp_path, cron, job, pod)
    assert list(cluster.workloads) == ["lab/backup"]
    backup = cluster.workloads["lab/backup"]
    assert backup.kind == "CronJob"
    assert backup.pod_ips == ("10.0.0.40",)


def test_statefulset_pods_fold_into_the_statefulset(tmp_path: Path) -> None:
    sts = _obj(
        "apps/v1",
        "StatefulSet",
        "db",
        {
            "replicas": 2,
            "serviceName": "db",
            "template": _template("db", "web-sa", 8080),
        },
    )
    pods = [
        _pod(
            f"db-{i}",
            {
                "app": "db",
                "controller-revision-hash": "db-6c8f",
                "statefulset.kubernetes.io/pod-name": f"db-{i}",
                "apps.kubernetes.io/pod-index": str(i),
            },
            ("StatefulSet", "db"),
            ip=f"10.0.1.{i}",
        )
        for i in range(2)
    ]
    cluster = load_objects(tmp_path, sts, *pods)
    assert list(cluster.workloads) == ["lab/db"]
    db = cluster.workloads["lab/db"]
    assert (db.kind, db.pod_ips, db.pod_names) == (
        "StatefulSet",
        ("10.0.1.0", "10.0.1.1"),
        ("db-0", "db-1"),
    )
    # Per-pod labels differ from the template only by generated labels.
    assert cluster.report.issues == []


def test_statefulset_pods_alone_give_the_statefulset(tmp_path: Path) -> None:
    pod = _pod(
        "db-0",
        {"app": "db", "statefulset.kubernetes.io/pod-name": "db-0"},
        ("StatefulSet", "db"),
        ip="10.0.1.0",
    )
    cluster = load_objects(tmp_path, pod)
    db = cluster.workloads["lab/db"]
    assert (db.kind, db.labels, db.pod_ips) == (
        "StatefulSet",
        {"app": "db"},
        ("10.0.1.0",),
    )


def test_observed_sidecar_from_pods(tmp_path: Path) -> None:
    pod = _pod("web-7c9d5b-abcde", HASHED, ("ReplicaSet", "web-7c9d5b"))
    pod["spec"]["containers"].append({"name": "istio-proxy", "image": "proxyv2"})
    assert load_objects(tmp_path, pod).workloads["lab/web"].observed_sidecar is True
    assert (
        load_objects(tmp_path, WEB_DEPLOYMENT).workloads["lab/web"].observed_sidecar
        is None
    )


# Secrets, unknown kinds, namespaces


SECRET_VALUE = "c3VwZXItc2VjcmV0LXBhc3N3b3Jk"  # base64 of super-secret-password


def test_secrets_are_counted_never_read(tmp_path: Path) -> None:
    secret = _obj(
        "v1",
        "Secret",
        "db-creds",
        type="Opaque",
        data={"password": SECRET_VALUE},
        stringData={"token": "plain-" + SECRET_VALUE},
    )
    secret["metadata"]["annotations"] = {
        "kubectl.kubernetes.io/last-applied-configuration": json.dumps(secret["data"])
    }
    secret_list = {
        "apiVersion": "v1",
        "kind": "SecretList",
        "items": [{"metadata": {"name": "s2"}, "data": {"k": SECRET_VALUE}}],
    }
    cluster = load_objects(tmp_path, secret, secret_list, yaml.safe_load(NS_SHOP))
    assert cluster.report.skipped["Secret (never read)"] == 2
    assert "Secret" not in cluster.report.loaded
    assert SECRET_VALUE not in repr(cluster)
    assert SECRET_VALUE not in json.dumps(cluster.report.to_dict())


def test_secret_data_is_dropped_at_read() -> None:
    from ztlab.load.documents import read_text
    from ztlab.model.report import LoadReport

    text = yaml.safe_dump(_obj("v1", "Secret", "s", data={"password": SECRET_VALUE}))
    (doc,) = read_text(text, "s.yaml", LoadReport())
    assert doc.data == {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "s", "namespace": "lab"},
    }
    # Neither a parsed node nor the document's text is kept for a Secret.
    assert doc.text is None
    assert doc.node is None or SECRET_VALUE not in yaml.serialize(doc.node)


def test_unknown_kinds_are_counted_by_kind(tmp_path: Path) -> None:
    cluster = load_objects(
        tmp_path,
        _obj("v1", "ConfigMap", "a", data={"x": "y"}),
        _obj("v1", "ConfigMap", "b"),
        _obj("networking.k8s.io/v1", "Ingress", "c", {}),
        _obj("v2", "Deployment", "d", {}),
        _obj("v1", "Namespace", "shop", namespace=None),
    )
    assert dict(cluster.report.skipped) == {
        "unsupported kind ConfigMap": 2,
        "unsupported kind Ingress": 1,
        "unsupported kind Deployment (v2)": 1,
    }
    assert cluster.report.issues == []


def test_namespaces_declared_inferred_and_labelled(tmp_path: Path) -> None:
    declared = yaml.safe_load(NS_SHOP)
    cluster = load_objects(
        tmp_path,
        declared,
        _obj("v1", "ServiceAccount", "sa", namespace="ops"),
        _obj(
            "networking.k8s.io/v1",
            "NetworkPolicy",
            "deny",
            {"podSelector": {}},
            namespace="locked",
        ),
        _obj(
            "security.istio.io/v1",
            "PeerAuthentication",
            "mesh",
            {"mtls": {"mode": "STRICT"}},
            namespace="istio-system",
        ),
        _obj("v1", "Service", "svc", {"ports": [{"port": 1}]}, namespace="svc-only"),
        _pod("p", {"app": "p"}, namespace="pods"),
    )
    assert sorted(cluster.namespaces) == [
        "istio-system",
        "locked",
        "ops",
        "pods",
        "shop",
        "svc-only",
    ]
    for name, namespace in cluster.namespaces.items():
        assert namespace.labels[NAMESPACE_NAME_LABEL] == name
        assert namespace.inferred is (name != "shop")
    assert cluster.namespaces["shop"].labels == {
        "team": "web",
        NAMESPACE_NAME_LABEL: "shop",
    }


def test_resources_without_namespace_go_to_default(tmp_path: Path) -> None:
    objects = [
        _obj("v1", "ServiceAccount", "sa", namespace=None),
        _obj(
            "apps/v1", "Deployment", "d", {"template": _template("d")}, namespace=None
        ),
        _obj("v1", "Namespace", "other", namespace=None),
    ]
    cluster = load_objects(tmp_path, *objects)
    assert sorted(cluster.workloads) == ["default/d"]
    assert sorted(cluster.service_accounts) == ["default/sa"]
    assert sorted(cluster.namespaces) == ["default", "other"]
    assert cluster.namespaces["default"].inferred is True

    cluster = load_objects(tmp_path, *objects, default_namespace="team-a")
    assert sorted(cluster.workloads) == ["team-a/d"]
    assert sorted(cluster.service_accounts) == ["team-a/sa"]
    assert sorted(cluster.namespaces) == ["other", "team-a"]
    assert cluster.namespaces["team-a"].labels == {NAMESPACE_NAME_LABEL: "team-a"}


def test_sample_cluster_loads_cleanly() -> None:
    root = Path(__file__).resolve().parents[2] / "sample_clusters" / "online-boutique"
    cluster = ztlab.load(root)
    assert cluster.report.errors == []
    assert cluster.workloads["boutique/frontend"].service_account == "frontend"
