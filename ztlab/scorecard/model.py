"""What a scorecard check returns: a status, the evidence, the violations, the fix.

A check result is one item of the zero-trust checklist. Its ``status`` is

- ``pass``: the configuration shows the item holds;
- ``fail``: the configuration shows it does not (``violations`` say where);
- ``unknown``: ztlab cannot tell from the input (e.g. nothing is classified);
- ``needs-attestation``: configuration cannot show it; a person must attest it.

Each violation is a :class:`ztlab.findings.Finding` whose ``rule`` is the check
id; it is the unit of the CI gate, the baseline and SARIF output.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from ztlab.findings import Finding, ObjectRef, severity_rank

if TYPE_CHECKING:
    from ztlab.abac import PolicySet
    from ztlab.mesh import Mesh
    from ztlab.model import Cluster, Workload
    from ztlab.netpol import Flow
    from ztlab.scorecard.attest import Attestation

__all__ = [
    "PILLARS",
    "STATUSES",
    "SYSTEM_NAMESPACES",
    "CheckResult",
    "Context",
    "fingerprint",
    "ref",
]

PILLARS = ("identity", "device", "network", "application", "data", "observability")
STATUSES = ("pass", "fail", "unknown", "needs-attestation")

# Namespaces the platform owns; their workloads are not the team's to fix.
SYSTEM_NAMESPACES = ("kube-system",)


def ref(obj: Any) -> ObjectRef:
    """The ObjectRef of a model object (its graph id and provenance)."""
    return ObjectRef(obj.id, obj.provenance)


def fingerprint(finding: Finding) -> str:
    """A stable id of a violation: check id, engine rule, objects and message.

    File names and line numbers are left out, so moving or reformatting a
    manifest keeps the fingerprint.

    >>> len(fingerprint(Finding("network.default-deny", "high", "ns a")))
    32
    """
    rule = str(finding.details.get("rule", ""))
    ids = ",".join(sorted(o.id for o in finding.objects))
    text = "\x1f".join((finding.rule, rule, ids, finding.message))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class CheckResult:
    """One checklist item as evaluated on a cluster.

    >>> r = CheckResult("network.no-ssh", "network", "No SSH reachable", "pass",
    ...                 "high", message="no SSH port is reachable")
    >>> r.to_dict()["status"]
    'pass'
    """

    id: str
    pillar: str
    title: str
    status: str
    severity: str
    evidence: tuple[ObjectRef, ...] = ()
    message: str = ""
    fix: str = ""
    violations: tuple[Finding, ...] = ()
    attestation: Attestation | None = None

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, not {self.status!r}")
        if self.pillar not in PILLARS:
            raise ValueError(f"pillar must be one of {PILLARS}, not {self.pillar!r}")

    def attested(self, attestation: Attestation) -> CheckResult:
        """This item with the status a person attested."""
        return replace(
            self,
            status=attestation.status,
            attestation=attestation,
            message=f"attested {attestation.status} by {attestation.who} on "
            f"{attestation.when}: {attestation.evidence}",
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "pillar": self.pillar,
            "title": self.title,
            "status": self.status,
            "severity": self.severity,
            "message": self.message,
            "fix": self.fix,
            "evidence": [_evidence(o) for o in self.evidence],
            "violations": [
                {**f.to_dict(), "fingerprint": fingerprint(f)} for f in self.violations
            ],
            "attestation": self.attestation.to_dict() if self.attestation else None,
        }


def _evidence(obj: ObjectRef) -> dict[str, Any]:
    data = obj.to_dict()
    if obj.provenance is not None and obj.provenance.source:
        data["helm_source"] = obj.provenance.source
    return data


def evidence_of(violations: Iterable[Finding]) -> tuple[ObjectRef, ...]:
    """The distinct objects of some violations, in order of first mention."""
    seen: dict[str, ObjectRef] = {}
    for v in violations:
        for o in v.objects:
            seen.setdefault(o.id, o)
    return tuple(seen.values())


def verdict(
    check_id: str,
    pillar: str,
    title: str,
    severity: str,
    violations: list[Finding],
    *,
    ok: str,
    fix: str,
    evidence: tuple[ObjectRef, ...] = (),
) -> CheckResult:
    """``pass`` with ``ok`` as message when there are no violations, else ``fail``."""
    if not violations:
        return CheckResult(check_id, pillar, title, "pass", severity, evidence, ok, fix)
    violations = sorted(
        violations, key=lambda f: (severity_rank(f.severity), f.message)
    )
    count = len(violations)
    first = violations[0].message
    more = f" (and {count - 1} more)" if count > 1 else ""
    return CheckResult(
        check_id,
        pillar,
        title,
        "fail",
        severity,
        evidence_of(violations) or evidence,
        f"{first}{more}",
        fix,
        tuple(violations),
    )


def violation(
    check_id: str,
    severity: str,
    message: str,
    objects: Iterable[ObjectRef],
    fix: str,
    rule: str | None = None,
    pillar: str = "",
) -> Finding:
    """A violation of check ``check_id``; ``rule`` names the engine finding."""
    details = {"rule": rule} if rule else {}
    return Finding(check_id, severity, message, tuple(objects), fix, pillar, details)


def from_finding(check_id: str, pillar: str, finding: Finding) -> Finding:
    """An engine finding re-labelled as a violation of ``check_id``."""
    return Finding(
        check_id,
        finding.severity,
        finding.message,
        finding.objects,
        finding.fix,
        pillar,
        {"rule": finding.rule},
    )


@dataclass
class Context:
    """The cluster and the optional ABAC policy set, with engine answers cached.

    >>> from ztlab.model import Cluster
    >>> Context(Cluster()).team_workloads()
    []
    """

    cluster: Cluster
    abac: PolicySet | None = None
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def _once(self, name: str, build: Any) -> Any:
        if name not in self._cache:
            self._cache[name] = build()
        return self._cache[name]

    @property
    def mesh(self) -> Mesh:
        from ztlab.mesh import mesh_of

        return mesh_of(self.cluster)

    def mesh_applies(self) -> bool:
        from ztlab.mesh import mesh_applies

        result: bool = self._once("mesh_applies", lambda: mesh_applies(self.cluster))
        return result

    def segmentation(self) -> list[Finding]:
        from ztlab.netpol.findings import segmentation_findings

        found: list[Finding] = self._once(
            "segmentation", lambda: segmentation_findings(self.cluster)
        )
        return found

    def mesh_findings(self) -> list[Finding]:
        found: list[Finding] = self._once("mesh_findings", self.mesh.findings)
        return found

    def flows(self) -> list[Flow]:
        found: list[Flow] = self._once("flows", self.cluster.flows)
        return found

    def team_workloads(self) -> list[Workload]:
        """Workloads outside the system namespaces."""
        return [
            w
            for w in self.cluster.workloads.values()
            if w.namespace not in SYSTEM_NAMESPACES
        ]

    def meshed(self, workload: Workload) -> bool:
        return self.mesh.dataplane(workload).meshed
