"""ipywidgets panels for notebooks; every panel's logic is in plain methods.

Each panel keeps its controls as attributes and recomputes in ``update()``,
which its ``observe`` handlers call, so tests drive a panel headless by setting
a control's value and reading the result attributes.

>>> import ztlab
>>> ex = ReachabilityExplorer(ztlab.load("sample_clusters/online-boutique"),
...                           graph=False)
>>> ex.verdict_word in ("allowed", "denied")
True
"""

from ztlab.widgets.abac import AbacSimulator
from ztlab.widgets.export import ExportPreview
from ztlab.widgets.mesh import MeshExplorer
from ztlab.widgets.reachability import ReachabilityExplorer
from ztlab.widgets.whatif import FlowChange, WhatIfPanel, flow_changes

__all__ = [
    "AbacSimulator",
    "ExportPreview",
    "FlowChange",
    "MeshExplorer",
    "ReachabilityExplorer",
    "WhatIfPanel",
    "flow_changes",
]
