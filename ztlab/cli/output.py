"""The one place where the command line writes to the terminal."""

from __future__ import annotations

import json
import re
import sys
from typing import Any

import click

__all__ = ["dumps", "emit", "emit_json", "warn", "fail"]


def emit(text: str = "", *, nl: bool = True) -> None:
    """Write a result to standard output."""
    click.echo(text, nl=nl)


_NUMBER_LIST = re.compile(r"\[\s*(-?\d+(?:,\s*-?\d+)*)\s*\]")


def dumps(data: Any) -> str:
    """Indented JSON with short lists of numbers (port ranges) on one line.

    >>> print(dumps({"ports": [[80, 80], [443, 445]]}))
    {
      "ports": [
        [80, 80],
        [443, 445]
      ]
    }
    """
    text = json.dumps(data, indent=2, default=str)
    return _NUMBER_LIST.sub(
        lambda m: "[" + ", ".join(x.strip() for x in m.group(1).split(",")) + "]", text
    )


def emit_json(data: Any) -> None:
    """Write a result as indented JSON to standard output."""
    click.echo(dumps(data))


def warn(text: str) -> None:
    """Write a diagnostic to standard error."""
    click.echo(text, err=True)


def fail(text: str, code: int = 2) -> None:
    """Write an error to standard error and exit with ``code``."""
    click.echo(f"error: {text}", err=True)
    sys.exit(code)
