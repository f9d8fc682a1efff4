"""The cluster report as plain data: what was loaded, skipped, and found."""

from __future__ import annotations

from typing import Any

from ztlab.findings import Finding, severity_rank
from ztlab.model import Cluster

__all__ = ["cluster_report"]


def cluster_report(cluster: Cluster, *, findings: bool = True) -> dict[str, Any]:
    """Summary, load report and findings of a cluster, ready for JSON.

    >>> import ztlab
    >>> report = cluster_report(ztlab.load("sample_clusters/online-boutique"))
    >>> report["counts"]["workloads"] > 10
    True
    """
    from ztlab.netpol.findings import segmentation_findings

    found: list[Finding] = segmentation_findings(cluster) if findings else []
    mesh = _mesh_section(cluster)
    if mesh is not None:
        mesh_found = mesh.pop("findings_objects", [])
        if findings:
            found += mesh_found
    return {
        "counts": cluster.summary(),
        "loaded": dict(sorted(cluster.report.loaded.items())),
        "skipped": dict(sorted(cluster.report.skipped.items())),
        "issues": [i.to_dict() for i in cluster.report.issues],
        "namespaces": [
            {
                "name": ns.name,
                "inferred": ns.inferred,
                "labels": ns.labels.to_dict(),
                "workloads": len(cluster.workloads_in(ns.name)),
                "policies": len(cluster.policies_in(ns.name)),
            }
            for ns in cluster.namespaces.values()
        ],
        "workloads": [
            {
                "workload": w.key,
                "kind": w.kind,
                "service_account": w.service_account,
                "identity": cluster.identity(w).spiffe_id(cluster.trust_domain),
                "ports": [
                    f"{p.port}/{p.protocol}" + (f" ({p.name})" if p.name else "")
                    for p in w.ports
                ],
            }
            for w in cluster.workloads.values()
        ],
        "policies": [
            {
                "policy": p.key,
                "selector": str(p.pod_selector),
                "policy_types": sorted(p.policy_types),
                "ingress_rules": len(p.ingress),
                "egress_rules": len(p.egress),
            }
            for p in cluster.network_policies.values()
        ],
        "mesh": mesh,
        # None (not an empty list) when findings were not computed.
        "findings": [f.to_dict() for f in sorted(found, key=_order)]
        if findings
        else None,
    }


def _order(finding: Finding) -> tuple[int, str, str]:
    return (severity_rank(finding.severity), finding.rule, finding.message)


def _mesh_section(cluster: Cluster) -> dict[str, Any] | None:
    from ztlab.mesh import mesh_applies, mesh_of

    if not mesh_applies(cluster):
        return None
    mesh = mesh_of(cluster)
    rows = []
    for w in cluster.workloads.values():
        plane = mesh.dataplane(w)
        mode = mesh.peer_mode(w) if plane.meshed else None
        rows.append(
            {
                "workload": w.key,
                "dataplane": plane.mode,
                "decided_by": plane.decided_by or "",
                "identity": mesh.identity(w) or "",
                "mtls_mode": mode.mode if mode else "",
                "mtls_policy": (mode.policy_id or "") if mode else "",
                "authorization_policies": len(mesh.authorization_policies(w)),
            }
        )
    return {"workloads": rows, "findings_objects": mesh.findings()}
