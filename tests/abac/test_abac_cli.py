"""The ``ztlab abac`` command through click's test runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ztlab.cli.abac import abac
from ztlab.errors import PolicyError

from .helpers import SAMPLE

POLICIES = str(SAMPLE / "policies.yaml")
REQUESTS = str(SAMPLE / "requests.yaml")


def run(*args: str) -> object:
    return CliRunner().invoke(abac, list(args), catch_exceptions=True)


def test_requests_text() -> None:
    result = run(POLICIES, "--requests", REQUESTS)
    assert result.exit_code == 0, result.output
    assert "17 of 17 as expected" in result.output
    assert "denied by admin-needs-mfa" in result.output


def test_requests_json_csv_markdown() -> None:
    data = json.loads(run(POLICIES, "--requests", REQUESTS, "--format", "json").output)
    assert data[0]["id"] == "r01" and data[0]["decision"] == "allow" and data[0]["ok"]
    csv = run(POLICIES, "--requests", REQUESTS, "--format", "csv").output
    assert csv.splitlines()[0].startswith("id,subject.role")
    md = run(
        POLICIES,
        "--schema",
        str(SAMPLE / "attributes.yaml"),
        "--requests",
        REQUESTS,
        "--format",
        "markdown",
    ).output
    assert md.splitlines()[1].startswith("| ---")


def test_mismatch_exits_1(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text(
        "- id: x\n  expect: allow\n  subject: {role: employee}\n  action: read\n"
    )
    result = run(POLICIES, "--requests", str(tmp_path / "r.yaml"))
    assert result.exit_code == 1 and "MISMATCH (expected allow)" in result.output


def test_analyze() -> None:
    result = run(POLICIES, "--schema", str(SAMPLE / "attributes.yaml"), "--analyze")
    assert result.exit_code == 0
    assert (
        "[warning] shadowed: policy legacy-unmanaged-sensitive-export" in result.output
    )
    assert "[warning] never-matching: policy lending-read-ledger" in result.output
    assert "witness: subject.role=" in result.output
    data = json.loads(run(POLICIES, "--analyze", "--format", "json").output)
    assert {"shadowed", "redundant", "never-matching", "conflict", "coverage-gap"} <= {
        f["kind"] for f in data
    }


def test_diff() -> None:
    result = run(POLICIES, "--diff", str(SAMPLE / "policies-v2.yaml"))
    assert result.exit_code == 0
    assert "LOOSENED" in result.output and "decisions change" in result.output


def test_usage_errors(tmp_path: Path) -> None:
    assert run(POLICIES).exit_code == 2
    assert run(POLICIES, "--analyze", "--table").exit_code == 2
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "schema: "
        + str(SAMPLE / "attributes.yaml")
        + "\npolicies:\n  - id: x\n    effect: allow\n"
        + "    condition: subject.rol == 'a'\n"
    )
    result = run(str(bad), "--analyze")
    assert isinstance(result.exception, PolicyError)
    assert "policy 'x'" in str(result.exception)


@pytest.mark.parametrize("fmt", ["csv"])
def test_table(fmt: str) -> None:
    result = run(POLICIES, "--table", "--format", fmt)
    assert result.exit_code == 0
    assert len(result.output.splitlines()) == 269_568 + 1
