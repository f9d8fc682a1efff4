"""Each scorecard item on a fixture that passes it and one that fails it.

Expected values come from the Kubernetes and Istio rules in SEMANTICS.md (e.g. a
namespace without a policy selecting a pod leaves it open both ways; no
PeerAuthentication means PERMISSIVE; an ALLOW rule ``{}`` matches every
request), worked out by hand on each fixture.
"""

from __future__ import annotations

import json

import pytest

import ztlab
from ztlab.abac import load_policies, load_schema
from ztlab.model import Cluster
from ztlab.scorecard import Context, scorecard
from ztlab.scorecard.identity import session_lifetime

from .helpers import FIXTURES, card

ATTESTATION_ONLY = {
    "application.rate-limiting",
    "application.input-validation",
    "observability.access-logs",
    "observability.audit-logs",
    "observability.alerting",
}

GOOD = ("good",)
GOOD_ABAC = "abac-good.yaml"

FAILING = [
    (
        "bad/default-sa.yaml",
        "identity.own-service-account",
        "shop/web runs as the namespace's default service account",
    ),
    ("bad/shared-sa.yaml", "identity.own-service-account", "apps billing, orders"),
    (
        "bad/default-sa.yaml",
        "identity.token-automount",
        "shop/web mounts a service-account token (the Kubernetes default)",
    ),
    ("bad/static-key.yaml", "identity.static-credentials", "STRIPE_API_KEY"),
    ("bad/no-requestauthn.yaml", "identity.request-authentication", "shop/api-users"),
    ("bad/jwt-no-mfa.yaml", "identity.mfa", "shop/api validates JWTs"),
    (
        "bad/open-namespace.yaml",
        "network.default-deny",
        "namespace shop has no default-deny for Ingress and Egress",
    ),
    (
        "bad/open-namespace.yaml",
        "network.micro-segmentation",
        "shop/cart is not isolated for ingress",
    ),
    ("bad/open-namespace.yaml", "network.mtls-strict", "shop/cart has no mesh proxy"),
    (
        "bad/permissive.yaml",
        "network.mtls-strict",
        "shop/db accepts plaintext (5432: PERMISSIVE)",
    ),
    (
        "bad/dr-disable.yaml",
        "network.no-plaintext-meshed",
        "shop/web -> shop/api:8080 is plaintext",
    ),
    (
        "bad/open-namespace.yaml",
        "network.no-external-to-internal",
        "shop/cart is not a gateway",
    ),
    ("bad/ssh.yaml", "network.no-ssh", "SSH on ops/bastion port 22"),
    (
        "bad/allow-all.yaml",
        "application.authorization-coverage",
        "front/web has a sidecar but no AuthorizationPolicy",
    ),
    (
        "bad/allow-all.yaml",
        "application.no-allow-all",
        "shop/api-open rules[0] admits every caller",
    ),
    (
        "bad/open-namespace.yaml",
        "data.classification-labels",
        "Service shop/cart has no data-classification label",
    ),
    (
        "bad/sensitive-open.yaml",
        "data.sensitive-named-callers",
        "admits every pod of namespaces",
    ),
    (
        "bad/sensitive-open.yaml",
        "data.sensitive-named-callers",
        "data/db rules[0] on sensitive data/db: its sources name no principals",
    ),
    (
        "bad/sensitive-open.yaml",
        "data.sensitive-mtls",
        "sensitive data/db accepts plaintext on every port (PERMISSIVE)",
    ),
]


def test_good_fixture_passes_every_item_configuration_decides() -> None:
    result = card(*GOOD, abac=GOOD_ABAC)
    for r in result.results:
        expected = "needs-attestation" if r.id in ATTESTATION_ONLY else "pass"
        assert r.status == expected, (r.id, r.message)
        assert not r.violations
    assert result.overall() == 100


def test_every_item_has_a_failing_fixture() -> None:
    failing = {cid for _, cid, _ in FAILING} | {
        "identity.session-lifetime",
        "device.managed-for-sensitive",
    }
    decidable = {r.id for r in card(*GOOD, abac=GOOD_ABAC).results} - ATTESTATION_ONLY
    assert decidable <= failing


@pytest.mark.parametrize(("fixture", "check_id", "text"), FAILING)
def test_fails(fixture: str, check_id: str, text: str) -> None:
    result = card(fixture).result(check_id)
    assert result.status == "fail"
    messages = [v.message for v in result.violations]
    assert any(text in m for m in messages), messages
    assert all(v.rule == check_id for v in result.violations)
    assert result.fix and result.evidence


def test_versions_of_one_app_may_share_an_account() -> None:
    result = card("bad/shared-sa.yaml").result("identity.own-service-account")
    assert len(result.violations) == 1


def test_secret_sourced_credentials_pass_and_values_never_leak() -> None:
    result = card("bad/static-key.yaml")
    messages = [
        v.message for v in result.result("identity.static-credentials").violations
    ]
    assert len(messages) == 1  # GITHUB_TOKEN comes from a Secret
    assert "sk_live_do_not_print_me" not in json.dumps(result.to_dict())


def test_an_mfa_value_that_is_not_mfa_does_not_count() -> None:
    # jwt-no-mfa's rule asks amr for pwd only: a password is one factor.
    result = card("bad/jwt-no-mfa.yaml").result("identity.mfa")
    assert result.status == "fail"


def test_abac_guards_pass_and_fail() -> None:
    good = card(*GOOD, abac=GOOD_ABAC)
    bad = card(*GOOD, abac="abac-bad.yaml")
    for cid in (
        "identity.mfa",
        "identity.session-lifetime",
        "device.managed-for-sensitive",
    ):
        assert good.result(cid).status == "pass", cid
        assert bad.result(cid).status == "fail", cid
    witness = bad.result("identity.session-lifetime").violations[0].message
    assert "environment.session_age_hours=9" in witness
    assert (
        "no ABAC policy reads a managed-device attribute"
        in bad.result("device.managed-for-sensitive").message
    )


def test_without_abac_the_abac_items_need_attestation() -> None:
    result = card("bad/open-namespace.yaml")
    for cid in (
        "identity.mfa",
        "identity.session-lifetime",
        "device.managed-for-sensitive",
    ):
        assert result.result(cid).status == "needs-attestation"


def test_fintech_v2_regression_fails_the_device_item() -> None:
    v1 = card(
        "sample_clusters/fintech-zero-trust",
        abac="sample_clusters/fintech-abac/policies.yaml",
    )
    v2 = card(
        "sample_clusters/fintech-zero-trust",
        abac="sample_clusters/fintech-abac/policies-v2.yaml",
    )
    assert v1.result("device.managed-for-sensitive").status == "pass"
    item = v2.result("device.managed-for-sensitive")
    assert item.status == "fail"
    assert "subject.device_managed=false" in item.message
    assert "resource.classification=sensitive" in item.message


def test_session_limit_that_the_schema_cannot_exceed_is_unknown() -> None:
    schema = load_schema(
        {
            "attributes": {
                "environment.session_age_hours": {"type": "int", "min": 0, "max": 8}
            }
        }
    )
    ps = load_policies(
        {
            "policies": [
                {
                    "id": "s",
                    "effect": "deny",
                    "condition": "environment.session_age_hours > 8",
                }
            ]
        },
        schema,
    )
    assert session_lifetime(Context(Cluster(), ps)).status == "unknown"


def test_mesh_items_without_a_mesh() -> None:
    result = scorecard(ztlab.load(str(FIXTURES / "bad/open-namespace.yaml")))
    assert result.result("identity.request-authentication").status == "unknown"
    assert result.result("network.no-plaintext-meshed").status == "unknown"
    assert result.result("application.no-allow-all").status == "unknown"
    assert (
        result.result("application.authorization-coverage").status
        == "needs-attestation"
    )
    # No sensitive workload and unlabelled ones: which data is sensitive is unknown.
    assert result.result("data.sensitive-mtls").status == "unknown"


def test_evidence_points_at_file_and_line() -> None:
    result = card("bad/ssh.yaml").result("network.no-ssh")
    where = result.violations[0].objects[0].provenance
    # line 6: the first line of document 2 (apiVersion of the Deployment)
    assert where is not None and where.file.endswith("ssh.yaml") and where.line == 6
