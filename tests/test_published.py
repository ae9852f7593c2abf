"""Check ``published`` through the real pipeline on generated corpora, and on the seeds."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from qa.config import load_config
from qa.findings import Applicability, Finding, replace_value
from qa.pipeline import RunResult, run
from tests.stories import fields, name, render, story

Check = Callable[..., RunResult]
Write = Callable[[dict[str, str | bytes]], Path]


def published(result: RunResult) -> list[Finding]:
    return [f for f in result.findings if f.check == "published"]


def codes(result: RunResult) -> list[tuple[str, str, str | None]]:
    return sorted((f.rule, f.path, f.field) for f in published(result))


def run_with_options(root: Path, toml: str) -> RunResult:
    cfg_file = root.parent / "clipqa.toml"
    cfg_file.write_text(toml, encoding="utf-8")
    return run([str(root)], load_config(None, config_file=cfg_file))


def line_of(path: Path, key: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if line.startswith(f"{key}:"))


def test_clean_published_and_unpublished_clippings(write_corpus: Write, check: Check) -> None:
    root = write_corpus(
        {
            name(1): story(1),
            name(2): story(2, published=False, heat=-1),
            name(3): story(3, quality=20),  # exactly the minimum
            name(4): story(4, heat=0),  # scored 0 is scored
        }
    )
    result = check([root])
    assert published(result) == []
    assert result.findings == []


# ---------------------------------------------------------------- F101


@pytest.mark.parametrize(
    ("front_matter_line", "fix", "says"),
    [
        ('published: "false"', "false", "string 'false'"),
        ("published: 'true'", "true", "string 'true'"),
        ("published: yes", "true", "YAML 1.1"),
        ("published: no", "false", "YAML 1.1"),
        ("published: off", "false", "YAML 1.1"),
        ("published: 0", "false", "number 0"),
        ("published: 1", "true", "number 1"),
        ("published: null", None, "null"),
        ("published: [true]", None, "list"),
    ],
)
def test_f101_published_not_a_boolean(
    write_corpus: Write, check: Check, front_matter_line: str, fix: str | None, says: str
) -> None:
    # heat -1 and quality 5 would be F102/F104 on a published clipping: F101 stops the other rules
    text = story(1, heat=-1, quality=5).replace("published: true", front_matter_line)
    assert front_matter_line in text
    root = write_corpus({name(1): text})
    result = check([root])
    [f101] = published(result)
    assert f101.rule == "F101" and f101.severity == "error" and f101.field == "published"
    if fix is None:
        assert f101.fix is None
    else:  # the whole value, written as a YAML boolean: safe
        assert f101.fix is not None and f101.fix.applicability is Applicability.SAFE
        assert f101.fix.edits == (replace_value("published", fix),)
    assert says in f101.message
    assert f101.line == line_of(root / name(1), "published")


def test_f101_missing_flag(write_corpus: Write, check: Check) -> None:
    root = write_corpus({name(1): story(1, published=...)})
    result = check([root])
    assert codes(result) == [("F101", name(1), "published")]
    assert "missing" in published(result)[0].message
    # the schema states the fact about the value (S101); F101 the consequence for publishing
    assert ("S101", "published") in [(f.rule, f.field) for f in result.findings]
    assert not [f for f in result.findings if f.rule == "S102"]


def test_f101_with_schema_and_parse_rules_never_three_findings(write_corpus: Write, check: Check) -> None:
    files = {
        "a.txt": story(1).replace("published: true", 'published: "false"'),
        "b.txt": story(2).replace("published: true", "published: yes"),
        "c.txt": story(3, published=...),
    }
    result = check([write_corpus(files)])
    on_flag: dict[str, list[str]] = {}
    for f in result.findings:
        if f.field == "published" or (f.rule == "S101" and f.field == "published"):
            on_flag.setdefault(f.path, []).append(f.rule)
    assert {p: sorted(r) for p, r in on_flag.items()} == {
        "a.txt": ["F101", "S102"],
        "b.txt": ["F101", "P106"],
        "c.txt": ["F101", "S101"],
    }


# ---------------------------------------------------------------- F102 - F104


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"heat": -1}, [("F102", "heat")]),
        ({"heat": 0}, []),
        ({"published": False, "heat": 44}, [("F103", "heat")]),
        ({"published": False, "heat": 0}, [("F103", "heat")]),
        ({"published": False, "heat": -1}, []),
        ({"published": False}, [("F103", "heat")]),  # base heat 31
        ({"quality": 19}, [("F104", "quality")]),
        ({"quality": 20}, []),
        ({"quality": 0, "heat": -1}, [("F102", "heat"), ("F104", "quality")]),
        ({"published": False, "quality": 3, "heat": -1}, []),  # low quality is fine unpublished
        ({"quality": "low"}, []),  # the schema reports the type; nothing to compare
        ({"heat": "hot", "published": False}, []),
    ],
)
def test_scores_against_the_flag(write_corpus: Write, check: Check, changes: dict[str, Any], expected: list) -> None:
    root = write_corpus({name(1): story(1, **changes)})
    result = check([root])
    assert [(f.rule, f.field) for f in sorted(published(result), key=lambda f: f.rule)] == expected
    for f in published(result):
        assert f.line == line_of(root / name(1), f.field or "")


def test_f103_is_a_warning_and_f102_f104_errors(write_corpus: Write, check: Check) -> None:
    root = write_corpus({name(1): story(1, published=False, heat=5), name(2): story(2, heat=-1, quality=1)})
    sev = {f.rule: f.severity for f in published(check([root]))}
    assert sev == {"F103": "warning", "F102": "error", "F104": "error"}


def test_min_quality_is_configurable(write_corpus: Write) -> None:
    root = write_corpus({name(1): story(1, quality=40), name(2): story(2, quality=60)})
    result = run_with_options(root, "[published]\nmin_quality = 50\n")
    assert codes(result) == [("F104", name(1), "quality")]
    assert "below the minimum of 50" in published(result)[0].message


# ---------------------------------------------------------------- F105 - F107


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"title": ""}, [("F105", "title")]),
        ({"title": "   "}, [("F105", "title")]),
        ({"excerpt": ...}, [("F105", "published")]),  # missing: pointed at the flag
        ({"title": "", "excerpt": ""}, [("F105", "excerpt"), ("F105", "title")]),
        ({"images": []}, [("F106", "images")]),
        ({"images": ...}, [("F106", "published")]),
        ({"images": [{"url": "", "width": 10, "height": 10}]}, [("F106", "images")]),
        ({"published": False, "heat": -1, "title": "", "images": []}, []),
    ],
)
def test_published_needs_text_and_an_image(
    write_corpus: Write, check: Check, changes: dict[str, Any], expected: list
) -> None:
    result = check([write_corpus({name(1): story(1, **changes)})])
    assert sorted((f.rule, f.field) for f in published(result)) == expected
    assert all(f.severity == "error" for f in published(result))


def _at(delta: dt.timedelta) -> dt.datetime:
    return (dt.datetime.now(dt.UTC) + delta).replace(microsecond=0)


@pytest.mark.parametrize(
    ("delta", "fires"),
    [
        (dt.timedelta(days=3), True),
        (dt.timedelta(hours=2), True),
        (dt.timedelta(minutes=30), False),  # within the default clock skew of an hour
        (dt.timedelta(days=-400), False),
    ],
)
def test_f107_future_date(write_corpus: Write, check: Check, delta: dt.timedelta, fires: bool) -> None:
    root = write_corpus({name(1): story(1, publishedDateTime=_at(delta))})
    result = check([root])
    assert codes(result) == ([("F107", name(1), "publishedDateTime")] if fires else [])
    if fires:
        assert published(result)[0].line == line_of(root / name(1), "publishedDateTime")


def test_f107_string_dates_and_offsets(write_corpus: Write, check: Check) -> None:
    future = _at(dt.timedelta(days=2)).astimezone(dt.timezone(dt.timedelta(hours=-5)))
    root = write_corpus(
        {
            name(1): story(1, publishedDateTime=future.isoformat()),  # a quoted ISO string, -05:00
            name(2): story(2, publishedDateTime="not a date"),  # the schema's business
            name(3): story(3, published=False, heat=-1, publishedDateTime=future),  # not published
        }
    )
    assert codes(check([root])) == [("F107", name(1), "publishedDateTime")]


def test_clock_skew_is_configurable(write_corpus: Write) -> None:
    root = write_corpus({name(1): story(1, publishedDateTime=_at(dt.timedelta(minutes=30)))})
    assert codes(run_with_options(root, "[published]\nclock_skew_minutes = 5\n")) == [
        ("F107", name(1), "publishedDateTime")
    ]


# ---------------------------------------------------------------- F108


def test_f108_same_canonical_url_published_twice(write_corpus: Write, check: Check) -> None:
    amp_variant = "https://www-maritime-example-com.cdn.ampproject.org/c/s/www.maritime.example.com/2025/story-1/amp/"
    root = write_corpus(
        {
            name(1): story(1),
            # the same page through the AMP cache, with a tracking parameter: another title
            name(2): story(2, webUrl=amp_variant + "?utm_source=feed", originalUrl=...),
            name(3): story(3),
        }
    )
    result = check([root])
    f108 = [f for f in published(result) if f.rule == "F108"]
    assert [(f.path, f.related) for f in f108] == [(name(2), (name(1),))]
    assert "same canonical webUrl" in f108[0].message and f108[0].severity == "error"


def test_f108_same_title_same_provider(write_corpus: Write, check: Check) -> None:
    title = "Rotterdam port strike enters its third week"
    root = write_corpus(
        {
            name(1): story(1, title=title),
            name(2): story(2, title="  ROTTERDAM port strike enters its third week!  "),
            name(3): story(3, title=title, published=False, heat=-1),  # not published: not counted
        }
    )
    f108 = [f for f in published(check([root])) if f.rule == "F108"]
    assert [(f.path, f.related, f.field) for f in f108] == [(name(2), (name(1),), "published")]
    assert "same title from the same provider" in f108[0].message


def test_f108_does_not_fire(write_corpus: Write, check: Check) -> None:
    title = "Rotterdam port strike enters its third week"
    other = {"name": "Port News", "domain": "portnews.example.org"}
    root = write_corpus(
        {
            # same title, different provider: syndication (D104), not a double publication
            name(1): story(1, title=title),
            name(2): story(
                2,
                title=title,
                provider=other,
                webUrl="https://portnews.example.org/strike",
                originalUrl=...,
                ampWebUrl=...,
                cdnAmpWebUrl=...,
            ),
            # same URL, but one of the two is unpublished
            name(3): story(3),
            name(4): story(3, title="Another title for the same page", published=False, heat=-1),
            # a generic short title from one provider, on two different pages
            name(5): story(5, title="Weather"),
            name(6): story(6, title="Weather"),
        }
    )
    assert [f for f in published(check([root])) if f.rule == "F108"] == []


def test_f108_groups_of_three_name_every_file(write_corpus: Write, check: Check) -> None:
    root = write_corpus({name(i): story(7, title=f"Title variant {i} of one story page") for i in (1, 2, 3)})
    f108 = sorted((f for f in published(check([root])) if f.rule == "F108"), key=lambda f: f.path)
    assert [f.path for f in f108] == [name(2), name(3)]
    assert f108[0].related == (name(1), name(3))
    assert f108[1].related == (name(1), name(2))
    assert "published 3 times" in f108[0].message


def test_f108_yaml11_flag_is_not_counted_as_published(write_corpus: Write, check: Check) -> None:
    root = write_corpus({name(1): story(1), name(2): story(1).replace("published: true", "published: yes")})
    result = check([root])
    assert [f.rule for f in published(result)] == ["F101"]


# ---------------------------------------------------------------- robustness and seeds


def test_wrong_types_everywhere_give_findings_not_crashes(write_corpus: Write, check: Check) -> None:
    weird = {
        "a.txt": render(fields(1, title=["a list"], excerpt=12, images="none", heat=True, quality=None)),
        "b.txt": render(fields(2, webUrl=["x"], provider="P", publishedDateTime=dt.date(2030, 1, 1))),
        "c.txt": "---\npublished: true\n---\n",
        "d.txt": "---\n- just a list\n---\n",
        "e.txt": "",
    }
    result = check([write_corpus(weird)])
    assert not [f for f in result.findings if f.rule == "P900"], [f.message for f in result.findings]
    rules_a = {f.rule for f in published(result) if f.path == "a.txt"}
    assert rules_a == {"F105", "F106"}
    assert {f.rule for f in published(result) if f.path == "c.txt"} == {"F105", "F106"}


def test_seeds_only_rule_3_and_the_syndication(seeds_dir: Path, check: Check) -> None:
    result = check([seeds_dir])
    cross = [f for f in result.findings if f.check in ("published", "duplicate", "consistency")]
    serious = [(f.rule, f.path) for f in cross if f.severity in ("warning", "error")]
    assert serious == [("F103", "001_adf1ddfc38a9c988.txt")]
    infos = [(f.rule, f.path, f.related) for f in cross if f.severity == "info"]
    assert infos == [("D104", "001_adf1ddfc38a9c988.txt", ("002_b21067564498db76.txt",))]
    f103 = next(f for f in cross if f.rule == "F103")
    assert f103.field == "heat" and f103.line == 12 and f103.evidence == "44"
