"""The fast report code paths give what the plain ones gave (the same bytes).

The HTML and JSON reports were made faster at 100,000 files (facts per distinct path,
a numpy histogram, findings written field by field, the page's data encoded a run at a
time) without changing a byte of what they write. The plain versions are kept here as
references, and each fast path is held to them on the edge cases.
"""

from __future__ import annotations

import bisect
import datetime as dt
import gc
import json
import math
import random
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from qa.findings import Applicability, Finding, Fix, Severity, replace_bytes, replace_text
from qa.nogc import paused_gc
from qa.report import html, json_report
from tests.html_fixtures import (
    MIXED_SCRIPT,
    ZWSP,
    clippings_table,
    finding,
    glitch_result,
    register,
    synthetic_result,
)


@pytest.fixture(autouse=True)
def _rules(monkeypatch: pytest.MonkeyPatch) -> None:
    register(monkeypatch)


# ---------------------------------------------------------------- histogram


def reference_histogram(values: Iterable[Any]) -> dict[str, Any]:
    """The list-and-bisect histogram the numpy one replaced."""
    nums: list[float] = []
    other = 0
    missing = 0
    for v in values:
        if v is None:
            missing += 1
            continue
        n = html.number(v)
        if n is None:
            other += 1
        else:
            nums.append(n)
    labels: list[str] = []
    counts: list[int] = []
    distinct = sorted(set(nums))
    if len(distinct) <= 25:
        c = Counter(nums)
        for x in distinct:
            labels.append(html._fmt(x))
            counts.append(c[x])
    else:
        negatives = sorted({x for x in nums if x < 0})
        rest = nums
        if 0 < len(negatives) <= 3:
            c = Counter(x for x in nums if x < 0)
            for x in negatives:
                labels.append(html._fmt(x))
                counts.append(c[x])
            rest = [x for x in nums if x >= 0]
        lo, hi = min(rest), max(rest)
        integral = all(x.is_integer() for x in rest)
        if lo >= 0 and hi >= 1000 and hi / (sorted(rest)[len(rest) // 2] + 1) > 50:
            edges = [0.0] + [10.0**k for k in range(math.floor(math.log10(hi)) + 2)]
        else:
            width = (hi - lo) / html.HIST_BINS or 1.0
            if integral:
                width = float(max(1, math.ceil((hi - lo + 1) / html.HIST_BINS)))
            edges = [lo + i * width for i in range(html.HIST_BINS + 1)]
            while edges[-1] <= hi:
                edges.append(edges[-1] + width)
        bins = [0] * (len(edges) - 1)
        for x in rest:
            bins[_bin(edges, x)] += 1
        for i, n in enumerate(bins):
            a, b = edges[i], edges[i + 1]
            labels.append(
                f"{html._fmt(a)}–{html._fmt(min(b - 1, hi))}" if integral else f"{html._fmt(a)}–{html._fmt(min(b, hi))}"
            )
            counts.append(n)
        while counts and counts[-1] == 0:
            labels.pop()
            counts.pop()
    return {"labels": labels, "counts": counts, "other": other, "missing": missing, "n": len(nums)}


def _bin(edges: Sequence[float], x: float) -> int:
    return min(max(bisect.bisect_right(edges, x) - 1, 0), len(edges) - 2)


HISTOGRAM_CASES: dict[str, list[Any]] = {
    "empty": [],
    "all missing": [None] * 7,
    "no numbers": ["high", True, False, float("nan"), float("inf"), -float("inf"), [1], "3"],
    "few distinct": [1, 1, 2, None, "x", True, 2, 2, 3.0],
    "one value": [5] * 40,
    "minus and plus zero": [-0.0, 0.0, 0.0, -0.0, 1],
    "negative sentinels": [*range(101), -1, -1, -2],
    "four negatives": [*range(60), -1, -2, -3, -4],
    "only negatives, many": list(range(-100, 0)),
    "skewed popularity": [0, 1, 5, 10, 12, 150, 3000, *range(20, 60), 250_000],
    "skewed with sentinel": [-1, -1, *range(30), 10**7],
    "floats": [i / 7 for i in range(-50, 200)],
    "floats few distinct": [0.1, 0.2, 0.1, 0.30000000000000004],
    "big integers": [10**15 + i for i in range(40)],
    "ints past 2**53": [2**60 + i for i in range(40)],
    "numpy scalars": [np.float64(1.5), np.float64(2.5), *[float(i) for i in range(30)], np.float64("nan")],
    "wide floats": [1e-9 * i for i in range(100)] + [1e6],
    "empty tail": [*range(30), 1000],
}


@pytest.mark.parametrize("name", list(HISTOGRAM_CASES))
def test_histogram_is_the_reference_one(name: str) -> None:
    values = HISTOGRAM_CASES[name]
    got = html.histogram(values)
    assert got == reference_histogram(values)
    assert all(type(n) is int for n in got["counts"])  # JSON needs Python ints, not numpy ones


def test_histogram_matches_the_reference_on_random_mixes() -> None:
    rng = random.Random(11)
    pools = [
        lambda: rng.randrange(-3, 101),
        lambda: rng.choice([-1, -1, int(rng.paretovariate(1.1) * 10)]),
        lambda: rng.uniform(-5, 5),
        lambda: rng.choice([None, "n/a", True, float("nan")]),
        lambda: round(rng.gauss(50, 20), 1),
    ]
    for _ in range(300):
        picks = rng.sample(pools, rng.randrange(1, len(pools) + 1))
        values = [rng.choice(picks)() for _ in range(rng.randrange(0, 400))]
        assert html.histogram(values) == reference_histogram(values), values


def test_histogram_refuses_an_integer_too_big_for_a_float_as_before() -> None:
    with pytest.raises(OverflowError):
        reference_histogram([10**400])
    with pytest.raises(OverflowError):
        html.histogram([10**400])


# ---------------------------------------------------------------- the findings JSON


ENCODE = json.JSONEncoder(ensure_ascii=False).encode


class Subclassed(Finding):
    __slots__ = ()


def odd_findings() -> list[Finding]:
    """Findings with every kind of value a check could put in them, right or wrong."""
    base: dict[str, Any] = {"rule": "X901", "check": "language", "severity": "warning", "path": "a.txt"}
    return [
        Finding(**base),
        Finding(
            **base,
            field="title",
            line=3,
            column=9,
            message='quote " backslash \\ tab \t nl \n ctrl \x01 del \x7f',
            evidence="摆脱 👨\u200d👩 \u2028 \ud800 </script>",
            span=(4, 6),
            fix=Fix(
                Applicability.UNSAFE,
                (replace_text("title", 4, 6, 'fixed ✓ " \\ \n \u2028 </script>'), replace_bytes(0, 3, "")),
                "odd \x01 message",
            ),
            related=("b.txt", "c/ü.txt"),
            status="new",
        ),
        Finding(**{**base, "severity": Severity.ERROR}, status="existing"),  # a str subclass
        Finding(**base, line=True, column=False),  # booleans are written true/false
        Finding(**base, line=True),
        Finding(**base, column=False),
        Finding(**base, line=float("inf"), column=float("nan")),  # type: ignore[arg-type]
        Finding(**base, line=2.0, column=-1),  # type: ignore[arg-type]
        Finding(**base, span=[1, 2]),  # type: ignore[arg-type]
        Finding(**base, span=(1, 2, 3)),  # type: ignore[arg-type]
        Finding(**base, span=(1.0, 2)),  # type: ignore[arg-type]
        Finding(**base, related=["x.txt"]),  # type: ignore[arg-type]
        Finding(**base, related=(1, "x")),  # type: ignore[arg-type]
        Finding(**base, field=7, message=None),  # type: ignore[arg-type]
        Finding(**base, evidence=3.5, fix=["a"]),  # type: ignore[arg-type]
        Finding(**base, line=2**70, column=0),
        Subclassed(**base, field="f"),
    ]


def test_findings_are_encoded_as_their_dicts_are() -> None:
    findings = odd_findings()
    assert json_report.encode_findings(findings) == [ENCODE(f.to_dict()) for f in findings]


def reference_dumps(result: Any) -> str:
    """dumps as it was: the document's findings encoded from their dicts."""
    doc = json_report.document(result)
    findings = doc.pop("findings")
    head = json.dumps(doc, ensure_ascii=False, indent=1)
    if not findings:
        return head[:-2] + ',\n "findings": []\n}\n'
    body = ",\n  ".join(ENCODE(f) for f in findings)
    return f'{head[:-2]},\n "findings": [\n  {body}\n ]\n}}\n'


@pytest.mark.parametrize("kind", ["glitch", "baseline", "odd", "none", "synthetic"])
def test_json_document_text_is_the_reference_one(kind: str) -> None:
    result = glitch_result(baseline=kind == "baseline") if kind != "synthetic" else synthetic_result(1500, 300)
    if kind == "odd":
        result.findings.extend(odd_findings())
    if kind == "none":
        result.findings.clear()
    text = json_report.dumps(result)
    assert text == reference_dumps(result)
    assert json.loads(text) == json.loads(json.dumps(json_report.document(result)))


# ---------------------------------------------------------------- the page's data


def reference_script_json(data: Any) -> str:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    text = re.sub("[\ud800-\udfff]", lambda m: f"\\u{ord(m.group()):04x}", text)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


UNSAFE = ["</script>", "<!--", "a & b", "\u2028", "\u2029", "\ud83d", "\udfff", "👨\u200d👩", "plain", ""]


SCRIPT_CASES: dict[str, Any] = {
    "empty dict": {},
    "empty list": [],
    "scalar": "</script>\u2028",
    "list of strings": UNSAFE,
    "nested": {"a": {"b": [UNSAFE, {"c": None}], "d": []}, "e": {}, "f": 1.5, "g": True},
    "long list": [[i, UNSAFE[i % len(UNSAFE)], None, i / 3] for i in range(3 * html._RUN + 7)],
    "list of exactly a run": list(range(html._RUN)),
    "list of a run and one": list(range(html._RUN + 1)),
    "long int-keyed dict": {"files": {i: [UNSAFE[i % len(UNSAFE)], i] for i in range(2 * html._RUN + 3)}},
    "long str-keyed dict": {"x": {f"<{i}>": i for i in range(html._RUN + 2)}},
    "top-level non-string keys": {1: "a", "b": [1, 2], None: 3},
    "top-level list of dicts": [{"k": UNSAFE} for _ in range(html._RUN + 5)],
}


@pytest.mark.parametrize("name", list(SCRIPT_CASES))
def test_script_json_is_the_reference_one(name: str) -> None:
    data = SCRIPT_CASES[name]
    assert html.script_json(data) == reference_script_json(data)
    pieces = html.script_pieces(data)
    assert "".join(pieces) == reference_script_json(data)


def test_script_json_refuses_nan_as_before() -> None:
    with pytest.raises(ValueError):
        html.script_json({"rows": [float("nan")] * (html._RUN + 1)})


def test_page_data_interns_strings_in_first_use_order() -> None:
    result = glitch_result()
    result.findings = [
        finding(MIXED_SCRIPT, "p1.txt", "m1", field=None, related=["p2.txt", "p1.txt"]),
        finding(ZWSP, "p2.txt", "m1", field="title"),
    ]
    data = html.page_data(result)
    assert data["strings"][:8] == ["X901", "language", "p1.txt", "m1", "p2.txt", "X904", "encoding", "title"]
    assert data["rows"][0][4] is None and data["rows"][0][12] == [4, 2]
    assert data["rows"][1][:5] == [5, 6, 2, 4, 7]


def clips_result(provider_c: object) -> Any:
    """Findings on five clippings (one with two rows) and on a file without front matter."""
    minus5 = dt.timezone(dt.timedelta(hours=-5))
    rows: list[dict[str, Any]] = [
        {"_path": "a.txt", "provider.name": "Reuters", "title": "A", "webUrl": "https://a",
         "publishedDateTime": "2021-12-28T23:15:00-05:00"},
        {"_path": "b.txt", "provider.name": "First", "title": "old B", "webUrl": "https://b",
         "publishedDateTime": dt.datetime(2021, 6, 1, 12, 0, tzinfo=dt.UTC)},
        {"_path": "b.txt", "provider.name": "  ", "title": "B", "webUrl": "ftp://b",
         "publishedDateTime": dt.datetime(2021, 12, 31, 22, 0, tzinfo=minus5)},
        {"_path": "c.txt", "provider.name": provider_c, "title": "C", "webUrl": "HTTP://C",
         "publishedDateTime": dt.datetime(2021, 1, 2, 3, 4)},
        {"_path": "d.txt", "provider.name": None, "title": None, "webUrl": "http://d",
         "publishedDateTime": dt.date(2020, 5, 6)},
        {"_path": "e.txt", "provider.name": "Reuters", "title": "E", "webUrl": None, "publishedDateTime": "yesterday"},
    ]  # fmt: skip
    result = glitch_result()
    result.tables = {"clippings": clippings_table(rows)}
    result.findings = [finding(MIXED_SCRIPT, p, "m") for p in ("a.txt", "b.txt", "c.txt", "d.txt", "e.txt", "z.txt")]
    result.findings.append(finding(ZWSP, "a.txt", "m"))
    return result


@pytest.mark.parametrize("provider_c", ["", 123])
def test_file_facts_come_from_a_paths_last_row(provider_c: object) -> None:
    result = clips_result(provider_c)
    column = result.tables["clippings"]["provider.name"]
    # Both ways of reading providers: a string column, and an object one (a number in it).
    assert isinstance(column.dtype, pd.StringDtype) == isinstance(provider_c, str)
    data = html.page_data(result)
    strings = data["strings"]
    files = {strings[int(k)]: v for k, v in data["files"].items()}
    assert files == {
        "a.txt": ["A", "Reuters", "2021-12-29", "https://a"],
        "b.txt": ["B", "(no provider)", "2022-01-01", None],  # the last row; its day in UTC
        "c.txt": ["C", "(no provider)", "2021-01-02", None],  # a naive time; the scheme is lower case
        "d.txt": [None, "(no provider)", "2020-05-06", "http://d"],
        "e.txt": ["E", "Reuters", None, None],
    }
    charts = data["charts"]
    providers = dict(zip(charts["providers"]["labels"], charts["providers"]["warning"], strict=True))
    assert providers == {"(no provider)": 4, "Reuters": 2}
    days = charts["days"]
    assert days["undated"] == 2  # e.txt and z.txt
    # Clippings per day count every row, the first row of b.txt too.
    assert dict(zip(days["labels"], days["clippings"], strict=True)) == {
        "2020-05": 1,
        "2021-01": 1,
        "2021-06": 1,
        "2021-12": 1,
        "2022-01": 1,
    }
    assert days["unit"] == "month"


def test_columns_read_missing_values_as_none() -> None:
    nat = np.datetime64("NaT")
    df = pd.DataFrame(
        {
            "obj": pd.Series([1, float("nan"), None, pd.NA, pd.NaT, "x", nat, np.float64("nan")], dtype=object),
            "ints": pd.array([1, None, 3, None, 5, 6, 7, 8], dtype="Int64"),
            "text": pd.array(["a", None, "c", "d", "e", "f", "g", "h"], dtype="string"),
        }
    )
    obj = html._column(df, "obj")
    # pandas calls a numpy NaT missing too; the report keeps it as a value, as it did.
    assert obj[:6] == [1, None, None, None, None, "x"] and obj[6] is nat and obj[7] is None
    assert html._column(df, "ints") == [1, None, 3, None, 5, 6, 7, 8]
    assert html._column(df, "text") == ["a", None, "c", "d", "e", "f", "g", "h"]
    assert html._column(df, "absent") == [None] * 8 and html._column(None, "obj") == []


# ---------------------------------------------------------------- writing


def test_write_writes_what_render_gives(tmp_path: Path) -> None:
    result = synthetic_result(3 * html._RUN, 500)
    result.findings.append(finding(MIXED_SCRIPT, "x.txt", "</script>\ud800\u2028", evidence="\udfff & <"))
    out = tmp_path / "r.html"
    html.write(result, out)
    page = html.render(result)
    assert out.read_bytes() == page.encode("utf-8")
    assert "\ud800" not in page and "\\ud800" in page


@pytest.mark.parametrize("n", [0, 1, json_report._RUN, 2 * json_report._RUN + 1])
def test_json_write_writes_what_dumps_gives(tmp_path: Path, n: int) -> None:
    result = synthetic_result(n, 300) if n else glitch_result()
    if not n:
        result.findings.clear()
    out = tmp_path / "f.json"
    json_report.write(result, out)
    assert out.read_bytes() == json_report.dumps(result).encode("utf-8") == reference_dumps(result).encode("utf-8")
    assert len(json.loads(out.read_text(encoding="utf-8"))["findings"]) == n


@pytest.mark.parametrize("enabled", [True, False])
def test_paused_gc_leaves_the_collector_as_it_found_it(enabled: bool) -> None:
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        with paused_gc():
            assert not gc.isenabled()
        assert gc.isenabled() is enabled
        with pytest.raises(RuntimeError), paused_gc():
            raise RuntimeError
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()
