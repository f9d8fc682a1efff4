"""Attestations: validated file, applied only where configuration cannot decide."""

from __future__ import annotations

from pathlib import Path

import pytest

import ztlab
from ztlab.errors import LoadError
from ztlab.scorecard import load_attestations, scorecard

from .helpers import FIXTURES


def test_attestations_apply_to_undecided_items_only() -> None:
    attested = load_attestations(FIXTURES / "attestations.yaml")
    assert [a.when for a in attested] == [
        "2024-05-02",
        "2024-05-03T10:00:00Z",
        "2024-05-04",
    ]
    card = scorecard(
        ztlab.load(str(FIXTURES / "bad/open-namespace.yaml")), attestations=attested
    )
    rate = card.result("application.rate-limiting")
    assert rate.status == "pass" and rate.attestation is not None
    assert "platform-team@example.com" in rate.message
    assert card.result("observability.alerting").status == "fail"
    # Configuration shows default-deny failing; the attestation is ignored.
    assert card.result("network.default-deny").attestation is None
    assert any("network.default-deny ignored" in n for n in card.notes)
    # An attested pass is scored: application now has one decided item.
    assert card.pillar_scores()["application"]["score"] == 100


def test_unknown_item_names_file_line_and_known_ids(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text(
        "attestations:\n  - id: network.firewall\n    status: pass\n    who: me\n"
        "    when: 2024-01-01\n    evidence: x\n"
    )
    with pytest.raises(LoadError) as err:
        scorecard(
            ztlab.load(str(FIXTURES / "good")), attestations=load_attestations(path)
        )
    text = str(err.value)
    assert "a.yaml, document 1 (line 2)" in text and "network.default-deny" in text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            "attestations:\n  - id: observability.alerting\n    status: pass\n",
            "attestations.0",
        ),
        ("attest: []\n", "(top level)"),
        (
            "attestations:\n  - {id: Bad Id, status: pass, who: a, "
            "when: 2024-01-01, evidence: e}\n",
            "attestations.0.id",
        ),
    ],
)
def test_schema_errors(tmp_path: Path, body: str, field: str) -> None:
    path = tmp_path / "a.yaml"
    path.write_text(body)
    with pytest.raises(LoadError) as err:
        load_attestations(path)
    assert f"field {field}" in str(err.value)
    assert "attestations.schema.json" in str(err.value)
