"""Findings, their fixes, and the rule registry.

A rule is a stable code (``S101``), a kebab-case name, the check that owns it,
a default severity, a one-line doc and its fix applicability, in the manner of
ruff's registry: the ``clipqa rules`` listing and the README's rule table are
generated from it. Every module that emits findings declares its rules with
:func:`rule` at import time; nothing else needs to be touched to add a rule.
:func:`all_rules` (in :mod:`qa.rules`) imports every such module.

A finding may carry a :class:`Fix`: its applicability and the :class:`Edit` s that
repair it, each saying exactly what it replaces (see docs/fix.md).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import reprlib
from collections.abc import Iterable, Sequence
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


class Applicability(StrEnum):
    """How far a fix may be trusted, as in ruff.

    A rule declares ``safe``, ``unsafe`` or ``none``; each fix of its findings carries the
    rule's applicability, or ``display-only`` when the rule declares none (a proposal that
    reports show and ``clipqa fix`` never applies).
    """

    SAFE = "safe"  # the meaning cannot change: ``clipqa fix`` applies it
    UNSAFE = "unsafe"  # a person should look: ``clipqa fix --unsafe-fixes`` applies it
    DISPLAY_ONLY = "display-only"  # shown, never applied (fixes only)
    NONE = "none"  # the rule has no automatic fix (rules only)


RULE_APPLICABILITIES = (Applicability.SAFE, Applicability.UNSAFE, Applicability.NONE)


class Target(StrEnum):
    """What an :class:`Edit` replaces (see docs/fix.md, "The edit model")."""

    # Characters [start, end) of the field's text: a string value, a non-string scalar as
    # written (without its quotes), or the body. ``content`` is text; the scalar keeps its style.
    TEXT = "text"
    # The field's whole value as written in the YAML (quotes included). ``content`` is the
    # YAML to write instead (``true``). No start/end.
    VALUE = "value"
    # The field's key as written. ``content`` is the new key. No start/end.
    KEY = "key"
    # Bytes [start, end) of the file (a byte-order mark, a CR line ending). ``content`` is
    # text, written as UTF-8.
    BYTES = "bytes"


@dataclass(frozen=True, slots=True)
class Edit:
    """One replacement: ``content`` in place of what ``target`` (and ``start``/``end``) name.

    ``field`` is the front-matter field path (``related[0].title``) or ``body``; None for
    :attr:`Target.BYTES`. Several edits of one fix never overlap.
    """

    target: Target
    content: str
    field: str | None = None
    start: int | None = None
    end: int | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "target": self.target.value,
            "field": self.field,
            "start": self.start,
            "end": self.end,
            "content": self.content,
        }


def replace_text(field: str, start: int, end: int, content: str) -> Edit:
    """Characters [start, end) of ``field``'s text (or the body) become ``content``."""
    if not 0 <= start <= end:
        raise ValueError(f"bad text range [{start}, {end})")
    return Edit(Target.TEXT, content, field, start, end)


def replace_value(field: str, yaml_text: str) -> Edit:
    """``field``'s whole value, as written, becomes ``yaml_text`` (YAML: ``true``, not ``'true'``)."""
    return Edit(Target.VALUE, yaml_text, field)


def rename_key(field: str, new_key: str) -> Edit:
    """The key of ``field`` becomes ``new_key``; its value stays."""
    return Edit(Target.KEY, new_key, field)


def replace_bytes(start: int, end: int, content: str) -> Edit:
    """Bytes [start, end) of the file become ``content`` (UTF-8)."""
    if not 0 <= start <= end:
        raise ValueError(f"bad byte range [{start}, {end})")
    return Edit(Target.BYTES, content, None, start, end)


@dataclass(frozen=True, slots=True)
class Fix:
    """A finding's repair: how far it may be trusted, what it does, and its edits."""

    applicability: Applicability
    edits: tuple[Edit, ...]
    message: str = ""

    def applies(self, unsafe: bool = False) -> bool:
        """Whether ``clipqa fix`` (with ``--unsafe-fixes`` when ``unsafe``) applies it."""
        return self.applicability is Applicability.SAFE or (unsafe and self.applicability is Applicability.UNSAFE)

    def to_dict(self) -> dict[str, object]:
        return {
            "applicability": self.applicability.value,
            "message": self.message,
            "edits": [e.to_dict() for e in self.edits],
        }


def describe(edits: Sequence[Edit]) -> str:
    """A short account of what edits do, for a fix that was given no message."""
    if len(edits) != 1:
        kinds = {e.target for e in edits}
        if kinds == {Target.BYTES}:
            return f"replace {len(edits)} byte ranges of the file"
        return f"{len(edits)} edits"
    e = edits[0]
    content = shorten(e.content, 60)
    if e.target is Target.VALUE:
        return f"write {content}"
    if e.target is Target.KEY:
        return f"rename the key to {content}"
    if e.target is Target.BYTES:
        return f"replace bytes {e.start}-{e.end} with {content!r}" if e.content else f"remove bytes {e.start}-{e.end}"
    if not e.content:
        return "remove it"
    if e.start == e.end:
        return f"insert {content!r}"
    return f"replace it with {content!r}"


FixArg = Edit | Sequence[Edit] | str | None


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    name: str
    check: str
    severity: Severity
    doc: str
    fix: str | None = None  # how to fix it, in words (shown in reports)
    applicability: Applicability = Applicability.NONE  # whether and how far its fixes may be applied

    def make_fix(
        self, fix: FixArg, field: str | None, span: tuple[int, int] | None, message: str | None = None
    ) -> Fix | None:
        """The :class:`Fix` of a finding, from its edits (``fix``), with this rule's applicability.

        ``fix`` may also be a plain string: the replacement of the finding's span of its
        field (what checks gave before edits said what they replace); without a span and a
        field there is nothing it can safely mean, and the finding gets no fix.
        """
        if fix is None:
            return None
        if isinstance(fix, str):
            if span is None or field is None:
                return None
            edits: tuple[Edit, ...] = (replace_text(field, span[0], span[1], fix),)
        elif isinstance(fix, Edit):
            edits = (fix,)
        else:
            edits = tuple(fix)
        if not edits:
            return None
        applicability = Applicability.DISPLAY_ONLY if self.applicability is Applicability.NONE else self.applicability
        return Fix(applicability, edits, message or describe(edits))

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
        fix: FixArg = None,
        fix_message: str | None = None,
        related: Iterable[str] = (),
        text: str | None = None,
    ) -> Finding:
        """A finding of this rule.

        ``text`` is the whole field value (or body) that ``span`` indexes into: only a
        short :class:`Excerpt` around the span is kept, for reports to show the span in
        its context. Without it, the pipeline cuts the excerpt from the record
        (``qa.excerpts``) for any finding with a span and a field.

        ``fix``: the edits that repair it (:func:`replace_text`, :func:`replace_value`, ...),
        or a string that replaces the span; ``fix_message`` says what they do.
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
            fix=self.make_fix(fix, field, span, fix_message),
            related=tuple(related),
            context=excerpt(text, span) if text is not None and span is not None else None,
        )


REGISTRY: dict[str, Rule] = {}


def rule(
    code: str,
    name: str,
    check: str,
    severity: str,
    doc: str,
    fix: str | None = None,
    *,
    applicability: str = "none",
) -> Rule:
    """Declare a rule. Codes and names are unique; a clash is a programming error.

    ``applicability``: ``safe`` (its fixes cannot change the meaning), ``unsafe`` (a person
    should look) or ``none`` (no automatic fix; proposals are display-only).
    """
    if check not in CHECKS:
        raise ValueError(f"rule {code}: unknown check {check!r}")
    how = Applicability(applicability)
    if how not in RULE_APPLICABILITIES:
        raise ValueError(f"rule {code}: applicability must be safe, unsafe or none, not {applicability!r}")
    existing = REGISTRY.get(code)
    new = Rule(code, name, check, Severity(severity), doc, fix, how)
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
    # The repair, when one is known: applicability and edits (see :class:`Fix`).
    fix: Fix | None = None
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
            "fix": self.fix.to_dict() if isinstance(self.fix, Fix) else self.fix,
            "related": list(self.related),
            "fingerprint": self.fingerprint,
            "status": self.status,
        }


def severity_counts(findings: Iterable[Finding]) -> dict[str, int]:
    counts = {s.value: 0 for s in Severity}
    for f in findings:
        counts[f.severity] += 1
    return counts


def fix_counts(findings: Iterable[Finding]) -> dict[str, int]:
    """How many findings ``clipqa fix`` would repair (``safe``) and how many more with
    ``--unsafe-fixes`` (``unsafe``)."""
    counts = {Applicability.SAFE.value: 0, Applicability.UNSAFE.value: 0}
    for f in findings:
        if isinstance(f.fix, Fix) and f.fix.applicability.value in counts:
            counts[f.fix.applicability.value] += 1
    return counts
