"""What a notebook's ``SOURCE`` parameter names: paths, or ``live:CONTEXT``."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ztlab.model import Cluster

__all__ = ["LIVE", "load_source", "summary_tables"]

LIVE = "live:"


def load_source(source: str | Sequence[str], **options: object) -> Cluster:
    """Load manifests (a path or a list of paths) or, for ``live:CONTEXT``, a cluster.

    ``live:`` alone uses the kubeconfig's current context. Reading a live
    cluster is read-only and needs the ``kubernetes`` client's kubeconfig.

    >>> load_source("sample_clusters/online-boutique").summary()["workloads"]
    13
    """
    if isinstance(source, str) and source.startswith(LIVE):
        from ztlab.load.live import load_live

        context = source[len(LIVE) :] or None
        return load_live(context=context, progress=False, **options)  # type: ignore[arg-type]
    import ztlab

    paths = [source] if isinstance(source, str) else list(source)
    return ztlab.load(*paths, **options)  # type: ignore[arg-type]


def summary_tables(report: dict[str, object]) -> dict[str, pd.DataFrame]:
    """The report of :func:`ztlab.summary.cluster_report` as DataFrames.

    pandas escapes cell text when it renders HTML, so manifest values are safe.

    >>> import ztlab
    >>> from ztlab.summary import cluster_report
    >>> c = ztlab.load("sample_clusters/online-boutique")
    >>> sorted(summary_tables(cluster_report(c)))
    ['counts', 'findings', 'namespaces', 'policies', 'workloads']
    """
    counts = report["counts"]
    assert isinstance(counts, dict)
    tables = {
        "counts": pd.DataFrame(list(counts.items()), columns=["kind", "count"]),
    }
    for name in ("namespaces", "workloads", "policies", "findings"):
        rows = report.get(name) or []
        assert isinstance(rows, list)
        frame = pd.DataFrame(rows)
        if name == "namespaces" and not frame.empty:
            frame["labels"] = frame["labels"].map(
                lambda d: ", ".join(f"{k}={v}" for k, v in d.items())
            )
        if name == "findings" and not frame.empty:
            frame = frame[[c for c in ("rule", "severity", "message") if c in frame]]
        tables[name] = frame
    return tables
