"""Deciding requests: targets in Python, CEL conditions cached on what they read.

A condition can only depend on the attributes it reads (the type checker makes
sure every read is known), so the engine keys each policy's result on the
request's projection onto those attributes, and each whole decision on the
projection onto the attributes any policy reads. With finite domains the caches
hit almost always; CEL runs once per distinct projection.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from ztlab.abac.combining import NOT_APPLICABLE, combine, outcome, rule_result

if TYPE_CHECKING:
    from ztlab.abac.policy import Policy, PolicySet

__all__ = ["Decision", "Engine", "MISSING", "freeze", "thaw"]

# Policy result codes.
NA, APPLIES, ERROR = 0, 1, 2

CACHE_LIMIT = 1_000_000


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class FrozenList(tuple[Any, ...]):
    """A list attribute value as a hashable tuple."""

    __slots__ = ()


class FrozenMap(tuple[Any, ...]):
    """A map attribute value as a hashable tuple of sorted items."""

    __slots__ = ()


_PLAIN = (str, int, bool, float, type(None))
_PLAIN_TYPES = frozenset(_PLAIN)


def freeze(value: Any) -> Any:
    """A hashable form of an attribute value (lists and maps become tuples)."""
    kind = type(value)
    if kind in _PLAIN_TYPES:
        return value
    if kind is list or kind is tuple or kind is FrozenList:
        if all(type(v) is str for v in value):
            return FrozenList(value)
        return FrozenList([freeze(v) for v in value])
    if isinstance(value, Mapping):
        return FrozenMap(sorted((k, freeze(v)) for k, v in value.items()))
    if isinstance(value, list | tuple | set | frozenset):
        return FrozenList([freeze(v) for v in value])
    return value


def thaw(value: Any) -> Any:
    """The plain value CEL gets back from :func:`freeze`."""
    if isinstance(value, FrozenMap):
        return {k: thaw(v) for k, v in value}
    if isinstance(value, FrozenList):
        return [thaw(v) for v in value]
    return value


@dataclass(frozen=True)
class Decision:
    """The decision on one request, with the policies behind it.

    ``outcome`` is allow, deny, error or not-applicable (first-applicable only);
    ``xacml`` the XACML 3.0 result it maps from; ``matched`` the policies whose
    target and condition held; ``deciding`` the policy that decided (None for a
    default deny); ``errors`` the policies that could not be evaluated.
    """

    outcome: str
    xacml: str
    deciding: str | None
    matched: tuple[str, ...]
    errors: tuple[tuple[str, str], ...]
    reason: str

    @property
    def allowed(self) -> bool:
        return self.outcome == "allow"

    @property
    def default(self) -> bool:
        """True when no policy matched (the default deny)."""
        return self.xacml == NOT_APPLICABLE

    def to_dict(self) -> dict[str, Any]:
        return {
            "decision": self.outcome,
            "xacml": self.xacml,
            "deciding": self.deciding,
            "matched": list(self.matched),
            "errors": [{"policy": p, "error": e} for p, e in self.errors],
            "reason": self.reason,
        }


class Engine:
    """The compiled, caching evaluator of one :class:`PolicySet`.

    >>> from ztlab.abac import load_policies, load_schema
    >>> schema = load_schema({"attributes": {"subject.mfa": {"type": "bool"},
    ...                                      "action": {"type": "string"}}})
    >>> ps = load_policies({"policies": [
    ...     {"id": "need-mfa", "effect": "deny", "condition": "!subject.mfa"},
    ...     {"id": "read", "effect": "allow", "target": {"actions": ["read"]}}]},
    ...     schema)
    >>> d = ps.decide({"subject": {"mfa": False}, "action": "read"})
    >>> d.outcome, d.deciding, d.matched
    ('deny', 'need-mfa', ('need-mfa', 'read'))
    >>> print(ps.decide({"subject": {}, "action": "read"}).reason)
    ... # doctest: +NORMALIZE_WHITESPACE
    denied: deny policy need-mfa could not be evaluated
    (attribute subject.mfa is missing from the request: No such key: mfa)
    """

    def __init__(self, policy_set: PolicySet) -> None:
        self.policy_set = policy_set
        self.policies = policy_set.policies
        self.algorithm = policy_set.algorithm
        self.attributes: tuple[str, ...] = policy_set.reads
        self._roots: list[tuple[str, list[str]]] = []
        for name in self.attributes:
            root, _, fld = name.partition(".")
            if self._roots and self._roots[-1][0] == root and fld:
                self._roots[-1][1].append(fld)
            else:
                self._roots.append((root, [fld] if fld else []))
        self._fast = [
            (root, itemgetter(*fields) if fields else None, len(fields) == 1)
            for root, fields in self._roots
        ]
        schema = policy_set.schema
        self._freeze_at = [
            i
            for i, name in enumerate(self.attributes)
            if schema[name].type in ("list", "map")
        ]
        index = {name: i for i, name in enumerate(self.attributes)}
        self._projections = [
            _projector([index[name] for name in p.reads]) for p in self.policies
        ]
        self._policy_cache: list[dict[Any, tuple[int, str]]] = [
            {} for _ in self.policies
        ]
        self._decisions: dict[tuple[Any, ...], Decision] = {}
        self._by_codes: dict[tuple[int, ...], Decision] = {}
        self._slots = list(
            zip(self.policies, self._projections, self._policy_cache, strict=True)
        )

    def key(self, request: Mapping[str, Any]) -> tuple[Any, ...]:
        """The request's projection onto the attributes the policies read."""
        # Fast path: every root and attribute present; only list and map
        # attributes (known from the schema) need freezing.
        try:
            values: list[Any] = []
            for root, getter, single in self._fast:
                part = request[root]
                if getter is None:
                    values.append(part)
                elif single:
                    values.append(getter(part))
                else:
                    values.extend(getter(part))
            for at in self._freeze_at:
                values[at] = freeze(values[at])
            return tuple(values)
        except (KeyError, TypeError, IndexError):
            return self.full_key(request)

    def full_key(self, request: Mapping[str, Any]) -> tuple[Any, ...]:
        """:meth:`key` for any request: missing attributes, any value types."""
        values: list[Any] = []
        plain = _PLAIN_TYPES
        for root, fields in self._roots:
            part = request.get(root, MISSING)
            if not fields:
                values.append(
                    part if type(part) in plain or part is MISSING else freeze(part)
                )
            elif type(part) is dict or isinstance(part, Mapping):
                for name in fields:
                    value = part.get(name, MISSING)
                    values.append(value if type(value) in plain else freeze(value))
            else:
                values.extend([MISSING] * len(fields))
        return tuple(values)

    def decide(self, request: Mapping[str, Any]) -> Decision:
        """Decide ``request`` (a mapping of subject, resource, action, environment)."""
        key = self.key(request)
        try:
            found = self._decisions.get(key)
        except TypeError:  # an unhashable value where the schema has a scalar
            key = self.full_key(request)
            found = self._decisions.get(key)
        if found is None:
            found = self.decide_key(key)
            if len(self._decisions) >= CACHE_LIMIT:
                self._decisions.clear()
            self._decisions[key] = found
        return found

    def decide_many(self, requests: Iterable[Mapping[str, Any]]) -> list[Decision]:
        """Decide a batch; the garbage collector pauses meanwhile, since the
        caches allocate many small tuples that would trigger it for nothing."""
        paused = gc.isenabled()
        gc.disable()
        try:
            decide = self.decide
            return [decide(request) for request in requests]
        finally:
            if paused:
                gc.enable()

    def decide_key(self, key: tuple[Any, ...]) -> Decision:
        results = []
        for policy, project, cache in self._slots:
            part = project(key)
            found = cache.get(part)
            if found is None:
                if len(cache) >= CACHE_LIMIT:
                    cache.clear()
                found = cache[part] = _evaluate(policy, part)
            results.append(found)
        codes = tuple([code for code, _ in results])
        if ERROR in codes:  # error messages differ per request: no sharing
            return self.combine(results)
        shared = self._by_codes.get(codes)
        if shared is None:
            shared = self._by_codes[codes] = self.combine(results)
        return shared

    def codes(self, key: tuple[Any, ...]) -> tuple[int, ...]:
        return tuple(self.evaluate(i, key)[0] for i in range(len(self.policies)))

    def evaluate(self, index: int, key: tuple[Any, ...]) -> tuple[int, str]:
        """Policy ``index`` on a request key: (NA | APPLIES | ERROR, error message)."""
        cache = self._policy_cache[index]
        part = self._projections[index](key)
        found = cache.get(part)
        if found is None:
            found = _evaluate(self.policies[index], part)
            if len(cache) >= CACHE_LIMIT:
                cache.clear()
            cache[part] = found
        return found

    def evaluate_projection(
        self, index: int, values: tuple[Any, ...]
    ) -> tuple[int, str]:
        """Policy ``index`` on the values of its own ``reads`` (in that order)."""
        cache = self._policy_cache[index]
        found = cache.get(values)
        if found is None:
            found = cache[values] = _evaluate(self.policies[index], values)
        return found

    def combine(self, results: Sequence[tuple[int, str]]) -> Decision:
        """The decision for per-policy results, in policy order."""
        xacml_results = [
            rule_result(p.effect, None if code == ERROR else code == APPLIES)
            for p, (code, _) in zip(self.policies, results, strict=True)
        ]
        xacml, at = combine(self.algorithm, xacml_results)
        decided = outcome(self.algorithm, xacml)
        matched = tuple(
            p.id
            for p, (c, _) in zip(self.policies, results, strict=True)
            if c == APPLIES
        )
        errors = tuple(
            (p.id, message)
            for p, (c, message) in zip(self.policies, results, strict=True)
            if c == ERROR
        )
        deciding = self.policies[at].id if at is not None else None
        return Decision(
            decided,
            xacml,
            deciding,
            matched,
            errors,
            _reason(decided, xacml, deciding, dict(errors)),
        )


def _projector(indexes: list[int]) -> Any:
    if not indexes:
        return lambda key: ()
    if len(indexes) == 1:
        only = indexes[0]
        return lambda key: (key[only],)
    return itemgetter(*indexes)


def _evaluate(policy: Policy, values: tuple[Any, ...]) -> tuple[int, str]:
    given = dict(zip(policy.reads, values, strict=True))
    missing = [name for name, value in given.items() if value is MISSING]

    for attribute, allowed in (
        ("action", policy.actions),
        ("resource.type", policy.resource_types),
    ):
        if allowed is None:
            continue
        value = given[attribute]
        if value is MISSING:
            return ERROR, f"attribute {attribute} is missing from the request"
        if value not in allowed:
            return NA, ""
    if policy.program is None:
        return APPLIES, ""

    context: dict[str, Any] = {}
    for name, value in given.items():
        root, _, fld = name.partition(".")
        if not fld:
            if value is not MISSING:
                context[root] = thaw(value)
            continue
        part = context.setdefault(root, {})
        if value is not MISSING:
            part[fld] = thaw(value)
    try:
        result = policy.program.execute(context)
    except Exception as exc:  # the library raises KeyError, TypeError, RuntimeError...
        text = str(exc).strip("'\"") if isinstance(exc, KeyError) else str(exc)
        if isinstance(exc, KeyError):
            text = f"No such key: {text}"
        if missing:
            return (
                ERROR,
                f"attribute {', '.join(missing)} is missing from the request: {text}",
            )
        return ERROR, text
    if not isinstance(result, bool):
        return ERROR, f"the condition yielded {result!r}, not a bool"
    return (APPLIES if result else NA), ""


def _reason(
    decided: str, xacml: str, deciding: str | None, errors: dict[str, str]
) -> str:
    if decided == "allow":
        return f"allowed by {deciding}"
    if xacml == NOT_APPLICABLE:
        if decided == "not-applicable":
            return "no policy matched (not-applicable; enforced as deny)"
        return "no policy matched: default deny"
    if decided == "deny" and xacml == "Deny":
        return f"denied by {deciding}"
    assert deciding is not None
    if decided == "deny":
        return (
            f"denied: deny policy {deciding} could not be evaluated "
            f"({errors[deciding]})"
        )
    return f"error: policy {deciding} could not be evaluated ({errors[deciding]})"
