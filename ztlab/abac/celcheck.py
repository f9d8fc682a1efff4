"""Type-check a CEL condition against the attribute schema.

What is checked, at the position where it goes wrong:

- every ``subject.x``, ``resource.x``, ``environment.x`` and ``action`` names an
  attribute of the schema; ``subject`` alone (without a field) is refused, so the
  attributes a condition reads are always known;
- operand types of ``! && || == != < <= > >= in + - * / %`` and of ``?:``;
- a string literal compared with (or looked up in) an attribute that has a
  domain belongs to that domain, so a typo such as ``"admn"`` is caught;
- arguments of ``size``, ``startsWith``, ``endsWith``, ``contains``, ``matches``,
  ``has`` and of the macros ``all``, ``exists``, ``exists_one``, ``filter``,
  ``map`` (whose bound variable gets the element type);
- the whole condition yields a bool.

Limitations: a value of unknown type (``dyn``: a map literal with mixed values,
``type()``, timestamps) is accepted wherever a type is expected; functions outside
the list above are refused rather than guessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ztlab.abac.celparse import Node
from ztlab.abac.schema import ROOTS, Attribute

__all__ = ["CheckError", "Checked", "check"]

Type = Any  # "string" | "int" | ... | ("list", elem) | ("map", key, value)

_NUMERIC = {"int", "uint", "double"}
_ATTRIBUTE_TYPES: dict[str, Type] = {
    "string": "string",
    "int": "int",
    "bool": "bool",
    "double": "double",
    "list": ("list", "string"),
    "map": ("map", "string", "string"),
}
_MACROS = {"all", "exists", "exists_one", "filter", "map"}
_STRING_METHODS = {"startsWith", "endsWith", "contains", "matches"}
_CONVERSIONS = {
    "int": "int",
    "uint": "uint",
    "double": "double",
    "string": "string",
    "bool": "bool",
    "bytes": "bytes",
    "dyn": "dyn",
    "type": "dyn",
    "timestamp": "timestamp",
    "duration": "duration",
}


class CheckError(Exception):
    """A type error at ``offset`` (0-based) of the expression."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


@dataclass
class Checked:
    """The result: the type and the attributes read, in order of appearance."""

    type: Type
    reads: list[str] = field(default_factory=list)


def show(kind: Type) -> str:
    if isinstance(kind, tuple):
        return f"{kind[0]}({', '.join(show(k) for k in kind[1:])})"
    return str(kind)


def check(tree: Node, schema: Mapping[str, Attribute]) -> Checked:
    """Type-check ``tree``; raise :class:`CheckError` at the first problem.

    >>> from ztlab.abac.celparse import parse
    >>> from ztlab.abac.schema import Attribute
    >>> schema = {"subject.role": Attribute("subject.role", "string", ("admin",))}
    >>> check(parse('subject.role == "admin"'), schema).reads
    ['subject.role']
    >>> check(parse('subject.rol == "admin"'), schema)
    Traceback (most recent call last):
    ...
    ztlab.abac.celcheck.CheckError: unknown attribute subject.rol; known: subject.role
    """
    checker = _Checker(schema)
    kind = checker.type_of(tree, {})
    if kind not in ("bool", "dyn"):
        raise CheckError(f"the condition yields {show(kind)}, not a bool", tree.offset)
    return Checked(kind, checker.reads)


class _Checker:
    def __init__(self, schema: Mapping[str, Attribute]) -> None:
        self.schema = schema
        self.reads: list[str] = []

    def attribute(self, name: str, offset: int) -> Attribute:
        if name not in self.schema:
            root = name.split(".", 1)[0]
            known = [n for n in self.schema if n.split(".", 1)[0] == root]
            hint = (
                f"; known: {', '.join(known)}"
                if known
                else f"; the schema has no {root} attributes"
            )
            raise CheckError(f"unknown attribute {name}{hint}", offset)
        if name not in self.reads:
            self.reads.append(name)
        return self.schema[name]

    def attribute_of(self, node: Node, scope: Mapping[str, Type]) -> Attribute | None:
        """The attribute ``node`` refers to, if it is ``root.field`` or ``action``."""
        if node.kind == "ident" and node.value == "action" and "action" not in scope:
            return self.attribute("action", node.offset)
        if node.kind == "select" and node.children[0].kind == "ident":
            root = node.children[0].value
            if root in ROOTS and root not in scope:
                if root == "action":
                    raise CheckError(
                        "action is a string and has no fields", node.offset
                    )
                return self.attribute(f"{root}.{node.value}", node.offset)
        return None

    def type_of(self, node: Node, scope: Mapping[str, Type]) -> Type:
        attribute = self.attribute_of(node, scope)
        if attribute is not None:
            return _ATTRIBUTE_TYPES[attribute.type]
        method = getattr(self, f"_{node.kind}")
        kind: Type = method(node, scope)
        return kind

    def _lit(self, node: Node, scope: Mapping[str, Type]) -> Type:
        value = node.value
        if isinstance(value, bool):
            return "bool"
        if value is None:
            return "null"
        if isinstance(value, str):
            return "string"
        return value[0]

    def _ident(self, node: Node, scope: Mapping[str, Type]) -> Type:
        if node.value in scope:
            return scope[node.value]
        if node.value in ROOTS:
            raise CheckError(
                f"refer to an attribute ({node.value}.<name>), not to {node.value} "
                "as a whole, so that ztlab knows what the condition reads",
                node.offset,
            )
        raise CheckError(
            f"unknown name {node.value!r}; conditions see subject, resource, "
            "action and environment",
            node.offset,
        )

    def _select(self, node: Node, scope: Mapping[str, Type]) -> Type:
        operand = self.type_of(node.children[0], scope)
        if operand == "dyn":
            return "dyn"
        if isinstance(operand, tuple) and operand[0] == "map":
            return operand[2]
        raise CheckError(f"{show(operand)} has no field {node.value!r}", node.offset)

    def _index(self, node: Node, scope: Mapping[str, Type]) -> Type:
        operand = self.type_of(node.children[0], scope)
        index = self.type_of(node.children[1], scope)
        if operand == "dyn":
            return "dyn"
        if isinstance(operand, tuple) and operand[0] == "list":
            self.expect(index, {"int", "uint"}, node.children[1], "a list index")
            return operand[1]
        if isinstance(operand, tuple) and operand[0] == "map":
            self.compatible(operand[1], index, node.children[1], "a map key")
            return operand[2]
        raise CheckError(f"{show(operand)} cannot be indexed", node.offset)

    def _list(self, node: Node, scope: Mapping[str, Type]) -> Type:
        kinds = [self.type_of(child, scope) for child in node.children]
        return ("list", _common(kinds))

    def _map(self, node: Node, scope: Mapping[str, Type]) -> Type:
        kinds = [self.type_of(child, scope) for child in node.children]
        return ("map", _common(kinds[0::2]), _common(kinds[1::2]))

    def _unary(self, node: Node, scope: Mapping[str, Type]) -> Type:
        operand = self.type_of(node.children[0], scope)
        if node.value == "!":
            self.expect(operand, {"bool"}, node.children[0], "the operand of !")
            return "bool"
        self.expect(operand, _NUMERIC, node.children[0], "the operand of -")
        return operand

    def _cond(self, node: Node, scope: Mapping[str, Type]) -> Type:
        condition, then, otherwise = node.children
        self.expect(
            self.type_of(condition, scope), {"bool"}, condition, "the test of ?:"
        )
        return _common([self.type_of(then, scope), self.type_of(otherwise, scope)])

    def _binary(self, node: Node, scope: Mapping[str, Type]) -> Type:
        op = node.value
        left_node, right_node = node.children
        left = self.type_of(left_node, scope)
        right = self.type_of(right_node, scope)
        if op in ("&&", "||"):
            self.expect(left, {"bool"}, left_node, f"an operand of {op}")
            self.expect(right, {"bool"}, right_node, f"an operand of {op}")
            return "bool"
        if op in ("==", "!="):
            self.compatible(left, right, node, f"the operands of {op}")
            self.in_domain(left_node, right_node, scope)
            self.in_domain(right_node, left_node, scope)
            return "bool"
        if op in ("<", "<=", ">", ">="):
            if not (_dyn(left) or _dyn(right)):
                ordered = (left in _NUMERIC and right in _NUMERIC) or (
                    left == right
                    and left in ("string", "bytes", "bool", "timestamp", "duration")
                )
                if not ordered:
                    raise CheckError(
                        f"cannot compare {show(left)} with {show(right)} using {op}",
                        node.offset,
                    )
            return "bool"
        if op == "in":
            return self.membership(left, right, node, scope)
        return self.arithmetic(op, left, right, node)

    def membership(
        self, left: Type, right: Type, node: Node, scope: Mapping[str, Type]
    ) -> Type:
        left_node, right_node = node.children
        if right == "dyn":
            return "bool"
        if not isinstance(right, tuple):
            raise CheckError(
                f"'in' needs a list or a map on its right, not {show(right)}",
                node.offset,
            )
        self.compatible(left, right[1], node, "'in' element and collection")
        # Literals on either side must lie in the domain of the attribute.
        attribute = self.attribute_of(left_node, scope)
        if attribute is not None and right_node.kind == "list":
            for item in right_node.children:
                self.literal_in(attribute, item)
        attribute = self.attribute_of(right_node, scope)
        if attribute is not None and attribute.type == "list":
            self.literal_in(attribute, left_node)
        return "bool"

    def arithmetic(self, op: str, left: Type, right: Type, node: Node) -> Type:
        if _dyn(left) or _dyn(right):
            return "dyn"
        if (
            op == "+"
            and left == right
            and (left in ("string", "bytes") or isinstance(left, tuple))
        ):
            return left
        if left == right and left in _NUMERIC and not (op == "%" and left == "double"):
            return left
        raise CheckError(
            f"cannot apply {op} to {show(left)} and {show(right)}", node.offset
        )

    def _call(self, node: Node, scope: Mapping[str, Type]) -> Type:
        name, args, target = node.value, node.children, node.target
        if target is None and name == "has":
            if len(args) != 1 or args[0].kind != "select":
                raise CheckError(
                    "has() takes one field selection, e.g. has(subject.mfa)",
                    node.offset,
                )
            if self.attribute_of(args[0], scope) is None:
                self.type_of(args[0].children[0], scope)
            return "bool"
        if target is not None and name in _MACROS:
            return self.macro(node, scope)
        receiver = None if target is None else self.type_of(target, scope)
        kinds = [self.type_of(arg, scope) for arg in args]
        if name == "size":
            subject = (
                receiver
                if receiver is not None
                else (kinds[0] if len(kinds) == 1 else None)
            )
            if subject is None or (receiver is not None and kinds):
                raise CheckError("size() takes one argument", node.offset)
            sized = subject in ("string", "bytes", "dyn") or isinstance(subject, tuple)
            if not sized:
                raise CheckError(f"size() of {show(subject)}", node.offset)
            return "int"
        if name in _STRING_METHODS and receiver is not None:
            self.expect(
                receiver, {"string"}, target or node, f"the receiver of {name}()"
            )
            if len(kinds) != 1:
                raise CheckError(f"{name}() takes one argument", node.offset)
            self.expect(kinds[0], {"string"}, args[0], f"the argument of {name}()")
            return "bool"
        if name in _CONVERSIONS and target is None and len(args) == 1:
            return _CONVERSIONS[name]
        raise CheckError(f"unknown function {name}()", node.offset)

    def macro(self, node: Node, scope: Mapping[str, Type]) -> Type:
        name, args = node.value, node.children
        assert node.target is not None
        collection = self.type_of(node.target, scope)
        if (
            len(args) not in (2, 3)
            or args[0].kind != "ident"
            or (len(args) == 3 and name != "map")
        ):
            raise CheckError(
                f"{name}() takes a variable name and an expression", node.offset
            )
        if isinstance(collection, tuple):
            element = collection[1]
        elif collection == "dyn":
            element = "dyn"
        else:
            raise CheckError(
                f"{name}() needs a list or a map, not {show(collection)}", node.offset
            )
        inner = {**scope, args[0].value: element}
        kinds = [self.type_of(arg, inner) for arg in args[1:]]
        if name == "map":
            if len(args) == 3:
                self.expect(kinds[0], {"bool"}, args[1], "the filter of map()")
            return ("list", kinds[-1])
        self.expect(kinds[0], {"bool"}, args[1], f"the predicate of {name}()")
        return collection if name == "filter" else "bool"

    def expect(self, kind: Type, allowed: set[str], node: Node, what: str) -> None:
        if kind != "dyn" and kind not in allowed:
            wanted = " or ".join(sorted(allowed))
            raise CheckError(f"{what} must be {wanted}, not {show(kind)}", node.offset)

    def compatible(self, left: Type, right: Type, node: Node, what: str) -> None:
        if _dyn(left) or _dyn(right) or "null" in (left, right) or left == right:
            return
        if left in _NUMERIC and right in _NUMERIC:
            return
        if isinstance(left, tuple) and isinstance(right, tuple) and left[0] == right[0]:
            for a, b in zip(left[1:], right[1:], strict=True):
                self.compatible(a, b, node, what)
            return
        raise CheckError(
            f"type mismatch: {what} are {show(left)} and {show(right)}", node.offset
        )

    def in_domain(self, side: Node, other: Node, scope: Mapping[str, Type]) -> None:
        attribute = self.attribute_of(side, scope)
        if attribute is not None and attribute.type == "string":
            self.literal_in(attribute, other)

    def literal_in(self, attribute: Attribute, node: Node) -> None:
        if (
            attribute.values is None
            or node.kind != "lit"
            or not isinstance(node.value, str)
        ):
            return
        if node.value not in attribute.values:
            raise CheckError(
                f"{node.value!r} is not a value of {attribute.name} "
                f"({', '.join(attribute.values)})",
                node.offset,
            )


def _dyn(kind: Type) -> bool:
    return kind == "dyn"


def _common(kinds: list[Type]) -> Type:
    distinct = {k for k in kinds if k != "null"}
    if len(distinct) == 1:
        return distinct.pop()
    if distinct and distinct <= _NUMERIC and len(distinct) == 1:
        return distinct.pop()
    return "dyn"
