"""Check `boilerplate` (B101-B106): chrome lines found, article sentences left alone, patterns extensible."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.checks.boilerplate import shipped_patterns
from tests.textcheck_helpers import SEEDS, file_at, record, run, seed

FM = '---\ntitle: "Title"\nexcerpt: "{excerpt}"\n---\n{body}'


def bp(tmp_path: Path, body: str, excerpt: str = "Plain.", **options: object) -> list:
    return run("boilerplate", record(tmp_path, FM.format(excerpt=excerpt, body=body)), **options)


def test_comment_form_lines(tmp_path: Path) -> None:
    body = (
        "Article text.\n\nLeave a Reply\n"
        "Your email address will not be published. Required fields are marked *\n"
        "  • Cancel reply\n"
    )
    fs = bp(tmp_path, body)
    assert [f.rule for f in fs] == ["B101", "B101", "B101"]
    assert [body[slice(*f.span)] for f in fs] == [
        "Leave a Reply",
        "Your email address will not be published. Required fields are marked *",
        "• Cancel reply",
    ]
    assert [f.line for f in fs] == [7, 8, 9]
    rec = record(tmp_path, FM.format(excerpt="Plain.", body=body))
    assert file_at(rec, fs[2].line, fs[2].column, 14) == "• Cancel reply"
    assert all(f.severity == "warning" for f in fs)


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("Share this article", "B102"),
        ("Facebook Twitter LinkedIn WhatsApp Email", "B102"),
        ("Subscribe to our newsletter", "B103"),
        ("This website uses cookies to improve your experience.", "B104"),
        ("Read more »", "B105"),
        ("Continue reading", "B105"),
        ("Skip to content", "B107"),
        ("Schreibe einen Kommentar", "B101"),
        ("Laisser un commentaire", "B101"),
        ("발행 전에", None),
    ],
)
def test_categories(tmp_path: Path, line: str, code: str | None) -> None:
    fs = bp(tmp_path, f"Text.\n{line}\nMore text.\n")
    assert [f.rule for f in fs] == ([code] if code else [])


def test_sentences_mentioning_chrome_words_pass(tmp_path: Path) -> None:
    body = (
        "Readers can leave a reply on the website, the editor said.\n"
        "The company said it uses cookies to track users, a practice regulators criticized.\n"
        "Many readers subscribe to the newsletter for its weekly analysis.\n"
        "Read more about the election in our live coverage below, which is updated hourly.\n"
        "Posted in 2019, the video went viral.\n"
    )
    assert bp(tmp_path, body) == []


def test_excerpt_checked_topics_not(tmp_path: Path) -> None:
    text = '---\nexcerpt: "Read more"\ntopics:\n  - Advertisement\n---\n'
    fs = run("boilerplate", record(tmp_path, text))
    assert [(f.field, f.rule, f.line) for f in fs] == [("excerpt", "B105", 2)]


def test_user_patterns_extend_the_shipped_ones(tmp_path: Path) -> None:
    body = "Text.\nPlus de nouvelles sur notre site\n"
    assert bp(tmp_path, body) == []
    [f] = bp(tmp_path, body, extra_patterns={"read-more": ["plus de nouvelles sur notre site"]})
    assert f.rule == "B105"
    extra = tmp_path / "more.yaml"
    extra.write_text("categories:\n  page-chrome:\n    - 'plus de nouvelles .*'\n", encoding="utf-8")
    [g] = bp(tmp_path, body, patterns_file=str(extra))
    assert g.rule == "B106"


def test_bad_user_patterns_are_reported_clearly(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown category"):
        bp(tmp_path, "x\n", extra_patterns={"nonsense": ["x"]})
    with pytest.raises(ValueError, match="bad pattern"):
        bp(tmp_path, "x\n", extra_patterns={"read-more": ["(unclosed"]})


def test_shipped_patterns_are_package_data() -> None:
    pats = shipped_patterns()
    assert set(pats) == {
        "comment-form",
        "share-prompt",
        "subscribe-prompt",
        "cookie-notice",
        "read-more",
        "page-chrome",
        "navigation",
        "copyright-notice",
        "login-prompt",
    }
    assert sum(len(v) for v in pats.values()) > 50


@pytest.mark.skipif(not SEEDS.is_dir(), reason="seeds not present")
def test_seeds() -> None:
    for prefix in ("000", "001", "002", "004"):
        assert run("boilerplate", seed(prefix)) == []
    rec = seed("003")
    fs = run("boilerplate", rec)
    assert [rec.body[slice(*f.span)] for f in fs] == [
        "답글 남기기",
        "이메일 주소는 공개되지 않습니다. 필수 필드는 *로 표시됩니다",
    ]
    assert [f.line for f in fs] == [125, 127]


@pytest.mark.parametrize(
    ("line", "code"),
    [
        # the lines issue 18 found missed on real pages
        ("Sign Up For Our Newsletter", "B103"),
        ("Subscribe to our Harbour Times Today newsletter", "B103"),
        ("Our website uses cookies to offer you a better browsing experience.", "B104"),
        ("Copyright © 2019 Harbour Times", "B108"),
        ("Copyright (c) 2012- Jane Doe. All rights reserved.", "B108"),
        ("Leave A Comment Cancel Reply", "B101"),
        ("Write a comment", "B101"),
        ("READ THE REST", "B105"),
        ("Next Post", "B107"),
        ("Previous Post", "B107"),
        ("Scroll to top", "B107"),
        ("Privacy Policy and Terms of Use", "B106"),
        ("Follow us on linkedin youtube", "B103"),
        ("Deine E-Mail-Adresse wird nicht veröffentlicht. Erforderliche Felder sind mit * markiert.", "B101"),
        ("facebook twitter print email", "B102"),
        # the same kinds in other languages (CMS catalogues and hand-written patterns)
        ("Zum Inhalt springen", "B107"),
        ("» Weiterlesen", "B105"),
        ("Passwort vergessen?", "B109"),
        ("Tous droits réservés", "B108"),
        ("Aller au contenu", "B107"),
        ("Saltar al contenido", "B107"),
        ("Todos los derechos reservados.", "B108"),
        ("Voltar ao topo", "B107"),
        ("Leggi anche: il governo cade", "B105"),
        ("Lees meer", "B105"),
        ("Перейти к содержимому", "B107"),
        ("Все права защищены.", "B108"),
        ("コンテンツへスキップ", "B107"),
        ("返回顶部", "B107"),
        ("본문 바로가기", "B107"),
        ("Home › News › World", "B107"),
        ("Page 2 of 14", "B107"),
        ("5 min read", "B106"),
        ("Already a subscriber? Log in here.", "B109"),
        ("Advertisement", "B106"),
        ("Anzeige", "B106"),
    ],
)
def test_furniture_of_every_kind_in_many_languages(tmp_path: Path, line: str, code: str) -> None:
    fs = bp(tmp_path, f"An article sentence.\n{line}\nAnother sentence.\n")
    assert [(f.rule, f.evidence) for f in fs] == [(code, line.strip())]
    assert f"{fs[0].rule}" in {"B101", "B102", "B103", "B104", "B105", "B106", "B107", "B108", "B109"}


@pytest.mark.parametrize(
    "line",
    [
        # article sentences that mention the words of page furniture
        "Copyright law changed in 2019, the court said.",
        "Next, the minister spoke about the budget.",
        "Previous articles have covered the dispute at length.",
        "12 responses to the survey were received by Friday.",
        "Register now to attend the conference in May.",
        "The company said it uses cookies to improve its ads, regulators said.",
        "We use cookies, the spokesman admitted, but only for analytics.",
        "You are here because the council voted for it.",
        "Sign in sheets were handed out at the door, witnesses said.",
        "Follow the money, the prosecutor told the jury.",
        "Home prices rose 3% in March.",
        "The rights reserved by the treaty were never used.",
        "2019 2020 2021",
        "Designed by Zaha Hadid, the station opened in 2010.",
    ],
)
def test_article_sentences_with_furniture_words_pass(tmp_path: Path, line: str) -> None:
    assert bp(tmp_path, f"An article sentence.\n{line}\n") == []


def test_catalogue_phrases_have_their_sources() -> None:
    import json
    from importlib import resources

    doc = json.loads(resources.files("qa").joinpath("data/boilerplate_phrases.json").read_text(encoding="utf-8"))
    rows = doc["phrases"]
    assert len({lang.split("_")[0].split("-")[0] for _c, lang, _t, _s in rows}) >= 50
    for lang in ("de", "fr", "es", "pt", "it", "nl", "ru", "ja", "zh", "ko"):
        assert any(r[1].startswith(lang) for r in rows), lang
    for category, _lang, text, source in rows:
        assert category in {"comment-form", "share-prompt", "subscribe-prompt", "cookie-notice", "read-more"} | {
            "page-chrome",
            "navigation",
            "copyright-notice",
            "login-prompt",
        }
        assert text.strip() and source.split()[0] in doc["sources"]


def test_shipped_yaml_entries_each_name_a_source() -> None:
    from qa.checks.boilerplate import _shipped_yaml

    for entries in _shipped_yaml()["categories"].values():
        for entry in entries:
            assert isinstance(entry, dict) and entry.get("source"), entry


def test_long_prose_lines_are_never_chrome(tmp_path: Path) -> None:
    line = "Sign up for our newsletter " + "and read the full report on the election results " * 8
    assert bp(tmp_path, f"{line}\n") == []
