"""Policy sets: loading, JSON Schema validation, CEL compilation and type checks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cel

from ztlab.abac.celcheck import CheckError, check
from ztlab.abac.celparse import CelSyntaxError, parse
from ztlab.abac.combining import ALGORITHMS
from ztlab.abac.schema import AttributeSchema, load_schema
from ztlab.abac.source import read_yaml, validate
from ztlab.errors import PolicyError

if TYPE_CHECKING:
    from ztlab.abac.engine import Decision, Engine

__all__ = ["Policy", "PolicySet", "load_policies"]


@dataclass(frozen=True, eq=False)
class Policy:
    """One allow or deny policy with an optional target and a CEL condition.

    ``reads`` lists every attribute the target and the condition read, which is
    what the engine caches on. ``program`` is the compiled condition (None when
    the policy has none, i.e. the condition is true).
    """

    id: str
    effect: str
    description: str = ""
    actions: frozenset[str] | None = None
    resource_types: frozenset[str] | None = None
    condition: str | None = None
    reads: tuple[str, ...] = ()
    program: Any = field(default=None, repr=False)
    where: str = "<policies>"

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "effect": self.effect}
        if self.description:
            data["description"] = self.description
        target = {}
        if self.actions is not None:
            target["actions"] = sorted(self.actions)
        if self.resource_types is not None:
            target["resource_types"] = sorted(self.resource_types)
        if target:
            data["target"] = target
        if self.condition is not None:
            data["condition"] = self.condition
        return data


@dataclass(frozen=True, eq=False)
class PolicySet:
    """An ordered policy set with its combining algorithm and attribute schema.

    >>> from ztlab.abac.schema import load_schema
    >>> schema = load_schema({"attributes": {"subject.mfa": {"type": "bool"}}})
    >>> ps = load_policies({"policies": [{"id": "mfa", "effect": "allow",
    ...                                   "condition": "subject.mfa"}]}, schema)
    >>> ps.decide({"subject": {"mfa": True}}).outcome
    'allow'
    """

    policies: tuple[Policy, ...]
    schema: AttributeSchema
    algorithm: str = "deny-overrides"
    name: str = ""
    origin: str = "<policies>"
    _engine: dict[str, Any] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.policies)

    def policy(self, policy_id: str) -> Policy:
        for policy in self.policies:
            if policy.id == policy_id:
                return policy
        known = ", ".join(p.id for p in self.policies)
        raise PolicyError(f"{self.origin}: no policy {policy_id!r}; policies: {known}")

    @property
    def engine(self) -> Engine:
        """The evaluator of this set, built once (it holds the decision caches)."""
        if "engine" not in self._engine:
            from ztlab.abac.engine import Engine

            self._engine["engine"] = Engine(self)
        engine: Engine = self._engine["engine"]
        return engine

    def decide(self, request: Mapping[str, Any]) -> Decision:
        """Decide one request; see :meth:`ztlab.abac.engine.Engine.decide`."""
        return self.engine.decide(request)

    def without(self, policy_id: str) -> PolicySet:
        """The same set with one policy removed (a what-if)."""
        kept = tuple(p for p in self.policies if p.id != policy_id)
        return replace(self, policies=kept, _engine={})

    @property
    def reads(self) -> tuple[str, ...]:
        """Every attribute some policy reads, in schema order."""
        used = {name for p in self.policies for name in p.reads}
        return tuple(name for name in self.schema if name in used)


def load_policies(
    source: str | Path | Mapping[str, Any],
    schema: AttributeSchema | str | Path | None = None,
) -> PolicySet:
    """Load a policy set file (or mapping), compile and type-check its conditions.

    ``schema`` defaults to the file named by the set's ``schema`` field, relative
    to the policy file. Every problem is a PolicyError naming the policy id and,
    for a condition, the line and column inside the expression.

    >>> from ztlab.abac.schema import load_schema
    >>> schema = load_schema({"attributes": {"subject.role": {"type": "string"}}})
    >>> load_policies({"policies": [{"id": "p", "effect": "allow",
    ...                              "condition": "subject.level > 3"}]}, schema)
    Traceback (most recent call last):
    ...
    ztlab.errors.PolicyError: <policies>: policy 'p': condition, line 1 column 9: ...
    """
    if isinstance(source, Mapping):
        data: Any = dict(source)
        lines: dict[tuple[Any, ...], int] = {}
        origin = "<policies>"
        base = Path.cwd()
    else:
        data, lines = read_yaml(source)
        origin = str(source)
        base = Path(source).resolve().parent
    validate(data, "abac-policyset", origin, lines)

    if schema is None:
        if "schema" not in data:
            raise PolicyError(
                f"{origin}: no attribute schema. Fix: add 'schema: attributes.yaml' "
                "to the policy set or pass --schema"
            )
        schema = load_schema(base / data["schema"])
    elif not isinstance(schema, AttributeSchema):
        schema = load_schema(schema)

    policies = []
    seen: dict[str, str] = {}
    for index, spec in enumerate(data["policies"]):
        line = lines.get(("policies", index))
        where = f"{origin}" + (f" (line {line})" if line else "")
        if spec["id"] in seen:
            raise PolicyError(
                f"{where}: policy id {spec['id']!r} is used twice (first at "
                f"{seen[spec['id']]}). Fix: give every policy its own id"
            )
        seen[spec["id"]] = where
        cond_line = lines.get(("policies", index, "condition"))
        policies.append(_compile(spec, schema, where, cond_line))
    return PolicySet(
        tuple(policies),
        schema,
        algorithm=data.get("algorithm", ALGORITHMS[0]),
        name=data.get("name", ""),
        origin=origin,
    )


def _compile(
    spec: Mapping[str, Any], schema: AttributeSchema, where: str, cond_line: int | None
) -> Policy:
    policy_id = spec["id"]
    at = f"{where}: policy {policy_id!r}"
    reads: list[str] = []
    target = spec.get("target", {})
    sets: dict[str, frozenset[str] | None] = {}
    for key, attribute in (("actions", "action"), ("resource_types", "resource.type")):
        if key not in target:
            sets[key] = None
            continue
        if attribute not in schema:
            raise PolicyError(
                f"{at}: target.{key} needs the attribute {attribute} in the schema. "
                f"Fix: declare {attribute} in {schema.origin}"
            )
        declared = schema[attribute].values
        for value in target[key]:
            if declared is not None and value not in declared:
                raise PolicyError(
                    f"{at}: target.{key}: {value!r} is not a value of {attribute} "
                    f"({', '.join(declared)}). Fix: correct the value or add it to "
                    "the schema"
                )
        sets[key] = frozenset(target[key])
        reads.append(attribute)

    program = None
    condition = spec.get("condition")
    if condition is not None:
        try:
            program = cel.compile(condition)
        except Exception as exc:  # the library raises ValueError with its position
            message = str(exc).replace("<input>", "condition")
            raise PolicyError(f"{at}: condition does not parse: {message}") from None
        try:
            checked = check(parse(condition), schema)
        except (CelSyntaxError, CheckError) as exc:
            position = _position(condition, exc.offset, cond_line)
            raise PolicyError(
                f"{at}: condition, {position}: {exc.message}. Fix: correct the "
                "condition or declare the attribute in the schema"
            ) from None
        reads.extend(name for name in checked.reads if name not in reads)

    ordered = tuple(name for name in schema if name in reads)
    return Policy(
        id=policy_id,
        effect=spec["effect"],
        description=spec.get("description", ""),
        actions=sets["actions"],
        resource_types=sets["resource_types"],
        condition=condition,
        reads=ordered,
        program=program,
        where=where,
    )


def _position(text: str, offset: int, file_line: int | None) -> str:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    position = f"line {line} column {column}"
    if file_line is not None:
        position += f" (near line {file_line} of the file)"
    return position
