"""The text fields of a record, for the text checks (encoding, language, boilerplate).

:func:`text_fields` yields one :class:`TextField` per string field a person wrote
or a scraper filled in: ``title``, ``excerpt``, ``provider.name``, ``topics[i]``,
``related[i].title``, ``related[i].excerpt``, ``related[i].provider.name`` and the
body (field ``"body"``). Offsets in findings are character offsets within the
field's value; :meth:`TextField.position` turns one into a file line and column.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import yaml

from qa.corpus import Record
from qa.yamlload import split_field

TOP_FIELDS = ("title", "excerpt")
RELATED_FIELDS = ("title", "excerpt")


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


@lru_cache(maxsize=256)
def is_plain(text: str) -> bool:
    """The text is encodable in Windows-1252: ASCII, Western European letters, curly quotes, dashes,
    bullets, NBSP, the euro sign. Such text holds no other script, no emoji, no private-use or
    replacement characters, no surrogates and no C1 controls, so most text checks stop here. One C
    call; cached, as several checks ask about the same field."""
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


# (field, kind, text): ``kind`` is the field with its list indexes as "[]" ("related[].title").
Field = tuple[str, str, str]

_NAMES = 64  # field names of the first list items are made once (their hashes are then cached too)
_TOPICS = tuple(f"topics[{i}]" for i in range(_NAMES))
_RELATED_SUFFIXES = (*RELATED_FIELDS, "provider.name")
_RELATED = tuple(tuple(f"related[{i}].{name}" for name in _RELATED_SUFFIXES) for i in range(_NAMES))
_RELATED_KINDS = tuple(f"related[].{name}" for name in _RELATED_SUFFIXES)

# The fields of the last record asked about: the text checks run one after another on the same
# record, so each but the first gets them for free. Keyed by the record object and its ``data``
# and ``body`` objects (a record's front matter is not changed in place once read). One tuple,
# swapped whole, so that a reader never sees half of another record's entry.
_memo: list[tuple[object, object, object, tuple[Field, ...]]] = [(None, None, None, ())]


def record_fields(rec: Record) -> tuple[Field, ...]:
    """``(field, kind, text)`` of every non-empty string-valued text field of ``rec``, in the
    order of :func:`text_fields` (the body last). Computed once per record."""
    data = rec.data
    body = rec.body
    last = _memo[0]
    if last[0] is rec and last[1] is data and last[2] is body:
        return last[3]
    fields = _collect(data, body)
    _memo[0] = (rec, data, body, fields)
    return fields


def _collect(data: object, body: str) -> tuple[Field, ...]:
    out: list[Field] = []
    if isinstance(data, dict):
        for name in TOP_FIELDS:
            value = data.get(name)
            if isinstance(value, str) and value:
                out.append((name, name, value))
        provider = data.get("provider")
        if isinstance(provider, dict):
            value = provider.get("name")
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
                for j, name in enumerate(RELATED_FIELDS):
                    value = item.get(name)
                    if isinstance(value, str) and value:
                        out.append((names[j], _RELATED_KINDS[j], value))
                prov = item.get("provider")
                if isinstance(prov, dict):
                    value = prov.get("name")
                    if isinstance(value, str) and value:
                        out.append((names[-1], _RELATED_KINDS[-1], value))
    if body:
        out.append(("body", "body", body))
    return tuple(out)


def text_fields(rec: Record) -> Iterator[TextField]:
    """Every string-valued text field of ``rec``, the body last (if not empty)."""
    for field, _kind, text in record_fields(rec):
        yield TextField(rec, field, text)


def _value_node(node: yaml.Node | None, field_path: str) -> yaml.Node | None:
    current: Any = node
    for part in split_field(field_path):
        if isinstance(part, int) and isinstance(current, yaml.SequenceNode):
            if part >= len(current.value):
                return None
            current = current.value[part]
        elif isinstance(part, str) and isinstance(current, yaml.MappingNode):
            for k, v in reversed(current.value):  # the last duplicate is the value in force
                if isinstance(k, yaml.ScalarNode) and k.value == part:
                    current = v
                    break
            else:
                return None
        else:
            return None
    return current if isinstance(current, yaml.Node) else None


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


__all__ = ["Field", "TextField", "is_plain", "record_fields", "text_fields", "value_position"]
