"""The ABAC simulator: controls from the schema, decision, deciding policy, why-not.

Expected decisions: sample_clusters/fintech-abac/README.md (derived by hand).
"""

from __future__ import annotations

from pathlib import Path

import ipywidgets as w
import pytest

from ztlab.abac import load_policies, load_schema
from ztlab.widgets import AbacSimulator
from ztlab.widgets.abac import control_for

ABAC = Path(__file__).resolve().parents[2] / "sample_clusters" / "fintech-abac"


@pytest.fixture
def sim():
    return AbacSimulator(load_policies(ABAC / "policies.yaml"))


def _set(sim: AbacSimulator, **values) -> None:
    for name, value in values.items():
        sim.controls[name.replace("__", ".")].value = value


R01 = {
    "subject__role": "manager",
    "subject__department": "risk",
    "subject__device_managed": True,
    "subject__amr": ("pwd", "otp"),
    "resource__type": "report",
    "resource__department": "risk",
    "resource__classification": "internal",
    "action": "read",
    "environment__session_age_hours": 2,
}


def test_controls_follow_the_schema(sim):
    c = sim.controls
    assert isinstance(c["subject.role"], w.Dropdown)
    assert list(c["subject.role"].options) == [
        "employee",
        "manager",
        "admin",
        "auditor",
    ]
    assert isinstance(c["subject.device_managed"], w.Checkbox)
    assert isinstance(c["subject.amr"], w.SelectMultiple)
    assert (
        c["environment.session_age_hours"].min,
        c["environment.session_age_hours"].max,
    ) == (0, 12)


def test_r01_allowed_and_r02_default_deny(sim):
    _set(sim, **R01)
    assert sim.decision.outcome == "allow"
    assert sim.decision.deciding == "managers-read-own-department-reports"
    assert "managers-read-own-department-reports" in sim.result.value
    _set(sim, resource__department="lending")  # r02
    assert sim.decision.outcome == "deny" and sim.decision.default
    assert "none (default deny)" in sim.result.value


def test_r08_session_too_old_and_why_not(sim):
    _set(sim, **R01)
    _set(sim, environment__session_age_hours=9)  # r08
    assert (sim.decision.outcome, sim.decision.deciding) == ("deny", "session-max-age")
    # Why-not: the smallest change is a session of at most 8 hours.
    texts = [s.describe() for s in sim.suggestions]
    assert any("environment.session_age_hours = 8" in t for t in texts), texts
    assert "why not" in sim.why.value
    _set(sim, environment__session_age_hours=8)  # r09
    assert sim.decision.outcome == "allow" and sim.why.value == ""


def test_r05_r06_admin_needs_mfa(sim):
    _set(sim, **R01)
    _set(
        sim,
        subject__role="admin",
        action="admin",
        resource__type="config",
        subject__amr=("pwd",),
    )
    assert (sim.decision.outcome, sim.decision.deciding) == ("deny", "admin-needs-mfa")
    _set(sim, subject__amr=("pwd", "otp"))
    assert sim.decision.deciding == "admins-administer-config"


def test_r17_missing_attribute_fails_closed(sim):
    _set(sim, **R01)
    sim.omitted.value = ("environment.session_age_hours",)
    assert "environment" not in sim.request()
    assert sim.decision.outcome == "deny"


def test_free_form_attributes_get_text_controls():
    schema = load_schema(
        {
            "attributes": {
                "subject.groups": {"type": "list"},
                "subject.name": {"type": "string"},
                "resource.size": {"type": "int"},
            }
        }
    )
    assert isinstance(control_for(schema["subject.groups"]), w.Text)
    assert isinstance(control_for(schema["subject.name"]), w.Text)
    assert isinstance(control_for(schema["resource.size"]), w.IntText)
    ps = load_policies(
        {
            "policies": [
                {"id": "g", "effect": "allow", "condition": '"ops" in subject.groups'}
            ]
        },
        schema,
    )
    sim = AbacSimulator(ps)
    sim.controls["subject.groups"].value = '["ops"]'
    assert sim.decision.outcome == "allow"
    sim.controls["subject.groups"].value = "[not json"
    assert sim.decision is None and sim.error.startswith("bad JSON value")
