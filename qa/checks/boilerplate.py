"""Check ``boilerplate``: lines of web-page chrome left in the text.

A scraper that takes a whole page keeps comment forms ("Leave a Reply", "Your
email address will not be published. Required fields are marked *", and the same
in other languages), share and subscribe prompts, cookie notices, "Read more"
links and other page furniture. The patterns are data: ``qa/data/boilerplate.yaml``
(shipped in the package), one regular expression per line of chrome, grouped by
category; each category is a rule. A pattern must match a whole line (a leading
bullet and surrounding white space allowed), so article sentences that merely
mention a cookie or a newsletter pass.

Options (``[tool.clipqa.boilerplate]``): ``extra_patterns`` (a mapping category ->
list of patterns), ``patterns_file`` (a YAML file in the shipped format, added to
the shipped patterns), ``fields`` (which fields to look at: the body and the
excerpts and titles by default; topics and provider names are not prose).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from qa.checks import Check, Context
from qa.corpus import Record
from qa.findings import Finding, Rule, replace_text, rule
from qa.textfields import ShortTextMemo, TextField, record_fields, removal

_REMOVE_LINE = "Remove the line."
B101 = rule(
    "B101",
    "comment-form",
    "boilerplate",
    "warning",
    'A comment form\'s text ("Leave a Reply", "Your email ...").',
    fix=_REMOVE_LINE,
    applicability="unsafe",
)
B102 = rule(
    "B102",
    "share-prompt",
    "boilerplate",
    "warning",
    'A share prompt ("Share this article", social links).',
    fix=_REMOVE_LINE,
    applicability="unsafe",
)
B103 = rule(
    "B103",
    "subscribe-prompt",
    "boilerplate",
    "warning",
    'A subscribe or newsletter prompt ("Subscribe now").',
    fix=_REMOVE_LINE,
    applicability="unsafe",
)
B104 = rule(
    "B104",
    "cookie-notice",
    "boilerplate",
    "warning",
    'A cookie notice ("This site uses cookies ...").',
    fix=_REMOVE_LINE,
    applicability="unsafe",
)
B105 = rule(
    "B105",
    "read-more-link",
    "boilerplate",
    "warning",
    "A 'Read more' / 'Continue reading' / 'Related articles' link.",
    fix=_REMOVE_LINE,
    applicability="unsafe",
)
B106 = rule(
    "B106",
    "page-chrome",
    "boilerplate",
    "warning",
    "Other page furniture: 'Skip to content', 'Advertisement', 'Tags: ...', copyright lines.",
    fix=_REMOVE_LINE,
    applicability="unsafe",
)

CATEGORY_RULES: dict[str, Rule] = {
    "comment-form": B101,
    "share-prompt": B102,
    "subscribe-prompt": B103,
    "cookie-notice": B104,
    "read-more": B105,
    "page-chrome": B106,
}
DEFAULT_FIELDS = ("body", "title", "excerpt", "related[].title", "related[].excerpt")
_LINE = r"[ \t]*(?:[-•*·▪►>|#]+[ \t]*)?(?:{alts}):?[ \t\r]*\Z"
_LEADERS = " \t\r-•*·▪►>|#"
MAX_LINE = 300  # chrome lines are short; longer lines are article text and are not tried


@dataclass(frozen=True, slots=True)
class Patterns:
    generic: re.Pattern[str]  # the patterns that may start with any character
    by_first: dict[str, re.Pattern[str]]  # first letter of a line (lower case) -> its patterns + generic
    groups: dict[str, str]  # regex group name -> category


def load_patterns_file(path: str | Path) -> dict[str, list[str]]:
    with open(path, encoding="utf-8") as fh:
        return parse_patterns(yaml.safe_load(fh), str(path))


def shipped_patterns() -> dict[str, list[str]]:
    text = resources.files("qa").joinpath("data/boilerplate.yaml").read_text(encoding="utf-8")
    return parse_patterns(yaml.safe_load(text), "qa/data/boilerplate.yaml")


def parse_patterns(doc: object, where: str) -> dict[str, list[str]]:
    if isinstance(doc, dict) and "categories" in doc:
        doc = doc["categories"]
    if not isinstance(doc, dict):
        raise ValueError(f"{where}: expected a mapping of category -> list of patterns")
    out: dict[str, list[str]] = {}
    for category, pats in doc.items():
        if category not in CATEGORY_RULES:
            raise ValueError(f"{where}: unknown category {category!r} (known: {', '.join(CATEGORY_RULES)})")
        if not isinstance(pats, (list, tuple)) or not all(isinstance(p, str) for p in pats):
            raise ValueError(f"{where}: category {category!r} must be a list of strings")
        for p in pats:
            try:
                re.compile(p)
            except re.error as exc:
                raise ValueError(f"{where}: bad pattern {p!r} in {category!r}: {exc}") from exc
        out[str(category)] = list(pats)
    return out


@lru_cache(maxsize=8)
def compile_patterns(extra: tuple[tuple[str, tuple[str, ...]], ...] = (), patterns_file: str | None = None) -> Patterns:
    cats = shipped_patterns()
    more: list[Mapping[str, Sequence[str]]] = [dict(extra)]
    if patterns_file:
        more.append(load_patterns_file(patterns_file))
    for m in more:
        for category, pats in parse_patterns(dict(m), "extra_patterns").items():
            cats.setdefault(category, []).extend(pats)
    # One alternation of ~150 patterns tried on every line is slow (the engine tries each in turn),
    # so patterns are bucketed by their first letter: a line is tried only against its bucket's.
    groups = {f"c{i}": category for i, category in enumerate(cats)}
    buckets: dict[str, list[tuple[str, str]]] = {}
    generic: list[tuple[str, str]] = []
    for category, pats in cats.items():
        for p in pats:
            first = _first_letter(p)
            (generic if first is None else buckets.setdefault(first, [])).append((category, p))

    def build(items: list[tuple[str, str]]) -> re.Pattern[str]:
        alts = []
        for name, category in groups.items():
            mine = [p for c, p in items if c == category]
            if mine:
                alts.append(f"(?P<{name}>" + "|".join(f"(?:{p})" for p in mine) + ")")
        return re.compile(_LINE.format(alts="|".join(alts) or "(?!)"), re.IGNORECASE)

    by_first = {first: build(items + generic) for first, items in buckets.items()}
    return Patterns(build(generic), by_first, groups)


_SPECIAL = set("\\()[].^$|?*+{}")


def _first_letter(pattern: str) -> str | None:
    """The (lower-cased) character every match of ``pattern`` starts with, when plain to see."""
    if not pattern or pattern[0] in _SPECIAL or (len(pattern) > 1 and pattern[1] in "?*{"):
        return None
    depth = 0
    escaped = in_class = False
    for ch in pattern:  # a top-level "|" gives several first letters
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            return None
    return pattern[0].lower()


_LAST: list[tuple[Mapping[str, Any], Patterns]] = []


def patterns_from(options: Mapping[str, Any]) -> Patterns:
    """Compiled patterns for these options; the same options object (one per run) is compiled once."""
    if _LAST and _LAST[0][0] is options:
        return _LAST[0][1]
    pats = _patterns_from(options)
    _LAST[:] = [(options, pats)]
    return pats


def _patterns_from(options: Mapping[str, Any]) -> Patterns:
    extra = options.get("extra_patterns") or {}
    if not isinstance(extra, Mapping):
        raise ValueError("boilerplate.extra_patterns must be a mapping of category -> list of patterns")
    frozen = tuple(sorted((str(k), tuple(v)) for k, v in extra.items()))
    return compile_patterns(frozen, options.get("patterns_file") or None)


_LAST_FIELDS: list[tuple[Mapping[str, Any], tuple[Any, ...], frozenset[Any] | None]] = []


def _fields_from(options: Mapping[str, Any]) -> tuple[tuple[Any, ...], frozenset[Any] | None]:
    """The ``fields`` option as a tuple, and as a set unless an entry cannot be hashed (once per
    options object)."""
    if _LAST_FIELDS and _LAST_FIELDS[0][0] is options:
        return _LAST_FIELDS[0][1], _LAST_FIELDS[0][2]
    fields = tuple(options.get("fields", DEFAULT_FIELDS))
    try:
        wanted: frozenset[Any] | None = frozenset(fields)
    except TypeError:
        wanted = None
    _LAST_FIELDS[:] = [(options, fields, wanted)]
    return fields, wanted


@lru_cache(maxsize=1024)
def _wanted(field: str, fields: tuple[str, ...]) -> bool:
    generic = re.sub(r"\[\d+\]", "[]", field)
    return field in fields or generic in fields


def boilerplate_lines(text: str, pats: Patterns) -> Iterable[tuple[int, int, str]]:
    """(start, end, category) of each line of chrome (the span trimmed of white space)."""
    by_first = pats.by_first
    generic = pats.generic
    pos = 0
    for line in text.split("\n"):
        if 0 < len(line) <= MAX_LINE:
            head = line.lstrip(_LEADERS)
            m = by_first.get(head[:1].lower(), generic).match(line) if head else None
            if m is not None:
                category = pats.groups.get(m.lastgroup or "", "page-chrome")
                stripped = line.strip()
                if stripped:
                    start = pos + line.index(stripped[0])
                    yield start, start + len(stripped), category
        pos += len(line) + 1


def field_findings(tf: TextField, pats: Patterns) -> list[Finding]:
    return _findings(tf, tuple(boilerplate_lines(tf.text, pats)))


def _findings(tf: TextField, hits: Sequence[tuple[int, int, str]]) -> list[Finding]:
    out: list[Finding] = []
    for start, end, category in hits:
        line, column = tf.position(start)
        cut = removal(tf.text, start, end)
        out.append(
            CATEGORY_RULES[category].finding(
                tf.record.path,
                f"web boilerplate ({category}): {tf.text[start:end]!r}",
                field=tf.field,
                line=line,
                column=column,
                evidence=tf.text[start:end],
                span=(start, end),
                fix=None if cut is None else replace_text(tf.field, cut[0], cut[1], ""),
                fix_message="remove the line",
            )
        )
    return out


def check_record(rec: Record, ctx: Context) -> Iterable[Finding]:
    pats = patterns_from(ctx.options)
    fields, wanted = _fields_from(ctx.options)
    out: list[Finding] = []
    known = _HITS.table(pats)
    for field, kind, text in record_fields(rec):
        # What _wanted says (kind is the field with "[]" for its indexes); it is still asked when
        # the option holds something unhashable, so that such a configuration fails as it did.
        if (field in wanted or kind in wanted) if wanted is not None else _wanted(field, fields):
            if kind == "body" or len(text) > _HITS.max_chars:
                hits = tuple(boilerplate_lines(text, pats))
            elif (seen := known.get(text)) is not None:
                hits = seen  # a title or excerpt met before (related items are other clippings)
            else:
                hits = known[text] = tuple(boilerplate_lines(text, pats))
            if hits:
                out.extend(_findings(TextField(rec, field, text), hits))
    return out


_HITS: ShortTextMemo[tuple[tuple[int, int, str], ...]] = ShortTextMemo()


def warm(ctx: Context) -> None:
    """Compile the patterns ahead: the check's one first-use cost (~0.1 s)."""
    patterns_from(ctx.options)


CHECK = Check(
    name="boilerplate",
    rules=tuple(CATEGORY_RULES.values()),
    doc="Lines of web-page chrome (comment forms, share/subscribe prompts, cookie notices, 'Read more').",
    record=check_record,
    warm=warm,
    options={"extra_patterns": {}, "patterns_file": "", "fields": list(DEFAULT_FIELDS)},
)
