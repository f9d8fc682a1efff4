"""``ztlab lab``: start JupyterLab on the bundled notebooks."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from ztlab.cli.output import fail

__all__ = ["COMMANDS"]


@click.command(context_settings={"ignore_unknown_options": True})
@click.option("--no-browser", is_flag=True, help="Do not open a browser.")
@click.option("--port", type=int, default=8888, show_default=True)
@click.argument("extra", nargs=-1, type=click.UNPROCESSED)
def lab(no_browser: bool, port: int, extra: tuple[str, ...]) -> None:
    """Start JupyterLab in notebooks/ with the quickstart notebook open."""
    root = Path(__file__).resolve().parents[2]
    notebooks = root / "notebooks"
    if not notebooks.is_dir():
        fail(f"no notebooks folder at {notebooks}; run from a ztlab checkout")
    args = [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--notebook-dir={notebooks}",
        f"--ServerApp.port={port}",
        "--ServerApp.ip=127.0.0.1",
    ]
    if no_browser:
        args.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--allow-root")
    quickstart = notebooks / "00-quickstart.ipynb"
    if quickstart.exists():
        args.append(f"--LabApp.default_url=/lab/tree/{quickstart.name}")
    args += list(extra)
    os.execv(sys.executable, args)


COMMANDS = [lab]
