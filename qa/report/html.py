"""The HTML report: one self-contained file a corpus editor opens after a failed run.

Nothing is fetched when the page is viewed: the CSS, the script, the charting
library (Chart.js, vendored under ``vendor/`` from its npm package) and the data
are all inline. The page answers, in this order: did the gate pass (verdict),
what is wrong (counts and charts), where (a sortable, filterable findings table
that pages through any number of findings), and how to fix it (a per-clipping
view that shows each offending span highlighted in its context with the
proposed fix).

The report never re-runs checks: everything comes from the :class:`RunResult`,
its findings (with their :class:`~qa.findings.Excerpt`) and its tables.

Findings travel as compact JSON: repeated strings (rules, paths, fields,
messages) are interned once and rows refer to them by index; the script renders
only the page of rows on screen.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
import math
import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from importlib import resources
from typing import Any

import jinja2
import pandas as pd

from qa.atomic import write_text
from qa.findings import CHECKS, REGISTRY, Finding, Severity
from qa.pipeline import RunResult

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("qa.report", "templates"),
    autoescape=jinja2.select_autoescape(["html", "j2"], default=True),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)

SEVERITIES = tuple(s.value for s in Severity)  # error, warning, info: row field 2 is an index into it
STATUSES = (None, "new", "existing")  # row field 10
TOP_PROVIDERS = 15
TOP_RULES = 10
HIST_BINS = 20
NO_PROVIDER = "(no provider)"

# Row layout of a finding in the page's data (kept in step with report.js).
COLUMNS = (
    "rule", "check", "severity", "path", "field", "line", "column",
    "message", "evidence", "fix", "status", "context", "related",
)  # fmt: skip


class Interner:
    """Strings stored once; rows hold their index."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self._index: dict[str, int] = {}

    def __call__(self, value: str | None) -> int | None:
        if value is None:
            return None
        i = self._index.get(value)
        if i is None:
            i = self._index[value] = len(self.items)
            self.items.append(value)
        return i


# ---------------------------------------------------------------- clippings facts


def _column(df: pd.DataFrame | None, name: str) -> list[Any]:
    if df is None or name not in df.columns:
        return [None] * (0 if df is None else len(df))
    values = df[name].tolist()
    if df[name].dtype != object:  # a typed column: pandas knows where its missing values are
        missing = df[name].isna().to_numpy(dtype=bool)
        if not missing.any():
            return values
        return [None if m else v for v, m in zip(values, missing.tolist(), strict=True)]
    return [None if _missing(v) else v for v in values]


def _missing(v: Any) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    return isinstance(v, float) and math.isnan(v)


def day_of(value: Any) -> str | None:
    """The calendar day (UTC when the time has a zone) of a publishedDateTime value, or None."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        return value.isoformat()
    elif isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    else:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return moment.date().isoformat()


def number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)) and math.isfinite(value):
        return float(value)
    return None


_HTTP = re.compile(r"https?://")


class Clippings:
    """What the report shows of each clipping, by path (from the ``clippings`` table)."""

    def __init__(self, tables: dict[str, pd.DataFrame]) -> None:
        df = tables.get("clippings")
        paths = _column(df, "_path")
        self.provider = dict(zip(paths, _column(df, "provider.name"), strict=True))
        self.published_raw = _column(df, "publishedDateTime")
        self.days = [day_of(v) for v in self.published_raw]  # one per clipping (row)
        self.day = dict(zip(paths, self.days, strict=True))
        self.title = dict(zip(paths, _column(df, "title"), strict=True))
        self.url = dict(zip(paths, _column(df, "webUrl"), strict=True))
        self.quality = _column(df, "quality")
        self.heat = _column(df, "heat")
        self.published = _column(df, "published")
        self.paths = paths

    def provider_of(self, path: str) -> str:
        name = self.provider.get(path)
        return name if isinstance(name, str) and name.strip() else NO_PROVIDER

    def facts(self, path: str) -> list[Any] | None:
        """[title, provider, day, webUrl] of a clipping, or None when it has no row."""
        if path not in self.provider:
            return None
        title = self.title.get(path)
        url = self.url.get(path)
        return [
            title if isinstance(title, str) else None,
            self.provider_of(path),
            self.day.get(path),
            url if isinstance(url, str) and _HTTP.match(url) else None,
        ]


# ---------------------------------------------------------------- chart data


def histogram(values: Iterable[Any]) -> dict[str, Any]:
    """Counts of numeric values: one bar per value when there are few, else equal-width bins.

    Values that are not numbers (a string where a number belongs) are counted apart,
    as are negative sentinels such as ``heat: -1`` ("not scored") when there are few.
    """
    nums: list[float] = []
    other = 0
    missing = 0
    for v in values:
        if v is None:
            missing += 1
            continue
        n = number(v)
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
            labels.append(_fmt(x))
            counts.append(c[x])
    else:
        negatives = sorted({x for x in nums if x < 0})
        rest = nums
        if 0 < len(negatives) <= 3:
            c = Counter(x for x in nums if x < 0)
            for x in negatives:
                labels.append(_fmt(x))
                counts.append(c[x])
            rest = [x for x in nums if x >= 0]
        lo, hi = min(rest), max(rest)
        integral = all(x.is_integer() for x in rest)
        if lo >= 0 and hi >= 1000 and hi / (sorted(rest)[len(rest) // 2] + 1) > 50:
            # Skewed (popularity): powers of ten.
            edges = [0.0] + [10.0**k for k in range(math.floor(math.log10(hi)) + 2)]
        else:
            width = (hi - lo) / HIST_BINS or 1.0
            if integral:
                width = float(max(1, math.ceil((hi - lo + 1) / HIST_BINS)))
            edges = [lo + i * width for i in range(HIST_BINS + 1)]
            while edges[-1] <= hi:
                edges.append(edges[-1] + width)
        bins = [0] * (len(edges) - 1)
        for x in rest:
            i = _bin(edges, x)
            bins[i] += 1
        for i, n in enumerate(bins):
            a, b = edges[i], edges[i + 1]
            labels.append(f"{_fmt(a)}–{_fmt(min(b - 1, hi))}" if integral else f"{_fmt(a)}–{_fmt(min(b, hi))}")
            counts.append(n)
        while counts and counts[-1] == 0:  # no empty tail
            labels.pop()
            counts.pop()
    return {"labels": labels, "counts": counts, "other": other, "missing": missing, "n": len(nums)}


def _bin(edges: Sequence[float], x: float) -> int:
    """The last bin whose left edge is <= x (the first bin for x below every edge)."""
    return min(max(bisect.bisect_right(edges, x) - 1, 0), len(edges) - 2)


def _fmt(x: float) -> str:
    if x.is_integer():
        return f"{int(x):,}".replace(",", " ") if abs(x) >= 10000 else str(int(x))
    return f"{x:.3g}"


def published_share(values: Iterable[Any]) -> dict[str, int]:
    out = {"published": 0, "not published": 0, "missing": 0, "not a boolean": 0}
    for v in values:
        if v is True:
            out["published"] += 1
        elif v is False:
            out["not published"] += 1
        elif v is None:
            out["missing"] += 1
        else:
            out["not a boolean"] += 1
    return out


def _by_severity(rows: dict[str, dict[str, int]], order: Sequence[str]) -> dict[str, Any]:
    return {
        "labels": list(order),
        **{sev: [rows.get(k, {}).get(sev, 0) for k in order] for sev in SEVERITIES},
    }


def chart_data(result: RunResult, clips: Clippings) -> dict[str, Any]:
    by_check = result.by_check()
    checks = [c for c in CHECKS if c in by_check] + sorted(c for c in by_check if c not in CHECKS)

    per_provider: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(SEVERITIES, 0))
    per_day: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(SEVERITIES, 0))
    undated = 0
    for f in result.findings:
        per_provider[clips.provider_of(f.path)][f.severity] += 1
        day = clips.day.get(f.path)
        if day is None:
            undated += 1
        else:
            per_day[day][f.severity] += 1
    ranked = sorted(per_provider, key=lambda p: (-sum(per_provider[p].values()), p))
    providers = ranked[:TOP_PROVIDERS]
    rest = ranked[TOP_PROVIDERS:]
    provider_rows = {p: per_provider[p] for p in providers}
    if rest:
        label = f"{len(rest)} other providers"
        provider_rows[label] = {s: sum(per_provider[p][s] for p in rest) for s in SEVERITIES}
        providers.append(label)

    clip_days = Counter(d for d in clips.days if d is not None)
    all_days = sorted(set(per_day) | set(clip_days))
    unit = "day"
    if all_days and (dt.date.fromisoformat(all_days[-1]) - dt.date.fromisoformat(all_days[0])).days > 400:
        unit = "month"

        def bucket(d: str) -> str:
            return d[:7]

    else:

        def bucket(d: str) -> str:
            return d

    day_rows: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(SEVERITIES, 0))
    clip_rows: Counter[str] = Counter()
    for d, row in per_day.items():
        for s, n in row.items():
            day_rows[bucket(d)][s] += n
    for d, n in clip_days.items():
        clip_rows[bucket(d)] += n
    labels = sorted(set(day_rows) | set(clip_rows))
    days = _by_severity(day_rows, labels)
    days["clippings"] = [clip_rows.get(d, 0) for d in labels]
    days["unit"] = unit
    days["undated"] = undated

    rule_counts = Counter(f.rule for f in result.findings)
    top_rules = []
    for code, n in rule_counts.most_common(TOP_RULES):
        r = REGISTRY.get(code)
        top_rules.append(
            {
                "code": code,
                "name": r.name if r else "",
                "check": r.check if r else "",
                "severity": r.severity.value if r else "",
                "count": n,
            }
        )
    return {
        "checks": _by_severity(by_check, checks),
        "providers": _by_severity(provider_rows, providers),
        "days": days,
        "quality": histogram(clips.quality),
        "heat": histogram(clips.heat),
        "published": published_share(clips.published),
        "topRules": top_rules,
    }


# ---------------------------------------------------------------- the page data


def _context(f: Finding) -> list[Any] | None:
    c = f.context
    if c is None:
        return None
    return [c.before, c.hit, c.after, c.start, int(c.cut_end), c.elided, int(c.whole)]


def page_data(result: RunResult) -> dict[str, Any]:
    from qa import __version__

    clips = Clippings(result.tables)
    s = Interner()
    rows: list[list[Any]] = []
    sev_index = {v: i for i, v in enumerate(SEVERITIES)}
    status_index = {v: i for i, v in enumerate(STATUSES)}
    for f in result.findings:
        rows.append(
            [
                s(f.rule),
                s(f.check),
                sev_index.get(f.severity, 2),
                s(f.path),
                s(f.field),
                f.line,
                f.column,
                s(f.message),
                f.evidence,
                f.fix,
                status_index.get(f.status, 0),
                _context(f),
                [s(p) for p in f.related] or None,
            ]
        )
    fixed_paths = [str(x.get("path")) for x in result.fixed if x.get("path")]
    files: dict[int, Any] = {}
    for path in {f.path for f in result.findings} | set(fixed_paths):
        facts = clips.facts(path)
        index = s(path)
        if facts is not None and index is not None:
            files[index] = facts
    rules = {}
    for code in sorted({f.rule for f in result.findings} | {str(x.get("rule")) for x in result.fixed}):
        r = REGISTRY.get(code)
        if r is not None:
            rules[code] = [r.name, r.check, r.severity.value, r.doc, r.fix]
    counts = result.counts
    baseline = None
    if any(f.status for f in result.findings) or result.fixed:
        baseline = {
            "new": sum(1 for f in result.findings if f.status == "new"),
            "existing": sum(1 for f in result.findings if f.status == "existing"),
            "fixed": len(result.fixed),
        }
    return {
        "meta": {
            "gate": result.gate,
            "failOn": result.config.fail_on,
            "version": __version__,
            "configHash": result.config.hash(),
            "configFile": result.config.file,
            "started": result.started.isoformat(timespec="seconds"),
            "duration": round(result.duration, 3),
            "files": result.files,
            "records": result.records,
            "roots": list(result.roots),
            "counts": counts,
            "baseline": baseline,
            "notices": list(result.notices),
        },
        "columns": list(COLUMNS),
        "severities": list(SEVERITIES),
        "statuses": list(STATUSES),
        "strings": s.items,
        "rows": rows,
        "files": files,
        "rules": rules,
        "charts": chart_data(result, clips),
        "fixed": [_plain(x) for x in result.fixed],
    }


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    return {str(k): v if isinstance(v, (str, int, float, bool)) or v is None else str(v) for k, v in item.items()}


_SURROGATE = re.compile("[\ud800-\udfff]")


def script_json(data: Any) -> str:
    """JSON safe inside a <script> element: no '</script>', no '<!--', valid JS string escapes."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    # A lone surrogate (from a YAML escape) cannot be written as UTF-8: keep it as an escape.
    text = _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _asset(name: str) -> str:
    text = resources.files("qa.report").joinpath(name).read_text(encoding="utf-8")
    # A source-map comment would make devtools fetch a file: the page fetches nothing.
    return re.sub(r"^//# sourceMappingURL=.*$", "", text, flags=re.M).replace("</script", "<\\/script")


def chart_js() -> str:
    return _asset("vendor/chart.umd.min.js")


def render(result: RunResult, **extra: Any) -> str:
    """The page. ``extra`` goes to the template as is (e.g. ``gx_docs``: a link to GX Data Docs)."""
    data = page_data(result)
    by_check = result.by_check()
    page = _ENV.get_template("report.html.j2").render(
        meta=data["meta"],
        charts=data["charts"],
        by_check=[(c, by_check[c]) for c in data["charts"]["checks"]["labels"]],
        severities=SEVERITIES,
        data_json=script_json(data),
        css=_asset("templates/report.css"),
        app_js=_asset("templates/report.js"),
        chart_js=chart_js(),
        **extra,
    )
    return _SURROGATE.sub("\ufffd", page)


def write(result: RunResult, path: str | os.PathLike[str], **extra: Any) -> None:
    write_text(path, render(result, **extra))
