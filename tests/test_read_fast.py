"""The quick ways of reading a file (qa/corpus.py) give what the plain ways gave."""

from __future__ import annotations

import itertools
import os
import re
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.corpus import ReadOptions, Source, _closing_fence, _read_fd, decode, read_bytes, read_record

_LINE_STARTING_FENCE = re.compile(r"^---", re.MULTILINE)


def _old_closing_fence(text: str, start: int) -> tuple[int, int] | None:
    """The closing-fence search before it used str.find (a MULTILINE regex)."""
    n = len(text)
    if start > n:
        return None
    first = [start] if text.startswith("---", start) else []
    for pos in itertools.chain(first, (m.start() for m in _LINE_STARTING_FENCE.finditer(text, start + 1))):
        end = text.find("\n", pos)
        line = text[pos:] if end < 0 else text[pos:end]
        if line.rstrip() == "---":
            return pos, (n if end < 0 else end + 1)
    return None


def _line_walk(text: str, start: int) -> tuple[int, int] | None:
    """The plainest reading: walk the lines from ``start``; the first '---' line closes."""
    if start > len(text):
        return None
    pos = start
    while True:
        end = text.find("\n", pos)
        line = text[pos:] if end < 0 else text[pos:end]
        if line.rstrip() == "---":
            return pos, (len(text) if end < 0 else end + 1)
        if end < 0:
            return None
        pos = end + 1


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet="-\n x\r", max_size=30), st.integers(0, 32))
def test_closing_fence_equals_the_regex_search_and_the_line_walk(text: str, start: int) -> None:
    assert _closing_fence(text, start) == _old_closing_fence(text, start) == _line_walk(text, start)


def test_blank_text_test_equals_strip_for_every_character() -> None:
    """read_record asks ``not text or text.isspace()`` where it asked ``not text.strip()``."""
    for c in map(chr, range(0x110000)):
        assert (not c.strip()) == c.isspace(), hex(ord(c))


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"plain",
        "héllo".encode(),
        b"\xef\xbb\xbfbom",
        b"\xef\xbb\xbf\xff",
        b"a\xffb",
        b"\xff\xfeh\x00i\x00",
        b"\xfe\xff",
    ],
)
def test_decode_fast_path_equals_the_bom_checks(raw: bytes) -> None:
    text, findings = decode("f", raw)
    if raw.startswith(b"\xef\xbb\xbf"):
        assert findings[0].rule == "E102" and text == raw[3:].decode("utf-8", "replace")
    elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        assert findings[0].rule == "E103"
    elif raw == b"a\xffb":
        assert [f.rule for f in findings] == ["E101"] and text == "a\ufffdb"
    else:
        assert findings == [] and text == raw.decode("utf-8")


@pytest.mark.parametrize("size", [0, 1, 99, 100, 101, 70_000, 200_000])
@pytest.mark.parametrize("hint", [0, 1, 100, 10**9, None])
def test_read_fd_reads_to_the_end_or_the_limit_whatever_the_size_hint(
    tmp_path: Path, size: int, hint: int | None
) -> None:
    data = bytes(range(256)) * (size // 256 + 1)
    data = data[:size]
    path = tmp_path / "f"
    path.write_bytes(data)
    for limit in (101, 150_001, 1 << 20):
        fd = os.open(path, os.O_RDONLY)
        try:
            got = _read_fd(fd, limit, size if hint is None else hint)
        finally:
            os.close(fd)
        with open(path, "rb") as fh:
            assert got == fh.read(limit)


def test_read_fd_reads_a_pipe_in_pieces() -> None:
    """A short read is not the end: reading goes on until the end (or the limit)."""
    read_end, write_end = os.pipe()
    data = os.urandom(300_000)

    def write() -> None:
        with os.fdopen(write_end, "wb") as fh:
            for i in range(0, len(data), 7_000):
                fh.write(data[i : i + 7_000])
                fh.flush()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        assert _read_fd(read_end, 250_001, 0) == data[:250_001]
    finally:
        writer.join()
        os.close(read_end)


def test_read_bytes_limit_and_record(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"---\ntitle: x\n---\n" + b"b" * 200)
    raw, problem, size = read_bytes(Source("a.txt", str(path)), ReadOptions(max_file_bytes=100))
    assert raw is None and problem is not None and problem.rule == "P123" and size == 217
    raw, problem, size = read_bytes(Source("a.txt", str(path)), ReadOptions(max_file_bytes=217))
    assert raw == path.read_bytes() and problem is None and size == 217
    rec = read_record(Source("a.txt", str(path)))
    assert rec.data == {"title": "x"} and rec.body == "b" * 200 and rec.body_line == 4
