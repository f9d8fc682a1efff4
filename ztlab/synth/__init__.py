"""Export least-privilege NetworkPolicy and Istio policies, proven by re-analysis.

>>> import ztlab
>>> from ztlab.synth import export, from_current
>>> c = ztlab.load("sample_clusters/online-boutique")
>>> result = export(c, from_current(c, remove=["*->boutique/adservice"]))
>>> result.proof.status, result.problems
('proven', [])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ztlab.findings import Finding
from ztlab.model import Cluster
from ztlab.synth.diff import flow_diff, mesh_diff, summary
from ztlab.synth.fixes import FixResult, fix_findings
from ztlab.synth.generated import Generated
from ztlab.synth.intent import Intent, IntentFlow, from_csv, from_current, from_yaml
from ztlab.synth.plan import Plan, make_plan
from ztlab.synth.proof import Proof, prove

__all__ = [
    "ExportResult",
    "FixResult",
    "Generated",
    "Intent",
    "IntentFlow",
    "export",
    "fix_findings",
    "from_csv",
    "from_current",
    "from_yaml",
]


@dataclass
class ExportResult:
    """Generated objects, the proof, the diff rows, findings and schema problems.

    ``diff`` holds the NetworkPolicy rows of :func:`ztlab.synth.diff.flow_diff`
    and, where the mesh is exported, the rows of
    :func:`ztlab.synth.diff.mesh_diff`.
    """

    plan: Plan
    objects: list[Generated]
    proof: Proof
    diff: list[dict[str, Any]]
    findings: list[Finding] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    obsolete: list[str] = field(default_factory=list)

    @property
    def summary(self) -> dict[str, int]:
        return summary(self.diff)

    def to_dict(self) -> dict[str, Any]:
        return {
            "proof": self.proof.to_dict(),
            "diff": self.summary,
            "findings": [f.to_dict() for f in self.findings],
            "schema_problems": list(self.problems),
            "obsolete": list(self.obsolete),
            "objects": [f"{g.namespace}/{g.kind}/{g.name}" for g in self.objects],
        }


def export(cluster: Cluster, intent: Intent, mesh: bool | None = None) -> ExportResult:
    """Generate, validate and prove the policies for ``intent``.

    ``mesh`` None generates Istio objects when the cluster has a mesh.
    """
    from ztlab.mesh import mesh_applies
    from ztlab.synth.istio_gen import istio_policies
    from ztlab.synth.netpol_gen import network_policies
    from ztlab.synth.proof import POLICY_KINDS, reload
    from ztlab.synth.validate import validate

    plan = make_plan(cluster, intent)
    objects = network_policies(plan)
    findings: list[Finding] = []
    use_mesh = mesh_applies(cluster) if mesh is None else mesh
    if use_mesh:
        extra, findings = istio_policies(plan)
        objects += extra
    proof = prove(plan, objects, mesh=use_mesh)
    after = reload(cluster, objects, plan.governed)

    def touched(src: str, dst: str) -> bool:
        return plan.is_governed(src) or plan.is_governed(dst)

    rows = flow_diff(cluster, after, touched)
    if use_mesh:
        rows += mesh_diff(cluster, after, touched)
    ours = {g.key for g in objects}
    obsolete = sorted(
        p.id
        for p in cluster.network_policies.values()
        if p.namespace in plan.governed
        and (p.namespace, "NetworkPolicy", p.name) not in ours
    )
    if use_mesh:
        obsolete += sorted(
            r.id
            for r in cluster.istio
            if r.kind in POLICY_KINDS
            and r.namespace in plan.governed
            and (r.namespace, r.kind, r.name) not in ours
        )
    return ExportResult(
        plan,
        objects,
        proof,
        rows,
        findings,
        validate([g.data for g in objects]),
        obsolete,
    )
