"""Loading policy sets and schemas: validation and type checks with clear errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ztlab.abac import load_policies, load_schema
from ztlab.errors import PolicyError


def _one(condition: str, schema: Any, **extra: Any) -> Any:
    policy = {"id": "p1", "effect": "allow", "condition": condition, **extra}
    return load_policies({"policies": [policy]}, schema)


def test_reads_are_collected_in_schema_order(schema: Any) -> None:
    ps = _one(
        'environment.hour > 1 && subject.role == "admin"',
        schema,
        target={"actions": ["read"]},
    )
    assert ps.policies[0].reads == ("subject.role", "action", "environment.hour")


def test_unknown_attribute_names_policy_and_column(schema: Any) -> None:
    with pytest.raises(PolicyError) as info:
        _one('subject.role == "admin" && subject.rank > 2', schema)
    text = str(info.value)
    assert "policy 'p1'" in text
    assert "line 1 column 36" in text  # the 'rank' of subject.rank
    assert "unknown attribute subject.rank" in text


@pytest.mark.parametrize(
    "condition,fragment",
    [
        ('environment.hour == "3"', "type mismatch"),
        ("subject.mfa > 1", "cannot compare bool with int"),
        ("subject.role", "yields string, not a bool"),
        ('subject.role == "admn"', "'admn' is not a value of subject.role"),
        ('"sms" in subject.amr', "'sms' is not a value of subject.amr"),
        ('action in ["read", "wrte"]', "'wrte' is not a value of action"),
        ("subject.mfa && environment.hour", "an operand of && must be bool"),
        ("subject == resource", "refer to an attribute"),
        ("user.role == 'x'", "unknown name 'user'"),
        ('subject.role.name == "x"', "string has no field 'name'"),
        ("size(subject.mfa) > 0", "size() of bool"),
        ("subject.amr.exists(m, m)", "the predicate of exists() must be bool"),
        ("nosuch(subject.mfa)", "unknown function nosuch()"),
        ("subject.role.startsWith(1)", "the argument of startsWith() must be string"),
    ],
)
def test_type_errors(schema: Any, condition: str, fragment: str) -> None:
    with pytest.raises(PolicyError) as info:
        _one(condition, schema)
    assert fragment in str(info.value)
    assert "policy 'p1'" in str(info.value)


@pytest.mark.parametrize(
    "condition",
    [
        '"otp" in subject.amr || "hwk" in subject.amr',
        'subject.amr.exists(m, m in ["otp", "hwk"])',
        "size(subject.amr) >= 2 && environment.hour < 3",
        'resource.labels["data-classification"] == "restricted"',
        '"team" in resource.labels && has(resource.labels.team)',
        'subject.role in ["manager", "admin"] ? subject.mfa : false',
        'subject.role.startsWith("man") && !subject.mfa',
        "has(subject.mfa)",
    ],
)
def test_valid_conditions(schema: Any, condition: str) -> None:
    assert len(_one(condition, schema)) == 1


def test_syntax_error_is_reported_with_policy(schema: Any) -> None:
    with pytest.raises(PolicyError) as info:
        _one('subject.role == "admin" &&', schema)
    assert "policy 'p1'" in str(info.value) and "does not parse" in str(info.value)


def test_target_values_are_checked(schema: Any) -> None:
    with pytest.raises(PolicyError, match="'delete' is not a value of action"):
        load_policies(
            {
                "policies": [
                    {"id": "p", "effect": "deny", "target": {"actions": ["delete"]}}
                ]
            },
            schema,
        )


def test_schema_violation_names_field_and_line(tmp_path: Path, schema: Any) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        "policies:\n  - id: a\n    effect: allow\n  - id: b\n    effect: permit\n"
    )
    with pytest.raises(PolicyError) as info:
        load_policies(path, schema)
    text = str(info.value)
    assert (
        "field policies.1.effect" in text and "(line 5)" in text and str(path) in text
    )


def test_duplicate_ids(schema: Any) -> None:
    with pytest.raises(PolicyError, match="used twice"):
        load_policies(
            {
                "policies": [
                    {"id": "a", "effect": "allow"},
                    {"id": "a", "effect": "deny"},
                ]
            },
            schema,
        )


def test_schema_from_policy_file(tmp_path: Path) -> None:
    (tmp_path / "attrs.yaml").write_text("attributes:\n  subject.mfa: {type: bool}\n")
    (tmp_path / "p.yaml").write_text(
        "schema: attrs.yaml\npolicies:\n  - id: a\n    effect: allow\n"
        "    condition: subject.mfa\n"
    )
    ps = load_policies(tmp_path / "p.yaml")
    assert ps.decide({"subject": {"mfa": True}}).outcome == "allow"


def test_missing_schema(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text("policies: []\n")
    with pytest.raises(PolicyError, match="no attribute schema"):
        load_policies(tmp_path / "p.yaml")


@pytest.mark.parametrize(
    "spec,fragment",
    [
        (
            {"attributes": {"subject.age": {"type": "int", "min": 5, "max": 1}}},
            "min is above max",
        ),
        ({"attributes": {"subject.age": {"type": "int", "min": 5}}}, "max"),
        ({"attributes": {"user.age": {"type": "int"}}}, "user.age"),
        (
            {"attributes": {"subject.mfa": {"type": "bool", "values": ["x"]}}},
            "subject.mfa",
        ),
        ({"attributes": {"subject.x": {"type": "float"}}}, "subject.x.type"),
    ],
)
def test_bad_schema(spec: dict[str, Any], fragment: str) -> None:
    with pytest.raises(PolicyError) as info:
        load_schema(spec)
    assert fragment in str(info.value)


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read"):
        load_schema(tmp_path / "missing.yaml")
