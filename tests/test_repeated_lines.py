"""B201 repeated-line: a line recurring across a provider's clippings is site furniture.

Real runs of ``clipqa check`` (the per-file columns in worker processes, the corpus hook in the
parent), on corpora written here: the thresholds (files, share, length), what is never counted
(dates, datelines, a quote cited twice, versions of one article), other languages, options.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from qa.checks import Context
from qa.checks.boilerplate import (
    REPEAT_OPTIONS,
    SPAN_FIELDS,
    line_fingerprints,
    line_fingerprints_batch,
    line_hash,
    line_hashes,
    provider_key,
    repeat_key,
)
from qa.config import load_config
from qa.pipeline import run
from qa.textfields import removal
from tests.textcheck_helpers import record

FM = '---\ntitle: "Story {i}"\nprovider:\n  name: {name}\n  domain: {domain}\n---\n'


def article(i: int, topic: str = "harbour") -> str:
    """A body of its own: three sentences that no other clipping has."""
    words = ["tide", "crane", "pier", "ferry", "dock", "quay", "buoy", "hull", "mast", "keel", "sail", "port"]
    w = [words[(i * 7 + k) % len(words)] for k in range(6)]
    return (
        f"The {topic} council met about the {w[0]} and the {w[1]} near the {w[2]}.\n\n"
        f"Residents worried about the {w[3]}, while engineers inspected the {w[4]} and the {w[5]}.\n\n"
        f"Story {i}: the vote on the {w[1]} {w[5]} plan comes later.\n"
    )


def write(
    folder: Path,
    name: str,
    body: str,
    provider: str = "Harbour Times",
    domain: str = "harbour.example",
    title: str = "",
) -> None:
    text = FM.format(i=title or name, name=provider, domain=domain) + body
    (folder / name).write_text(text, encoding="utf-8")


def config_with(folder: Path, **options: Any) -> Any:
    """The configuration of a run with these [boilerplate] options (a clipqa.toml beside the corpus)."""
    toml = folder.parent / f"{folder.name}.toml"
    toml.write_text("[boilerplate]\n" + "".join(f"{k} = {v!r}\n" for k, v in options.items()), encoding="utf-8")
    return load_config(start=None, config_file=toml)


def b201(folder: Path, **options: Any) -> list[Any]:
    result = run([str(folder)], config_with(folder, **options))
    return [f for f in result.findings if f.rule == "B201"]


FURNITURE = "Harbour Times is an independent newspaper serving the coast since 1887."


def test_a_line_on_every_page_of_a_site_is_reported_in_each_file(tmp_path: Path) -> None:
    for i in range(6):
        write(tmp_path, f"c{i}.txt", article(i) + f"\n{FURNITURE}\n")
    fs = b201(tmp_path)
    assert sorted(f.path for f in fs) == [f"c{i}.txt" for i in range(6)]
    f = next(f for f in fs if f.path == "c0.txt")
    text = (tmp_path / "c0.txt").read_text(encoding="utf-8")
    body = text.split("---\n", 2)[2]
    # the fix removes the line (its range was taken, with the text, in the per-file stage)
    assert body[slice(*f.span)] == FURNITURE and f.fix is not None and f.field == "body"
    assert text.split("\n")[f.line - 1][f.column - 1 :] == FURNITURE
    assert "6 of the 6 clippings of provider 'harbour.example'" in f.message
    assert set(f.related) == {f"c{i}.txt" for i in range(1, 6)}
    assert f.severity == "warning"


def test_digits_and_dates_do_not_hide_a_repeat(tmp_path: Path) -> None:
    for i in range(5):
        line = f"Get unlimited access for just ${i + 1}.99 a month until {['March', 'April'][i % 2]} {i + 3}"
        write(tmp_path, f"c{i}.txt", article(i) + f"\n{line}\n")
    assert len(b201(tmp_path)) == 5


@pytest.mark.parametrize(
    "line",
    [
        "Updated March {i}, 2021 10:1{i} am ET",  # a date stamp: only its format is shared
        "Published: 2021-03-0{i} 08:00 GMT",
        "WASHINGTON (AP) —",  # a dateline
        "LONDON, March {i} (Reuters) -",
        "Photo",  # too short to tell a heading from furniture
        "w1{i}3 w7{i}7 w16{i}5 w4{i}9 w19{i}2",  # data: lines that differ in their numbers differ
        "Harbour 2{i} Rovers 1 Port 3{i} City 0",
    ],
)
def test_dates_and_datelines_are_never_furniture(tmp_path: Path, line: str) -> None:
    for i in range(1, 7):
        write(tmp_path, f"c{i}.txt", line.format(i=i) + "\n\n" + article(i))
    assert b201(tmp_path) == []


def test_a_quote_cited_in_a_few_files_is_not_furniture(tmp_path: Path) -> None:
    quote = '"We will not back down from this fight," the mayor said on the steps of city hall.'
    for i in range(12):
        write(tmp_path, f"c{i}.txt", article(i) + (f"\n{quote}\n" if i < 3 else ""))
    assert b201(tmp_path) == []  # 3 files: under repeat_min_files (4)


def test_the_share_of_the_provider_counts(tmp_path: Path) -> None:
    # 4 of 20 files (20 %) hold the line: under the 25 % share; a share of 0.2 reports it.
    for i in range(20):
        write(tmp_path, f"c{i}.txt", article(i) + (f"\n{FURNITURE}\n" if i < 4 else ""))
    assert b201(tmp_path) == []
    assert len(b201(tmp_path, repeat_min_share=0.2)) == 4


def test_lines_are_counted_per_provider(tmp_path: Path) -> None:
    for i in range(3):
        write(tmp_path, f"a{i}.txt", article(i) + f"\n{FURNITURE}\n", provider="A", domain="a.example")
        write(tmp_path, f"b{i}.txt", article(i + 10) + f"\n{FURNITURE}\n", provider="B", domain="b.example")
    assert b201(tmp_path) == []  # 3 + 3 files: neither provider has 4


def test_versions_of_one_article_are_one_source(tmp_path: Path) -> None:
    # The same story posted five times (small edits): its lines are not the site's furniture.
    for i in range(5):
        write(tmp_path, f"v{i}.txt", article(1) + f"Correction number {'abcde'[i]} was appended.\n", title="The vote")
    for i in range(3):
        write(tmp_path, f"o{i}.txt", article(20 + i))
    assert b201(tmp_path) == []


def test_furniture_in_any_language(tmp_path: Path) -> None:
    lines = ["Tüm hakları saklıdır. Haber kaynağı gösterilmeden kullanılamaz", "本站所有文章均为原创，转载请注明出处"]
    for i in range(5):
        write(tmp_path, f"c{i}.txt", article(i) + "\n" + "\n".join(lines) + "\n")
    fs = b201(tmp_path)
    assert len(fs) == 10


def test_lines_the_patterns_report_are_not_reported_twice(tmp_path: Path) -> None:
    for i in range(5):
        write(tmp_path, f"c{i}.txt", article(i) + "\nSign up for our newsletter and get the top stories\n")
    found = run([str(tmp_path)], config_with(tmp_path)).findings
    assert sorted({f.rule for f in found if f.rule.startswith("B")}) == ["B103"]


def test_options_turn_it_off_and_are_validated(tmp_path: Path) -> None:
    for i in range(6):
        write(tmp_path, f"c{i}.txt", article(i) + f"\n{FURNITURE}\n")
    assert b201(tmp_path, repeat_min_files=7) == []
    assert b201(tmp_path, repeat_min_chars=200) == []
    with pytest.raises(Exception, match="repeat_min_share"):
        config_with(tmp_path, repeat_min_share=3)


def test_repeat_key_and_hash() -> None:
    assert repeat_key("  Get   ACCESS for $4.99  ", 12, 500) == repeat_key("get access for $7.50", 12, 500)
    assert repeat_key("Posted on March 3", 12, 500) is None  # a date stamp
    assert repeat_key("short", 12, 500) is None
    assert repeat_key("x" * 600, 12, 500) is None
    assert line_hash("abc") == line_hash("abc") != line_hash("abd")
    # stable across processes and runs (pandas' SipHash with its fixed key, not Python's salted
    # hash): a known value
    assert line_hash("abc") == 8952642330259793944
    assert line_hashes(["abc", "abd", "abc"]).tolist() == [line_hash("abc"), line_hash("abd"), line_hash("abc")]
    assert line_hash("a\ud800b") == line_hash("a\\xed\\xa0\\x80b")  # a lone surrogate: its escaped form
    assert provider_key({"provider": {"domain": "X.example"}}) == "x.example"
    assert provider_key({"provider": {"name": "Harbour Times"}}) == "harbour times"
    assert provider_key({"webUrl": "https://www.harbour.example/a"}) == "harbour.example"
    assert provider_key(None) is None and provider_key({"title": "x"}) is None


def test_fingerprint_columns_are_compact_and_located(tmp_path: Path) -> None:
    body = f"{FURNITURE}\nshort\n\nAnother line that is long enough to count here.\n"
    rec = record(tmp_path, FM.format(i=1, name="H", domain="h.example") + body)
    out = line_fingerprints(rec, Context(dict(REPEAT_OPTIONS), {}))
    assert out["line_provider"] == "h.example"
    assert len(out["line_hashes"]) == 2 * 8 and len(out["line_spans"]) == 2 * 6 * 4
    import numpy as np

    spans = np.frombuffer(out["line_spans"], dtype="<u4").reshape(-1, 6).tolist()
    assert [body[a:b] for a, b, *_rest in spans] == [FURNITURE, "Another line that is long enough to count here."]
    assert [(line, col) for _a, _b, line, col, _x, _y in spans] == [(7, 1), (10, 1)]
    assert [(x, y) == removal(body, a, b) for a, b, _l, _c, x, y in spans] == [True, True]
    assert line_fingerprints(record(tmp_path, "no front matter, no provider\n"), Context({}, {})) == {}


def test_the_removal_each_line_carries_is_what_removal_gives(tmp_path: Path) -> None:
    """The range a B201 fix removes, computed while the lines are walked, is qa.textfields.removal's
    for the whole line, for bodies of every shape: blank lines before and after, indentation, the
    last line with and without its line break, lines of white space, a body of one line."""
    import numpy as np
    from hypothesis import given, settings
    from hypothesis import strategies as st

    line = st.sampled_from(
        ["", " ", "\t", FURNITURE, "  " + FURNITURE + " ", "Another line that is long enough to count here.", "x"]
    )

    @settings(max_examples=300, deadline=None)
    @given(st.lists(line, min_size=1, max_size=8).map("\n".join))
    def check(body: str) -> None:
        rec = record(tmp_path, FM.format(i=1, name="H", domain="h.example") + body)
        out = line_fingerprints(rec, Context(dict(REPEAT_OPTIONS), {}))
        if not out:
            assert not rec.body.strip()
            return
        rows = np.frombuffer(out["line_spans"], dtype="<u4").reshape(-1, SPAN_FIELDS).tolist()
        for a, b, _line, _col, x, y in rows:
            want = removal(rec.body, a, b)
            assert ((x, y) if y > x else None) == want, (rec.body, a, b)

    check()


def test_a_repeated_line_comes_with_its_removal(tmp_path: Path) -> None:
    corpus = tmp_path / "c"
    corpus.mkdir()
    for i in range(5):
        write(corpus, f"{i}.txt", article(i) + f"\n{FURNITURE}\n")
    found = b201(corpus)
    assert len(found) == 5
    for f in found:
        assert f.fix is not None and f.fix.applicability == "unsafe"
        text = (corpus / f.path.split("/")[-1]).read_text(encoding="utf-8")
        body = text.split("---\n", 2)[2]
        [edit] = f.fix.edits
        assert edit.content == "" and body[edit.start : edit.end].strip() == FURNITURE
        left = body[: edit.start] + body[edit.end :]
        assert FURNITURE not in left and left.endswith(".\n")  # the line and the blank line before it


def test_the_batch_gives_what_each_record_gives(tmp_path: Path) -> None:
    recs = [
        record(tmp_path, FM.format(i=i, name="H", domain=f"h{i % 2}.example") + article(i) + f"\n{FURNITURE}\n")
        for i in range(4)
    ] + [record(tmp_path, "no front matter\n")]
    ctx = Context(dict(REPEAT_OPTIONS), {})
    assert line_fingerprints_batch(recs, ctx) == [line_fingerprints(r, ctx) for r in recs]


def _plain_repeat_key(line: str, min_chars: int, max_chars: int) -> str | None:
    """repeat_key as first written: white space collapsed by split and join, digits by \\d."""
    import re

    from qa.checks import boilerplate as bp

    stripped = line.strip()
    if not min_chars <= len(stripped) <= max_chars:
        return None
    key = " ".join(stripped.lower().split())
    if re.search(r"\d+", key):
        tokens = key.split()
        if 2 * sum(1 for t in tokens if re.search(r"\d+", t)) >= len(tokens):
            return None
        key = bp._MONTHS.sub("<m>", re.sub(r"\d+", "0", key))
        tokens = key.split()
        words = [t for t in tokens if not bp._DATE_TOKEN.fullmatch(t)]
        if len(words) < len(tokens) and len(words) < 4:
            return None
    if bp._letters(min_chars // 2).match(key) is None:
        return None
    if bp._DATELINE.fullmatch(stripped):
        return None
    return key


def test_repeat_key_is_its_plain_reading() -> None:
    """repeat_key's shortcuts (no split where an ASCII line has no white space to collapse, digits
    looked for by ten searches in an ASCII key) give what splitting and \\d give."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    alphabet = st.sampled_from([*"ab Z9٣.,:\t\r\x0b\x1f\u00a0\u3000-—", "  ", "May ", "WASHINGTON (AP) "])

    @settings(max_examples=1500, deadline=None)
    @given(st.lists(alphabet, max_size=30).map("".join), st.integers(1, 14), st.integers(10, 40))
    def check(line: str, low: int, high: int) -> None:
        assert repeat_key(line, low, high) == _plain_repeat_key(line, low, high), line

    check()


def test_the_line_walk_skips_only_lines_repeat_key_refuses() -> None:
    """_countable_lines' fast exits (a line under repeat_min_chars; a line over repeat_max_chars
    with no white space at its ends, not stripped) drop only lines that repeat_key refuses: the
    keys it collects are repeat_key's of every line, in order (a body of lines of every length,
    indented or not, with white space of other scripts at the ends)."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from qa.checks.boilerplate import _countable_lines

    piece = st.sampled_from(["a", "b c", "Zz", "9", " ", "\t", "\u3000", "\u00a0", "\r", "May", "x" * 7])
    line = st.lists(piece, max_size=12).map("".join)

    @settings(max_examples=1500, deadline=None)
    @given(st.lists(line, min_size=1, max_size=6).map("\n".join), st.integers(1, 10), st.integers(2, 24))
    def check(body: str, low: int, high: int) -> None:
        keys: list[str] = []
        spans = _countable_lines(body, 1, low, high, set(), keys)
        want = [k for k in (repeat_key(x, low, high) for x in body.split("\n")) if k is not None]
        assert keys == want, body
        assert len(spans) == SPAN_FIELDS * len(want)

    check()


def test_only_files_with_countable_lines_carry_their_title(tmp_path: Path) -> None:
    """line_doc (the title that makes versions of one article one source) is what repeated_lines
    reads of files holding countable lines; a file without one leaves it out (None), and a body of
    white space only gives no columns at all, as before."""
    ctx = Context(dict(REPEAT_OPTIONS), {})
    counted = record(tmp_path, FM.format(i=1, name="H", domain="h.example") + FURNITURE + "\n")
    short = record(tmp_path, FM.format(i=2, name="H", domain="h.example") + "Short.\n\n" + "x" * 600 + "\n")
    blank = record(tmp_path, FM.format(i=3, name="H", domain="h.example") + " \n\u3000\n")
    a, b, c = line_fingerprints_batch([counted, short, blank], ctx)
    assert a["line_doc"] == "story 1" and a["line_hashes"]
    assert b["line_doc"] is None and b["line_hashes"] == b"" and b["line_provider"] == "h.example"
    assert c == {}


@pytest.mark.parametrize("max_related", [0, 2, 12])
def test_each_finding_names_the_first_other_files_and_counts_the_rest(tmp_path: Path, max_related: int) -> None:
    """A finding names the other files (in path order, itself left out) as the plain listing of all
    of them does: the first five in its message and "and N more", the first repeat_max_related in
    its related files; only those are looked up (a line on every page of a large site made a list
    of every other file per finding: O(files²))."""
    from qa.crossrec import listing

    corpus = tmp_path / "c"
    corpus.mkdir()
    names = [f"{i:02d}.txt" for i in range(14)]
    for i, name in enumerate(names):
        write(corpus, name, article(i) + f"\n{FURNITURE}\n")
    found = b201(corpus, repeat_max_related=max_related)
    assert sorted(f.path for f in found) == names
    for f in found:
        others = [n for n in names if n != f.path]
        assert f.message.endswith(f"(also in {listing(others)})"), f.message
        assert "and 8 more" in f.message
        assert list(f.related) == others[:max_related]


def test_line_groups_are_the_groupby_groups() -> None:
    """_line_groups (one stable sort of the group numbers) gives the groups of
    ``groupby(["p", "h"], sort=False)``: the same order, the same rows in the same order, on frames
    of few and many groups, hashes over the whole 64-bit range, repeated rows."""
    import numpy as np
    import pandas as pd
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from qa.checks.boilerplate import _line_groups

    row = st.tuples(st.integers(0, 3), st.sampled_from([0, 1, 2**63, 2**64 - 1]), st.integers(0, 9), st.integers(0, 5))

    @settings(max_examples=400, deadline=None)
    @given(st.lists(row, max_size=40))
    def check(rows: list[tuple[int, int, int, int]]) -> None:
        hit = pd.DataFrame(
            {
                "p": np.array([r[0] for r in rows], dtype=np.int64),
                "h": np.array([r[1] for r in rows], dtype=np.uint64),
                "f": np.array([r[2] for r in rows], dtype=np.int64),
                "i": np.array([r[3] for r in rows], dtype=np.int64),
            }
        )
        want = [
            (int(g["p"].iloc[0]), g["f"].tolist(), g["i"].tolist()) for _k, g in hit.groupby(["p", "h"], sort=False)
        ]
        assert list(_line_groups(hit)) == want

    check()
