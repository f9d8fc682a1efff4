"""The one place where the command line writes to the terminal."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

__all__ = ["emit", "emit_json", "warn", "fail"]


def emit(text: str = "", *, nl: bool = True) -> None:
    """Write a result to standard output."""
    click.echo(text, nl=nl)


def emit_json(data: Any) -> None:
    """Write a result as indented JSON to standard output."""
    click.echo(json.dumps(data, indent=2, sort_keys=False, default=str))


def warn(text: str) -> None:
    """Write a diagnostic to standard error."""
    click.echo(text, err=True)


def fail(text: str, code: int = 2) -> None:
    """Write an error to standard error and exit with ``code``."""
    click.echo(f"error: {text}", err=True)
    sys.exit(code)
