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
        ("Skip to content", "B106"),
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
