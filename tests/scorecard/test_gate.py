"""Exit codes of ``ztlab check``: 0 clean, 1 blocking violations, 2 bad input."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from ztlab.cli import _register, cli
from ztlab.cli.check import check

from .helpers import FIXTURES, SAMPLES

GOOD = str(FIXTURES / "good")
BOUTIQUE = str(SAMPLES / "online-boutique")

# One Service without data-classification: a single medium violation.
UNLABELLED_SERVICE = """\
apiVersion: v1
kind: Service
metadata: {name: web-admin, namespace: shop}
spec:
  selector: {app: web}
  ports:
    - {name: http, port: 8081, targetPort: 8080}
"""


def run(*args: str):
    return CliRunner().invoke(check, list(args), catch_exceptions=False)


def test_clean_cluster_exits_0_at_every_threshold() -> None:
    for level in ("high", "medium", "low"):
        assert run(GOOD, "--fail-on", level).exit_code == 0


def test_threshold(tmp_path: Path) -> None:
    extra = tmp_path / "extra.yaml"
    extra.write_text(UNLABELLED_SERVICE)
    assert run(GOOD, str(extra), "--fail-on", "high").exit_code == 0
    result = run(GOOD, str(extra), "--fail-on", "medium", "--format", "json")
    assert result.exit_code == 1
    blocking = json.loads(result.output)["gate"]["blocking"]
    assert [b["message"] for b in blocking] == [
        "Service shop/web-admin has no data-classification label"
    ]


def test_boutique_fails_the_default_gate() -> None:
    result = run(BOUTIQUE)
    assert result.exit_code == 1
    assert "FAILED:" in result.output


def test_baseline_accepts_known_violations_only(tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    written = run(BOUTIQUE, "--fail-on", "low", "--write-baseline", str(baseline))
    assert written.exit_code == 0
    data = json.loads(baseline.read_text())
    assert data["version"] == 1 and data["accepted"]
    assert run(BOUTIQUE, "--fail-on", "low", "--baseline", str(baseline)).exit_code == 0

    # A new violation (an SSH bastion) is not in the baseline: the gate fails on it.
    result = run(
        BOUTIQUE,
        str(FIXTURES / "bad/ssh.yaml"),
        "--baseline",
        str(baseline),
        "--format",
        "json",
    )
    assert result.exit_code == 1
    blocking = json.loads(result.output)["gate"]["blocking"]
    assert blocking and all("ops/bastion" in b["message"] for b in blocking)


def test_baseline_survives_moved_lines(tmp_path: Path) -> None:
    moved = tmp_path / "ssh.yaml"
    moved.write_text(
        "# a comment that shifts every line\n\n"
        + (FIXTURES / "bad/ssh.yaml").read_text()
    )
    baseline = tmp_path / "b.json"
    run(str(FIXTURES / "bad/ssh.yaml"), "--write-baseline", str(baseline))
    assert (
        run(str(moved), "--fail-on", "low", "--baseline", str(baseline)).exit_code == 0
    )


def test_bad_input_exits_2(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    result = CliRunner().invoke(check, [GOOD, "--baseline", str(broken)])
    assert result.exit_code == 2
    assert "broken.json" in result.output and "not valid JSON" in result.output

    wrong = tmp_path / "wrong.json"
    wrong.write_text('{"version": 1, "accepted": [{"check": "x"}]}')
    result = CliRunner().invoke(check, [GOOD, "--baseline", str(wrong)])
    assert result.exit_code == 2 and "field accepted" in result.output

    attest = tmp_path / "a.yaml"
    attest.write_text(
        "attestations:\n  - id: observability.alerting\n    status: maybe\n"
    )
    result = CliRunner().invoke(check, [GOOD, "--attestations", str(attest)])
    assert result.exit_code == 2
    assert "a.yaml, document 1 (line 2)" in result.output

    result = CliRunner().invoke(check, [str(tmp_path / "missing.yaml")])
    assert result.exit_code == 2

    result = CliRunner().invoke(check, [GOOD, "--fail-on", "critical"])
    assert result.exit_code == 2


def test_registered_in_the_cli() -> None:
    _register()
    result = CliRunner().invoke(cli, ["check", GOOD, "--format", "markdown"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("## Zero-trust scorecard: 100%")


def test_compare_reports_better_and_worse() -> None:
    result = run(BOUTIQUE, "--compare", GOOD, "--format", "json")
    changes = {c["id"]: c for c in json.loads(result.output)["comparison"]}
    assert changes["network.default-deny"]["change"] == "worse"
    assert changes["network.no-ssh"]["change"] == "unchanged"
    text = run(GOOD, "--compare", BOUTIQUE).output
    assert "network.default-deny" in text.split("Since the other snapshot")[1]
