"""The ``ztlab`` command line. Each command lives in its own module here."""

from __future__ import annotations

import click

from ztlab.cli.common import run_guarded

__all__ = ["main", "cli"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ztlab")
def cli() -> None:
    """ztlab: a zero-trust design workbench for Kubernetes and Istio."""


def _register() -> None:
    from ztlab.cli import abac, flows, lab, live, report

    for module in (report, flows, lab, abac, live):
        for command in module.COMMANDS:
            cli.add_command(command)


def main() -> None:
    _register()
    run_guarded(cli)
