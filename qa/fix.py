"""``clipqa fix``: apply the fixes that findings carry, byte for byte, safely (docs/fix.md).

A finding's :class:`~qa.findings.Fix` says what its edits replace in the data model: a
span of a field's text, a whole value, a key, bytes of the file. Here each edit is
mapped onto the file's own text through the YAML node marks (start and end of each
scalar), and only those characters change: key order, quoting, comments, blank lines and
the line endings of everything else stay as they were; the YAML is never dumped again.

Where a scalar's source is its value (plain and quoted scalars on one line, literal block
scalars, the body) an edit maps exactly, escaped for the scalar's style. A quoted or plain
scalar over several lines is written again whole, in its own style, on one line; a folded
block scalar is declined. After the edits the file is parsed again: every field no fix
targeted must equal what it was, every targeted one what the fix meant; otherwise the file
is not changed and the findings say why.

Fixes are applied as ruff applies them: sorted by where they start, a fix whose edits
overlap one already taken waits for the next pass, and passes go on (the whole pipeline
run again over the new contents, held in memory) until nothing applicable is left or a
small bound is reached. Only then are the files written: each atomically (temporary file,
fsync, rename, fsync of the folder), with its mode, and only if it still holds the bytes
the fixes were made from. A file with nothing to fix is never written.
"""

from __future__ import annotations

import codecs
import copy
import datetime as dt
import math
import os
import re
import stat
from bisect import bisect_left
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from qa.atomic import atomic_open
from qa.config import Config
from qa.corpus import Discovery, ReadOptions, Record, Source, front_matter_bounds, read_bytes, record_from_bytes
from qa.findings import Edit, Finding, Target
from qa.pipeline import RunResult, run, stage_spec
from qa.textfields import field_nodes
from qa.yamlload import parse_yaml, split_field

MAX_PASSES = 8  # ruff allows 100; a clipping's fixes settle in two or three

_UNICODE_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


class Declined(Exception):
    """A fix that cannot be applied exactly; the message says why."""


# ---------------------------------------------------------------- one file


@dataclass(frozen=True, slots=True, order=True)
class Splice:
    """``content`` in place of characters [start, end) of the file's text (decoded, without
    a byte-order mark, its line endings as they are)."""

    start: int
    end: int
    content: str


@dataclass(slots=True)
class _Planned:
    """One finding's fix, mapped onto the file (or several findings' fixes of one scalar that is
    written again whole: they are applied together)."""

    findings: list[Finding]
    splices: list[Splice]
    drop_bom: bool = False
    text_edits: list[tuple[str, int, int, str]] = field(default_factory=list)  # (field, start, end, content)
    values: list[tuple[str, str]] = field(default_factory=list)  # (field, YAML text of its new value)
    renames: list[tuple[str, str]] = field(default_factory=list)  # (field, new key)
    rewrite: str | None = None  # the field of a scalar written again whole (its splice is made later)


@dataclass(slots=True)
class FilePlan:
    """What the fixes of one file come to."""

    path: str
    before: bytes
    after: bytes  # ``before`` when nothing was applied
    applied: list[Finding] = field(default_factory=list)
    declined: list[tuple[Finding, str]] = field(default_factory=list)  # with the reason
    deferred: list[Finding] = field(default_factory=list)  # overlapped a fix taken: the next pass


class _File:
    """A file's text and structure, to map edits onto."""

    def __init__(self, path: str, raw: bytes, options: ReadOptions) -> None:
        if raw.startswith(_UNICODE_BOMS):
            raise Declined("the file is UTF-16 or UTF-32 (E103): re-encode it as UTF-8 first")
        self.raw = raw
        self.bom = raw.startswith(codecs.BOM_UTF8)
        self.skip = len(codecs.BOM_UTF8) if self.bom else 0
        try:
            self.text = raw[self.skip :].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Declined(
                f"the file is not valid UTF-8 (E101 at byte {exc.start + self.skip}); repair it first"
            ) from exc
        if "\x00" in self.text:
            raise Declined("the file holds NUL bytes (P121)")
        self.rec: Record = record_from_bytes(Source(path, path), raw, options)
        self.options = options
        # the body's place is certain without front matter, or with fences that close it
        bounds = front_matter_bounds(self.rec.text) if self.rec.has_front_matter else None
        self.body_known = not self.rec.has_front_matter or bounds is not None
        usable = bounds is not None and self.rec.data is not None
        self.fm_start = bounds[0] if usable and bounds is not None else None
        self.node = self.rec.node if usable else None
        # offsets in the record's text (line endings made LF) of the line feeds whose CR was dropped
        self.crlf_at: list[int] = []
        for i, m in enumerate(re.finditer("\r\n", self.text)):
            self.crlf_at.append(m.start() - i)
        lf = self.text.count("\n")
        crlf = len(self.crlf_at)
        bare_cr = self.text.count("\r") - crlf
        self.newline = "\r\n" if crlf and crlf == lf and not bare_cr else "\r" if bare_cr and not lf else "\n"

    def orig(self, offset: int) -> int:
        """An offset in the record's text as an offset in the file's text."""
        return offset + bisect_left(self.crlf_at, offset)

    def splice(self, start: int, end: int, content: str, raw_newlines: bool = True) -> Splice:
        """A splice of the record's text [start, end), in the file's text."""
        if raw_newlines and self.newline != "\n":
            content = content.replace("\n", self.newline)
        return Splice(self.orig(start), self.orig(end), content)


def _plan(f: _File, finding: Finding) -> _Planned:
    fix = finding.fix
    assert fix is not None
    planned = _Planned([finding], [])
    byte_edits = [e for e in fix.edits if e.target is Target.BYTES]
    if byte_edits:
        _plan_bytes(f, byte_edits, planned)
    for e in fix.edits:
        if e.target is Target.BYTES:
            continue
        if e.field is None:
            raise Declined(f"a {e.target.value} edit names no field")
        if e.field == "body":
            _plan_body(f, e, planned)
        else:
            _plan_field(f, e, planned)
    return planned


def _plan_bytes(f: _File, edits: Sequence[Edit], planned: _Planned) -> None:
    """Byte edits as splices of the text: each must fall on character boundaries."""
    position, chars = f.skip, 0  # walked forward from edit to edit: linear in the file
    for e in sorted(edits, key=lambda e: (e.start or 0, e.end or 0)):
        start, end = e.start or 0, e.end or 0
        if end > len(f.raw):
            raise Declined(f"bytes {start}-{end} are past the end of the file")
        if start < f.skip:
            if f.bom and (start, end, e.content) == (0, f.skip, ""):
                planned.drop_bom = True
                continue
            raise Declined("an edit of part of the byte-order mark")
        try:
            chars += len(f.raw[position:start].decode("utf-8"))
            width = len(f.raw[start:end].decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise Declined(f"bytes {start}-{end} do not fall on character boundaries") from exc
        position = end
        planned.splices.append(Splice(chars, chars + width, e.content))
        chars += width


def _plan_body(f: _File, e: Edit, planned: _Planned) -> None:
    if e.target is not Target.TEXT or e.start is None or e.end is None:
        raise Declined(f"a {e.target.value} edit of the body")
    body = f.rec.body
    if not f.body_known:
        raise Declined("the front matter is never closed (P103): where the body starts is not certain")
    if not e.start <= e.end <= len(body):
        raise Declined("the span is past the end of the body (it changed since it was checked)")
    base = f.rec.body_offset
    planned.splices.append(f.splice(base + e.start, base + e.end, e.content))
    planned.text_edits.append(("body", e.start, e.end, e.content))


def _plan_field(f: _File, e: Edit, planned: _Planned) -> None:
    if f.node is None or f.fm_start is None:
        raise Declined("the file has no readable front matter")
    nodes = field_nodes(f.node, e.field or "")
    if nodes is None:
        raise Declined(f"no field {e.field} in the front matter (it changed since it was checked)")
    key, value = nodes
    field_path = e.field or ""
    if e.target is Target.KEY:
        if key is None or not isinstance(key, yaml.ScalarNode):
            raise Declined(f"{field_path} has no key to rename")
        planned.splices.append(_rename(f, key, e.content))
        planned.renames.append((field_path, e.content))
        return
    if not isinstance(value, yaml.ScalarNode):
        raise Declined(f"{field_path} is not a single value")
    if e.target is Target.VALUE:
        if value.style in ("|", ">"):
            raise Declined(f"{field_path} is a block scalar: write its new value by hand")
        if "\n" in e.content or "\r" in e.content:
            raise Declined("the new value spans lines")
        start, end = _node_range(f, value)
        planned.splices.append(f.splice(start, end, e.content))
        planned.values.append((field_path, e.content))
        return
    assert e.start is not None and e.end is not None
    if len(value.value) > f.options.yaml_limits.max_scalar_chars:
        raise Declined(f"{field_path} is longer than the field length limit (P124)")
    if not e.start <= e.end <= len(value.value):
        raise Declined(f"the span is past the end of {field_path} (it changed since it was checked)")
    planned.text_edits.append((field_path, e.start, e.end, e.content))
    if _rewritten_whole(f, value, field_path):
        fix = planned.findings[0].fix
        if fix is not None and len(fix.edits) != 1:
            raise Declined(f"{field_path} is written again whole: a fix of several edits cannot share it")
        planned.rewrite = field_path  # with the other fixes of this scalar: see _rewrites
        return
    planned.splices.extend(_text_splices(f, value, field_path, [(e.start, e.end, e.content)]))


def _node_range(f: _File, node: yaml.Node) -> tuple[int, int]:
    assert f.fm_start is not None
    return f.fm_start + node.start_mark.index, f.fm_start + node.end_mark.index


def _rename(f: _File, key: yaml.ScalarNode, new: str) -> Splice:
    if key.start_mark.line != key.end_mark.line or "\n" in new:
        raise Declined("the key spans lines")
    start, end = _node_range(f, key)
    if key.style == "'":
        written = "'" + new.replace("'", "''") + "'"
    elif key.style == '"':
        written = '"' + _double_quoted(new) + '"'
    else:
        written = new
    return f.splice(start, end, written)


# ---------------------------------------------------------------- scalars


def _rewritten_whole(f: _File, node: yaml.ScalarNode, name: str) -> bool:
    """Whether a text edit of this scalar writes it again whole: a quoted or plain scalar over
    several lines (a folded block scalar is declined)."""
    if node.style == ">":
        raise Declined(f"{name} is a folded block scalar (>): its lines cannot be edited exactly; fix it by hand")
    start, end = _node_range(f, node)
    return node.style != "|" and "\n" in f.rec.text[start:end]


def _rewrites(f: _File, planned: list[_Planned]) -> tuple[list[_Planned], list[Finding]]:
    """The fixes of each scalar written again whole, joined into one (edits that overlap an
    earlier one wait for the next pass); the others as they are."""
    out = [p for p in planned if p.rewrite is None]
    later: list[Finding] = []
    groups: dict[str, list[_Planned]] = {}
    for p in planned:
        if p.rewrite is not None:
            groups.setdefault(p.rewrite, []).append(p)
    for name, members in groups.items():
        members.sort(key=lambda p: (p.text_edits[0][1], p.text_edits[0][2]))
        taken: list[_Planned] = []
        edits: list[tuple[int, int, str]] = []
        for p in members:
            _, a, b, content = p.text_edits[0]
            if (a, b, content) in edits:
                taken.append(p)  # the same edit as another finding's
            elif any((a < y and x < b) or a == b == x == y for x, y, _c in edits):
                later.extend(p.findings)
            else:
                taken.append(p)
                edits.append((a, b, content))
        nodes = field_nodes(f.node, name)
        assert nodes is not None and isinstance(nodes[1], yaml.ScalarNode)
        start, end = _node_range(f, nodes[1])
        joined = _Planned([x for p in taken for x in p.findings], [_rewritten(f, nodes[1], start, end, edits, name)])
        joined.text_edits = [(name, a, b, c) for a, b, c in edits]
        out.append(joined)
    return out, later


def _text_splices(f: _File, node: yaml.ScalarNode, name: str, edits: list[tuple[int, int, str]]) -> list[Splice]:
    """Edits of a scalar's text (value offsets) on one line or in a literal block, as splices of
    the file, in the scalar's style."""
    start, end = _node_range(f, node)
    source = f.rec.text[start:end]
    style = node.style or ""
    if style == "|":
        return _literal_splices(f, node, start, end, edits)
    if style == "":
        if source != node.value:
            raise Declined(f"{name}: the plain scalar's text is not its value")
        offsets = list(range(len(source) + 1))
        escape: Callable[[str], str] = _plain_content
        inner = start
    elif style == "'":
        offsets = _single_quoted_offsets(source[1:-1], node.value)
        escape = _single_quoted_content
        inner = start + 1
    elif style == '"':
        offsets = _double_quoted_offsets(source[1:-1], node.value)
        escape = _double_quoted
        inner = start + 1
    else:  # pragma: no cover - PyYAML knows no other style
        raise Declined(f"{name}: an unknown scalar style {style!r}")
    return [
        f.splice(inner + offsets[a], inner + offsets[b], escape(content), raw_newlines=False) for a, b, content in edits
    ]


def _plain_content(content: str) -> str:
    if "\n" in content or "\r" in content:
        raise Declined("a line break cannot be written into a plain scalar on one line")
    return content


def _single_quoted_content(content: str) -> str:
    if "\n" in content or "\r" in content:
        raise Declined("a line break cannot be written into a single-quoted scalar on one line")
    return content.replace("'", "''")


def _single_quoted_offsets(source: str, value: str) -> list[int]:
    """Offset in ``source`` (between the quotes) of each character of ``value``, and of its end."""
    offsets: list[int] = []
    chars: list[str] = []
    i = 0
    while i < len(source):
        offsets.append(i)
        if source.startswith("''", i):
            chars.append("'")
            i += 2
        else:
            chars.append(source[i])
            i += 1
    offsets.append(len(source))
    if "".join(chars) != value:
        raise Declined("the single-quoted scalar's text is not its value")
    return offsets


_DQ_NAMED = {
    "0": "\x00",
    "a": "\x07",
    "b": "\x08",
    "t": "\t",
    "\t": "\t",
    "n": "\n",
    "v": "\x0b",
    "f": "\x0c",
    "r": "\r",
    "e": "\x1b",
    " ": " ",
    '"': '"',
    "/": "/",
    "\\": "\\",
    "N": "\x85",
    "_": "\xa0",
    "L": "\u2028",
    "P": "\u2029",
}
_DQ_HEX = {"x": 2, "u": 4, "U": 8}


def _double_quoted_offsets(source: str, value: str) -> list[int]:
    """Offset in ``source`` (between the quotes) of each character of ``value``, and of its end:
    an escape sequence is one character of the value."""
    offsets: list[int] = []
    chars: list[str] = []
    i = 0
    while i < len(source):
        offsets.append(i)
        if source[i] != "\\":
            chars.append(source[i])
            i += 1
            continue
        kind = source[i + 1 : i + 2]
        if kind in _DQ_HEX:
            digits = source[i + 2 : i + 2 + _DQ_HEX[kind]]
            if len(digits) != _DQ_HEX[kind] or not all(c in "0123456789abcdefABCDEF" for c in digits):
                raise Declined("a double-quoted scalar with an escape clipqa does not read")
            chars.append(chr(int(digits, 16)) if int(digits, 16) <= 0x10FFFF else "")
            i += 2 + len(digits)
        elif kind in _DQ_NAMED:
            chars.append(_DQ_NAMED[kind])
            i += 2
        else:
            raise Declined("a double-quoted scalar with an escape clipqa does not read")
    offsets.append(len(source))
    if "".join(chars) != value or len(chars) != len(value):
        raise Declined("the double-quoted scalar's text is not its value")
    return offsets


_DQ_WRITE = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "\x00": "\\0", "\x1b": "\\e"}
# What libyaml reads as it is inside double quotes: the YAML printable characters, less the
# YAML 1.1 line breaks (NEL, LS, PS) and the byte-order mark, which are written escaped.
_DQ_PRINTABLE = re.compile("[\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")


def _double_quoted(content: str) -> str:
    """``content`` written for the inside of a double-quoted scalar."""
    out: list[str] = []
    for ch in content:
        named = _DQ_WRITE.get(ch)
        if named is not None:
            out.append(named)
        elif _DQ_PRINTABLE.match(ch):
            out.append(ch)
        elif "\ud800" <= ch <= "\udfff":
            raise Declined("a lone surrogate cannot be written")
        elif ord(ch) <= 0xFF:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) <= 0xFFFF:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return "".join(out)


def _literal_splices(
    f: _File, node: yaml.ScalarNode, start: int, end: int, edits: list[tuple[int, int, str]]
) -> list[Splice]:
    """Edits of a literal block scalar (``|``): each line of the value is a line of the source
    after the block's indentation."""
    text = f.rec.text
    header_end = text.find("\n", start)
    if header_end < 0 or header_end >= end:
        raise Declined("an empty literal block scalar")
    header = text[start:header_end].split("#", 1)[0].strip()
    if any(c.isdigit() for c in header):
        raise Declined("a literal block scalar with an indentation indicator: fix it by hand")
    value = node.value
    lines = value.split("\n")
    if value.endswith("\n"):
        lines.pop()
    starts: list[int] = []
    sources: list[str] = []
    pos = header_end + 1
    for _ in lines:
        line_end = text.find("\n", pos)
        line_end = len(text) if line_end < 0 else line_end
        starts.append(pos)
        sources.append(text[pos:line_end])
        pos = line_end + 1
    filled = [s for s in sources if s.strip(" ")]
    if not filled:
        raise Declined("a literal block scalar of blank lines")
    indent = len(filled[0]) - len(filled[0].lstrip(" "))
    for line, src in zip(lines, sources, strict=True):
        blank = not line and not src.strip(" ") and len(src) <= indent
        if not blank and (src[:indent] != " " * indent or src[indent:] != line):
            raise Declined("the literal block scalar's lines are not its value")
    pad = " " * indent

    def place(offset: int) -> tuple[int, int]:
        """(source offset, spaces missing before it: a short blank line) of a value offset."""
        row = value.count("\n", 0, offset)
        col = offset - (value.rfind("\n", 0, offset) + 1)
        if row >= len(lines):
            raise Declined("an edit of the literal block scalar's final line breaks")
        if len(sources[row]) < indent:
            return starts[row] + len(sources[row]), indent - len(sources[row])
        return starts[row] + indent + col, 0

    out = []
    for a, b, content in edits:
        where, missing = place(a)
        to, _ = place(b)
        if "\r" in content:
            raise Declined("a carriage return in a block scalar")
        written = content.replace("\n", "\n" + pad)
        if missing and content and not content.startswith("\n"):
            written = " " * missing + written
        out.append(f.splice(where, to, written))
    return out


def _rewritten(
    f: _File, node: yaml.ScalarNode, start: int, end: int, edits: list[tuple[int, int, str]], name: str
) -> Splice:
    """A quoted or plain scalar over several lines, written again whole in its own style, on one line."""
    new = _apply_text(node.value, edits)
    style = node.style or ""
    if style == '"':
        written = '"' + _double_quoted(new) + '"'
    elif "\n" in new or "\r" in new:
        raise Declined(f"{name}: the new text has a line break, which this {style or 'plain'} scalar cannot hold")
    elif style == "'":
        written = "'" + new.replace("'", "''") + "'"
    else:
        written = new
    return f.splice(start, end, written, raw_newlines=False)


def _apply_text(text: str, edits: Iterable[tuple[int, int, str]]) -> str:
    """``text`` with non-overlapping (start, end, content) edits applied."""
    for a, b, content in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        text = text[:a] + content + text[b:]
    return text


# ---------------------------------------------------------------- choosing and checking


def _conflict(taken: Sequence[Splice], splice: Splice) -> bool:
    """Whether ``splice`` overlaps one already taken (the same splice twice is no conflict)."""
    for other in taken:
        if other == splice:
            continue
        if splice.start < other.end and other.start < splice.end:
            return True
        if splice.start == splice.end == other.start == other.end:
            return True  # two insertions at one place: no order between them is right
        if other.start == other.end and splice.start < other.start < splice.end:
            return True
        if splice.start == splice.end and other.start < splice.start < other.end:
            return True
    return False


def _choose(planned: Sequence[_Planned]) -> tuple[list[_Planned], list[_Planned]]:
    """The fixes to apply now (in order of where they start, none overlapping another), and the
    ones that overlap them (for the next pass)."""
    taken: list[_Planned] = []
    splices: list[Splice] = []
    later: list[_Planned] = []
    drop_bom = False
    order = sorted(planned, key=lambda p: (min((s.start for s in p.splices), default=-1), p.findings[0].sort_key()))
    for p in order:
        if p.drop_bom and drop_bom and not p.splices:
            taken.append(p)  # a second finding of the same byte-order mark
            continue
        if any(_conflict(splices, s) for s in p.splices):
            later.append(p)
            continue
        taken.append(p)
        splices.extend(s for s in p.splices if s not in splices)
        drop_bom = drop_bom or p.drop_bom
    return taken, later


def _build(f: _File, chosen: Sequence[_Planned]) -> bytes:
    splices = sorted({s for p in chosen for s in p.splices}, key=lambda s: (s.start, s.end))
    pieces: list[str] = []
    pos = 0
    for s in splices:
        pieces.append(f.text[pos : s.start])
        pieces.append(s.content)
        pos = s.end
    pieces.append(f.text[pos:])
    text = "".join(pieces)
    try:
        encoded = text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise Declined("the fixed text cannot be written as UTF-8") from exc
    keep_bom = f.bom and not any(p.drop_bom for p in chosen)
    return (codecs.BOM_UTF8 if keep_bom else b"") + encoded


def _expected(f: _File, chosen: Sequence[_Planned]) -> tuple[Any, str]:
    """The front matter and the body the file must read as once ``chosen`` are applied."""
    data = copy.deepcopy(f.rec.data)
    body = f.rec.body
    texts: dict[str, list[tuple[int, int, str]]] = {}
    for p in chosen:
        for name, a, b, content in p.text_edits:
            edits = texts.setdefault(name, [])
            if (a, b, content) not in edits:
                edits.append((a, b, content))
    for name, edits in texts.items():
        if name == "body":
            body = _apply_text(body, edits)
            continue
        nodes = field_nodes(f.node, name)
        assert nodes is not None and isinstance(nodes[1], yaml.ScalarNode)
        new = _apply_text(nodes[1].value, edits)
        old = _get(data, name)
        _set(data, name, new if isinstance(old, str) else _yaml_value(new))
    for p in chosen:
        for name, written in p.values:
            _set(data, name, _yaml_value(written))
    for p in chosen:
        for name, key in p.renames:
            _rename_in(data, name, key)
    return data, body


def _yaml_value(text: str) -> Any:
    """What the loader makes of ``text`` written as a plain value."""
    parsed = parse_yaml(f"v: {text}\n", fast=False)
    if not parsed.ok or parsed.issues or not isinstance(parsed.data, dict):
        raise Declined(f"{text!r} is not a plain YAML value")
    return parsed.data["v"]


def _parent(data: Any, name: str) -> tuple[Any, str | int]:
    parts = split_field(name)
    if not parts:
        raise Declined("an empty field path")
    current = data
    for part in parts[:-1]:
        try:
            current = current[part]
        except (KeyError, IndexError, TypeError) as exc:
            raise Declined(f"no field {name}") from exc
    return current, parts[-1]


def _get(data: Any, name: str) -> Any:
    parent, last = _parent(data, name)
    try:
        return parent[last]
    except (KeyError, IndexError, TypeError) as exc:
        raise Declined(f"no field {name}") from exc


def _set(data: Any, name: str, value: Any) -> None:
    parent, last = _parent(data, name)
    try:
        parent[last] = value
    except (IndexError, TypeError) as exc:
        raise Declined(f"no field {name}") from exc


def _rename_in(data: Any, name: str, key: str) -> None:
    parent, last = _parent(data, name)
    if not isinstance(parent, dict) or last not in parent:
        raise Declined(f"no key {name}")
    items = [(key if k == last else k, v) for k, v in parent.items()]
    parent.clear()
    parent.update(items)


def same(a: Any, b: Any) -> bool:
    """Equal, and of the same types all the way down, in the same key order (``1 == True``,
    ``1 == 1.0`` and a naive and an aware date-time are not the same value here)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return len(a) == len(b) and all(
            ka == kb and type(ka) is type(kb) and same(va, vb)
            for (ka, va), (kb, vb) in zip(a.items(), b.items(), strict=True)
        )
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, dt.datetime):
        return bool(a == b and a.utcoffset() == b.utcoffset())
    return bool(a == b)


def _verify(f: _File, new: bytes, chosen: Sequence[_Planned]) -> str | None:
    """Why the new bytes are not what ``chosen`` meant (None: they are)."""
    try:
        data, body = _expected(f, chosen)
    except Declined as exc:
        return str(exc)
    after = record_from_bytes(Source(f.rec.path, f.rec.path), new, f.options)
    if after.has_front_matter != f.rec.has_front_matter or (after.data is None) != (f.rec.data is None):
        return "the file's front matter would no longer read the same"
    before_issues = {x.rule for x in f.rec.findings if x.rule.startswith("P")}
    new_issues = {x.rule for x in after.findings if x.rule.startswith("P")} - before_issues
    if new_issues:
        return f"the edit would raise {', '.join(sorted(new_issues))}"
    if after.body != body:
        return "the body would not read as the fix meant"
    if not same(after.data, data):
        return "a field would not read as the fix meant (or one it did not target would change)"
    return None


def plan_file(path: str, raw: bytes, findings: Sequence[Finding], options: ReadOptions) -> FilePlan:
    """The new bytes of a file once the given findings' fixes are applied (as many as can be
    at once), checked by parsing the result again."""
    plan = FilePlan(path, raw, raw)
    try:
        f = _File(path, raw, options)
    except Declined as exc:
        plan.declined = [(x, str(exc)) for x in findings]
        return plan
    planned: list[_Planned] = []
    for finding in findings:
        try:
            planned.append(_plan(f, finding))
        except Declined as exc:
            plan.declined.append((finding, str(exc)))
    try:
        planned, waiting = _rewrites(f, planned)
    except Declined as exc:
        plan.declined.extend((x, str(exc)) for p in planned for x in p.findings)
        return plan
    chosen, later = _choose(planned)
    plan.deferred = waiting + [x for p in later for x in p.findings]
    if not chosen:
        return plan
    try:
        new = _build(f, chosen)
        problem = _verify(f, new, chosen)
    except Declined as exc:
        problem = str(exc)
    if problem is not None and len(chosen) > 1:
        # Which of them is it? Each alone; then the ones that pass alone, together.
        good = []
        for p in chosen:
            try:
                alone = _verify(f, _build(f, [p]), [p])
            except Declined as exc:
                alone = str(exc)
            if alone is None:
                good.append(p)
            else:
                plan.declined.extend((x, alone) for x in p.findings)
        chosen = good
        try:
            new = _build(f, chosen) if chosen else raw
            problem = _verify(f, new, chosen) if chosen else None
        except Declined as exc:
            problem = str(exc)
    if problem is not None:
        plan.declined.extend((x, problem) for p in chosen for x in p.findings)
        return plan
    plan.after = new
    plan.applied = [x for p in chosen for x in p.findings]
    return plan


# ---------------------------------------------------------------- a corpus


@dataclass(slots=True)
class FileChange:
    path: str  # as reports name it
    location: str  # the file written (its real path)
    before: bytes
    after: bytes
    fixed: list[Finding] = field(default_factory=list)
    written: bool = False
    problem: str | None = None  # why it was not written


@dataclass(slots=True)
class FixOutcome:
    result: RunResult  # the findings left once the fixes are applied
    changes: list[FileChange]  # the files the fixes change, in path order
    declined: list[tuple[Finding, str]]  # fixes not applied, with the reason
    passes: int  # runs of the pipeline over new contents
    settled: bool  # False: fixes were still applicable when the passes ran out

    @property
    def fixed(self) -> list[Finding]:
        """The findings fixed (with ``--diff``: that would be)."""
        return [f for c in self.changes if c.problem is None for f in c.fixed]


def _inside(real: str, roots: Sequence[str]) -> bool:
    return any(real == root or real.startswith(root.rstrip(os.sep) + os.sep) for root in roots)


def _target(source: Source, roots: Sequence[str], owners: dict[str, str], in_place: bool) -> str:
    """The real path of the file a fix of ``source`` is made from: inside the given paths, a
    regular file, reached once (the first path that reaches it owns it); with ``in_place`` (the
    fixed bytes are renamed over it) one with no other hard link. Declined otherwise."""
    real = os.path.realpath(source.location)
    if not _inside(real, roots):
        raise Declined("a symbolic link leads outside the paths given; the file is not written")
    owner = owners.setdefault(real, source.path)
    if owner != source.path:
        raise Declined(f"the same file as {owner}, which is fixed under that name")
    try:
        st = os.lstat(real)
    except OSError as exc:
        raise Declined(f"cannot read: {exc.strerror or exc}") from exc
    if not stat.S_ISREG(st.st_mode):
        raise Declined("not a regular file")
    if in_place and st.st_nlink > 1:
        raise Declined("the file has other hard links, which a rename would part from it; fix it by hand")
    return real


def fix_paths(
    paths: Sequence[str],
    cfg: Config,
    found: Discovery,
    *,
    unsafe: bool = False,
    write: bool = True,
    cache_dir: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> FixOutcome:
    """Check ``paths``, apply the applicable fixes until none is left (in memory), then write
    the changed files (``write``), each atomically; the result is the run over the new contents."""
    result = run(list(paths), cfg, discovery=found, cache_dir=cache_dir, progress=progress)
    outcome = settle_fixes(paths, cfg, found, result, unsafe=unsafe, cache_dir=cache_dir, progress=progress)
    if write:
        for change in outcome.changes:
            change.problem = _write(change)
            change.written = change.problem is None
        if any(not c.written for c in outcome.changes):
            outcome.result = run(list(paths), cfg, discovery=found, cache_dir=cache_dir)  # the files as they are
    return outcome


def settle_fixes(
    paths: Sequence[str],
    cfg: Config,
    found: Discovery,
    result: RunResult,
    *,
    unsafe: bool = False,
    fixable: Collection[str] | None = None,
    in_place: bool = True,
    cache_dir: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    recheck: Callable[[Discovery], RunResult] | None = None,
) -> FixOutcome:
    """Apply the applicable fixes of ``result`` (a run over ``found``) in memory, pass after pass,
    until none is left; nothing is written. ``fixable``: the paths whose fixes are applied (the
    others are the context their checks see; default: all). ``in_place``: the caller will write
    the new bytes over the files (``clipqa fix``); else elsewhere (``clipqa import --fix``), so
    a file's other hard links do not matter. ``recheck``: how a pass checks ``found`` again
    with the new contents (default: a pipeline run over them; the import's gate passes its
    corpus-index check of the batch)."""
    read = stage_spec(cfg, paths).read
    roots = [os.path.realpath(p) for p in paths]
    by_path = {s.path: s for s in found.sources}
    owners: dict[str, str] = {}
    targets: dict[str, str] = {}
    blocked: dict[str, str] = {}  # path -> why its fixes are not applied
    before: dict[str, bytes] = {}
    current: dict[str, bytes] = {}
    fixed: dict[str, list[Finding]] = {}
    declined: list[tuple[Finding, str]] = []
    refused: set[tuple[str, str, str]] = set()  # (path, fingerprint, rule) of fixes declined once
    passes = 0
    settled = False
    while True:
        wanted: dict[str, list[Finding]] = {}
        for f in result.findings:
            if f.fix is None or not f.fix.applies(unsafe) or f.path not in by_path:
                continue
            if fixable is not None and f.path not in fixable:
                continue
            if (f.path, f.fingerprint, f.rule) in refused:
                continue
            if f.path in blocked:
                declined.append((f, blocked[f.path]))
                refused.add((f.path, f.fingerprint, f.rule))
                continue
            wanted.setdefault(f.path, []).append(f)
        if not wanted:
            settled = True
            break
        if passes >= MAX_PASSES:
            break
        changed = False
        for path, fs in wanted.items():
            source = by_path[path]
            try:
                if path not in targets:
                    targets[path] = _target(source, roots, owners, in_place)
            except Declined as exc:
                blocked[path] = str(exc)
                declined.extend((x, str(exc)) for x in fs)
                refused.update((path, x.fingerprint, x.rule) for x in fs)
                continue
            raw = current.get(path)
            if raw is None:
                raw, problem, _size = read_bytes(Source(path, targets[path]), read)
                if raw is None:
                    reason = problem.message if problem is not None else "cannot read"
                    blocked[path] = reason
                    declined.extend((x, reason) for x in fs)
                    refused.update((path, x.fingerprint, x.rule) for x in fs)
                    continue
                before[path] = raw
            plan = plan_file(path, raw, fs, read)
            for x, why in plan.declined:
                declined.append((x, why))
                refused.add((path, x.fingerprint, x.rule))
            if plan.applied and plan.after == raw:
                declined.extend((x, "the fix changes nothing in the file") for x in plan.applied)
                refused.update((path, x.fingerprint, x.rule) for x in plan.applied)
            elif plan.applied:
                current[path] = plan.after
                fixed.setdefault(path, []).extend(plan.applied)
                changed = True
        if not changed:
            settled = True  # every fix left was declined (a pass takes at least one of each file's)
            break
        passes += 1
        overlay = [Source(s.path, s.location, current.get(s.path)) for s in found.sources]
        again = Discovery(overlay, found.findings, [])
        if recheck is not None:
            result = recheck(again)
        else:
            result = run(list(paths), cfg, discovery=again, cache_dir=cache_dir, progress=progress)
    changes = [
        FileChange(path, targets[path], before[path], current[path], fixed.get(path, []))
        for path in sorted(current)
        if current[path] != before[path]
    ]
    return FixOutcome(result, changes, declined, passes, settled)


def _write(change: FileChange) -> str | None:
    """Write a changed file atomically, if it still holds the bytes its fixes were made from;
    None when written, else why not."""
    try:
        with open(change.location, "rb") as fh:
            now = fh.read(len(change.before) + 1)
    except OSError as exc:
        return f"cannot read it again: {exc.strerror or exc}"
    if now != change.before:
        return "the file changed while it was being fixed; not written (run clipqa fix again)"
    try:
        with atomic_open(change.location, "wb", encoding=None) as fh:
            fh.write(change.after)  # type: ignore[arg-type]
    except OSError as exc:
        return f"cannot write: {exc.strerror or exc}"
    return None


def unified_diff(change: FileChange, name: str) -> str:
    """A unified diff of a change that ``git apply`` (and ``patch -p1``) accepts."""
    import difflib

    a = _lf_lines(change.before.decode("utf-8"))
    b = _lf_lines(change.after.decode("utf-8"))
    out: list[str] = []
    for line in difflib.unified_diff(a, b, f"a/{name}", f"b/{name}"):
        if line.endswith("\n"):
            out.append(line)
        else:
            out.append(line + "\n\\ No newline at end of file\n")
    return "".join(out)


def _lf_lines(text: str) -> list[str]:
    """Lines split where git splits them: only at a line feed (a CR stays inside its line)."""
    lines = [line + "\n" for line in text.split("\n")]
    lines[-1] = lines[-1][:-1]
    return lines if lines[-1] else lines[:-1]
