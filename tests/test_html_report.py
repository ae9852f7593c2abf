"""The HTML report's data and page, without a browser (see test_html_browser.py for that)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from qa.corpus import Source, read_record
from qa.excerpts import attach, field_text
from qa.findings import REGISTRY, excerpt
from qa.report import html
from tests.html_fixtures import FAMILY_FIX, FAMILY_STRIPPED, ZH_SENTENCE, glitch_result, register, synthetic_result


@pytest.fixture(autouse=True)
def _rules(monkeypatch: pytest.MonkeyPatch) -> None:
    register(monkeypatch)


def embedded(page: str) -> dict[str, object]:
    m = re.search(r'<script id="clipqa-data" type="application/json">(.*?)</script>', page, re.S)
    assert m is not None
    data: dict[str, object] = json.loads(m.group(1))
    return data


def test_excerpt_keeps_the_span_with_context_on_both_sides() -> None:
    start = ZH_SENTENCE.index("摆脱")
    ex = excerpt(ZH_SENTENCE, (start, start + 2))
    assert ex is not None
    assert ex.hit == "摆脱"
    assert ex.before.endswith("aimed at") and ex.after.startswith(" external constraints")
    assert ex.start > 0 and ex.cut_end  # the sentence is longer than the window on both sides
    assert ZH_SENTENCE[ex.start : ex.start + len(ex.before)] == ex.before
    assert not ex.whole


def test_excerpt_of_a_short_value_is_whole_and_rejects_a_span_outside_it() -> None:
    ex = excerpt("Self\u200breliance", (4, 5))
    assert ex is not None and ex.whole and ex.hit == "\u200b" and ex.start == 0
    assert excerpt("short", (3, 9)) is None
    long = "x" * 50 + "y" * 1000 + "z" * 50
    big = excerpt(long, (50, 1050))
    assert big is not None and big.elided == 1000 - len(big.hit) and big.hit.startswith("y") and not big.whole


def test_rule_finding_keeps_an_excerpt_of_the_text_it_is_given() -> None:
    rule = REGISTRY["X902"]
    start = FAMILY_STRIPPED.index("👨")
    f = rule.finding("a.txt", "joiners", field="title", span=(start, start + 3), fix=FAMILY_FIX, text=FAMILY_STRIPPED)
    assert f.context is not None and f.context.hit == "👨👩👧" and f.context.whole
    # Evidence is not taken for the text: it is often the span alone, and the record has the real context.
    g = rule.finding("a.txt", "joiners", span=(0, 3), evidence="👨👩👧")
    assert g.context is None
    assert "context" not in f.to_dict()  # the JSON contract is unchanged


def test_the_pipeline_cuts_excerpts_from_the_record(tmp_path: Path) -> None:
    text = '---\ntitle: "Family day 👨👩👧 at the park"\nrelated:\n  - title: "Self\u200breliance"\n---\n' + ZH_SENTENCE
    (tmp_path / "a.txt").write_text(text, encoding="utf-8")
    rec = read_record(Source("a.txt", str(tmp_path / "a.txt")))
    assert field_text(rec, "related[0].title") == "Self\u200breliance"
    assert field_text(rec, "related[3].title") is None and field_text(rec, "title.x") is None
    rule = REGISTRY["X901"]
    start = ZH_SENTENCE.index("摆脱")
    findings = [
        rule.finding("a.txt", "zh", field="body", span=(start, start + 2)),
        rule.finding("a.txt", "zwsp", field="related[0].title", span=(4, 5)),
        rule.finding("a.txt", "beyond", field="title", span=(5, 500)),
    ]
    attach(findings, rec)
    assert findings[0].context is not None and findings[0].context.hit == "摆脱"
    assert findings[1].context is not None and findings[1].context.hit == "\u200b"
    assert findings[2].context is None  # a span past the value's end is not guessed at


def test_page_data_interns_strings_and_carries_spans_fixes_and_facts() -> None:
    result = glitch_result()
    data = html.page_data(result)
    strings = data["strings"]
    rows = data["rows"]
    assert len(rows) == len(result.findings)
    assert len(strings) == len(set(strings))
    by_rule = {strings[r[0]]: r for r in rows}
    zh = by_rule["X901"]
    assert strings[zh[3]] == "corpus/004_zh.txt" and zh[11][1] == "摆脱"
    # a fix: [applicability, message, [[target, field, start, end, content]], number of edits]
    assert zh[9][0] == "display-only" and zh[9][3] == 1
    at = ZH_SENTENCE.index("摆脱")
    assert zh[9][2] == [["text", "body", at, at + 2, "to break free from"]]
    fam = by_rule["X902"]
    assert fam[11][1] == "👨👩👧" and fam[9][2][0][4] == FAMILY_FIX
    # File facts come from the clippings table; a body-only file has none.
    files = {strings[int(k)]: v for k, v in data["files"].items()}
    assert files["corpus/010_family.txt"][1] == "WBOY"
    assert "corpus/004_zh.txt" not in files
    charts = data["charts"]
    assert dict(zip(charts["checks"]["labels"], charts["checks"]["warning"], strict=True))["duplicate"] == 2
    assert "(no provider)" in charts["providers"]["labels"]
    assert charts["published"] == {"published": 3, "not published": 1, "missing": 0, "not a boolean": 1}
    assert charts["quality"]["other"] == 1  # quality: "high"
    assert charts["days"]["labels"] == ["2021-12-28", "2021-12-29", "2021-12-30"]
    assert charts["days"]["clippings"] == [2, 1, 2]
    assert data["meta"]["baseline"] is None and data["meta"]["gate"] == "failed"


def test_chart_data_tables_hold_the_numbers() -> None:
    page = html.render(glitch_result())
    cell = '<td class="num">{}</td>'
    # Per check: duplicate has 0 errors, 2 warnings, 0 info; per day: 2021-12-30 has 2 warnings and 2 clippings.
    assert '<th scope="row">duplicate</th>' + "".join(cell.format(n) for n in (0, 2, 0)) in page
    assert '<th scope="row">2021-12-30</th>' + "".join(cell.format(n) for n in (0, 2, 0, 2)) in page
    assert '<th scope="row">WBOY</th>' + "".join(cell.format(n) for n in (0, 1, 0)) in page


def test_baseline_status_and_fixed_reach_the_page() -> None:
    page = html.render(glitch_result(baseline=True))
    data = embedded(page)
    assert data["meta"]["baseline"] == {"new": 4, "existing": 3, "fixed": 1}  # type: ignore[index]
    assert data["fixed"][0]["path"] == "corpus/040_fixed.txt"  # type: ignore[index]
    assert 'id="f-status"' in page and 'id="fixed-table"' in page


def test_histogram_counts_values_bins_and_non_numbers() -> None:
    few = html.histogram([1, 1, 2, None, "x", True])
    assert few["labels"] == ["1", "2"] and few["counts"] == [2, 1]
    assert few["missing"] == 1 and few["other"] == 2  # a boolean is not a score
    many = html.histogram([*range(101), -1, -1])
    assert many["labels"][0] == "-1" and many["counts"][0] == 2
    assert sum(many["counts"]) == 103 and len(many["labels"]) <= 1 + html.HIST_BINS + 1
    skewed = html.histogram([0, 1, 5, 10, 12, 150, 3000, *range(20, 60)])
    assert sum(skewed["counts"]) == 47 and any("–" in label for label in skewed["labels"])


def test_day_of_reads_strings_and_datetimes() -> None:
    import datetime as dt

    assert html.day_of("2021-12-28T23:15:00Z") == "2021-12-28"
    assert html.day_of("2021-12-28T23:15:00-05:00") == "2021-12-29"  # UTC day
    assert html.day_of(dt.date(2021, 1, 2)) == "2021-01-02"
    assert html.day_of("yesterday") is None and html.day_of(7) is None


def test_page_is_self_contained_and_data_cannot_close_its_script(tmp_path: Path) -> None:
    result = glitch_result()
    rule = REGISTRY["X903"]
    result.findings.append(
        rule.finding("corpus/x.txt", "</script><script>alert(1)</script>", evidence="\ud800 lone surrogate")
    )
    out = tmp_path / "r.html"
    html.write(result, out)
    page = out.read_text(encoding="utf-8")
    assert "<script>alert(1)" not in page
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=|@import|url\(http", page)
    assert "sourceMappingURL" not in page
    assert "Chart.js v4" in page  # the vendored library is inlined
    data = embedded(page)
    assert "</script><script>alert(1)</script>" in data["strings"]  # type: ignore[operator]
    assert any(r[8] == "\ud800 lone surrogate" for r in data["rows"])  # type: ignore[union-attr,index]


def test_a_large_report_stays_compact() -> None:
    result = synthetic_result(2000, 400)
    page = html.render(result)
    data = embedded(page)
    assert len(data["rows"]) == 2000  # type: ignore[arg-type]
    # Paths and messages are stored once however many rows use them.
    assert len(data["strings"]) < 2000 + 400 + 10  # type: ignore[arg-type]
    assert len(page) < 2_000_000


def test_a_real_run_carries_the_span_in_its_sentence(tmp_path: Path) -> None:
    """The language check's finding on 摆脱 reaches the page with its sentence (pipeline excerpt)."""
    from qa.config import Config
    from qa.pipeline import run

    body = "The Financial Times published an article on the chip list.\n\n" + ZH_SENTENCE + "\n"
    (tmp_path / "zh.txt").write_text(body, encoding="utf-8")
    result = run([str(tmp_path)], Config())
    spans = [f for f in result.findings if f.span is not None and f.context is not None and f.context.hit == "摆脱"]
    assert spans, [(f.rule, f.span, f.evidence) for f in result.findings]
    data = html.page_data(result)
    rows = [r for r in data["rows"] if r[11] and r[11][1] == "摆脱"]
    assert rows and rows[0][11][0].endswith("ecosystem aimed at") and rows[0][11][2].startswith(" external")


def test_the_same_result_gives_the_same_report_whatever_the_hash_seed(tmp_path: Path) -> None:
    """Python salts string hashes per process: nothing in the page may follow a set's order."""
    import os
    import pickle
    import subprocess
    import sys

    result = glitch_result(baseline=True)
    result.fixed = [
        {"rule": "S101", "path": f"gone-{i}.txt", "field": "title", "fingerprint": f"f{i}"} for i in range(8)
    ]
    pickled = tmp_path / "result.pkl"
    pickled.write_bytes(pickle.dumps(result))
    script = (
        "import pickle, sys\n"
        "from qa.checks import all_checks\n"
        "from qa.findings import REGISTRY\n"
        "from tests.html_fixtures import TEST_RULES\n"
        "all_checks()\n"
        "REGISTRY.update({r.code: r for r in TEST_RULES})\n"
        "from qa.report import html\n"
        "sys.stdout.buffer.write(html.render(pickle.load(open(sys.argv[1], 'rb'))).encode('utf-8', 'surrogatepass'))\n"
    )
    root = Path(__file__).resolve().parents[1]
    pages = []
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(root)}
        done = subprocess.run([sys.executable, "-c", script, str(pickled)], env=env, capture_output=True, check=True)
        pages.append(done.stdout)
    assert pages[0] == pages[1] == pages[2]
    data = embedded(pages[0].decode("utf-8", "surrogatepass"))
    assert {f"gone-{i}.txt" for i in range(8)} <= set(data["strings"])  # type: ignore[arg-type]


def test_the_overview_counts_fixable_findings_and_gives_the_command() -> None:
    from qa.rules import all_rules

    result = glitch_result()
    e201 = all_rules()["E201"]
    result.findings.append(
        e201.finding("corpus/000_op_ed.txt", "mojibake", field="title", span=(0, 2), fix="é", text="Ã© title")
    )
    data = html.page_data(result)
    assert data["meta"]["fixable"] == {"safe": 1, "unsafe": 0}
    assert data["meta"]["fixCommand"] == "clipqa fix " + " ".join(result.roots)
    row = data["rows"][-1]
    assert row[9][0] == "safe" and row[9][2] == [["text", "title", 0, 2, "é"]]
    page = html.render(result)
    assert 'id="fix-hint"' in page and "1 finding can be fixed safely" in page
    assert f"<code>{data['meta']['fixCommand']}</code>" in page
    # no fixable finding: the count is 0 and there is no command to give
    result.findings.pop()
    assert 'id="fix-hint"' not in html.render(result)
