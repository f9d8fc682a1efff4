"""Reading a live cluster from the command line: ``--live`` and ``ztlab snapshot``.

Commands that take manifest paths add :func:`live_options` and load through
:func:`load_from_options`, so ``--live [--context C] [-n NS ...]`` works the
same everywhere. ztlab only reads from the cluster.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click

from ztlab.cli.common import load_cluster, load_option_group
from ztlab.cli.output import emit, warn
from ztlab.errors import LoadError

__all__ = [
    "COMMANDS",
    "ClusterSource",
    "cluster_input",
    "live_options",
    "load_from_options",
    "snapshot",
]


def live_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add --live, --context, --kubeconfig and --namespace/-n to a command.

    The command receives them as ``live``, ``context``, ``kubeconfig`` and
    ``namespaces`` (a tuple).
    """
    command = click.option(
        "--namespace",
        "-n",
        "namespaces",
        multiple=True,
        metavar="NS",
        help="With --live: read only this namespace (repeatable).",
    )(command)
    command = click.option(
        "--kubeconfig",
        type=click.Path(dir_okay=False, path_type=str),
        help="With --live: the kubeconfig file (default $KUBECONFIG or "
        "~/.kube/config).",
    )(command)
    command = click.option(
        "--context", help="With --live: the kubeconfig context (default: current)."
    )(command)
    command = click.option(
        "--live",
        is_flag=True,
        help="Read the cluster through the Kubernetes API (read-only) instead of "
        "files.",
    )(command)
    return command


@dataclass(frozen=True)
class ClusterSource:
    """Where a command's cluster comes from: manifest paths or a live API."""

    paths: tuple[str, ...] = ()
    live: bool = False
    context: str | None = None
    kubeconfig: str | None = None
    namespaces: tuple[str, ...] = ()
    strict: bool = False
    default_namespace: str = "default"
    pod_cidrs: tuple[str, ...] = ()

    def load(self, *, progress: bool = True) -> Any:
        """Load the cluster (see :func:`load_from_options`)."""
        return load_from_options(
            self.paths,
            self.live,
            self.context,
            self.kubeconfig,
            self.namespaces,
            self.strict,
            self.default_namespace,
            progress=progress,
            pod_cidrs=self.pod_cidrs,
        )


def cluster_input(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add --live and the load options; the command receives ``source``.

    The command also takes the PATHS argument (``paths_argument``) and gets
    paths, live options and load options folded into one ClusterSource.
    """

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        fields = {f.name: kwargs.pop(f.name) for f in dataclasses.fields(ClusterSource)}
        return command(*args, source=ClusterSource(**fields), **kwargs)

    return load_option_group(live_options(wrapper))


def load_from_options(
    paths: tuple[str, ...],
    live: bool,
    context: str | None,
    kubeconfig: str | None,
    namespaces: tuple[str, ...],
    strict: bool,
    default_namespace: str,
    *,
    progress: bool = True,
    pod_cidrs: tuple[str, ...] = (),
) -> Any:
    """The cluster the options name: live when ``live``, else the paths.

    Warnings of a live read (a forbidden kind, a timeout) go to standard error;
    with ``strict`` they are errors.
    """
    if not live:
        if context or kubeconfig or namespaces:
            raise click.UsageError(
                "--context, --kubeconfig and --namespace need --live"
            )
        return load_cluster(
            paths,
            strict=strict,
            default_namespace=default_namespace,
            pod_cidrs=pod_cidrs,
        )
    if paths:
        raise click.UsageError("give manifest paths or --live, not both")
    from ztlab.load.live import load_live

    cluster = load_live(
        context,
        kubeconfig,
        namespaces or None,
        progress=progress,
        default_namespace=default_namespace,
        strict=strict,
    )
    for issue in cluster.report.warnings:
        warn(f"warning: {issue}")
    if pod_cidrs:
        from ztlab.load import _check_cidrs

        cluster = cluster.replace(pod_cidrs=_check_cidrs(pod_cidrs))
    return cluster


@click.command()
@live_options
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, allow_dash=True, path_type=str),
    help="The YAML file to write (- for standard output).",
)
@click.option(
    "--progress/--no-progress", default=True, help="Show a progress bar per kind."
)
def snapshot(
    live: bool,
    context: str | None,
    kubeconfig: str | None,
    namespaces: tuple[str, ...],
    out: str,
    progress: bool,
) -> None:
    """Save what a live cluster holds as a YAML dump for offline work.

    The dump is one `kind: List` per resource kind, as `kubectl get -o yaml`
    writes it; `ztlab report FILE` and ztlab.load(FILE) read it back. Secrets
    are never read.

    Example: ztlab snapshot --live --context prod -n shop --out shop.yaml
    """
    if not live:
        raise click.UsageError("snapshot reads a live cluster: add --live")
    from ztlab.load.live import dump_snapshot, read_live, save_snapshot

    read = read_live(context, kubeconfig, namespaces or None, progress=progress)
    for issue in read.report.warnings:
        warn(f"warning: {issue}")
    if not read.lists:
        raise LoadError(
            f"{read.source}: nothing could be read, no snapshot written",
            hint="check the reader's RBAC rights (see the warnings above)",
        )
    if out == "-":
        emit(dump_snapshot(read), nl=False)
        return
    save_snapshot(read, out)
    emit(
        f"wrote {read.object_count} objects of {len(read.lists)} kinds from "
        f"{read.source} to {out}"
    )


COMMANDS = [snapshot]
