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

import datetime as dt
import json
import math
import os
import re
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from importlib import resources
from typing import Any

import jinja2
import numpy as np
import pandas as pd

from qa.atomic import atomic_open
from qa.findings import CHECKS, REGISTRY, Finding, Fix, Severity
from qa.nogc import paused_gc
from qa.pipeline import RunResult
from qa.urls import redact_url

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
    return _values(df[name])


def _values(col: pd.Series) -> list[Any]:
    """A column's values as a list, with None for every missing value (see :func:`_missing`)."""
    values = col.tolist()
    # pandas' isna flags every value _missing does (and, in an object column, a few more):
    # only those few values are looked at one by one.
    missing = col.isna().to_numpy(dtype=bool)
    if not missing.any():
        return values
    typed = col.dtype != object  # a typed column: pandas knows where its missing values are
    for i in np.flatnonzero(missing).tolist():
        if typed or _missing(values[i]):
            values[i] = None
    return values


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


def _day_keys(values: Sequence[Any]) -> list[dt.date | str | None]:
    """Per value, what :func:`day_of` makes a day of: a date (not yet written out) or its answer.

    A datetime (what the YAML loader gives) is turned into its date here and written
    out once per distinct day (``Clippings._day_text``): there are far fewer days than clippings.
    """
    exact, utc = dt.datetime, dt.UTC
    return [(v if v.tzinfo is None else v.astimezone(utc)).date() if type(v) is exact else day_of(v) for v in values]


def number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)) and math.isfinite(value):
        return float(value)
    return None


# What the report shows of the clipping at a path: its provider (NO_PROVIDER when it has
# none, or no row), its day of publishedDateTime, and [title, provider, day, webUrl] (None
# when the path has no row in the clippings table).
Facts = tuple[str, str | None, list[Any] | None]
_NO_FACTS: Facts = (NO_PROVIDER, None, None)


class Clippings:
    """What the report shows of each clipping, by path (from the ``clippings`` table).

    Columns are read once; the facts of a path are worked out once per distinct path
    asked for (:meth:`lookup`), not once per finding. A path with several rows has the
    facts of its last row.
    """

    def __init__(self, tables: dict[str, pd.DataFrame]) -> None:
        df = tables.get("clippings")
        self._df = df
        self.paths = _column(df, "_path")
        self.published_raw = _column(df, "publishedDateTime")
        self._day_keys = _day_keys(self.published_raw)  # one per clipping (row)
        self._day_key_counts = Counter(self._day_keys)
        # Each distinct day written out once.
        self._day_text = {k: k.isoformat() if isinstance(k, dt.date) else k for k in self._day_key_counts}
        self.quality = _column(df, "quality")
        self.heat = _column(df, "heat")
        self.published = _column(df, "published")

    def day_counts(self) -> Counter[str]:
        """Clippings per day of publishedDateTime (those without a readable day left out)."""
        out: Counter[str] = Counter()
        for key, n in self._day_key_counts.items():
            text = self._day_text[key]
            if text is not None:
                out[text] += n
        return out

    def _take(self, name: str, rows: np.ndarray) -> list[Any]:
        df = self._df
        if df is None or name not in df.columns:
            return [None] * len(rows)
        return _values(df[name].take(rows))

    def lookup(self, paths: Collection[str]) -> dict[str, Facts]:
        """The facts of each of ``paths`` that has a row (the others have ``_NO_FACTS``)."""
        wanted = paths if isinstance(paths, (set, frozenset, dict)) else set(paths)
        # Later rows overwrite earlier ones: a path's last row.
        row_of = {p: i for i, p in enumerate(self.paths) if p in wanted}
        found = list(row_of)
        at = list(row_of.values())
        rows = np.array(at, dtype=np.intp)
        http = ("http://", "https://")
        providers = self._providers(rows)
        keys, text = self._day_keys, self._day_text
        days = [text[keys[r]] for r in at]
        titles = [t if isinstance(t, str) else None for t in self._take("title", rows)]
        # A secret in a URL's user-info is masked (user:****@): the report is shared more widely
        # than the corpus (a CI artifact), and S115 already tells that the URL carries one.
        urls = [
            redact_url(u) if isinstance(u, str) and u.startswith(http) else None for u in self._take("webUrl", rows)
        ]
        files = map(list, zip(titles, providers, days, urls, strict=True))
        return dict(zip(found, zip(providers, days, files, strict=True), strict=True))

    def _providers(self, rows: np.ndarray) -> list[str]:
        """The provider (name) of each row, NO_PROVIDER for a missing or blank name."""
        df = self._df
        if df is not None and "provider.name" in df.columns and isinstance(df["provider.name"].dtype, pd.StringDtype):
            # Strings or missing only: each distinct name looked at once.
            codes, names = pd.factorize(df["provider.name"].take(rows))
            shown = [name if name.strip() else NO_PROVIDER for name in names.tolist()] + [NO_PROVIDER]
            return [shown[c] for c in codes.tolist()]  # code -1 (missing): the last
        return [
            name if isinstance(name, str) and name.strip() else NO_PROVIDER
            for name in self._take("provider.name", rows)
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
    add = nums.append
    for v in values:
        if v is None:
            missing += 1
        elif type(v) is int:
            add(float(v))  # what number() gives (an int too big for a float raises, as there)
        else:
            n = number(v)
            if n is None:
                other += 1
            else:
                add(n)
    labels: list[str] = []
    counts: list[int] = []
    arr = np.array(nums, dtype=np.float64)
    # numpy takes -0.0 and 0.0 for one value, as set() and Counter() do; _fmt writes both "0".
    distinct, tally = np.unique(arr, return_counts=True)
    if len(distinct) <= 25:
        labels = [_fmt(x) for x in distinct.tolist()]
        counts = tally.tolist()
    else:
        rest = arr
        below = distinct < 0
        n_negatives = int(below.sum())
        if 0 < n_negatives <= 3:
            labels = [_fmt(x) for x in distinct[below].tolist()]
            counts = tally[below].tolist()
            rest = arr[arr >= 0]
        lo, hi = float(rest.min()), float(rest.max())
        integral = bool(np.all(rest == np.floor(rest)))
        if lo >= 0 and hi >= 1000 and hi / (float(np.partition(rest, len(rest) // 2)[len(rest) // 2]) + 1) > 50:
            # Skewed (popularity): powers of ten.
            edges = [0.0] + [10.0**k for k in range(math.floor(math.log10(hi)) + 2)]
        else:
            width = (hi - lo) / HIST_BINS or 1.0
            if integral:
                width = float(max(1, math.ceil((hi - lo + 1) / HIST_BINS)))
            edges = [lo + i * width for i in range(HIST_BINS + 1)]
            while edges[-1] <= hi:
                edges.append(edges[-1] + width)
        # The last bin whose left edge is <= x (the first bin for x below every edge): _bin.
        where = np.searchsorted(np.array(edges, dtype=np.float64), rest, side="right") - 1
        bins = np.bincount(np.clip(where, 0, len(edges) - 2), minlength=len(edges) - 1).tolist()
        for i, n in enumerate(bins):
            a, b = edges[i], edges[i + 1]
            labels.append(f"{_fmt(a)}–{_fmt(min(b - 1, hi))}" if integral else f"{_fmt(a)}–{_fmt(min(b, hi))}")
            counts.append(n)
        while counts and counts[-1] == 0:  # no empty tail
            labels.pop()
            counts.pop()
    return {"labels": labels, "counts": counts, "other": other, "missing": missing, "n": len(nums)}


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


def chart_data(
    result: RunResult,
    clips: Clippings,
    facts: dict[str, Facts] | None = None,
    by_check: dict[str, dict[str, int]] | None = None,
) -> dict[str, Any]:
    """The charts' numbers. ``facts`` (of every finding's path) and ``by_check`` when the caller has them."""
    if by_check is None:
        by_check = result.by_check()
    if facts is None:
        facts = clips.lookup({f.path for f in result.findings})
    checks = [c for c in CHECKS if c in by_check] + sorted(c for c in by_check if c not in CHECKS)

    per_provider: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(SEVERITIES, 0))
    per_day: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(SEVERITIES, 0))
    undated = 0
    # Findings counted per (path, severity) first: the facts are then looked at once per path.
    for (path, severity), n in Counter((f.path, f.severity) for f in result.findings).items():
        provider, day, _ = facts.get(path, _NO_FACTS)
        per_provider[provider][severity] += n
        if day is None:
            undated += n
        else:
            per_day[day][severity] += n
    ranked = sorted(per_provider, key=lambda p: (-sum(per_provider[p].values()), p))
    providers = ranked[:TOP_PROVIDERS]
    rest = ranked[TOP_PROVIDERS:]
    provider_rows = {p: per_provider[p] for p in providers}
    if rest:
        label = f"{len(rest)} other providers"
        provider_rows[label] = {s: sum(per_provider[p][s] for p in rest) for s in SEVERITIES}
        providers.append(label)

    clip_days = clips.day_counts()
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


def _fix(fix: Fix) -> list[Any]:
    """A fix in the page's data: [applicability, message, [[target, field, start, end, content], ...]]."""
    edits = [[e.target.value, e.field, e.start, e.end, e.content] for e in fix.edits[:MAX_EDITS_SHOWN]]
    return [fix.applicability.value, fix.message, edits, len(fix.edits)]


MAX_EDITS_SHOWN = 20  # a fix with more edits (a file's CR line endings) is shown by its message


def page_data(result: RunResult) -> dict[str, Any]:
    with paused_gc():
        return _page_data(result)[0]


def _page_data(result: RunResult) -> tuple[dict[str, Any], dict[str, dict[str, int]]]:
    """The page's data, and the findings per check and severity (which the template shows too)."""
    from qa import __version__

    findings = result.findings
    clips = Clippings(result.tables)
    # Interned strings: each string's index is its place in the dict (None maps to None, and
    # is not a string: it is dropped from the list). What Interner does, without a call per string.
    index: dict[Any, int | None] = {None: None}
    intern = index.setdefault
    rows: list[list[Any]] = []
    append = rows.append
    sev_index = {v: i for i, v in enumerate(SEVERITIES)}
    status_index = {v: i for i, v in enumerate(STATUSES)}
    for f in findings:
        related = f.related
        append(
            [
                intern(f.rule, len(index) - 1),
                intern(f.check, len(index) - 1),
                sev_index.get(f.severity, 2),
                intern(f.path, len(index) - 1),
                intern(f.field, len(index) - 1),
                f.line,
                f.column,
                intern(f.message, len(index) - 1),
                f.evidence,
                None if f.fix is None else _fix(f.fix),
                status_index.get(f.status, 0),
                None if f.context is None else _context(f),
                [intern(p, len(index) - 1) for p in related] if related else None,
            ]
        )
    fixed_paths = [str(x.get("path")) for x in result.fixed if x.get("path")]
    # in order of first mention (not a set's order, which changes from run to run): the same
    # result gives the same report, byte for byte
    wanted = dict.fromkeys([*(f.path for f in findings), *fixed_paths])
    facts = clips.lookup(wanted)
    files: dict[int, Any] = {}
    for path in wanted:
        file = facts.get(path, _NO_FACTS)[2]
        i = intern(path, len(index) - 1)
        if file is not None and i is not None:
            files[i] = file
    strings = list(index)
    del strings[0]  # None
    rules = {}
    for code in sorted({f.rule for f in findings} | {str(x.get("rule")) for x in result.fixed}):
        r = REGISTRY.get(code)
        if r is not None:
            rules[code] = [r.name, r.check, r.severity.value, r.doc, r.fix]
    counts = result.counts
    baseline = None
    statuses = Counter(f.status for f in findings)
    if any(statuses) or result.fixed:
        baseline = {"new": statuses["new"], "existing": statuses["existing"], "fixed": len(result.fixed)}
    by_check = result.by_check()
    data = {
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
            "fixable": result.fixable,
            "fixCommand": result.fix_command(),
            "unsafeFixCommand": result.fix_command(unsafe=True),
        },
        "columns": list(COLUMNS),
        "severities": list(SEVERITIES),
        "statuses": list(STATUSES),
        "strings": strings,
        "rows": rows,
        "files": files,
        "rules": rules,
        "charts": chart_data(result, clips, facts, by_check),
        "fixed": [_plain(x) for x in result.fixed],
    }
    return data, by_check


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    return {str(k): v if isinstance(v, (str, int, float, bool)) or v is None else str(v) for k, v in item.items()}


_SURROGATE = re.compile("[\ud800-\udfff]")
# What script_json escapes: each such character as \uXXXX, nothing else changed. A lone
# surrogate (from a YAML escape) cannot be written as UTF-8; '<', '>' and '&' could close the
# script element or open a comment; U+2028 and U+2029 end a line in older JavaScript.
_UNSAFE = re.compile("[<>&\u2028\u2029\ud800-\udfff]")
_RUN = 1000  # items of a long list or dict encoded at a time (script_pieces)


def _escape(m: re.Match[str]) -> str:
    return f"\\u{ord(m.group()):04x}"


def script_json(data: Any) -> str:
    """JSON safe inside a <script> element: no '</script>', no '<!--', valid JS string escapes."""
    return "".join(script_pieces(data))


def script_pieces(data: Any) -> list[str]:
    """:func:`script_json` in pieces that join to it.

    Encoded and escaped a run of items at a time: a piece without an emoji stays a narrow
    string (one byte a character, not four) for the escaping scan, and a report written to
    a file never holds the whole text at once.
    """
    sub = _UNSAFE.sub
    return [sub(_escape, piece) for piece in _json_pieces(data, 2)]


def _dump(value: Any) -> str:
    # No circularity check: the page's data is built fresh by page_data, and has no cycles.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False, check_circular=False)


def _json_pieces(value: Any, depth: int) -> Iterator[str]:
    """``_dump(value)`` in pieces: a dict's members apart, ``depth`` levels down, and long
    lists and dicts in runs of ``_RUN`` items. Between JSON tokens only, never in a string."""
    if depth > 0 and type(value) is dict and value and all(type(k) is str for k in value):
        sep = "{"
        for k, v in value.items():
            yield sep + _dump(k) + ":"
            yield from _json_pieces(v, depth - 1)
            sep = ","
        yield "}"
    elif depth > 0 and type(value) is list and len(value) > _RUN:
        yield "["
        for i in range(0, len(value), _RUN):
            if i:
                yield ","
            yield _dump(value[i : i + _RUN])[1:-1]
        yield "]"
    elif depth > 0 and type(value) is dict and len(value) > _RUN:
        items = list(value.items())
        yield "{"
        for i in range(0, len(items), _RUN):
            if i:
                yield ","
            yield _dump(dict(items[i : i + _RUN]))[1:-1]
        yield "}"
    else:
        yield _dump(value)


def _asset(name: str) -> str:
    text = resources.files("qa.report").joinpath(name).read_text(encoding="utf-8")
    # A source-map comment would make devtools fetch a file: the page fetches nothing.
    return re.sub(r"^//# sourceMappingURL=.*$", "", text, flags=re.M).replace("</script", "<\\/script")


def chart_js() -> str:
    return _asset("vendor/chart.umd.min.js")


_DATA_SCRIPT = '<script id="clipqa-data" type="application/json">{}</script>'
_MARK = "\x00clipqa-data\x00"


def _pieces(result: RunResult, **extra: Any) -> list[str]:
    """The page in pieces: before the data, the data's pieces (:func:`script_pieces`), after it.

    The data (most of the page at scale) is put in after the template ran: the template
    does not copy it around, and the page's own text is scanned for surrogates without it
    (``script_json`` has already escaped every one in the data).
    """
    data, by_check = _page_data(result)
    page = _ENV.get_template("report.html.j2").render(
        meta=data["meta"],
        charts=data["charts"],
        by_check=[(c, by_check[c]) for c in data["charts"]["checks"]["labels"]],
        severities=SEVERITIES,
        data_json=_MARK,
        css=_asset("templates/report.css"),
        app_js=_asset("templates/report.js"),
        chart_js=chart_js(),
        **extra,
    )
    # Everything but ``| safe`` values is escaped, so only the template writes this tag.
    head, mark, tail = page.partition(_DATA_SCRIPT.format(_MARK))
    if not mark:  # pragma: no cover - the template and this module change together
        raise RuntimeError("report.html.j2 has no data script")
    before, after = _DATA_SCRIPT.split("{}")
    return [_SURROGATE.sub("\ufffd", head) + before, *script_pieces(data), after + _SURROGATE.sub("\ufffd", tail)]


def render(result: RunResult, **extra: Any) -> str:
    """The page. ``extra`` goes to the template as is (e.g. ``gx_docs``: a link to GX Data Docs)."""
    with paused_gc():
        return "".join(_pieces(result, **extra))


def write(result: RunResult, path: str | os.PathLike[str], **extra: Any) -> None:
    """Write the page to ``path`` (atomically: a reader sees the old file or the new one)."""
    with paused_gc():
        pieces = _pieces(result, **extra)
        with atomic_open(path) as fh:
            for piece in pieces:
                fh.write(piece)
