"""SARIF 2.1.0 output checked against the spec's required structure.

Required by SARIF 2.1.0 (OASIS standard, sections 3.13-3.30): sarifLog has
``version`` "2.1.0" and ``runs``; a run has ``tool``; the tool has ``driver``
with ``name``; a reportingDescriptor has ``id``; a result has ``message`` with
``text``; ``level`` is one of none, note, warning, error; ``ruleIndex`` indexes
``tool.driver.rules`` and agrees with ``ruleId``; ``region.startLine`` >= 1;
``artifactLocation.uri`` is a URI reference. GitHub code scanning also wants
``$schema`` and a location on each result.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

import ztlab
from ztlab.cli.check import check
from ztlab.scorecard import scorecard, to_sarif

from .helpers import ROOT, SAMPLES

LEVELS = {"none", "note", "warning", "error"}


def assert_sarif(log: dict) -> None:
    assert log["version"] == "2.1.0"
    assert "sarif" in log["$schema"] and "2.1.0" in log["$schema"]
    assert isinstance(log["runs"], list) and log["runs"]
    for run in log["runs"]:
        driver = run["tool"]["driver"]
        assert isinstance(driver["name"], str) and driver["name"]
        rules = driver["rules"]
        ids = [r["id"] for r in rules]
        assert len(ids) == len(set(ids))
        for rule in rules:
            assert rule["shortDescription"]["text"]
            assert rule["defaultConfiguration"]["level"] in LEVELS
        for result in run["results"]:
            assert (
                isinstance(result["message"]["text"], str) and result["message"]["text"]
            )
            assert result["level"] in LEVELS
            assert result["ruleId"] in ids
            assert ids[result["ruleIndex"]] == result["ruleId"]
            for location in result.get("locations", []):
                physical = location["physicalLocation"]
                uri = physical["artifactLocation"]["uri"]
                assert isinstance(uri, str) and uri and "\\" not in uri
                if "region" in physical:
                    assert isinstance(physical["region"]["startLine"], int)
                    assert physical["region"]["startLine"] >= 1


def boutique_sarif() -> dict:
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        result = CliRunner().invoke(
            check, ["sample_clusters/online-boutique", "--format", "sarif"]
        )
    finally:
        os.chdir(cwd)
    assert result.exit_code == 1, result.output
    return json.loads(result.output)


def test_boutique_sarif_structure_and_lines() -> None:
    log = boutique_sarif()
    assert_sarif(log)
    results = log["runs"][0]["results"]
    assert results and all(r.get("locations") for r in results)
    # adservice is not ingress-isolated: the result points at its Deployment.
    hits = [
        r
        for r in results
        if r["ruleId"] == "network.micro-segmentation"
        and "boutique/adservice is not isolated for ingress" in r["message"]["text"]
    ]
    assert len(hits) == 1
    physical = hits[0]["locations"][0]["physicalLocation"]
    assert (
        physical["artifactLocation"]["uri"]
        == "sample_clusters/online-boutique/workloads.yaml"
    )
    lines = (ROOT / physical["artifactLocation"]["uri"]).read_text().splitlines()
    start = physical["region"]["startLine"]
    document = []
    for line in lines[start - 1 :]:
        if line.startswith("---"):
            break
        document.append(line)
    assert "kind: Deployment" in document
    assert "  name: adservice" in document
    levels = {r["level"] for r in results}
    assert levels <= {"error", "warning", "note"} and "error" in levels
    assert all(r["partialFingerprints"]["ztlabFingerprint/v1"] for r in results)


def test_passing_items_are_rules_without_results() -> None:
    log = to_sarif(scorecard(ztlab.load(str(SAMPLES / "online-boutique"))))
    rules = [r["id"] for r in log["runs"][0]["tool"]["driver"]["rules"]]
    assert "network.no-ssh" in rules
    assert not [r for r in log["runs"][0]["results"] if r["ruleId"] == "network.no-ssh"]


def test_helm_source_becomes_a_related_location(tmp_path: Path) -> None:
    rendered = tmp_path / "rendered.yaml"
    rendered.write_text(
        "---\n"
        "# Source: shop/templates/bastion.yaml\n"
        "apiVersion: apps/v1\n"
        "kind: Deployment\n"
        "metadata: {name: bastion, namespace: ops}\n"
        "spec:\n"
        "  selector: {matchLabels: {app: bastion}}\n"
        "  template:\n"
        "    metadata: {labels: {app: bastion}}\n"
        "    spec:\n"
        "      containers:\n"
        "        - {name: sshd, image: sshd, ports: [{containerPort: 22}]}\n"
    )
    log = to_sarif(scorecard(ztlab.load(str(rendered))))
    assert_sarif(log)
    ssh = [r for r in log["runs"][0]["results"] if r["ruleId"] == "network.no-ssh"]
    assert len(ssh) == 1
    physical = ssh[0]["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"].endswith("rendered.yaml")
    assert physical["region"]["startLine"] == 3
    related = ssh[0]["relatedLocations"][0]["physicalLocation"]["artifactLocation"]
    assert related["uri"] == "shop/templates/bastion.yaml"


@pytest.mark.parametrize("bad", [{"version": "2.0.0"}, {"runs": []}])
def test_structure_check_rejects_broken_logs(bad: dict) -> None:
    log = to_sarif(scorecard(ztlab.load(str(SAMPLES / "online-boutique"))))
    log.update(bad)
    with pytest.raises((AssertionError, KeyError)):
        assert_sarif(log)
