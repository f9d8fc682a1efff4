"""Application pillar: authorization everywhere, no allow-all, rate limits and
input validation.

- ``application.authorization-coverage``: every workload with a sidecar has an
  ALLOW, DENY or CUSTOM AuthorizationPolicy that applies to it (IST-AP
  applicability: its namespace, or the root namespace). Without a mesh the item
  needs attestation: services may authorize callers in their own code.
- ``application.no-allow-all``: no ALLOW rule admits every caller: a rule with
  neither ``from`` nor ``when`` (``rules: [{}]``, or only ``to``), a rule whose
  sources use only ``not*`` fields (plaintext callers have no identity, so a
  negative match admits them), or a stray dash that split ``from`` and ``to``.
- ``application.rate-limiting`` and ``application.input-validation`` need
  attestation.

Limitations: ztlab does not read EnvoyFilter, gateway or WAF configuration, so
rate limiting and input validation are never derived from configuration.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ztlab.findings import Finding
from ztlab.mesh.authz import action_of, applicable_policies
from ztlab.scorecard.model import (
    CheckResult,
    Context,
    from_finding,
    ref,
    verdict,
    violation,
)

__all__ = ["CHECKS", "broad_rule"]

PILLAR = "application"


def authorization_coverage(ctx: Context) -> CheckResult:
    cid = "application.authorization-coverage"
    title = "Authorization on every meshed workload"
    meshed = [w for w in ctx.team_workloads() if ctx.mesh.dataplane(w).has_sidecar]
    if not meshed:
        return CheckResult(
            cid,
            PILLAR,
            title,
            "needs-attestation",
            "high",
            message="no workload has a sidecar, so no AuthorizationPolicy can "
            "apply; attest that every service authorizes its callers in code",
            fix="mesh the workloads and add AuthorizationPolicies, or attest it",
        )
    out = []
    for w in meshed:
        deciding = [
            p
            for p in applicable_policies(ctx.cluster, w)
            if action_of(p) in ("ALLOW", "DENY", "CUSTOM")
        ]
        if not deciding:
            out.append(
                violation(
                    cid,
                    "high",
                    f"{w.key} has a sidecar but no AuthorizationPolicy applies to "
                    "it: every caller that passes mTLS is allowed",
                    [ref(w)],
                    f"add an allow-nothing policy (spec: {{}}) in {w.namespace} and "
                    "ALLOW policies naming the callers' principals",
                )
            )
    return verdict(
        cid,
        PILLAR,
        title,
        "high",
        out,
        ok="an AuthorizationPolicy applies to every meshed workload",
        fix="allow-nothing baseline plus ALLOW by principal",
    )


def broad_rule(rule: Mapping[str, Any]) -> str | None:
    """Why an ALLOW rule admits every caller, or None when it names sources.

    >>> broad_rule({}), broad_rule({"to": [{"operation": {"ports": ["80"]}}]})
    ('it matches every request', 'it has no from and no when: any source')
    >>> broad_rule({"from": [{"source": {"notNamespaces": ["web"]}}]})
    'its sources use only notNamespaces: callers without identity match'
    >>> broad_rule({"from": [{"source": {"principals": ["a/b"]}}]}) is None
    True
    """
    if not rule:
        return "it matches every request"
    sources = [
        (e.get("source") or {})
        for e in rule.get("from") or ()
        if isinstance(e, Mapping)
    ]
    if not sources and not rule.get("when"):
        return "it has no from and no when: any source"
    if sources and all(s and all(k.startswith("not") for k in s) for s in sources):
        fields = sorted({k for s in sources for k in s})
        return (
            f"its sources use only {', '.join(fields)}: callers without identity match"
        )
    return None


def no_allow_all(ctx: Context) -> CheckResult:
    cid = "application.no-allow-all"
    title = "No allow-all AuthorizationPolicy"
    if not ctx.mesh_applies():
        return CheckResult(
            cid,
            PILLAR,
            title,
            "unknown",
            "high",
            message="not applicable: the cluster has no service mesh",
        )
    out: list[Finding] = []
    for p in ctx.cluster.istio_of_kind("AuthorizationPolicy"):
        if action_of(p) != "ALLOW":
            continue
        for i, rule in enumerate(p.spec.get("rules") or ()):
            if not isinstance(rule, Mapping):
                continue
            why = broad_rule(rule)
            if why is not None:
                out.append(
                    violation(
                        cid,
                        "high",
                        f"{p.id} rules[{i}] admits every caller: {why}",
                        [ref(p)],
                        "name the callers with from.source.principals",
                    )
                )
    out += [
        from_finding(cid, PILLAR, f)
        for f in ctx.mesh_findings()
        if f.rule == "mesh.split-from-to"
    ]
    return verdict(
        cid,
        PILLAR,
        title,
        "high",
        out,
        ok="every ALLOW rule names its sources",
        fix="ALLOW rules name principals",
    )


def _attest(cid: str, title: str, what: str) -> CheckResult:
    return CheckResult(
        cid,
        PILLAR,
        title,
        "needs-attestation",
        "medium",
        message=f"ztlab cannot see {what} in Kubernetes or Istio security "
        "configuration; attest it",
        fix=f"record an attestation for {cid}",
    )


def rate_limiting(ctx: Context) -> CheckResult:
    return _attest(
        "application.rate-limiting",
        "Rate limiting on entry points",
        "rate limiting (EnvoyFilter, gateway or API management)",
    )


def input_validation(ctx: Context) -> CheckResult:
    return _attest(
        "application.input-validation",
        "Input validation",
        "input validation (WAF, schema validation in the services)",
    )


CHECKS = [authorization_coverage, no_allow_all, rate_limiting, input_validation]
