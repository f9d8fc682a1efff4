"""Load a live cluster read-only through the Kubernetes API.

What the API returns is turned into the plain form of a ``kubectl get -o yaml``
dump (one ``kind: List`` per resource kind, items with apiVersion and kind) and
handed to the same builder as files, so a live load and a file load of the same
objects give the same Cluster. :func:`save_snapshot` writes that dump.

Partial access is normal: a kind or namespace the reader may not list becomes a
warning in the load report and the rest loads. Only list and get requests are
made; Secrets are never requested; kubeconfig credentials never reach messages.

>>> read = LiveRead("live:demo", [_as_list([live_item(
...     {"metadata": {"name": "shop"}}, "Namespace", "v1")])])
>>> sorted(build_cluster(read.documents()).namespaces)
['shop']
"""

from __future__ import annotations

import logging
import os
import sys
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from ztlab.errors import LoadError, Provenance
from ztlab.load.build import build_cluster
from ztlab.load.documents import Document
from ztlab.load.live_client import ApiFailure, LiveClient, RetryPolicy
from ztlab.load.live_kinds import BUILTIN_KINDS, LiveKind, discover_istio
from ztlab.model.cluster import Cluster
from ztlab.model.report import LoadReport

__all__ = [
    "LiveRead",
    "RetryPolicy",
    "load_live",
    "read_live",
    "live_item",
    "dump_snapshot",
    "save_snapshot",
    "PAGE_SIZE",
]

log = logging.getLogger(__name__)

PAGE_SIZE = 500


@dataclass
class LiveRead:
    """What one read of a live cluster returned: a ``kind: List`` per kind read.

    ``source`` is ``live:<context>``; kinds that could not be read have no List
    and a warning in ``report``.
    """

    source: str
    lists: list[dict[str, Any]]
    report: LoadReport = field(default_factory=LoadReport)

    def documents(self) -> list[Document]:
        """The Lists as documents, numbered from 1 like a snapshot's."""
        return [
            Document(data, Provenance(self.source, n))
            for n, data in enumerate(self.lists, 1)
        ]

    @property
    def object_count(self) -> int:
        return sum(len(data["items"]) for data in self.lists)


def load_live(
    context: str | None = None,
    kubeconfig: str | os.PathLike[str] | None = None,
    namespaces: Iterable[str] | None = None,
    *,
    progress: bool = True,
    report: LoadReport | None = None,
    default_namespace: str = "default",
    strict: bool = False,
    retry: RetryPolicy | None = None,
    page_size: int = PAGE_SIZE,
    trust_domain: str = "cluster.local",
    root_namespace: str = "istio-system",
) -> Cluster:
    """Read the cluster of a kubeconfig context into a Cluster, read-only.

    ``namespaces`` limits the read to those namespaces (for readers without
    cluster-wide rights); ``progress`` shows a bar per kind on a terminal.
    With ``strict`` any warning (a forbidden kind, a timeout) raises LoadError.

    Limitations: kubeconfig only (no in-cluster service-account config); each
    kind is read on its own, so the lists are not one consistent snapshot of a
    cluster that changes while it is read; with ``namespaces``, mesh-wide Istio
    policies are read only if the root namespace (istio-system) is named too.

    >>> cluster = load_live(context="test", namespaces=["shop"])  # doctest: +SKIP
    >>> cluster.report.warnings  # doctest: +SKIP
    []
    """
    read = read_live(
        context,
        kubeconfig,
        namespaces,
        progress=progress,
        report=report,
        retry=retry,
        page_size=page_size,
    )
    if strict and read.report.issues:
        raise LoadError(str(read.report.issues[0]))
    return build_cluster(
        read.documents(),
        report=read.report,
        default_namespace=default_namespace,
        strict=strict,
        trust_domain=trust_domain,
        root_namespace=root_namespace,
    )


def read_live(
    context: str | None = None,
    kubeconfig: str | os.PathLike[str] | None = None,
    namespaces: Iterable[str] | None = None,
    *,
    progress: bool = True,
    report: LoadReport | None = None,
    retry: RetryPolicy | None = None,
    page_size: int = PAGE_SIZE,
) -> LiveRead:
    """List every kind ztlab models (and the Istio kinds the API serves).

    Raises LoadError when the kubeconfig cannot be used, the API server cannot
    be reached or rejects the credentials, or when every request failed and
    not one object was read; anything narrower is a warning.

    >>> read = read_live(context="test")  # doctest: +SKIP
    >>> save_snapshot(read, "cluster.yaml")  # doctest: +SKIP
    """
    wanted = _namespaces(namespaces)
    report = report if report is not None else LoadReport()
    client = LiveClient(context, kubeconfig, retry=retry)
    where = Provenance(client.source)
    report.files.append(client.source)
    lists: list[dict[str, Any]] = []
    failures: list[ApiFailure] = []
    try:
        _check_server(client, where)
        kinds = list(BUILTIN_KINDS)
        try:
            kinds += discover_istio(client)
        except ApiFailure as failure:
            failures.append(failure)
            report.add(
                "warning",
                f"cannot discover the API groups: {failure.describe()}; "
                "Istio resources were not read",
                where,
                hint=_discovery_hint(failure),
            )
        for kind in kinds:
            items = _read_kind(
                client, kind, wanted, report, where, progress, page_size, failures
            )
            if items is not None:
                lists.append(_as_list(items))
    finally:
        client.close()
    read = LiveRead(client.source, lists, report)
    if failures and read.object_count == 0:
        raise _nothing_read(failures, where)
    report.documents += len(lists)
    return read


def live_item(raw: Any, kind: str, api_version: str) -> Any:
    """An API list item as ``kubectl get -o yaml`` shows it.

    apiVersion and kind come first (list items lack them) and
    ``metadata.managedFields`` is dropped, as kubectl does by default.

    >>> live_item({"metadata": {"name": "web", "managedFields": []}}, "Pod", "v1")
    {'apiVersion': 'v1', 'kind': 'Pod', 'metadata': {'name': 'web'}}
    """
    if not isinstance(raw, Mapping):
        return raw
    item: dict[str, Any] = {
        "apiVersion": raw.get("apiVersion") or api_version,
        "kind": raw.get("kind") or kind,
    }
    item.update((k, v) for k, v in raw.items() if k not in ("apiVersion", "kind"))
    metadata = item.get("metadata")
    if isinstance(metadata, Mapping) and "managedFields" in metadata:
        item["metadata"] = {k: v for k, v in metadata.items() if k != "managedFields"}
    return item


def dump_snapshot(read: LiveRead) -> str:
    """The Lists of ``read`` as a multi-document YAML dump, warnings as comments.

    >>> print(dump_snapshot(LiveRead("live:demo", [_as_list([])])).split("\\n")[-4:])
    ['apiVersion: v1', 'kind: List', 'items: []', '']
    """
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    lines = [
        f"# ztlab snapshot of {read.source}, read {stamp}.",
        "# Load it with ztlab.load(path) or `ztlab report PATH`.",
    ]
    lines += [f"# {i.severity}: {' '.join(str(i).split())}" for i in read.report.issues]
    header = "\n".join(lines) + "\n"
    body = "---\n".join(
        yaml.safe_dump(data, sort_keys=False, allow_unicode=True) for data in read.lists
    )
    return header + body


def save_snapshot(read: LiveRead, path: str | os.PathLike[str]) -> Path:
    """Write what ``read`` holds to ``path``; ``ztlab.load(path)`` re-loads it.

    >>> save_snapshot(read_live(context="test"), "cluster.yaml")  # doctest: +SKIP
    PosixPath('cluster.yaml')
    """
    target = Path(path)
    try:
        target.write_text(dump_snapshot(read), encoding="utf-8")
    except OSError as exc:
        raise LoadError(
            f"cannot write the snapshot: {exc.strerror}",
            Provenance(str(target)),
            hint="choose a writable path with --out",
        ) from None
    return target


def _namespaces(namespaces: Iterable[str] | None) -> list[str] | None:
    if namespaces is None:
        return None
    if isinstance(namespaces, str):
        namespaces = [namespaces]
    out = list(dict.fromkeys(str(n) for n in namespaces if n))
    return out or None


def _as_list(items: list[Any]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "List", "items": items}


def _check_server(client: LiveClient, where: Provenance) -> None:
    """Fail early and clearly when the server is unreachable or refuses us."""
    try:
        client.get(client.api("CoreApi").get_api_versions)
    except ApiFailure as failure:
        if failure.status is None:
            raise LoadError(
                f"cannot reach the API server: {failure.describe()}",
                where,
                hint="check that the cluster is up and that the kubeconfig's "
                "server address is right",
            ) from None
        if failure.status == 401:
            raise LoadError(
                "the API server rejected the credentials (HTTP 401)",
                where,
                hint="log in again (the token may have expired) or pick another "
                "context with --context",
            ) from None
        log.debug("GET /api: %s", failure.describe())


def _read_kind(
    client: LiveClient,
    kind: LiveKind,
    namespaces: list[str] | None,
    report: LoadReport,
    where: Provenance,
    progress: bool,
    page_size: int,
    failures: list[ApiFailure],
) -> list[Any] | None:
    """Every object of one kind, or None when nothing of it could be read.

    Each request that failed for good is added to ``failures``.
    """
    scopes: list[str | None] = (
        list(namespaces) if namespaces is not None and kind.namespaced else [None]
    )
    if kind.kind == "Namespace" and namespaces is not None:
        scopes = list(namespaces)
    bar = _bar(kind.kind, progress)
    items: list[Any] = []
    read_any = False
    try:
        for scope in scopes:
            done = len(items)

            def on_page(count: int, total: int | None, done: int = done) -> None:
                bar.total = done + total if total is not None else None
                bar.n = done + count
                bar.refresh()

            try:
                got = _read_scope(client, kind, scope, page_size, on_page)
            except ApiFailure as failure:
                failures.append(failure)
                _warn(report, where, kind, scope, failure)
                continue
            read_any = True
            items.extend(live_item(raw, kind.kind, kind.api_version) for raw in got)
    finally:
        bar.close()
    return items if read_any else None


def _read_scope(
    client: LiveClient, kind: LiveKind, scope: str | None, page_size: int, on_page: Any
) -> list[Any]:
    if kind.kind == "Namespace" and scope is not None:
        namespace = client.get(client.api("CoreV1Api").read_namespace, scope)
        on_page(1, 1)
        return [namespace]
    call, args = kind.list_call(client, scope)
    _, items = client.list_all(call, *args, page_size=page_size, on_page=on_page)
    return items


def _warn(
    report: LoadReport,
    where: Provenance,
    kind: LiveKind,
    scope: str | None,
    failure: ApiFailure,
) -> None:
    if kind.kind == "Namespace":
        what = f"get namespace {scope}" if scope else "list namespaces"
    else:
        place = f"in namespace {scope}" if scope else "in all namespaces"
        what = f"list {kind.kind} ({kind.resource}) {place}"
    message = f"cannot {what}: {failure.describe()}; the rest was loaded"
    log.info("%s", message)
    report.add("warning", message, where, hint=_hint(kind, scope, failure))


def _hint(kind: LiveKind, scope: str | None, failure: ApiFailure) -> str:
    if failure.status == 403 and kind.kind == "Namespace":
        return (
            "grant get/list on namespaces; meanwhile namespaces are inferred "
            "without their labels, so namespace selectors may match less"
        )
    if failure.status == 403 and scope:
        return f"grant the reader list on {kind.resource} in {scope}"
    if failure.status == 403:
        return (
            f"grant the reader list on {kind.resource} cluster-wide, or read only "
            "the namespaces it may see (namespaces=..., --namespace)"
        )
    if failure.status == 404 and kind.kind == "Namespace" and scope:
        return f"check the namespace name {scope!r}"
    if failure.status == 404:
        return f"the API server does not serve {kind.api_version} {kind.kind}"
    if failure.status == 401:
        return _REJECTED
    return _SERVER_FAILED


_RBAC = (
    "grant the reader get and list on the kinds ztlab reads (the built-in view "
    "ClusterRole has them), or read only the namespaces it may see (--namespace)"
)
_SERVER_FAILED = (
    "the API server failed or did not answer in time: try again later, and "
    "check the API server's health (kubectl get --raw='/readyz?verbose')"
)
_REJECTED = "log in again (the token may have expired) or pick another context"


def _discovery_hint(failure: ApiFailure) -> str:
    if failure.status == 403:
        return "grant the reader get on the non-resource URL /apis"
    if failure.status == 401:
        return _REJECTED
    if failure.status == 404:
        return "check that the kubeconfig's server is a Kubernetes API server"
    return _SERVER_FAILED


def _nothing_read(failures: list[ApiFailure], where: Provenance) -> LoadError:
    """The error for a read where every request failed, with fitting hints."""
    counts = Counter(
        f.reason if f.status is None else f"{f.reason} (HTTP {f.status})"
        for f in failures
    )
    summary = ", ".join(f"{n} {text}" for text, n in counts.most_common())
    hints = []
    statuses = {f.status for f in failures}
    if 403 in statuses:
        hints.append(_RBAC)
    if 401 in statuses:
        hints.append(_REJECTED)
    if None in statuses or any(s is not None and s >= 500 for s in statuses):
        hints.append(_SERVER_FAILED)
    if not hints:
        hints.append("check that --context names the cluster you mean")
    return LoadError(
        f"nothing could be read from the cluster: {len(failures)} requests "
        f"failed ({summary}) and no object was read",
        where,
        hint="; ".join(hints),
    )


def _bar(label: str, progress: bool) -> Any:
    from tqdm import tqdm

    stream = sys.stderr
    enabled = progress and bool(getattr(stream, "isatty", lambda: False)())
    return tqdm(
        desc=label, unit=" objects", file=stream, disable=not enabled, leave=False
    )
