"""Identity pillar: own service accounts, no static keys, JWT, MFA, session length.

- ``identity.own-service-account``: every workload runs under a service account
  of its own: not ``default``, and not shared with workloads of another app
  (``app.kubernetes.io/name`` or ``app`` label; versions of one app may share).
- ``identity.token-automount``: no pod mounts a service-account token unless it
  says it needs one. Kubernetes mounts it by default; the pod's
  ``automountServiceAccountToken`` wins over the service account's.
- ``identity.static-credentials``: no environment variable that looks like a key
  (``*_API_KEY``, ``*_TOKEN``, ``*SECRET*``, ``*PASSWORD*`` ...) holds a literal
  value in the manifest. ztlab keeps only names and sources, never values.
- ``identity.request-authentication``: every workload whose AuthorizationPolicy
  uses request principals or ``request.auth`` claims has a RequestAuthentication;
  without one no request has a principal and such rules never match.
- ``identity.mfa``: sensitive operations need MFA: Istio policies that condition
  on ``request.auth.claims[amr]`` where JWTs are validated, and ABAC policies that
  deny privileged actions (admin, delete, approve) without an MFA method in amr.
- ``identity.session-lifetime``: ABAC denies sessions older than 8 hours.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ztlab.errors import ZtlabError
from ztlab.findings import Finding
from ztlab.mesh.authz import action_of, applicable_policies
from ztlab.mesh.requestauth import applicable_request_authns
from ztlab.model import Workload
from ztlab.scorecard import abacview
from ztlab.scorecard.model import CheckResult, Context, ref, verdict, violation

__all__ = ["CHECKS", "CREDENTIAL_NAME"]

PILLAR = "identity"
CREDENTIAL_NAME = re.compile(
    r"(API_?KEY|TOKEN|SECRET|PASSWORD|PASSWD|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIAL)",
    re.IGNORECASE,
)
AMR_KEY = "request.auth.claims[amr]"


def _app(w: Workload) -> str:
    return w.labels.get("app.kubernetes.io/name") or w.labels.get("app") or w.name


def own_service_account(ctx: Context) -> CheckResult:
    cid = "identity.own-service-account"
    out: list[Finding] = []
    users: dict[str, list[Workload]] = {}
    for w in ctx.team_workloads():
        if w.service_account == "default":
            out.append(
                violation(
                    cid,
                    "high",
                    f"{w.key} runs as the namespace's default service account",
                    [ref(w)],
                    f"create a ServiceAccount for {w.name} and set "
                    "serviceAccountName in its pod template",
                )
            )
        else:
            users.setdefault(f"{w.namespace}/{w.service_account}", []).append(w)
    for key, workloads in users.items():
        apps = sorted({_app(w) for w in workloads})
        if len(apps) > 1:
            account = ctx.cluster.identity(workloads[0])
            out.append(
                violation(
                    cid,
                    "high",
                    f"service account {key} is shared by unrelated workloads "
                    f"({', '.join(w.key for w in workloads)}; apps {', '.join(apps)})",
                    [ref(account), *(ref(w) for w in workloads)],
                    "give each app its own ServiceAccount, so that policies can "
                    "tell them apart",
                )
            )
    return verdict(
        cid,
        PILLAR,
        "Workloads run under their own service account",
        "high",
        out,
        ok="every workload has a service account of its own",
        fix="one ServiceAccount per app; never the default one",
    )


def token_automount(ctx: Context) -> CheckResult:
    cid = "identity.token-automount"
    out = []
    for w in ctx.team_workloads():
        account = ctx.cluster.identity(w)
        mounted = w.automount_token
        decided = "the pod template"
        if mounted is None:
            mounted = account.automount_token
            decided = f"service account {account.key}"
        if mounted is None:
            mounted, decided = True, "the Kubernetes default"
        if mounted:
            out.append(
                violation(
                    cid,
                    "medium",
                    f"{w.key} mounts a service-account token ({decided})",
                    [ref(w), ref(account)],
                    "set automountServiceAccountToken: false on the ServiceAccount "
                    "or pod template, unless the workload calls the Kubernetes API",
                )
            )
    return verdict(
        cid,
        PILLAR,
        "No service-account token is mounted without need",
        "medium",
        out,
        ok="no workload mounts a service-account token",
        fix="automountServiceAccountToken: false where the API is not called",
    )


def static_credentials(ctx: Context) -> CheckResult:
    cid = "identity.static-credentials"
    out = []
    for w in ctx.team_workloads():
        for c in w.containers:
            for env in c.env:
                if env.source == "value" and CREDENTIAL_NAME.search(env.name):
                    out.append(
                        violation(
                            cid,
                            "high",
                            f"{w.key} container {c.name} sets {env.name} to a "
                            "literal value in the manifest: a static credential",
                            [ref(w)],
                            "use the workload identity (mTLS, projected tokens) or "
                            f"at least valueFrom.secretKeyRef for {env.name}",
                        )
                    )
    return verdict(
        cid,
        PILLAR,
        "No static credentials in environment variables",
        "high",
        out,
        ok="no credential-like environment variable holds a literal value",
        fix="replace static keys by workload identity",
    )


def _uses_request_identity(rule: Mapping[str, object]) -> bool:
    for entry in rule.get("from") or ():  # type: ignore[attr-defined]
        source = (entry.get("source") or {}) if isinstance(entry, Mapping) else {}
        if source.get("requestPrincipals") or source.get("notRequestPrincipals"):
            return True
    return any(
        isinstance(c, Mapping) and str(c.get("key", "")).startswith("request.auth.")
        for c in rule.get("when") or ()  # type: ignore[attr-defined]
    )


def request_authentication(ctx: Context) -> CheckResult:
    cid = "identity.request-authentication"
    title = "Request authentication where authorization uses request principals"
    if not ctx.mesh_applies():
        return CheckResult(
            cid,
            PILLAR,
            title,
            "unknown",
            "high",
            message="not applicable: the cluster has no service mesh",
        )
    out = []
    for w in ctx.cluster.workloads.values():
        if not ctx.mesh.dataplane(w).has_sidecar:
            continue
        needing = [
            p
            for p in applicable_policies(ctx.cluster, w)
            if any(
                isinstance(r, Mapping) and _uses_request_identity(r)
                for r in p.spec.get("rules") or ()
            )
        ]
        if needing and not applicable_request_authns(ctx.cluster, w):
            out.append(
                violation(
                    cid,
                    "high",
                    f"{needing[0].id} matches request principals on {w.key}, but no "
                    "RequestAuthentication applies to it: no request has a "
                    "principal, so those rules never match",
                    [ref(needing[0]), ref(w)],
                    f"add a RequestAuthentication with jwtRules in {w.namespace} "
                    "selecting the workload",
                )
            )
    return verdict(
        cid,
        PILLAR,
        title,
        "high",
        out,
        ok="every workload whose policies use request principals validates JWTs",
        fix="add RequestAuthentication where policies use request principals",
    )


def _amr_condition(policy_spec: Mapping[str, object]) -> bool:
    for rule in policy_spec.get("rules") or ():  # type: ignore[attr-defined]
        for cond in (rule.get("when") or ()) if isinstance(rule, Mapping) else ():
            if isinstance(cond, Mapping) and cond.get("key") == AMR_KEY:
                wanted = cond.get("values") or cond.get("notValues") or ()
                if wanted and set(map(str, wanted)) <= abacview.MFA_METHODS:
                    return True
    return False


def _istio_mfa(ctx: Context) -> list[Finding] | None:
    cid = "identity.mfa"
    if not ctx.cluster.istio_of_kind("RequestAuthentication"):
        return None
    covered = [
        w
        for w in ctx.cluster.workloads.values()
        if ctx.mesh.dataplane(w).has_sidecar
        and applicable_request_authns(ctx.cluster, w)
    ]
    sensitive = [
        w
        for w in covered
        if w.labels.get("data-classification") in abacview.SENSITIVE_VALUES
    ]
    out = []
    for w in sensitive or covered:
        policies = [
            p
            for p in applicable_policies(ctx.cluster, w)
            if action_of(p) in ("ALLOW", "DENY")
        ]
        if not any(_amr_condition(p.spec) for p in policies):
            out.append(
                violation(
                    cid,
                    "medium",
                    f"{w.key} validates JWTs but no AuthorizationPolicy requires an "
                    f"MFA method in {AMR_KEY}",
                    [ref(w), *(ref(p) for p in policies[:1])],
                    f"add a when condition key {AMR_KEY} with values such as "
                    "[otp, hwk] to the ALLOW rules of sensitive operations",
                    rule="istio",
                )
            )
    return out


def _abac_mfa(ctx: Context) -> list[Finding] | None:
    ps = ctx.abac
    if ps is None:
        return None
    amr = abacview.find_attribute(ps, "amr")
    action = abacview.find_attribute(ps, "action")
    if amr is None or action is None or not action.values:
        return None
    privileged = set(action.values) & abacview.PRIVILEGED_ACTIONS
    if not privileged:
        return None
    witness = abacview.allowed_witness(
        ps,
        {
            action.name: lambda v: v in privileged,
            amr.name: lambda v: not set(v) & abacview.MFA_METHODS,
        },
    )
    if witness is None:
        return []
    return [
        violation(
            "identity.mfa",
            "medium",
            "ABAC allows a privileged action without MFA: "
            + abacview.describe(witness),
            [abacview.policy_ref(ps)],
            f"add a deny policy for actions {sorted(privileged)} when "
            f"{amr.name} holds no MFA method (otp, hwk ...)",
            rule="abac",
        )
    ]


def mfa(ctx: Context) -> CheckResult:
    cid = "identity.mfa"
    title = "MFA (amr) required for sensitive operations"
    try:
        parts = [p for p in (_istio_mfa(ctx), _abac_mfa(ctx)) if p is not None]
    except ZtlabError as exc:
        return CheckResult(cid, PILLAR, title, "unknown", "medium", message=str(exc))
    if not parts:
        return CheckResult(
            cid,
            PILLAR,
            title,
            "needs-attestation",
            "medium",
            message="no JWT validation and no ABAC policy set express MFA; attest "
            "that the identity provider enforces MFA for sensitive operations",
            fix="require amr MFA methods in AuthorizationPolicy when conditions or "
            "ABAC policies, or attest it",
        )
    evidence = (abacview.policy_ref(ctx.abac),) if ctx.abac is not None else ()
    return verdict(
        cid,
        PILLAR,
        title,
        "medium",
        [v for part in parts for v in part],
        ok="sensitive operations require an MFA method in amr",
        fix="require MFA methods for sensitive operations",
        evidence=evidence,
    )


def session_lifetime(ctx: Context) -> CheckResult:
    cid = "identity.session-lifetime"
    title = "Sessions last at most 8 hours"
    ps = ctx.abac
    attribute = abacview.find_attribute(ps, "session") if ps is not None else None
    if ps is None or attribute is None or attribute.name not in ps.reads:
        return CheckResult(
            cid,
            PILLAR,
            title,
            "needs-attestation",
            "medium",
            message="no policy expresses a session lifetime; attest the identity "
            "provider's maximum session length",
            fix="deny sessions older than 8 hours in ABAC, or attest it",
        )
    limit = abacview.session_limit(attribute)
    if attribute.max is not None and attribute.max <= limit:
        return CheckResult(
            cid,
            PILLAR,
            title,
            "unknown",
            "medium",
            (abacview.policy_ref(ps),),
            f"{attribute.name} never exceeds {attribute.max} in the schema, so "
            "longer sessions cannot be checked",
            "widen the attribute's max in the schema",
        )
    try:
        witness = abacview.allowed_witness(ps, {attribute.name: lambda v: v > limit})
    except ZtlabError as exc:
        return CheckResult(cid, PILLAR, title, "unknown", "medium", message=str(exc))
    out = []
    if witness is not None:
        out.append(
            violation(
                cid,
                "medium",
                f"ABAC allows a session longer than {limit} "
                f"({attribute.name}): " + abacview.describe(witness),
                [abacview.policy_ref(ps)],
                f"add a deny policy with condition {attribute.name} > {limit}",
                rule="abac",
            )
        )
    return verdict(
        cid,
        PILLAR,
        title,
        "medium",
        out,
        ok=f"ABAC denies every request with {attribute.name} > {limit}",
        fix=f"deny {attribute.name} > {limit}",
        evidence=(abacview.policy_ref(ps),),
    )


CHECKS = [
    own_service_account,
    token_automount,
    static_credentials,
    request_authentication,
    mfa,
    session_lifetime,
]
