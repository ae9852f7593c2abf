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

import bisect
import dataclasses
import hashlib
import importlib
import itertools
import json
import re
import unicodedata
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from qa.checks import Check, Context, CorpusKeys, Tables
from qa.corpus import Record
from qa.crossrec import LISTED, all_keys, check_range, key_rows, listing, others_of
from qa.findings import Finding, Rule, replace_text, rule
from qa.textfields import ShortTextMemo, TextField, record_fields, removal
from qa.urls import url_host

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

B107 = rule(
    "B107",
    "navigation-link",
    "boilerplate",
    "warning",
    "Site navigation: 'Next Post', 'Previous Post', 'Scroll to top', 'Skip to content', breadcrumbs, pagination.",
    fix=_REMOVE_LINE,
    applicability="unsafe",
)
B108 = rule(
    "B108",
    "copyright-notice",
    "boilerplate",
    "warning",
    "A copyright or all-rights-reserved line ('Copyright © 2019 <Site>', 'Alle Rechte vorbehalten').",
    fix=_REMOVE_LINE,
    applicability="unsafe",
)
B109 = rule(
    "B109",
    "login-prompt",
    "boilerplate",
    "warning",
    "A log-in, sign-up or paywall prompt ('Sign in', 'Forgot your password?', 'Already a subscriber?').",
    fix=_REMOVE_LINE,
    applicability="unsafe",
)

B201 = rule(
    "B201",
    "repeated-line",
    "boilerplate",
    "warning",
    "A line that recurs (digits and dates aside) in many clippings of the same provider: that site's furniture, "
    "in any language.",
    fix="Remove the line (look first: a line can recur for a reason), or add it to a pattern file.",
    applicability="unsafe",
)

CATEGORY_RULES: dict[str, Rule] = {
    "comment-form": B101,
    "share-prompt": B102,
    "subscribe-prompt": B103,
    "cookie-notice": B104,
    "read-more": B105,
    "page-chrome": B106,
    "navigation": B107,
    "copyright-notice": B108,
    "login-prompt": B109,
}
DEFAULT_FIELDS = ("body", "title", "excerpt", "related[].title", "related[].excerpt")
# A whole line: leading white space, bullets and arrows, then the pattern, then trailing white
# space and punctuation ("Weiterlesen »", "Passwort vergessen?", "... nicht veröffentlicht.").
_LINE = r"[ \t]*(?:[-•*·▪►>|#«‹←↑»›→]+[ \t]*)?(?:{alts})[ \t]*(?:[:.!?…»›→|*]+[ \t]*)?\r?\Z"
_LEADERS = " \t\r-•*·▪►>|#«‹←↑»›→"
# What phrase_key strips from both ends of a line: white space, bullets, arrows, punctuation.
_EDGES = " \t\r-•*·▪►>|#«»‹›←→↑↓:.!?…–—/\\"
MAX_LINE = 300  # chrome lines are short; longer lines are article text and are not tried
MAX_CONTAINS_LINE = 200  # a "contains" phrase ("All rights reserved") counts in lines up to this long


@dataclass(frozen=True, slots=True)
class Patterns:
    entries: tuple[tuple[str, str, frozenset[str] | None, int | None], ...]  # (category, expression, first, longest)
    groups: dict[str, str]  # regex group name -> category
    phrases: dict[str, tuple[str, bool]]  # phrase_key -> (category, weak) of the exact lines
    phrase_max: int  # the longest line a phrase can be (longer lines are not looked up)
    contains: tuple[tuple[str, str], ...]  # (lower-case phrase, category) found anywhere in a short line
    needed: tuple[tuple[tuple[str, ...], re.Pattern[str]], ...]  # (phrases, expressions tried if one is in the line)
    all_phrases: tuple[str, ...]  # the phrases of ``needed`` and ``contains``
    ascii_phrases: tuple[str, ...]  # ... those an ASCII line may hold
    vocabulary: Vocabulary = dataclasses.field(default_factory=lambda: Vocabulary({}, frozenset(), ()))
    longest: int = MAX_LINE  # the longest line a pattern or a phrase is tried on: max(MAX_LINE, phrase_max)
    # a line's first character -> its expressions; the same expressions compiled once
    buckets: dict[tuple[str, int], re.Pattern[str]] = dataclasses.field(default_factory=dict)
    shared: dict[frozenset[int], re.Pattern[str]] = dataclasses.field(default_factory=dict)
    lowered: dict[object, re.Pattern[str] | None] = dataclasses.field(default_factory=dict)
    # a phrase of ``all_phrases`` -> the phrases it starts with, itself included (filled on first use)
    prefixes: dict[str, frozenset[str]] = dataclasses.field(default_factory=dict)
    # (head, size) -> the starts a lower-case line must have to match that bucket's lowered
    # expression (see ``cannot_start``); None: no screen
    screens: dict[object, Starts | None] = dataclasses.field(default_factory=dict)
    # (head, size) -> the characters of _LEADERS that one of its starts begins with (see cannot_start)
    led: dict[object, frozenset[str]] = dataclasses.field(default_factory=dict)

    def phrase_finder(self, ascii_only: bool) -> re.Pattern[str]:
        """An expression that finds any of the phrases (of ``ascii_phrases`` for an ASCII text, else
        of ``all_phrases``): a trie, so that the engine follows one branch per character."""
        key = "ascii phrases" if ascii_only else "phrases"
        finder = self.lowered.get(key)
        if finder is None:
            finder = self.lowered[key] = re.compile(_trie(self.ascii_phrases if ascii_only else self.all_phrases))
        return finder

    def phrases_in(self, lowered: str, finder: re.Pattern[str], found: re.Match[str]) -> set[str]:
        """The phrases of ``finder`` (``phrase_finder``'s) that ``lowered`` holds, ``found`` the
        finder's first match in it: from each place where one starts, the longest (what the trie
        matches) and the shorter ones it starts with (tests/test_boilerplate.py proves it the set of
        those ``in`` the line)."""
        prefixes = self.prefixes
        if not prefixes:
            every = set(self.all_phrases)
            for phrase in every:
                prefixes[phrase] = frozenset(p for p in every if phrase.startswith(p))
        out: set[str] = set()
        m: re.Match[str] | None = found
        while m is not None:
            out |= prefixes[m.group()]
            m = finder.search(lowered, m.start() + 1)
        return out

    def prepare(self) -> None:
        """Compile the expressions of the usual lines ahead (Windows-1252 lines that start with a
        letter, a digit or a quote, every size): a process that forks the workers pays it once;
        the others are compiled where they are first needed."""
        for c in _USUAL_HEADS:
            for size in range(len(SIZES)):
                self.lowered_expression_for(c, size)

    def starts_for(self, head: str, size: int = 0) -> Starts | None:
        """The starts of the lines that ``lowered_expression_for(head, size)`` may match (see
        :func:`_starts`, read with that expression), or None when it has none or they are not known."""
        key = (head, size)
        if key not in self.screens:
            self.lowered_expression_for(head, size)
        return self.screens.get(key)  # (none kept with an expression compiled before: no screen)

    def cannot_start(self, key: tuple[str, int] | tuple[str, str, int], lowered: str) -> bool:
        """True when the lowered expression of ``key`` (a line's head and size) cannot match
        ``lowered`` (the line in lower case, Windows-1252, not empty): the pattern part does not
        start with one of the starts its expressions' matches have. The whole-line wrapper takes
        bullets and white space (characters of _LEADERS) before the pattern part, so that part
        starts at the line's first character that is not one of them, or earlier (an expression
        may itself start with such a character): each of those places is tried (a bulleted list
        item, "  • Example: ...", is ruled out too). False: it may match (try it).
        tests/test_boilerplate.py proves that a line it rules out is matched by none."""
        # (a key of folded_cannot_start's is always in screens: only a lowered bucket's is read here)
        starts = self.screens[key] if key in self.screens else self.starts_for(key[0], key[-1])
        if starts is None:
            return False
        three, two, one = starts
        if lowered[0] not in _LEADERS:
            return lowered[:3] not in three and lowered[:2] not in two and lowered[0] not in one
        lead = len(lowered) - len(lowered.lstrip(_LEADERS))
        led = self.led.get(key)
        if led is None:
            led = self.led[key] = frozenset(start[0] for part in starts for start in part if start[0] in _LEADERS)
        # the places before the first other character hold bullets and white space: a match's
        # pattern part starts at one only when one of its starts begins with that character
        for at in range(lead + 1):
            if (at == lead or lowered[at] in led) and (
                lowered[at : at + 3] in three or lowered[at : at + 2] in two or lowered[at : at + 1] in one
            ):
                return False
        return True

    def folded_cannot_start(self, line: str, head: str, size: int) -> bool:
        """True when ``expression_for(head, size)`` (case-insensitive) cannot match ``line``, a line
        that is not Windows-1252 (an emoji, a letter of another script further on): when the
        bullets and white space before its head and the three characters after them are
        Windows-1252, and all of the bucket's expressions are plain to lower (_lower_safe), those
        characters match case-insensitively exactly as they match the lowered expressions in lower
        case, so the starts of those expressions rule the line out as ``cannot_start`` does.
        False: it may match (try it). tests/test_boilerplate.py proves that a line it rules out is
        matched by none."""
        if not head:
            return False
        lead = len(line) - len(line.lstrip(_LEADERS))
        prefix = line[: lead + START]
        if not _windows_1252(prefix):
            return False
        key = ("folded", head, size)
        if key not in self.screens:
            chosen = self._chosen(head, size)
            lowerable = all(_lower_safe(self.entries[i][1]) for i in chosen)
            self.screens[key] = self._starts_of(chosen) if lowerable else None
        return self.cannot_start(key, prefix.lower())

    def _starts_of(self, chosen: frozenset[int]) -> Starts | None:
        """The starts of the expressions ``chosen`` (a bucket's), read once per set of them: the
        lowered bucket of a head and the folded screen of the same head share them."""
        if chosen not in self.screens:
            self.screens[chosen] = _starts(self.entries[i][1] for i in sorted(chosen))
        return self.screens[chosen]

    def expression_for(self, head: str, size: int = 0) -> re.Pattern[str]:
        """The expressions a line can match whose pattern part starts with ``head`` (one character,
        or "" for a line of bullets and white space) and holds at least ``SIZES[size]``
        characters, as one case-insensitive alternation (compiled on first sight): those that
        may start with a character that ``head`` matches case-insensitively, or with anything,
        and may be that long."""
        key = (head, size)
        found = self.buckets.get(key)
        if found is None:
            chosen = self._chosen(head, size)
            found = self.shared.get(chosen)
            if found is None:
                mine = [e for i, e in enumerate(self.entries) if i in chosen]
                found = self.shared[chosen] = _alternation(mine, self.groups)
            self.buckets[key] = found
        return found

    def lowered_expression_for(self, head: str, size: int = 0) -> re.Pattern[str] | None:
        """The same expressions for a Windows-1252 line, to be matched against the line in lower
        case, compiled case-sensitively (the engine then skips an alternative at its first letter
        without folding case); None when one of them is not plain to lower (see _lower_safe):
        then the case-insensitive one is used."""
        key = (head, size)
        if key in self.lowered:
            return self.lowered[key]
        chosen = self._chosen(head, size)
        found: re.Pattern[str] | None = None
        starts: Starts | None = None
        if all(_lower_safe(self.entries[i][1]) for i in chosen):
            found = self.lowered.get(chosen)
            if found is None:
                mine = [e for i, e in enumerate(self.entries) if i in chosen]
                found = self.lowered[chosen] = _alternation(mine, self.groups, flags=0)
            starts = self._starts_of(chosen)
        self.screens[key] = starts
        self.lowered[key] = found
        return found

    def _chosen(self, head: str, size: int) -> frozenset[int]:
        least = SIZES[size]
        return frozenset(
            i
            for i, (_c, _p, first, longest) in enumerate(self.entries)
            if (longest is None or longest >= least)
            and (first is None or (head and any(_same_letter(f, head) for f in first)))
        )


# Lines are tried by the size of their core (see line_category): against the expressions whose
# matches may hold at least SIZES[i] characters, for the largest SIZES[i] the core reaches.
SIZES = (0, 32, 80, 160)
# What the whole-line wrapper of the expressions may take around the pattern part (both ends).
_AROUND = " \t\r-•*·▪►>|#«‹←↑»›→:.!?…"


def size_of(core: int) -> int:
    """The index in SIZES of a line whose stripped core holds ``core`` characters."""
    return bisect.bisect_right(SIZES, core) - 1


# Characters outside Windows-1252 whose simple lower case, upper case or case fold is inside it:
# the whole list (tests/test_boilerplate.py scans the Basic Multilingual Plane for it).
_FOLD_INTO_1252 = "\u0130\u0131\u017f\u0191\u1e9e\u212a\u212b"  # İ ı ſ Ƒ ẞ K (Kelvin) Å (Angstrom)


@lru_cache(maxsize=1)
def _folds_into_1252() -> frozenset[str]:
    """Characters outside Windows-1252 that a case-insensitive match may pair with one inside it:
    _FOLD_INTO_1252, and the case variants of its own characters that lie outside (µ: Μ, μ)."""
    out = set(_FOLD_INTO_1252)
    for b in range(256):
        x = bytes([b]).decode("cp1252", errors="ignore")
        for variant in (x.lower(), x.upper(), x.casefold()):
            if len(variant) == 1 and not _windows_1252(variant):
                out.add(variant)
    return frozenset(out)


@lru_cache(maxsize=4096)
def _lower_safe(pattern: str) -> bool:
    """Matching ``pattern`` case-insensitively against a Windows-1252 line is matching it as it
    is against the line in lower case: outside its escapes (``\\W``, ``\\S``) it holds no
    upper-case letter and no character that folds into Windows-1252, whose letters pair one to
    one (tests/test_boilerplate.py checks every pair)."""
    folds = _folds_into_1252()
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if c != c.lower() or c in folds:
            return False
        i += 1
    return True


_USUAL_HEADS = "abcdefghijklmnopqrstuvwxyz0123456789“‘\"'(©"


@lru_cache(maxsize=4096)
def _same_letter(pattern_char: str, line_char: str) -> bool:
    """``pattern_char`` in an expression matches ``line_char`` (case-insensitive, as ``re`` does;
    ``_DIGIT`` stands for ``\\d``: any decimal digit, "٣" too)."""
    if pattern_char == _DIGIT:
        return _DECIMAL.fullmatch(line_char) is not None
    return re.fullmatch(re.escape(pattern_char), line_char, re.IGNORECASE) is not None


_DIGIT = "\\d"  # in a set of first characters: \d
_DECIMAL = re.compile(r"\d")


def _alternation(
    entries: Sequence[tuple[str, str, object, object]], groups: Mapping[str, str], flags: int = re.IGNORECASE
) -> re.Pattern[str]:
    """One whole-line expression of ``entries``, a named group per category (in the category order,
    then the entries' order: the first that matches is the one any subset of them finds)."""
    alts = []
    for name, category in groups.items():
        mine = [p for c, p, _f, _l in entries if c == category]
        if mine:
            alts.append(f"(?P<{name}>" + "|".join(f"(?:{p})" for p in mine) + ")")
    return re.compile(_LINE.format(alts="|".join(alts) or "(?!)"), flags)


def _trie(words: Iterable[str]) -> str:
    """One expression matching each of ``words`` (literal), shaped as a trie, so that the engine
    follows one branch per character; at a position it matches the longest word there."""
    root: dict[str, Any] = {}
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def branch(node: dict[str, Any]) -> str:
        alts = [re.escape(ch) + branch(child) for ch, child in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if "" in node else body

    return branch(root) or "(?!)"


def phrase_key(line: str) -> str:
    """A line as the exact phrases are looked up: lower case, white space collapsed, bullets,
    arrows and punctuation stripped from both ends ("» Weiterlesen" and "weiterlesen." are one)."""
    return " ".join(line.lower().split()).strip(_EDGES)


def load_patterns_file(path: str | Path, needs: dict[str, tuple[str, ...]] | None = None) -> dict[str, list[str]]:
    with open(path, encoding="utf-8") as fh:
        return parse_patterns(yaml.safe_load(fh), str(path), needs)


def shipped_patterns() -> dict[str, list[str]]:
    """The shipped regular expressions by category: qa/data/boilerplate.yaml, and the catalogue
    phrases with a variable part ("Posted by {}") as expressions."""
    cats = parse_patterns(_shipped_yaml(), "qa/data/boilerplate.yaml", validate=False)
    for category, pattern in _phrase_patterns():
        cats.setdefault(category, []).append(pattern)
    return cats


def _phrase_patterns() -> list[tuple[str, str]]:
    """(category, expression) of the catalogue phrases matched as expressions."""
    out = []
    for category, _lang, text, _source in _shipped_phrase_rows():
        if "{" in text and not text.startswith("{}"):  # a leading wildcard would be tried on every line
            out.append((category, _phrase_pattern(_lower_if_plain(text))))
        elif len(phrase_key(text)) > LONG_PHRASE:  # a long exact phrase: no line of prose is looked up
            out.append((category, _phrase_pattern(phrase_key(text))))
    return out


@lru_cache(maxsize=1)
def shipped_needs() -> dict[str, tuple[str, ...]]:
    """expression -> the phrases one of which each of its matches holds (``needs`` in boilerplate.yaml)."""
    needs: dict[str, tuple[str, ...]] = {}
    parse_patterns(_shipped_yaml(), "qa/data/boilerplate.yaml", needs, validate=False)
    return needs


@lru_cache(maxsize=1)
def _shipped_yaml() -> Any:
    shipped = shipped_analysis()
    if shipped is not None:
        return shipped["catalogue"]
    text = resources.files("qa").joinpath("data/boilerplate.yaml").read_text(encoding="utf-8")
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


# ---------------------------------------------------------------- the catalogue, read ahead

# Reading the catalogue (parsing boilerplate.yaml, and each expression's alternatives, first
# characters and longest match) costs ~0.04 s, a twentieth of a gate of a small batch, and is
# the same in every process: tools/boilerplate_analysis.py writes it here once. It is used only
# when it was made from the catalogue's files and this module as they are (its key); else, as
# for a user's patterns, everything is read afresh. tests/test_boilerplate.py proves the shipped
# file current and equal to what is read afresh.
ANALYSIS_FILE = "data/boilerplate_analysis.json"
_CATALOGUE_FILES = ("data/boilerplate.yaml", "data/boilerplate_phrases.json")

Analysed = tuple[tuple[str, frozenset[str] | None, int | None], ...]


def analyse(pattern: str) -> Analysed:
    """(alternative, its first characters, its longest match) for each top-level alternative of
    ``pattern``: what the buckets of :class:`Patterns` are made of."""
    return tuple((piece, first_chars(piece), longest_match(piece)) for piece in top_level_alternatives(pattern))


def catalogue_key() -> str | None:
    """SHA-256 of the catalogue's files and of this module's code (which reads the expressions);
    None if one cannot be read."""
    digest = hashlib.sha256()
    try:
        for name in _CATALOGUE_FILES:
            digest.update(resources.files("qa").joinpath(name).read_bytes())
        digest.update(Path(__file__).read_bytes())
    except OSError:
        return None
    return digest.hexdigest()


def catalogue_analysis() -> dict[str, Any]:
    """What tools/boilerplate_analysis.py writes to ANALYSIS_FILE, read afresh."""
    text = resources.files("qa").joinpath("data/boilerplate.yaml").read_text(encoding="utf-8")
    catalogue = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    if json.loads(json.dumps(catalogue)) != catalogue:  # pragma: no cover - a key that is no string
        raise ValueError("qa/data/boilerplate.yaml does not survive a JSON round trip")
    needs: dict[str, tuple[str, ...]] = {}
    cats = parse_patterns(catalogue, "qa/data/boilerplate.yaml", needs, validate=False)
    patterns = sorted(
        {p for pats in cats.values() for p in pats if p not in needs} | {p for _category, p in _phrase_patterns()}
    )
    analysis = {
        p: [[piece, None if first is None else sorted(first), longest] for piece, first, longest in analyse(p)]
        for p in patterns
    }
    return {"key": catalogue_key(), "catalogue": catalogue, "analysis": analysis}


@lru_cache(maxsize=1)
def shipped_analysis() -> dict[str, Any] | None:
    """ANALYSIS_FILE as stored (its analysis as :func:`analyse` gives it), if it is current."""
    try:
        doc = json.loads(resources.files("qa").joinpath(ANALYSIS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("key") is None or doc.get("key") != catalogue_key():
        return None
    doc["analysis"] = {
        p: tuple((piece, None if first is None else frozenset(first), longest) for piece, first, longest in parts)
        for p, parts in doc["analysis"].items()
    }
    return doc


@lru_cache(maxsize=1)
def _shipped_phrase_rows() -> tuple[tuple[str, str, str, str], ...]:
    text = resources.files("qa").joinpath("data/boilerplate_phrases.json").read_text(encoding="utf-8")
    return tuple((str(c), str(lang), str(t), str(src)) for c, lang, t, src in json.loads(text)["phrases"])


LONG_PHRASE = 80  # longer catalogue phrases (cookie banners) are matched as expressions


def shipped_phrases() -> dict[str, tuple[str, bool]]:
    """phrase_key -> (category, weak) of the exact lines: the catalogue phrases of two words or
    more (strong; the first category wins a clash), and the weak lines: the ``weak`` lines of
    boilerplate.yaml and the one-word catalogue phrases ("Home", "Kommentare", "Imprimer")."""
    out: dict[str, tuple[str, bool]] = {}
    order = {c: i for i, c in enumerate(CATEGORY_RULES)}
    rows = sorted(_shipped_phrase_rows(), key=lambda r: order[r[0]])
    for category, _lang, text, _source in rows:
        key = phrase_key(text)
        if "{" not in text and " " in key and len(key) <= LONG_PHRASE:
            out.setdefault(key, (category, False))
    for category, entry in (_shipped_yaml().get("weak") or {}).items():
        for line in entry["lines"]:
            out.setdefault(phrase_key(str(line)), (str(category), True))
    for category, _lang, text, _source in rows:
        key = phrase_key(text)
        if "{" not in text and key and " " not in key:
            out.setdefault(key, (category, True))
    return out


def shipped_contains() -> tuple[tuple[str, str], ...]:
    doc = _shipped_yaml()
    return tuple(
        (str(entry["contains"]).lower(), str(category))
        for category, entries in doc["categories"].items()
        for entry in entries
        if isinstance(entry, dict) and "contains" in entry
    )


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """The words of page furniture (``vocabulary`` in boilerplate.yaml): word -> category, the
    function words, and (category, word) of the languages written without spaces."""

    words: Mapping[str, str]
    function: frozenset[str]
    unspaced: tuple[tuple[str, str], ...]
    joined: Mapping[str, str] = dataclasses.field(default_factory=dict)  # letters of a word -> its category
    reader: frozenset[str] = frozenset()  # words that speak to the reader ("you", "please")
    calls: frozenset[str] = frozenset()  # verbs that start a call to action ("follow", "subscribe")
    # the ASCII words of ``words`` as bytes, for vocabulary_kind's screen of an ASCII line (None: no screen)
    ascii_words: frozenset[bytes] | None = None


@lru_cache(maxsize=1)
def shipped_vocabulary() -> Vocabulary:
    doc = _shipped_yaml()
    words: dict[str, str] = {}
    unspaced: list[tuple[str, str]] = []
    for category, entry in (doc.get("vocabulary") or {}).items():
        if category == "unspaced":
            # a line is matched by its letters (spaces left out): so are the words ("많이 본")
            unspaced.extend((str(c), "".join(str(w).split())) for c, ws in entry.items() for w in ws)
            continue
        for word in entry:
            words.setdefault(str(word).lower(), str(category))
    function = frozenset(str(w).lower() for w in doc.get("function_words") or ())
    return Vocabulary(
        words,
        function - set(words),
        tuple(sorted(set(unspaced), key=lambda cw: -len(cw[1]))),
        {"".join(ch for ch in w if ch.isalpha()): c for w, c in words.items()},
        frozenset(str(w).lower() for w in doc.get("reader_words") or ()),
        frozenset(str(w).lower() for w in doc.get("calls") or ()),
        frozenset(w.encode("ascii") for w in words if w.isascii()),
    )


def _windows_1252(text: str) -> bool:
    return text.isascii() or _NOT_1252.search(text) is None


# A character Windows-1252 does not have (C1 controls and the code points above U+00FF but its 27).
_NOT_1252 = re.compile(
    "[^\x00-\x7f\xa0-\xff" + re.escape(bytes(range(0x80, 0xA0)).decode("cp1252", errors="ignore")) + "]"
)


def _lower_if_plain(text: str) -> str:
    """``text`` in lower case when that changes nothing for a case-insensitive match (no letter
    that lower-cases into two, or folds into ASCII): expressions in lower case are matched faster."""
    lowered = text.lower()
    return lowered if len(lowered) == len(text) and _folds_into_1252().isdisjoint(text) else text


def _phrase_pattern(text: str) -> str:
    """A catalogue phrase with placeholders as a regular expression: literal parts (any white space
    between words), ``{0}`` a number ("{0} min read"), ``{}`` some text ("Posted by {}")."""
    counts = [r"\s{1,4}".join(re.escape(word) for word in part.split()) for part in text.split("{0}")]
    pattern = r"\d{1,9}".join(counts)
    return r".{1,80}?".join(p.strip() for p in pattern.split(re.escape("{}"))).strip()


def parse_patterns(
    doc: object, where: str, needs: dict[str, tuple[str, ...]] | None = None, *, validate: bool = True
) -> dict[str, list[str]]:
    """category -> regular expressions, from a document in the format of qa/data/boilerplate.yaml:
    each entry a pattern string, or a mapping with ``pattern`` (and ``source``, and ``needs``: a
    phrase or list of phrases one of which every match holds, filled into ``needs`` lower-cased);
    entries with ``contains`` (plain phrases, see :func:`shipped_contains`) are not expressions
    and are skipped. ``validate``: compile each expression to report a bad one here (a user's
    file); the shipped file's are proved by tests/test_boilerplate.py instead (compiling them
    all again cost every process ~0.1 s: a tenth of a gate run)."""
    if isinstance(doc, dict) and "categories" in doc:
        doc = doc["categories"]
    if not isinstance(doc, dict):
        raise ValueError(f"{where}: expected a mapping of category -> list of patterns")
    out: dict[str, list[str]] = {}
    for category, pats in doc.items():
        if category not in CATEGORY_RULES:
            raise ValueError(f"{where}: unknown category {category!r} (known: {', '.join(CATEGORY_RULES)})")
        if not isinstance(pats, (list, tuple)):
            raise ValueError(f"{where}: category {category!r} must be a list of strings")
        found: list[str] = []
        for entry in pats:
            if isinstance(entry, dict) and "contains" in entry and isinstance(entry["contains"], str):
                continue
            p = entry.get("pattern") if isinstance(entry, dict) else entry
            if not isinstance(p, str):
                raise ValueError(f"{where}: category {category!r} must be a list of strings")
            if validate:
                try:
                    re.compile(p)
                except re.error as exc:
                    raise ValueError(f"{where}: bad pattern {p!r} in {category!r}: {exc}") from exc
            wanted = entry.get("needs") if isinstance(entry, dict) else None
            if wanted is not None:
                phrases = [wanted] if isinstance(wanted, str) else wanted
                if not isinstance(phrases, list) or not phrases or not all(isinstance(x, str) and x for x in phrases):
                    raise ValueError(f"{where}: 'needs' of {p!r} must be a phrase or a list of phrases")
                if needs is not None:
                    needs[p] = tuple(x.lower() for x in phrases)
            found.append(p)
        out[str(category)] = found
    return out


@lru_cache(maxsize=8)
def compile_patterns(extra: tuple[tuple[str, tuple[str, ...]], ...] = (), patterns_file: str | None = None) -> Patterns:
    cats = shipped_patterns()
    needs = dict(shipped_needs())
    more: list[Mapping[str, Sequence[str]]] = [dict(extra)]
    if patterns_file:
        more.append(load_patterns_file(patterns_file, needs))
    for m in more:
        for category, pats in parse_patterns(dict(m), "extra_patterns").items():
            cats.setdefault(category, []).extend(pats)
    # One alternation of ~500 expressions tried on every line is slow (the engine tries each in
    # turn), so a line is tried only against those that may start with its first character and
    # may be as long as its core (Patterns.expression_for); both are read from the expression's text.
    # Expressions that may start with about anything ("... uses cookies ...") name a phrase they
    # need instead: they are tried only on the lines that hold it.
    groups = {f"c{i}": category for i, category in enumerate(cats)}
    # An expression of alternatives ("anzeige|werbung|publicité|...", one per language) is split into
    # them: each then joins only the buckets of its own first characters and length (a line is no
    # longer tried against the French forms because it starts like the German one).
    shipped = shipped_analysis()
    known: Mapping[str, Analysed] = {} if shipped is None else shipped["analysis"]
    entries = tuple(
        (category, piece, first, longest)
        for category, pats in cats.items()
        for p in pats
        if p not in needs
        for piece, first, longest in (known.get(p) or analyse(p))
    )
    needing: dict[tuple[str, ...], list[tuple[str, str, object, object]]] = {}
    for category, pats in cats.items():
        for p in pats:
            if p in needs:
                needing.setdefault(needs[p], []).append((category, p, None, None))
    needed = tuple((phrases, _alternation(items, groups)) for phrases, items in needing.items())
    phrases = shipped_phrases()
    phrase_max = max((len(k) for k in phrases), default=0) + 16  # room for bullets and punctuation
    contains = shipped_contains()
    every = tuple(dict.fromkeys([*(p for ps, _rx in needed for p in ps), *(p for p, _c in contains)]))
    ascii_only = tuple(p for p in every if p.isascii())
    return Patterns(
        entries,
        groups,
        phrases,
        phrase_max,
        contains,
        needed,
        every,
        ascii_only,
        shipped_vocabulary(),
        max(MAX_LINE, phrase_max),
    )


# ---------------------------------------------------------------- the starts of an expression's matches

# The first characters of a line pick its expressions (a bucket); what follows them narrows them
# much further ("city ..." starts no expression of "c": they start "co", "cl", "ce"), so a
# bucket's lowered expression is tried only on a line that starts as one of its matches may:
# (starts of 3 characters, of 2, of 1): a line may match when its first 3 characters are among
# the first, or its first 2 among the second, or its first among the third (the shorter ones
# come of matches that short, or of a part that may be any character).
Starts = tuple[frozenset[str], frozenset[str], frozenset[str]]
START = 3  # characters of a start
_ANY_AT = None  # a position of a start that may hold any character
_STARTS_CAP = 512  # more starts than this from one part: read fewer characters of it
# Read from the expressions as the engine parses them; re._parser is the standard library's own
# parser (private: what it does not give as expected declines the screen, see _starts).
try:
    _SRE_PARSER: Any = importlib.import_module("re._parser")
    _SRE: Any = importlib.import_module("re._constants")
except ImportError:  # pragma: no cover - another Python
    _SRE_PARSER = _SRE = None
# the decimal digits a Windows-1252 line may hold (\d matches what str.isdecimal() says; a
# lowered expression is only tried on Windows-1252 lines: tests/test_boilerplate.py checks it)
_WINDOWS_1252_DIGITS = frozenset("0123456789")

_Position = frozenset[str] | None
_Heads = set[tuple[_Position, ...]]


class _Unread(Exception):
    """An expression _pattern_heads does not read: its bucket has no screen."""


def _starts(patterns: Iterable[str]) -> Starts | None:
    """The starts (see Starts) of the matches of ``patterns`` (a bucket's expressions, matched
    case-sensitively against a Windows-1252 line in lower case), or None when one of them may
    match nothing, may start with any character, or is not read."""
    by_size: tuple[set[str], set[str], set[str]] = (set(), set(), set())
    for pattern in patterns:
        heads = _pattern_heads(pattern)
        if heads is None:
            return None
        for head in heads:
            cut = next((j for j, position in enumerate(head) if position is _ANY_AT), len(head))
            positions = [p for p in head[:cut] if p is not None]
            while positions and _count(positions) > _STARTS_CAP:
                positions.pop()
            if not positions:
                return None
            by_size[len(positions) - 1].update("".join(chars) for chars in itertools.product(*positions))
    return frozenset(by_size[2]), frozenset(by_size[1]), frozenset(by_size[0])


def _count(positions: Sequence[frozenset[str]]) -> int:
    n = 1
    for p in positions:
        n *= len(p)
    return n


@lru_cache(maxsize=4096)
def _pattern_heads(pattern: str) -> frozenset[tuple[_Position, ...]] | None:
    """Each way a match of ``pattern`` may start: its first START characters (fewer for a shorter
    match), each position the characters it may be (None: any); a superset. None when the
    expression is not read (flags, back references, anything _item_heads does not know)."""
    if _SRE_PARSER is None:
        return None
    try:
        parsed = _SRE_PARSER.parse(pattern, 0)
        if parsed.state.flags & ~_SRE.SRE_FLAG_UNICODE:
            return None
        return frozenset(_sequence_heads(list(parsed), START))
    except (_Unread, re.error, AttributeError, TypeError, ValueError, RecursionError):
        return None


def _sequence_heads(items: Sequence[tuple[Any, Any]], k: int) -> _Heads:
    out: _Heads = {()}
    for op, av in items:
        if all(len(t) >= k for t in out):
            break
        item = _item_heads(op, av, k)
        out = {t if len(t) >= k else (t + h)[:k] for t in out for h in ([()] if len(t) >= k else item)}
        if len(out) > _STARTS_CAP:
            raise _Unread
    return out


def _item_heads(op: Any, av: Any, k: int) -> _Heads:
    if op is _SRE.LITERAL:
        return {(frozenset(chr(av)),)}
    if op is _SRE.NOT_LITERAL or op is _SRE.ANY:
        return {(_ANY_AT,)}
    if op is _SRE.IN:
        return {(_charset(av),)}
    if op is _SRE.BRANCH:
        out: _Heads = set()
        for alternative in av[1]:
            out |= _sequence_heads(list(alternative), k)
        return out
    if op is _SRE.SUBPATTERN:
        _group, add_flags, del_flags, p = av
        if add_flags or del_flags:
            raise _Unread
        return _sequence_heads(list(p), k)
    if op in (_SRE.MAX_REPEAT, _SRE.MIN_REPEAT, getattr(_SRE, "POSSESSIVE_REPEAT", _SRE.MAX_REPEAT)):
        low, high, p = av
        one = _sequence_heads(list(p), k)
        top = k if high is _SRE.MAXREPEAT else min(high, k)
        out = set()
        for times in range(min(low, k), top + 1):
            current: _Heads = {()}
            for _ in range(times):
                current = {t if len(t) >= k else (t + h)[:k] for t in current for h in one}
                if len(current) > _STARTS_CAP:
                    raise _Unread
            out |= current
        return out
    if op is _SRE.AT or op is _SRE.ASSERT or op is _SRE.ASSERT_NOT:
        return {()}  # consumes nothing (what it asks of the text only narrows the matches)
    raise _Unread  # back references, conditionals, atomic groups, ...


def _charset(items: Sequence[tuple[Any, Any]]) -> _Position:
    chars: set[str] = set()
    for op, av in items:
        if op is _SRE.LITERAL:
            chars.add(chr(av))
        elif op is _SRE.RANGE:
            low, high = av
            if high - low > _STARTS_CAP:
                return _ANY_AT
            chars.update(chr(x) for x in range(low, high + 1))
        elif op is _SRE.CATEGORY and av is _SRE.CATEGORY_DIGIT:
            chars |= _WINDOWS_1252_DIGITS
        else:  # a negated class, \w, \s, ...
            return _ANY_AT
    return frozenset(chars)


_NEVER = re.compile("(?!)")  # an expression that matches no line


# ---------------------------------------------------------------- first characters of an expression


@lru_cache(maxsize=4096)
def top_level_alternatives(pattern: str) -> tuple[str, ...]:
    """The alternatives of ``pattern`` at its top level ("a|b(c|d)" -> "a", "b(c|d)"): a line matches
    the pattern whole exactly when it matches one of them whole. The pattern itself (one piece)
    when splitting could change what it means: global inline flags ("(?x)..."), back-references
    and conditionals (a piece numbers its groups afresh), or an expression that does not compile."""
    if (
        pattern.startswith("(?")
        and pattern[2:3].isalpha()
        and ")" in pattern
        and ":" not in pattern[: pattern.index(")")]
    ):
        return (pattern,)
    if re.search(r"\\[1-9]|\(\?P=|\(\?\(", pattern) is not None:
        return (pattern,)
    pieces: list[str] = []
    depth = 0
    start = 0
    i = 0
    in_class = False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            if c == "]":
                in_class = False
        elif c == "[":
            in_class = True
            if pattern[i + 1 : i + 2] == "^":
                i += 1
            if pattern[i + 1 : i + 2] == "]":  # "[]...]": a closing bracket first is a member
                i += 1
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            pieces.append(pattern[start:i])
            start = i + 1
        i += 1
    pieces.append(pattern[start:])
    if len(pieces) == 1 or depth != 0 or in_class:
        return (pattern,)
    try:
        for piece in pieces:
            re.compile(piece)
    except re.error:
        return (pattern,)
    return tuple(pieces)


_QUANTIFIERS = "?*+{"
_CLASS_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "f": "\f", "v": "\v"}


_ANY = ""  # in a set of first characters: any character (".", "\\w", a class with "^")
_ANY_CHAR = "\x00any"  # what _escape gives for an escape that stands for many characters


class _Unknown(Exception):
    """Syntax first_chars does not read: the expression is tried on every line."""


def first_chars(pattern: str) -> frozenset[str] | None:
    """The characters a match of ``pattern`` may start with, read from its text (the syntax the
    shipped expressions use: literal and escaped characters, groups of alternatives, character
    classes of characters and ranges, ``\\d``, quantifiers); None when it may start with white
    space or a bullet (the line's leaders), may match nothing, or uses anything else (``.``,
    ``\\w``, lookarounds, flags, back references). A superset, as characters of the expression
    (matched case-insensitively): ``tests/test_boilerplate.py`` checks every shipped expression on
    strings that hypothesis makes from it."""
    read = _read(pattern)
    if read is None:
        return None
    first, nullable, _longest = read
    if nullable or not first or _ANY in first or any(c in _LEADERS for c in first):
        return None
    return frozenset(first)


def longest_match(pattern: str) -> int | None:
    """The most characters a match of ``pattern`` may hold (None: no bound, or not read): a line
    whose core is longer is not tried against it."""
    read = _read(pattern)
    return None if read is None else read[2]


@lru_cache(maxsize=4096)
def _read(pattern: str) -> tuple[frozenset[str], bool, int | None] | None:
    try:
        first, nullable, longest, end = _alternatives(pattern, 0)
    except _Unknown:
        return None
    if end != len(pattern):
        return None
    return frozenset(first), nullable, longest


# (first characters, may match nothing, most characters or None, position after)
_Part = tuple[set[str], bool, "int | None", int]


def _add(a: int | None, b: int | None) -> int | None:
    return None if a is None or b is None else a + b


def _alternatives(p: str, i: int) -> _Part:
    first: set[str] = set()
    nullable = False
    longest: int | None = 0
    while True:
        f, n, most, i = _sequence(p, i)
        first |= f
        nullable = nullable or n
        longest = None if longest is None or most is None else max(longest, most)
        if i < len(p) and p[i] == "|":
            i += 1
            continue
        return first, nullable, longest, i


def _sequence(p: str, i: int) -> _Part:
    first: set[str] = set()
    nullable = True  # every item so far may match nothing
    longest: int | None = 0
    while i < len(p) and p[i] not in "|)":
        f, n, most, i = _atom(p, i)
        if i < len(p) and p[i] in _QUANTIFIERS:
            low, high, i = _quantifier(p, i)
            n = n or low == 0
            most = None if most is None or high is None else most * high
        if nullable:
            first |= f
            nullable = n
        longest = _add(longest, most)
    return first, nullable, longest, i


def _quantifier(p: str, i: int) -> tuple[int, int | None, int]:
    """(lowest count, highest count or None, position after) of the quantifier at ``p[i]`` (and
    a lazy or possessive mark)."""
    c = p[i]
    high: int | None
    if c == "{":
        end = p.find("}", i)
        body = p[i + 1 : end] if end > 0 else ""
        low, _comma, top = body.partition(",")
        if end < 0 or not (low.isdigit() or (low == "" and _comma)) or not (top.isdigit() or top == ""):
            raise _Unknown
        low_count = int(low or 0)
        high = (int(top) if top else None) if _comma else low_count
        i = end + 1
    else:
        low_count, high, i = (1 if c == "+" else 0), (1 if c == "?" else None), i + 1
    if i < len(p) and p[i] in "?+":
        i += 1
    return low_count, high, i


def _atom(p: str, i: int) -> _Part:
    c = p[i]
    if c == "(":
        if p.startswith("(?:", i):
            i += 3
        elif p.startswith("(?P<", i):
            i = p.index(">", i) + 1
        elif p.startswith(("(?=", "(?!", "(?<=", "(?<!"), i):
            # a lookaround consumes nothing: it may only narrow what follows
            _f, _n, _m, i = _alternatives(p, i + (4 if p[i + 2] == "<" else 3))
            if i >= len(p) or p[i] != ")":
                raise _Unknown
            return set(), True, 0, i + 1
        elif p.startswith("(?", i):
            raise _Unknown  # flags, comments, conditionals
        else:
            i += 1
        first, nullable, longest, i = _alternatives(p, i)
        if i >= len(p) or p[i] != ")":
            raise _Unknown
        return first, nullable, longest, i + 1
    if c == "[":
        chars, nullable, i = _class(p, i)
        return chars, nullable, 1, i
    if c == "\\":
        found, i = _escape(p, i)
        if not found:
            return set(), True, 0, i  # a zero-width assertion consumes nothing
        return ({_ANY} if found == _ANY_CHAR else {found} if found == _DIGIT else set(found)), False, 1, i
    if c == ".":
        return {_ANY}, False, 1, i + 1
    if c in "^$":
        return set(), True, 0, i + 1  # an anchor consumes nothing
    if c in _QUANTIFIERS or c in ")|":
        raise _Unknown
    return {c}, False, 1, i + 1


def _escape(p: str, i: int) -> tuple[str, int]:
    """(characters, position after) of the escape at ``p[i]``; "" for a zero-width one (``\\b``)."""
    if i + 1 >= len(p):
        raise _Unknown
    e = p[i + 1]
    if e == "d":
        return _DIGIT, i + 2
    if e in _CLASS_ESCAPES:
        return _CLASS_ESCAPES[e], i + 2
    if e in "bBAZ":
        return "", i + 2
    if e.isascii() and e.isalnum():
        return _ANY_CHAR, i + 2  # \w, \s, \S, \x.., back references: about anything
    return e, i + 2


def _class(p: str, i: int) -> tuple[set[str], bool, int]:
    i += 1
    negated = i < len(p) and p[i] == "^"
    i += negated
    chars: set[str] = set()
    start = i
    while i < len(p) and (p[i] != "]" or i == start):
        if p[i] == "\\":
            got, i = _escape(p, i)
            if not got or got == _ANY_CHAR:
                negated = True  # \\w, \\b (a backspace here) in a class: about anything
            elif got == _DIGIT:
                chars.add(_DIGIT)
            else:
                chars.update(got)
            continue
        if p[i] == "[":
            raise _Unknown  # a set operation or a POSIX class
        if i + 2 < len(p) and p[i + 1] == "-" and p[i + 2] != "]":
            low, high = ord(p[i]), ord(p[i + 2])
            if p[i + 2] == "\\" or high < low or high - low > 256:
                raise _Unknown
            chars.update(chr(x) for x in range(low, high + 1))
            i += 3
            continue
        chars.add(p[i])
        i += 1
    if i >= len(p):
        raise _Unknown
    return ({_ANY} if negated else chars), False, i + 1


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


# How a line is classed on its own (see line_kind); whether a weak or short line is furniture
# depends on its neighbours (boilerplate_lines).
PROSE, STRONG, WEAK, SHORT, GLUE, MAYBE = 0, 1, 2, 3, 4, 5
SHORT_CHARS = 60  # a short line: at most this many characters,
SHORT_WORDS = 6  # ... this many words, and no sentence's final full stop, question or exclamation mark
EDGE_REACH = 8  # a run at the text's edge counts by a weak line at most this many lines from it
SHORT_REACH = 2  # a short line counts when furniture is at most this many lines away in its run


def boilerplate_lines(text: str, pats: Patterns) -> list[tuple[int, int, str]]:
    """(start, end, category) of each line of furniture (the span trimmed of white space).

    A line is furniture on its own (a pattern, an exact phrase, furniture words: STRONG) or by
    its place, as jusText judges short paragraphs by their neighbours: furniture comes in blocks
    (the menu before the article, the share row, the footer). The lines that are not prose
    (strong; weak: menu items such as "Contact" or "Twitter"; short: a few words without a
    sentence's final punctuation; glue: no letters) form runs between prose lines; a run holding
    a strong line or two weak ones is a block of furniture (``_block``). A weak or short line alone
    (a README's "Contact" heading, an article's subheading) stays.

    A line longer than VOCABULARY_CHARS is read for the phrases of needed-phrase expressions and
    "contains" entries (cookie and affiliate notices, "All rights reserved") only where notices
    stand: among the first or last EDGE_LINES lines of a text of two lines or more, or beside a
    line that is not prose (a block of furniture, a heading); a paragraph between two sentences
    is the article's, and a text of one line (a title, an excerpt) is read by its expressions.

    A short line is classed once per process (menu items, buttons and bylines recur across
    clippings): ``plain_boilerplate_lines`` classes every line afresh, and tests/test_boilerplate.py
    proves the two equal."""
    kinds: list[tuple[int, int, int, str]] = []  # (start, end, kind, category) of the non-blank lines
    sizes: list[int] = []  # the length of each of those lines
    memo = _LINE_KINDS.table(pats)
    longest = pats.longest  # longer lines are prose: only their place matters
    short = max(VOCABULARY_CHARS, pats.phrase_max)  # longer lines: expressions only; shorter: memo
    pos = 0
    for line in text.split("\n"):
        start = pos
        n = len(line)
        pos += n + 1
        if not n:
            continue
        if n > longest:
            if not line.isspace():
                kinds.append((start, start, PROSE, ""))
                sizes.append(n)
            continue
        if n > short:  # a paragraph, most of the time: its expressions only (line_kind's answer)
            category = _paragraph_category(line, pats)
            stripped = line.strip()
            lead = n - len(line.lstrip())
            kinds.append(
                (start + lead, start + lead + len(stripped), PROSE if category is None else STRONG, category or "")
            )
            sizes.append(n)
            continue
        got = memo.get(line)
        if got is None:
            stripped = line.strip()
            if not stripped:
                continue
            got = memo[line] = (
                line_kind(line, stripped, pats, n <= VOCABULARY_CHARS),
                n - len(line.lstrip()),
                len(stripped),
            )
        (kind, category), lead, size = got
        if size:
            kinds.append((start + lead, start + lead + size, kind, category))
            sizes.append(n)
    if len(kinds) < 2 and (not kinds or kinds[0][2] == PROSE):
        return []  # a text of one line of prose (a title, an excerpt): no notice to read, nothing to judge
    _read_notices(text, kinds, sizes, pats)
    return _judged(text, kinds, sizes, pats.vocabulary)


def _paragraph_category(line: str, pats: Patterns) -> str | None:
    """``line_category(line, pats, phrases=False)`` of a line longer than VOCABULARY_CHARS and
    ``pats.phrase_max`` but not than MAX_LINE (the one thing line_kind asks of such a line),
    without its detours: a paragraph is the usual line of a body."""
    head = line.lstrip(_LEADERS)[:1]
    core = len(line.strip(_AROUND))
    size = 3 if core >= SIZES[3] else 2 if core >= SIZES[2] else 1 if core >= SIZES[1] else 0
    if _windows_1252(line):
        key = (head.lower(), size)
        fast = pats.lowered[key] if key in pats.lowered else pats.lowered_expression_for(*key)
        if fast is None:
            m = pats.expression_for(head, size).match(line)
        else:
            lowered = line.lower()
            m = None if pats.cannot_start(key, lowered) else fast.match(lowered)
    elif pats.folded_cannot_start(line, head, size):
        m = None
    else:
        m = pats.expression_for(head, size).match(line)
    return None if m is None else pats.groups.get(m.lastgroup or "", "page-chrome")


def plain_boilerplate_lines(text: str, pats: Patterns) -> list[tuple[int, int, str]]:
    """What ``boilerplate_lines`` gives, every line classed afresh (the reference its memo is
    proved equal to)."""
    kinds: list[tuple[int, int, int, str]] = []
    sizes: list[int] = []
    pos = 0
    for line in text.split("\n"):
        start = pos
        pos += len(line) + 1
        if len(line) > max(MAX_LINE, pats.phrase_max) and not line.isspace():
            kinds.append((start, start, PROSE, ""))
            sizes.append(len(line))
            continue
        stripped = line.strip()
        if stripped:
            at = start + line.index(stripped[0])
            kind, category = line_kind(line, stripped, pats, len(line) <= VOCABULARY_CHARS)
            kinds.append((at, at + len(stripped), kind, category))
            sizes.append(len(line))
    _read_notices(text, kinds, sizes, pats)
    return _judged(text, kinds, sizes, pats.vocabulary)


EDGE_LINES = 2  # a long line among the first or last this many lines may be a notice


def _read_notices(text: str, kinds: list[tuple[int, int, int, str]], sizes: Sequence[int], pats: Patterns) -> None:
    """The long prose lines (longer than VOCABULARY_CHARS, at most MAX_LINE) that stand where
    notices stand (see boilerplate_lines: at an edge of the text, or beside a line that is not
    prose: furniture, a notice found included, or a short line such as a heading) are read for
    their phrases; those that hold one are strong."""
    last = len(kinds) - 1
    if last < 1:  # a text of one line (a title, an excerpt) has no place where a notice stands
        return
    long = [k for k in range(len(kinds)) if kinds[k][2] == PROSE and VOCABULARY_CHARS < sizes[k] <= MAX_LINE]
    if not long:
        return
    read = [False] * len(kinds)

    def beside_furniture(k: int) -> bool:
        return kinds[k - 1][2] != PROSE or kinds[k + 1][2] != PROSE

    # forwards, then backwards: a notice found makes its neighbours stand where notices stand
    for order in (long, long[::-1]):
        for k in order:
            if read[k] or kinds[k][2] != PROSE:
                continue
            if EDGE_LINES <= k <= last - EDGE_LINES and not beside_furniture(k):
                continue
            read[k] = True
            start, end = kinds[k][0], kinds[k][1]
            line = text[start:end]
            category = phrase_category(line, line.lower(), pats)
            if category is not None:
                kinds[k] = (start, end, STRONG, category)


SANDWICH_CHARS = 200  # a longer line between two lines of furniture is still the article's
HEADER_WORDS = 4  # a heading of a list of links has at most this many words
TEASER_CHARS = 160  # ... and the links under it (headlines) at most this many characters
# a heading of reading on ("Further reading", "Topics:"); not of the page's own furniture ("Let's Partner"
# over a landing page's bullet points) nor of comments or sharing ("Discussion list", "following
# arguments:" head a README's lists)
_HEADER_CATEGORIES = frozenset({"read-more"})
_SENTENCE_END = tuple(".!?:\"”'’)。！？")  # (a colon: a label of its own, not a link)


def _judged(
    text: str, kinds: list[tuple[int, int, int, str]], sizes: Sequence[int], vocabulary: Vocabulary
) -> list[tuple[int, int, str]]:
    """The furniture of a text whose lines are classed: some lines judged by their neighbours
    (``_by_context``), then the blocks (``_blocks``). An article without furniture (the usual
    text) is told by one count."""
    types = [r[2] for r in kinds]
    if types.count(PROSE) == len(types):
        return []
    if STRONG not in types and WEAK not in types and MAYBE not in types:
        # short lines and glue alone (a dateline, a subheading): no heading of links, no sentence
        # between furniture, no block (tests/test_boilerplate.py proves it on every such text)
        return []
    _by_context(text, kinds, types, sizes, vocabulary)
    return _blocks(text, kinds)


def _by_context(
    text: str, kinds: list[tuple[int, int, int, str]], types: list[int], sizes: Sequence[int], vocabulary: Vocabulary
) -> None:
    """Lines judged by their neighbours before the blocks are: headings of lists of links
    (``_list_headings``) and sentences between two lines of furniture (``_between_furniture``).
    What a text holds is counted first (in C); ``types``: the kinds of ``kinds``, kept in step."""
    if WEAK in types or MAYBE in types:
        _list_headings(text, kinds, types, vocabulary)
    if types.count(STRONG) >= 2:
        _between_furniture(text, kinds, types, sizes, vocabulary)


def _list_headings(text: str, kinds: list[tuple[int, int, int, str]], types: list[int], vocabulary: Vocabulary) -> None:
    """A heading of furniture words over a list of links ("Further reading", "Related briefings",
    "Around the Web:" over headlines; "Topics:", "Posted In:" over tags) is a box of the page, as a
    subheading of the article is not: it is a weak line or a maybe of reading on, of at most
    HEADER_WORDS words (two at least, or a colon: one word is a table's column as often), and the
    lines under it are links: no sentence's end, at most TEASER_CHARS characters, two of them (one
    when the heading ends with a colon: a label). Such a heading is STRONG (its links are the
    site's, and stay as they were). ``types``: the kinds of ``kinds``, kept in step."""
    last = len(kinds) - 1
    for k in [k for k, t in enumerate(types) if t in (WEAK, MAYBE)]:
        start, end, _kind, category = kinds[k]
        if k == last:
            continue
        heading = text[start:end]
        label = heading.endswith(":")
        words = len(heading.split())
        # one word without a colon is a table's column as often ("Link" over the shops' names); a
        # heading starts with a letter that is no small one (not "services:", ":local:", "## Community")
        if words > HEADER_WORDS or (words < 2 and not label) or not heading[0].isalpha() or heading[0].islower():
            continue
        # of reading on by its words ("Topics:" is a weak line of the page's chrome, "More ›" a link
        # off); "Honourable mentions:" is not
        by_words = vocabulary_kind(heading, vocabulary)
        if by_words is None or by_words[1] not in _HEADER_CATEGORIES:
            continue
        wanted = 1 if label else 2
        under = [j for j in range(k + 1, last + 1) if types[j] != GLUE][:wanted]
        # links, or a link and then the next box ("Related briefings" over one headline and "You may
        # also like")
        links = [_link_like(text, kinds[j]) for j in under]
        if (
            len(under) == wanted
            and links[0]
            and all(link or types[j] == STRONG for link, j in zip(links, under, strict=True))
        ):
            kinds[k] = (start, end, STRONG, category)
            types[k] = STRONG


def _link_like(text: str, row: tuple[int, int, int, str]) -> bool:
    start, end, kind, _category = row
    if kind == STRONG or end == start or end - start > TEASER_CHARS:
        return False
    line = text[start:end]
    return not line.endswith(_SENTENCE_END) or line.endswith(("...", "…"))


def _between_furniture(
    text: str, kinds: list[tuple[int, int, int, str]], types: list[int], sizes: Sequence[int], vocabulary: Vocabulary
) -> None:
    """A sentence or two that stands between two strong lines of furniture (lines without letters
    aside) and names what furniture does ("When you tweet with a location, Twitter stores that
    location.", "Copy it to easily share with friends.", "Don't go off topic ...") is a box's text,
    as jusText judges a paragraph by its neighbours: a maybe of the category of its first furniture
    word (reported with the block around it). A line that holds no furniture word, code, or a line
    longer than SANDWICH_CHARS stays prose; so does one beside a weak line (a README's "Contact"
    heading over "See my contact page for details.", a podcast's "Download" link over the review).
    Not repeated: a line made furniture here does not make its neighbour furniture. Such a line is
    the one line but glue between two strong lines that follow each other among the strong ones."""
    strong = [k for k, t in enumerate(types) if t == STRONG]
    for before, after in itertools.pairwise(strong):
        if after - before < 2:
            continue
        between = [j for j in range(before + 1, after) if types[j] != GLUE]
        if len(between) != 1:
            continue
        k = between[0]
        start, end, kind, _category = kinds[k]
        if kind != PROSE or end == start or sizes[k] > SANDWICH_CHARS:
            continue
        category = furniture_word(text[start:end], vocabulary)
        if category is not None:
            kinds[k] = (start, end, MAYBE, category)


def word_category(word: str, vocabulary: Vocabulary) -> str | None:
    """The category of a lower-case word of furniture, or None; an elided article before it
    ("l'article") and the first parts of a hyphenated compound ("cookie-einstellungen": a compound
    names its kind last) aside."""
    category = vocabulary.words.get(word)
    if category is not None:
        return category
    if "'" in word or "’" in word:
        head, _sep, rest = word.replace("’", "'").partition("'")
        return vocabulary.words.get(rest) if head in _ELIDED else None
    if "-" in word:
        last = word.rpartition("-")[2]
        return vocabulary.words.get(last) if len(last) >= COMPOUND_TAIL else None
    return None


def furniture_word(line: str, vocabulary: Vocabulary) -> str | None:
    """The category of the first furniture word of a line of prose, or None (none, or code)."""
    lowered = line.lower()
    words = _ASCII_WORD.findall(lowered) if lowered.isascii() else _WORD.findall(lowered)
    for word in words:
        category = word_category(word, vocabulary)
        if category is not None:
            return None if _CODE.search(line) is not None else category
    return None


def _blocks(text: str, kinds: list[tuple[int, int, int, str]]) -> list[tuple[int, int, str]]:
    """The furniture of a text whose lines are classed: each run of lines that are not prose is
    judged as a block (``_block``)."""
    if all(k[2] == PROSE for k in kinds):  # an article without furniture: the usual text
        return []
    _promote_repeated(text, kinds)
    out: list[tuple[int, int, str]] = []
    i, n = 0, len(kinds)
    while i < n:
        if kinds[i][2] == PROSE:
            i += 1
            continue
        j = i
        while j < n and kinds[j][2] != PROSE:
            j += 1
        out.extend(_block(kinds[i:j], i == 0, j == n))
        i = j
    return out


def _promote_repeated(text: str, kinds: list[tuple[int, int, int, str]]) -> None:
    """A weak line that recurs in the text ("Reply", "Posted by:", "Image caption" under each
    comment or picture) is a template's: strong (an article does not repeat a menu word on a line
    of its own; repeated short lines that are no furniture words, "Chorus:", stay short)."""
    weak = [k for k, r in enumerate(kinds) if r[2] in (WEAK, MAYBE)]
    if len(weak) < 2:
        return
    seen: dict[str, list[int]] = {}
    for k in weak:
        seen.setdefault(text[kinds[k][0] : kinds[k][1]].lower(), []).append(k)
    for line, same in seen.items():
        # thrice, or twice when it is more than one word (a heading and its table-of-contents entry:
        # "Contact" twice in a README)
        if len(same) >= 3 or (len(same) == 2 and len(line.split()) >= 2):
            for k in same:
                start, end, _kind, category = kinds[k]
                kinds[k] = (start, end, STRONG, category)


def _block(run: Sequence[tuple[int, int, int, str]], at_start: bool, at_end: bool) -> Iterator[tuple[int, int, str]]:
    """The furniture of a run of lines that are not prose (see boilerplate_lines). A short line
    counts when, on each side, a strong or weak line of the run is at most ``SHORT_REACH`` lines
    away, or the text's edge is (``at_start``: no prose before the run; ``at_end``: none after):
    between a menu and the article its title has the article on one side. Lines without letters
    (GLUE: "|", "1", "2", "×") are not counted in those distances, and count when the lines on
    both sides of them do (or the text's edge is on one side)."""
    strong = sum(1 for r in run if r[2] == STRONG)
    weak = sum(1 for r in run if r[2] in (WEAK, MAYBE))
    # a run at the text's edge (the page's header or footer: no prose on one side) needs one
    # weak line (not a maybe) and a line beside it; inside the text two
    # (and the weak line near that edge: a table's column heading far down a long run of cells is
    # the article's, "Language" over a table of scripts)
    last_line = len(run) - 1
    edge = len(run) >= 2 and any(
        r[2] == WEAK and ((at_start and k < EDGE_REACH) or (at_end and last_line - k < EDGE_REACH))
        for k, r in enumerate(run)
    )
    if not strong and weak < 2 and not edge:
        return
    lines = [k for k, r in enumerate(run) if r[2] != GLUE]  # the run without its glue
    evidence = [n for n, k in enumerate(lines) if run[k][2] != SHORT]
    last = len(lines) - 1
    counted = [False] * len(run)
    for n, k in enumerate(lines):
        if run[k][2] in (SHORT, MAYBE):
            before = any(0 < n - e <= SHORT_REACH for e in evidence) or (at_start and n <= SHORT_REACH)
            after = any(0 < e - n <= SHORT_REACH for e in evidence) or (at_end and last - n <= SHORT_REACH)
            if not (before and after):
                continue
        counted[k] = True
    for k, (start, end, kind, category) in enumerate(run):
        if kind == GLUE:  # beside a counted line, and no uncounted line of the run on its other side
            prev = next((counted[j] for j in range(k - 1, -1, -1) if run[j][2] != GLUE), None)
            following = next((counted[j] for j in range(k + 1, len(run)) if run[j][2] != GLUE), None)
            if not (prev or following) or prev is False or following is False:
                continue
        elif not counted[k]:
            continue
        yield start, end, category


def line_kind(line: str, stripped: str, pats: Patterns, phrases: bool = True) -> tuple[int, str]:
    """(kind, category) of a line on its own: STRONG (a pattern, an exact phrase, a "contains"
    phrase, a row of links run together), WEAK (a menu item, a button), SHORT or PROSE."""
    key = phrase_key(stripped) if len(line) <= pats.phrase_max or len(stripped) <= pats.phrase_max else None
    category = line_category(line, pats, phrases, key)  # phrase_key(line) is phrase_key(stripped)
    if category is not None:
        return STRONG, category
    n = len(stripped)
    if key is not None and n <= pats.phrase_max:
        weak = pats.phrases.get(key)
        if weak is not None:  # strong phrases were found by line_category
            return WEAK, weak[0]
        if _camel(stripped):
            glued = _glued_links(stripped, pats)
            if glued is not None:
                return STRONG, glued
    if n <= VOCABULARY_CHARS:
        found_kind = vocabulary_kind(stripped, pats.vocabulary)
        if found_kind is not None:
            return found_kind
        if n >= GLUED_MIN and _ONE_TOKEN.fullmatch(stripped) is not None:
            found_kind = glued_words(stripped, pats.vocabulary)
            if found_kind is not None:
                return found_kind
        # no letters, one or two characters, or letters one by one ("A A A": a text-size control)
        if n <= GLUE_CHARS and (n <= 2 or _LETTER.search(stripped) is None or _SINGLE_LETTERS.fullmatch(stripped)):
            return GLUE, "page-chrome"
    if n <= VOCABULARY_CHARS and _separated(stripped) and _NOT_A_TRAIL.search(stripped) is None:
        return WEAK, "navigation"
    if n <= SHORT_CHARS and _is_short(stripped):
        return SHORT, "page-chrome"
    return PROSE, ""


# A line that links off: it starts or ends with a navigation mark set apart by a space ("More ›",
# "ARCHIVE |", "« Older"), or is a row or a trail cut twice by one such mark ("Blogs | Quizzes |
# Video", "News > Economy > Business"): the separators of menus, breadcrumbs and link rows (not
# the middle dot inside a name, "Ayrault «assume»", a file tree, a prompt, a quotation or a table).
_SEPARATED = re.compile(r"^[›»«‹→←•·] |\s[|›»→•·]$|\s([|›»>→•·])\s.*\s\1(?:\s|$)")
# Each alternative of _SEPARATED holds one of these marks; most lines hold none, told by two memchr
# scans of an ASCII line ("|" and ">" are its ASCII marks) or one character class of another.
_SEPARATOR_MARK = re.compile("[›»«‹→←•·|>]")


def _separated(line: str) -> bool:
    """``_SEPARATED.search(line) is not None``, the search tried only on a line that holds one of its
    marks (~1.3 us a title without one, for a regular expression tried at every position);
    tests/test_text_fastpaths.py proves the two equal."""
    if line.isascii():
        if "|" not in line and ">" not in line:
            return False
    elif _SEPARATOR_MARK.search(line) is None:
        return False
    return _SEPARATED.search(line) is not None


# a file tree ("| |-- bin/"), a prompt, markup, a quotation (a line that starts with ">"), a table
# row ("| a | b |")
_NOT_A_TRAIL = re.compile(r"--|>>>|<|^>|^\|.*\|$")


VOCABULARY_CHARS = 80  # longer lines are not read word by word
VOCABULARY_WORDS = 12
VOCABULARY_STRONG_WORDS = 5  # a longer line of furniture words is a sentence ("Just watch what I show you")
GLUE_CHARS = 12  # a line without letters up to this long: a counter, a separator, a page number
_SINGLE_LETTERS = re.compile(r"[^\W\d_](?: [^\W\d_]){1,5}")
# line -> ((kind, category), leading white space, stripped length) of the short lines met (a
# blank line: size 0), for one Patterns object
_LINE_KINDS: ShortTextMemo[tuple[tuple[int, str], int, int]] = ShortTextMemo(max_chars=VOCABULARY_CHARS, limit=65536)
UNSPACED_LETTERS = 16  # a line of a language without spaces: at most this many letters
_LETTER = re.compile(r"[^\W\d_]")
# code and data: braces, assignments, markup, quoted keys and values, a call ("print(user)"), a
# snake_case name ("app_user"), a command-line option, a prompt, a lower-case key with its value
# ("version: 1.3.5"), markup of reStructuredText (":alt:", ".. _target:") and Markdown ("`name`"), an
# INI section ("[section1]")
_CODE = re.compile(
    r'[{}=;<>\\`]|":|: [\'"]|\[\]|--[a-z]|^\$ |[a-z_]\(|[a-z0-9]_[a-z0-9]|^[a-z][\w-]*: \S'
    r"|^:[a-z]+:|^\.\. |^\[[\w.-]+\]"
)
_WORD = re.compile(r"[^\W\d_]+(?:[-'’+.][^\W\d_]+)*\+?")
_ASCII_WORD = re.compile(r"[a-z]+(?:[-'+.][a-z]+)*\+?")  # _WORD on a lower-cased ASCII line (proved equal)
# vocabulary_kind's screen: the bytes of an ASCII line that join letters into one of _ASCII_WORD's words
# (deleting all others leaves them), and a table that makes every byte but a small letter a space
_NOT_JOINER = bytes(b for b in range(256) if b not in b"-'+.")
_LETTER_RUNS = bytes(b if 0x61 <= b <= 0x7A else 0x20 for b in range(256))
# Scripts written without spaces between words (their lines are read as a whole).
_UNSPACED = re.compile(r"[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")


def vocabulary_kind(line: str, vocabulary: Vocabulary) -> tuple[int, str] | None:
    """(STRONG or WEAK, category) of a short line made of furniture words (see ``vocabulary`` in
    boilerplate.yaml), or None. Function words aside, a line of a few words (up to four) whose
    words are furniture words but one at most is WEAK ("Email This", "Reader Discussion"), and
    STRONG when two or more are and none is not ("Login With Facebook", "Subscribe to this RSS
    feed"); a longer line (up to VOCABULARY_WORDS) is WEAK when at least half of its words are,
    two at least ("Please follow Money Game on Twitter and Facebook."). A line of a language
    written without spaces (few letters) is WEAK when it holds one of its furniture words, STRONG
    with two."""
    lowered = line.lower()
    if lowered.isascii():
        if vocabulary.ascii_words is not None:
            # Without a character that joins letters into one word ("e-mail", "l'article",
            # "google+", "e.g"), the words _ASCII_WORD finds are the runs of letters, split at C
            # speed (a title's findall is ~0.9 us): a line of more than two words (fewer may be a
            # count, "12 Comments") none of which is a furniture word is no furniture
            # (tests/test_text_fastpaths.py proves the answer the same).
            encoded = lowered.encode("ascii")
            if not encoded.translate(None, _NOT_JOINER):
                runs = encoded.translate(_LETTER_RUNS).split()
                if not runs or len(runs) > VOCABULARY_WORDS:
                    return None
                if len(runs) > 2 and vocabulary.ascii_words.isdisjoint(runs):
                    return None
        words = _ASCII_WORD.findall(lowered)
    elif _UNSPACED.search(lowered) is not None:
        return None if _CODE.search(line) is not None else _unspaced_kind(lowered, vocabulary)
    else:
        words = _WORD.findall(lowered)
    if not words or len(words) > VOCABULARY_WORDS:
        return None
    if len(words) <= 2 and _COUNT.fullmatch(lowered.strip()) is not None:
        return STRONG, vocabulary.words.get(words[-1] if lowered.lstrip()[:1].isdigit() else words[0], "page-chrome")
    if not ("-" in lowered or "'" in lowered or "’" in lowered) and vocabulary.words.keys().isdisjoint(words):
        # no word is a furniture word (word_category looks up elided and hyphenated words' parts
        # too, and only them): whatever the other words, no furniture (tests/test_text_fastpaths.py)
        return None
    found: list[str] = []
    other = 0
    # in capitals, a short line is a box's heading or a button ("FOLLOW FOX NEWS POLITICS",
    # "SUBSCRIBE TO DEADLINE NEWS"): two other words are let through
    capitals = len(words) <= 4 and line.isupper()
    most = (2 if capitals else 1) if len(words) <= 4 else len(words) // 2  # more other words: no furniture
    for word in words:
        category = word_category(word, vocabulary)
        if category is not None:
            found.append(category)
        elif word not in vocabulary.function:
            other += 1
            if other > most:
                return None
    if not found or _CODE.search(line) is not None:  # code and data ('"tags": [],') are no menu
        return None
    last = line.rstrip()[-1:]
    if last == "." and not line.rstrip().endswith(".."):
        if len(words) <= 4:  # a short sentence ("Article text.") is no button
            return None
    elif len(found) >= 2 and not other and len(words) <= VOCABULARY_STRONG_WORDS:
        return STRONG, found[0]
    if len(words) <= 4:  # with another word ("What Comes Next") it is a maybe, of its category
        return (WEAK if not other or capitals else MAYBE, found[0]) if other <= most else None
    # a longer line: a sentence ("See my contact page for details.") only with no other word, or
    # when it asks the reader to act on furniture ("Please follow Money Game on Twitter and
    # Facebook.": a call to action, see ``calls``); a line ending in "..." is no sentence
    sentence = last in ".!?" and not line.rstrip().endswith("..")
    if len(found) >= 2 and (not other if sentence else len(found) >= other):
        return WEAK, found[0]
    if len(found) >= 2 and len(found) >= other and _call_to_action(words, found, vocabulary):
        return WEAK, found[0]
    return None


_CHANNELS = frozenset({"share-prompt", "subscribe-prompt", "login-prompt", "comment-form"})


# a count of what readers did ("12 Comments", "1.2K shares", "Views: 1,209"): a number (with a
# thousands "k" or millions "m") beside one such word, and nothing else
_COUNTED = (
    "comments|comment|replies|reply|responses|shares|share|views|likes|reactions|followers|subscribers|reads|votes"
    "|kommentare|kommentar|commentaires|commentaire|comentarios|comentario|commenti|reacties|comentários"
    "|partages|aufrufe|visitas|vues|mal gelesen|lectures|комментариев|комментария|комментарий|просмотров"
)
_COUNT = re.compile(rf"[\d.,]{{1,9}} ?[km]?\+? ({_COUNTED})|({_COUNTED}) ?:? ?[\d.,]{{1,9}} ?[km]?\+?")
COMPOUND_TAIL = 5  # letters of the last part of a hyphenated word looked up alone (not "python-app")
# the elided article before a furniture word ("l'article", "Partager l'article", "dell'articolo"); not "d'"
# ("Nombre d'articles" heads a table's column)
_ELIDED = frozenset({"l", "dell", "all", "nell", "sull"})


def _call_to_action(words: Sequence[str], found: Sequence[str], vocabulary: Vocabulary) -> bool:
    """A sentence that asks the reader to do something with the site's furniture: it names a
    channel (a furniture word of sharing, subscribing, logging in or commenting) and speaks to the
    reader ("you", "your", "us", "please": ``reader_words``) or starts with a verb of such a call
    ("Follow", "Subscribe", "Add": ``calls``). An article's sentence about social media tells of
    others ("Users can share posts on Facebook, the company said.")."""
    if _CHANNELS.isdisjoint(found):
        return False
    return words[0] in vocabulary.calls or not vocabulary.reader.isdisjoint(words)


def _unspaced_kind(lowered: str, vocabulary: Vocabulary) -> tuple[int, str] | None:
    letters = "".join(ch for ch in lowered if ch.isalpha() or unicodedata.category(ch)[0] == "M")
    if len(letters) > 2 * UNSPACED_LETTERS:
        return None
    found = [(category, word) for category, word in vocabulary.unspaced if word in letters]
    # few letters, or furniture words that make up a good part of them ("เรื่องที่เกี่ยวข้อง")
    if not found or (len(letters) > UNSPACED_LETTERS and 5 * sum(len(w) for _c, w in found) < 2 * len(letters)):
        return None
    return (STRONG if len(found) >= 2 else WEAK), found[0][0]


_CAMEL = re.compile(r"[a-zà-öø-ÿ\)][A-ZÀ-ÖØ-Þ]")  # "FacebookTwitter", "DatenschutzKontakt", "(UPDATED)Terms"


def _camel(line: str) -> bool:
    """``_CAMEL.search(line) is not None``, the search tried only on a line with a cased character
    after its first that is not lower case (its capitals are upper case: a title in sentence case
    holds none); tests/test_text_fastpaths.py proves the two equal."""
    return not line[1:].islower() and _CAMEL.search(line) is not None


_GLUE = re.compile(r"(?<=[a-zà-öø-ÿ\)])(?=[A-ZÀ-ÖØ-Þ])")


def _glued_links(line: str, pats: Patterns) -> str | None:
    """A row of links whose text was run together ("FacebookTwitterMail",
    "ImpressumNutzungshinweisDatenschutzKontakt"): two pieces or more, each a known line of
    furniture (strong or weak); the category of the first."""
    pieces = [piece for piece in _GLUE.split(line) if piece.strip(_EDGES)]
    if len(pieces) < 2:
        return None
    first: str | None = None
    for piece in pieces:
        found = pats.phrases.get(phrase_key(piece))
        category = found[0] if found is not None else line_category(piece, pats)
        if category is None:
            by_words = vocabulary_kind(piece, pats.vocabulary)
            # a maybe is no link of a row: "Recommended WebAnnotator options:" is a sentence's
            # product name cut at its capital ("Recommended Web" + "Annotator options:")
            if by_words is None or by_words[0] == MAYBE:
                return None
            category = by_words[1]
        first = first or category
    return first


GLUED_MIN = 8  # a shorter word is no row of links run together
GLUED_PIECE = 3  # each furniture word of such a row has at least this many letters
_ONE_TOKEN = re.compile(r"[^\W\d_][^\W\d_+-]*(?:[+-][^\W\d_]*)*\+?")  # letters, '+' and '-' ("Google+LinkedIn")


def glued_words(token: str, vocabulary: Vocabulary) -> tuple[int, str] | None:
    """(kind, category) of one word that is furniture words run together whatever their case
    ("COMMENTEMAILMORE", "FacebookEmailTwitterGoogle+LinkedInPinterest": the extraction lost the
    spaces between the links of a row; the capitals rule of ``_glued_links`` cannot split capitals
    or "+L"): STRONG of three words or more, WEAK of two ("Playback"); None when the letters are not
    such words from end to end (each of GLUED_PIECE letters at least)."""
    letters = "".join(ch for ch in token.lower() if ch.isalpha())
    joined = vocabulary.joined
    n = len(letters)
    # pieces[i]: the fewest-pieces split of letters[i:] into furniture words (None: no split)
    pieces: list[tuple[int, str] | None] = [None] * n + [(0, "")]
    for i in range(n - GLUED_PIECE, -1, -1):
        best: tuple[int, str] | None = None
        for j in range(i + GLUED_PIECE, min(n, i + GLUED_LONGEST) + 1):
            rest = pieces[j]
            category = joined.get(letters[i:j])
            if rest is not None and category is not None and (best is None or rest[0] + 1 < best[0]):
                best = (rest[0] + 1, category)
        pieces[i] = best
    found = pieces[0]
    if found is None or found[0] < 2:
        return None
    return (STRONG if found[0] >= 3 else WEAK), found[1]


GLUED_LONGEST = 16  # the longest furniture word looked for in such a row


def _is_short(stripped: str) -> bool:
    """A few words (a link, a button, a label) without a sentence's final punctuation."""
    last = stripped[-1]
    if last in ".!?" and not stripped.endswith(("...", "…")):
        return False
    words = stripped.split()
    return len(words) <= SHORT_WORDS and any(c.isalpha() for c in stripped)


def _lines(text: str) -> Iterator[tuple[int, int, str]]:
    pos = 0
    for line in text.split("\n"):
        yield pos, pos + len(line), line
        pos += len(line) + 1


def line_category(line: str, pats: Patterns, phrases: bool = True, phrase: str | None = None) -> str | None:
    """The category of a line of furniture on its own, or None: the expressions that may start
    with its first character, the exact catalogue phrases (of two words or more), then (unless
    ``phrases`` is false) the expressions whose needed phrase the line holds and the phrases a
    line of at most MAX_CONTAINS_LINE characters may hold anywhere. ``phrase``: the line's
    phrase_key, when the caller has it."""
    n = len(line)
    if not 0 < n <= pats.longest:
        return None
    lowered = line.lower()
    if n <= MAX_LINE:
        head = line.lstrip(_LEADERS)[:1]
        size = size_of(len(line.strip(_AROUND)))  # the pattern part holds at least the core
        if _windows_1252(line):
            key = (head.lower(), size)
            fast = pats.lowered[key] if key in pats.lowered else pats.lowered_expression_for(*key)
            if fast is not None and pats.cannot_start(key, lowered):
                fast = _NEVER
        else:
            fast = None
        if fast is not None:
            m = fast.match(lowered)
        elif not _windows_1252(line) and pats.folded_cannot_start(line, head, size):
            m = None
        else:
            m = pats.expression_for(head, size).match(line)
        if m is not None:
            return pats.groups.get(m.lastgroup or "", "page-chrome")
    if n <= pats.phrase_max:
        found = pats.phrases.get(phrase_key(line) if phrase is None else phrase)
        if found is not None and not found[1]:
            return found[0]
    if n > MAX_LINE or not phrases:
        return None
    return phrase_category(line, lowered, pats)


def phrase_category(line: str, lowered: str, pats: Patterns) -> str | None:
    """The category of a line by the phrases it holds: an expression whose needed phrase it holds
    that matches it, or a "contains" phrase (in a line of at most MAX_CONTAINS_LINE characters)."""
    # most lines hold none of the phrases: one search of them all (as a trie) says so
    finder = pats.phrase_finder(lowered.isascii())
    found = finder.search(lowered)
    if found is None:
        return None
    held = pats.phrases_in(lowered, finder, found)  # the phrases ``in`` the line, from the same search
    for needed, expression in pats.needed:
        if not held.isdisjoint(needed):
            m = expression.match(line)
            if m is not None:
                return pats.groups.get(m.lastgroup or "", "page-chrome")
    if len(line) <= MAX_CONTAINS_LINE:
        for phrase, category in pats.contains:
            if phrase in held:
                return category
    return None


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
            if kind == "body":
                hits = tuple(boilerplate_lines(text, pats))
                rec.derived["boilerplate_body"] = (text, pats, hits)  # for line_fingerprints
            elif len(text) > _HITS.max_chars:
                hits = tuple(boilerplate_lines(text, pats))
            elif (seen := known.get(text)) is not None:
                hits = seen  # a title or excerpt met before (related items are other clippings)
            else:
                hits = known[text] = tuple(boilerplate_lines(text, pats))
            if hits:
                out.extend(_findings(TextField(rec, field, text), hits))
    return out


_HITS: ShortTextMemo[tuple[tuple[int, int, str], ...]] = ShortTextMemo()


# ---------------------------------------------------------------- repeated lines (B201)
#
# Per file (the columns hook, in the workers): a 64-bit hash of each body line that could be site
# furniture, after normalising what changes from page to page (digits, month and day names, case,
# white space), with where the line is. In the corpus stage: the distinct files of each provider
# holding each hash are counted (one pass, hash grouping: O(N)); a line in at least
# ``repeat_min_files`` files and ``repeat_min_share`` of the provider's files is reported in each.

REPEAT_OPTIONS = {
    "repeat_min_files": 4,  # a quote cited twice or thrice is not furniture
    "repeat_min_share": 0.25,  # of the provider's clippings with a body: a template's lines are on most pages
    "repeat_min_chars": 12,  # shorter lines ("Photo", "Analysis") are headings as often as furniture
    "repeat_max_chars": 500,  # longer lines are paragraphs; cookie banners fit
    "repeat_max_related": 10,  # other files named in a finding (the message gives the count)
}
LINE_COLUMNS = ("line_hashes", "line_spans", "line_provider", "line_doc")
_DIGITS = re.compile(r"\d+")
# What str.split() splits an ASCII text at, beside one space: two spaces, the other white space.
_ASCII_SPACING = ("  ", "\t", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x1f")


@lru_cache(maxsize=8)
def _letters(n: int) -> re.Pattern[str]:
    """Matches a text that holds at least ``n`` letters (it stops at the n-th)."""
    return re.compile(rf"(?:[\W\d_]*[^\W\d_]){{{n}}}")


_MONTHS = re.compile(
    r"\b(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?"
    r"|nov(?:ember)?|dec(?:ember)?|mon(?:day)?|tue(?:s|sday)?|wed(?:nesday)?|thu(?:rs|rsday)?|fri(?:day)?"
    r"|sat(?:urday)?|sun(?:day)?|januar|februar|märz|mai|juni|juli|oktober|dezember|janvier|février|mars|avril"
    r"|juin|juillet|août|septembre|octobre|novembre|décembre|enero|febrero|marzo|abril|mayo|junio|julio|agosto"
    r"|septiembre|octubre|noviembre|diciembre|montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag"
    r"|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|lunes|martes|miércoles|jueves|viernes|sábado|domingo)\b"
)
# Tokens of a date or time once digits are 0 and months are <m>: "0", "0:0", "0/0/0", "<m>", "am",
# "gmt" ... A line made of these and fewer than four other words is a date stamp or a dateline.
_DATE_TOKEN = re.compile(
    r"[0:/.,()\-–—|]*(?:<m>|0|am|pm|a\.m\.|p\.m\.|gmt|utc|bst|cet|cest|est|edt|cst|cdt|pst|pdt|et|pt|ist|jst)?"
    r"[0:/.,()\-–—|]*"
)
# "WASHINGTON (AP) —", "LONDON, March 3 (Reuters) -": a dateline on a line of its own.
_DATELINE = re.compile(r"[A-Z][A-Z .'’-]{1,40}(?:,[^()\n]{0,30})?(?: ?\([\w .&’'-]{1,30}\))? ?[-—–:]*")


def repeat_key(line: str, min_chars: int, max_chars: int) -> str | None:
    """The line as its repeats are compared (lower case, white space collapsed, digits 0, month
    and day names <m>), or None when it is not counted: too short or too long, a date stamp or
    a dateline ("Updated March 3, 2021 10:15 am ET", "WASHINGTON (AP) —"), or data (half its
    words hold digits: "Arsenal 2 Chelsea 1")."""
    stripped = line.strip()
    if not min_chars <= len(stripped) <= max_chars:
        return None
    ascii_only = stripped.isascii()
    # " ".join(stripped.lower().split()), without the split where no white space is to collapse
    if ascii_only and not any(map(stripped.__contains__, _ASCII_SPACING)):
        key = stripped.lower()
    else:
        key = " ".join(stripped.lower().split())
    if any(map(key.__contains__, "0123456789")) if ascii_only else _DIGITS.search(key):
        tokens = key.split()
        if 2 * sum(1 for t in tokens if _DIGITS.search(t)) >= len(tokens):
            return None  # data (scores, codes, tables): lines that differ in their numbers differ
        key = _MONTHS.sub("<m>", _DIGITS.sub("0", key))
        tokens = key.split()
        words = [t for t in tokens if not _DATE_TOKEN.fullmatch(t)]
        if len(words) < len(tokens) and len(words) < 4:
            return None
    if _letters(min_chars // 2).match(key) is None:
        return None  # fewer letters than that
    if _DATELINE.fullmatch(stripped):
        return None
    return key


def line_hashes(keys: Sequence[str]) -> np.ndarray[Any, np.dtype[np.uint64]]:
    """Stable 64-bit hashes of repeat keys, all at once (pandas' SipHash-2-4 of their UTF-8 with a
    fixed key, in C: the same in every process and run; issue 19's index may keep them). A key
    with a lone surrogate (no UTF-8 reader makes one) is hashed as its escaped form."""
    safe = [k if k.isascii() or _SURROGATE.search(k) is None else _escaped(k) for k in keys]
    return pd.util.hash_array(np.asarray(safe, dtype=object), categorize=False)


def line_hash(key: str) -> int:
    """The hash of one repeat key (see line_hashes)."""
    return int(line_hashes([key])[0])


_SURROGATE = re.compile("[\ud800-\udfff]")


def _escaped(key: str) -> str:
    return key.encode("utf-8", "surrogatepass").decode("utf-8", "backslashreplace")


def provider_key(data: object) -> str | None:
    """Whose site a clipping comes from: provider.domain, else provider.name, else webUrl's host."""
    if not isinstance(data, dict):
        return None
    provider = data.get("provider")
    if isinstance(provider, dict):
        for key in ("domain", "name"):
            value = provider.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip().lower()
    url = data.get("webUrl")
    if isinstance(url, str) and url:
        try:
            host = url_host(url)
        except ValueError:  # "http://[::1": no host to read; the schema reports the URL (S107)
            return None
        if host:
            return host.lower().removeprefix("www.")
    return None


def line_fingerprints(rec: Record, ctx: Context) -> dict[str, Any]:
    """The columns of B201 for one record: ``line_fingerprints_batch`` of it alone."""
    return line_fingerprints_batch([rec], ctx)[0]


SPAN_FIELDS = 6  # per countable line: start, end, file line, column, and the range its fix removes


def line_fingerprints_batch(records: Sequence[Record], ctx: Context) -> list[dict[str, Any]]:
    """The columns of B201, record by record: the body's countable lines as packed hashes (``<u8``
    each, hashed for the whole chunk at once) and spans (``<u4`` start, end, file line, column, and
    the start and end of what removing the line removes, as qa.textfields.removal gives it: 0, 0
    for none), the provider and the normalised title. Lines a pattern already reports (B101-B109)
    are left out: they are reported once."""
    min_chars, max_chars = _repeat_chars(ctx.options)
    pats = patterns_from(ctx.options)
    outs: list[dict[str, Any]] = []
    keys: list[str] = []
    owners: list[tuple[dict[str, Any], int]] = []  # (a record's columns, where its keys start)
    for rec in records:
        body = rec.body
        # a body of white space only: not body.strip(), without copying the body
        if not body or body.isspace() or (provider := provider_key(rec.data)) is None:
            outs.append({})
            continue
        kept = rec.derived.get("boilerplate_body")
        if kept is not None and kept[0] is body and kept[1] is pats:
            hits: tuple[tuple[int, int, str], ...] = kept[2]
        else:
            hits = tuple(boilerplate_lines(body, pats)) if _body_wanted(ctx.options) else ()
        reported = {start for start, _end, _category in hits}
        first = len(keys)
        spans = _countable_lines(body, rec.body_line, min_chars, max_chars, reported, keys)
        if spans.itemsize != 4:  # pragma: no cover - every platform we run on
            raise RuntimeError("array sizes")
        # which article this is: versions of one article (same title) count once. Asked only of
        # files with countable lines (repeated_lines reads it of those alone): None for the rest.
        title = rec.data.get("title") if len(keys) > first and isinstance(rec.data, dict) else None
        out = {
            "line_spans": _little(spans),
            "line_provider": provider,
            "line_doc": " ".join(title.lower().split()) if isinstance(title, str) else None,
        }
        outs.append(out)
        owners.append((out, first))
    packed = line_hashes(keys).astype("<u8", copy=False).tobytes() if keys else b""
    for k, (out, first) in enumerate(owners):
        last = owners[k + 1][1] if k + 1 < len(owners) else len(keys)
        out["line_hashes"] = packed[8 * first : 8 * last]
    return outs


def _countable_lines(
    body: str, body_line: int, min_chars: int, max_chars: int, reported: set[int], keys: list[str]
) -> array[int]:
    """The spans of the body's countable lines (see line_fingerprints_batch), their repeat keys
    appended to ``keys``. Positions come from walking the lines (file line: the body's first line
    plus the line's index; column: its indentation plus one); the removal range is
    qa.textfields.removal's for a whole line, from what the walk knows: whether the line before is
    empty, whether the line after is, whether it is the last (and, for a body with one countable
    line, whether another line has text)."""
    spans: array[int] = array("I")
    size = len(body)
    previous_empty = False
    start = 0
    for index, line in enumerate(body.split("\n")):
        n = len(line)
        # repeat_key's own first test, on the line before it is stripped (most lines: blank), and
        # its length test of a line too long with no white space at its ends (paragraphs), which
        # strip() would copy to find unchanged
        if n < min_chars or (n > max_chars and not line[0].isspace() and not line[-1].isspace()):
            key = None
        else:
            key = repeat_key(line, min_chars, max_chars)
        if key is not None:
            lead = n - len(line.lstrip())
            at = start + lead
            if at not in reported:
                keys.append(key)
                cut_a, cut_b = _whole_line_cut(body, start, start + n, size, previous_empty)
                spans.extend((at, at + len(line.strip()), body_line + index, lead + 1, cut_a, cut_b))
        previous_empty = n == 0
        start += n + 1
    if len(spans) == SPAN_FIELDS and not (body[: spans[4]] + body[spans[5] :]).strip():
        spans[4] = spans[5] = 0  # the one line with text: a fix does not empty the body
    return spans


def _whole_line_cut(body: str, start: int, end: int, size: int, previous_empty: bool) -> tuple[int, int]:
    """What qa.textfields.removal removes for the whole line ``body[start:end]`` (``previous_empty``:
    the line before it is empty), when another line has text (tests/test_repeated_lines.py proves
    them equal)."""
    a, b = start, end + (end < size)
    if body.startswith("\n", b) and (a == 0 or (a >= 2 and previous_empty)):
        b += 1  # the blank line after it
    elif b == size and end == size:
        while a > 0 and body[a - 1] == "\n":
            a -= 1  # the last line, with no line break of its own: the line breaks before it
    elif b == size and a >= 2 and previous_empty:
        a -= 1  # the last line: and the blank line before it
    return a, b


def _little(values: array[int]) -> bytes:
    import sys

    if sys.byteorder != "little":  # pragma: no cover
        values = array(values.typecode, values)
        values.byteswap()
    return values.tobytes()


_LAST_CHARS: list[tuple[Mapping[str, Any], tuple[int, int]]] = []


def _repeat_chars(options: Mapping[str, Any]) -> tuple[int, int]:
    """(repeat_min_chars, repeat_max_chars) of the options (once per options object)."""
    if _LAST_CHARS and _LAST_CHARS[0][0] is options:
        return _LAST_CHARS[0][1]
    opts = {**REPEAT_OPTIONS, **options}
    chars = (int(opts["repeat_min_chars"]), int(opts["repeat_max_chars"]))
    _LAST_CHARS[:] = [(options, chars)]
    return chars


def _body_wanted(options: Mapping[str, Any]) -> bool:
    fields, wanted = _fields_from(options)
    return ("body" in wanted) if wanted is not None else _wanted("body", fields)


def repeated_lines(tables: Tables, ctx: Context) -> Iterator[Finding]:
    """B201 over the corpus: see the comment above REPEAT_OPTIONS."""
    opts = {**REPEAT_OPTIONS, **ctx.options}
    rows = _line_rows(tables)
    if rows is None or rows.empty:
        return
    paths = rows["_path"].astype(str).tolist()
    providers, names = pd.factorize(rows["line_provider"].astype(str))
    totals = ctx.run.get("totals")
    if totals is None:
        per_provider = np.bincount(providers, minlength=len(names))
    else:  # the tables hold part of the corpus (the corpus index): its clippings per provider, summed
        per_provider = np.array([int(totals.get(PROVIDER_TOTAL + str(n), 0)) for n in names], dtype=np.int64)
    blobs = rows["line_hashes"].tolist()
    counts = np.array([len(b) // 8 if isinstance(b, bytes) else 0 for b in blobs], dtype=np.int64)
    if not counts.sum():
        return
    hashes = np.frombuffer(b"".join(b for b in blobs if isinstance(b, bytes)), dtype="<u8")
    owner = np.repeat(np.arange(len(paths)), counts)
    position = np.arange(len(hashes)) - np.repeat(np.cumsum(counts) - counts, counts)
    lines = pd.DataFrame({"p": providers[owner], "h": hashes, "f": owner, "i": position})
    once = lines.drop_duplicates(["f", "h"])  # a file counts once per line
    min_files = int(opts["repeat_min_files"])
    share = float(opts["repeat_min_share"])
    size = once.groupby(["p", "h"], sort=False)["f"].transform("size").to_numpy()
    needed = np.maximum(min_files, np.ceil(share * per_provider[once["p"].to_numpy()]))
    frequent = once[size >= needed]
    if frequent.empty:
        return
    # Versions of one article (re-posts, updates) share all their lines, furniture or not: files
    # with the same title (normalised as lines are) count once. A file without a title is itself.
    docs = rows["line_doc"].tolist() if "line_doc" in rows.columns else [None] * len(paths)
    doc_ids = [d if isinstance(d, str) and d else f"\x00{k}" for k, d in enumerate(docs)]
    doc_codes, _ = pd.factorize(pd.Series(doc_ids, dtype=object))
    frequent = frequent.assign(doc=doc_codes[frequent["f"].to_numpy()])
    distinct = frequent.groupby(["p", "h"], sort=False)["doc"].transform("nunique").to_numpy()
    frequent = frequent[distinct >= min_files]
    if frequent.empty:
        return
    hit = lines.merge(frequent[["p", "h"]].drop_duplicates(), on=["p", "h"])
    max_related = int(opts["repeat_max_related"])
    listed = max(LISTED, max_related)  # the other files a finding names (its message, its related files)
    span_blobs = rows["line_spans"].tolist()
    for p, group_f, group_i in _line_groups(hit):
        members = sorted(set(group_f), key=lambda f: paths[f])
        member_paths = [paths[g] for g in members]
        rank = {g: k for k, g in enumerate(members)}
        provider = str(names[p])
        of = int(per_provider[p])
        places = sorted(zip(group_f, group_i, strict=True), key=lambda t: (paths[t[0]], t[1]))
        for f, i in places:
            start, end, file_line, column, cut_a, cut_b = np.frombuffer(span_blobs[f], dtype="<u4")[
                SPAN_FIELDS * i : SPAN_FIELDS * (i + 1)
            ].tolist()
            # the first other files (path order) that the finding names: a list of every other one per
            # finding cost O(files²) for a line on all of a provider's pages (1.5 s at 5,000 files)
            others = others_of(member_paths, rank[f], listed)
            yield B201.finding(
                paths[f],
                f"this line recurs in {len(members)} of the {of} clippings of provider {provider!r}: site furniture "
                f"(also in {listing(others, total=len(members) - 1)})",
                field="body",
                line=int(file_line),
                column=int(column),
                span=(int(start), int(end)),
                related=others[:max_related],
                fix=replace_text("body", int(cut_a), int(cut_b), "") if cut_b > cut_a else None,
                fix_message="remove the line",
            )


def _line_groups(hit: pd.DataFrame) -> Iterator[tuple[int, list[int], list[int]]]:
    """(provider, files, line indexes) of each (provider, hash) group of ``hit`` (columns p, h, f,
    i), in the order and with the rows of ``hit.groupby(["p", "h"], sort=False)``, from one stable
    sort of the groups' numbers: iterating the groupby made a DataFrame per group (~60 us each;
    thousands of small providers each have a line or two on all their pages)."""
    if hit.empty:
        return
    ids = hit.groupby(["p", "h"], sort=False).ngroup().to_numpy()
    order = np.argsort(ids, kind="stable")
    bounds = np.concatenate(([0], np.cumsum(np.bincount(ids)))).tolist()
    providers = hit["p"].to_numpy()[order].tolist()
    files = hit["f"].to_numpy()[order].tolist()
    indexes = hit["i"].to_numpy()[order].tolist()
    for first, last in itertools.pairwise(bounds):
        yield providers[first], files[first:last], indexes[first:last]


# B201 for the corpus index (``CorpusKeys``, one step): whether a line of a file is furniture
# depends only on the files holding the same line hash under the same provider (a key each),
# and on how many clippings that provider has in the whole corpus (a total per provider).
PROVIDER_TOTAL = "clippings of "


def _line_rows(tables: Tables) -> pd.DataFrame | None:
    files = tables.get("files")
    if files is None or files.empty or not set(LINE_COLUMNS) <= set(files.columns):
        return None
    return files[files["line_provider"].notna()]


def repeat_keys(tables: Tables, ctx: Context) -> pd.DataFrame:
    """Join keys: each (provider, hashed line) of a file, as B201 groups them."""
    rows = _line_rows(tables)
    if rows is None or rows.empty:
        return all_keys([])
    records: list[int] = []
    keys: list[str] = []
    for record, provider, blob in zip(
        rows["_record"].tolist(), rows["line_provider"].astype(str).tolist(), rows["line_hashes"].tolist(), strict=True
    ):
        if isinstance(blob, bytes) and blob:
            for h in np.unique(np.frombuffer(blob, dtype="<u8")).tolist():
                records.append(record)
                keys.append(f"{provider}\x00{h:016x}")
    return all_keys([key_rows(pd.Series(records, dtype="int64"), "line", keys)])


def repeat_totals(tables: Tables, ctx: Context) -> pd.DataFrame:
    """Totals: each file with a provider is one clipping of its provider (rows ``_record``,
    ``total``, ``value``: one total per provider, never a column per provider)."""
    rows = _line_rows(tables)
    if rows is None or rows.empty:
        return pd.DataFrame({"_record": pd.Series(dtype="int64"), "total": pd.Series(dtype=object),
                             "value": pd.Series(dtype="int64")})  # fmt: skip
    return pd.DataFrame(
        {
            "_record": rows["_record"].to_numpy(dtype="int64"),
            "total": (PROVIDER_TOTAL + rows["line_provider"].astype(str)).to_numpy(dtype=object),
            "value": 1,
        }
    )


def validate(options: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """The user's expressions and patterns file are read and compiled here, once: a bad one is a
    usage error naming the key, not an internal error in every file."""
    extra = options.get("extra_patterns")
    if extra:
        try:
            parse_patterns(dict(extra), "extra_patterns")
        except ValueError as exc:
            yield "extra_patterns", str(exc).removeprefix("extra_patterns: ")
    patterns_file = options.get("patterns_file")
    if patterns_file:
        try:
            load_patterns_file(patterns_file)
        except OSError as exc:
            yield "patterns_file", f"cannot be read: {exc.strerror or exc}"
        except yaml.YAMLError as exc:
            yield "patterns_file", f"not valid YAML: {exc}"
        except (ValueError, UnicodeDecodeError) as exc:
            yield "patterns_file", str(exc)
    yield from check_range(options, "repeat_min_files", 2)
    yield from check_range(options, "repeat_min_share", 0, 1)
    yield from check_range(options, "repeat_min_chars", 1)
    yield from check_range(options, "repeat_max_chars", 1)
    yield from check_range(options, "repeat_max_related", 0)


def warm(ctx: Context) -> None:
    """Compile the patterns ahead: the check's one first-use cost (~0.3 s)."""
    patterns_from(ctx.options).prepare()


CHECK = Check(
    name="boilerplate",
    rules=(*CATEGORY_RULES.values(), B201),
    doc="Lines of web-page chrome (comment forms, share/subscribe prompts, cookie notices, navigation, "
    "copyright and log-in lines, 'Read more') and lines that recur across a provider's clippings.",
    record=check_record,
    columns=line_fingerprints,
    columns_batch=line_fingerprints_batch,
    column_names=LINE_COLUMNS,
    corpus=repeated_lines,
    corpus_keys=CorpusKeys(repeat_keys, transitive=False, totals=repeat_totals),
    warm=warm,
    validate=validate,
    options={"extra_patterns": {}, "patterns_file": "", "fields": list(DEFAULT_FIELDS), **REPEAT_OPTIONS},
)
