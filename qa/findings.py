"""Findings and the rule registry.

A rule is a stable code (``S101``), a kebab-case name, the check that owns it,
a default severity and a one-line doc, in the manner of ruff's registry: the
``clipqa rules`` listing and the README's rule table are generated from it.
Every module that emits findings declares its rules with :func:`rule` at import
time; nothing else needs to be touched to add a rule.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import reprlib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

CHECKS: tuple[str, ...] = (
    "parse",
    "schema",
    "encoding",
    "language",
    "boilerplate",
    "image_url",
    "published",
    "duplicate",
    "consistency",
)


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    name: str
    check: str
    severity: Severity
    doc: str
    fix: str | None = None

    def finding(
        self,
        path: str,
        message: str,
        *,
        field: str | None = None,
        line: int | None = None,
        column: int | None = None,
        evidence: object = None,
        span: tuple[int, int] | None = None,
        fix: str | None = None,
        related: Iterable[str] = (),
        text: str | None = None,
    ) -> Finding:
        """A finding of this rule.

        ``text`` is the whole field value (or body) that ``span`` indexes into: only a
        short :class:`Excerpt` around the span is kept, for reports to show the span in
        its context. Without it, the pipeline cuts the excerpt from the record
        (``qa.excerpts``) for any finding with a span and a field.
        """
        return Finding(
            rule=self.code,
            check=self.check,
            severity=self.severity.value,
            path=path,
            field=field,
            line=line,
            column=column,
            message=shorten(message, MESSAGE_MAX) or "",  # a hostile value must not blow up a report
            evidence=shorten(evidence),
            span=span,
            fix=fix,
            related=tuple(related),
            context=excerpt(text, span) if text is not None and span is not None else None,
        )


REGISTRY: dict[str, Rule] = {}


def rule(code: str, name: str, check: str, severity: str, doc: str, fix: str | None = None) -> Rule:
    """Declare a rule. Codes and names are unique; a clash is a programming error."""
    if check not in CHECKS:
        raise ValueError(f"rule {code}: unknown check {check!r}")
    existing = REGISTRY.get(code)
    new = Rule(code, name, check, Severity(severity), doc, fix)
    if existing is not None and existing != new:
        raise ValueError(f"rule code {code} declared twice")
    if any(r.name == name and r.code != code for r in REGISTRY.values()):
        raise ValueError(f"rule name {name} declared twice")
    REGISTRY[code] = new
    return new


EVIDENCE_MAX = 200
MESSAGE_MAX = 1000


_REPR = reprlib.Repr()
_REPR.maxstring = EVIDENCE_MAX
_REPR.maxother = EVIDENCE_MAX
_REPR.maxlevel = 3  # bounded: an alias bomb's shared lists are never walked whole


def shorten(value: object, limit: int = EVIDENCE_MAX) -> str | None:
    """The offending value as a short printable string (None stays None)."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value
    elif isinstance(value, (dt.datetime, dt.date)):
        text = value.isoformat()
    elif isinstance(value, (bool, int, float)):
        big = isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200
        text = f"an integer of {int(value).bit_length()} bits" if big else repr(value)
    else:
        text = _REPR.repr(value)
    if len(text) > limit:
        head = limit // 2 - 1
        text = text[:head] + "…" + text[-(limit - head - 1) :]
    return text


CONTEXT_CHARS = 60  # characters of context kept on each side of a span
HIT_MAX = 400  # a longer span keeps its first and last HIT_MAX // 2 characters


@dataclass(frozen=True, slots=True)
class Excerpt:
    """A span in its context, cut from the field value or body it indexes into.

    Reports show it (``before`` + highlighted ``hit`` + ``after``) without the whole
    text: a body can be long and a report holds one excerpt per finding.
    """

    before: str  # up to CONTEXT_CHARS characters before the span
    hit: str  # the span's text ("" for an insertion point)
    after: str  # up to CONTEXT_CHARS characters after it
    start: int  # offset of ``before`` in the text: > 0 when the text was cut at the start
    cut_end: bool  # the text goes on after ``after``
    elided: int = 0  # characters left out of the middle of ``hit`` (a very long span)
    whole: bool = False  # before + hit + after is the whole text (nothing cut or elided)


def excerpt(text: str, span: tuple[int, int], radius: int = CONTEXT_CHARS) -> Excerpt | None:
    """The excerpt of ``text`` around ``span``; None when the span does not fit the text."""
    start, end = span
    if not (0 <= start <= end <= len(text)):
        return None
    lo = max(0, start - radius)
    hi = min(len(text), end + radius)
    # Cut at a space near the edge when there is one, so words stay whole.
    if lo > 0:
        space = text.find(" ", lo, min(start, lo + radius // 3))
        lo = space + 1 if space >= 0 else lo
    if hi < len(text):
        space = text.rfind(" ", max(end, hi - radius // 3), hi)
        hi = space if space >= 0 else hi
    hit = text[start:end]
    elided = 0
    if len(hit) > HIT_MAX:
        elided = len(hit) - HIT_MAX
        hit = hit[: HIT_MAX // 2] + hit[-(HIT_MAX // 2) :]
    return Excerpt(
        before=text[lo:start],
        hit=hit,
        after=text[end:hi],
        start=lo,
        cut_end=hi < len(text),
        elided=elided,
        whole=lo == 0 and hi == len(text) and not elided,
    )


@dataclass(slots=True)
class Finding:
    rule: str
    check: str
    severity: str
    path: str
    field: str | None = None
    line: int | None = None
    column: int | None = None
    message: str = ""
    evidence: str | None = None
    # Character offsets [start, end) of the offending text within the field's value
    # (or the body), so a report can highlight it and a fix can target it.
    span: tuple[int, int] | None = None
    # A proposed replacement for the whole field value (or the span), when one is known.
    fix: str | None = None
    # Other files of the same group (duplicates, related-item disagreements).
    related: tuple[str, ...] = dataclasses.field(default_factory=tuple)
    # Set by a baseline comparison: "new" or "existing".
    status: str | None = None
    # The span in its context, for reports (not part of the identity or the JSON contract).
    context: Excerpt | None = None

    @property
    def fingerprint(self) -> str:
        """Stable identity across runs: rule, path, field and the evidence, not the line."""
        # the parts, each followed by a NUL, hashed in one call
        text = f"{self.rule}\x00{self.path}\x00{self.field or ''}\x00{self.evidence or ''}\x00"
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.path, self.line or 0, self.column or 0, self.rule, self.field or "")

    def to_dict(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "check": self.check,
            "severity": self.severity,
            "path": self.path,
            "field": self.field,
            "line": self.line,
            "column": self.column,
            "message": self.message,
            "evidence": self.evidence,
            "span": list(self.span) if self.span is not None else None,
            "fix": self.fix,
            "related": list(self.related),
            "fingerprint": self.fingerprint,
            "status": self.status,
        }


def severity_counts(findings: Iterable[Finding]) -> dict[str, int]:
    counts = {s.value: 0 for s in Severity}
    for f in findings:
        counts[f.severity] += 1
    return counts
