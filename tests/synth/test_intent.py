"""Intent sources: the intent file, the flow log, the current flows minus removals."""

from __future__ import annotations

import pytest

from ztlab.errors import LoadError, QueryError
from ztlab.model import PortSet
from ztlab.synth.intent import from_csv, from_current, from_yaml, parse_ports

from .helpers import ROOT, cluster_of, deployment, namespace, sample


def test_parse_ports_forms():
    assert parse_ports([80, "53/UDP", "8000-8002"]) == (
        PortSet.of("TCP", 80) | PortSet.of("UDP", 53) | PortSet.of("TCP", 8000, 8002)
    )
    assert parse_ports(None) == PortSet.all()
    with pytest.raises(ValueError, match="not a port"):
        parse_ports(["http"])
    with pytest.raises(ValueError, match="outside"):
        parse_ports([70000])


def test_intent_file_names_file_and_field(tmp_path):
    c = sample("online-boutique")
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "flows:\n  - from: boutique/frontend\n    to: boutique/nope\n    ports: [80]\n"
    )
    with pytest.raises(LoadError) as err:
        from_yaml(bad, c)
    assert "bad.yaml" in str(err.value) and "flows[0]" in str(err.value)
    assert "unknown workload" in str(err.value)
    bad.write_text("flows: {}\n")
    with pytest.raises(LoadError, match="list 'flows'"):
        from_yaml(bad, c)


def test_flow_log_maps_pods_to_workloads():
    c = sample("online-boutique")
    intent = from_csv(ROOT / "sample_clusters/online-boutique/flows.csv", c)
    assert intent.unmapped == ()
    pairs = intent.pairs()
    # Written by hand from the CSV rows.
    assert pairs[("203.0.113.10/32", "boutique/frontend")] == PortSet.of("TCP", 8080)
    assert pairs[("boutique/checkoutservice", "boutique/emailservice")] == PortSet.of(
        "TCP", 8080
    )
    assert pairs[("boutique/cartservice", "boutique/redis-cart")] == PortSet.of(
        "TCP", 6379
    )
    assert pairs[("boutique/frontend", "kube-system/kube-dns")] == PortSet.of("UDP", 53)
    assert len(pairs) == 19  # counted by hand from the rows
    email = [f for f in intent.flows if f.dst == "boutique/emailservice"]
    assert email[0].methods == ("POST",)
    assert email[0].paths == ("/hipstershop.EmailService/SendOrderConfirmation",)


def test_flow_log_reports_unmapped_rows(tmp_path):
    c = sample("online-boutique")
    log = tmp_path / "flows.csv"
    log.write_text(
        "source,destination,port,protocol,verdict\n"
        "boutique/frontend-7d9f8b-abcde,boutique/adservice-6b8c4f-zzzzz,9555,TCP,FORWARDED\n"
        "boutique/ghost-7d9f8b-abcde,boutique/adservice-6b8c4f-zzzzz,9555,TCP,FORWARDED\n"
        "nowhere/pod-1,boutique/adservice-6b8c4f-zzzzz,9555,TCP,FORWARDED\n"
        "boutique/frontend-7d9f8b-abcde,boutique/cartservice-7c9d5b-aaaaa,7070,TCP,DROPPED\n"
        "frontend,boutique/adservice-6b8c4f-zzzzz,9555,TCP,FORWARDED\n"
    )
    intent = from_csv(log, c)
    assert [(f.src, f.dst) for f in intent.flows] == [
        ("boutique/frontend", "boutique/adservice")
    ]
    rows = {(r.line, r.field) for r in intent.unmapped}
    assert rows == {(3, "source"), (4, "source"), (5, "verdict"), (6, "source")}
    assert any("namespace nowhere" in r.reason for r in intent.unmapped)


def test_flow_log_pod_ip_inside_pod_cidr_is_unmapped(tmp_path):
    c = sample("online-boutique").replace(pod_cidrs=("10.244.0.0/16",))
    log = tmp_path / "f.csv"
    log.write_text(
        "source,destination,port\n"
        "10.244.1.7,boutique/adservice-6b8c4f-zzzzz,9555\n"
        "boutique/frontend-7d9f8b-abcde,boutique/adservice-6b8c4f-zzzzz,9555\n"
    )
    intent = from_csv(log, c)
    assert [(f.src, f.dst) for f in intent.flows] == [
        ("boutique/frontend", "boutique/adservice")
    ]
    assert intent.unmapped[0].line == 2
    assert intent.unmapped[0].reason == "a pod IP that no loaded pod has"


def test_flow_log_line_numbers_count_comments(tmp_path):
    c = sample("online-boutique")
    log = tmp_path / "f.csv"
    # Line 1 and 3 are comments: the unmapped row is physical line 5.
    log.write_text(
        "# observed\n"
        "source,destination,port\n"
        "# a note\n"
        "boutique/frontend-7d9f8b-abcde,boutique/adservice-6b8c4f-zzzzz,9555\n"
        "nowhere/pod-1,boutique/adservice-6b8c4f-zzzzz,9555\n"
    )
    assert [r.line for r in from_csv(log, c).unmapped] == [5]


@pytest.mark.parametrize(
    ("port", "protocol", "says"),
    [
        ("abc", "TCP", "'abc' is not a port"),
        ("", "TCP", "'' is not a port"),
        ("70000", "TCP", "outside 1-65535"),
        ("80-90", "TCP", "is a range"),
        ("80", "ICMP", "protocol 'ICMP'"),
    ],
)
def test_flow_log_bad_port_is_an_error_naming_the_row(tmp_path, port, protocol, says):
    c = sample("online-boutique")
    log = tmp_path / "rows.csv"
    log.write_text(
        "source,destination,port,protocol\n"
        "boutique/frontend-7d9f8b-abcde,boutique/adservice-6b8c4f-zzzzz,9555,TCP\n"
        f"boutique/frontend-7d9f8b-abcde,boutique/adservice-6b8c4f-zzzzz,{port},"
        f"{protocol}\n"
    )
    with pytest.raises(LoadError) as err:
        from_csv(log, c)
    text = str(err.value)
    assert text.startswith(f"{log} (line 3): ") and says in text
    assert "Fix:" in text


def test_flow_log_without_a_usable_row_is_an_error(tmp_path):
    c = sample("online-boutique")
    log = tmp_path / "rows.csv"
    log.write_text(
        "source,destination,port,verdict\n"
        "nowhere/pod-1,boutique/adservice-6b8c4f-zzzzz,9555,FORWARDED\n"
        "boutique/frontend-7d9f8b-abcde,boutique/adservice-6b8c4f-zzzzz,9555,DROPPED\n"
    )
    with pytest.raises(LoadError) as err:
        from_csv(log, c)
    text = str(err.value)
    assert text.startswith(f"{log}: no row of the flow log names a flow")
    assert "line 2: source 'nowhere/pod-1'" in text and "line 3: verdict" in text
    assert "Fix: name pods as namespace/pod" in text
    log.write_text("source,destination,port\n")
    with pytest.raises(LoadError, match="header but no rows"):
        from_csv(log, c)


@pytest.mark.parametrize("reader", [from_csv, from_yaml])
def test_binary_intent_or_flow_log_is_a_load_error(tmp_path, reader):
    c = sample("online-boutique")
    blob = tmp_path / "blob.bin"
    blob.write_bytes(b"source,destination,port\n\xff\xfe\x00\x01")
    with pytest.raises(LoadError) as err:
        reader(blob, c)
    assert str(err.value).startswith(f"{blob}: cannot read ")
    assert "byte 0xff at offset 24 is not UTF-8" in str(err.value)
    missing = tmp_path / "missing.csv"
    with pytest.raises(LoadError, match="No such file"):
        reader(missing, c)


def test_flow_log_with_nul_bytes_is_a_load_error(tmp_path):
    log = tmp_path / "nul.csv"
    log.write_bytes(b"source,destination,port\n\x00\x00,a,1\n")
    with pytest.raises(LoadError, match="NUL bytes"):
        from_csv(log, sample("online-boutique"))


def test_from_current_removals():
    c = sample("online-boutique")
    full = from_current(c).pairs()
    assert full[("boutique/frontend", "boutique/adservice")] == PortSet.all()
    cut = from_current(c, remove=["boutique/frontend->boutique/adservice:9555"]).pairs()
    assert ("TCP", 9555) not in cut[("boutique/frontend", "boutique/adservice")]
    assert ("TCP", 9556) in cut[("boutique/frontend", "boutique/adservice")]
    with pytest.raises(QueryError):
        from_current(c, remove=["boutique/frontend"])


def test_governed_namespaces_default_skips_kube_system():
    c = cluster_of(
        namespace("a"),
        namespace("kube-system"),
        deployment("a", "x", {"app": "x"}),
        deployment("kube-system", "dns", {"k8s-app": "kube-dns"}),
    )
    assert from_current(c).governed(c) == ("a",)
