"""Decision table, request matrices, diff, why-not and cluster identities."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from ztlab.abac import (
    cluster_requests,
    cluster_resources,
    cluster_schema,
    cluster_subjects,
    decide_requests,
    decision_diff,
    decision_table,
    load_policies,
    load_requests,
    requests_from_frame,
    why_not,
)
from ztlab.errors import PolicyError
from ztlab.model import Cluster, Labels, Namespace, Service, ServiceAccount, Workload

from .helpers import request

MFA_ADMIN = [
    {
        "id": "admin-mfa",
        "effect": "deny",
        "target": {"actions": ["admin"]},
        "condition": '!("otp" in subject.amr || "hwk" in subject.amr)',
    },
    {"id": "admins", "effect": "allow", "condition": 'subject.role == "admin"'},
]


def test_table_counts_by_hand(build: Any) -> None:
    table = decision_table(build(*MFA_ADMIN))
    frame = table.frame()
    assert len(frame) == 2304
    # allowed: role admin (768 requests) minus admin actions without otp/hwk:
    # 768 / 3 actions = 256 admin actions, amr without otp and hwk: 2 of 8.
    assert (frame["decision"] == "allow").sum() == 768 - 256 * 2 // 8
    row = frame[
        (frame["subject.role"] == "admin")
        & (frame["action"] == "admin")
        & (frame["subject.amr"] == "pwd")
    ].iloc[0]
    assert row["decision"] == "deny" and row["deciding"] == "admin-mfa"


def test_table_refuses_infinite_attribute(build: Any) -> None:
    ps = build({"id": "p", "effect": "allow", "condition": '"x" in resource.labels'})
    with pytest.raises(PolicyError, match="no finite domain"):
        decision_table(ps)


def test_table_request_roundtrip(build: Any) -> None:
    ps = build(*MFA_ADMIN)
    table = decision_table(ps)
    for row in (0, 17, 1000, 2303):
        assert ps.decide(table.request(row)).outcome == table.decision(row).outcome


def test_requests_from_yaml_csv_and_frame(tmp_path: Path, build: Any) -> None:
    ps = build(*MFA_ADMIN)
    (tmp_path / "r.yaml").write_text(
        "requests:\n- id: a\n  expect: allow\n  subject: {role: admin, amr: [otp]}\n"
        "  action: admin\n- id: b\n  expect: allow\n"
        "  subject: {role: admin, amr: [pwd]}\n"
        "  action: admin\n"
    )
    (tmp_path / "r.csv").write_text(
        "id,subject.role,subject.amr,action,environment.hour\n"
        "a,admin,otp|pwd,admin,2\nb,admin,[],admin,\n"
    )
    from_yaml = decide_requests(ps, load_requests(tmp_path / "r.yaml", ps.schema))
    assert list(from_yaml["decision"]) == ["allow", "deny"]
    assert list(from_yaml["ok"]) == [True, False]
    csv_requests = load_requests(tmp_path / "r.csv", ps.schema)
    assert csv_requests[0]["subject"]["amr"] == ["otp", "pwd"]
    assert csv_requests[0]["environment"]["hour"] == 2
    assert "environment" not in csv_requests[1]
    assert list(decide_requests(ps, csv_requests)["decision"]) == ["allow", "deny"]
    frame = pd.DataFrame(
        {"subject.role": ["admin", "employee"], "action": ["read", "read"]}
    )
    assert list(decide_requests(ps, frame)["decision"]) == ["allow", "deny"]


def test_requests_are_checked_against_schema(tmp_path: Path, schema: Any) -> None:
    (tmp_path / "r.yaml").write_text("- id: x\n  subject: {rol: admin}\n")
    with pytest.raises(
        PolicyError, match=r"request 1 \(x\): unknown attribute subject.rol"
    ):
        load_requests(tmp_path / "r.yaml", schema)
    (tmp_path / "r.csv").write_text("environment.hour\nlate\n")
    with pytest.raises(PolicyError, match="row 2: column environment.hour"):
        load_requests(tmp_path / "r.csv", schema)
    with pytest.raises(PolicyError, match="subject.role = 'boss'"):
        requests_from_frame(pd.DataFrame({"subject.role": ["boss"]}), schema)


def test_diff(schema: Any) -> None:
    old = load_policies({"policies": MFA_ADMIN}, schema)
    new = load_policies({"policies": [MFA_ADMIN[1]]}, schema)  # guard dropped
    diff = decision_diff(old, new)
    # admin actions by admins without otp/hwk: 2304/3/3 * 2/8 = 64 requests
    assert len(diff) == 64
    (change,) = diff.changes
    assert (change.before, change.after, change.loosened) == ("deny", "allow", True)
    assert change.deciding_before == "admin-mfa" and change.deciding_after == "admins"
    assert old.decide(change.witness).outcome == "deny"
    assert new.decide(change.witness).outcome == "allow"
    assert len(diff.frame()) == 64


def test_why_not_adds_one_amr_value(build: Any) -> None:
    ps = build(*MFA_ADMIN)
    r = request(
        subject_role="admin", subject_amr=["pwd"], subject_mfa=False, action="admin"
    )
    texts = [s.describe() for s in why_not(ps, r)]
    assert texts == [
        "allowed with otp added to subject.amr (by admins)",
        "allowed with hwk added to subject.amr (by admins)",
    ]


def test_why_not_numbers_prefer_nearest(build: Any) -> None:
    ps = build(
        {"id": "late", "effect": "deny", "condition": "environment.hour > 1"},
        {"id": "all", "effect": "allow"},
    )
    (only,) = why_not(ps, request(environment_hour=3))
    assert only.changes[0].after == 1 and only.describe().startswith(
        "allowed with environment.hour = 1 (was 3)"
    )


def test_why_not_allowed_request_and_hopeless(build: Any) -> None:
    ps = build(*MFA_ADMIN)
    assert (
        why_not(ps, request(subject_role="admin", subject_amr=[], action="read")) == []
    )
    guard = build(
        {"id": "no", "effect": "deny", "target": {"actions": ["write"]}},
        {"id": "yes", "effect": "allow"},
    )
    assert why_not(guard, request(action="write")) == []  # action is not varied


def _cluster() -> Cluster:
    ns = Namespace(
        "payments",
        labels=Labels({"kubernetes.io/metadata.name": "payments", "tier": "pci"}),
    )
    svc = Service(
        "payments",
        "ledger",
        selector=Labels({"app": "ledger"}),
        labels=Labels({"data-classification": "sensitive"}),
    )
    wl = Workload(
        "Deployment",
        "payments",
        "api",
        labels=Labels({"app": "api"}),
        service_account="api",
    )
    sa = ServiceAccount("payments", "api")
    return Cluster(
        namespaces={"payments": ns},
        services={"payments/ledger": svc},
        workloads={"payments/api": wl},
        service_accounts={"payments/api": sa},
        trust_domain="bank.example",
    )


def test_cluster_identities() -> None:
    cluster = _cluster()
    (subject,) = cluster_subjects(cluster)
    assert subject["id"] == "spiffe://bank.example/ns/payments/sa/api"
    assert subject["namespace_labels"]["tier"] == "pci"
    resources = {r["id"]: r for r in cluster_resources(cluster)}
    assert resources["service:payments/ledger"]["data_classification"] == "sensitive"
    assert resources["workload:payments/api"]["type"] == "workload"
    assert "data_classification" not in resources["workload:payments/api"]


def test_cluster_requests_decide() -> None:
    cluster = _cluster()
    schema = cluster_schema(cluster, actions=("read",))
    ps = load_policies(
        {
            "policies": [
                {
                    "id": "pci-reads-sensitive",
                    "effect": "allow",
                    "target": {"actions": ["read"]},
                    "condition": 'subject.namespace_labels["tier"] == "pci" && '
                    'resource.data_classification == "sensitive"',
                }
            ]
        },
        schema,
    )
    frame = decide_requests(ps, cluster_requests(cluster, ["read"]))
    by_resource = dict(zip(frame["resource.id"], frame["decision"], strict=True))
    assert by_resource["service:payments/ledger"] == "allow"
    # the workload has no data_classification: the condition errors, never allows
    assert by_resource["workload:payments/api"] == "error"
