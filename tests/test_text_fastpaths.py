"""The text checks' fast paths give exactly what the slow paths give.

``check_record`` of the encoding, language and boilerplate checks skips most fields with a
cheap exact test (``quiet_text``) and takes the fields from ``record_fields`` (computed once
per record, shared by the checks). Here each is compared with the straightforward version:
the original field generator, every field through ``field_findings``, on text made of the
tricky classes (mojibake, emoji with and without joiners, CJK and Hangul runs, accented Latin,
foreign sentences with and without accents, controls, HTML, chrome lines).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from qa import lexical
from qa.checks import Context, boilerplate, encoding, language
from qa.corpus import Record, Source, read_record
from qa.findings import Finding
from qa.textfields import ShortTextMemo, TextField, record_fields, text_fields

PIECES = [
    "The government said on Tuesday that the plan would go ahead. ",
    "Ministers met in Brussels. ",
    "El gobierno anunció hoy nuevas medidas para la economía. ",
    "El gobierno dijo que la ley es para todos los ciudadanos del pais. ",  # Spanish, no accent
    "Die Regierung hat heute neue Massnahmen angekundigt und sie sind gut. ",
    "Le president a dit que la reforme est une bonne chose pour le pays. ",
    "health care ",
    "de facto ",
    "la ",
    "y ",
    "aimed at摆脱 external",
    "self-reliance (自力更生)",
    "이메일 주소는 공개되지 않습니다",
    "답글 남기기\n",
    "Поставить комментарий ",
    "👨🚀",
    "👨\u200d🚀",
    "🚗💨",
    "👍🏽",
    "\u200d",
    "\ufe0f",
    "\u00ad",
    "\u200b",
    "\u200c",
    "\u2060",
    "\ufeff",
    "\u202e",
    "\u2066",
    "\u200f",
    "می\u200cخواهم",
    "שלום\u2067",
    "\ud83d",
    "\ue000",
    "\ufffd",
    "\x00",
    "\x01",
    "\x1c",
    "\x1f",
    "\x7f",
    "\x85",
    "\t",
    "\r",
    "\x0b",
    "\n",
    "&amp;",
    "&#8217;",
    "AT&T;",
    "3 < 5 > 2",
    "<br>",
    "<p class='x'>",
    "CafÃ©",
    "donâ€™t",
    "Ã¢â‚¬â„¢",
    "Café ",
    "São Paulo ",
    "Cafe\u0301 ",
    "u\u0308",
    "ﬁ",
    "’",
    "“quoted”",
    "\u00a0",
    "Leave a Reply\n",
    "Share this article\n",
    "- Read more\n",
    "© 2024 Harbour Times. All rights reserved.\n",
    "Your email address will not be published. Required fields are marked *\n",
    "https://www.example.com/a.b?c=d ",
    ". ",
    "? ",
    "x" * 310,
]
# Every character Windows-1252 has (ASCII, Latin-1 letters, curly quotes, dashes, NBSP, the euro).
CP1252 = sorted({bytes([b]).decode("cp1252", errors="ignore") for b in range(256)} - {""})
TEXT = st.one_of(
    st.text(max_size=80),
    st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=120),
    st.text(alphabet=st.sampled_from(CP1252), max_size=120),
    st.lists(st.sampled_from([*PIECES, *CP1252]), max_size=20).map("".join),
    st.lists(st.sampled_from(PIECES), max_size=14).map("".join),
)
VALUE = st.one_of(TEXT, st.sampled_from(PIECES), st.just(""), st.none(), st.integers(), st.lists(TEXT, max_size=2))
PROVIDER = st.one_of(st.none(), st.text(max_size=5), st.fixed_dictionaries({}, optional={"name": VALUE}))
ITEM = st.one_of(
    VALUE,
    st.fixed_dictionaries({}, optional={"title": VALUE, "excerpt": VALUE, "provider": PROVIDER}),
)
FIELD = st.one_of(st.sampled_from(PIECES), TEXT, st.just(""))
NAMED = st.fixed_dictionaries({"name": FIELD})
# Clippings as they come (every field a string), and odd front matter (any value, any type).
DATA = st.one_of(
    st.fixed_dictionaries(
        {
            "title": FIELD,
            "excerpt": FIELD,
            "provider": NAMED,
            "topics": st.lists(FIELD, max_size=3),
            "related": st.lists(
                st.fixed_dictionaries({"title": FIELD, "excerpt": FIELD, "provider": NAMED}), max_size=3
            ),
        }
    ),
    st.none(),
    st.fixed_dictionaries(
        {},
        optional={
            "title": VALUE,
            "excerpt": VALUE,
            "provider": PROVIDER,
            "topics": st.one_of(VALUE, st.lists(VALUE, max_size=4)),
            "related": st.one_of(VALUE, st.lists(ITEM, max_size=3)),
        },
    ),
)

LANGUAGE_OPTIONS = [
    {**language.CHECK.options},
    {**language.CHECK.options, "min_sentence_words": 2},
    {**language.CHECK.options, "min_sentence_words": 0},
    {**language.CHECK.options, "languages": ["de"]},
    {**language.CHECK.options, "languages": ["zh"]},
    {**language.CHECK.options, "languages": ["en", "ko"]},
]
ENCODING_OPTIONS = [{**encoding.CHECK.options}, {**encoding.CHECK.options, "nfc": False}]
BOILERPLATE_OPTIONS = [
    {**boilerplate.CHECK.options},
    {**boilerplate.CHECK.options, "fields": ["topics[]", "provider.name", "related[1].title"]},
]


def reference_fields(rec: Record) -> Iterator[tuple[str, str]]:
    """The field generator as it was before ``record_fields``: (field, text)."""
    data = rec.data
    if isinstance(data, dict):
        for name in ("title", "excerpt"):
            value = data.get(name)
            if isinstance(value, str) and value:
                yield name, value
        provider = data.get("provider")
        if isinstance(provider, dict) and isinstance(provider.get("name"), str) and provider["name"]:
            yield "provider.name", provider["name"]
        topics = data.get("topics")
        if isinstance(topics, list):
            for i, topic in enumerate(topics):
                if isinstance(topic, str) and topic:
                    yield f"topics[{i}]", topic
        related = data.get("related")
        if isinstance(related, list):
            for i, item in enumerate(related):
                if not isinstance(item, dict):
                    continue
                for name in ("title", "excerpt"):
                    value = item.get(name)
                    if isinstance(value, str) and value:
                        yield f"related[{i}].{name}", value
                prov = item.get("provider")
                if isinstance(prov, dict) and isinstance(prov.get("name"), str) and prov["name"]:
                    yield f"related[{i}].provider.name", prov["name"]
    if rec.body:
        yield "body", rec.body


def slow_language(rec: Record, options: Mapping[str, Any]) -> list[Finding]:
    st_ = language.settings_from(options)
    return [
        f
        for fld, text in reference_fields(rec)
        for f in language.field_findings(TextField(rec, fld, text), st_, kind=re.sub(r"\[\d+\]", "[]", fld))
    ]


def slow_encoding(rec: Record, options: Mapping[str, Any]) -> list[Finding]:
    nfc = bool(options.get("nfc", True))
    out = [f for fld, text in reference_fields(rec) for f in encoding.field_findings(TextField(rec, fld, text), nfc)]
    if any(f.rule == "E101" for f in rec.findings):
        out = [f for f in out if f.rule != "E202"]
    return out


def slow_boilerplate(rec: Record, options: Mapping[str, Any]) -> list[Finding]:
    pats = boilerplate.patterns_from(options)
    fields = tuple(options["fields"])
    return [
        f
        for fld, text in reference_fields(rec)
        if boilerplate._wanted(fld, fields)
        for f in boilerplate.field_findings(TextField(rec, fld, text), pats)
    ]


def make_record(data: dict[str, Any] | None, body: str) -> Record:
    return Record("fast.txt", "fast.txt", text="", data=data, body=body, has_front_matter=data is not None)


@settings(max_examples=400, deadline=None)
@given(DATA, TEXT)
def test_record_fields_are_the_fields_of_the_old_generator(data: dict[str, Any] | None, body: str) -> None:
    rec = make_record(data, body)
    fields = record_fields(rec)
    assert [(f, t) for f, _k, t in fields] == list(reference_fields(rec))
    assert [k for _f, k, _t in fields] == [re.sub(r"\[\d+\]", "[]", f) for f, _k, _t in fields]
    assert [(tf.field, tf.text) for tf in text_fields(rec)] == list(reference_fields(rec))
    assert record_fields(rec) is fields  # the second check of a record gets them for free


def test_record_fields_follow_a_new_body_or_data() -> None:
    rec = make_record({"title": "One"}, "first body")
    assert [t for _f, _k, t in record_fields(rec)] == ["One", "first body"]
    rec.body = "second body"
    assert [t for _f, _k, t in record_fields(rec)] == ["One", "second body"]
    rec.data = {"title": "Two"}
    assert [t for _f, _k, t in record_fields(rec)] == ["Two", "second body"]
    other = make_record({"title": "Two"}, "second body")
    assert record_fields(other) == record_fields(rec) and record_fields(other) is not record_fields(rec)


def test_long_lists_get_their_own_field_names() -> None:
    data = {"topics": [f"t{i}" for i in range(70)], "related": [{"title": f"r{i}"} for i in range(70)]}
    rec = make_record(data, "")
    assert [(f, t) for f, _k, t in record_fields(rec)] == list(reference_fields(rec))


@settings(max_examples=300, deadline=None)
@given(DATA, TEXT, st.sampled_from(LANGUAGE_OPTIONS))
def test_language_fast_path_is_exact(data: dict[str, Any] | None, body: str, options: dict[str, Any]) -> None:
    rec = make_record(data, body)
    assert list(language.check_record(rec, Context(options, {}))) == slow_language(rec, options)


@settings(max_examples=400, deadline=None)
@given(DATA, TEXT, st.sampled_from(ENCODING_OPTIONS), st.booleans())
def test_encoding_fast_path_is_exact(
    data: dict[str, Any] | None, body: str, options: dict[str, Any], e101: bool
) -> None:
    rec = make_record(data, body)
    if e101:
        rec.findings.append(Finding("E101", "encoding", "error", "fast.txt"))
    assert list(encoding.check_record(rec, Context(options, {}))) == slow_encoding(rec, options)


@settings(max_examples=400, deadline=None)
@given(DATA, TEXT, st.sampled_from(BOILERPLATE_OPTIONS))
def test_boilerplate_fast_path_is_exact(data: dict[str, Any] | None, body: str, options: dict[str, Any]) -> None:
    rec = make_record(data, body)
    assert list(boilerplate.check_record(rec, Context(options, {}))) == slow_boilerplate(rec, options)


@settings(max_examples=1000, deadline=None)
@given(TEXT)
def test_quiet_text_only_skips_fields_without_findings(text: str) -> None:
    rec = make_record(None, text)
    tf = TextField(rec, "body", text)
    if encoding.quiet_text(text):
        assert encoding.field_findings(tf) == []
    for options in LANGUAGE_OPTIONS:
        st_ = language.settings_from(options)
        if language.quiet_text(text, st_):
            assert language.field_findings(tf, st_) == []


def test_quiet_text_sees_what_it_must() -> None:
    """The fields the fast paths must not skip (each holds a finding), and ones they may."""
    assert not encoding.quiet_text("line one\x01 two")
    assert not encoding.quiet_text("para\n\x7f")
    assert not encoding.quiet_text("AT&amp;T")
    assert not encoding.quiet_text("a<br>b")
    assert encoding.quiet_text("plain text\n\twith tabs\r\nand lines")
    assert not encoding.quiet_text("co\u00adop")  # a soft hyphen is Windows-1252 and invisible (E213)
    st_ = language.settings_from(LANGUAGE_OPTIONS[0])
    assert not language.quiet_text("El gobierno dijo que la ley es para todos.", st_)
    assert language.quiet_text("The government said the plan would go ahead.", st_)
    assert language.quiet_text("la la la", st_)  # three tokens: no sentence has four
    # Windows-1252 text: curly quotes and dashes are no damage and no language; accents and
    # mojibake leads are asked about.
    curly = "It\u2019s a \u201cquote\u201d \u2014 and the plan\u00a0would go ahead."
    assert encoding.quiet_text(curly) and language.quiet_text(curly, st_)
    assert not encoding.quiet_text("Caf\u00c3\u00a9 and more") and not encoding.quiet_text("x\u2019\x01")
    assert not language.quiet_text("The plan of the S\u00e3o Paulo government went ahead.", st_)
    assert not language.quiet_text(curly, language.settings_from(LANGUAGE_OPTIONS[-1]))  # Hangul expected too
    assert not encoding.quiet_text("emoji \U0001f680") and not language.quiet_text(
        "\u6446\u8131 of the plan today", st_
    )


def test_unhashable_fields_option_fails_as_before() -> None:
    options = {**boilerplate.CHECK.options, "fields": [["body"]]}
    rec = make_record({"title": "Leave a Reply"}, "")
    with pytest.raises(TypeError):
        list(boilerplate.check_record(rec, Context(options, {})))


def test_repeated_short_texts_are_reported_for_each_record_and_field() -> None:
    """A text seen before (the memo of short texts) is still reported where it now is."""
    chrome = "Leave a Reply"
    spanish = "El gobierno dijo que la ley es para todos los ciudadanos del pais."
    first = Record("a.txt", "a.txt", data={"title": chrome, "excerpt": spanish}, has_front_matter=True)
    second = Record(
        "b.txt",
        "b.txt",
        data={"related": [{"title": "Other"}, {"title": chrome, "excerpt": spanish}]},
        has_front_matter=True,
    )
    for rec, fields in ((first, ("title", "excerpt")), (second, ("related[1].title", "related[1].excerpt"))):
        bp = list(boilerplate.check_record(rec, Context(BOILERPLATE_OPTIONS[0], {})))
        assert [(f.rule, f.path, f.field, f.evidence) for f in bp] == [("B101", rec.path, fields[0], chrome)]
        assert bp == slow_boilerplate(rec, BOILERPLATE_OPTIONS[0])
        lang = list(language.check_record(rec, Context(LANGUAGE_OPTIONS[0], {})))
        assert [(f.rule, f.path, f.field) for f in lang] == [("L102", rec.path, fields[1])]
        assert lang == slow_language(rec, LANGUAGE_OPTIONS[0])


def test_short_text_memo_starts_over_for_new_settings_and_when_full() -> None:
    memo: ShortTextMemo[int] = ShortTextMemo(limit=2)
    one, two = object(), object()
    table = memo.table(one)
    table["a"] = 1
    assert memo.table(one) is table and memo.table(one) == {"a": 1}
    assert memo.table(two) == {}  # other settings: the results no longer hold
    memo.table(two).update({"a": 1, "b": 2})
    assert memo.table(two) == {}  # full: starts over


@settings(max_examples=300, deadline=None)
@given(TEXT, st.sampled_from(LANGUAGE_OPTIONS))
def test_foreign_sentence_screen_is_exact(text: str, options: dict[str, Any]) -> None:
    """The field screens of foreign_sentences (no rare lower-case word; rare words never two to a
    sentence; sentences without two of them as substrings) skip only sentences the lexical screen
    would skip anyway: the same findings as reading every sentence."""
    st_ = language.settings_from(options)
    assert list(language.foreign_sentences(text, st_)) == list(language.foreign_sentences(text, st_, screen=False))


@pytest.mark.parametrize(
    "text",
    [
        "Telecom telecom. Plain words here telecom and more telecom words here.",
        "Die Regierung hat heute neue Massnahmen angekundigt und sie sind gut. The end.",
        "A rare zyzzyva word. Another zyzzyva here? Yes: zyzzyva zyzzyva twice in one.",
        "U.S. officials said flibber. Then flobber, flibber went on.\nNew line flobber flibber.",
    ],
)
def test_foreign_sentence_screen_is_exact_on_hand_made_text(text: str) -> None:
    st_ = language.settings_from(LANGUAGE_OPTIONS[0])
    assert list(language.foreign_sentences(text, st_)) == list(language.foreign_sentences(text, st_, screen=False))


SHORT_PIECES = [
    "The minister said the plan would go ahead. ",
    "Doch Keith bleibt entspannt. ",
    "Bist du glücklich? ",
    "Dans quel cadre ? ",
    "U.s. ",
    "e.g. ",
    "telecom ",
    "flibber zyzzyva. ",
    "Auch Herbert Grönemeyer gehört zu den Unterstützern. ",
    "\n",
    "”. ",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(SHORT_PIECES), max_size=12).map("".join))
def test_short_sentence_screen_is_exact(text: str) -> None:
    """The stretch between the characters that may end a sentence holds no more lower-case words
    than the sentence: skipping by it finds what splitting every line finds."""
    st_ = language.settings_from(LANGUAGE_OPTIONS[0])
    assert language.foreign_short_sentences(text, st_) == language.foreign_short_sentences(text, st_, screen=False)


# ---------------------------------------------------------------- issue 18's speed: what L102/L103 read

LONG_ENGLISH = (
    "The telecom regulator said on Tuesday that Xi Jinping and WeChat executives met in Brussels, where the "
    "semiconductor makers and the cranes of the port were discussed at length by ministers and their advisers. "
)
# Foreign sentences with no letter outside ASCII: only their function words tell them (the class the
# screen is built for), in the languages of the stop lists.
PLAIN_FOREIGN = [
    "Die Regierung hat heute neue Massnahmen angekundigt und sie sind gut.",
    "Bisherige Verfahren beruhen meist darauf, die Akkus einzuschmelzen.",
    "Doch Keith bleibt entspannt.",
    "JavaScript muss aktiviert werden, damit sie angezeigt werden kann.",
    "Le president a dit que la reforme est une bonne chose pour le pays.",
    "Dans quel cadre ?",
    "El gobierno dijo que la ley es para todos los ciudadanos del pais.",
    "Acepto las condiciones de las normas de uso y aviso legal.",
    "Il governo ha detto che la legge sara approvata entro la fine del mese.",
    "O governo disse que a lei sera votada ainda este ano pelos deputados.",
    "De regering heeft vandaag nieuwe maatregelen aangekondigd voor het onderwijs.",
    "Regeringen har i dag presenterat nya regler for skolan och vården.",
    "Hukumet bu yil yeni bir yasa ile vergileri degistirmek istiyor.",
    "Rzad przedstawil dzisiaj nowe przepisy dla szkol oraz szpitali.",
    "Pemerintah akan membangun jalan baru untuk desa yang terpencil.",
    "Ang mga bata ay naglalaro sa parke tuwing hapon.",
]


@pytest.mark.parametrize("sentence", PLAIN_FOREIGN)
def test_a_plain_foreign_sentence_keeps_its_line_read(sentence: str) -> None:
    """A foreign sentence in a long English line, or alone, holds evidence: its line is read as it
    is and the narrowed check finds what the plain one finds."""
    st_ = language.settings_from(LANGUAGE_OPTIONS[0])
    for text in (LONG_ENGLISH + sentence + " " + LONG_ENGLISH, f"{LONG_ENGLISH}\n\n{sentence}\n\n{LONG_ENGLISH}"):
        read = language.reading(text, st_.min_words)
        assert not read.quiet
        at = text.index(sentence)
        assert read.text[at : at + len(sentence)] == sentence
        assert language.field_hits(text, st_) == language.field_hits(text, st_, narrow=False)


@pytest.mark.parametrize(
    "text",
    [
        LONG_ENGLISH * 2,
        "Network startup satellite telecom vaccine supply university (4806)",
        f"Satellite cranes city model funding (3)\nJune 28, 2022\n\n{LONG_ENGLISH * 2}\n\n{LONG_ENGLISH}",
        "Alibaba said WeChat and Baidu would build telecom chips in Shenzhen, Xi Jinping told the congress today.",
    ],
)
def test_rare_english_words_and_names_make_nothing_read(text: str) -> None:
    """'telecom' in every generated body, names in every real one: no foreign evidence, prose only."""
    assert language.reading(text, 4) == language.QUIET


def test_short_lines_are_read_whatever_their_evidence() -> None:
    """Menu items, buttons and headings are L103's: read without evidence ('Kontakt', 'Abonnemente')."""
    text = f"{LONG_ENGLISH * 2}\nKontakt\nAbonnemente\n{LONG_ENGLISH * 2}"
    read = language.reading(text, 4)
    assert not read.quiet and "\nKontakt\nAbonnemente\n" in read.text
    assert read.text.count("-" * 300) == 2  # the two lines of English prose are blanked


FOREIGN_PIECES = [*PIECES, *(s + " " for s in PLAIN_FOREIGN), LONG_ENGLISH, "Kontakt\n", "Passwort vergessen?\n"]


@settings(max_examples=400, deadline=None)
@given(st.one_of(TEXT, st.lists(st.sampled_from(FOREIGN_PIECES), max_size=12).map("".join)))
def test_reading_only_blanks_lines_of_prose_without_evidence(text: str) -> None:
    """What reading() leaves: the text, but lines of prose (over MAX_SHORT_LINE characters, or a
    sentence of min_words lower-case words) that hold no foreign function word, no letter
    outside ASCII and no mark or format character, each character of them a '-'."""
    read = language.reading(text, 4)
    if read.quiet:
        st_ = language.settings_from(LANGUAGE_OPTIONS[0])
        kept = language.field_hits(text, st_)
        assert not [h for h in kept if h[0] != "L101"]
        return
    assert len(read.text) == len(text)
    function = lexical.function_bytes()
    for line, got in zip(text.split("\n"), read.text.split("\n"), strict=True):
        if got == line:
            continue
        assert got == "-" * len(line)
        stripped = line.strip()
        prose = len(stripped) > language.MAX_SHORT_LINE or language._prose_by_sentences(line, 4)
        assert prose
        assert all(c.isascii() or not c.isalpha() for c in line)
        assert not language._ODD_CHAR.search(lexical.word_bytes(line))
        assert function.isdisjoint(lexical.word_bytes(line).translate(lexical.KEEP).split())


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(FOREIGN_PIECES), max_size=12).map("".join), st.sampled_from(LANGUAGE_OPTIONS))
def test_narrowed_reading_loses_nothing_on_foreign_text(text: str, options: dict[str, Any]) -> None:
    st_ = language.settings_from(options)
    assert language.field_hits(text, st_) == language.field_hits(text, st_, narrow=False)


def _labelled_texts() -> Iterator[tuple[str, str, str]]:
    """(where, kind, text) of every text field of the real-page tune split's clippings (full and
    main text), of the labelled cases, of the seeds and of the examples."""
    from tests import realpages_eval, text_eval
    from tests.conftest import EXAMPLES, SEEDS

    docs = realpages_eval.load("tune")
    for c in [*realpages_eval.full_clippings(docs), *realpages_eval.main_clippings(docs)]:
        yield f"tune:{c.doc.id}", "body", c.text.split("\n---\n", 1)[1]
    for case in text_eval.load_cases():
        yield f"text_eval:{case['id']}", "body", str(case["text"])
    folders = [EXAMPLES, *([SEEDS] if SEEDS.is_dir() else [])]
    for folder in folders:
        for path in sorted(folder.glob("*.txt")):
            rec = read_record(Source(path.name, str(path)))
            for field, kind, text in record_fields(rec):
                yield f"{folder.name}:{path.name}:{field}", kind, text


def test_narrowed_reading_loses_nothing_on_the_labelled_texts() -> None:
    """On every text of the tune split, the labelled set, the seeds and the examples, the check
    with reading()'s narrowing finds exactly what it finds reading every line."""
    st_ = language.settings_from(LANGUAGE_OPTIONS[0])
    found = 0
    for where, kind, text in _labelled_texts():
        plain = language.field_hits(text, st_, kind=kind, narrow=False)
        assert language.field_hits(text, st_, kind=kind) == plain, where
        found += len(plain)
    assert found >= 1000  # (the texts hold many findings: a real comparison)


PROSE_PIECES = [*"abcXYZ .!?\u00a0\u2009\t\x1c”)é", "É", "U.S.", "e.g.", "ş"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(PROSE_PIECES), max_size=40).map("".join))
def test_prose_counted_in_c_is_the_count_by_sentences(line: str) -> None:
    for min_words in (0, 1, 2, 4):
        assert language._prose(line, min_words) == language._prose_by_sentences(line, min_words)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*PIECES, "Ω ", "⠓⠑⠇⠇⠕ ", "々", "🈀", "ʪʫ"]), max_size=16).map("".join))
def test_foreign_runs_tried_at_candidates_are_every_run(text: str) -> None:
    for options in LANGUAGE_OPTIONS:
        st_ = language.settings_from(options)
        assert [m.span() for m in language._run_matches(text, st_)] == [
            m.span() for m in st_.foreign_run.finditer(text)
        ]


def test_every_foreign_script_character_is_a_candidate() -> None:
    """Each code point outside Latin, Common and Inherited (as the regex module's Unicode data
    has them) is one of _MAYBE_FOREIGN's: a run cannot start anywhere else."""
    st_ = language.settings_from(LANGUAGE_OPTIONS[0])
    assert st_.latin_only
    foreign, maybe = st_.foreign_char, language._MAYBE_FOREIGN
    missed = [hex(cp) for cp in range(0x110000) if foreign.match(chr(cp)) and not maybe.match(chr(cp))]
    assert missed == []


def test_one_screen_for_bad_and_invisible_characters() -> None:
    """encoding's _BAD_OR_INVISIBLE matches every character _BAD_SCREEN or _INVISIBLE matches."""
    bad, invisible, both = encoding._BAD_SCREEN, encoding._INVISIBLE, encoding._BAD_OR_INVISIBLE
    for cp in range(0x110000):
        c = chr(cp)
        assert bool(both.match(c)) == bool(bad.match(c) or invisible.match(c)), hex(cp)


SEPARATOR_PIECES = [*"›»«‹→←•·|>", " ", "\t", "\u00a0", "\u3000", "a", "Z", "-", "<", "News", " > ", " | ", " » "]


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from(SEPARATOR_PIECES), max_size=14).map("".join))
@example("News > Economy > Business")  # a trail: ">" is ASCII's other mark
@example("Blogs | Quizzes | Video")
@example("« Older")
@example("More ›")
def test_a_line_without_a_separator_mark_is_no_row_of_links(line: str) -> None:
    """boilerplate._separated (the search tried only on a line holding one of its marks: "|" or
    ">" in ASCII, the character class otherwise) is the search of _SEPARATED, on lines of marks,
    white space of several scripts and words, ASCII or not."""
    assert boilerplate._separated(line) == (boilerplate._SEPARATED.search(line) is not None), line


CAMEL_PIECES = [*"aZz)(×÷ßÿÀÖØÞàöøµ ǅǆ1.", "Facebook", "Twitter", "DatenschutzKontakt", "İ", "ı", "ﬃ", "\u0345"]


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from(CAMEL_PIECES), max_size=12).map("".join))
@example("FacebookTwitter")
@example("(UPDATED)Terms")
@example("City airline rail (0)")
def test_a_line_in_sentence_case_runs_no_words_together(line: str) -> None:
    """boilerplate._camel (the search tried only on a line whose characters after the first are
    not all lower case) is the search of _CAMEL, on lines of capitals and small letters of
    Windows-1252 and beyond, title-case letters, digits and marks."""
    assert boilerplate._camel(line) == (boilerplate._CAMEL.search(line) is not None), line


class _Keys:
    """Keys that are never disjoint from anything: vocabulary_kind's screen then never answers."""

    def __init__(self, keys: Any) -> None:
        self.keys = keys

    def isdisjoint(self, other: Any) -> bool:
        return False


class _Unscreened(dict[str, str]):
    def keys(self) -> Any:
        return _Keys(super().keys())


_VOCABULARY = boilerplate.shipped_vocabulary()
VOCABULARY_PIECES = [
    *sorted(_VOCABULARY.words)[::7],
    *sorted(_VOCABULARY.function)[::5],
    *sorted(_VOCABULARY.calls),
    *sorted(_VOCABULARY.reader),
    "comments",
    "views",
    "kommentare",
    "policy",
    "privacy",
    "city",
    "market",
    "ministers",
    "l'",
    "dell'",
    "d'",
    "’",
    "'",
    "-",
    "e-",
    "cookie-",
    "+",
    ".",
    "..",
    ":",
    "12",
    "1.2k",
    " ",
    " ",
    " ",
    "?",
    "!",
    "{",
    "_",
    "é",
    "ß",
    "Ö",
    "分享",
]


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(VOCABULARY_PIECES), max_size=14).map("".join), st.booleans(), st.booleans())
@example("Festival data control trade wind (1)", False, False)
@example("Privacy policy", False, False)
@example("Email This", False, False)
@example("12 Comments", False, False)
@example("Partager l'article", False, False)
@example("Cookie-Einstellungen", False, False)
@example("Google+ LinkedIn Facebook", False, False)
@example("Share on e.g. Facebook", False, False)
@example("Comments 12 city market", False, False)
@example("Share Facebook Twitter Email Print Comments a.b.c.d.e.f.g.h.i.j", False, False)  # 7 words, 16 runs
def test_vocabulary_kind_screen_is_exact(line: str, upper: bool, title: bool) -> None:
    """vocabulary_kind's screens (no word is a furniture word, and no word is elided or hyphenated:
    None at once; on an ASCII line without "-", "'", "+" or ".", its words read as runs of letters
    by a bytes split) answer what reading every word answers (the same function with a vocabulary
    whose words are never disjoint from a line's, and no ASCII words to screen with), on lines
    made of furniture words, function words, elisions, hyphens, counts, other words and scripts,
    in capitals and in title case."""
    if upper:
        line = line.upper()
    elif title:
        line = line.title()
    unscreened = dataclasses.replace(_VOCABULARY, words=_Unscreened(_VOCABULARY.words), ascii_words=None)
    assert boilerplate.vocabulary_kind(line, _VOCABULARY) == boilerplate.vocabulary_kind(line, unscreened), line
