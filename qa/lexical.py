"""Words of a text field and the English lexicon: the language check's screens, at C speed.

The language check decides what is English with a lexicon (``qa/data/lexicons.txt.gz``, made by
``tools/language_lexicons.py``), not with the look of the text: every field's words are looked up.
Done with a regular expression per field that costs ~20 ns a character (the regex engines try
a Unicode class at every position), about as much as every other text check together. Here the
words are found by bytes translation instead: the field is encoded in Windows-1252 (one byte a
character, so offsets stay), each byte is mapped by a 256-byte table (letters to lower-case
letters, everything else to a space) and the result is split: three C loops, ~3 ns a character.

Characters outside Windows-1252 (other scripts, emoji, invisible format characters) are each
encoded as one byte that says what the word expressions see in them (see ``SMALL`` and the
others below): a stand-in letter of the same kind, a combining mark, a format character, a
separator. Only the English lexicon's words are looked up, and it is ASCII, so a stand-in never
makes a word English; runs of letters that hold a capital inside, a mark or a format character
are read back from the text itself.

Each function here is the plain regular-expression version's twin (``words``, ``lower_words``)
or a superset screen of it, proved by ``tests/test_lexical.py`` (hypothesis, any text).
"""

from __future__ import annotations

import codecs
import gzip
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import regex

from qa.textfields import cp1252

# Words that read as English whatever the page's language: brands, and web words every language borrows.
NEUTRAL_WORDS = frozenset(
    [
        "facebook",
        "twitter",
        "youtube",
        "instagram",
        "linkedin",
        "whatsapp",
        "tiktok",
        "pinterest",
        "reddit",
        "telegram",
        "tumblr",
        "google",
        "apple",
        "microsoft",
        "amazon",
        "email",
        "e-mail",
        "mail",
        "online",
        "blog",
        "blogs",
        "podcast",
        "newsletter",
        "newsletters",
        "video",
        "videos",
        "app",
        "apps",
        "web",
        "internet",
        "login",
        "logout",
        "ok",
        "okay",
        "wifi",
        "smartphone",
        "cookie",
        "cookies",
        "rss",
        "feed",
        "spotify",
        "netflix",
        "iphone",
        "android",
        "covid",
        "html",
        "css",
        "javascript",
        "json",
        "api",
        "url",
        "http",
        "https",
        "www",
        "pdf",
    ]
)
TOKEN = re.compile(r"[^\W\d_]{2,}")  # a word of two letters or more (one-letter words tell nothing)
# Invisible format characters split words without being text (they are the encoding check's E21x).
FORMAT_CHARS = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]")
# A word that starts with a lower-case letter (names start with a capital): ASCII text is scanned
# by the stdlib engine, other text by the regex module's Unicode classes.
_LOWER_ASCII = re.compile(r"(?<![A-Za-z])[a-z][A-Za-z]+")
_LOWER_ANY = regex.compile(r"(?<![\p{L}\p{M}])\p{Ll}[\p{L}\p{M}]+")


LEXICON_FILE = "data/lexicons.txt.gz"


def write_lexicons(path: Path, about: str, english: Iterable[str], others: Mapping[str, Iterable[str]]) -> None:
    """Write the lexicons file that :func:`lexicons` reads (tools/language_lexicons.py makes it):
    gzip'd UTF-8 lines, ``# <about>`` (where the words come from), then one line per language,
    its code, a tab and its words sorted and separated by single spaces, English first. A
    line split by a space is ~4x faster to read than JSON, and English, which every text
    needs, is read without the other languages, which few texts do."""
    lines = [f"# {about}"]
    for code, words in (("en", english), *sorted(others.items())):
        listed = sorted(set(words))
        if any(not w or w != "".join(w.split()) for w in listed):
            raise ValueError(f"a word of {code!r} is empty or holds white space")
        lines.append(f"{code}\t{' '.join(listed)}")
    with gzip.GzipFile(path, "wb", mtime=0) as fh:  # mtime 0: the same words give the same bytes
        fh.write(("\n".join(lines) + "\n").encode("utf-8"))


def _lexicon_line(line: str) -> tuple[str, frozenset[str]]:
    code, _, words = line.partition("\t")
    return code, frozenset(words.split(" "))


@lru_cache(maxsize=1)
def english_lexicon() -> frozenset[str]:
    """English's words (the first language of the lexicons file: only its line is decompressed)
    and :data:`NEUTRAL_WORDS`."""
    with resources.files("qa").joinpath(LEXICON_FILE).open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as fh:
        for line in fh:
            if not line.startswith("#"):
                code, words = _lexicon_line(line.rstrip("\n"))
                if code != "en":  # pragma: no cover - write_lexicons puts English first
                    raise AssertionError(f"{LEXICON_FILE}: English is not its first language")
                return words | NEUTRAL_WORDS
    raise AssertionError(f"{LEXICON_FILE}: no language in it")  # pragma: no cover


class _OtherLexicons(Mapping[str, frozenset[str]]):
    """The other languages' lexicons, by language code, read on first use (~0.05 s): most
    texts are English through and through and never ask."""

    @cached_property
    def _by_code(self) -> dict[str, frozenset[str]]:
        text = gzip.decompress(resources.files("qa").joinpath(LEXICON_FILE).read_bytes()).decode("utf-8")
        lines = (line for line in text.split("\n") if line and not line.startswith("#"))
        return dict(_lexicon_line(line) for line in lines if not line.startswith("en\t"))

    def __getitem__(self, code: str) -> frozenset[str]:
        return self._by_code[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_code)

    def __len__(self) -> int:
        return len(self._by_code)


_OTHERS = _OtherLexicons()


def lexicons() -> tuple[frozenset[str], Mapping[str, frozenset[str]]]:
    """English words, and the common words of other Latin-script languages by language code
    (qa/data/lexicons.txt.gz, made by tools/language_lexicons.py: symspellpy, pyspellchecker,
    jusText stop lists, CMS catalogues; see :func:`write_lexicons`). Each part is read once
    per process, on first use: English ~0.02 s, the others ~0.05 s."""
    return english_lexicon(), _OTHERS


@lru_cache(maxsize=1)
def function_bytes() -> frozenset[bytes]:
    """Foreign function words ("und", "het", "dans", "yang"; qa/data/lexicons_function.json, made by
    tools/language_lexicons.py from jusText's stop lists and pyspellchecker's frequency lists, no
    English word among them), in lower case, and capitalised when they have three letters or more
    ("Doch": a sentence's first word; "Xi", "El", "De" are names' more often than not), as
    Windows-1252 bytes (they are ASCII)."""
    lower = [w.encode("ascii") for w in function_words()]
    return frozenset(lower) | frozenset(w[:1].upper() + w[1:] for w in lower if len(w) >= 3)


@lru_cache(maxsize=1)
def function_words() -> frozenset[str]:
    """The foreign function words of :func:`function_bytes`, lower case."""
    doc = json.loads(resources.files("qa").joinpath("data/lexicons_function.json").read_text(encoding="utf-8"))
    return frozenset(str(w) for w in doc["words"])


def words(text: str) -> list[str]:
    """The words of ``text`` (two letters or more), lower case, format characters removed."""
    if not text.isascii():
        text = FORMAT_CHARS.sub("", text)
    return TOKEN.findall(text.lower())


def lower_words(text: str) -> list[str]:
    """The words of ``text`` that start with a lower-case letter, lower-cased, format characters
    removed (two letters or more)."""
    if text.isascii():
        return [w.lower() for w in _LOWER_ASCII.findall(text)]
    return [w.lower() for w in _LOWER_ANY.findall(FORMAT_CHARS.sub("", text))]


# ---------------------------------------------------------------- bytes

# What a character outside Windows-1252 is to the word expressions, as one byte. Letters and
# other word characters stand in as a Windows-1252 character of their own kind that no English
# word holds (the English lexicon is ASCII: tested), so a word's length, whether it starts with a
# small letter and whether it is English are what they are for the real word; the rest take the
# bytes Windows-1252 leaves undefined, which no real character gives.
SMALL = 0xDF  # "ß": a lower-case letter (Ll)
CASELESS = 0xAA  # "ª": another letter that is not upper case (Lo, Lm)
UPPER = 0xC0  # "À": an upper- or title-case letter (Lu, Lt)
NUMERIC = 0xB2  # "²": a word character that is neither a letter nor a decimal digit (Ⅳ, ①)
MARK = 0x8F  # a combining mark: inside lower_words' words, between TOKEN's
ODD = 0x9D  # classed differently by the two regex engines (a letter newer than ``re``'s tables)
FORMAT = 0xAD  # an invisible format character: the soft hyphen's own byte (it is one)
SPACE = 0x20  # white space
OTHER = 0x23  # "#": anything else (emoji, punctuation, digits): a separator

_TOKEN_CHAR = re.compile(r"[^\W\d_]")
_LETTER_CHAR = regex.compile(r"\p{L}")
_UPPER_CHAR = regex.compile(r"[\p{Lu}\p{Lt}]")
_MARK_CHAR = regex.compile(r"\p{M}")
_SMALL_FIRST = regex.compile(r"\p{Ll}")


def char_class(c: str) -> int:
    """The byte that stands for ``c`` (one character outside Windows-1252) in ``word_bytes``."""
    if FORMAT_CHARS.match(c):
        return FORMAT
    token, letter, mark = bool(_TOKEN_CHAR.match(c)), bool(_LETTER_CHAR.match(c)), bool(_MARK_CHAR.match(c))
    if token and letter and not mark:
        if _UPPER_CHAR.match(c):
            return UPPER
        return SMALL if _SMALL_FIRST.match(c) else CASELESS
    if token and not letter and not mark:
        return NUMERIC
    if mark and not token:
        return MARK
    if not (token or letter or mark):
        return SPACE if c.isspace() else OTHER
    return ODD


class _Classes(dict[int, str]):
    """code point -> the character of its class byte (latin-1), computed on first sight."""

    def __missing__(self, key: int) -> str:
        value = self[key] = chr(char_class(chr(key)))
        return value


_CLASSES = _Classes()


def _encode_classes(exc: UnicodeError) -> tuple[bytes, int]:
    if not isinstance(exc, UnicodeEncodeError):  # pragma: no cover - registered for encoding only
        raise exc
    run = exc.object[exc.start : exc.end]
    return run.translate(_CLASSES).encode("latin-1"), exc.end


codecs.register_error("clipqa-word-classes", _encode_classes)


@lru_cache(maxsize=64)
def _classed(text: str) -> bytes:
    if len(text) < _VECTOR_FROM:
        return text.encode("cp1252", errors="clipqa-word-classes")
    return _classed_vector(text)


_VECTOR_FROM = 256  # characters: longer texts are classed by one table look-up (numpy), shorter by the handler
_UNKNOWN = 0xFFFF
_TABLE: list[np.ndarray] = []


def _classed_vector(text: str) -> bytes:
    """What the error handler gives, by a table of every code point (filled on first sight): a
    body with many runs of other characters (a Korean comment form, emoji) costs one call."""
    if not _TABLE:
        _TABLE.append(np.full(0x110000, _UNKNOWN, dtype=np.uint16))
    table = _TABLE[0]
    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")
    out = table[points]
    missing = out == _UNKNOWN
    if missing.any():
        for point in np.unique(points[missing]).tolist():
            c = chr(point)
            try:
                table[point] = c.encode("cp1252")[0]
            except UnicodeEncodeError:
                table[point] = char_class(c)
        out = table[points]
    encoded: bytes = out.astype(np.uint8).tobytes()
    return encoded


def word_bytes(text: str) -> bytes:
    """``text`` as one byte a character: Windows-1252, and the class bytes above for the rest
    (cached: the language check asks about a field more than once)."""
    encoded = cp1252(text)
    return encoded if encoded is not None else _classed(text)


def _uncached_bytes(text: str) -> bytes:
    try:
        return text.encode("cp1252")
    except UnicodeEncodeError:
        return text.encode("cp1252", errors="clipqa-word-classes")


def _table(pick: dict[int, int]) -> bytes:
    out = bytearray(b" " * 256)
    for b, to in pick.items():
        out[b] = to
    return bytes(out)


CAPITAL = 0x01  # an upper-case letter in LOWRUNS (a control character: a separator in every table)


def _tables() -> tuple[bytes, bytes]:
    """TOKENS: a TOKEN character -> its lower-case byte, a line end kept, the rest a space (format
    characters are deleted with ``translate``'s ``delete`` argument). LOWRUNS: the characters of
    lower_words' words kept (letters, marks, and format characters, which it takes out),
    upper-case letters CAPITAL, the rest a space: a lower-case word is a run that does not start
    with CAPITAL."""
    tokens: dict[int, int] = {ODD: ODD, 0x0A: 0x0A}
    lowruns: dict[int, int] = {MARK: MARK, FORMAT: FORMAT, ODD: ODD}
    for b in range(256):
        c = bytes([b]).decode("cp1252", errors="ignore")
        if not c:
            continue
        if _TOKEN_CHAR.match(c):
            lowered = c.lower().encode("cp1252")
            if len(lowered) != 1 or not _TOKEN_CHAR.match(c.lower()):  # pragma: no cover - checked by the tests
                raise AssertionError(f"Windows-1252 {c!r} lowers to {c.lower()!r}")
            tokens[b] = lowered[0]
        if _LETTER_CHAR.match(c) or _MARK_CHAR.match(c):
            lowruns[b] = CAPITAL if _UPPER_CHAR.match(c) else b
    return _table(tokens), _table(lowruns)


TOKENS, LOWRUNS = _tables()
# KEEP: the letters of TOKENS with their case, the rest a space; _SMALL_BYTES: the bytes of a
# small (Ll) letter, which a lower-case word starts with.
KEEP = _table({b: b for b in range(256) if TOKENS[b] not in (SPACE, 0x0A) and b not in (FORMAT,)})
_SMALL_BYTES = frozenset(
    b for b in range(256) if (c := bytes([b]).decode("cp1252", errors="ignore")) and _SMALL_FIRST.match(c)
) | {SMALL}
_DELETE_FORMAT = bytes((FORMAT,))
_ODD = bytes((ODD,))
_RECOVER = (bytes((CAPITAL,)), bytes((FORMAT,)), bytes((MARK,)), _ODD)  # runs read back from the text


@lru_cache(maxsize=1)
def english_bytes() -> frozenset[bytes]:
    """The English lexicon as Windows-1252 bytes (words outside it cannot match a Windows-1252
    word), and every single byte (TOKEN ignores one-letter words, so they count as English)."""
    english = english_lexicon()
    # In bulk (a tenth of the time of a loop over 60,000 words, which every process's first
    # text pays): an ASCII word's Windows-1252 bytes are its ASCII bytes, and no word holds
    # a line break, so the joined text splits back into exactly the words.
    try:
        encoded = "\n".join(english).encode("ascii").split(b"\n")
    except UnicodeEncodeError:  # pragma: no cover - tools/language_lexicons.py keeps it so
        raise AssertionError("the stand-in letters of word_bytes need an ASCII English lexicon") from None
    if len(encoded) != len(english):  # pragma: no cover - a word with a line break
        raise AssertionError("a word of the English lexicon holds a line break")
    return frozenset(encoded).union(bytes([b]) for b in range(256))


def all_english(text: str, *, cached: bool = True) -> bool:
    """Every word of ``text`` is an English word (or a brand): then
    ``english.issuperset(words(text))`` holds. A sound screen (tests/test_lexical.py): it may say
    False where that holds (a letter outside Windows-1252 that lower-cases into an English word:
    the Kelvin sign, "İ"), never True where it does not. ``cached=False`` for the lines of a field
    (they would push the fields out of the caches)."""
    if cached:
        return _all_english_cached(text)
    return _all_english(_uncached_bytes(text))


@lru_cache(maxsize=64)
def _all_english_cached(text: str) -> bool:
    return _all_english(word_bytes(text))


def _all_english(encoded: bytes) -> bool:
    # A word holding a letter outside Windows-1252 holds its class byte: it is no English word.
    return english_bytes().issuperset(encoded.translate(TOKENS, _DELETE_FORMAT).split())


@dataclass(frozen=True, slots=True)
class Scan:
    """What the language check's English screens need of a field, from one pass over its words."""

    english: bool  # every word is English (then english.issuperset(words(text)); exact for Windows-1252 text)
    places: list[tuple[int, int]] | None  # rare_places(text), or a superset of it; None: read every sentence


# marks, format characters, odd ones, and the word characters that are no letters (² ³ ¹ ¼ ½ ¾):
# deleting every other byte leaves them (one pass, faster than a search for a class)
_SPECIAL = frozenset((MARK, FORMAT, ODD, 0xB2, 0xB3, 0xB9, 0xBC, 0xBD, 0xBE))
_NOT_SPECIAL = bytes(b for b in range(256) if b not in _SPECIAL)


@lru_cache(maxsize=64)
def scan(text: str) -> Scan:
    """:func:`all_english` and :func:`rare_places` of a field at once. Without marks, format
    characters and word characters that are no letters (``²``), a word of ``words`` and of
    ``lower_words`` is a run of letters, so one split of the text with its letters' case kept
    gives both: the runs that are not an English word in lower case or capitalised are few
    (names, capitals, rare words), and those whose lower case is no English word either ("iPhone"
    is one) are the rare ones: every word is English exactly when there is none, and a lower-case
    word outside the lexicon is a rare run that starts with a small letter. Other texts take the
    two general functions."""
    encoded = word_bytes(text)
    if encoded.translate(None, _NOT_SPECIAL):
        return Scan(_all_english(encoded), rare_places(text))
    letters = encoded.translate(KEEP)
    english = english_bytes()
    unknown = set(letters.split()).difference(cased_english_bytes())
    rare = [run for run in unknown if run.translate(TOKENS) not in english]
    if not rare:
        return Scan(True, [])
    places: list[tuple[int, int]] = []
    padded = b" " + letters + b" "
    for run in rare:
        if run[0] not in _SMALL_BYTES:
            continue  # not a lower-case word ("Lula")
        n = len(run)
        needle = b" " + run + b" "
        at = padded.find(needle)  # padded[at + 1] is text[at]
        while at >= 0:
            places.append((at, at + n))
            at = padded.find(needle, at + n + 1)
    places.sort()
    return Scan(False, places)


@lru_cache(maxsize=1)
def cased_english_bytes() -> frozenset[bytes]:
    """english_bytes() and each word capitalised ("The", "Minister"): a sentence's first word."""
    english = english_bytes()
    # bytes.capitalize is the first letter upper-cased and the rest lower-cased: the word itself
    # with its first letter capitalised, as the lexicon is lower case (tests/test_lexical.py),
    # at C speed (half the time of slicing 60,000 words in Python: every process's first text).
    return english.union(map(bytes.capitalize, english))


def token_lines(text: str) -> list[bytes]:
    """The words of each line of ``text`` (``text.split("\\n")``), as lower-case Windows-1252 bytes
    separated by spaces: ``english_bytes().issuperset(line.split())`` is :func:`all_english` of
    the line."""
    return word_bytes(text).translate(TOKENS, _DELETE_FORMAT).split(b"\n")


def rare_places(text: str) -> list[tuple[int, int]] | None:
    """(start, end) of the runs of letters in ``text`` that may be a lower-case word outside
    English's lexicon, sorted. Every occurrence of such a word of ``lower_words`` (a word that
    starts with a small letter, format characters taken out) is one of these runs (format
    characters in place); a run may be no such word (one that starts with a mark). None when a
    character is one the two regular expression engines class differently (a letter newer than
    the ``re`` module's Unicode tables): then every sentence is read."""
    encoded = word_bytes(text)
    if _ODD in encoded:
        return None
    runs = encoded.translate(LOWRUNS)
    padded = b" " + runs + b" "
    places: list[tuple[int, int]] = []
    for run in set(runs.split()).difference(english_bytes()):
        if run[0] == CAPITAL:
            continue  # a capitalised word (a name, a sentence's first word): no lower-case word
        # a capital inside ("iPhone"), a format character or classes of other characters: each
        # occurrence's own characters decide
        plain = not any(p in run for p in _RECOVER)
        if plain and not is_rare_word(run.decode("cp1252")):
            continue
        n = len(run)
        needle = b" " + run + b" "
        at = padded.find(needle)  # padded[at + 1] is text[at]
        while at >= 0:
            if plain or is_rare_word(text[at : at + n].lower()):
                places.append((at, at + n))
            at = padded.find(needle, at + n + 1)
    places.sort()
    return places


def is_rare_word(run: str) -> bool:
    """``run`` (lower-cased) is a lower-case word (a small letter first, format characters aside,
    two letters or more) outside English's lexicon."""
    word = FORMAT_CHARS.sub("", run) if not run.isascii() else run
    return len(word) >= 2 and _SMALL_FIRST.match(word) is not None and word not in english_lexicon()


__all__ = [
    "FORMAT_CHARS",
    "NEUTRAL_WORDS",
    "TOKEN",
    "Scan",
    "all_english",
    "char_class",
    "english_bytes",
    "function_bytes",
    "function_words",
    "is_rare_word",
    "lexicons",
    "lower_words",
    "rare_places",
    "scan",
    "token_lines",
    "word_bytes",
    "words",
]
