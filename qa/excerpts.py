"""Excerpts for findings with a span: the offending text in its context.

A check that reports a span (character offsets within a field value or the body)
need not carry the text: the pipeline cuts a short :class:`~qa.findings.Excerpt`
from the record while it still has it (per-record stage; corpus-stage findings
when their file is re-read to locate them). Reports then show the span
highlighted in context without ever re-reading files or re-running checks.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from qa.corpus import Record
from qa.findings import Finding, excerpt
from qa.yamlload import split_field


def field_text(rec: Record, field: str | None) -> str | None:
    """The string value of ``field`` in the record (``body`` is the body), or None."""
    if not field:
        return None
    if field == "body":
        return rec.body
    current: Any = rec.data
    for part in split_field(field):
        if isinstance(part, int):
            if not (isinstance(current, list) and 0 <= part < len(current)):
                return None
            current = current[part]
        elif isinstance(current, dict) and part in current:
            current = current[part]
        else:
            return None
    return current if isinstance(current, str) else None


def needs_context(f: Finding) -> bool:
    return f.span is not None and f.context is None and f.field is not None


def attach(findings: Iterable[Finding], rec: Record) -> None:
    """Give each finding that has a span but no excerpt one cut from the record."""
    for f in findings:
        if f.span is None or f.context is not None:
            continue
        text = field_text(rec, f.field)
        if text is not None:
            f.context = excerpt(text, f.span)


def with_context(f: Finding, text: str) -> Finding:
    """A copy of ``f`` with an excerpt of ``text`` (tests and tools building findings by hand)."""
    if f.span is None:
        return f
    return dataclasses.replace(f, context=excerpt(text, f.span))
