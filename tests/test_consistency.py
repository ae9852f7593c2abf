"""Check ``consistency`` through the real pipeline on generated corpora."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from qa.config import load_config
from qa.findings import Applicability, Finding, replace_text
from qa.pipeline import RunResult, run
from tests.stories import fields, name, story, url

Check = Callable[..., RunResult]
Write = Callable[[dict[str, str | bytes]], Path]

TARGET_DATE = dt.datetime(2025, 3, 14, 8, 30, tzinfo=dt.UTC)


def cons(result: RunResult, code: str | None = None) -> list[Finding]:
    return sorted(
        (f for f in result.findings if f.check == "consistency" and (code is None or f.rule == code)),
        key=lambda f: (f.rule, f.path, f.field or ""),
    )


def related_to(i: int, **changes: Any) -> dict[str, Any]:
    """A related item that copies story i's metadata faithfully (then the changes)."""
    target = fields(i)
    item = {
        "title": target["title"],
        "excerpt": target["excerpt"],
        "publishedDateTime": target["publishedDateTime"],
        "webUrl": target["webUrl"],
        "type": "article",
        "provider": dict(target["provider"]),
    }
    for key, value in changes.items():
        if value is ...:
            item.pop(key, None)
        else:
            item[key] = value
    return item


def line(path: Path, prefix: str, after: int = 0) -> int:
    lines = path.read_text().splitlines()
    return next(i for i, x in enumerate(lines, 1) if i > after and x.lstrip(" -").startswith(prefix))


def test_faithful_related_items_are_consistent(write_corpus: Write, check: Check) -> None:
    root = write_corpus(
        {
            name(1): story(1),
            # exact copy; a copy through an AMP URL with typographic differences and another offset
            name(2): story(2, related=[related_to(1)]),
            name(3): story(
                3,
                related=[
                    related_to(
                        1,
                        webUrl=f"{url(1)}amp/?utm_source=rss",
                        title="  PORT authority number 1 tests autonomous cranes — at night ",
                        publishedDateTime="2025-03-14T10:30:00+02:00",
                        provider={"name": "maritime  daily", "domain": "maritime.example.com"},
                    )
                ],
            ),
            # a related item outside the corpus is not compared
            name(4): story(4),
        }
    )
    result = check([root])
    assert cons(result) == []
    assert [f for f in result.findings if f.check in ("published", "duplicate", "consistency")] == []


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        ({"title": "Port authority tests cranes"}, "title", "'Port authority tests cranes'"),
        ({"publishedDateTime": dt.datetime(2025, 3, 15, 8, 30, tzinfo=dt.UTC)}, "publishedDateTime", "2025-03-15"),
        ({"provider": {"name": "Port News", "domain": "maritime.example.com"}}, "provider", "name 'Port News'"),
        ({"provider": {"name": "Maritime Daily", "domain": "other.example"}}, "provider", "domain 'other.example'"),
    ],
)
def test_c101_disagreement_names_both_files_and_lines(
    write_corpus: Write, check: Check, changes: dict[str, Any], field: str, says: str
) -> None:
    root = write_corpus({name(1): story(1), name(2): story(2, related=[related_to(1, **changes)])})
    result = check([root])
    [c101] = cons(result)
    assert (c101.rule, c101.severity, c101.path, c101.field) == ("C101", "warning", name(2), f"related[0].{field}")
    assert c101.related == (name(1),)
    here = root / name(2)
    related_line = line(here, "related:")
    key = {"title": "title:", "publishedDateTime": "publishedDateTime:", "provider": "provider:"}[field]
    assert c101.line == line(here, key, after=related_line)  # the related item's field, in this file
    there_line = line(root / name(1), key)  # the clipping's field, in the other file
    assert f"{name(1)}:{there_line}" in c101.message
    assert says in c101.message


def test_c101_without_a_locator_names_the_file_only(write_corpus: Write, check: Check) -> None:
    """The corpus function on bare tables (no ``locate`` in its context) still reports C101, and
    its message names the linked file without a line."""
    from qa.checks import Context, all_checks

    root = write_corpus({name(1): story(1), name(2): story(2, related=[related_to(1, title="Stale")])})
    result = check([root])
    [with_line] = cons(result, "C101")
    consistency = all_checks()["consistency"]
    assert consistency.corpus is not None
    found = list(consistency.corpus(dict(result.tables), Context(dict(consistency.options), {})))
    [bare] = [f for f in found if f.rule == "C101"]
    there = line(root / name(1), "title:")
    assert f"({name(1)}:{there})" in with_line.message
    assert f"({name(1)})" in bare.message and f"{name(1)}:" not in bare.message
    assert (bare.path, bare.field, bare.related) == (with_line.path, with_line.field, with_line.related)


def test_field_locator_reads_the_file_again(tmp_path: Path) -> None:
    """FieldLocator: the line of a top-level key, None for a missing key, an unknown path or a
    file that can no longer be read; each file is read once while it stays in its cache."""
    import qa.stage
    from qa.corpus import ReadOptions, Source
    from qa.stage import FieldLocator

    (tmp_path / "a.txt").write_text("---\ntitle: A\nprovider:\n  name: P\n---\nbody\n")
    (tmp_path / "b.txt").write_text("just a body\n")
    sources = {n: Source(n, str(tmp_path / n)) for n in ("a.txt", "b.txt", "gone.txt")}
    reads: list[str] = []
    real = qa.stage.read_record

    def counting(source: Source, options: ReadOptions) -> Any:
        reads.append(source.path)
        return real(source, options)

    locate = FieldLocator(sources, ReadOptions())
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(qa.stage, "read_record", counting)
        assert (locate("a.txt", "title"), locate("a.txt", "provider"), locate("a.txt", "excerpt")) == (2, 3, None)
        assert locate("b.txt", "title") is None  # no front matter
        assert locate("gone.txt", "title") is None  # cannot be read: no line, no error
        assert locate("elsewhere.txt", "title") is None  # not a file of the run
    assert reads == ["a.txt", "b.txt", "gone.txt"]


def test_c101_one_finding_per_disagreeing_field(write_corpus: Write, check: Check) -> None:
    item = related_to(1, title="Something else entirely", publishedDateTime=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    root = write_corpus({name(1): story(1), name(2): story(2, related=[related_to(3), item])})
    result = check([root])
    assert [(f.path, f.field) for f in cons(result)] == [
        (name(2), "related[1].publishedDateTime"),
        (name(2), "related[1].title"),
    ]
    title = next(f for f in cons(result) if f.field == "related[1].title")
    assert title.fix is not None and title.fix.applicability is Applicability.UNSAFE
    assert title.fix.edits == (replace_text("related[1].title", 0, len("Something else entirely"), fields(1)["title"]),)


def test_c101_unusable_values_are_left_to_the_schema(write_corpus: Write, check: Check) -> None:
    root = write_corpus(
        {
            name(1): story(1),
            name(2): story(
                2, related=[related_to(1, title=["x"], publishedDateTime="someday", provider="Maritime Daily")]
            ),
        }
    )
    result = check([root])
    assert cons(result) == []
    assert not [f for f in result.findings if f.rule == "P900"]


# ---------------------------------------------------------------- C102


def test_c102_related_item_links_to_its_own_clipping(write_corpus: Write, check: Check) -> None:
    root = write_corpus(
        {
            name(1): story(
                1, related=[related_to(2), related_to(1, webUrl="https://maritime.example.com/2025/story-1")]
            ),
            name(2): story(2),
        }
    )
    result = check([root])
    [c102] = cons(result)
    assert (c102.rule, c102.severity, c102.path, c102.field) == ("C102", "warning", name(1), "related[1].webUrl")
    assert c102.line is not None and c102.line > line(root / name(1), "related:")


def test_c102_needs_the_own_url_not_a_sibling(write_corpus: Write, check: Check) -> None:
    root = write_corpus({name(1): story(1, related=[related_to(2)]), name(2): story(2, related=[related_to(1)])})
    assert cons(check([root])) == []


# ---------------------------------------------------------------- C103


def test_c103_file_name_off_the_corpus_pattern(write_corpus: Write, check: Check) -> None:
    files = {name(i): story(i) for i in range(1, 5)}
    files["sub/" + name(5)] = story(5)  # a folder does not matter: the name does
    files["notes.txt"] = story(6)
    files["007_ABCDEF0123456789.txt"] = story(7)  # upper-case hex
    files["008_abc.txt"] = story(8)  # short id
    result = check([write_corpus(files)])
    c103 = cons(result, "C103")
    assert [(f.path, f.severity) for f in c103] == [
        ("007_ABCDEF0123456789.txt", "info"),
        ("008_abc.txt", "info"),
        ("notes.txt", "info"),
    ]
    assert "5 of 8 files" in c103[0].message


@pytest.mark.parametrize(
    "names",
    [
        ["a.txt", "b.txt", "c.txt", "001_00000000000000aa.txt"],  # the corpus has no pattern
        [name(1), name(2), name(3)],  # every file follows it
        [name(1), "a.txt"],  # one file is not a pattern
    ],
)
def test_c103_not_without_a_corpus_pattern(write_corpus: Write, check: Check, names: list[str]) -> None:
    root = write_corpus({n: story(i) for i, n in enumerate(names)})
    assert cons(check([root]), "C103") == []


def test_c103_options(write_corpus: Write, tmp_path: Path) -> None:
    root = write_corpus({"clip-1.txt": story(1), "clip-2.txt": story(2), "other.txt": story(3)})
    cfg = tmp_path / "clipqa.toml"
    cfg.write_text('[consistency]\nfile_name_pattern = "^clip-\\\\d+\\\\.txt$"\n')
    result = run([str(root)], load_config(None, config_file=cfg))
    assert [f.path for f in cons(result, "C103")] == ["other.txt"]
    cfg.write_text('[consistency]\nfile_name_pattern = "^clip-\\\\d+\\\\.txt$"\nfile_name_min_share = 0.9\n')
    assert cons(run([str(root)], load_config(None, config_file=cfg)), "C103") == []


def test_seeds_related_items_agree(seeds_dir: Path, check: Check) -> None:
    # 001's related[1] and 002's related[0] are clippings 000 and 001 of the seeds: they agree
    result = check([seeds_dir])
    assert cons(result) == []


def test_worker_columns_and_table_fallback_agree(write_corpus: Write, check: Check) -> None:
    """The corpus functions give the same findings from the workers' columns as from bare tables."""
    from qa.checks import Context, all_checks
    from qa.crossrec import STORY_COLUMNS

    other = {"name": "Port News", "domain": "portnews.example.org"}
    root = write_corpus(
        {
            name(1): story(1, related=[related_to(2, title="Stale headline"), related_to(1)]),
            name(2): story(2),
            name(3): story(1, title="Another headline for page one"),  # D101 + F108 with name(1)
            name(4): story(
                4,
                title=fields(2)["title"],
                provider=other,
                webUrl="https://portnews.example.org/x",
                originalUrl=...,
                ampWebUrl=...,
                cdnAmpWebUrl=...,
            ),
            "notes.txt": story(5),
        }
    )
    result = check([root])
    checks = all_checks()
    names = ("published", "duplicate", "consistency")
    expected = sorted(
        (f.rule, f.path, f.field or "", f.related) for f in result.findings if f.check in names and f.rule != "C103"
    )
    assert {r for r, *_ in expected} == {"C101", "C102", "D101", "D104", "F108"}
    bare = dict(result.tables)
    bare["files"] = bare["files"].drop(columns=[*STORY_COLUMNS, "published_state", "related_url_keys"])
    got = []
    for n in names:
        c = checks[n]
        assert c.corpus is not None
        got += [
            (f.rule, f.path, f.field or "", f.related)
            for f in c.corpus(bare, Context(dict(c.options), {}))
            if f.rule != "C103"
        ]
    assert sorted(got) == expected


def test_example_corpus_shows_the_cross_record_glitches(check: Check) -> None:
    from tests.conftest import EXAMPLES

    result = check([EXAMPLES])
    cross = sorted(
        (f.rule, f.path, f.related)
        for f in result.findings
        if f.check in ("duplicate", "consistency") or f.rule == "F108"
    )
    assert cross == [
        ("C101", "022_a7c3e5f9b1d2c4e6.txt", ("010_3f2a9c1d5e7b8a60.txt",)),
        ("D101", "021_6e0b2d4f8a1c3e59.txt", ("010_3f2a9c1d5e7b8a60.txt",)),
        ("D104", "011_8b1e4d7a2c9f0e35.txt", ("022_a7c3e5f9b1d2c4e6.txt",)),
        ("F108", "021_6e0b2d4f8a1c3e59.txt", ("010_3f2a9c1d5e7b8a60.txt",)),
    ]


@pytest.mark.parametrize(
    ("toml", "says"),
    [
        ("[duplicate]\nnear_threshold = 0\n", "duplicate.near_threshold: must be in (0, 1]"),
        ("[duplicate]\nnear_threshold = 1.5\n", "duplicate.near_threshold"),
        ("[duplicate]\nnum_perm = 0\n", "duplicate.num_perm"),
        ('[duplicate]\nfile_id_pattern = "([0-9"\n', "duplicate.file_id_pattern: not a regular expression"),
        ('[consistency]\nfile_name_pattern = "*.txt"\n', "consistency.file_name_pattern"),
        ("[consistency]\nfile_name_min_share = 2.0\n", "consistency.file_name_min_share"),
        ("[published]\nmin_quality = -5\n", "published.min_quality: must be in [0, 100]"),
        ("[published]\nclock_skew_minutes = -1\n", "published.clock_skew_minutes"),
        ('[published]\nmin_quality = "high"\n', "published.min_quality must be int"),
    ],
)
def test_bad_options_stop_the_run_with_exit_2(write_corpus: Write, tmp_path: Path, toml: str, says: str) -> None:
    import subprocess
    import sys

    root = write_corpus({name(1): story(1)})
    cfg = tmp_path / "clipqa.toml"
    cfg.write_text(toml)
    proc = subprocess.run(
        [sys.executable, "-m", "qa", "check", str(root), "--config", str(cfg), "--no-reports"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert says in proc.stderr and str(cfg) in proc.stderr
    assert "Traceback" not in proc.stderr
