"""Helpers shared by the commands: loading inputs, output formats, errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

__all__ = [
    "paths_argument",
    "load_option_group",
    "load_cluster",
    "default_sample",
    "FORMATS",
]

FORMATS = ("text", "json", "markdown")


def default_sample() -> Path:
    """The bundled online-boutique sample (used when no path is given)."""
    here = Path(__file__).resolve().parents[2] / "sample_clusters" / "online-boutique"
    return here


paths_argument = click.argument(
    "paths", nargs=-1, type=click.Path(allow_dash=True, path_type=str)
)


def load_option_group(command: Callable[..., Any]) -> Callable[..., Any]:
    """Options every command that loads a cluster takes."""
    command = click.option(
        "--strict", is_flag=True, help="Treat any load problem as an error."
    )(command)
    command = click.option(
        "--pod-cidr",
        "pod_cidrs",
        multiple=True,
        metavar="CIDR",
        help="Range pod IPs come from (repeatable); makes ipBlock verdicts "
        "definite for pods whose IPs the input does not give.",
    )(command)
    command = click.option(
        "--default-namespace",
        default="default",
        show_default=True,
        help="Namespace for resources that do not name one.",
    )(command)
    return command


def load_cluster(
    paths: tuple[str, ...],
    *,
    strict: bool = False,
    default_namespace: str = "default",
    pod_cidrs: tuple[str, ...] = (),
) -> Any:
    """Load the given paths, or the bundled sample when there are none."""
    from ztlab.load import load

    sources = list(paths) or [str(default_sample())]
    return load(
        *sources,
        strict=strict,
        default_namespace=default_namespace,
        pod_cidrs=pod_cidrs,
    )
