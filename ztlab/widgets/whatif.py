"""The what-if panel: switch policies off, edit a label, see flows gained and lost.

Every change builds a new Cluster (the model is immutable) and compares its
flows with the original's, per source, destination and protocol port range.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, NamedTuple

import ipywidgets as w

from ztlab.model import Cluster, Labels, PortSet
from ztlab.widgets.common import Panel, esc, table

__all__ = ["FlowChange", "WhatIfPanel", "flow_changes"]


class FlowChange(NamedTuple):
    """Ports between two endpoints that a change allowed (gained) or took away."""

    src: str
    dst: str
    ports: PortSet


def _port_map(cluster: Cluster) -> dict[tuple[str, str], PortSet]:
    out: dict[tuple[str, str], PortSet] = {}
    for f in cluster.flows():
        key = (f.src, f.dst)
        out[key] = out.get(key, PortSet.empty()) | f.ports
    return out


def flow_changes(
    before: Cluster, after: Cluster
) -> tuple[list[FlowChange], list[FlowChange]]:
    """(gained, lost): the flows ``after`` allows that ``before`` did not, and back.

    >>> import ztlab
    >>> c = ztlab.load("sample_clusters/online-boutique")
    >>> gained, lost = flow_changes(c, c.replace(network_policies={}))
    >>> ("boutique/frontend", "boutique/redis-cart") in {(g.src, g.dst) for g in gained}
    True
    >>> lost
    []
    """
    old, new = _port_map(before), _port_map(after)
    gained = [
        FlowChange(s, d, p - old.get((s, d), PortSet.empty()))
        for (s, d), p in sorted(new.items())
        if not (p - old.get((s, d), PortSet.empty())).is_empty()
    ]
    lost = [
        FlowChange(s, d, p - new.get((s, d), PortSet.empty()))
        for (s, d), p in sorted(old.items())
        if not (p - new.get((s, d), PortSet.empty())).is_empty()
    ]
    return gained, lost


class WhatIfPanel(Panel):
    """One checkbox per NetworkPolicy and a label editor; gained and lost flows.

    >>> import ztlab
    >>> panel = WhatIfPanel(ztlab.load("sample_clusters/online-boutique"))
    >>> panel.toggles["boutique/redis-cart-ingress"].value = False
    >>> len(panel.gained) > 0, panel.lost
    (True, [])
    """

    def __init__(self, cluster: Cluster) -> None:
        self.original = cluster
        self.cluster = cluster
        self.labels: dict[str, dict[str, str]] = {}
        self.gained: list[FlowChange] = []
        self.lost: list[FlowChange] = []
        self.toggles = {
            key: w.Checkbox(value=True, description=key, indent=False)
            for key in sorted(cluster.network_policies)
        }
        for box in self.toggles.values():
            box.observe(self.on_change, names="value")
        keys = sorted(cluster.workloads)
        self.workload = w.Dropdown(options=keys, description="workload")
        self.label_key = w.Text(description="label", placeholder="key")
        self.label_value = w.Text(
            description="value", placeholder="value (empty: remove)"
        )
        self.apply_label = w.Button(description="set label")
        self.apply_label.on_click(self.on_label)
        self.summary = w.HTML().add_class("ztlab-whatif-summary")
        self.changes = w.HTML()
        self.widget = w.VBox(
            [
                w.HTML("<b>NetworkPolicies</b> (untick to switch one off)"),
                w.VBox(list(self.toggles.values())),
                w.HBox([self.workload, self.label_key, self.label_value]),
                self.apply_label,
                self.summary,
                self.changes,
            ]
        )
        self.update()

    def on_change(self, change: dict[str, Any]) -> None:
        self.update()

    def on_label(self, _button: Any = None) -> None:
        self.set_label(
            self.workload.value, self.label_key.value, self.label_value.value
        )

    def set_label(self, workload: str, key: str, value: str) -> None:
        """Set (or, with an empty value, remove) a pod label of one workload."""
        if not key:
            return
        edits = self.labels.setdefault(workload, {})
        edits[key] = value
        self.update()

    def what_if(self) -> Cluster:
        """The changed cluster: policies switched off removed, labels edited."""
        policies = {
            k: p
            for k, p in self.original.network_policies.items()
            if self.toggles[k].value
        }
        workloads = dict(self.original.workloads)
        for key, edits in self.labels.items():
            current = dict(workloads[key].labels)
            for k, v in edits.items():
                if v:
                    current[k] = v
                else:
                    current.pop(k, None)
            workloads[key] = replace(workloads[key], labels=Labels(current))
        return self.original.replace(network_policies=policies, workloads=workloads)

    def update(self) -> None:
        self.cluster = self.what_if()
        self.gained, self.lost = flow_changes(self.original, self.cluster)
        off = [k for k, box in self.toggles.items() if not box.value]
        self.summary.value = (
            f"{len(off)} policies off, {len(self.labels)} workloads relabelled: "
            f"<b>{len(self.gained)}</b> flows gained, <b>{len(self.lost)}</b> lost"
        )
        rows = [("gained", c.src, c.dst, str(c.ports)) for c in self.gained]
        rows += [("lost", c.src, c.dst, str(c.ports)) for c in self.lost]
        self.changes.value = (
            table(["change", "source", "destination", "ports"], rows)
            if rows
            else esc("no flow changes")
        )
