"""The resource kinds ztlab reads from a live cluster, and how to list them.

Built-in kinds are read at the GA versions ztlab parses. Istio kinds are read
only when discovery (``/apis``) shows their group: a cluster without Istio is
normal. Secrets are not in the table and never requested.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ztlab.load.live_client import ApiFailure, LiveClient
from ztlab.model.objects import ISTIO_KINDS

__all__ = ["LiveKind", "BUILTIN_KINDS", "discover_istio"]


@dataclass(frozen=True, slots=True)
class LiveKind:
    """One resource kind as the API serves it.

    ``api`` and ``method`` name the client library's class and method stem
    (``list_namespaced_<method>``); both are empty for custom resources, which
    go through ``CustomObjectsApi``.

    >>> BUILTIN_KINDS[3].api_version, BUILTIN_KINDS[3].resource
    ('apps/v1', 'deployments.apps')
    """

    kind: str
    group: str
    version: str
    plural: str
    namespaced: bool = True
    api: str = ""
    method: str = ""

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def resource(self) -> str:
        """The resource name RBAC uses, e.g. ``deployments.apps``."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def list_call(
        self, client: LiveClient, namespace: str | None
    ) -> tuple[Callable[..., Any], tuple[Any, ...]]:
        """The client method (and its arguments) that lists this kind."""
        if not self.api:
            custom = client.api("CustomObjectsApi")
            if namespace is None or not self.namespaced:
                return custom.list_cluster_custom_object, (
                    self.group,
                    self.version,
                    self.plural,
                )
            return custom.list_namespaced_custom_object, (
                self.group,
                self.version,
                namespace,
                self.plural,
            )
        api = client.api(self.api)
        if not self.namespaced:
            return getattr(api, f"list_{self.method}"), ()
        if namespace is None:
            return getattr(api, f"list_{self.method}_for_all_namespaces"), ()
        return getattr(api, f"list_namespaced_{self.method}"), (namespace,)


BUILTIN_KINDS: tuple[LiveKind, ...] = (
    LiveKind("Namespace", "", "v1", "namespaces", False, "CoreV1Api", "namespace"),
    LiveKind(
        "ServiceAccount",
        "",
        "v1",
        "serviceaccounts",
        True,
        "CoreV1Api",
        "service_account",
    ),
    LiveKind("Service", "", "v1", "services", True, "CoreV1Api", "service"),
    LiveKind(
        "Deployment", "apps", "v1", "deployments", True, "AppsV1Api", "deployment"
    ),
    LiveKind(
        "ReplicaSet", "apps", "v1", "replicasets", True, "AppsV1Api", "replica_set"
    ),
    LiveKind(
        "StatefulSet", "apps", "v1", "statefulsets", True, "AppsV1Api", "stateful_set"
    ),
    LiveKind("DaemonSet", "apps", "v1", "daemonsets", True, "AppsV1Api", "daemon_set"),
    LiveKind(
        "ReplicationController",
        "",
        "v1",
        "replicationcontrollers",
        True,
        "CoreV1Api",
        "replication_controller",
    ),
    LiveKind("CronJob", "batch", "v1", "cronjobs", True, "BatchV1Api", "cron_job"),
    LiveKind("Job", "batch", "v1", "jobs", True, "BatchV1Api", "job"),
    LiveKind("Pod", "", "v1", "pods", True, "CoreV1Api", "pod"),
    LiveKind(
        "NetworkPolicy",
        "networking.k8s.io",
        "v1",
        "networkpolicies",
        True,
        "NetworkingV1Api",
        "network_policy",
    ),
)


def discover_istio(client: LiveClient) -> list[LiveKind]:
    """The Istio kinds the API serves, each at the best version it offers.

    A group missing from ``/apis``, or a version answering 404, is skipped
    silently; other failures raise ApiFailure.
    """
    groups = client.get(client.api("ApisApi").get_api_versions)
    served = {
        g.get("name"): g
        for g in (groups or {}).get("groups") or []
        if isinstance(g, dict)
    }
    found: dict[str, LiveKind] = {}
    for group in dict.fromkeys(g for g, _ in ISTIO_KINDS.values()):
        info = served.get(group)
        if info is None:
            continue
        wanted = {k: v for k, (g, v) in ISTIO_KINDS.items() if g == group}
        offered = [
            v.get("version") for v in info.get("versions") or [] if isinstance(v, dict)
        ]
        preferred = (info.get("preferredVersion") or {}).get("version")
        ours = list(dict.fromkeys(v for versions in wanted.values() for v in versions))
        order = [preferred] if preferred in ours else []
        order += [v for v in ours if v in offered and v not in order]
        for version in order:
            if not wanted:
                break
            try:
                listing = client.get(
                    client.api("CustomObjectsApi").get_api_resources, group, version
                )
            except ApiFailure as failure:
                if failure.status == 404:
                    continue
                raise
            for r in (listing or {}).get("resources") or []:
                kind = r.get("kind") if isinstance(r, dict) else None
                name = str(r.get("name", "")) if kind else ""
                if kind not in wanted or version not in wanted[kind] or "/" in name:
                    continue
                if "list" not in (r.get("verbs") or ["list"]):
                    continue
                found[kind] = LiveKind(
                    kind, group, version, name, bool(r.get("namespaced", True))
                )
                del wanted[kind]
    return [found[k] for k in ISTIO_KINDS if k in found]
