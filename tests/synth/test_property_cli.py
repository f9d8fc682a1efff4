"""Property test over generated clusters, and the ztlab export command."""

from __future__ import annotations

import importlib.util
import sys

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ztlab.cli.export import export as export_command
from ztlab.synth import export, from_current
from ztlab.synth.intent import Intent, IntentFlow
from ztlab.synth.proof import Difference, Proof

from .helpers import ROOT, cluster_of, intent_file

_spec = importlib.util.spec_from_file_location(
    "ztlab_bench_generate_synth", ROOT / "benchmarks" / "generate.py"
)
assert _spec is not None and _spec.loader is not None
generate = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = generate
_spec.loader.exec_module(generate)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    size=st.integers(min_value=3, max_value=12),
    seed=st.integers(min_value=0, max_value=10_000),
    data=st.data(),
)
def test_proof_holds_or_reports_inexpressible(size, seed, data):
    c = cluster_of(*generate.generate(size, seed=seed))
    current = from_current(c)
    keep = data.draw(
        st.lists(
            st.booleans(), min_size=len(current.flows), max_size=len(current.flows)
        )
    )
    flows = tuple(f for f, k in zip(current.flows, keep, strict=True) if k)
    intent = Intent(flows, dns=data.draw(st.booleans()))
    result = export(c, intent, mesh=False)
    assert result.proof.ok, result.proof.to_dict()["differences"][:3]
    assert result.proof.status in ("proven", "inexpressible")
    if result.proof.status == "proven":
        assert not result.proof.inexpressible
    assert result.problems == []


def test_property_sees_inexpressible_flows_sometimes():
    # generate() gives workloads shared label sets on purpose: some seed hits one.
    statuses = set()
    for seed in range(6):
        c = cluster_of(*generate.generate(12, seed=seed))
        cur = from_current(c)
        half = Intent(cur.flows[::2], dns=False)
        statuses.add(export(c, half, mesh=False).proof.status)
    assert "inexpressible" in statuses and "failed" not in statuses


def _run(*args):
    return CliRunner().invoke(export_command, list(args), catch_exceptions=False)


def test_cli_export_intent(tmp_path):
    out = tmp_path / "out"
    res = _run(
        str(ROOT / "sample_clusters/bookinfo-mesh"),
        "--out",
        str(out),
        "--intent",
        str(intent_file("bookinfo-mesh")),
    )
    assert res.exit_code == 0, res.output
    assert "proof: proven" in res.output and "diff:" in res.output
    assert (out / "kustomization.yaml").exists()
    assert (out / "bookinfo.authorizationpolicy.yaml").exists()
    assert "mesh gap: bookinfo/reviews-v1 -> bookinfo/ratings" in res.output


def test_cli_flows_and_remove_and_fix(tmp_path):
    boutique = str(ROOT / "sample_clusters/online-boutique")
    res = _run(
        boutique,
        "--out",
        str(tmp_path / "a"),
        "--flows",
        str(ROOT / "sample_clusters/online-boutique/flows.csv"),
    )
    assert res.exit_code == 0 and "proof: proven" in res.output
    res = _run(
        boutique, "--out", str(tmp_path / "b"), "--remove", "*->boutique/adservice"
    )
    assert res.exit_code == 0 and "proof: proven" in res.output
    res = _run(boutique, "--out", str(tmp_path / "c"), "--fix-findings")
    assert res.exit_code == 0 and "fixed findings gone" in res.output
    assert (tmp_path / "c" / "boutique.networkpolicy.yaml").exists()


def test_cli_exit_code_when_proof_fails(tmp_path, monkeypatch):
    import ztlab.synth as synth

    def failing(plan, generated, mesh=None):
        return Proof(
            differences=[Difference("network", "extra", "a/b", "a/c", "TCP 1")]
        )

    monkeypatch.setattr(synth, "prove", failing)
    res = _run(str(ROOT / "sample_clusters/online-boutique"), "--out", str(tmp_path))
    assert res.exit_code == 1
    assert "proof: failed" in res.output and "extra [network] a/b -> a/c" in res.output


def test_cli_rejects_two_intents(tmp_path):
    res = CliRunner().invoke(
        export_command,
        [
            str(ROOT / "sample_clusters/online-boutique"),
            "--out",
            str(tmp_path),
            "--intent",
            str(intent_file("online-boutique")),
            "--flows",
            str(ROOT / "sample_clusters/online-boutique/flows.csv"),
        ],
    )
    assert res.exit_code == 2


def test_intent_flow_type_is_plain():
    f = IntentFlow("a/x", "a/y", __import__("ztlab").model.PortSet.of("TCP", 1))
    assert not f.http
