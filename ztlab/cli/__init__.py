"""The ``ztlab`` command line. Each command lives in its own module here."""

from __future__ import annotations

from typing import Any

import click

from ztlab.errors import ZtlabError

__all__ = ["main", "cli"]


class InputError(click.ClickException):
    """A ZtlabError shown to the user: bad input or an unknown name; exit 2."""

    exit_code = 2

    def format_message(self) -> str:
        return self.message


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ZtlabError as exc:
            raise InputError(str(exc)) from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ztlab")
def cli() -> None:
    """ztlab: a zero-trust design workbench for Kubernetes and Istio."""


_REGISTERED = False


def _register() -> None:
    global _REGISTERED
    if _REGISTERED:
        return
    _REGISTERED = True
    from ztlab.cli import abac, check, export, flows, lab, live, report

    for module in (report, flows, lab, abac, live, check, export):
        for command in module.COMMANDS:
            cli.add_command(command)


def main() -> None:
    _register()
    try:
        cli(standalone_mode=True)
    except BrokenPipeError:
        raise SystemExit(0) from None
