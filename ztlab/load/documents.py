"""Read files, directories and standard input into documents with provenance.

A document is a plain mapping plus where it came from. Reading never fails as a
whole because of one bad document: YAML streams are split at their ``---``
markers first, so a syntax error loses only the document it sits in.

Guards against hostile input: a per-file size cap, the safe YAML loader only (the
C one when PyYAML has it), and a limit on how far aliases may expand (a "billion
laughs" document is refused before anything walks it).
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ztlab.errors import LoadError, Provenance
from ztlab.model.report import LoadReport

__all__ = [
    "Document",
    "read_paths",
    "read_text",
    "MANIFEST_SUFFIXES",
    "MAX_FILE_BYTES",
    "MAX_EXPANDED_NODES",
]

log = logging.getLogger(__name__)

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_EXPANDED_NODES = 2_000_000

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DOC_START = re.compile(r"^---(?=[ \t]|$)", re.MULTILINE)
_DOC_END = re.compile(r"^\.\.\.[ \t]*$", re.MULTILINE)
_HELM_SOURCE = re.compile(r"^# Source: (\S.*?)\s*$", re.MULTILINE)


@dataclass
class Document:
    """One manifest document: its data and where it came from.

    ``node`` is the composed YAML node when the document came from YAML; it lets
    the parser point at the line of a field. It is dropped once parsed.
    """

    data: Any
    provenance: Provenance
    node: yaml.Node | None = field(default=None, repr=False)

    def line_of(self, path: Iterable[str | int]) -> int | None:
        """The 1-based line of the field at ``path``, if the YAML node is known."""
        node = self.node
        line = None if node is None else node.start_mark.line + 1
        for step in path:
            if isinstance(node, yaml.MappingNode):
                node = next(
                    (v for k, v in node.value if getattr(k, "value", None) == step),
                    None,
                )
            elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
                node = node.value[step] if 0 <= step < len(node.value) else None
            else:
                node = None
            if node is None:
                break
            line = node.start_mark.line + 1
        return line


def read_paths(
    paths: Iterable[str | Path],
    report: LoadReport,
    *,
    max_bytes: int = MAX_FILE_BYTES,
) -> Iterator[Document]:
    """Yield the documents of every path (``-`` is standard input).

    A missing path raises LoadError; problems inside files go to ``report``.
    """
    for raw in paths:
        if str(raw) == "-":
            report.files.append("<stdin>")
            data = sys.stdin.buffer.read(max_bytes + 1)
            yield from _read_bytes(data, "<stdin>", report, max_bytes, suffix="")
            continue
        path = Path(raw)
        if path.is_dir():
            files = sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and p.suffix.lower() in MANIFEST_SUFFIXES
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
            if not files:
                report.add(
                    "error",
                    "directory holds no manifests",
                    Provenance(str(path)),
                    hint="point at a directory with *.yaml, *.yml or *.json files, "
                    "or at the files themselves",
                )
            for file in files:
                yield from _read_file(file, report, max_bytes)
        elif path.is_file():
            yield from _read_file(path, report, max_bytes)
        elif path.exists():
            raise LoadError(
                "not a regular file or directory",
                Provenance(str(path)),
                hint="give a manifest file, a directory of them, or - for stdin",
            )
        else:
            raise LoadError(
                "no such file or directory",
                Provenance(str(path)),
                hint="check the path; give - to read manifests from stdin",
            )


def _read_file(path: Path, report: LoadReport, max_bytes: int) -> Iterator[Document]:
    name = str(path)
    report.files.append(name)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            report.add(
                "error",
                f"file is {size} bytes, over the cap of {max_bytes} bytes",
                Provenance(name),
                hint="split the file, or raise the cap with max_bytes=",
            )
            return
        data = path.read_bytes()
    except OSError as exc:
        report.add(
            "error",
            f"cannot read the file: {exc.strerror}",
            Provenance(name),
            hint="check the file's permissions",
        )
        return
    yield from _read_bytes(data, name, report, max_bytes, suffix=path.suffix.lower())


def _decode(data: bytes, name: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # PowerShell's `>` writes UTF-16 with a byte order mark.
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise LoadError(
            f"not UTF-8 text: byte 0x{data[exc.start]:02x} at offset {exc.start}",
            Provenance(name, line=line),
            hint="save the file as UTF-8 (manifests are UTF-8 text)",
        ) from None


def _read_bytes(
    data: bytes, name: str, report: LoadReport, max_bytes: int, *, suffix: str
) -> Iterator[Document]:
    if len(data) > max_bytes:
        report.add(
            "error",
            f"input is over the cap of {max_bytes} bytes",
            Provenance(name),
            hint="split the input into smaller files",
        )
        return
    try:
        text = _decode(data, name)
    except (LoadError, UnicodeDecodeError) as exc:
        if isinstance(exc, LoadError):
            report.add_error(exc)
        else:
            report.add("error", "not valid UTF-16 text", Provenance(name))
        return
    if not text.strip():
        report.add(
            "warning",
            "file is empty",
            Provenance(name),
            hint="remove it or add manifests",
        )
        report.skipped["empty file"] += 1
        return
    yield from read_text(text, name, report, json_first=suffix == ".json")


def read_text(
    text: str, name: str, report: LoadReport, *, json_first: bool = False
) -> Iterator[Document]:
    """Yield the documents of one YAML stream or JSON text."""
    stripped = text.lstrip()
    if json_first or (stripped[:1] in ("{", "[") and suffix_free_json(stripped)):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            if json_first:
                report.add(
                    "error",
                    f"invalid JSON: {exc.msg} (column {exc.colno})",
                    Provenance(name, 1, line=exc.lineno),
                    hint="fix the JSON syntax at that line",
                )
                return
        else:
            report.documents += 1
            yield Document(data, Provenance(name, 1, line=1))
            return
    yield from _read_yaml(text, name, report)


def suffix_free_json(text: str) -> bool:
    """Cheap test whether text without a .json name is one JSON value."""
    return text.rstrip().endswith(("}", "]"))


def _chunks(text: str) -> Iterator[tuple[int, str]]:
    """Split a YAML stream at document markers: (first line, chunk text)."""
    starts = [0] + [m.start() for m in _DOC_START.finditer(text) if m.start() != 0]
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        chunk = text[start:end]
        for m in _DOC_END.finditer(chunk):
            # `...` ends a document; what follows before the next --- is a new one.
            chunk = chunk[: m.start()] + " " * 3 + chunk[m.end() :]
        yield text.count("\n", 0, start), chunk


def _read_yaml(text: str, name: str, report: LoadReport) -> Iterator[Document]:
    number = 0
    for first_line, chunk in _chunks(text):
        body = _DOC_START.sub("   ", chunk, count=1) if chunk.startswith("---") else chunk
        meaningful = [
            ln for ln in body.splitlines() if ln.strip() and not ln.lstrip().startswith("#")
        ]
        if not meaningful:
            # Comments only, or the empty document before a leading ---.
            if chunk.startswith("---") or first_line > 0:
                report.skipped["empty document"] += 1
            continue
        number += 1
        report.documents += 1
        source_match = _HELM_SOURCE.search(chunk)
        source = source_match.group(1) if source_match else None
        where = Provenance(name, number, line=first_line + 1, source=source)
        try:
            node, data = _parse_one(chunk, where)
        except LoadError as exc:
            report.add_error(exc)
            report.skipped["invalid"] += 1
            continue
        if data is None:
            report.skipped["empty document"] += 1
            continue
        line = first_line + node.start_mark.line + 1 if node is not None else None
        where = where.at_line(line)
        yield Document(data, where, _shift(node, first_line))


def _shift(node: yaml.Node | None, lines: int) -> yaml.Node | None:
    """Make marks of a chunk's nodes count lines from the top of the file."""
    if node is None or lines == 0:
        return node
    seen: set[int] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        mark = current.start_mark
        current.start_mark = yaml.Mark(
            mark.name, mark.index, mark.line + lines, mark.column, None, None
        )
        if isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                stack.extend((key, value))
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
    return node


def _parse_one(chunk: str, where: Provenance) -> tuple[yaml.Node | None, Any]:
    loader = _Loader(chunk)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        _check_expansion(node, where)
        data = loader.construct_document(node)
        return node, data
    except yaml.MarkedYAMLError as exc:
        # Only the problem and position: a snippet could echo secret values.
        base = (where.line or 1) - 1
        mark = exc.problem_mark or exc.context_mark
        last = base + max(chunk.rstrip().count("\n"), 0) + 1
        line = min(base + mark.line + 1, last) if mark is not None else None
        column = (
            f", column {mark.column + 1}"
            if mark is not None and base + mark.line + 1 <= last
            else " at the end of the document"
        )
        problem = exc.problem or "invalid YAML"
        context = ""
        if exc.context and exc.context_mark is not None:
            context = f" ({exc.context} that starts at line {base + exc.context_mark.line + 1})"
        raise LoadError(
            f"invalid YAML: {problem}{column}{context}",
            where.at_line(line),
            hint="fix the YAML syntax at that line (indentation, quotes, colons)",
        ) from None
    except yaml.YAMLError as exc:
        raise LoadError(
            f"invalid YAML: {type(exc).__name__}",
            where,
            hint="fix the YAML syntax of this document",
        ) from None
    except RecursionError:
        raise LoadError(
            "document nests too deeply",
            where,
            hint="manifests are never nested that deep; check the input",
        ) from None
    finally:
        loader.dispose()


def _check_expansion(root: yaml.Node, where: Provenance) -> None:
    """Refuse documents whose aliases expand past MAX_EXPANDED_NODES."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    order: list[tuple[yaml.Node, bool]] = [(root, False)]
    while order:
        node, done = order.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            children = _children(node)
            total = 1 + sum(sizes[id(c)] for c in children)
            sizes[key] = total
            if total > MAX_EXPANDED_NODES:
                raise LoadError(
                    f"aliases expand to more than {MAX_EXPANDED_NODES} nodes",
                    where,
                    hint="this looks like an alias bomb; remove the anchors (&) "
                    "and aliases (*) or expand them by hand",
                )
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise LoadError(
                "an alias refers to a node that contains it",
                where,
                hint="remove the recursive anchor (&) and alias (*)",
            )
        on_path.add(key)
        order.append((node, True))
        for child in _children(node):
            if id(child) not in sizes:
                if id(child) in on_path:
                    raise LoadError(
                        "an alias refers to a node that contains it",
                        where,
                        hint="remove the recursive anchor (&) and alias (*)",
                    )
                order.append((child, False))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []
