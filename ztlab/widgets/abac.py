"""The ABAC simulator: one control per attribute, the decision and why-not."""

from __future__ import annotations

import json
from typing import Any

import ipywidgets as w

from ztlab.abac import Attribute, Decision, PolicySet, Suggestion, why_not
from ztlab.widgets.common import Panel, badge, esc

__all__ = ["AbacSimulator", "control_for"]

OMIT = "(missing)"


def control_for(attribute: Attribute) -> w.ValueWidget:
    """The widget for one attribute, chosen from its type and domain.

    >>> control_for(Attribute("subject.mfa", "bool")).value
    False
    >>> control_for(Attribute("env.age", "int", min=0, max=9)).max
    9
    """
    label = attribute.name
    if attribute.type == "bool":
        return w.Checkbox(value=False, description=label, indent=False)
    if attribute.type == "int" and attribute.finite:
        return w.IntSlider(
            value=attribute.min, min=attribute.min, max=attribute.max, description=label
        )
    if attribute.type == "int":
        return w.IntText(value=0, description=label)
    if attribute.type == "double":
        return w.FloatText(value=0.0, description=label)
    if attribute.type == "string" and attribute.values is not None:
        return w.Dropdown(options=list(attribute.values), description=label)
    if attribute.type == "list" and attribute.values is not None:
        return w.SelectMultiple(
            options=list(attribute.values), value=(), description=label
        )
    if attribute.type in ("list", "map"):
        return w.Text(
            value="[]" if attribute.type == "list" else "{}",
            description=label,
            placeholder="JSON",
        )
    return w.Text(value="", description=label)


def _value(attribute: Attribute, control: w.ValueWidget) -> Any:
    value = control.value
    if attribute.type == "list" and isinstance(value, tuple):
        return list(value)
    if attribute.type in ("list", "map") and isinstance(value, str):
        return json.loads(value)
    return value


class AbacSimulator(Panel):
    """Controls generated from the policy set's attribute schema; decision and why.

    >>> from ztlab.abac import load_policies
    >>> sim = AbacSimulator(load_policies("sample_clusters/fintech-abac/policies.yaml"))
    >>> sim.controls["subject.role"].value = "admin"
    >>> sim.controls["action"].value = "admin"
    >>> sim.controls["resource.type"].value = "config"
    >>> sim.controls["subject.amr"].value = ("pwd",)
    >>> sim.decision.outcome, sim.decision.deciding
    ('deny', 'admin-needs-mfa')
    >>> sim.controls["subject.amr"].value = ("pwd", "otp")
    >>> sim.decision.outcome, sim.decision.deciding
    ('allow', 'admins-administer-config')
    """

    def __init__(self, policy_set: PolicySet) -> None:
        self.policy_set = policy_set
        self.decision: Decision | None = None
        self.suggestions: list[Suggestion] = []
        self.error: str | None = None
        self.controls = {
            name: control_for(attribute)
            for name, attribute in policy_set.schema.items()
        }
        self.omitted = w.SelectMultiple(
            options=list(self.controls), description="leave out"
        )
        for control in [*self.controls.values(), self.omitted]:
            control.observe(self.on_change, names="value")
        self.result = w.HTML().add_class("ztlab-abac-decision")
        self.why = w.HTML().add_class("ztlab-abac-whynot")
        self.widget = w.VBox(
            [
                w.HTML(
                    f"<b>{esc(policy_set.name or 'policy set')}</b> "
                    f"({esc(policy_set.algorithm)})"
                ),
                *self.controls.values(),
                self.omitted,
                self.result,
                self.why,
            ]
        )
        self.update()

    def on_change(self, change: dict[str, Any]) -> None:
        self.update()

    def request(self) -> dict[str, Any]:
        """The request the controls describe, nested by root (``subject``...)."""
        out: dict[str, Any] = {}
        for name, attribute in self.policy_set.schema.items():
            if name in self.omitted.value:
                continue
            value = _value(attribute, self.controls[name])
            if attribute.field is None:
                out[attribute.root] = value
            else:
                out.setdefault(attribute.root, {})[attribute.field] = value
        return out

    def update(self) -> None:
        """Decide the request; when it is not allowed, ask why-not."""
        try:
            request = self.request()
        except ValueError as exc:
            self.decision, self.error = None, f"bad JSON value: {exc}"
            self.result.value = badge("error", self.error)
            self.why.value = ""
            return
        d = self.policy_set.decide(request)
        self.decision, self.error = d, None
        matched = ", ".join(d.matched) or "none"
        self.result.value = (
            badge(d.outcome)
            + f"<br>deciding policy: <b>{esc(d.deciding or 'none (default deny)')}</b>"
            + f"<br>{esc(d.reason)}<br>matched: {esc(matched)}"
        )
        self.suggestions = [] if d.allowed else why_not(self.policy_set, request)
        if d.allowed:
            self.why.value = ""
        elif self.suggestions:
            self.why.value = (
                "<b>why not</b><ul>"
                + "".join(f"<li>{esc(s.describe())}</li>" for s in self.suggestions)
                + "</ul>"
            )
        else:
            self.why.value = esc(
                "why not: no change of up to two subject or environment attributes "
                "allows this request"
            )
