"""The zero-trust scorecard: pillar checks with evidence, scores, SARIF, CI gate.

Every item of the checklist is a function of a :class:`Context` (the cluster and
an optional ABAC policy set) returning a :class:`CheckResult`. Modules: one per
pillar (``identity``, ``device``, ``network``, ``application``, ``data``,
``observability``), ``model`` (results, fingerprints), ``attest``
(attestations file), ``score`` (scores, comparison), ``sarif`` and ``baseline``.

>>> import ztlab
>>> card = scorecard(ztlab.load("sample_clusters/online-boutique"))
>>> card.result("network.default-deny").status
'fail'
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ztlab.scorecard import application, data, device, identity, network
from ztlab.scorecard import observability as _observability
from ztlab.scorecard.attest import Attestation, apply_attestations, load_attestations
from ztlab.scorecard.baseline import gate, read_baseline, write_baseline
from ztlab.scorecard.model import (
    PILLARS,
    STATUSES,
    CheckResult,
    Context,
    fingerprint,
)
from ztlab.scorecard.sarif import to_sarif
from ztlab.scorecard.score import Scorecard, compare

if TYPE_CHECKING:
    from ztlab.abac import PolicySet
    from ztlab.model import Cluster

__all__ = [
    "CHECKS",
    "PILLARS",
    "STATUSES",
    "Attestation",
    "CheckResult",
    "Context",
    "Scorecard",
    "apply_attestations",
    "check_ids",
    "compare",
    "fingerprint",
    "gate",
    "load_attestations",
    "read_baseline",
    "scorecard",
    "to_sarif",
    "write_baseline",
]

CHECKS = [
    *identity.CHECKS,
    *device.CHECKS,
    *network.CHECKS,
    *application.CHECKS,
    *data.CHECKS,
    *_observability.CHECKS,
]


def scorecard(
    cluster: Cluster,
    *,
    abac: PolicySet | None = None,
    attestations: Iterable[Attestation] = (),
) -> Scorecard:
    """Run every check on ``cluster`` and apply the attestations.

    >>> import ztlab
    >>> card = scorecard(ztlab.load("sample_clusters/fintech-zero-trust"))
    >>> card.result("data.classification-labels").status
    'pass'
    """
    ctx = Context(cluster, abac)
    results = [check(ctx) for check in CHECKS]
    results, notes = apply_attestations(results, attestations)
    return Scorecard(results, notes)


def check_ids() -> list[str]:
    """The ids of every item, in checklist order (no cluster needed)."""
    from ztlab.model import Cluster

    return [r.id for r in scorecard(Cluster()).results]
