"""Server side: effective PeerAuthentication modes (SEMANTICS section 2, IST-PA)."""

from __future__ import annotations

import pytest

from ztlab.mesh import mesh_of

from .helpers import cluster_of, deployment, istio, namespace, service

PA = "PeerAuthentication"


def _mesh(*policies: dict, root: str = "istio-system") -> object:
    return mesh_of(
        cluster_of(
            namespace("shop", **{"istio-injection": "enabled"}),
            deployment("shop", "web", ports=(8080, 9090)),
            deployment("shop", "db", ports=(5432,)),
            service("shop", "web", [{"port": 80, "targetPort": 8080, "name": "http"}]),
            *policies,
            root_namespace=root,
        )
    )


def _mtls(mode: str) -> dict:
    return {"mtls": {"mode": mode}}


def test_no_policy_is_permissive() -> None:
    mode = _mesh().peer_mode("shop/web", 8080)
    assert (mode.mode, mode.scope, mode.policy) == ("PERMISSIVE", "default", None)


def test_mesh_scope_is_the_root_namespace_without_selector() -> None:
    mode = _mesh(istio(PA, "istio-system", "default", _mtls("STRICT"))).peer_mode(
        "shop/web", 8080
    )
    assert (mode.mode, mode.scope, mode.policy_id) == (
        "STRICT",
        "mesh",
        "peerauthentication:istio-system/default",
    )


def test_root_namespace_is_configurable() -> None:
    mesh = _mesh(istio(PA, "mesh-root", "default", _mtls("STRICT")), root="mesh-root")
    assert mesh.peer_mode("shop/web", 8080).scope == "mesh"
    # The same policy under the default root is just another namespace's policy.
    assert (
        _mesh(istio(PA, "mesh-root", "default", _mtls("STRICT")))
        .peer_mode("shop/web", 8080)
        .mode
        == "PERMISSIVE"
    )


def test_namespace_overrides_mesh_and_workload_overrides_namespace() -> None:
    mesh = _mesh(
        istio(PA, "istio-system", "default", _mtls("STRICT")),
        istio(PA, "shop", "default", _mtls("PERMISSIVE")),
        istio(
            PA,
            "shop",
            "db",
            {"selector": {"matchLabels": {"app": "db"}}, **_mtls("DISABLE")},
        ),
    )
    assert (
        mesh.peer_mode("shop/web", 8080).mode,
        mesh.peer_mode("shop/web", 8080).scope,
    ) == ("PERMISSIVE", "namespace")
    assert (
        mesh.peer_mode("shop/db", 5432).mode,
        mesh.peer_mode("shop/db", 5432).scope,
    ) == ("DISABLE", "workload")


@pytest.mark.parametrize("spec", [{"mtls": {"mode": "UNSET"}}, {"mtls": {}}, {}])
def test_unset_inherits_from_the_parent(spec: dict) -> None:
    mesh = _mesh(
        istio(PA, "istio-system", "default", _mtls("STRICT")),
        istio(PA, "shop", "default", spec),
        istio(PA, "shop", "db", {"selector": {"matchLabels": {"app": "db"}}, **spec}),
    )
    assert mesh.peer_mode("shop/web", 8080).mode == "STRICT"
    assert mesh.peer_mode("shop/db", 5432).mode == "STRICT"


def test_port_level_is_keyed_by_container_port() -> None:
    mesh = _mesh(
        istio(PA, "istio-system", "default", _mtls("STRICT")),
        istio(
            PA,
            "shop",
            "web",
            {
                "selector": {"matchLabels": {"app": "web"}},
                "portLevelMtls": {
                    "8080": {"mode": "DISABLE"},
                    "80": {"mode": "PERMISSIVE"},
                },
            },
        ),
    )
    # Container port 8080 is DISABLE; the workload itself is UNSET -> mesh STRICT.
    assert (
        mesh.peer_mode("shop/web", 8080).mode,
        mesh.peer_mode("shop/web", 8080).scope,
    ) == ("DISABLE", "port")
    assert mesh.peer_mode("shop/web", 9090).mode == "STRICT"
    # Traffic to Service port 80 arrives on container port 8080: key 80 never applies.
    verdict = mesh.evaluate(None, "shop/web", service="shop/web", service_port=80)
    assert verdict.server.mode == "DISABLE"


def test_port_level_unset_inherits_the_workload_mode() -> None:
    mesh = _mesh(
        istio(
            PA,
            "shop",
            "web",
            {
                "selector": {"matchLabels": {"app": "web"}},
                **_mtls("STRICT"),
                "portLevelMtls": {"8080": {"mode": "UNSET"}},
            },
        )
    )
    assert mesh.peer_mode("shop/web", 8080).mode == "STRICT"


def test_port_level_without_selector_is_ignored() -> None:
    mesh = _mesh(
        istio(
            PA,
            "shop",
            "default",
            {**_mtls("STRICT"), "portLevelMtls": {"8080": {"mode": "DISABLE"}}},
        )
    )
    assert mesh.peer_mode("shop/web", 8080).mode == "STRICT"


def test_oldest_wins_among_the_same_scope() -> None:
    mesh = _mesh(
        istio(PA, "shop", "zz-old", _mtls("STRICT"), created="2023-01-01T00:00:00Z"),
        istio(PA, "shop", "aa-new", _mtls("DISABLE"), created="2024-01-01T00:00:00Z"),
    )
    mode = mesh.peer_mode("shop/web", 8080)
    assert (mode.mode, mode.policy_id, mode.definite) == (
        "STRICT",
        "peerauthentication:shop/zz-old",
        True,
    )


def test_same_scope_without_timestamps_is_not_definite() -> None:
    mesh = _mesh(
        istio(PA, "shop", "a", _mtls("STRICT")),
        istio(PA, "shop", "b", _mtls("DISABLE")),
    )
    assert mesh.peer_mode("shop/web", 8080).definite is False


def test_selector_in_another_namespace_does_not_apply() -> None:
    mesh = _mesh(
        istio(
            PA,
            "other",
            "web",
            {"selector": {"matchLabels": {"app": "web"}}, **_mtls("STRICT")},
        )
    )
    assert mesh.peer_mode("shop/web", 8080).mode == "PERMISSIVE"


@pytest.mark.parametrize("version", ["v1", "v1beta1"])
def test_api_versions(version: str) -> None:
    mesh = _mesh(istio(PA, "istio-system", "default", _mtls("STRICT"), version=version))
    assert mesh.peer_mode("shop/web", 8080).mode == "STRICT"
