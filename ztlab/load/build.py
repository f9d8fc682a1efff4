"""Build a Cluster from documents: dispatch kinds, fold pods into controllers.

Pods and ReplicaSets that a controller owns (by ownerReferences, or by the
``pod-template-hash`` naming of a Deployment's ReplicaSets) become that
controller's workload; bare pods stay workloads of their own.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ztlab.errors import LoadError, Provenance
from ztlab.istio_schema import istio_problems
from ztlab.load.documents import Document
from ztlab.load.fields import Fields, _kind_of
from ztlab.load.parse import PodTemplate, parse_object
from ztlab.load.syntax import syntax_problems
from ztlab.model.cluster import Cluster
from ztlab.model.labels import Labels
from ztlab.model.objects import (
    ISTIO_KINDS,
    NAMESPACE_NAME_LABEL,
    IstioResource,
    Namespace,
    NetworkPolicy,
    Service,
    ServiceAccount,
    Workload,
)
from ztlab.model.report import LoadIssue, LoadReport

__all__ = ["build_cluster", "error_of", "API_VERSIONS", "GENERATED_POD_LABELS"]

log = logging.getLogger(__name__)

# The apiVersions under which ztlab reads each core kind.
API_VERSIONS: dict[str, tuple[str, ...]] = {
    "Namespace": ("v1",),
    "Pod": ("v1",),
    "Service": ("v1",),
    "ServiceAccount": ("v1",),
    "ReplicationController": ("v1",),
    "Deployment": ("apps/v1", "apps/v1beta2", "apps/v1beta1", "extensions/v1beta1"),
    "StatefulSet": ("apps/v1", "apps/v1beta2", "apps/v1beta1"),
    "DaemonSet": ("apps/v1", "apps/v1beta2", "extensions/v1beta1"),
    "ReplicaSet": ("apps/v1", "apps/v1beta2", "extensions/v1beta1"),
    "Job": ("batch/v1",),
    "CronJob": ("batch/v1", "batch/v1beta1"),
    "NetworkPolicy": ("networking.k8s.io/v1",),
}

# Labels that controllers put on single pods; a workload inferred from pods
# drops them, since they differ from pod to pod or from rollout to rollout.
GENERATED_POD_LABELS = (
    "pod-template-hash",
    "controller-revision-hash",
    "statefulset.kubernetes.io/pod-name",
    "apps.kubernetes.io/pod-index",
    "pod-template-generation",
)

_CONTROLLERS = (
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicationController",
    "CronJob",
    "Job",
    "ReplicaSet",
)


def _objects(documents: Iterable[Document], report: LoadReport) -> Iterator[Fields]:
    """Expand Lists; yield a Fields view per object, reporting bad documents."""
    for doc in documents:
        data = doc.data
        if not isinstance(data, Mapping):
            report.add(
                "error",
                f"document is {_kind_of(data)}, not a mapping",
                doc.provenance,
                hint="each document must be one Kubernetes object "
                "(apiVersion, kind, metadata, spec)",
            )
            report.skipped["invalid"] += 1
            continue
        kind = data.get("kind")
        if isinstance(kind, str) and kind.endswith("List") and "items" in data:
            items = data.get("items")
            if items is None:
                continue
            if not isinstance(items, list):
                report.add(
                    "error",
                    f"items must be a list, not {_kind_of(items)}",
                    doc.provenance.at_line(doc.line_of(["items"])),
                    field="items",
                    hint="write items as a list of objects",
                )
                report.skipped["invalid"] += 1
                continue
            item_kind = kind[: -len("List")] or None
            list_version = data.get("apiVersion")
            for i, item in enumerate(items):
                where = Provenance(
                    doc.provenance.file,
                    doc.provenance.document,
                    doc.line_of(["items", i]) or doc.provenance.line,
                    i + 1,
                    doc.provenance.source,
                )
                if not isinstance(item, Mapping):
                    report.add(
                        "error",
                        f"list item is {_kind_of(item)}, not a mapping",
                        where,
                        hint="each item must be one Kubernetes object",
                    )
                    report.skipped["invalid"] += 1
                    continue
                if "kind" not in item and item_kind:
                    # Typed lists from the API (PodList ...) leave kind and
                    # apiVersion off their items: both are the list's.
                    item = {**item, "kind": item_kind}
                    if "apiVersion" not in item and isinstance(list_version, str):
                        item["apiVersion"] = list_version
                yield Fields(item, doc, where, ("items", i))
            continue
        yield Fields(data, doc, doc.provenance)


def build_cluster(
    documents: Iterable[Document],
    *,
    report: LoadReport | None = None,
    default_namespace: str = "default",
    strict: bool = False,
    trust_domain: str = "cluster.local",
    root_namespace: str = "istio-system",
) -> Cluster:
    """Turn documents into a Cluster; problems go to the report.

    With ``strict`` the first problem (error or warning) raises LoadError instead.

    >>> from ztlab.errors import Provenance
    >>> doc = Document({"apiVersion": "v1", "kind": "Pod",
    ...                 "metadata": {"name": "web", "namespace": "shop"},
    ...                 "spec": {"containers": [{"name": "c"}]}}, Provenance("x"))
    >>> cluster = build_cluster([doc])
    >>> sorted(cluster.workloads), cluster.namespaces["shop"].inferred
    (['shop/web'], True)
    """
    report = report if report is not None else LoadReport()
    seen: dict[tuple[str, str | None, str], Provenance] = {}
    namespaces: dict[str, Namespace] = {}
    templates: dict[tuple[str, str, str], PodTemplate] = {}
    services: dict[str, Service] = {}
    accounts: dict[str, ServiceAccount] = {}
    policies: dict[str, NetworkPolicy] = {}
    istio: dict[tuple[str, str], IstioResource] = {}

    for f in _objects(documents, report):
        try:
            obj = _parse(f, default_namespace, report)
        except RecursionError:
            exc = LoadError(
                "document nests too deeply",
                f.where,
                hint="manifests are never nested that deep; check the input",
            )
            if strict:
                raise exc from None
            report.add_error(exc)
            report.skipped["invalid"] += 1
            continue
        except LoadError as exc:
            if strict:
                raise
            report.add_error(exc)
            report.skipped["invalid"] += 1
            continue
        if obj is None:
            continue
        kind = f.data["kind"]
        namespace = getattr(obj, "namespace", None)
        key = (kind, namespace if kind != "Namespace" else None, obj.name)
        if key in seen:
            report.add(
                "warning",
                f"duplicate {kind} {_show(namespace, obj.name)}; this one replaces "
                f"the one at {seen[key]}",
                f.where,
                hint="remove one of the two copies",
            )
            report.skipped["duplicate"] += 1
            report.loaded[kind] -= 1
        seen[key] = f.where
        report.loaded[kind] += 1
        if isinstance(obj, PodTemplate):
            templates[(kind, obj.namespace, obj.name)] = obj
        elif isinstance(obj, Namespace):
            namespaces[obj.name] = obj
        elif isinstance(obj, Service):
            services[f"{obj.namespace}/{obj.name}"] = obj
        elif isinstance(obj, ServiceAccount):
            accounts[obj.key] = obj
        elif isinstance(obj, NetworkPolicy):
            policies[obj.key] = obj
        elif isinstance(obj, IstioResource):
            istio[(kind, obj.key)] = obj

    if strict and report.issues:
        raise error_of(report.issues[0])

    workloads = _fold(templates, report)
    if strict and report.issues:
        raise error_of(report.issues[0])
    namespaces = _namespaces(
        namespaces,
        [
            *workloads.values(),
            *services.values(),
            *accounts.values(),
            *policies.values(),
            *istio.values(),
        ],
    )
    return Cluster(
        namespaces=namespaces,
        workloads=workloads,
        services=services,
        service_accounts=accounts,
        network_policies=policies,
        istio=tuple(istio.values()),
        report=report,
        trust_domain=trust_domain,
        root_namespace=root_namespace,
    )


def error_of(issue: LoadIssue) -> LoadError:
    """The LoadError a reported issue becomes under ``strict``."""
    return LoadError(issue.message, issue.where, field=issue.field, hint=issue.hint)


def _show(namespace: str | None, name: str) -> str:
    return f"{namespace}/{name}" if namespace else name


_SYNTAX_HINT = "rename it to Kubernetes syntax; ztlab analyses it anyway, as written"


def _parse(f: Fields, default_namespace: str, report: LoadReport) -> Any:
    kind = f.data.get("kind")
    if kind is None:
        raise f.error("kind", "is required", hint="add kind: (for example Deployment)")
    if not isinstance(kind, str):
        raise f.error("kind", f"must be a string, not {_kind_of(kind)}")
    if kind == "Secret":
        # Never parsed further: Secret data must not reach the model or messages.
        report.skipped["Secret (never read)"] += 1
        return None
    api_version = f.data.get("apiVersion")
    if kind in API_VERSIONS:
        if api_version is None:
            raise f.error(
                "apiVersion",
                "is required",
                hint=f"add apiVersion: {API_VERSIONS[kind][0]}",
            )
        if api_version not in API_VERSIONS[kind]:
            report.skipped[f"unsupported kind {kind} ({api_version})"] += 1
            return None
    elif kind not in ISTIO_KINDS:
        report.skipped[f"unsupported kind {kind}"] += 1
        return None
    elif (
        isinstance(api_version, str)
        and api_version.partition("/")[0] != ISTIO_KINDS[kind][0]
    ):
        report.skipped[f"unsupported kind {kind} ({api_version})"] += 1
        return None
    if f.data.get("metadata") is None:
        raise f.error("metadata", "is required", hint="add metadata.name")
    f.get("metadata", dict)
    parsed = parse_object(kind, f, default_namespace)
    for field, message in istio_problems(f.data):
        issue = f.error(field, message)
        report.add(
            "warning",
            f"{message}; Istio would refuse this {kind} (ztlab reads what it can)",
            issue.where,
            field=field or None,
            hint="correct the field as the Istio API reference describes it",
        )
    for field, problem, fix in syntax_problems(kind, f.data):
        issue = f.error(field, problem)
        report.add(
            "warning",
            f"{problem}; the API server would refuse this {kind} (ztlab analyses "
            "it as written)",
            issue.where,
            field=field,
            hint=fix,
        )
    return parsed


# Labels the Job controller adds to a Job's template and pods; a CronJob's
# template does not carry them, so they do not count as a pod's own labels.
JOB_LABELS = (
    "batch.kubernetes.io/job-name",
    "job-name",
    "batch.kubernetes.io/controller-uid",
    "controller-uid",
)


def _strip_generated(labels: Labels, *, jobs: bool = False) -> Labels:
    drop = GENERATED_POD_LABELS + (JOB_LABELS if jobs else ())
    return labels.with_items(**dict.fromkeys(drop, None))


def _owner_chain(
    t: PodTemplate, templates: Mapping[tuple[str, str, str], PodTemplate]
) -> tuple[str, str] | None:
    """The top controller (kind, name) of a pod or ReplicaSet, if it has one."""
    owner = next(((k, n) for k, n in t.owners if k in _CONTROLLERS), None)
    hops = 0
    while owner is not None and hops < 4:
        hops += 1
        kind, name = owner
        loaded = templates.get((kind, t.namespace, name))
        if loaded is not None:
            parent = next(((k, n) for k, n in loaded.owners if k in _CONTROLLERS), None)
            if parent is None:
                return owner
            owner = parent
            continue
        if kind == "ReplicaSet":
            hash_ = t.labels.get("pod-template-hash")
            if hash_ and name.endswith(f"-{hash_}"):
                return ("Deployment", name[: -len(hash_) - 1])
        return owner
    return owner


def _fold(
    templates: dict[tuple[str, str, str], PodTemplate], report: LoadReport
) -> dict[str, Workload]:
    """One Workload per top controller or bare pod."""
    owned_by: dict[tuple[str, str, str], list[PodTemplate]] = {}
    tops: dict[tuple[str, str, str], PodTemplate] = {}
    for key, t in templates.items():
        owner = _owner_chain(t, templates) if t.owners else None
        if owner is None:
            tops[key] = t
        else:
            owned_by.setdefault((owner[0], t.namespace, owner[1]), []).append(t)

    workloads: dict[str, Workload] = {}
    for key in [*tops, *(k for k in owned_by if k not in tops)]:
        kind, namespace, name = key
        members = owned_by.get(key, [])
        pods = [m for m in members if m.kind == "Pod"]
        base = tops.get(key)
        if base is None:
            # The controller itself was not loaded: take its template from the
            # ReplicaSets it owns, or failing that from its pods.
            replica_sets = [m for m in members if m.kind != "Pod"]
            base = replica_sets[-1] if replica_sets else pods[0]
            labels = _strip_generated(base.labels)
            inferred = True
        else:
            labels = base.labels
            inferred = False
        if pods and not inferred:
            for pod in pods:
                jobs = kind in ("Job", "CronJob")
                if _strip_generated(pod.labels, jobs=jobs) != _strip_generated(
                    labels, jobs=jobs
                ):
                    report.add(
                        "warning",
                        f"pod {pod.name} carries labels that differ from its "
                        f"{kind} {name}'s template; ztlab uses the template's",
                        pod.fields.where if pod.fields else None,
                        hint="relabel the pod or the template so they agree",
                    )
        if base.kind == "Pod" and key in tops:
            pods = [base]
        pod_ips = tuple(dict.fromkeys(ip for p in pods for ip in p.pod_ips))
        # Only pods read back from a running cluster show what was injected.
        observed = [p for p in pods if p.observed]
        sidecar = None
        if observed:
            sidecar = any(
                c.name == "istio-proxy" for p in observed for c in p.containers
            )
        workload = Workload(
            kind=kind,
            namespace=namespace,
            name=name,
            labels=labels,
            annotations=base.annotations,
            controller_labels=base.controller_labels,
            service_account=base.service_account,
            containers=base.containers,
            host_network=base.host_network,
            pod_ips=pod_ips,
            replicas=base.replicas,
            automount_token=base.automount_token,
            pod_names=tuple(p.name for p in pods),
            observed_sidecar=sidecar,
            provenance=base.fields.where if base.fields else Provenance("<inferred>"),
        )
        wkey = workload.key
        if wkey in workloads:
            other = workloads[wkey]
            report.add(
                "warning",
                f"{other.kind} and {kind} are both named {wkey}; ztlab keeps the "
                f"{kind} and drops the {other.kind} from the analysis",
                workload.provenance,
                hint="ztlab addresses workloads as namespace/name: rename one",
            )
            report.skipped["workload name clash"] += 1
        workloads[wkey] = workload
    return dict(sorted(workloads.items()))


def _namespaces(
    declared: dict[str, Namespace], objects: Iterable[Any]
) -> dict[str, Namespace]:
    """Declared namespaces plus inferred ones, all with the name label."""
    out: dict[str, Namespace] = {}
    for name, ns in declared.items():
        if ns.labels.get(NAMESPACE_NAME_LABEL) != name:
            ns = Namespace(
                name,
                ns.labels.with_items(**{NAMESPACE_NAME_LABEL: name}),
                ns.annotations,
                ns.inferred,
                ns.provenance,
            )
        out[name] = ns
    for obj in objects:
        name = obj.namespace
        if name and name not in out:
            out[name] = Namespace(
                name, Labels({NAMESPACE_NAME_LABEL: name}), inferred=True
            )
    return dict(sorted(out.items()))
