"""Observability pillar: items that configuration cannot show, to be attested.

- ``observability.access-logs``: the mesh or the gateways log every request.
- ``observability.audit-logs``: Kubernetes API audit logging is on and kept.
- ``observability.alerting``: denied requests and policy changes raise alerts.

Limitations: ztlab does not read Istio Telemetry, the API server's audit policy
or alerting rules, so these items always need attestation.
"""

from __future__ import annotations

from ztlab.scorecard.model import CheckResult, Context

__all__ = ["CHECKS"]

PILLAR = "observability"

_ITEMS = {
    "observability.access-logs": (
        "Access logs for every request",
        "mesh access logging (Istio Telemetry, Envoy access logs)",
    ),
    "observability.audit-logs": (
        "Kubernetes API audit logs",
        "the API server's audit policy and log retention",
    ),
    "observability.alerting": (
        "Alerts on denied requests and policy changes",
        "alerting rules and who receives them",
    ),
}


def _item(cid: str) -> CheckResult:
    title, what = _ITEMS[cid]
    return CheckResult(
        cid,
        PILLAR,
        title,
        "needs-attestation",
        "low",
        message=f"configuration does not show {what}; attest it",
        fix=f"record an attestation for {cid}",
    )


def access_logs(ctx: Context) -> CheckResult:
    return _item("observability.access-logs")


def audit_logs(ctx: Context) -> CheckResult:
    return _item("observability.audit-logs")


def alerting(ctx: Context) -> CheckResult:
    return _item("observability.alerting")


CHECKS = [access_logs, audit_logs, alerting]
