"""A small CEL parser, only for type-checking conditions against the schema.

Evaluation is the job of the ``cel`` library (see :mod:`ztlab.abac.condition`);
that library does not type-check and exposes no syntax tree, so ztlab parses the
expression a second time to find every attribute reference with its position.
The grammar is CEL's (conditional, ``||``, ``&&``, relations, ``+ -``, ``* / %``,
unary ``! -``, member selection, calls, indexing, list and map literals).

Limitations: bytes literals are typed as strings; field selection on message
types and ``.``-qualified function names are not supported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Node", "CelSyntaxError", "parse"]

_STRING = (
    r"[rR]?[bB]?[rR]?"
    r"(\"{3}[\s\S]*?\"{3}|'{3}[\s\S]*?'{3}"
    r"|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*')"
)
_TOKEN = re.compile(
    r"(?P<space>\s+|//[^\n]*)"
    rf"|(?P<string>{_STRING})"
    r"|(?P<double>(?:\d+\.\d*|\.\d+)(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+)"
    r"|(?P<uint>(?:0[xX][0-9a-fA-F]+|\d+)[uU])"
    r"|(?P<int>0[xX][0-9a-fA-F]+|\d+)"
    r"|(?P<ident>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>\|\||&&|==|!=|<=|>=|[<>!+\-*/%?:.,\[\](){}])"
)

_RELATIONS = {"==", "!=", "<", "<=", ">", ">=", "in"}
_ADDITIVE = {"+", "-"}
_MULTIPLICATIVE = {"*", "/", "%"}


class CelSyntaxError(Exception):
    """An expression this parser cannot read; ``offset`` is 0-based."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


@dataclass(slots=True)
class Node:
    """One syntax node. ``kind`` is lit, ident, select, call, index, list, map,
    unary, binary or cond; ``value`` holds the literal, name, field or operator."""

    kind: str
    offset: int
    value: Any = None
    children: list[Node] = field(default_factory=list)
    target: Node | None = None  # receiver of a method call


@dataclass(slots=True)
class _Token:
    kind: str
    text: str
    offset: int


def _tokens(source: str) -> list[_Token]:
    out = []
    position = 0
    while position < len(source):
        match = _TOKEN.match(source, position)
        if match is None:
            raise CelSyntaxError(f"unexpected character {source[position]!r}", position)
        kind = match.lastgroup or ""
        if kind != "space":
            text = match.group()
            if kind == "ident" and text in ("true", "false", "null", "in"):
                kind = "op" if text == "in" else "keyword"
            out.append(_Token(kind, text, position))
        position = match.end()
    out.append(_Token("end", "", len(source)))
    return out


class _Parser:
    def __init__(self, source: str) -> None:
        self.tokens = _tokens(source)
        self.at = 0

    def peek(self) -> _Token:
        return self.tokens[self.at]

    def take(self) -> _Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def accept(self, text: str) -> bool:
        token = self.peek()
        if token.kind == "op" and token.text == text:
            self.at += 1
            return True
        return False

    def expect(self, text: str) -> _Token:
        token = self.peek()
        if token.kind != "op" or token.text != text:
            shown = token.text or "the end"
            raise CelSyntaxError(f"expected {text!r}, found {shown!r}", token.offset)
        return self.take()

    def expression(self) -> Node:
        condition = self.binary(0)
        token = self.peek()
        if self.accept("?"):
            then = self.expression()
            self.expect(":")
            otherwise = self.expression()
            return Node("cond", token.offset, "?:", [condition, then, otherwise])
        return condition

    _LEVELS: tuple[set[str], ...] = (
        {"||"},
        {"&&"},
        _RELATIONS,
        _ADDITIVE,
        _MULTIPLICATIVE,
    )

    def binary(self, level: int) -> Node:
        if level == len(self._LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while True:
            token = self.peek()
            if token.kind == "op" and token.text in self._LEVELS[level]:
                self.take()
                right = self.binary(level + 1)
                left = Node("binary", token.offset, token.text, [left, right])
            else:
                return left

    def unary(self) -> Node:
        token = self.peek()
        if token.kind == "op" and token.text in ("!", "-"):
            self.take()
            return Node("unary", token.offset, token.text, [self.unary()])
        return self.member()

    def member(self) -> Node:
        node = self.primary()
        while True:
            token = self.peek()
            if self.accept("."):
                name = self.take()
                if name.kind != "ident":
                    raise CelSyntaxError("expected a field or method name", name.offset)
                if self.accept("("):
                    node = Node(
                        "call", name.offset, name.text, self.arguments(")"), node
                    )
                else:
                    node = Node("select", name.offset, name.text, [node])
            elif self.accept("["):
                index = self.expression()
                self.expect("]")
                node = Node("index", token.offset, None, [node, index])
            else:
                return node

    def arguments(self, close: str) -> list[Node]:
        items: list[Node] = []
        if self.accept(close):
            return items
        while True:
            items.append(self.expression())
            if self.accept(close):
                return items
            self.expect(",")
            if self.accept(close):  # CEL allows a trailing comma
                return items

    def primary(self) -> Node:
        token = self.take()
        if token.kind == "keyword":
            value = {"true": True, "false": False, "null": None}[token.text]
            return Node("lit", token.offset, value)
        if token.kind in ("int", "uint", "double"):
            return Node("lit", token.offset, (token.kind, token.text))
        if token.kind == "string":
            return Node("lit", token.offset, _unquote(token.text))
        if token.kind == "ident":
            if self.accept("("):
                return Node("call", token.offset, token.text, self.arguments(")"))
            return Node("ident", token.offset, token.text)
        if token.kind == "op" and token.text == "(":
            inner = self.expression()
            self.expect(")")
            return inner
        if token.kind == "op" and token.text == "[":
            return Node("list", token.offset, None, self.arguments("]"))
        if token.kind == "op" and token.text == "{":
            return Node("map", token.offset, None, self.entries())
        if token.kind == "op" and token.text == ".":
            raise CelSyntaxError("leading '.' names are not supported", token.offset)
        shown = token.text or "the end"
        raise CelSyntaxError(f"unexpected {shown!r}", token.offset)

    def entries(self) -> list[Node]:
        items: list[Node] = []
        if self.accept("}"):
            return items
        while True:
            key = self.expression()
            self.expect(":")
            items.extend([key, self.expression()])
            if self.accept("}"):
                return items
            self.expect(",")
            if self.accept("}"):
                return items


def _unquote(text: str) -> str:
    raw = "r" in text[:3].lower()
    body = text.lstrip("rRbB")
    quote = 3 if body[:3] in ('"""', "'''") else 1
    body = body[quote:-quote]
    if raw:
        return body
    return bytes(body, "utf-8").decode("unicode_escape", errors="replace")


def parse(source: str) -> Node:
    """Parse a CEL expression into a :class:`Node` tree.

    >>> tree = parse('subject.role == "admin"')
    >>> tree.kind, tree.value, tree.children[0].value
    ('binary', '==', 'role')
    """
    parser = _Parser(source)
    node = parser.expression()
    token = parser.peek()
    if token.kind != "end":
        raise CelSyntaxError(
            f"unexpected {token.text!r} after the expression", token.offset
        )
    return node
