"""Check `encoding` (E201-E209): each rule firing and not firing, spans and lines exact, seeds."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.corpus import Record
from qa.findings import Severity
from tests.textcheck_helpers import SEEDS, file_at, record, replacement, run, seed

FM = '---\ntitle: "{title}"\nexcerpt: "Plain text."\nprovider:\n  name: Example News\ntopics:\n  - AI\n---\n{body}'


def clip(tmp_path: Path, title: str = "A clean title", body: str = "A clean body.\n") -> list:
    return run("encoding", record(tmp_path, FM.format(title=title, body=body)))


def test_clean_text_with_curly_quotes_and_nbsp_dash_passes(tmp_path: Path) -> None:
    body = "China’s “super app” –\u00a0a case study. Café, Zürich, São Paulo. 🚗💨 🚀🌕🪐 ☀️🔋🚗\n"
    assert clip(tmp_path, "China’s big tech self-reliance push – How realistic", body) == []


def test_mojibake_in_title_located_with_repair(tmp_path: Path) -> None:
    title = "He donâ€™t like the CafÃ© menu"
    [f1, f2] = [f for f in clip(tmp_path, title) if f.rule == "E201"]
    assert f1.field == "title" and f1.severity == "error"
    assert title[f1.span[0] : f1.span[1]] == "â€™" and replacement(f1) == "’"
    assert title[f2.span[0] : f2.span[1]] == "Ã©" and replacement(f2) == "é"
    rec = record(tmp_path, FM.format(title=title, body=""))
    assert f1.line == 2
    assert file_at(rec, f1.line, f1.column, 3) == "â€™"
    assert file_at(rec, f2.line, f2.column, 2) == "Ã©"


def test_mojibake_twice_encoded_in_body(tmp_path: Path) -> None:
    body = "Line one.\nThe Mona Lisa doesnÃƒÂ¢Ã¢â€šÂ¬Ã¢â€žÂ¢t have eyebrows.\n"
    [f] = clip(tmp_path, body=body)
    assert f.rule == "E201" and f.field == "body" and replacement(f) == "’"
    assert f.line == 10 and f.column == len("The Mona Lisa doesn") + 1
    assert body[f.span[0] : f.span[1]].startswith("Ãƒ")


def test_replacement_control_surrogate_private_use(tmp_path: Path) -> None:
    body = "Lost \ufffd here, bell \x07 there, icon \ue000 too.\n"
    found = {f.rule: f for f in clip(tmp_path, body=body)}
    assert set(found) == {"E202", "E203", "E205"}
    assert body[slice(*found["E202"].span)] == "\ufffd"
    assert body[slice(*found["E203"].span)] == "\x07" and replacement(found["E203"]) == ""
    assert found["E205"].column == body.index("\ue000") + 1
    # neither UTF-8 files nor YAML escapes can carry one, but text from other readers can
    text = "half \ud83d emoji"
    rec = Record("mem.txt", "mem.txt", text=text, body=text)
    [f] = run("encoding", rec)
    assert f.rule == "E204" and f.field == "body" and f.span == (5, 6) and (f.line, f.column) == (1, 6)


def test_tabs_and_newlines_are_not_controls(tmp_path: Path) -> None:
    assert clip(tmp_path, body="a\tb\r\nc\n") == []


def test_html_entities_and_tags_are_warnings_with_fixes(tmp_path: Path) -> None:
    body = 'Procter &amp; Gamble said it&#8217;s fine.<br>New line <a href="x">link</a>.\n'
    fs = clip(tmp_path, body=body)
    ents = [f for f in fs if f.rule == "E206"]
    tags = [f for f in fs if f.rule == "E207"]
    assert [replacement(f) for f in ents] == ["&", "’"]
    assert [body[slice(*f.span)] for f in tags] == ["<br>", '<a href="x">', "</a>"]
    assert all(f.severity == Severity.WARNING.value for f in fs)


def test_ampersand_and_comparisons_are_not_html(tmp_path: Path) -> None:
    assert clip(tmp_path, body="AT&T and P&G; 3 < 5 > 2; <Name> placeholder; &notanentity;\n") == []


def test_stripped_zwj_found_and_repaired(tmp_path: Path) -> None:
    body = "Astronauts 👨🚀 and coders 👩💻 walk 🚶♀️ fast 🚗💨.\n"
    fs = [f for f in clip(tmp_path, body=body) if f.rule == "E208"]
    assert [replacement(f) for f in fs] == ["👨\u200d🚀", "👩\u200d💻", "🚶\u200d♀️"]
    assert [body[slice(*f.span)] for f in fs] == ["👨🚀", "👩💻", "🚶♀️"]


def test_joined_sequence_is_not_flagged(tmp_path: Path) -> None:
    assert clip(tmp_path, body="Astronaut 👨\u200d🚀 and family 👨\u200d👩\u200d👧.\n") == []


def test_not_nfc_is_info(tmp_path: Path) -> None:
    body = "Zu\u0308rich\n"
    [f] = clip(tmp_path, body=body)
    assert f.rule == "E209" and f.severity == "info" and replacement(f) == "ü" and body[slice(*f.span)] == "u\u0308"
    rec = record(tmp_path, FM.format(title="x", body=body))
    assert run("encoding", rec, nfc=False) == []


def test_related_and_topics_are_checked(tmp_path: Path) -> None:
    text = (
        '---\ntitle: ok\ntopics:\n  - CafÃ©\nrelated:\n  - title: fine\n    excerpt: "bad \ufffd"\n'
        "    provider:\n      name: Le Monde &amp; co\n---\n"
    )
    fs = run("encoding", record(tmp_path, text))
    assert {(f.field, f.rule) for f in fs} == {
        ("topics[0]", "E201"),
        ("related[0].excerpt", "E202"),
        ("related[0].provider.name", "E206"),
    }
    lines = {f.field: f.line for f in fs}
    assert lines == {"topics[0]": 4, "related[0].excerpt": 7, "related[0].provider.name": 9}


@pytest.mark.skipif(not SEEDS.is_dir(), reason="seeds not present")
def test_seeds() -> None:
    for prefix in ("000", "001", "002", "004"):
        assert run("encoding", seed(prefix)) == []  # curly quotes and the NBSP-dash are legitimate
    fs = run("encoding", seed("003"))
    assert [(f.rule, replacement(f), f.line) for f in fs] == [
        ("E208", "👨\u200d🎓", 14),
        ("E208", "👩\u200d💻", 14),
        ("E208", "🚶\u200d♀️", 28),
        ("E208", "👨\u200d🚀", 67),
    ]
    rec = seed("003")
    for f in fs:
        assert rec.text.split("\n")[f.line - 1][f.column - 1] == rec.body[f.span[0]]


@pytest.mark.parametrize(
    ("body", "code", "hit"),
    [
        ("Zero\u200bwidth space.\n", "E210", "\u200b"),
        ("Two\u200b\u200bin a row.\n", "E210", "\u200b\u200b"),
        ("Stray\u200cnon-joiner.\n", "E211", "\u200c"),
        ("Stray\u200djoiner between letters.\n", "E211", "\u200d"),
        ("Joiner before an emoji a\u200d🚀.\n", "E211", "\u200d"),
        ("Word\u2060joiner.\n", "E212", "\u2060"),
        ("Invisible times a\u2062b.\n", "E212", "\u2062"),
        ("co\u00adoperation of the hyphen\u00adated.\n", "E213", "\u00ad"),
        ("A BOM\ufeff inside the text.\n", "E214", "\ufeff"),
        ("access = 'user\u202e \u2066// admin\u2069 \u2066'\n", "E215", "\u202e"),
        ("Isolated \u2066text\u2069 in English.\n", "E215", "\u2066"),
        ("A mark\u200e in English.\n", "E216", "\u200e"),
        ("A Hangul filler \u3164 as a name.\n", "E216", "\u3164"),
    ],
)
def test_invisible_characters_found_with_their_fix(tmp_path: Path, body: str, code: str, hit: str) -> None:
    fs = [f for f in clip(tmp_path, body=body) if f.rule == code]
    assert fs, f"{code} not found"
    f = fs[0]
    assert body[slice(*f.span)] == hit and replacement(f) == "" and f.field == "body"
    assert f.line == 9 and f.column == body.index(hit) + 1
    fixed = body
    for g in sorted(fs, key=lambda g: g.span, reverse=True):
        fixed = fixed[: g.span[0]] + (replacement(g) or "") + fixed[g.span[1] :]
    assert hit[0] not in fixed


def test_every_invisible_character_of_a_field_is_reported(tmp_path: Path) -> None:
    body = "co\u00adop and hy\u00adphen, a\u200bb, and \u202eevil.\n"
    fs = clip(tmp_path, body=body)
    assert [(f.rule, body[slice(*f.span)]) for f in fs] == [
        ("E213", "\u00ad"),
        ("E213", "\u00ad"),
        ("E210", "\u200b"),
        ("E215", "\u202e"),
    ]
    assert [f.severity for f in fs] == ["warning", "warning", "warning", "error"]
    # applying every fix gives the visible text
    out, last = [], 0
    for f in fs:
        out.append(body[last : f.span[0]] + (replacement(f) or ""))
        last = f.span[1]
    assert "".join(out) + body[last:] == "coop and hyphen, ab, and evil.\n"


@pytest.mark.parametrize(
    "body",
    [
        "Astronaut 👨\u200d🚀, family 👨\u200d👩\u200d👧, skin tone 👍🏽 and 🧑🏽\u200d🚀, flag 🏳️\u200d🌈.\n",
        "Persian uses the non-joiner: می\u200cخواهم.\n",
        "Hindi conjuncts: क्\u200dष and क्\u200cष.\n",
        "Hebrew with marks: שלום\u200f and an isolate \u2067שלום\u2069.\n",
        "Arabic letter mark: مرحبا\u061c.\n",
        "Thai word breaks: ภาษา\u200bไทย.\n",
        "Plain text with a hyphen - and NBSP\u00a0dash.\n",
    ],
)
def test_invisible_characters_where_they_belong_pass(tmp_path: Path, body: str) -> None:
    assert [f.rule for f in clip(tmp_path, body=body) if "E210" <= f.rule <= "E216"] == []


def test_invisible_character_in_a_front_matter_field(tmp_path: Path) -> None:
    title = "Soft\u00adhyphen in the title"
    [f] = clip(tmp_path, title=title)
    assert f.rule == "E213" and f.field == "title" and title[slice(*f.span)] == "\u00ad"
    rec = record(tmp_path, FM.format(title=title, body="A clean body.\n"))
    assert file_at(rec, f.line, f.column, 1) == "\u00ad"


def test_markup_quoted_in_code_samples_is_not_a_leftover(tmp_path: Path) -> None:
    body = (
        ">>> tree = html.fromstring('<html><body><span class=\"d\">July 12th</span></body></html>')\n"
        "'# DEBUG analyzing: <h2 class=\"date-header\"><span>Friday</span></h2>'\n"
        'x = "<p>"\n'
        'He said "<b>hello</b>" to everyone.\n'
        "A leftover<br>tag in prose.\n"
    )
    fs = [f for f in clip(tmp_path, body=body) if f.rule == "E207"]
    assert [body[slice(*f.span)] for f in fs] == ["<b>", "</b>", "<br>"]


def test_markup_in_a_markdown_code_span_is_not_a_leftover(tmp_path: Path) -> None:
    body = (
        'The date is read from `<meta>` tags, then from `<time datetime="...">`.\n'
        "An unclosed `tick before a leftover <b>tag.\n"
        "Closed `code` spans before a <i>leftover</i> are no cover.\n"
        "A tick on the next line <u>does not count\n"
        "`either.\n"
    )
    fs = [f for f in clip(tmp_path, body=body) if f.rule == "E207"]
    assert [body[slice(*f.span)] for f in fs] == ["<b>", "<i>", "</i>", "<u>"]


def test_a_tag_named_in_a_sentence_is_no_leftover(tmp_path: Path) -> None:
    """ "from <meta> tags" names a tag (a README's prose); markup left over is followed by its text."""
    body = (
        "description - The description of the document, from <meta> tags\n"
        "Use the <br> element for line breaks.\n"
        "<p> Tags are sold here.\n"
        "A leftover <br>tags in prose.\n"
    )
    fs = [f for f in clip(tmp_path, body=body) if f.rule == "E207"]
    assert [body[slice(*f.span)] for f in fs] == ["<p>", "<br>"]
