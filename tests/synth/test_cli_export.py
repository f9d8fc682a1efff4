"""``ztlab export`` on bad input (exit 2, no traceback), --out handling, --live."""

from __future__ import annotations

import importlib

import pytest
from click.testing import CliRunner

import ztlab
from ztlab.cli.export import export as export_command

from .helpers import ROOT, intent_file

BOUTIQUE = str(ROOT / "sample_clusters/online-boutique")
BOOKINFO = str(ROOT / "sample_clusters/bookinfo-mesh")
ROW = "boutique/frontend-7d9f8b-abcde,boutique/adservice-6b8c4f-zzzzz"


def _run(*args: str):
    # catch_exceptions=False: a traceback would fail the test instead of exit 2.
    return CliRunner().invoke(export_command, list(args), catch_exceptions=False)


def test_flow_log_without_usable_row_exits_2(tmp_path):
    log = tmp_path / "rows.csv"
    log.write_text("source,destination,port\nnowhere/pod-1,boutique/adservice,9555\n")
    res = _run(BOUTIQUE, "--out", str(tmp_path / "out"), "--flows", str(log))
    assert res.exit_code == 2
    assert f"error: {log}: no row of the flow log names a flow" in res.output
    assert "line 2: source 'nowhere/pod-1'" in res.output and "Fix:" in res.output
    assert "proof" not in res.output and not (tmp_path / "out").exists()


def test_flow_log_row_with_bad_port_exits_2(tmp_path):
    log = tmp_path / "rows.csv"
    log.write_text(f"source,destination,port\n{ROW},abc\n")
    res = _run(BOUTIQUE, "--out", str(tmp_path / "out"), "--flows", str(log))
    assert res.exit_code == 2
    assert f"error: {log} (line 2): column port: 'abc' is not a port" in res.output


@pytest.mark.parametrize("option", ["--intent", "--flows"])
def test_binary_intent_or_flow_log_exits_2(tmp_path, option):
    blob = tmp_path / "blob.bin"
    blob.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    res = _run(BOUTIQUE, "--out", str(tmp_path / "out"), option, str(blob))
    assert res.exit_code == 2
    assert f"error: {blob}: cannot read " in res.output
    assert "byte 0x89 at offset 0 is not UTF-8" in res.output and "Fix:" in res.output


def test_out_that_is_a_file_exits_2(tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("keep me\n")
    res = _run(BOUTIQUE, "--out", str(afile))
    assert res.exit_code == 2
    assert f"error: --out {afile} is a file, not a directory" in res.output
    res = _run(BOUTIQUE, "--out", str(afile / "sub"))
    assert res.exit_code == 2
    assert f"error: {afile}, a parent of --out, is a file" in res.output
    assert afile.read_text() == "keep me\n"


def test_out_with_missing_parents_is_created(tmp_path):
    out = tmp_path / "a" / "b" / "c"
    res = _run(BOUTIQUE, "--out", str(out), "--remove", "*->boutique/adservice")
    assert res.exit_code == 0, res.output
    assert (out / "kustomization.yaml").exists()


def test_bad_removal_exits_2(tmp_path):
    res = _run(BOUTIQUE, "--out", str(tmp_path), "--remove", "boutique/frontend")
    assert res.exit_code == 2
    assert "error: removal 'boutique/frontend' must be SRC->DST" in res.output


def test_bookinfo_without_intent_keeps_the_mesh(tmp_path):
    res = _run(BOOKINFO, "--out", str(tmp_path))
    assert res.exit_code == 0, res.output
    assert "proof: proven" in res.output
    # Hand-derived in test_current: only ratings' seven meshed callers change
    # (rejected -> mutual/deny); nothing loosens.
    assert "mesh diff: 0 flows tightened, 0 loosened, 7 changed otherwise" in (
        res.output
    )
    text = (tmp_path / "bookinfo.peerauthentication.yaml").read_text()
    assert "PERMISSIVE" not in text
    text = (tmp_path / "bookinfo.authorizationpolicy.yaml").read_text()
    assert "notPrincipals" not in text and "0.0.0.0/0" not in text


def test_live_options_reach_the_live_reader(tmp_path, monkeypatch):
    live = importlib.import_module("ztlab.load.live")
    calls = []

    def fake_load_live(context, kubeconfig, namespaces, **kw):
        calls.append((context, kubeconfig, namespaces))
        return ztlab.load(BOUTIQUE)

    monkeypatch.setattr(live, "load_live", fake_load_live)
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text("apiVersion: v1\nkind: Config\n")
    res = _run(
        "--live",
        "--context",
        "prod",
        "--kubeconfig",
        str(kubeconfig),
        "-n",
        "boutique",
        "--out",
        str(tmp_path / "out"),
        "--intent",
        str(intent_file("online-boutique")),
    )
    assert res.exit_code == 0, res.output
    assert calls == [("prod", str(kubeconfig), ("boutique",))]
    assert "proof: proven" in res.output


def test_live_options_need_live(tmp_path):
    res = _run(BOUTIQUE, "--out", str(tmp_path), "--context", "prod")
    assert res.exit_code == 2
    assert "--context, --kubeconfig and --namespace need --live" in res.output
    res = _run(BOUTIQUE, "--live", "--out", str(tmp_path))
    assert res.exit_code == 2
    assert "give manifest paths or --live, not both" in res.output
