"""The report, flows and reach commands: output forms and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ztlab.cli import _register, cli

ROOT = Path(__file__).resolve().parents[2]
BOUTIQUE = str(ROOT / "sample_clusters" / "online-boutique")
BOOKINFO = str(ROOT / "sample_clusters" / "bookinfo-mesh")

_register()


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def test_report_without_path_summarises_the_bundled_sample():
    result = run("report")
    assert result.exit_code == 0
    assert "boutique/frontend" in result.output
    assert "Findings" in result.output


def test_report_json_is_valid_and_complete():
    result = run("report", BOOKINFO, "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert set(data) >= {
        "counts",
        "loaded",
        "skipped",
        "issues",
        "namespaces",
        "workloads",
        "policies",
        "mesh",
        "findings",
    }
    # bookinfo has three reviews versions sharing one service account.
    accounts = {w["workload"]: w["service_account"] for w in data["workloads"]}
    assert accounts["bookinfo/reviews-v1"] == accounts["bookinfo/reviews-v3"]


def test_report_markdown_has_tables():
    result = run("report", BOUTIQUE, "--format", "markdown")
    assert result.exit_code == 0
    assert "## Workloads" in result.output and "| --- |" in result.output


def test_report_names_the_broken_document_and_loads_the_rest(tmp_path):
    (tmp_path / "mixed.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: good, namespace: a}\n"
        "spec: {containers: [{name: c}]}\n"
        "---\nkind: Pod\nmetadata: {name: [broken\n"
        "---\napiVersion: v1\nkind: Pod\nmetadata: {name: also-good, namespace: a}\n"
        "spec: {containers: [{name: c}]}\n"
    )
    result = run("report", str(tmp_path), "--format", "json")
    data = json.loads(result.output)
    names = {w["workload"] for w in data["workloads"]}
    assert names == {"a/good", "a/also-good"}
    assert any(
        i["document"] == 2 and "invalid YAML" in i["message"] for i in data["issues"]
    )


def test_flows_json_form():
    result = run("flows", BOUTIQUE, "--format", "json")
    assert result.exit_code == 0
    flows = json.loads(result.output)["flows"]
    assert all(set(f) >= {"src", "dst", "protocol", "ports"} for f in flows)
    # loadgenerator -> frontend: egress to all of boutique, ingress on http=8080.
    hit = [
        f
        for f in flows
        if f["src"] == "boutique/loadgenerator"
        and f["dst"] == "boutique/frontend"
        and f["protocol"] == "TCP"
    ]
    assert hit and hit[0]["ports"] == [[8080, 8080]]


def test_flows_csv_and_namespace_level():
    result = run("flows", BOUTIQUE, "--format", "csv", "--level", "namespace")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].startswith("src,dst,protocol,ports")
    assert any(line.startswith("boutique,kube-system,") is False for line in lines)


def test_reach_json_has_network_and_mesh_members():
    result = run(
        "reach",
        BOOKINFO,
        "--from",
        "outside/curl",
        "--to",
        "svc:bookinfo/ratings",
        "--port",
        "9080",
        "--json",
    )
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["network"]["allowed"] is True
    # curl has no sidecar; ratings is STRICT mesh-wide: the mesh rejects it.
    assert data["mesh"]["mtls"] == "rejected"
    assert data["allowed"] is False
    assert set(data["network"]) >= {"allowed", "egress", "ingress", "reason"}


def test_reach_without_mesh_has_null_mesh():
    result = run(
        "reach",
        BOUTIQUE,
        "--from",
        "boutique/checkoutservice",
        "--to",
        "svc:boutique/emailservice",
        "--port",
        "5000",
        "--json",
    )
    data = json.loads(result.output)
    assert data["mesh"] is None
    # The policy names the Service port 5000; pods listen on 8080.
    assert data["allowed"] is False and data["definite"] is True


def test_reach_exit_zero_on_denied_and_two_on_unknown():
    denied = run(
        "reach",
        BOUTIQUE,
        "--from",
        "boutique/frontend",
        "--to",
        "boutique/redis-cart",
        "--port",
        "6379",
    )
    assert denied.exit_code == 0 and "DENIED" in denied.output
    unknown = CliRunner().invoke(
        cli, ["reach", BOUTIQUE, "--from", "boutique/nope", "--to", "boutique/frontend"]
    )
    assert unknown.exit_code == 2
    assert "unknown workload 'boutique/nope'" in unknown.output


@pytest.mark.parametrize("port", ["0", "70000"])
def test_reach_rejects_ports_outside_the_range(port):
    result = CliRunner().invoke(
        cli,
        [
            "reach",
            BOUTIQUE,
            "--from",
            "boutique/frontend",
            "--to",
            "boutique/adservice",
            "--port",
            port,
        ],
    )
    assert result.exit_code == 2
    assert "outside 1-65535" in result.output


def test_report_reads_stdin():
    text = (ROOT / "sample_clusters/online-boutique/namespaces.yaml").read_text()
    result = run("report", "-", "--format", "json", input=text)
    data = json.loads(result.output)
    assert "boutique" in {n["name"] for n in data["namespaces"]}
