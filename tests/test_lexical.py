"""qa/lexical.py: the bytes-translation screens equal (or soundly cover) the regular-expression
versions they stand for, on any text hypothesis makes, and on the tricky characters by hand."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from qa import lexical
from qa.checks import language
from qa.lexical import FORMAT_CHARS, lexicons, lower_words, words

# Pieces that make the word expressions and the tables disagree if anything is off: English and
# rare words in every case, accented and non-Windows-1252 letters, marks, format characters,
# word characters that are no letters, special case folds, emoji, sentence ends.
PIECES = [
    "the ", "The ", "THE ", "telecom ", "Telecom ", "iPhone ", "McDonald ", "eBay ", "zyzzyva ", "flibber ",
    "São Paulo ", "naïve ", "straße ", "ŁÓDŹ ", "zażółć ", "Ørsted ", "ǅemal ", "Ωmega ", "привет ", "Москва ",
    "한국어 ", "中文 ", "km² ", "x²y ", "Ⅳ ", "① ", "ª ", "º ", "µ ", "ÿ ", "Ÿ ", "ſ ", "K ", "İstanbul ", "ı ",
    "cafe\u0301 ", "e\u0301t\u00e9 ", "co\u00adop ", "en\u200bds ", "\u200b", "\ufeff", "\u2060", "\u200e",
    "\U0001f680 ", "👍🏽", "don't ", "can’t ", "U.S. ", "3.5 ", "e-mail ", "- ", ". ", "! ", "? ", "\n", "\t",
    "\u00a0", "\u2009", "。", "“quoted” ", "a ", "I ", "\ua7cb", "\U000105c0",
]  # fmt: skip
TEXT = st.one_of(
    st.text(max_size=60),
    st.lists(st.sampled_from(PIECES), max_size=30).map("".join),
    st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=4)), max_size=20).map("".join),
)


def rare_occurrences(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) in ``text`` of each word of ``lower_words(text)`` outside English's lexicon,
    found as lower_words finds them (format characters taken out first)."""
    english, _ = lexicons()
    if text.isascii():
        kept, plain, rx = list(range(len(text))), text, re.compile(r"(?<![A-Za-z])[a-z][A-Za-z]+")
    else:
        import regex

        kept = [i for i, c in enumerate(text) if not FORMAT_CHARS.match(c)]
        plain = "".join(text[i] for i in kept)
        rx = regex.compile(r"(?<![\p{L}\p{M}])\p{Ll}[\p{L}\p{M}]+")
    for m in rx.finditer(plain):
        if m.group().lower() not in english:
            yield kept[m.start()], kept[m.end() - 1] + 1


@settings(max_examples=600, deadline=None)
@given(TEXT)
@example("straße km² telecom")
@example("co\u00adop flibber and zyz\u200bzyva")
@example("iPhone eBay McDonald")
def test_rare_places_hold_every_rare_lower_case_word(text: str) -> None:
    for places in (lexical.rare_places(text), lexical.scan(text).places):
        if places is None:
            continue  # a character the two engines class differently: every sentence is read
        assert places == sorted(places)
        for start, end in rare_occurrences(text):
            assert any(a <= start and end <= b for a, b in places), (text, start, end, places)


@settings(max_examples=600, deadline=None)
@given(TEXT)
@example("K g")
@example("İs the")
def test_all_english_never_says_yes_wrongly(text: str) -> None:
    english, _ = lexicons()
    truth = english.issuperset(words(text))
    for said in (lexical.all_english(text), lexical.all_english(text, cached=False), lexical.scan(text).english):
        assert truth or not said, text
    if lexical.cp1252(text) is not None and "\u00ad" not in text:
        assert lexical.all_english(text) == truth  # Windows-1252 text: exact
        assert lexical.scan(text).english == truth


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_token_lines_are_the_words_of_each_line(text: str) -> None:
    english = lexical.english_bytes()
    got = lexical.token_lines(text)
    assert len(got) == len(text.split("\n"))
    for line, tokens in zip(text.split("\n"), got, strict=True):
        assert english.issuperset(tokens.split()) == lexical.all_english(line, cached=False)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), min_size=20, max_size=120).map("".join))
def test_long_texts_are_classed_as_the_error_handler_classes_them(text: str) -> None:
    assert lexical._classed_vector(text) == text.encode("cp1252", errors="clipqa-word-classes")


def test_stand_in_letters_need_an_ascii_english_lexicon() -> None:
    english, _ = lexicons()
    assert all(word.isascii() for word in english)
    # each stand-in is a Windows-1252 character of its kind
    assert lexical.char_class("ж") == lexical.SMALL and "ß".islower()
    assert lexical.char_class("한") == lexical.CASELESS
    assert lexical.char_class("Ж") == lexical.UPPER
    assert lexical.char_class("Ⅳ") == lexical.NUMERIC
    assert lexical.char_class("\u0301") == lexical.MARK
    assert lexical.char_class("\u200b") == lexical.FORMAT
    assert lexical.char_class("\U0001f680") == lexical.OTHER and lexical.char_class("\u3000") == lexical.SPACE


def test_lower_words_and_words_are_the_regular_expressions() -> None:
    assert words("Don't stop—the iPhone's café\u00ad") == ["don", "stop", "the", "iphone", "café"]
    assert lower_words("iPhone McDonald eBay the") == ["iphone", "ebay", "the"]


# ---------------------------------------------------------------- sentences


def reference_sentences(text: str) -> Iterator[tuple[int, int]]:
    """The character loop sentences() replaced."""
    closers = "\"'”’»)]"
    n = len(text)

    def trimmed(start: int, end: int) -> Iterator[tuple[int, int]]:
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            yield start, end

    start = 0
    for m in re.finditer("[.!?。！？\n]", text):
        i = m.start()
        c = text[i]
        if c == "\n":
            end, nxt = i, i + 1
        elif c in ".!?":
            j = i + 1
            while j < n and text[j] in closers:
                j += 1
            if j < n and not text[j].isspace():
                continue
            end = nxt = j
        else:
            end = nxt = i + 1
        yield from trimmed(start, end)
        start = nxt
    yield from trimmed(start, n)


SENTENCE_TEXT = st.lists(
    st.sampled_from(["word", " ", ".", "!", "?", "\n", "。", '"', "’", ")", "U.S", "3.9", "\u00a0", "\u2028", "x"]),
    max_size=40,
).map("".join)


@settings(max_examples=800, deadline=None)
@given(st.one_of(SENTENCE_TEXT, TEXT))
def test_sentences_are_the_character_loops(text: str) -> None:
    assert list(language.sentences(text)) == list(reference_sentences(text))


@settings(max_examples=800, deadline=None)
@given(st.one_of(SENTENCE_TEXT, TEXT), st.integers(min_value=0, max_value=200))
def test_the_sentence_around_a_letter_is_the_one_that_holds_it(text: str, at: int) -> None:
    if not text or not text[at % len(text)].isalpha():
        return  # it is asked about the first letter of a rare word only
    pos = at % len(text)
    [holding] = [s for s in language.sentences(text) if s[0] <= pos < s[1]]
    assert language._sentence_around(text, pos) == holding


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_windows_1252_bytes_are_the_codec_s(text: str) -> None:
    try:
        expected: bytes | None = text.encode("cp1252")
    except UnicodeEncodeError:
        expected = None
    assert lexical.cp1252(text) == expected


def test_foreign_function_words_are_foreign() -> None:
    """The screen's evidence (qa/data/lexicons_function.json): the commonest function words of the
    Latin-script languages, none of spoken English's commonest words, none of the pieces of
    English contractions."""
    function = lexical.function_bytes()
    words = {w.decode() for w in function}
    for word in ("und", "der", "nicht", "les", "des", "dans", "que", "los", "las", "del", "het", "een", "och", "att"):
        assert word in words, word
    for word in ("yang", "dan", "untuk", "ang", "mga", "bir", "ile", "jest", "oraz", "della", "doch", "Doch", "Und"):
        assert word in words, word
    for word in ("the", "and", "of", "to", "in", "is", "die", "also", "a", "don", "ve", "ll", "won", "sit", "Xi", "El"):
        assert word not in words, word
    assert all(w.isascii() and len(w) >= 2 for w in words)


def test_lexicons_file_round_trips_and_english_is_read_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    english, others = {"the", "cat"}, {"de": ["und", "der", "und"], "fr": ["le", "chat"]}
    written = tmp_path / "lexicons.txt.gz"
    lexical.write_lexicons(written, "test words", english, others)
    monkeypatch.setattr(lexical.resources, "files", lambda _pkg: tmp_path)
    monkeypatch.setattr(lexical, "LEXICON_FILE", written.name)
    lexical.english_lexicon.cache_clear()
    lazy = lexical._OtherLexicons()
    try:
        assert lexical.english_lexicon() == frozenset(english) | lexical.NEUTRAL_WORDS
        assert "_by_code" not in vars(lazy)  # English alone read no other language
        assert dict(lazy) == {"de": frozenset({"und", "der"}), "fr": frozenset({"le", "chat"})}
        assert lazy.get("it") is None and len(lazy) == 2
    finally:
        lexical.english_lexicon.cache_clear()
    with pytest.raises(ValueError, match="white space"):
        lexical.write_lexicons(written, "x", ["two words"], {})


def test_the_shipped_lexicons_are_what_the_language_check_assumes() -> None:
    english, others = lexicons()
    assert "en" not in others and {"de", "fr", "es", "it", "nl", "pt"} <= set(others)
    assert all(len(words) > 0 for words in others.values())
    # cased_english_bytes capitalises with bytes.capitalize, which lower-cases the rest of a word
    assert all(word == word.lower() for word in english)
    plain = lexical.english_bytes() | {w[:1].upper() + w[1:] for w in lexical.english_bytes() if w[:1].isalpha()}
    assert lexical.cased_english_bytes() == plain
