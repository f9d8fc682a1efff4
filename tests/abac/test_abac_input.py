"""``ztlab abac`` on bad input files: exit 2 and a message, never a traceback."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner

from ztlab.abac import load_policies, load_requests
from ztlab.cli import _register, cli
from ztlab.errors import PolicyError

from .helpers import SAMPLE

POLICIES = str(SAMPLE / "policies.yaml")
POLICIES_V2 = str(SAMPLE / "policies-v2.yaml")
SCHEMA = str(SAMPLE / "attributes.yaml")
REQUESTS = str(SAMPLE / "requests.yaml")
BINARY = bytes([0x96, 0x00, 0xFF, 0x13, 0x8A, 0xC3, 0x28]) * 40


def run(*args: str):
    _register()
    return CliRunner().invoke(cli, ["abac", *args], catch_exceptions=False)


def _commands(bad: str) -> list[list[str]]:
    """Every place an ABAC file is read, with ``bad`` as that file."""
    return [
        [bad, "--analyze"],
        [POLICIES, "--requests", bad],
        [POLICIES, "--diff", bad],
        [POLICIES, "--schema", bad, "--table"],
    ]


@pytest.mark.parametrize("case", range(4))
def test_binary_file_is_exit_2_naming_the_file(tmp_path: Path, case: int) -> None:
    bad = tmp_path / "blob.yaml"
    bad.write_bytes(BINARY)
    result = run(*_commands(str(bad))[case])
    assert result.exit_code == 2
    assert f"{bad} (line 1): not UTF-8 text: byte 0x96 at offset 0" in result.output
    assert "Fix: save it as UTF-8 text" in result.output


@pytest.mark.parametrize("case", range(4))
def test_yaml_syntax_error_names_file_and_line(tmp_path: Path, case: int) -> None:
    bad = tmp_path / "broken.yaml"
    bad.write_text("policies:\n  - id: x\n   effect: allow\n")
    result = run(*_commands(str(bad))[case])
    assert result.exit_code == 2
    # Line 3 is indented one column less than the mapping it would continue.
    assert f"{bad} (line 3): invalid YAML: " in result.output
    assert "Fix: fix the YAML syntax at that line" in result.output
    assert "<unicode string>" not in result.output


@pytest.mark.parametrize("case", range(4))
def test_empty_file_says_it_is_empty(tmp_path: Path, case: int) -> None:
    bad = tmp_path / "empty.yaml"
    bad.write_text("")
    result = run(*_commands(str(bad))[case])
    assert result.exit_code == 2
    assert f"{bad}: the file is empty" in result.output
    assert "None is not of type" not in result.output


def test_binary_csv_requests(tmp_path: Path) -> None:
    bad = tmp_path / "requests.csv"
    bad.write_bytes(b"id,action\n" + BINARY)
    with pytest.raises(PolicyError, match=r"requests.csv \(line 2\): not UTF-8"):
        load_requests(bad)


def test_utf16_files_with_bom_are_decoded(tmp_path: Path) -> None:
    policies = tmp_path / "policies.yaml"
    text = (
        Path(POLICIES)
        .read_text("utf-8")
        .replace("schema: attributes.yaml", f"schema: {SCHEMA}")
    )
    policies.write_bytes(text.encode("utf-16"))
    requests = tmp_path / "requests.yaml"
    requests.write_bytes(Path(REQUESTS).read_text("utf-8").encode("utf-16-le"))
    # UTF-16 without a byte order mark is not guessed at.
    with pytest.raises(PolicyError, match="UTF-16 without a byte order mark"):
        load_requests(requests)
    requests.write_bytes(Path(REQUESTS).read_text("utf-8").encode("utf-16"))

    assert len(load_policies(policies)) == len(load_policies(POLICIES))
    result = run(str(policies), "--requests", str(requests))
    assert result.exit_code == 0, result.output
    assert "17 of 17 as expected" in result.output


def test_expect_that_is_no_decision_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(
        "- id: ok\n  expect: deny\n  subject: {role: employee}\n  action: read\n"
        "- id: r2\n  expect: maybe\n  subject: {role: employee}\n  action: read\n"
    )
    result = run(POLICIES, "--requests", str(path))
    assert result.exit_code == 2
    assert f"{path}, request 2 (r2): expect: 'maybe' is not a decision" in (
        result.output
    )
    assert "allow, deny, error, not-applicable" in result.output
    assert "MISMATCH" not in result.output


def test_csv_and_text_write_booleans_in_lowercase() -> None:
    # r01 of requests.yaml: a managed device, decided as expected.
    out = run(POLICIES, "--requests", REQUESTS, "--format", "csv").output
    first = next(csv.DictReader(io.StringIO(out)))
    assert first["id"] == "r01"
    assert first["subject.device_managed"] == "true" and first["ok"] == "true"
    # An int attribute stays an int even where some request leaves it out.
    assert first["environment.session_age_hours"] == "2"

    diff = run(POLICIES, "--diff", POLICIES_V2, "--format", "csv").output
    rows = list(csv.DictReader(io.StringIO(diff)))
    assert {r["subject.device_managed"] for r in rows} <= {"true", "false"}

    text = run(POLICIES, "--diff", POLICIES_V2, "--format", "text").output
    assert "False" not in text and "True" not in text
    table = run(POLICIES, "--requests", REQUESTS, "--format", "markdown").output
    assert "| true |" in table and "True" not in table
