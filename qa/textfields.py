"""The text fields of a record, for the text checks (encoding, language, boilerplate).

:func:`text_fields` yields one :class:`TextField` per string field a person wrote
or a scraper filled in: ``title``, ``excerpt``, ``provider.name``, ``topics[i]``,
``related[i].title``, ``related[i].excerpt``, ``related[i].provider.name`` and the
body (field ``"body"``). Offsets in findings are character offsets within the
field's value; :meth:`TextField.position` turns one into a file line and column.

:func:`record_fields` gives the same fields as plain ``(field, kind, text)`` tuples,
computed once per record and shared by the three checks, which make a
:class:`TextField` only for a field that may hold a finding.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Generic, TypeVar

import yaml

from qa.corpus import Record
from qa.yamlload import split_field

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class TextField:
    record: Record
    field: str  # "title", "related[0].excerpt", "body", ...
    text: str

    @property
    def is_body(self) -> bool:
        return self.field == "body"

    def position(self, offset: int) -> tuple[int | None, int | None]:
        """1-based file line and column of a character offset within this field's value."""
        if self.is_body:
            return self.record.body_position(offset)
        return value_position(self.record, self.field, self.text, offset)


@lru_cache(maxsize=64)
def cp1252(text: str) -> bytes | None:
    """The text encoded in Windows-1252, or None when it cannot be (see :func:`is_plain`). One C
    call; cached, as the checks ask about the fields of one record after another (a few records'
    worth: the encoded bodies are kept too). Each character of such text is one byte, so a bytes
    ``translate`` can tell in one pass whether it holds any of a set of them."""
    try:
        return text.encode("cp1252")
    except UnicodeEncodeError:
        return None


def is_plain(text: str) -> bool:
    """The text is encodable in Windows-1252: ASCII, Western European letters, curly quotes, dashes,
    bullets, NBSP, the euro sign. Such text holds no other script, no emoji, no private-use or
    replacement characters, no surrogates and no C1 controls, so most text checks stop here."""
    return cp1252(text) is not None


def cp1252_bytes_not_in(chars: re.Pattern[str]) -> bytes:
    """The bytes whose Windows-1252 character ``chars`` does not match (and the five bytes that
    character set leaves undefined): deleting them from an encoded text leaves what it matches."""
    out = bytearray()
    for b in range(256):
        c = bytes([b]).decode("cp1252", errors="ignore")
        if not c or not chars.match(c):
            out.append(b)
    return bytes(out)


# (field, kind, text): ``kind`` is the field with its list indexes as "[]" ("related[].title").
Field = tuple[str, str, str]

_NAMES = 64  # field names of the first list items are made once (their hashes are then cached too)
_TOPICS = tuple(f"topics[{i}]" for i in range(_NAMES))
_RELATED_SUFFIXES = ("title", "excerpt", "provider.name")  # the order _collect takes them in
_RELATED = tuple(tuple(f"related[{i}].{name}" for name in _RELATED_SUFFIXES) for i in range(_NAMES))


def record_fields(rec: Record) -> tuple[Field, ...]:
    """``(field, kind, text)`` of every non-empty string-valued text field of ``rec``, in the
    order of :func:`text_fields` (the body last). Computed once per record and kept in
    ``rec.derived`` for the other text checks (each runs over a whole chunk of records in turn);
    computed again if the record's ``data`` or ``body`` was replaced meanwhile."""
    data = rec.data
    body = rec.body
    kept = rec.derived.get("text_fields")
    if kept is not None and kept[0] is data and kept[1] is body:
        fields: tuple[Field, ...] = kept[2]
        return fields
    fields = _collect(data, body)
    rec.derived["text_fields"] = (data, body, fields)
    return fields


def _collect(data: object, body: str) -> tuple[Field, ...]:
    out: list[Field] = []
    if isinstance(data, dict):
        value = data.get("title")
        if isinstance(value, str) and value:
            out.append(("title", "title", value))
        value = data.get("excerpt")
        if isinstance(value, str) and value:
            out.append(("excerpt", "excerpt", value))
        value = data.get("provider")
        if isinstance(value, dict):
            value = value.get("name")
            if isinstance(value, str) and value:
                out.append(("provider.name", "provider.name", value))
        topics = data.get("topics")
        if isinstance(topics, list):
            for i, topic in enumerate(topics):
                if isinstance(topic, str) and topic:
                    out.append((_TOPICS[i] if i < _NAMES else f"topics[{i}]", "topics[]", topic))
        related = data.get("related")
        if isinstance(related, list):
            for i, item in enumerate(related):
                if not isinstance(item, dict):
                    continue
                names = _RELATED[i] if i < _NAMES else tuple(f"related[{i}].{k}" for k in _RELATED_SUFFIXES)
                value = item.get("title")
                if isinstance(value, str) and value:
                    out.append((names[0], "related[].title", value))
                value = item.get("excerpt")
                if isinstance(value, str) and value:
                    out.append((names[1], "related[].excerpt", value))
                value = item.get("provider")
                if isinstance(value, dict):
                    value = value.get("name")
                    if isinstance(value, str) and value:
                        out.append((names[2], "related[].provider.name", value))
    if body:
        out.append(("body", "body", body))
    return tuple(out)


class ShortTextMemo(Generic[T]):
    """Results of a check's pure function of one short field's text, for one settings object.

    Titles, excerpts, provider names and topics repeat across clippings (a related item is
    another clipping; a chunk of 5,000 generated clippings holds each title and excerpt about
    twice), so a check asks about each such text once. Bodies are not kept (they do not
    repeat), nor texts longer than ``max_chars``; when ``limit`` texts are kept, it starts over.
    """

    def __init__(self, max_chars: int = 1000, limit: int = 8192) -> None:
        self.max_chars = max_chars
        self.limit = limit
        self.owner: object = None
        self.results: dict[str, T] = {}

    def table(self, owner: object) -> dict[str, T]:
        """The results for ``owner`` (the settings they were computed with)."""
        if owner is not self.owner or len(self.results) >= self.limit:
            self.results = {}
            self.owner = owner
        return self.results


def removal(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The range to delete so that ``text[start:end]`` goes cleanly, or None when nothing but
    white space would be left (a field is not emptied by a fix).

    A span that is all of its line takes the line with it, and a blank line too where one
    stands on each side (paragraphs stay one blank line apart); a span inside a line takes one
    space beside it, so that no double space is left.
    """
    line_start = text.rfind("\n", 0, start) + 1
    newline = text.find("\n", end)
    line_end = len(text) if newline < 0 else newline
    if not text[line_start:start].strip() and not text[end:line_end].strip():
        a, b = line_start, line_end + (newline >= 0)
        before_blank = a == 0 or text.endswith("\n\n", 0, a)
        if text.startswith("\n", b) and before_blank:
            b += 1  # the blank line after it
        elif b == len(text) and newline < 0:
            while a > 0 and text[a - 1] == "\n":
                a -= 1  # the last line, with no line break of its own: the line breaks before it
        elif b == len(text) and a > 0 and text.endswith("\n\n", 0, a):
            a -= 1  # the last line: and the blank line before it
    else:
        a, b = start, end
        if text.startswith(" ", b) and (a == 0 or text[a - 1] in " \n"):
            b += 1
        elif a > 0 and text[a - 1] == " ":
            a -= 1
    if not (text[:a] + text[b:]).strip():
        return None
    return a, b


def text_fields(rec: Record) -> Iterator[TextField]:
    """Every string-valued text field of ``rec``, the body last (if not empty)."""
    for field, _kind, text in record_fields(rec):
        yield TextField(rec, field, text)


def field_nodes(node: yaml.Node | None, field_path: str) -> tuple[yaml.Node | None, yaml.Node] | None:
    """(key node, value node) of a field in a composed document (the key is None for a list
    item), or None when the document has no such field."""
    current: Any = node
    key: yaml.Node | None = None
    for part in split_field(field_path):
        if isinstance(part, int) and isinstance(current, yaml.SequenceNode):
            if part >= len(current.value):
                return None
            key, current = None, current.value[part]
        elif isinstance(part, str) and isinstance(current, yaml.MappingNode):
            for k, v in reversed(current.value):  # the last duplicate is the value in force
                if isinstance(k, yaml.ScalarNode) and k.value == part:
                    key, current = k, v
                    break
            else:
                return None
        else:
            return None
    return (key, current) if isinstance(current, yaml.Node) else None


def _value_node(node: yaml.Node | None, field_path: str) -> yaml.Node | None:
    found = field_nodes(node, field_path)
    return None if found is None else found[1]


def value_position(rec: Record, field_path: str, value: str, offset: int) -> tuple[int | None, int | None]:
    """Line and column of ``value[offset]`` in the file.

    Exact when the scalar sits on one line and its source text is the value itself
    (plain, or quoted without escapes: the usual case); otherwise the start of the
    value, or the field's key when the value node cannot be found.
    """
    node = _value_node(rec.node, field_path)
    if not isinstance(node, yaml.ScalarNode):
        return rec.position(field_path)
    line0 = node.start_mark.line
    col0 = node.start_mark.column + (1 if node.style in ("'", '"') else 0)
    file_line = line0 + 2  # +1 for 1-based, +1 for the opening '---' line
    if node.start_mark.line == node.end_mark.line:
        lines = rec.text.split("\n", file_line)
        if len(lines) >= file_line:
            src = lines[file_line - 1]
            if src[col0 : col0 + len(value)] == value:
                return file_line, col0 + offset + 1
    return file_line, col0 + 1


__all__ = [
    "Field",
    "TextField",
    "cp1252",
    "cp1252_bytes_not_in",
    "field_nodes",
    "is_plain",
    "record_fields",
    "removal",
    "text_fields",
    "value_position",
]
