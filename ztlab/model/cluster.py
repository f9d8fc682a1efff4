"""The Cluster: every loaded object with its indexes, and its graph view."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from ztlab.errors import QueryError
from ztlab.model.objects import (
    IstioResource,
    Namespace,
    NetworkPolicy,
    Service,
    ServiceAccount,
    Workload,
)
from ztlab.model.report import LoadReport

if TYPE_CHECKING:
    import networkx as nx
    import pandas as pd

__all__ = ["Cluster"]


@dataclass(frozen=True, eq=False)
class Cluster:
    """A loaded cluster. Immutable: a what-if is a new Cluster (see ``replace``).

    Mappings are keyed by ``namespace/name`` (namespaces by name). Engines cache
    their work per Cluster object, so repeated queries are cheap. ``pod_cidrs``
    are the ranges pod IPs come from, when the user knows them: they make
    ipBlock verdicts definite for pods whose own IPs are unknown.
    """

    namespaces: Mapping[str, Namespace] = field(default_factory=dict)
    workloads: Mapping[str, Workload] = field(default_factory=dict)
    services: Mapping[str, Service] = field(default_factory=dict)
    service_accounts: Mapping[str, ServiceAccount] = field(default_factory=dict)
    network_policies: Mapping[str, NetworkPolicy] = field(default_factory=dict)
    istio: tuple[IstioResource, ...] = ()
    report: LoadReport = field(default_factory=LoadReport)
    trust_domain: str = "cluster.local"
    root_namespace: str = "istio-system"
    pod_cidrs: tuple[str, ...] = ()
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def replace(self, **changes: Any) -> Cluster:
        """A new Cluster with some fields changed and an empty engine cache.

        >>> Cluster().replace(trust_domain="example.org").trust_domain
        'example.org'
        """
        return replace(self, _cache={}, **changes)

    def cached(self, name: str, build: Any) -> Any:
        """The engine object ``name``, built once per Cluster by ``build()``."""
        if name not in self._cache:
            self._cache[name] = build()
        return self._cache[name]

    # Lookups

    def workload(self, key: str) -> Workload:
        """The workload ``namespace/name``; a QueryError names close matches."""
        try:
            return self.workloads[key]
        except KeyError:
            raise QueryError(_unknown("workload", key, self.workloads)) from None

    def service(self, key: str) -> Service:
        try:
            return self.services[key]
        except KeyError:
            raise QueryError(_unknown("service", key, self.services)) from None

    def workloads_in(self, namespace: str) -> list[Workload]:
        return self._index("workloads_by_ns", self.workloads).get(namespace, [])

    def policies_in(self, namespace: str) -> list[NetworkPolicy]:
        return self._index("policies_by_ns", self.network_policies).get(namespace, [])

    def istio_of_kind(self, kind: str) -> list[IstioResource]:
        return [r for r in self.istio if r.kind == kind]

    def _index(self, name: str, objects: Mapping[str, Any]) -> dict[str, list[Any]]:
        def build() -> dict[str, list[Any]]:
            out: dict[str, list[Any]] = {}
            for obj in objects.values():
                out.setdefault(obj.namespace, []).append(obj)
            return out

        index: dict[str, list[Any]] = self.cached(name, build)
        return index

    def backends(self, service: Service) -> list[Workload]:
        """The workloads a Service selects (computed once per Service)."""
        cache: dict[str, list[Workload]] = self.cached("backends", dict)
        found = cache.get(service.key)
        if found is None or service is not self.services.get(service.key):
            found = [
                w for w in self.workloads_in(service.namespace) if service.selects(w)
            ]
            if service is self.services.get(service.key):
                cache[service.key] = found
        return found

    def services_of(self, workload: Workload) -> list[Service]:
        """The Services that select a workload."""
        return [
            s
            for s in self.services.values()
            if s.namespace == workload.namespace and s.selects(workload)
        ]

    def identity(self, workload: Workload) -> ServiceAccount:
        """The service account a workload runs as (inferred if not declared)."""
        key = f"{workload.namespace}/{workload.service_account}"
        found = self.service_accounts.get(key)
        if found is not None:
            return found
        return ServiceAccount(
            workload.namespace, workload.service_account, inferred=True
        )

    def summary(self) -> dict[str, Any]:
        """Counts of what the cluster holds, for reports."""
        return {
            "namespaces": len(self.namespaces),
            "workloads": len(self.workloads),
            "services": len(self.services),
            "service_accounts": len(self.service_accounts),
            "network_policies": len(self.network_policies),
            "istio_resources": len(self.istio),
        }

    # Engines (imported lazily: the model does not depend on them)

    def can_reach(
        self,
        src: str,
        dst: str,
        port: int | str | None = None,
        protocol: str = "TCP",
    ) -> Any:
        """NetworkPolicy verdict for ``src`` opening a connection to ``dst``.

        See :func:`ztlab.netpol.can_reach`.
        """
        from ztlab import netpol

        return netpol.can_reach(self, src, dst, port=port, protocol=protocol)

    def flows(self) -> list[Any]:
        """Every allowed flow; see :func:`ztlab.netpol.flows`."""
        from ztlab import netpol

        return netpol.flows(self)

    def connectivity_matrix(self, protocol: str = "TCP") -> pd.DataFrame:
        """Allowed ports between workloads as a DataFrame (rows: sources)."""
        from ztlab import netpol

        return netpol.connectivity_matrix(self, protocol=protocol)

    def graph(self, flows: bool = True) -> nx.MultiDiGraph:
        """The networkx view; see :func:`ztlab.graph.build_graph`."""
        from ztlab.graph import build_graph

        return build_graph(self, flows=flows)


def _unknown(what: str, key: str, known: Mapping[str, Any]) -> str:
    close = difflib.get_close_matches(key, list(known), n=3)
    text = f"unknown {what} {key!r}"
    if close:
        text += f"; did you mean {', '.join(close)}?"
    elif "/" not in key:
        text += f"; write it as namespace/name, e.g. default/{key}"
    return text
