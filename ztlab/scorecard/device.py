"""Device pillar: ABAC policies require managed devices for sensitive resources.

``device.managed-for-sensitive`` passes when no request from an unmanaged device
to a resource classified sensitive, confidential, restricted or secret is
allowed, over the whole domain of the ABAC attribute schema (``--abac``). Without
a policy set the item needs attestation: Kubernetes and Istio configuration do
not know the caller's device.
"""

from __future__ import annotations

from ztlab.errors import ZtlabError
from ztlab.scorecard import abacview
from ztlab.scorecard.model import CheckResult, Context, verdict, violation

__all__ = ["CHECKS"]

PILLAR = "device"


def managed_for_sensitive(ctx: Context) -> CheckResult:
    cid = "device.managed-for-sensitive"
    title = "Sensitive resources only from managed devices"
    ps = ctx.abac
    if ps is None:
        return CheckResult(
            cid,
            PILLAR,
            title,
            "needs-attestation",
            "high",
            message="no ABAC policy set given (--abac); attest that access to "
            "sensitive data requires a managed device",
            fix="pass the ABAC policies with --abac, or attest it",
        )
    here = abacview.policy_ref(ps)
    device = abacview.find_attribute(ps, "device")
    classification = abacview.find_attribute(ps, "classification")
    if classification is None or not classification.values:
        return CheckResult(
            cid,
            PILLAR,
            title,
            "unknown",
            "high",
            (here,),
            "the attribute schema has no resource classification attribute with "
            "values, so sensitive resources cannot be told apart",
            "add resource.classification with its values to the schema",
        )
    sensitive = set(classification.values) & abacview.SENSITIVE_VALUES
    if device is None or device.name not in ps.reads:
        return verdict(
            cid,
            PILLAR,
            title,
            "high",
            [
                violation(
                    cid,
                    "high",
                    "no ABAC policy reads a managed-device attribute: device "
                    "posture never limits access to sensitive resources",
                    [here],
                    "add subject.device_managed (bool) to the schema and a deny "
                    "policy for sensitive resources from unmanaged devices",
                    rule="abac",
                )
            ],
            ok="",
            fix="deny sensitive resources to unmanaged devices",
        )
    try:
        witness = abacview.allowed_witness(
            ps,
            {
                device.name: lambda v: not v,
                classification.name: lambda v: v in sensitive,
            },
        )
    except ZtlabError as exc:
        return CheckResult(cid, PILLAR, title, "unknown", "high", (here,), str(exc))
    out = []
    if witness is not None:
        out.append(
            violation(
                cid,
                "high",
                "ABAC allows a sensitive resource from an unmanaged device: "
                + abacview.describe(witness),
                [here],
                f"add a deny policy: {classification.name} in {sorted(sensitive)} "
                f"&& !{device.name}",
                rule="abac",
            )
        )
    return verdict(
        cid,
        PILLAR,
        title,
        "high",
        out,
        ok=f"no request with {device.name} false to a {'/'.join(sorted(sensitive))} "
        "resource is allowed",
        fix="deny sensitive resources to unmanaged devices",
        evidence=(here,),
    )


CHECKS = [managed_for_sensitive]
