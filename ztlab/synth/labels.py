"""Choosing the labels a generated policy selects a workload by.

A selector should be small, use labels that survive a rollout (``app``,
``app.kubernetes.io/name``, ``version`` ...; never ``pod-template-hash``), and
select the workload alone. Where no label set tells a workload apart from
another one, the selector selects both; the caller reports the flows this
makes inexpressible and suggests a label to add.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations

from ztlab.model import Labels, Workload

__all__ = [
    "VOLATILE_KEYS",
    "Selection",
    "choose_selector",
    "choose_selectors",
    "suggest_label",
]

VOLATILE_KEYS = frozenset(
    {
        "pod-template-hash",
        "controller-revision-hash",
        "pod-template-generation",
        "statefulset.kubernetes.io/pod-name",
        "apps.kubernetes.io/pod-index",
        "controller-uid",
        "job-name",
        "batch.kubernetes.io/controller-uid",
        "batch.kubernetes.io/job-name",
        "security.istio.io/tlsMode",
        "service.istio.io/canonical-name",
        "service.istio.io/canonical-revision",
        "sidecar.istio.io/inject",
        "istio.io/rev",
        "istio.io/dataplane-mode",
    }
)

# Keys tried first, in this order; other stable keys follow alphabetically.
PREFERRED_KEYS = (
    "app",
    "app.kubernetes.io/name",
    "k8s-app",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/component",
    "component",
    "tier",
    "role",
    "version",
    "app.kubernetes.io/version",
)

SUGGESTED_KEY = "app.kubernetes.io/instance"
_MAX_EXHAUSTIVE = 10


@dataclass(frozen=True)
class Selection:
    """The matchLabels chosen for a workload and every workload they select.

    ``members`` always holds the workload itself; more than one member means
    the selector cannot tell them apart.
    """

    workload: str
    labels: Labels
    members: tuple[str, ...]

    @property
    def exact(self) -> bool:
        return len(self.members) == 1


def _stable_keys(labels: Labels) -> list[str]:
    keys = [k for k in labels if k not in VOLATILE_KEYS]
    rank = {k: i for i, k in enumerate(PREFERRED_KEYS)}
    return sorted(keys, key=lambda k: (rank.get(k, len(rank)), k))


def _selects(labels: dict[str, str], w: Workload) -> bool:
    return all(w.labels.get(k) == v for k, v in labels.items())


def choose_selector(w: Workload, scope: Sequence[Workload]) -> Selection:
    """The smallest stable label set selecting ``w`` and nothing else in ``scope``.

    >>> a = Workload("Deployment", "ns", "a", Labels({"app": "r", "version": "v1"}))
    >>> b = Workload("Deployment", "ns", "b", Labels({"app": "r", "version": "v2"}))
    >>> sel = choose_selector(a, [a, b])
    >>> dict(sel.labels), sel.exact
    ({'version': 'v1'}, True)

    Limitations: only matchLabels; a workload whose labels are a subset of
    another's is not told apart with DoesNotExist.
    """
    keys = _stable_keys(w.labels)
    others = [o for o in scope if o.key != w.key]
    sizes = range(1, len(keys) + 1)
    if len(keys) > _MAX_EXHAUSTIVE:
        sizes = range(1, 4)
    for size in sizes:
        for subset in combinations(keys, size):
            chosen = {k: w.labels[k] for k in subset}
            if not any(_selects(chosen, o) for o in others):
                return Selection(w.key, Labels(chosen), (w.key,))
    chosen = {k: w.labels[k] for k in keys}
    members = sorted([w.key, *(o.key for o in others if _selects(chosen, o))])
    return Selection(w.key, Labels(chosen), tuple(members))


def choose_selectors(
    workloads: Iterable[Workload], wide_namespaces: Iterable[str] = ()
) -> dict[str, Selection]:
    """A selection for each workload, unique within its namespace.

    Workloads of ``wide_namespaces`` (the Istio root namespace, whose selectors
    apply in every namespace) must be unique across all namespaces.
    """
    all_w = sorted(workloads, key=lambda w: w.key)
    wide = set(wide_namespaces)
    by_ns: dict[str, list[Workload]] = {}
    for w in all_w:
        by_ns.setdefault(w.namespace, []).append(w)
    return {
        w.key: choose_selector(w, all_w if w.namespace in wide else by_ns[w.namespace])
        for w in all_w
    }


def suggest_label(w: Workload) -> str:
    """A label that would tell ``w`` apart, as ``key=value``.

    >>> suggest_label(Workload("Deployment", "ns", "api"))
    'app.kubernetes.io/instance=api'
    """
    if w.labels.get(SUGGESTED_KEY, w.name) != w.name:
        return f"ztlab.io/workload={w.name}"
    return f"{SUGGESTED_KEY}={w.name}"
