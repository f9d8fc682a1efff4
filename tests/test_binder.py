"""Binder: the pinned requirements, the runtime, postBuild, and a fresh install.

The static checks always run. The install check (a fresh virtual environment
from binder/requirements.txt, ``pip check``, postBuild, then the notebooks
under nbval) takes minutes and needs the package index: it runs when
``ZTLAB_BINDER_TEST=1`` (set by .ci/run) and is skipped otherwise.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"

# Tools for developing and testing ztlab, never needed to run the notebooks.
DEV_ONLY = {
    "pytest",
    "pluggy",
    "iniconfig",
    "nbval",
    "coverage",
    "hypothesis",
    "sortedcontainers",
    "ruff",
    "mypy",
    "mypy-extensions",
    "pathspec",
    "types-pyyaml",
    "playwright",
    "greenlet",
}


def _pins() -> dict[str, str]:
    pins = {}
    for line in (BINDER / "requirements.txt").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = re.fullmatch(r"([A-Za-z0-9_.\-\[\]]+)==([^\s;]+)", line)
        assert match, f"not an exact pin: {line!r}"
        pins[canonicalize_name(match.group(1))] = match.group(2)
    return pins


def test_every_runtime_dependency_is_pinned():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = _pins()
    for text in project["dependencies"]:
        req = Requirement(text)
        name = canonicalize_name(req.name)
        assert name in pins, f"{name} is a dependency but not in requirements.txt"
        assert req.specifier.contains(pins[name], prereleases=True), (
            f"{name}=={pins[name]} does not satisfy {req.specifier}"
        )


def test_no_dev_tool_and_not_ztlab_itself():
    pins = _pins()
    assert "ztlab" not in pins
    assert not DEV_ONLY & set(pins), DEV_ONLY & set(pins)


def test_runtime_and_post_build():
    assert (BINDER / "runtime.txt").read_text().strip() == "python-3.12"
    post = BINDER / "postBuild"
    text = post.read_text()
    assert text.startswith("#!/bin/bash\n")
    assert re.search(r"^set -e$", text, re.M)
    assert re.search(r"^python -m pip install --no-deps -e \.$", text, re.M)
    assert os.access(post, os.X_OK)


def _run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(args, capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, (
        f"{' '.join(args)} failed ({result.returncode}):\n"
        f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    )
    return result


def _binder_python() -> str:
    """Python 3.12 as on Binder when it runs here (ZTLAB_BINDER_PYTHON or on PATH),
    else the interpreter running the tests."""
    for candidate in (
        os.environ.get("ZTLAB_BINDER_PYTHON"),
        shutil.which("python3.12"),
    ):
        if (
            candidate
            and subprocess.run(
                [candidate, "-c", "import venv"], capture_output=True
            ).returncode
            == 0
        ):
            return candidate
    return sys.executable


@pytest.mark.skipif(
    os.environ.get("ZTLAB_BINDER_TEST") != "1",
    reason="takes minutes and needs the package index; set ZTLAB_BINDER_TEST=1",
)
def test_fresh_install_runs_the_notebooks(tmp_path):
    python = _binder_python()
    venv = tmp_path / "binder-venv"
    _run([python, "-m", "venv", str(venv)])
    bin_dir = venv / "bin"
    py = str(bin_dir / "python")
    _run([py, "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
    _run(
        [py, "-m", "pip", "install", "--quiet", "-r", str(BINDER / "requirements.txt")]
    )
    _run([py, "-m", "pip", "check"])

    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    env.pop("PYTHONPATH", None)
    _run(["bash", str(BINDER / "postBuild")], cwd=ROOT, env=env)
    _run([py, "-m", "pip", "check"])
    installed = _run([py, "-c", "import ztlab, sys; print(ztlab.__file__)"], env=env)
    assert installed.stdout.strip().startswith(str(ROOT / "ztlab"))

    # The test tools come on top of Binder's environment, as in CI.
    _run([py, "-m", "pip", "install", "--quiet", "pytest", "nbval"])
    notebooks = sorted(str(p) for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert notebooks
    _run(
        [
            py,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            "addopts=",
            "--nbval-lax",
            f"--nbval-sanitize-with={ROOT / 'notebooks' / 'sanitize.cfg'}",
            *notebooks,
        ],
        cwd=ROOT,
        env=env,
    )
