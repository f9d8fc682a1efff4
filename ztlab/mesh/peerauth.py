"""Server side: the effective PeerAuthentication mode of a workload's port.

Scopes (IST-PA): a policy in the root namespace without selector is mesh-wide;
one in a namespace without selector covers that namespace; one with a selector
covers the matching workloads of its own namespace, and only such a policy may
carry ``portLevelMtls``, keyed by container port. The most specific scope wins;
``UNSET`` (or no ``mtls``) inherits from the scope above; with no policy at all
the mode is PERMISSIVE. Among policies of one scope the oldest (creationTimestamp,
then name) wins and the others are ignored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ztlab.model import Cluster, IstioResource, Workload

__all__ = ["PeerMode", "PeerAuthIndex", "MODES", "mode_of", "oldest_first"]

MODES = ("STRICT", "PERMISSIVE", "DISABLE", "UNSET")


@dataclass(frozen=True, slots=True)
class PeerMode:
    """An effective mode, the scope that set it and the deciding policy.

    ``scope`` is ``mesh``, ``namespace``, ``workload``, ``port`` or ``default``
    (no policy set a mode). ``definite`` is False when same-scope policies
    without creationTimestamp compete, so the winner depends on apply order.
    """

    mode: str
    scope: str
    policy: IstioResource | None
    reason: str
    definite: bool = True

    @property
    def policy_id(self) -> str | None:
        return self.policy.id if self.policy is not None else None


def mode_of(spec_mtls: object) -> str:
    """The mode string of an ``mtls`` block; UNSET when absent or unknown."""
    if isinstance(spec_mtls, dict):
        mode = str(spec_mtls.get("mode") or "UNSET").upper()
        return mode if mode in MODES else "UNSET"
    return "UNSET"


def oldest_first(policies: Iterable[IstioResource]) -> list[IstioResource]:
    """Policies ordered as Istio ranks equals: oldest creationTimestamp, then name."""
    return sorted(
        policies, key=lambda p: (p.creation_timestamp or "", p.namespace, p.name)
    )


def _has_selector(policy: IstioResource) -> bool:
    # An empty matchLabels selects the whole namespace, like no selector.
    return bool(policy.selector)


@dataclass(frozen=True, slots=True)
class _Pick:
    winner: IstioResource | None
    ignored: tuple[IstioResource, ...]
    definite: bool


def _pick(candidates: list[IstioResource]) -> _Pick:
    if not candidates:
        return _Pick(None, (), True)
    ordered = oldest_first(candidates)
    definite = len(ordered) == 1 or all(p.creation_timestamp for p in ordered)
    return _Pick(ordered[0], tuple(ordered[1:]), definite)


class PeerAuthIndex:
    """PeerAuthentications of a cluster, indexed by scope.

    >>> from ztlab.model import Cluster, IstioResource, Workload
    >>> pa = IstioResource("PeerAuthentication", "security.istio.io/v1",
    ...                    "istio-system", "default", {"mtls": {"mode": "STRICT"}})
    >>> index = PeerAuthIndex(Cluster(istio=(pa,)))
    >>> index.mode_for(Workload("Deployment", "shop", "web"), 8080).mode
    'STRICT'
    """

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.root = cluster.root_namespace
        self.policies = cluster.istio_of_kind("PeerAuthentication")
        by_ns: dict[str, list[IstioResource]] = {}
        for policy in self.policies:
            if not _has_selector(policy):
                by_ns.setdefault(policy.namespace, []).append(policy)
        self._namespace_picks = {ns: _pick(ps) for ns, ps in by_ns.items()}

    # Scopes

    def mesh_policy(self) -> _Pick:
        return self._namespace_picks.get(self.root, _Pick(None, (), True))

    def namespace_policy(self, namespace: str) -> _Pick:
        if namespace == self.root:
            return _Pick(None, (), True)
        return self._namespace_picks.get(namespace, _Pick(None, (), True))

    def workload_policy(self, workload: Workload) -> _Pick:
        matching = [
            p
            for p in self.policies
            if _has_selector(p)
            and p.namespace == workload.namespace
            and all(workload.labels.get(k) == v for k, v in (p.selector or {}).items())
        ]
        return _pick(matching)

    def duplicates(self) -> list[tuple[IstioResource, tuple[IstioResource, ...]]]:
        """Same-scope policies where the newer ones are ignored: (winner, ignored)."""
        out = [
            (pick.winner, pick.ignored)
            for pick in self._namespace_picks.values()
            if pick.winner is not None and pick.ignored
        ]
        seen: set[tuple[str, ...]] = set()
        for workload in self.cluster.workloads.values():
            pick = self.workload_policy(workload)
            if pick.winner is not None and pick.ignored:
                key = tuple(p.key for p in (pick.winner, *pick.ignored))
                if key not in seen:
                    seen.add(key)
                    out.append((pick.winner, pick.ignored))
        return out

    # Effective modes

    def namespace_mode(self, namespace: str) -> PeerMode:
        """The mode from mesh and namespace policies only (no workload policy).

        This is what auto mTLS on the client side can see of a destination.
        """
        mode = PeerMode(
            "PERMISSIVE", "default", None, "no PeerAuthentication: PERMISSIVE"
        )
        for scope, pick in (
            ("mesh", self.mesh_policy()),
            ("namespace", self.namespace_policy(namespace)),
        ):
            mode = _apply(mode, scope, pick)
        return mode

    def mode_for(self, workload: Workload, port: int | None) -> PeerMode:
        """The effective mode on one container port (None: the workload's default)."""
        mode = self.namespace_mode(workload.namespace)
        pick = self.workload_policy(workload)
        mode = _apply(mode, "workload", pick)
        if pick.winner is None or port is None:
            return mode
        levels = pick.winner.spec.get("portLevelMtls") or {}
        if isinstance(levels, dict) and str(port) in {str(k) for k in levels}:
            entry = next(v for k, v in levels.items() if str(k) == str(port))
            port_mode = mode_of(entry)
            if port_mode != "UNSET":
                return PeerMode(
                    port_mode,
                    "port",
                    pick.winner,
                    f"{pick.winner.id} portLevelMtls[{port}] sets {port_mode}",
                    mode.definite,
                )
        return mode


def _apply(parent: PeerMode, scope: str, pick: _Pick) -> PeerMode:
    if pick.winner is None:
        return parent
    definite = parent.definite and pick.definite
    mode = mode_of(pick.winner.spec.get("mtls"))
    if mode == "UNSET":
        return PeerMode(
            parent.mode,
            parent.scope,
            parent.policy,
            f"{pick.winner.id} ({scope}) is UNSET and inherits: {parent.reason}",
            definite,
        )
    return PeerMode(
        mode, scope, pick.winner, f"{pick.winner.id} ({scope}) sets {mode}", definite
    )
