"""Live loading against a real HTTP server on loopback that speaks the API.

The server (kube_api_server.py) serves recorded list answers from
live_fixtures/; nothing of the kubernetes client library is mocked. Expected
contents come from those fixtures (written by hand from the API reference) and
from loading the same objects as a ``kubectl get -o yaml`` List dump.
"""

from __future__ import annotations

import dataclasses
import importlib
import io
import json
import logging
import socket
import traceback
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

import ztlab
from ztlab.cli.live import live_options, load_from_options, snapshot
from ztlab.errors import LoadError, Provenance
from ztlab.load.build import API_VERSIONS
from ztlab.load.live import (
    RetryPolicy,
    dump_snapshot,
    live_item,
    load_live,
    read_live,
    save_snapshot,
)
from ztlab.load.live_kinds import BUILTIN_KINDS

from .kube_api_server import RESOURCES, KubeApiServer, fixture

TOKEN = "SECRET-TOKEN-5d1e9a0c7b3f4e21"
FAST = RetryPolicy(
    attempts=3, first_delay=0.01, max_delay=0.02, connect_timeout=1.0, read_timeout=0.4
)
NOWHERE = Provenance("-")


# Helpers


def write_kubeconfig(tmp_path: Path, url: str, token: str = TOKEN) -> Path:
    path = tmp_path / "kubeconfig.yaml"
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": "lab", "cluster": {"server": url}},
            {"name": "gone", "cluster": {"server": f"http://127.0.0.1:{free_port()}"}},
        ],
        "users": [{"name": "reader", "user": {"token": token}}],
        "contexts": [
            {"name": "test", "context": {"cluster": "lab", "user": "reader"}},
            {"name": "offline", "context": {"cluster": "gone", "user": "reader"}},
        ],
        "current-context": "test",
    }
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def live(kubeconfig: Path, **kw: Any) -> ztlab.Cluster:
    kw.setdefault("retry", FAST)
    kw.setdefault("progress", False)
    return load_live("test", kubeconfig, **kw)


def kubectl_dump(
    tmp_path: Path, *, skip: tuple[str, ...] = (), istio: bool = True
) -> Path:
    """The fixtures as `kubectl get <kinds> -o yaml` prints them: one List."""
    items = []
    for r in RESOURCES:
        if r.kind == "Secret" or r.kind in skip or (r.istio and not istio):
            continue
        recorded = fixture(r.fixture)
        for item in recorded["items"]:
            item = {k: v for k, v in item.items() if k not in ("apiVersion", "kind")}
            item["metadata"].pop("managedFields", None)
            items.append({"apiVersion": recorded["apiVersion"], "kind": r.kind, **item})
    path = tmp_path / "dump.yaml"
    dump = {
        "apiVersion": "v1",
        "items": items,
        "kind": "List",
        "metadata": {"resourceVersion": ""},
    }
    path.write_text(yaml.safe_dump(dump), encoding="utf-8")
    return path


def read_issues(cluster: ztlab.Cluster) -> list[Any]:
    """Issues of the live read itself (the builder's name a document)."""
    return [
        i for i in cluster.report.issues if i.where is None or i.where.document is None
    ]


def contents(cluster: ztlab.Cluster) -> dict[str, Any]:
    """Everything a Cluster holds, with provenance blanked out."""

    def plain(objects: Any) -> dict[str, Any]:
        return {
            k: dataclasses.replace(o, provenance=NOWHERE) for k, o in objects.items()
        }

    return {
        "namespaces": plain(cluster.namespaces),
        "workloads": plain(cluster.workloads),
        "services": plain(cluster.services),
        "service_accounts": plain(cluster.service_accounts),
        "network_policies": plain(cluster.network_policies),
        "istio": sorted(
            (dataclasses.replace(r, provenance=NOWHERE) for r in cluster.istio),
            key=lambda r: (r.kind, r.key),
        ),
        "loaded": dict(cluster.report.loaded),
        "skipped": dict(cluster.report.skipped),
    }


@pytest.fixture
def server():
    with KubeApiServer(token=TOKEN) as api:
        yield api


@pytest.fixture
def kubeconfig(tmp_path: Path, server: KubeApiServer) -> Path:
    return write_kubeconfig(tmp_path, server.url)


# What a live load reads


def test_live_load_equals_kubectl_dump(tmp_path, server, kubeconfig):
    cluster = live(kubeconfig, page_size=2)
    from_file = ztlab.load(kubectl_dump(tmp_path))

    assert contents(cluster) == contents(from_file)
    assert [i.message for i in cluster.report.issues] == [
        i.message for i in from_file.report.issues
    ]


def test_live_load_contents_from_fixtures(server, kubeconfig):
    cluster = live(kubeconfig)

    kinds = {k: w.kind for k, w in cluster.workloads.items()}
    assert kinds == {
        "kube-system/coredns": "Deployment",  # its ReplicaSet is not in the dump
        "kube-system/node-agent": "DaemonSet",
        "payments/api": "Deployment",
        "payments/db": "StatefulSet",
        "payments/nightly-report": "CronJob",
        "shop/cart": "Deployment",
        "shop/debug-shell": "Pod",
        "shop/frontend": "Deployment",
        "shop/legacy-web": "ReplicationController",
    }
    frontend = cluster.workloads["shop/frontend"]
    assert dict(frontend.labels.items()) == {"app": "frontend", "version": "v2"}
    assert frontend.service_account == "frontend"
    assert set(frontend.pod_ips) == {"10.244.1.17", "10.244.2.9"}
    assert frontend.observed_sidecar is True
    assert [(p.port, p.name) for p in frontend.ports] == [(8080, "http")]
    assert cluster.workloads["kube-system/node-agent"].host_network is True

    assert cluster.namespaces["shop"].labels.get("istio-injection") == "enabled"
    assert cluster.namespaces["default"].inferred  # only the kubernetes Service
    assert cluster.services["shop/frontend"].ports[0].target_port == "http"
    assert cluster.services["kube-system/kube-dns"].ports[0].protocol == "UDP"
    assert cluster.service_accounts["shop/cart"].automount_token is False

    # No policyTypes and an egress section: Ingress and Egress (K8S-API).
    db_policy = cluster.network_policies["payments/db-egress-dns-only"]
    assert db_policy.policy_types == {"Ingress", "Egress"}
    assert not db_policy.policy_types_explicit

    assert sorted((r.kind, r.key, r.api_version) for r in cluster.istio) == [
        ("AuthorizationPolicy", "istio-system/deny-all", "security.istio.io/v1"),
        ("AuthorizationPolicy", "payments/api-from-frontend", "security.istio.io/v1"),
        ("DestinationRule", "payments/api", "networking.istio.io/v1"),
        ("PeerAuthentication", "istio-system/default", "security.istio.io/v1"),
        ("PeerAuthentication", "shop/legacy-permissive", "security.istio.io/v1"),
        ("RequestAuthentication", "shop/shop-jwt", "security.istio.io/v1"),
    ]
    assert cluster.report.files == ["live:test"]


def test_provenance_names_context_document_and_item(server, kubeconfig):
    cluster = live(kubeconfig)

    # Lists are read in the order Namespace, ServiceAccount, Service, ...
    where = cluster.services["shop/frontend"].provenance
    assert (where.file, where.document, where.item) == ("live:test", 3, 2)


def test_kinds_read_are_the_kinds_the_builder_parses():
    assert {k.kind for k in BUILTIN_KINDS} == set(API_VERSIONS)
    for kind in BUILTIN_KINDS:
        assert kind.api_version in API_VERSIONS[kind.kind]
    assert "Secret" not in {k.kind for k in BUILTIN_KINDS}


def test_list_items_get_api_version_and_kind_first():
    raw = {"metadata": {"name": "web", "managedFields": [{"manager": "kubectl"}]}}
    item = live_item(raw, "Deployment", "apps/v1")
    assert list(item) == ["apiVersion", "kind", "metadata"]
    assert item["apiVersion"] == "apps/v1" and item["kind"] == "Deployment"
    assert "managedFields" not in item["metadata"]
    # Custom resources already carry both; their own values win.
    own = live_item({"apiVersion": "security.istio.io/v1beta1", "kind": "X"}, "Y", "v")
    assert own == {"apiVersion": "security.istio.io/v1beta1", "kind": "X"}


# Requests: read-only, paginated, never Secrets


def test_only_get_requests_and_never_secrets(server, kubeconfig):
    live(kubeconfig)

    assert server.requests
    assert {r.method for r in server.requests} == {"GET"}
    assert all(r.authorized for r in server.requests)
    assert not [r.path for r in server.requests if "secret" in r.path.lower()]


def test_lists_are_paged_with_limit_and_continue(server, kubeconfig):
    cluster = live(kubeconfig, page_size=5)

    pods = [r for r in server.requests if r.path == "/api/v1/pods"]
    assert [r.query.get("limit") for r in pods] == ["5", "5", "5"]
    assert "continue" not in pods[0].query
    assert pods[1].query["continue"] != pods[2].query["continue"]
    assert cluster.report.loaded["Pod"] == len(fixture("pods.json")["items"]) == 12


def test_expired_continue_token_restarts_the_list_once(tmp_path):
    with KubeApiServer(token=TOKEN, expire={"/api/v1/pods"}) as api:
        cluster = live(write_kubeconfig(tmp_path, api.url), page_size=5)
        pods = [r for r in api.requests if r.path == "/api/v1/pods"]

    assert len(pods) == 5  # first page, 410, then three pages from the top
    assert "continue" not in pods[2].query
    assert cluster.report.loaded["Pod"] == 12
    assert cluster.report.skipped["duplicate"] == 0
    assert read_issues(cluster) == []


# Partial access and failures


def test_forbidden_kind_is_a_warning_and_the_rest_loads(tmp_path):
    with KubeApiServer(token=TOKEN, forbidden={"/apis/apps/v1/daemonsets"}) as api:
        cluster = live(write_kubeconfig(tmp_path, api.url))

    warnings = [i.message for i in read_issues(cluster)]
    assert len(warnings) == 1
    assert "DaemonSet" in warnings[0] and "daemonsets.apps" in warnings[0]
    assert "all namespaces" in warnings[0] and "HTTP 403" in warnings[0]
    assert read_issues(cluster)[0].where.file == "live:test"
    assert read_issues(cluster)[0].severity == "warning"
    # The DaemonSet's pods still make a workload, with the controller's kind.
    assert cluster.workloads["kube-system/node-agent"].kind == "DaemonSet"
    assert cluster.workloads["kube-system/node-agent"].host_network is True
    assert contents(cluster) == contents(
        ztlab.load(kubectl_dump(tmp_path, skip=("DaemonSet",)))
    )


def test_forbidden_namespace_is_a_warning_naming_it(tmp_path):
    forbidden = {"/api/v1/namespaces/payments/pods", "/api/v1/namespaces/payments"}
    with KubeApiServer(token=TOKEN, forbidden=forbidden) as api:
        cluster = live(
            write_kubeconfig(tmp_path, api.url), namespaces=["shop", "payments"]
        )
        paths = [r.path for r in api.requests]

    messages = sorted(i.message for i in read_issues(cluster))
    assert len(messages) == 2
    assert "get namespace payments" in messages[0]
    assert "Pod (pods) in namespace payments" in messages[1]
    assert sorted(cluster.namespaces) == ["payments", "shop"]
    assert cluster.namespaces["payments"].inferred
    assert not cluster.namespaces["shop"].inferred
    # Only the two namespaces were asked for, never a cluster-wide list.
    assert "/api/v1/pods" not in paths and "/api/v1/namespaces" not in paths
    assert "/apis/apps/v1/namespaces/payments/deployments" in paths
    assert {w.namespace for w in cluster.workloads.values()} == {"shop", "payments"}
    assert "payments/api" in cluster.workloads  # inferred from its ReplicaSet


def test_absent_istio_groups_are_normal(tmp_path):
    with KubeApiServer(token=TOKEN, istio=False) as api:
        cluster = live(write_kubeconfig(tmp_path, api.url))
        paths = [r.path for r in api.requests]

    assert cluster.istio == ()
    assert read_issues(cluster) == []
    assert not [p for p in paths if "istio.io" in p]
    assert contents(cluster) == contents(
        ztlab.load(kubectl_dump(tmp_path, istio=False))
    )


def test_istio_version_missing_from_discovery_answers_404(tmp_path):
    # /apis lists the group, but its version answers 404 (a CRD just removed).
    with KubeApiServer(
        token=TOKEN, failures={"/apis/security.istio.io/v1": [404]}
    ) as api:
        cluster = live(write_kubeconfig(tmp_path, api.url))

    assert {r.kind for r in cluster.istio} == {"DestinationRule"}
    assert read_issues(cluster) == []


def test_older_istio_version_is_read_where_served(tmp_path):
    with KubeApiServer(token=TOKEN, istio_version="v1beta1") as api:
        cluster = live(write_kubeconfig(tmp_path, api.url))
        paths = {r.path for r in api.requests}

    assert "/apis/security.istio.io/v1beta1/peerauthentications" in paths
    assert {r.api_version for r in cluster.istio} == {
        "security.istio.io/v1beta1",
        "networking.istio.io/v1beta1",
    }


def test_slow_answer_times_out_and_is_retried(tmp_path):
    slow = {"/apis/apps/v1/deployments": (1, 3.0)}
    with KubeApiServer(token=TOKEN, slow=slow) as api:
        cluster = live(write_kubeconfig(tmp_path, api.url))
        tries = [r for r in api.requests if r.path == "/apis/apps/v1/deployments"]

    assert len(tries) == 2
    assert tries[0].query == tries[1].query
    assert cluster.report.loaded["Deployment"] == 4
    assert read_issues(cluster) == []


def test_server_error_recovers_on_retry(tmp_path):
    with KubeApiServer(token=TOKEN, failures={"/api/v1/services": [500, 503]}) as api:
        cluster = live(write_kubeconfig(tmp_path, api.url))
        tries = [r for r in api.requests if r.path == "/api/v1/services"]

    assert len(tries) == 3
    assert cluster.report.loaded["Service"] == 6
    assert read_issues(cluster) == []


def test_lasting_failures_become_warnings_after_bounded_retries(tmp_path):
    with KubeApiServer(
        token=TOKEN,
        failures={"/api/v1/services": [500] * 10},
        slow={"/apis/batch/v1/jobs": (10, 3.0)},
    ) as api:
        cluster = live(write_kubeconfig(tmp_path, api.url))
        services = [r for r in api.requests if r.path == "/api/v1/services"]
        jobs = [r for r in api.requests if r.path == "/apis/batch/v1/jobs"]

    assert len(services) == len(jobs) == FAST.attempts
    messages = sorted(i.message for i in read_issues(cluster))
    assert "Job (jobs.batch) in all namespaces" in messages[0]
    assert "timeout" in messages[0] and "after 3 tries" in messages[0]
    assert "Service (services)" in messages[1] and "HTTP 500" in messages[1]
    assert "shop/frontend" in cluster.workloads and not cluster.services


def test_forbidden_is_not_retried(tmp_path):
    with KubeApiServer(token=TOKEN, forbidden={"/api/v1/services"}) as api:
        live(write_kubeconfig(tmp_path, api.url))
        assert len([r for r in api.requests if r.path == "/api/v1/services"]) == 1


def test_retry_delays_double_up_to_the_cap():
    policy = RetryPolicy(attempts=5, first_delay=0.25, max_delay=1.0)
    assert list(policy.delays()) == [0.25, 0.5, 1.0, 1.0]
    assert list(RetryPolicy(attempts=1).delays()) == []


def test_strict_turns_a_forbidden_kind_into_an_error(tmp_path):
    api = KubeApiServer(token=TOKEN, forbidden={"/apis/apps/v1/daemonsets"})
    with api, pytest.raises(LoadError, match="DaemonSet"):
        live(write_kubeconfig(tmp_path, api.url), strict=True)


def test_unknown_context_names_the_ones_there_are(kubeconfig):
    with pytest.raises(LoadError, match="no context 'prod'.*test"):
        load_live("prod", kubeconfig, progress=False)


def test_unreachable_server_is_a_clear_error(kubeconfig):
    with pytest.raises(
        LoadError, match="cannot reach the API server: connection refused"
    ):
        load_live("offline", kubeconfig, progress=False, retry=FAST)


def test_rejected_credentials_are_a_clear_error(tmp_path, server):
    path = write_kubeconfig(tmp_path, server.url, token="SECRET-TOKEN-not-this-one")
    with pytest.raises(LoadError, match="rejected the credentials"):
        live(path)


# Credentials


def _scenarios(tmp_path: Path, api: KubeApiServer) -> list[tuple[str, Path, str]]:
    good = write_kubeconfig(tmp_path / "good", api.url)
    bad = write_kubeconfig(tmp_path / "bad", api.url, token=TOKEN + "-stale")
    return [
        ("test", good, "loads"),
        ("offline", good, "refused"),
        ("test", bad, "401"),
        ("nope", good, "context"),
    ]


@pytest.mark.parametrize("case", range(4))
def test_credentials_never_reach_output_logs_report_or_errors(
    tmp_path, case, capsys, caplog, monkeypatch
):
    # The CLI takes the default retry policy: make it fast.
    monkeypatch.setattr(
        importlib.import_module("ztlab.load.live_client"), "DEFAULT_RETRY", FAST
    )
    caplog.set_level(logging.DEBUG)
    for sub in ("good", "bad"):
        (tmp_path / sub).mkdir()
    faults = {
        "forbidden": {"/apis/apps/v1/daemonsets"},
        "failures": {"/api/v1/services": [500] * 5},
    }
    with KubeApiServer(token=TOKEN, **faults) as api:
        context, path, what = _scenarios(tmp_path, api)[case]
        texts: list[str] = []
        try:
            cluster = load_live(context, path, progress=True, retry=FAST)
        except LoadError as exc:
            assert what != "loads"
            texts += [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
        else:
            assert what == "loads"
            assert cluster.report.warnings  # the 403 and the 500 were reported
            assert all(r.authorized for r in api.requests)  # the token was sent
            texts += [json.dumps(cluster.report.to_dict()), repr(cluster)]
            texts.append(
                dump_snapshot(read_live(context, path, progress=False, retry=FAST))
            )
        result = CliRunner().invoke(
            snapshot,
            [
                "--live",
                "--context",
                context,
                "--kubeconfig",
                str(path),
                "--out",
                str(tmp_path / "snap.yaml"),
            ],
        )
        texts += [result.output, str(result.exception or "")]
    out, err = capsys.readouterr()
    texts += [out, err, caplog.text]
    if what != "context":
        assert caplog.records  # the DEBUG logs were captured and checked
    for text in texts:
        assert TOKEN not in text
        assert "SECRET-TOKEN" not in text


def test_redaction_blanks_kubeconfig_credentials(kubeconfig):
    from ztlab.load.live_client import LiveClient

    client = LiveClient("test", kubeconfig)
    try:
        text = client.redact(f"token {TOKEN}, header Bearer {TOKEN}")
        assert TOKEN not in text and text.count("[redacted]") == 2
    finally:
        client.close()


# Snapshots


def test_snapshot_reloads_to_the_same_cluster(tmp_path, server, kubeconfig):
    read = read_live("test", kubeconfig, progress=False, retry=FAST, page_size=4)
    path = save_snapshot(read, tmp_path / "snap.yaml")
    text = path.read_text(encoding="utf-8")

    again = ztlab.load(path)
    direct = live(kubeconfig)
    assert contents(again) == contents(direct)
    assert [i.message for i in again.report.issues] == [
        i.message for i in direct.report.issues
    ]
    # One `kind: List` per kind read, in the order read.
    documents = list(yaml.safe_load_all(text))
    assert [d["kind"] for d in documents] == ["List"] * len(documents)
    assert [d["items"][0]["kind"] for d in documents[:3]] == [
        "Namespace",
        "ServiceAccount",
        "Service",
    ]
    assert "managedFields" not in text
    assert "Secret" not in text and "U0VDUkVU" not in text
    assert text.startswith("# ztlab snapshot of live:test")


def test_snapshot_notes_what_could_not_be_read(tmp_path):
    with KubeApiServer(token=TOKEN, forbidden={"/apis/apps/v1/daemonsets"}) as api:
        read = read_live("test", write_kubeconfig(tmp_path, api.url), progress=False)
    text = dump_snapshot(read)
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert any("DaemonSet" in line and "HTTP 403" in line for line in header)
    kinds = {i["kind"] for d in yaml.safe_load_all(text) for i in d["items"]}
    assert "DaemonSet" not in kinds and "Pod" in kinds


# Command line


def test_cli_snapshot_writes_a_reloadable_dump(tmp_path, server, kubeconfig):
    out = tmp_path / "cluster.yaml"
    result = CliRunner().invoke(
        snapshot,
        [
            "--live",
            "--context",
            "test",
            "--kubeconfig",
            str(kubeconfig),
            "--out",
            str(out),
            "--no-progress",
        ],
    )

    assert result.exit_code == 0, result.output
    # 56 objects in the fixtures (Secrets aside), 16 kinds with Istio.
    assert "wrote 56 objects of 16 kinds from live:test" in result.output
    assert contents(ztlab.load(out)) == contents(live(kubeconfig))


def test_cli_snapshot_to_stdout_and_for_one_namespace(tmp_path, server, kubeconfig):
    result = CliRunner().invoke(
        snapshot,
        [
            "--live",
            "--kubeconfig",
            str(kubeconfig),
            "-n",
            "shop",
            "--out",
            "-",
            "--no-progress",
        ],
    )

    assert result.exit_code == 0, result.output
    namespaces = {
        item["metadata"].get("namespace", item["metadata"]["name"])
        for doc in yaml.safe_load_all(result.output)
        for item in doc["items"]
    }
    assert namespaces == {"shop"}


def test_cli_snapshot_needs_live(tmp_path):
    result = CliRunner().invoke(snapshot, ["--out", str(tmp_path / "x.yaml")])
    assert result.exit_code == 2
    assert "add --live" in result.output


def test_cli_snapshot_names_the_forbidden_kind(tmp_path):
    with KubeApiServer(token=TOKEN, forbidden={"/apis/apps/v1/daemonsets"}) as api:
        kubeconfig = write_kubeconfig(tmp_path, api.url)
        result = CliRunner().invoke(
            snapshot,
            [
                "--live",
                "--kubeconfig",
                str(kubeconfig),
                "--out",
                str(tmp_path / "s.yaml"),
                "--no-progress",
            ],
        )
    assert result.exit_code == 0
    assert "warning:" in result.output and "DaemonSet" in result.output


def test_load_from_options(tmp_path, server, kubeconfig, capsys):
    import click

    with pytest.raises(click.UsageError, match="not both"):
        load_from_options(
            ("a.yaml",), True, None, str(kubeconfig), (), False, "default"
        )
    with pytest.raises(click.UsageError, match="need --live"):
        load_from_options((), False, "test", None, (), False, "default")

    cluster = load_from_options(
        (), True, "test", str(kubeconfig), ("shop",), False, "default", progress=False
    )
    assert {w.namespace for w in cluster.workloads.values()} == {"shop"}

    dump = kubectl_dump(tmp_path)
    from_file = load_from_options((str(dump),), False, None, None, (), False, "default")
    assert contents(from_file) == contents(live(kubeconfig))


def test_live_options_reach_the_command(server, kubeconfig):
    import click

    seen: dict[str, Any] = {}

    @click.command()
    @live_options
    def probe(**kw: Any) -> None:
        seen.update(kw)

    result = CliRunner().invoke(
        probe,
        [
            "--live",
            "--context",
            "c",
            "--kubeconfig",
            str(kubeconfig),
            "-n",
            "a",
            "--namespace",
            "b",
        ],
    )
    assert result.exit_code == 0, result.output
    assert seen == {
        "live": True,
        "context": "c",
        "kubeconfig": str(kubeconfig),
        "namespaces": ("a", "b"),
    }


def test_report_text_of_live_and_dump_agree(tmp_path, server, kubeconfig):
    from ztlab.cli.report import render
    from ztlab.summary import cluster_report

    def text(cluster: ztlab.Cluster) -> str:
        data = cluster_report(cluster)
        # Issues point at live:test or at dump.yaml: compare what they say.
        data["issues"] = [{**i, "text": i["message"]} for i in data["issues"]]
        return render(data, markdown=False)

    shown = text(live(kubeconfig))
    assert shown == text(ztlab.load(kubectl_dump(tmp_path)))
    assert "shop/frontend" in shown


# Progress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_per_kind_on_a_terminal(server, kubeconfig, monkeypatch):
    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    live(kubeconfig, progress=True)
    shown = terminal.getvalue()
    for kind in ("Namespace", "Pod", "NetworkPolicy", "PeerAuthentication"):
        assert kind in shown


def test_no_progress_bar_off_a_terminal_or_when_disabled(
    server, kubeconfig, monkeypatch, capsys
):
    live(kubeconfig, progress=True)  # captured stderr is not a terminal
    assert capsys.readouterr().err == ""
    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    live(kubeconfig, progress=False)
    assert terminal.getvalue() == ""


# The issue's acceptance check: `ztlab report --live --context test`


def test_cli_report_live_equals_the_dump_and_names_the_forbidden_kind(tmp_path):
    import json as _json

    from ztlab.cli import _register, cli

    _register()
    with KubeApiServer(token=TOKEN, forbidden={"/apis/apps/v1/daemonsets"}) as api:
        config = write_kubeconfig(tmp_path, api.url)
        result = CliRunner().invoke(
            cli,
            [
                "report",
                "--live",
                "--context",
                "test",
                "--kubeconfig",
                str(config),
                "--format",
                "json",
            ],
        )
    assert result.exit_code == 0, result.output
    live_report = _json.loads(result.stdout)
    dump = kubectl_dump(tmp_path, skip=("DaemonSet",))
    file_report = _json.loads(
        CliRunner().invoke(cli, ["report", str(dump), "--format", "json"]).stdout
    )
    for key in (
        "counts",
        "loaded",
        "skipped",
        "namespaces",
        "workloads",
        "policies",
        "mesh",
    ):
        assert live_report[key] == file_report[key], key
    assert [f["message"] for f in live_report["findings"]] == [
        f["message"] for f in file_report["findings"]
    ]
    warnings = [i["text"] for i in live_report["issues"] if i["severity"] == "warning"]
    assert any("DaemonSet" in w and "403" in w for w in warnings)
    assert TOKEN not in result.output


# Reads where nothing works, kubeconfig trouble, and `ztlab check --live`

EVERY_LIST = {f"{r.prefix}/{r.plural}" for r in RESOURCES if r.kind != "Secret"}


def test_every_list_forbidden_is_an_error_with_an_rbac_hint(tmp_path):
    api = KubeApiServer(token=TOKEN, forbidden=EVERY_LIST | {"/apis"})
    with api, pytest.raises(LoadError) as err:
        live(write_kubeconfig(tmp_path, api.url))
    text = str(err.value)
    # 12 built-in kinds (Secrets are never read) and the discovery of /apis.
    assert text.startswith(
        "live:test: nothing could be read from the cluster: 13 requests failed "
        "(13 forbidden (HTTP 403)) and no object was read. Fix: grant the reader "
        "get and list"
    )
    assert "try again" not in text


def test_every_list_failing_with_500_is_an_error_with_a_server_hint(tmp_path):
    failures = {p: [500] * 10 for p in EVERY_LIST | {"/apis"}}
    api = KubeApiServer(token=TOKEN, failures=failures)
    with api, pytest.raises(LoadError) as err:
        live(write_kubeconfig(tmp_path, api.url))
    text = str(err.value)
    assert "nothing could be read from the cluster" in text
    assert "(13 server error (HTTP 500))" in text
    assert "Fix: the API server failed or did not answer in time" in text
    assert "grant" not in text and "RBAC" not in text


def test_failed_discovery_hint_fits_the_status(tmp_path):
    with KubeApiServer(token=TOKEN, failures={"/apis": [500] * 10}) as api:
        cluster = live(write_kubeconfig(tmp_path, api.url))
    (issue,) = read_issues(cluster)
    assert "cannot discover the API groups: server error (HTTP 500)" in issue.message
    assert "non-resource URL" not in str(issue)
    assert "the API server failed" in str(issue)
    # The built-in kinds were read all the same.
    assert "shop/frontend" in cluster.workloads and cluster.istio == ()

    with KubeApiServer(token=TOKEN, forbidden={"/apis"}) as api:
        cluster = live(write_kubeconfig(tmp_path, api.url))
    (issue,) = read_issues(cluster)
    assert "grant the reader get on the non-resource URL /apis" in str(issue)


def test_missing_kubeconfig_file_says_so(tmp_path, monkeypatch):
    missing = tmp_path / "nonexist"
    with pytest.raises(LoadError) as err:
        load_live(None, missing, progress=False)
    assert str(err.value) == (
        f"{missing}: the kubeconfig file does not exist. Fix: check the path given "
        "with --kubeconfig"
    )
    monkeypatch.setenv("KUBECONFIG", str(missing))
    with pytest.raises(LoadError, match="no kubeconfig found"):
        load_live(None, None, progress=False)


def test_failing_exec_credential_plugin_is_a_clear_error(tmp_path, capsys, caplog):
    import logging as _logging
    import sys

    # The plugin fails the way `aws eks get-token` does without a session.
    plugin = "import sys; sys.stderr.write('no session, log in'); sys.exit(3)"
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": "gone", "cluster": {"server": f"http://127.0.0.1:{free_port()}"}}
        ],
        "users": [
            {
                "name": "cloud",
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": sys.executable,
                        "args": ["-c", plugin],
                    }
                },
            }
        ],
        "contexts": [{"name": "eks", "context": {"cluster": "gone", "user": "cloud"}}],
        "current-context": "eks",
    }
    path = tmp_path / "kubeconfig.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    handlers = list(_logging.getLogger().handlers)

    with pytest.raises(LoadError) as err:
        load_live("eks", path, progress=False, retry=FAST)
    text = str(err.value)
    assert "credential plugin (exec) failed: exec: process returned 3" in text
    assert "no session, log in" in text
    assert "connection refused" not in text and "reach" not in text
    # Nothing printed, nothing logged through the root logger, no handler left.
    assert "ERROR:root" not in capsys.readouterr().err
    assert not [r for r in caplog.records if r.levelno >= _logging.ERROR]
    assert _logging.getLogger().handlers == handlers


def _check(*args: str):
    from ztlab.cli import _register, cli

    _register()
    return CliRunner().invoke(cli, ["check", *args, "--format", "json"])


def test_cli_check_live_equals_check_of_the_dump(tmp_path, server, kubeconfig):
    live_run = _check("--live", "--context", "test", "--kubeconfig", str(kubeconfig))
    file_run = _check(str(kubectl_dump(tmp_path)))
    assert live_run.exit_code == file_run.exit_code, live_run.output
    live_card, file_card = json.loads(live_run.stdout), json.loads(file_run.stdout)

    def said(card: dict[str, Any]) -> list[Any]:
        # Evidence points at live:test or at dump.yaml: compare what it says.
        return [
            (
                i["id"],
                i["status"],
                i["message"],
                [v["message"] for v in i["violations"]],
            )
            for i in card["items"]
        ]

    assert said(live_card) == said(file_card)
    assert live_card["pillars"] == file_card["pillars"]
    assert live_card["gate"]["violations"] == file_card["gate"]["violations"] > 0

    one = _check("--live", "--kubeconfig", str(kubeconfig), "-n", "shop")
    assert one.exit_code in (0, 1), one.output
    assert [r.path for r in server.requests if r.path == "/api/v1/pods"] == [
        "/api/v1/pods"  # only the first, cluster-wide run listed every pod
    ]
    assert "/api/v1/namespaces/shop/pods" in [r.path for r in server.requests]


def test_cli_check_live_needs_live_for_its_options_and_fails_on_no_access(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(
        importlib.import_module("ztlab.load.live_client"), "DEFAULT_RETRY", FAST
    )
    result = _check("--context", "test")
    assert result.exit_code == 2 and "need --live" in result.output

    with KubeApiServer(token=TOKEN, forbidden=EVERY_LIST | {"/apis"}) as api:
        config = write_kubeconfig(tmp_path, api.url)
        result = _check("--live", "--kubeconfig", str(config))
    assert result.exit_code == 2
    assert "nothing could be read from the cluster" in result.output
    assert result.stdout == ""
