"""Load manifests (files, directories, stdin) into a Cluster.

>>> import ztlab
>>> cluster = ztlab.load("sample_clusters/online-boutique")
>>> cluster.workloads["boutique/frontend"].service_account
'frontend'
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ztlab.errors import LoadError
from ztlab.load.build import build_cluster
from ztlab.load.documents import MAX_FILE_BYTES, Document, read_paths
from ztlab.model.cluster import Cluster
from ztlab.model.report import LoadReport

__all__ = ["load", "build_cluster", "Document", "LoadReport"]


def load(
    *paths: str | Path,
    strict: bool = False,
    default_namespace: str = "default",
    max_bytes: int = MAX_FILE_BYTES,
    trust_domain: str = "cluster.local",
    root_namespace: str = "istio-system",
) -> Cluster:
    """Load files, directories (recursively) and ``-`` (stdin) into a Cluster.

    Bad documents are reported in ``cluster.report`` and the rest still loads;
    ``strict=True`` raises LoadError at the first problem instead. A path that
    does not exist, or a load where nothing at all could be read, raises.
    """
    if not paths:
        raise LoadError(
            "no input given", hint="name manifest files or directories, or - for stdin"
        )
    report = LoadReport()
    documents: Iterable[Document] = read_paths(paths, report, max_bytes=max_bytes)
    if strict:
        documents = _fail_fast(documents, report)
    cluster = build_cluster(
        documents,
        report=report,
        default_namespace=default_namespace,
        strict=strict,
        trust_domain=trust_domain,
        root_namespace=root_namespace,
    )
    if strict and report.errors:
        raise LoadError(str(report.errors[0]))
    if report.errors and not sum(report.loaded.values()) and not report.skipped_total:
        raise LoadError(
            "nothing could be loaded: " + "; ".join(str(e) for e in report.errors[:5])
        )
    return cluster


def _fail_fast(documents: Iterable[Document], report: LoadReport) -> Iterable[Document]:
    for doc in documents:
        if report.errors:
            raise LoadError(str(report.errors[0]))
        yield doc
    if report.errors:
        raise LoadError(str(report.errors[0]))
