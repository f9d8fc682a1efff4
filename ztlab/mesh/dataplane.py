"""Which dataplane a workload runs: an injected sidecar, ambient (ztunnel) or none.

Sidecar injection follows the rules of Istio's injection webhook (IST-INJ):

- ``istio-injection=disabled`` on the namespace always wins: no sidecar.
- kube-system and hostNetwork pods are never injected.
- namespace ``istio-injection=enabled`` injects unless the pod template opts out
  with ``sidecar.istio.io/inject: "false"`` (label, or the legacy annotation);
- namespace ``istio.io/rev=<revision>`` injects in the same way;
- in a namespace without injection label, the pod template label
  ``sidecar.istio.io/inject: "true"`` (or a pod ``istio.io/rev`` label) injects.
  The webhook selects pods by label, so the legacy annotation alone cannot opt in.

The pod template's labels and annotations count, not the controller's own metadata.
When pods were dumped, ``Workload.observed_sidecar`` is what really runs and beats
the prediction; a disagreement is reported.
"""

from __future__ import annotations

from dataclasses import dataclass

from ztlab.model import Cluster, Namespace, Workload

__all__ = [
    "Dataplane",
    "dataplane_of",
    "injection_request",
    "INJECT",
    "REV",
    "INJECTION_LABEL",
    "AMBIENT",
]

INJECTION_LABEL = "istio-injection"
INJECT = "sidecar.istio.io/inject"
REV = "istio.io/rev"
AMBIENT = "istio.io/dataplane-mode"


@dataclass(frozen=True, slots=True)
class Dataplane:
    """The dataplane of a workload and what decided it.

    ``mode`` is ``sidecar``, ``ambient`` or ``none``; ``predicted`` is what the
    manifests say; ``observed`` what dumped pods run (None when no pod was
    loaded). ``decided_by`` names the label or annotation, e.g.
    ``namespace label istio-injection=enabled``.

    >>> Dataplane("sidecar", "sidecar", None, "namespace label istio-injection=enabled",
    ...           "injected").meshed
    True
    """

    mode: str
    predicted: str
    observed: bool | None
    decided_by: str
    reason: str
    revision: str | None = None

    @property
    def meshed(self) -> bool:
        """True when the workload has a proxy (sidecar or ztunnel)."""
        return self.mode != "none"

    @property
    def has_sidecar(self) -> bool:
        return self.mode == "sidecar"

    @property
    def disagrees(self) -> bool:
        """True when dumped pods contradict the prediction from the manifests."""
        if self.observed is None:
            return False
        return self.observed != (self.predicted == "sidecar")

    def to_dict(self) -> dict[str, object]:
        return {
            "mode": self.mode,
            "predicted": self.predicted,
            "observed_sidecar": self.observed,
            "decided_by": self.decided_by,
            "reason": self.reason,
            "revision": self.revision,
            "disagrees": self.disagrees,
        }


def _pod_inject(workload: Workload) -> tuple[str | None, str]:
    """The pod template's inject value and where it came from (label wins)."""
    if INJECT in workload.labels:
        value = workload.labels[INJECT].strip().lower()
        return value, f'pod label {INJECT}="{workload.labels[INJECT]}"'
    if INJECT in workload.annotations:
        value = workload.annotations[INJECT].strip().lower()
        return value, f'pod annotation {INJECT}="{workload.annotations[INJECT]}"'
    return None, ""


def injection_request(workload: Workload) -> str | None:
    """The pod template label or annotation that asks for a sidecar, if any.

    >>> from ztlab.model import Labels, Workload
    >>> injection_request(Workload("Deployment", "shop", "web",
    ...                   labels=Labels({"sidecar.istio.io/inject": "true"})))
    'pod label sidecar.istio.io/inject="true"'
    """
    value, where = _pod_inject(workload)
    if value == "true":
        return where
    if value != "false" and workload.labels.get(REV):
        return f"pod label {REV}={workload.labels[REV]}"
    return None


def _predict_sidecar(
    workload: Workload, namespace: Namespace | None
) -> tuple[bool, str, str, str | None]:
    """(injected, decided_by, reason, revision) from the manifests alone."""
    ns_labels = namespace.labels if namespace is not None else {}
    ns_inject = ns_labels.get(INJECTION_LABEL)
    ns_rev = ns_labels.get(REV)
    pod_value, pod_where = _pod_inject(workload)

    if ns_inject == "disabled":
        return (
            False,
            "namespace label istio-injection=disabled",
            ("istio-injection=disabled on the namespace always wins"),
            None,
        )
    if workload.namespace == "kube-system":
        return False, "namespace kube-system", "kube-system is never injected", None
    if workload.host_network:
        return False, "spec.hostNetwork", "hostNetwork pods are never injected", None

    if ns_inject == "enabled" or ns_rev:
        where = (
            "namespace label istio-injection=enabled"
            if ns_inject == "enabled"
            else f"namespace label {REV}={ns_rev}"
        )
        if pod_value == "false":
            return False, pod_where, f"the pod template opts out under {where}", None
        return True, where, "injected by the namespace", ns_rev

    if pod_value == "true" and pod_where.startswith("pod label"):
        return True, pod_where, "the pod template label opts in", None
    pod_rev = workload.labels.get(REV)
    if pod_rev and pod_value != "false":
        return (
            True,
            f"pod label {REV}={pod_rev}",
            "the pod template selects a revision",
            pod_rev,
        )
    if pod_value == "true":
        return (
            False,
            pod_where,
            (
                "the annotation alone does not select the pod for the injection "
                "webhook, "
                "which matches pods by label"
            ),
            None,
        )
    return (
        False,
        "no injection label",
        "neither the namespace nor the pod asks for injection",
        None,
    )


def _ambient(workload: Workload, namespace: Namespace | None) -> str | None:
    """Where ambient mode comes from, or None when the workload is not ambient."""
    pod = workload.labels.get(AMBIENT)
    if pod == "none":
        return None
    if pod == "ambient":
        return f"pod label {AMBIENT}=ambient"
    if namespace is not None and namespace.labels.get(AMBIENT) == "ambient":
        return f"namespace label {AMBIENT}=ambient"
    return None


def dataplane_of(cluster: Cluster, workload: Workload) -> Dataplane:
    """Decide the dataplane of one workload.

    >>> from ztlab.model import Cluster, Namespace, Workload, Labels
    >>> ns = Namespace("shop", Labels({"istio-injection": "disabled"}))
    >>> w = Workload("Deployment", "shop", "web",
    ...              labels=Labels({"sidecar.istio.io/inject": "true"}))
    >>> dataplane_of(Cluster(namespaces={"shop": ns}, workloads={w.key: w}), w).mode
    'none'

    Limitations: ambient pods are treated as meshed at L4 only (no waypoint
    proxies); mesh-wide injection settings (neverInjectSelector,
    enableNamespacesByDefault) are not read.
    """
    namespace = cluster.namespaces.get(workload.namespace)
    injected, decided_by, reason, revision = _predict_sidecar(workload, namespace)
    predicted = "sidecar" if injected else "none"
    if (
        not injected
        and not workload.host_network
        and workload.namespace != "kube-system"
    ):
        ambient = _ambient(workload, namespace)
        if ambient is not None:
            predicted, decided_by, reason = "ambient", ambient, "captured by ztunnel"

    mode = predicted
    observed = workload.observed_sidecar
    if observed is not None and observed != (predicted == "sidecar"):
        if observed:
            mode = "sidecar"
            reason = (
                f"dumped pods run istio-proxy although the manifests predict "
                f"{predicted} ({decided_by}); the pods win"
            )
        else:
            mode = "none"
            reason = (
                f"dumped pods run no istio-proxy although the manifests predict a "
                f"sidecar ({decided_by}); the pods win (were they created before "
                f"injection was enabled?)"
            )
        decided_by = "observed pods"
    return Dataplane(mode, predicted, observed, decided_by, reason, revision)
