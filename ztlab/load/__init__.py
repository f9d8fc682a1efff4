"""Load manifests (files, directories, stdin) into a Cluster.

>>> import ztlab
>>> cluster = ztlab.load("sample_clusters/online-boutique")
>>> cluster.workloads["boutique/frontend"].service_account
'frontend'
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from pathlib import Path

from ztlab.errors import LoadError
from ztlab.load.build import build_cluster, error_of
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
    pod_cidrs: Iterable[str] = (),
) -> Cluster:
    """Load files, directories (recursively) and ``-`` (stdin) into a Cluster.

    Bad documents are reported in ``cluster.report`` and the rest still loads;
    ``strict=True`` raises LoadError when there is any problem (error or
    warning), naming the first and listing the others. A path that does not
    exist, or a load where nothing at all could be read, raises.
    ``max_bytes`` caps the size of each file (and of stdin).
    ``pod_cidrs`` are the ranges the cluster gives pod IPs from, if known; they
    make ipBlock verdicts definite for pods whose own IPs are not in the input.
    """
    cidrs = _check_cidrs(pod_cidrs)
    if not paths:
        raise LoadError(
            "no input given", hint="name manifest files or directories, or - for stdin"
        )
    report = LoadReport()
    documents: Iterable[Document] = read_paths(paths, report, max_bytes=max_bytes)
    # Even under strict, read everything first, so that one run lists every
    # problem instead of one per run.
    cluster = build_cluster(
        documents,
        report=report,
        default_namespace=default_namespace,
        trust_domain=trust_domain,
        root_namespace=root_namespace,
    )
    if strict and report.issues:
        raise _all_of(report)
    kept = sum(report.loaded.values()) + sum(
        n for reason, n in report.skipped.items() if reason not in _NOTHING
    )
    if not kept and (report.errors or not report.documents):
        # An empty List is a valid answer (`kubectl get` of nothing); an input
        # without any document, or with only broken ones, is not.
        shown = "; ".join(str(i) for i in report.issues[:5]) or "no documents"
        raise LoadError(f"nothing could be loaded: {shown}")
    return cluster.replace(pod_cidrs=cidrs) if cidrs else cluster


# Skip reasons that mean the input held nothing at all.
_NOTHING = ("invalid", "empty file", "empty document")


def _all_of(report: LoadReport) -> LoadError:
    """The first problem as a LoadError, naming how many others there are."""
    first = error_of(report.issues[0])
    rest = report.issues[1:]
    if not rest:
        return first
    listed = "; ".join(str(i) for i in rest[:20])
    more = f" (and {len(rest) - 20} more)" if len(rest) > 20 else ""
    error = LoadError(
        f"{first.message}; {len(rest)} more problem(s): {listed}{more}",
        first.where,
        field=first.field,
        hint=first.hint,
    )
    return error


def _check_cidrs(cidrs: Iterable[str]) -> tuple[str, ...]:
    out = []
    for text in cidrs:
        try:
            out.append(str(ipaddress.ip_network(text, strict=False)))
        except ValueError:
            raise LoadError(
                f"pod CIDR {text!r} is not a CIDR",
                hint="write it as 10.244.0.0/16 (see the cluster's --cluster-cidr)",
            ) from None
    return tuple(out)
