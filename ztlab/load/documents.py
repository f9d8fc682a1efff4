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
from ztlab.load.guards import MAX_EXPANDED_NODES, check_expansion, drop_secret_data
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

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Markers end at a blank, a line end or the \r of a CRLF line end (PowerShell).
_DOC_START = re.compile(r"^---(?=[ \t\r]|$)", re.MULTILINE)
_DOC_END = re.compile(r"^\.\.\.[ \t\r]*$", re.MULTILINE)
_HELM_SOURCE = re.compile(r"^# Source: (\S.*?)\s*$", re.MULTILINE)
# Bytes that are not UTF-8 survive decoding as lone surrogates (surrogateescape),
# so that each document can be judged on its own.
_BAD_BYTE = re.compile("[\udc80-\udcff]")
_SECRET_KIND = re.compile(r"^kind:[ \t]*[\"']?Secret[\"']?[ \t]*(#.*)?$", re.MULTILINE)
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
# What ztlab keeps of a Secret: enough to count and name it, never its data.


@dataclass
class Document:
    """One manifest document: its data and where it came from.

    ``node`` is the composed YAML node when the document came from YAML; it lets
    the parser point at the line of a field. Documents without anchors are
    loaded without keeping nodes (faster); their YAML ``text`` is composed again
    only when a field's line is asked for. ``line_offset`` is the file line the
    text starts at.
    """

    data: Any
    provenance: Provenance
    node: yaml.Node | None = field(default=None, repr=False)
    text: str | None = field(default=None, repr=False)
    line_offset: int = 0

    def _composed(self) -> yaml.Node | None:
        if self.node is None and self.text is not None:
            loader = _Loader(self.text)
            try:
                self.node = loader.get_single_node()
            except yaml.YAMLError:
                self.text = None
            finally:
                loader.dispose()
        return self.node

    def line_of(self, path: Iterable[str | int]) -> int | None:
        """The 1-based line of the field at ``path``, if the YAML node is known.

        For a field that is missing, the line of the deepest key that exists
        (where the field should be added).
        """
        node = self._composed()
        base = self.line_offset + 1
        line = None if node is None else node.start_mark.line + base
        key_line = line
        for step in path:
            if isinstance(node, yaml.MappingNode):
                pair = next(
                    (
                        (k, v)
                        for k, v in node.value
                        if getattr(k, "value", None) == step
                    ),
                    None,
                )
                node = None if pair is None else pair[1]
                here = None if pair is None else pair[0].start_mark.line + base
            elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
                node = node.value[step] if 0 <= step < len(node.value) else None
                here = None if node is None else node.start_mark.line + base
            else:
                node = None
            if node is None:
                return key_line
            line = node.start_mark.line + base
            key_line = here
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


def _decode(data: bytes) -> tuple[str, int]:
    """The text of the input and the length of its byte order mark.

    Bytes that are not UTF-8 are kept as lone surrogates; the reader reports
    the documents that hold them and loads the others.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # PowerShell's `>` writes UTF-16 with a byte order mark.
        return data.decode("utf-16"), 2
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="surrogateescape"), 3
    return data.decode("utf-8", errors="surrogateescape"), 0


def _not_utf8(
    text: str, start: int, end: int, where: Provenance, byte_base: int
) -> LoadError | None:
    """The error for the first byte that is not UTF-8 in ``text[start:end]``."""
    bad = _BAD_BYTE.search(text, start, end)
    if bad is None:
        return None
    offset = byte_base + len(text[: bad.start()].encode("utf-8", "surrogateescape"))
    line = text.count("\n", 0, bad.start()) + 1
    return LoadError(
        f"not UTF-8 text: byte 0x{ord(bad.group()) - 0xDC00:02x} at offset {offset}",
        where.at_line(line),
        hint="save the file as UTF-8 (manifests are UTF-8 text)",
    )


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
        text, byte_base = _decode(data)
    except UnicodeDecodeError as exc:
        report.add(
            "error",
            f"not valid UTF-16 text: bad bytes at offset {exc.start + 2}",
            Provenance(name),
            hint="save the file as UTF-8 (manifests are UTF-8 text)",
        )
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
    yield from read_text(
        text, name, report, json_first=suffix == ".json", byte_base=byte_base
    )


def read_text(
    text: str,
    name: str,
    report: LoadReport,
    *,
    json_first: bool = False,
    byte_base: int = 0,
) -> Iterator[Document]:
    """Yield the documents of one YAML stream or JSON text.

    ``byte_base`` is the length of a byte order mark the text was read after,
    so that offsets of bytes that are not UTF-8 count from the file's start.

    >>> from ztlab.model.report import LoadReport
    >>> docs = list(read_text("kind: Namespace\\n---\\nkind: Pod\\n", "x.yaml",
    ...                       LoadReport()))
    >>> [str(d.provenance) for d in docs]
    ['x.yaml, document 1 (line 1)', 'x.yaml, document 2 (line 3)']
    """
    stripped = text.lstrip()
    if json_first or (stripped[:1] in ("{", "[") and suffix_free_json(stripped)):
        whole = Provenance(name, 1, line=1)
        bad = _not_utf8(text, 0, len(text), whole, byte_base)
        if bad is not None and json_first:
            report.add_error(bad)
            report.skipped["invalid"] += 1
            return
        try:
            data = None if bad is not None else json.loads(text)
        except json.JSONDecodeError as exc:
            if json_first:
                report.add(
                    "error",
                    f"invalid JSON: {exc.msg} (column {exc.colno})",
                    Provenance(name, 1, line=exc.lineno),
                    hint="fix the JSON syntax at that line",
                )
                report.skipped["invalid"] += 1
                return
        except RecursionError:
            report.add(
                "error",
                "document nests too deeply",
                whole,
                hint="manifests are never nested that deep; check the input",
            )
            report.skipped["invalid"] += 1
            return
        else:
            if bad is None:
                report.documents += 1
                yield Document(drop_secret_data(data), whole)
                return
    yield from _read_yaml(text, name, report, byte_base)


def suffix_free_json(text: str) -> bool:
    """Cheap test whether text without a .json name is one JSON value."""
    return text.rstrip().endswith(("}", "]"))


def _only_directives(text: str) -> bool:
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    return bool(lines) and all(ln.startswith("%") for ln in lines)


def _chunks(text: str) -> Iterator[tuple[int, int, str]]:
    """Split a YAML stream at document markers: (start, first line, chunk text)."""
    starts = [0]
    for m in _DOC_START.finditer(text):
        if m.start() == 0:
            continue
        if _only_directives(text[starts[-1] : m.start()]):
            # `%YAML` and `%TAG` directives belong to the document after them.
            continue
        starts.append(m.start())
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        chunk = text[start:end]
        # `...` ends a document; blank it (same length) so lines and offsets hold.
        chunk = _DOC_END.sub(lambda m: " " * len(m.group()), chunk)
        yield start, text.count("\n", 0, start), chunk


def _read_yaml(
    text: str, name: str, report: LoadReport, byte_base: int = 0
) -> Iterator[Document]:
    number = 0
    for start, first_line, chunk in _chunks(text):
        body = (
            _DOC_START.sub("   ", chunk, count=1) if chunk.startswith("---") else chunk
        )
        meaningful = [
            i
            for i, ln in enumerate(body.split("\n"))
            if ln.strip() and not ln.lstrip().startswith("#")
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
        where = Provenance(
            name, number, line=first_line + meaningful[0] + 1, source=source
        )
        bad = _not_utf8(text, start, start + len(chunk), where, byte_base)
        if bad is not None:
            report.add_error(bad)
            report.skipped["invalid"] += 1
            continue
        try:
            node, data = _parse_one(chunk, where, first_line)
        except LoadError as exc:
            report.add_error(exc)
            report.skipped["invalid"] += 1
            continue
        if data is None:
            report.skipped["empty document"] += 1
            continue
        if node is not None:
            where = where.at_line(first_line + node.start_mark.line + 1)
        data = drop_secret_data(data, node)
        secret = _holds_secret(data)
        yield Document(
            data,
            where,
            node,
            # The text of a Secret is never kept, not even for line numbers.
            text=None if secret or node is not None else chunk,
            line_offset=first_line,
        )
    if number == 0 and text.strip():
        report.add(
            "warning",
            "file holds no manifests, only comments or --- markers",
            Provenance(name),
            hint="remove it or add manifests",
        )
        report.skipped["empty file"] += 1


def _holds_secret(data: Any) -> bool:
    if not isinstance(data, dict):
        return False
    if data.get("kind") in ("Secret", "SecretList"):
        return True
    items = data.get("items")
    return isinstance(items, list) and any(
        isinstance(i, dict) and i.get("kind") == "Secret" for i in items
    )


def _parse_one(
    chunk: str, where: Provenance, base: int
) -> tuple[yaml.Node | None, Any]:
    """Compose and construct one chunk; ``base`` is the line the chunk starts at."""
    loader = _Loader(chunk)
    try:
        if "&" not in chunk:
            # No anchor, so no alias and nothing to expand: skip keeping nodes.
            return None, loader.get_single_data()
        node = loader.get_single_node()
        if node is None:
            return None, None
        check_expansion(node, where)
        data = loader.construct_document(node)
        return node, data
    except yaml.MarkedYAMLError as exc:
        # Only the problem and position: a snippet could echo secret values.
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
            line_no = base + exc.context_mark.line + 1
            context = f" ({exc.context} that starts at line {line_no})"
        if _SECRET_KIND.search(chunk):
            # Aliases and tags quoted in the problem could be Secret data.
            problem = _QUOTED.sub("(value not shown)", problem)
            context = _QUOTED.sub("(value not shown)", context)
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
