"""Who has a proxy (SEMANTICS section 2, IST-INJ)."""

from __future__ import annotations

import pytest

from ztlab.mesh import mesh_of

from .helpers import cluster_from, cluster_of, deployment, namespace

NS = {
    "enabled": {"istio-injection": "enabled"},
    "disabled": {"istio-injection": "disabled"},
    "rev": {"istio.io/rev": "canary"},
    "unlabeled": {},
    "ambient": {"istio.io/dataplane-mode": "ambient"},
}


def _cluster(
    ns: str, labels: dict, annotations: dict | None = None, host_network: bool = False
) -> object:
    return cluster_of(
        namespace(ns, **NS.get(ns, {})),
        deployment(ns, "w", labels, annotations=annotations, host_network=host_network),
    )


INJECT = "sidecar.istio.io/inject"


@pytest.mark.parametrize(
    ("ns", "labels", "annotations", "expected"),
    [
        ("enabled", {}, {}, "sidecar"),
        ("enabled", {INJECT: "false"}, {}, "none"),
        ("enabled", {}, {INJECT: "false"}, "none"),  # the legacy annotation counts
        ("rev", {}, {}, "sidecar"),
        ("rev", {INJECT: "false"}, {}, "none"),
        ("unlabeled", {}, {}, "none"),
        ("unlabeled", {INJECT: "true"}, {}, "sidecar"),
        ("disabled", {INJECT: "true"}, {}, "none"),  # worked example 12
        ("disabled", {}, {}, "none"),
        ("kube-system", {INJECT: "true"}, {}, "none"),
        ("ambient", {}, {}, "ambient"),
        ("unlabeled", {"istio.io/dataplane-mode": "ambient"}, {}, "ambient"),
        ("ambient", {"istio.io/dataplane-mode": "none"}, {}, "none"),
    ],
)
def test_injection_rules(
    ns: str, labels: dict, annotations: dict, expected: str
) -> None:
    cluster = _cluster(ns, labels, annotations)
    assert mesh_of(cluster).dataplane(f"{ns}/w").mode == expected


def test_host_network_is_never_injected() -> None:
    cluster = _cluster("enabled", {}, {}, host_network=True)
    plane = mesh_of(cluster).dataplane("enabled/w")
    assert plane.mode == "none"
    assert "hostNetwork" in plane.decided_by


def test_the_deciding_label_is_named() -> None:
    assert mesh_of(_cluster("enabled", {}, {})).dataplane("enabled/w").decided_by == (
        "namespace label istio-injection=enabled"
    )
    plane = mesh_of(_cluster("enabled", {INJECT: "false"}, {})).dataplane("enabled/w")
    assert plane.decided_by == f'pod label {INJECT}="false"'
    plane = mesh_of(_cluster("disabled", {INJECT: "true"}, {})).dataplane("disabled/w")
    assert plane.decided_by == "namespace label istio-injection=disabled"


def test_the_controllers_own_labels_do_not_count() -> None:
    cluster = cluster_from("""
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: w
  namespace: shop
  labels: {sidecar.istio.io/inject: "true"}
spec:
  selector: {matchLabels: {app: w}}
  template:
    metadata: {labels: {app: w}}
    spec: {containers: [{name: c}]}
""")
    assert mesh_of(cluster).dataplane("shop/w").mode == "none"


def _pod_dump(ns_labels: str, containers: str) -> object:
    return cluster_from(f"""
apiVersion: v1
kind: Namespace
metadata: {{name: shop, labels: {ns_labels}}}
---
apiVersion: v1
kind: Pod
metadata: {{name: web, namespace: shop, labels: {{app: web}}}}
spec: {{containers: {containers}}}
status: {{podIP: 10.0.0.5}}
""")


def test_observed_pods_beat_the_prediction() -> None:
    # Injection enabled after the pod started: it runs without istio-proxy.
    plane = mesh_of(_pod_dump("{istio-injection: enabled}", "[{name: app}]")).dataplane(
        "shop/web"
    )
    assert (plane.mode, plane.predicted, plane.disagrees) == ("none", "sidecar", True)
    # A pod injected by hand (istioctl kube-inject) in an unlabeled namespace.
    plane = mesh_of(_pod_dump("{}", "[{name: app}, {name: istio-proxy}]")).dataplane(
        "shop/web"
    )
    assert (plane.mode, plane.predicted, plane.disagrees) == ("sidecar", "none", True)
    plane = mesh_of(
        _pod_dump("{istio-injection: enabled}", "[{name: app}, {name: istio-proxy}]")
    ).dataplane("shop/web")
    assert (plane.mode, plane.disagrees) == ("sidecar", False)


def test_identity_uses_the_cluster_trust_domain() -> None:
    cluster = _cluster("enabled", {}, {}).replace(trust_domain="corp.example")
    assert (
        mesh_of(cluster).identity("enabled/w")
        == "spiffe://corp.example/ns/enabled/sa/default"
    )
    assert mesh_of(_cluster("unlabeled", {}, {})).identity("unlabeled/w") is None
