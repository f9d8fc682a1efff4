"""The Istio claims of the mesh samples' READMEs, checked through ztlab.reach.

Expected values in tests/samples/expected/*.yaml were derived by hand from the
manifests and the Istio rules (sidecar injection, PeerAuthentication,
DestinationRule, AuthorizationPolicy), not produced by ztlab.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import ztlab
from ztlab.mesh import mesh_of
from ztlab.mesh.findings import mesh_findings
from ztlab.reach import reach

ROOT = Path(__file__).resolve().parents[2]
MESH_SAMPLES = ("bookinfo-mesh", "fintech-zero-trust")

# Mesh finding kinds named in the expected files -> ztlab's mesh finding ids.
FINDING_IDS = {
    "authz-rule-split": "mesh.split-from-to",
    "dr-tls-disable-to-strict": "mesh.dr-plaintext-to-strict",
    "permissive-overrides-strict": "mesh.peer-authentication-permissive",
    "permissive-workload": "mesh.peer-authentication-permissive",
    "port-level-permissive": "mesh.peer-authentication-permissive",
    "injection-label-ignored": "mesh.workload-without-sidecar",
    "authz-negative-match-plaintext": "mesh.identity-without-mtls",
}


@pytest.fixture(scope="module", params=MESH_SAMPLES)
def sample(request):
    name = request.param
    cluster = ztlab.load(ROOT / "sample_clusters" / name)
    expected = yaml.safe_load(
        (ROOT / "tests/samples/expected" / f"{name}.yaml").read_text()
    )
    return name, cluster, expected


def test_sidecars(sample):
    name, cluster, expected = sample
    mesh = mesh_of(cluster)
    for key, meshed in (expected.get("sidecars") or {}).items():
        assert mesh.dataplane(cluster.workload(key)).meshed == meshed, key


def test_identities(sample):
    name, cluster, expected = sample
    mesh = mesh_of(cluster)
    for key, spiffe in (expected.get("identities") or {}).items():
        assert mesh.identity(cluster.workload(key)) == spiffe, key


def test_peer_authentication(sample):
    name, cluster, expected = sample
    mesh = mesh_of(cluster)
    for key, want in (expected.get("peer_authentication") or {}).items():
        workload = cluster.workload(key)
        mode = mesh.peer_mode(workload)
        assert mode.mode == want["mode"], key
        if want.get("policy"):
            assert mode.policy is not None and mode.policy.key == want["policy"], key
        for port, port_mode in (want.get("ports") or {}).items():
            assert mesh.peer_mode(workload, int(port)).mode == port_mode, (key, port)


def test_mesh_outcomes(sample):
    name, cluster, expected = sample
    wrong = []
    for claim in expected.get("mesh") or []:
        result = reach(cluster, claim["from"], claim["to"], claim.get("port"))
        mesh = result.mesh
        got = (mesh or {}).get("mtls")
        problem = got != claim["mtls"]
        if "authorized" in claim and not problem:
            problem = (mesh["authz"] != "deny") != claim["authorized"]
        if problem:
            wrong.append(
                f"{claim['from']} -> {claim['to']}:{claim.get('port')}: expected "
                f"{claim['mtls']} authorized={claim.get('authorized')} "
                f"({claim['why']}); got {mesh}"
            )
    assert not wrong, "\n".join(wrong)


def test_mesh_findings(sample):
    name, cluster, expected = sample
    found = mesh_findings(mesh_of(cluster))
    ids = {f.id for f in found}
    missing = []
    for claim in expected.get("findings") or []:
        want = FINDING_IDS.get(claim["id"])
        if want is None:
            continue
        target = claim["object"]
        hits = [
            f
            for f in found
            if f.id == want and any(o.id.endswith(":" + target) for o in f.objects)
        ]
        if not hits:
            missing.append(f"no {want} on {target} ({claim['description']})")
    assert not missing, f"{name}: " + "\n".join(missing) + f"\nfound: {ids}"
