"""Reading one small input file safely: its text, and its YAML with node lines.

For the files beside the manifests (attestations, baselines, ABAC policy sets,
attribute schemas and requests): every way such a file can be unreadable
becomes one error that names the file, the line where known, and the fix,
instead of a traceback. Text is UTF-8 (a byte order mark is skipped) or UTF-16
with a byte order mark (what PowerShell's ``>`` writes); YAML is read with the
C safe loader when PyYAML has it, aliases may not expand without bound, and a
file must hold one document.

``error`` chooses the class raised: :class:`~ztlab.errors.LoadError` (file and
line go to its provenance) or :class:`~ztlab.errors.PolicyError` (they lead
the message).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ztlab.errors import LoadError, Provenance, ZtlabError
from ztlab.load.guards import check_expansion

__all__ = ["read_text", "read_yaml", "MAX_BYTES"]

# Attestations, baselines and policy sets are small; refuse anything huge.
MAX_BYTES = 16 * 1024 * 1024

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_UTF8_BOM = b"\xef\xbb\xbf"


def _error(
    error: type[ZtlabError],
    path: str | Path,
    message: str,
    hint: str,
    line: int | None = None,
) -> ZtlabError:
    if issubclass(error, LoadError):
        return error(message, Provenance(str(path), line=line), hint=hint)
    at = f" (line {line})" if line else ""
    return error(f"{path}{at}: {message}. Fix: {hint}")


def read_text(
    path: str | Path,
    *,
    error: type[ZtlabError] = LoadError,
    what: str = "file",
    max_bytes: int = MAX_BYTES,
) -> str:
    """The text of ``path``; ``error`` names the file when it is not text.

    ``what`` names the file in messages ("attestations file").

    >>> import tempfile, os
    >>> f = tempfile.NamedTemporaryFile(suffix=".yaml", delete=False)
    >>> _ = f.write("a: 1\\n".encode("utf-16")); f.close()
    >>> read_text(f.name)
    'a: 1\\n'
    >>> _ = open(f.name, "wb").write(b"a: \\x96\\n")
    >>> read_text(f.name)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ztlab.errors.LoadError: ... (line 1): not UTF-8 text: byte 0x96 at offset 3...
    >>> os.unlink(f.name)
    """
    try:
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise _error(
            error,
            path,
            f"cannot read the {what}: {exc.strerror or type(exc).__name__}",
            "check the path and the file's permissions",
        ) from None
    if len(data) > max_bytes:
        raise _error(
            error,
            path,
            f"the {what} is over the cap of {max_bytes} bytes",
            f"give the {what} itself, not a large or binary file",
        )
    save_as = "save it as UTF-8 text"
    if data.startswith(_UTF16_BOMS):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise _error(
                error,
                path,
                f"not valid UTF-16 text: bad bytes at offset {exc.start + 2}",
                save_as,
            ) from None
    else:
        body = data[3:] if data.startswith(_UTF8_BOM) else data
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            offset = exc.start + len(data) - len(body)
            raise _error(
                error,
                path,
                f"not UTF-8 text: byte 0x{body[exc.start]:02x} at offset {offset} "
                "(is it a binary file?)",
                save_as,
                line=body.count(b"\n", 0, exc.start) + 1,
            ) from None
    if "\x00" in text:
        halves = (data[0::2], data[1::2])
        if len(data) >= 4 and any(h.count(0) == len(h) for h in halves):
            raise _error(
                error,
                path,
                "not UTF-8 text: it looks like UTF-16 without a byte order mark",
                save_as,
            )
        raise _error(
            error,
            path,
            "not a text file: it holds NUL bytes",
            f"give the {what} itself (YAML or JSON text), {save_as}",
            line=text.count("\n", 0, text.index("\x00")) + 1,
        )
    return text


def read_yaml(
    path: str | Path,
    *,
    error: type[ZtlabError] = LoadError,
    what: str = "file",
) -> tuple[Any, yaml.Node | None]:
    """The data of a one-document YAML file and its composed node.

    An empty file (or one holding only comments) gives ``(None, None)``; the
    caller says what the file should hold. The node gives the line of each
    field (``node.start_mark.line`` is 0-based).

    >>> import tempfile, os
    >>> f = tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False)
    >>> _ = f.write("a: [1\\nb: 2\\n"); f.close()
    >>> read_yaml(f.name)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ztlab.errors.LoadError: ... (line 2): invalid YAML: did not find expected ',' \
or ']', column 2 (while parsing a flow sequence that starts at line 1). Fix: ...
    >>> os.unlink(f.name)
    """
    text = read_text(path, error=error, what=what)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        check_expansion(node, Provenance(str(path)))
        return loader.construct_document(node), node
    except LoadError as exc:
        # An alias bomb: keep the guard's words, in the caller's error class.
        raise _error(error, path, exc.message, exc.hint or "") from None
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(error, path, text, exc) from None
    except yaml.YAMLError as exc:
        raise _error(
            error,
            path,
            f"invalid YAML: {' '.join(str(exc).split())}",
            "fix the YAML syntax of the file",
        ) from None
    except RecursionError:
        raise _error(
            error,
            path,
            "the YAML nests too deeply",
            f"a {what} is never nested that deep; check the file",
        ) from None
    finally:
        loader.dispose()


def _syntax_error(
    error: type[ZtlabError], path: str | Path, text: str, exc: yaml.MarkedYAMLError
) -> ZtlabError:
    """The problem and where it is; never PyYAML's echo of the text."""
    mark = exc.problem_mark or exc.context_mark
    last = text.rstrip().count("\n") + 1
    line = None
    column = ""
    if mark is not None:
        line = min(mark.line + 1, last)
        column = (
            f", column {mark.column + 1}"
            if mark.line + 1 <= last
            else " at the end of the file"
        )
    context = ""
    if exc.context and exc.context_mark is not None:
        context = f" ({exc.context} that starts at line {exc.context_mark.line + 1})"
    if "single document" in str(exc.context):
        return _error(
            error,
            path,
            f"invalid YAML: more than one document (the next starts at line {line})",
            "keep one YAML document in the file (remove the extra ---)",
            line=line,
        )
    return _error(
        error,
        path,
        f"invalid YAML: {exc.problem or 'syntax error'}{column}{context}",
        "fix the YAML syntax at that line (indentation, quotes, colons)",
        line=line,
    )
