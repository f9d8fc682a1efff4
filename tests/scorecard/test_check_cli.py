"""``ztlab check`` on bad input files: exit 2 and a message, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ztlab.cli.check import check

from .helpers import FIXTURES

GOOD = str(FIXTURES / "good")
OPEN = str(FIXTURES / "bad/open-namespace.yaml")
ATTESTATIONS = FIXTURES / "attestations.yaml"
# Random-looking bytes that are not UTF-8 (0x96 cannot start a character).
BINARY = bytes([0x96, 0x00, 0xFF, 0x13, 0x8A, 0xC3, 0x28]) * 40


def run(*args: str):
    # catch_exceptions=False: any exception other than the exit is a test error.
    return CliRunner().invoke(check, list(args), catch_exceptions=False)


@pytest.mark.parametrize("option", ["--baseline", "--attestations", "--abac"])
def test_binary_file_is_exit_2_naming_the_file(tmp_path: Path, option: str) -> None:
    path = tmp_path / "blob.bin"
    path.write_bytes(BINARY)
    result = run(GOOD, option, str(path))
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert f"{path} (line 1): not UTF-8 text: byte 0x96 at offset 0" in result.output
    assert "Fix: save it as UTF-8 text" in result.output


def test_utf16_attestations_with_bom_are_decoded(tmp_path: Path) -> None:
    # What PowerShell's `>` writes: UTF-16 LE with a byte order mark.
    path = tmp_path / "a.yaml"
    path.write_bytes(ATTESTATIONS.read_text("utf-8").encode("utf-16"))
    result = run(OPEN, "--attestations", str(path), "--format", "json")
    items = {i["id"]: i for i in json.loads(result.output)["items"]}
    assert items["application.rate-limiting"]["status"] == "pass"
    assert items["application.rate-limiting"]["attestation"]["who"] == (
        "platform-team@example.com"
    )


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text(
        "attestations:\n  - id: [observability.alerting\n    status: pass\n"
    )
    result = run(GOOD, "--attestations", str(path))
    assert result.exit_code == 2
    assert f"{path} (line 3): invalid YAML: " in result.output
    assert "Fix: fix the YAML syntax at that line" in result.output
    # Not PyYAML's own text, which echoes the input.
    assert "<unicode string>" not in result.output


@pytest.mark.parametrize("option", ["--attestations", "--abac", "--baseline"])
def test_empty_file_says_it_is_empty(tmp_path: Path, option: str) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("# nothing yet\n" if option != "--baseline" else "")
    result = run(GOOD, option, str(path))
    assert result.exit_code == 2
    assert "is empty" in result.output and str(path) in result.output
    assert "None is not of type" not in result.output


def test_write_baseline_into_a_missing_directory(tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "dir" / "baseline.json"
    result = run(GOOD, "--write-baseline", str(target))
    assert result.exit_code == 2
    assert f"{target}: cannot write the baseline: No such file or directory" in (
        result.output
    )
    assert f"create the directory {target.parent} first" in result.output


def test_ignored_attestation_is_shown_in_text_and_json() -> None:
    # attestations.yaml line 12 attests network.default-deny, which the open
    # namespace fails by configuration: the attestation does not count.
    text = run(OPEN, "--attestations", str(ATTESTATIONS)).stdout
    item = text.split("network.default-deny:")[1].split("\n- ")[0]
    assert (
        f"note: the attestation by someone@example.com ({ATTESTATIONS}:12) is "
        "ignored: configuration shows fail"
    ) in item
    assert "Notes\n=====" in text

    data = json.loads(
        run(OPEN, "--attestations", str(ATTESTATIONS), "--format", "json").stdout
    )
    items = {i["id"]: i for i in data["items"]}
    ignored = items["network.default-deny"]["ignored_attestation"]
    assert ignored["who"] == "someone@example.com" and ignored["line"] == 12
    assert ignored["reason"] == "configuration shows fail"
    assert "ignored_attestation" not in items["application.rate-limiting"]
    assert any("network.default-deny ignored" in n for n in data["notes"])


def test_compare_table_explains_each_change() -> None:
    # good -> open namespace: default-deny goes from pass to fail.
    text = run(OPEN, "--compare", GOOD).stdout.split("Since the other snapshot")[1]
    row = next(ln for ln in text.splitlines() if ln.startswith("network.default-deny"))
    assert row.split()[:4] == ["network.default-deny", "pass", "fail", "worse"]
    assert "was pass, now fails with 1 violation" in row
