"""ztlab.yamlio: small input files read safely, every failure a named error."""

from __future__ import annotations

from pathlib import Path

import pytest

from ztlab.errors import LoadError, PolicyError
from ztlab.yamlio import read_text, read_yaml


def write(tmp_path: Path, data: bytes, name: str = "f.yaml") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    "data",
    [
        b"a: 1\n",
        b"\xef\xbb\xbfa: 1\n",  # UTF-8 with a byte order mark
        "a: 1\n".encode("utf-16"),  # the machine's order, with a mark
        b"\xfe\xff" + "a: 1\n".encode("utf-16-be"),
        b"\xff\xfe" + "a: 1\n".encode("utf-16-le"),
    ],
)
def test_text_encodings_with_a_byte_order_mark(tmp_path: Path, data: bytes) -> None:
    assert read_text(write(tmp_path, data)) == "a: 1\n"
    assert read_yaml(write(tmp_path, data))[0] == {"a": 1}


def test_bad_utf8_names_byte_offset_and_line(tmp_path: Path) -> None:
    # After a 3-byte mark and "a: 1\n" (5 bytes) comes 0xff at offset 8, line 2.
    path = write(tmp_path, b"\xef\xbb\xbfa: 1\n\xffb: 2\n")
    with pytest.raises(LoadError) as err:
        read_text(path)
    assert str(err.value) == (
        f"{path} (line 2): not UTF-8 text: byte 0xff at offset 8 (is it a binary "
        "file?). Fix: save it as UTF-8 text"
    )


def test_truncated_utf16_and_nul_bytes(tmp_path: Path) -> None:
    # A lone high surrogate (0xd800) cannot be decoded.
    broken = write(tmp_path, b"\xff\xfea\x00\x00\xd8")
    with pytest.raises(LoadError, match="not valid UTF-16 text"):
        read_text(broken)
    with pytest.raises(LoadError, match=r"\(line 2\): not a text file: it holds NUL"):
        read_text(write(tmp_path, b"a: 1\n\x00\x01\x02\x00"))


def test_policy_error_leads_with_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, b"a: [1\nb: 2\n")
    with pytest.raises(PolicyError) as err:
        read_yaml(path, error=PolicyError)
    assert str(err.value).startswith(f"{path} (line 2): invalid YAML: ")
    assert str(err.value).endswith(
        ". Fix: fix the YAML syntax at that line (indentation, quotes, colons)"
    )


def test_one_document_per_file(tmp_path: Path) -> None:
    path = write(tmp_path, b"a: 1\n---\nb: 2\n")
    with pytest.raises(LoadError, match=r"\(line 2\): invalid YAML: more than one"):
        read_yaml(path)


def test_empty_and_comment_only_files_give_none(tmp_path: Path) -> None:
    assert read_yaml(write(tmp_path, b"")) == (None, None)
    assert read_yaml(write(tmp_path, b"# just a comment\n")) == (None, None)


def test_alias_bomb_is_refused(tmp_path: Path) -> None:
    # Ten levels of ten aliases each expand to 10**10 nodes.
    lines = ["l0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 10):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]")
    path = write(tmp_path, ("\n".join(lines) + "\n").encode())
    with pytest.raises(PolicyError, match="aliases expand to more than"):
        read_yaml(path, error=PolicyError)


def test_unreadable_and_oversized_files(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="cannot read the baseline: No such file"):
        read_text(tmp_path / "missing.json", what="baseline")
    with pytest.raises(LoadError, match="cannot read the file"):
        read_text(tmp_path)  # a directory
    with pytest.raises(LoadError, match="over the cap of 10 bytes"):
        read_text(write(tmp_path, b"a: 12345678901\n"), max_bytes=10)
