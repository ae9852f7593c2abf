"""Check ``duplicate`` through the real pipeline on generated corpora."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from qa.checks.duplicate import body_signature, candidate_edges, duplicate_findings, lsh_params
from qa.config import load_config
from qa.crossrec import RELATED_MAX, others_of
from qa.findings import Finding
from qa.pipeline import RunResult, run
from tests.stories import body, name, story

Check = Callable[..., RunResult]
Write = Callable[[dict[str, str | bytes]], Path]


def dup(result: RunResult, code: str | None = None) -> list[Finding]:
    return sorted(
        (f for f in result.findings if f.check == "duplicate" and (code is None or f.rule == code)),
        key=lambda f: (f.rule, f.path),
    )


def summary(result: RunResult) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(f.rule, f.path, f.related) for f in dup(result)]


def test_distinct_stories_have_no_duplicates(write_corpus: Write, check: Check) -> None:
    root = write_corpus({name(i): story(i, body(i)) for i in range(1, 6)})
    result = check([root])
    assert dup(result) == []
    assert result.findings == []


# ---------------------------------------------------------------- D101


def test_d101_same_canonical_url(write_corpus: Write, check: Check) -> None:
    variants = [
        "https://www.maritime.example.com/2025/story-1/",
        "https://maritime.example.com/2025/story-1/?utm_source=newsletter#top",
        "https://www.maritime.example.com/2025/story-1/amp/",
    ]
    root = write_corpus(
        {name(i): story(10 + i, webUrl=u, originalUrl=..., published=False, heat=-1) for i, u in enumerate(variants)}
    )
    result = check([root])
    d101 = dup(result, "D101")
    assert [(f.path, f.related) for f in d101] == [
        (name(1), (name(0), name(2))),
        (name(2), (name(0), name(1))),
    ]
    assert all(f.severity == "error" and f.field == "webUrl" for f in d101)
    assert "maritime.example.com/2025/story-1" in d101[0].message
    lines = (root / name(1)).read_text().splitlines()
    assert d101[0].line == next(i for i, x in enumerate(lines, 1) if x.startswith("webUrl:"))


def test_d101_different_pages_are_not_duplicates(write_corpus: Write, check: Check) -> None:
    root = write_corpus(
        {
            name(1): story(1, webUrl="https://www.maritime.example.com/2025/story/?id=1", originalUrl=...),
            name(2): story(2, webUrl="https://www.maritime.example.com/2025/story/?id=2", originalUrl=...),
            name(3): story(3, webUrl="https://news.maritime.example.com/2025/story/?id=1", originalUrl=...),
        }
    )
    assert dup(check([root]), "D101") == []


# ---------------------------------------------------------------- D102


def test_d102_same_file_name_id(write_corpus: Write, check: Check) -> None:
    same_id = "00000000deadbeef"
    root = write_corpus(
        {
            f"001_{same_id}.txt": story(1),
            f"batch2/002_{same_id.upper()}.txt": story(2),  # the id, whatever the case and the folder
            f"003_{'0' * 15}1.txt": story(3),
        }
    )
    d102 = dup(check([root]), "D102")
    assert [(f.path, f.related, f.evidence) for f in d102] == [
        (f"batch2/002_{same_id.upper()}.txt", (f"001_{same_id}.txt",), same_id)
    ]


def test_d102_file_id_pattern_is_configurable(write_corpus: Write, tmp_path: Path) -> None:
    root = write_corpus({"a-17.txt": story(1), "b-17.txt": story(2), "c-18.txt": story(3)})
    (tmp_path / "clipqa.toml").write_text('[duplicate]\nfile_id_pattern = "-(\\\\d+)\\\\.txt$"\n')
    result = run([str(root)], load_config(None, config_file=tmp_path / "clipqa.toml"))
    assert [(f.path, f.related) for f in dup(result, "D102")] == [("b-17.txt", ("a-17.txt",))]


# ---------------------------------------------------------------- D103


def test_d103_identical_files_are_reported_once(write_corpus: Write, check: Check) -> None:
    text = story(1, body(1))
    root = write_corpus({name(1): text, f"copy/{name(1)}": text, f"again/{name(1)}": text, name(2): story(2)})
    result = check([root])
    # a copy shares URL, id, title and body too: only D103 says so, not D101/D102/D104/D105
    # paths sort "001_..." < "again/..." < "copy/...": the first is taken as the original
    assert summary(result) == [
        ("D103", f"again/{name(1)}", (name(1), f"copy/{name(1)}")),
        ("D103", f"copy/{name(1)}", (name(1), f"again/{name(1)}")),
    ]
    assert all(f.severity == "error" for f in dup(result))


def test_d103_not_for_empty_or_different_files(write_corpus: Write, check: Check) -> None:
    root = write_corpus({name(7): "", name(8): "", name(1): story(1), name(2): story(1, quality=61)})
    result = check([root])
    assert dup(result, "D103") == []
    assert [f.rule for f in result.findings if f.path in (name(7), name(8))] == ["P104", "P104"]
    # name(1) and name(2) differ in one byte: same URL, so D101, not D103
    assert [(f.rule, f.path) for f in dup(result)] == [("D101", name(2))]


def test_a_copy_within_a_url_group_is_left_to_d103(write_corpus: Write, check: Check) -> None:
    text = story(1)
    root = write_corpus({name(1): text, f"x/{name(1)}": text, name(5): story(1, quality=70)})
    result = check([root])
    assert [(f.rule, f.path) for f in dup(result)] == [("D101", name(5)), ("D103", f"x/{name(1)}")]


# ---------------------------------------------------------------- D104


def test_d104_syndicated_story_is_one_info_per_cluster(write_corpus: Write, check: Check) -> None:
    title = "China pursues tech ‘self-reliance,’ fueling global unease"
    providers = [
        ("12WBOY", "wboy.com"),
        ("New York Post", "nypost.com"),
        ("The Spokesman-Review", "spokesman.com"),
    ]
    files = {}
    for i, (pname, domain) in enumerate(providers):
        u = f"https://www.{domain}/2021/12/28/china-tech/"
        files[name(i)] = story(
            i,
            title=title if i != 2 else "China pursues tech 'self-reliance', fueling global unease",  # straight quotes
            provider={"name": pname, "domain": domain},
            webUrl=u,
            originalUrl=u,
            ampWebUrl=...,
            cdnAmpWebUrl=...,
            published=False,
            heat=-1,
        )
    result = check([write_corpus(files)])
    [d104] = dup(result)
    assert (d104.rule, d104.severity, d104.path, d104.field) == ("D104", "info", name(0), "title")
    assert d104.related == (name(1), name(2))
    assert "3 providers" in d104.message and "New York Post" in d104.message


def test_d104_not_for_one_provider_or_short_titles(write_corpus: Write, check: Check) -> None:
    other = {"name": "Port News", "domain": "portnews.example.org"}
    root = write_corpus(
        {
            # one provider, same title, two pages (a correction, a live update): not syndication
            name(1): story(1, title="Rotterdam port strike enters its third week"),
            name(2): story(2, title="Rotterdam port strike enters its third week", published=False, heat=-1),
            # a generic title shared by two providers
            name(3): story(3, title="Weather"),
            name(4): story(
                4,
                title="Weather",
                provider=other,
                webUrl="https://portnews.example.org/weather",
                originalUrl=...,
                ampWebUrl=...,
                cdnAmpWebUrl=...,
            ),
        }
    )
    assert dup(check([root]), "D104") == []


# ---------------------------------------------------------------- D105


def test_d105_near_duplicate_bodies(write_corpus: Write, check: Check) -> None:
    root = write_corpus(
        {
            name(1): story(1, body(1)),
            name(2): story(2, body(1, change_every=100)),  # 3 words of 300 changed
            name(3): story(3, body(3)),  # unrelated
            "notes.md": body(1, change_every=150),  # a body-only file joins the group
        }
    )
    result = check([root])
    d105 = dup(result, "D105")
    assert [(f.path, f.related) for f in d105] == [
        (name(2), (name(1), "notes.md")),
        ("notes.md", (name(1), name(2))),
    ]
    assert all(f.severity == "warning" and f.field == "body" for f in d105)
    assert d105[0].line == (root / name(2)).read_text().splitlines().index("---", 1) + 2
    assert float(d105[0].evidence or 0) >= 0.8


def test_d105_threshold_and_length_options(write_corpus: Write, tmp_path: Path) -> None:
    root = write_corpus({name(1): story(1, body(1)), name(2): story(2, body(1, change_every=100))})
    cfg = tmp_path / "clipqa.toml"
    cfg.write_text("[duplicate]\nnear_threshold = 0.99\n")
    assert dup(run([str(root)], load_config(None, config_file=cfg)), "D105") == []
    cfg.write_text("[duplicate]\nmin_body_words = 1000\n")
    assert dup(run([str(root)], load_config(None, config_file=cfg)), "D105") == []
    cfg.write_text("[duplicate]\nnear_threshold = 0.5\n")
    assert len(dup(run([str(root)], load_config(None, config_file=cfg)), "D105")) == 1


def test_d105_not_for_short_or_different_bodies(write_corpus: Write, check: Check) -> None:
    root = write_corpus(
        {
            name(1): story(1, "Short body.\n"),
            name(2): story(2, "Short body.\n"),
            name(3): story(3, body(3)),
            name(4): story(4, body(4)),
        }
    )
    assert dup(check([root]), "D105") == []


# ---------------------------------------------------------------- the corpus functions


def test_signatures_estimate_jaccard() -> None:
    a = body_signature(body(1, 400), 128, 5, 50)
    b = body_signature(body(1, 400, change_every=40), 128, 5, 50)
    c = body_signature(body(2, 400), 128, 5, 50)
    assert a is not None and b is not None and c is not None and len(a) == 4 * 128
    sa, sb, sc = (np.frombuffer(x, dtype="<u4") for x in (a, b, c))
    # 10 changed words kill ~50 of ~396 shingles: true Jaccard ~ 0.77
    assert 0.6 < (sa == sb).mean() < 0.95
    assert (sa == sc).mean() < 0.1
    assert body_signature("too short", 128, 5, 50) is None


def test_candidate_edges_are_linear_in_bucket_size() -> None:
    n = 10_000
    keys = np.zeros((n, 3), dtype=np.uint64)  # every file in one bucket, in every band
    a, b = candidate_edges(keys)
    assert len(a) <= 2 * n  # a star and a chain, not n*(n-1)/2 pairs
    assert set(b.tolist()) == set(range(1, n))


def test_lsh_params_fit_the_signature() -> None:
    bands, rows = lsh_params(0.8, 128)
    assert bands * rows <= 128 and bands > 1


def test_duplicate_findings_on_tables_without_worker_columns() -> None:
    """Tables built elsewhere (no story columns): the keys are derived from `clippings`."""
    files = pd.DataFrame(
        {
            "_record": [0, 1, 2],
            "_path": ["a.txt", "b.txt", "c.txt"],
            "sha256": ["1" * 64, "2" * 64, "3" * 64],
            "size": [10, 10, 10],
        }
    )
    clippings = pd.DataFrame(
        {
            "_record": [0, 1, 2],
            "_path": ["a.txt", "b.txt", "c.txt"],
            "_field": ["", "", ""],
            "webUrl": ["https://www.x.com/a/", "https://x.com/a/amp/", "https://x.com/b"],
            "title": ["One long enough title for this", "Other title", "One long enough title for THIS!"],
            "provider.domain": ["x.com", "x.com", "y.com"],
            "provider.name": ["X", "X", "Y"],
        }
    )
    found = list(duplicate_findings({"files": files, "clippings": clippings}, {}))
    assert sorted((f.rule, f.path, f.related) for f in found) == [
        ("D101", "b.txt", ("a.txt",)),
        ("D104", "a.txt", ("c.txt",)),
    ]


def test_odd_values_in_every_field_the_checks_read_never_crash(write_corpus: Write, check: Check) -> None:
    """150 clippings with odd values where the cross-record checks look: findings, no internal errors."""
    import datetime as dt
    import random

    from tests.stories import fields, render

    odd: list[object] = [
        None, "", "   ", 0, -1, 1, 2**70, 3.5, float("nan"), True, False, [], {}, ["x"], {"a": 1},
        "http://[", "https://", "ftp://x.example/a", "not a url", "2025-13-45T99:00:00Z",
        dt.date(2025, 1, 1), dt.datetime(2030, 1, 1), "https://www.maritime.example.com/2025/story-1/amp/",
        "Port authority number 1 tests autonomous cranes at night", "\u200b\ufeff", "é" * 300,
    ]  # fmt: skip
    keys = ["webUrl", "title", "excerpt", "provider", "published", "heat", "quality", "images", "publishedDateTime"]
    rng = random.Random(20261123)
    files: dict[str, str | bytes] = {}
    for i in range(150):
        changes = {k: rng.choice(odd) for k in rng.sample(keys, rng.randrange(1, 5))}
        if rng.random() < 0.5:
            item = {k: rng.choice(odd) for k in ("title", "webUrl", "publishedDateTime", "provider")}
            changes["related"] = [item, rng.choice(odd)] if rng.random() < 0.5 else rng.choice(odd)
        try:
            text = render(fields(i % 40, **changes), body(i % 7) if i % 3 else "")
        except Exception:  # noqa: BLE001 - a value PyYAML cannot dump: skip it
            continue
        files[name(i) if i % 10 else f"odd-{i}.txt"] = text
    result = check([write_corpus(files)])
    assert result.files == len(files) > 100
    assert not [f for f in result.findings if f.rule == "P900"], [
        f.message for f in result.findings if f.rule == "P900"
    ][:3]
    assert {f.check for f in result.findings} >= {"published", "duplicate"}


# ---------------------------------------------------------------- large groups


def test_a_large_group_names_a_bounded_number_of_files(write_corpus: Write, check: Check) -> None:
    """A group of N files gives N-1 findings; each names the original and the next files by path
    in ``related``, at most RELATED_MAX of them (every other file in each finding was O(N²)), and
    its message counts the rest. Every file of the group is still named by some finding (the
    gate attributes findings to the files they name), and a group small enough is unchanged."""
    n = RELATED_MAX + 15
    copies = {f"copy-{i:03d}.txt": story(1, body(1)) for i in range(n)}  # D103: byte-identical
    same_url = {  # D101: the same canonical webUrl, other bodies
        f"url-{i:03d}.txt": story(100 + i, body(100 + i), webUrl="https://www.maritime.example.com/2025/one/",
                                  originalUrl=..., published=False, heat=-1)
        for i in range(n)
    }  # fmt: skip
    published_twice = {  # F108: the same story published n times
        f"pub-{i:03d}.txt": story(300 + i, body(300 + i), webUrl="https://www.maritime.example.com/2025/two/",
                                  originalUrl=...)
        for i in range(n)
    }  # fmt: skip
    root = write_corpus({**copies, **same_url, **published_twice})
    result = check([root])
    f108 = sorted((f for f in result.findings if f.rule == "F108"), key=lambda f: f.path)
    for code, group in (("D103", sorted(copies)), ("D101", sorted(same_url)), ("F108", sorted(published_twice))):
        found = [f for f in (f108 if code == "F108" else dup(result, code)) if f.path in group]  # pub-* are D101 too
        assert [f.path for f in found] == group[1:], code
        for f in found:
            every_other = [p for p in group if p != f.path]
            assert f.related == tuple(every_other[:RELATED_MAX]), (code, f.path)
            assert f"and {n - 1 - 5} more" in f.message and f"{n} " in f.message, f.message
        assert {p for f in found for p in (f.path, *f.related)} == set(group)


@given(st.lists(st.text(max_size=3), max_size=30, unique=True), st.integers(0, 40), st.integers(0, 15))
def test_others_of_is_the_plain_list_cut(paths: list[str], i: int, limit: int) -> None:
    assert others_of(paths, i, limit) == [p for j, p in enumerate(paths) if j != i][:limit]
