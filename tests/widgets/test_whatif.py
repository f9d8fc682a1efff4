"""The what-if panel: switching policies off and editing labels.

Expected flows: tests/samples/expected/online-boutique.yaml (redis-cart-ingress
admits only cartservice; cartservice-ingress selects app=cartservices, which no
pod has).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import ztlab
from ztlab.widgets import WhatIfPanel

SAMPLES = Path(__file__).resolve().parents[2] / "sample_clusters"


@pytest.fixture
def panel():
    return WhatIfPanel(ztlab.load(SAMPLES / "online-boutique"))


def _pairs(changes):
    return {(c.src, c.dst) for c in changes}


def test_nothing_changes_until_asked(panel):
    assert panel.gained == [] and panel.lost == []
    assert "0 policies off" in panel.summary.value


def test_switching_off_an_ingress_policy_opens_the_workload(panel):
    panel.toggles["boutique/redis-cart-ingress"].value = False
    gained = _pairs(panel.gained)
    assert ("boutique/frontend", "boutique/redis-cart") in gained
    assert ("kube-system/kube-dns", "boutique/redis-cart") in gained
    assert panel.lost == []
    assert "boutique/redis-cart-ingress" not in panel.cluster.network_policies
    panel.toggles["boutique/redis-cart-ingress"].value = True
    assert panel.gained == []


def test_fixing_a_selector_typo_by_relabelling_loses_flows(panel):
    # Give cartservice the label its policy expects: now it is isolated, and
    # only what cartservice-ingress admits remains.
    panel.set_label("boutique/cartservice", "app", "cartservices")
    lost = _pairs(panel.lost)
    assert ("kube-system/kube-dns", "boutique/cartservice") in lost
    # redis-cart-ingress admits app=cartservice; the relabelled pod loses it.
    assert ("boutique/cartservice", "boutique/redis-cart") in lost


def test_the_label_editor_widgets_drive_the_same_change(panel):
    panel.workload.value = "boutique/cartservice"
    panel.label_key.value = "app"
    panel.label_value.value = "cartservices"
    panel.apply_label.click()
    assert ("kube-system/kube-dns", "boutique/cartservice") in _pairs(panel.lost)
    assert "lost" in panel.changes.value
