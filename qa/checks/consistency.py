"""Check ``consistency``: related items against the clippings they link to; file names.

A related item carries a copy of another story's metadata (title, date, provider).
When that story is itself a clipping of the corpus (same canonical webUrl), the copy
must agree with it: C101 names both files and lines when it does not. C102 is a
related item that links to its own clipping. C103 is a file whose name breaks the
naming pattern that the rest of the corpus follows.

All joins are hash joins on pandas tables (canonical URL -> clipping), linear in
the number of related items.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import pandas as pd

from qa.checks import Check, Context, Tables
from qa.corpus import Record
from qa.crossrec import (
    basenames,
    check_pattern,
    check_range,
    clipping_keys,
    domain_key,
    instant,
    map_unique,
    text_key,
    title_key,
)
from qa.findings import Finding, rule
from qa.urls import url_key

C101 = rule(
    "C101",
    "related-item-mismatch",
    "consistency",
    "warning",
    "A related item links to a clipping of the corpus but disagrees with it on title, publishedDateTime or provider.",
)
C102 = rule(
    "C102",
    "related-item-self-link",
    "consistency",
    "warning",
    "A related item links to the clipping it belongs to.",
)
C103 = rule(
    "C103",
    "file-name-pattern",
    "consistency",
    "info",
    "A file name breaks the naming pattern (NNN_<16 hex>.txt) that the rest of the corpus follows.",
)

OPTIONS: dict[str, Any] = {
    "file_name_pattern": r"^\d{3,}_[0-9a-f]{16}\.txt$",
    # The corpus "uses" the pattern when at least this share of its files (and two files) follow it.
    "file_name_min_share": 0.5,
}

LINE_COLUMNS = ("line_title", "line_date", "line_provider")


def columns(rec: Record, ctx: Context) -> dict[str, Any]:
    """The related items' canonical-URL keys, and the lines of the fields a related item is
    compared on (so that C101 can name them)."""
    if rec.data is None:
        return {}
    items = rec.data.get("related")
    keys = None
    if isinstance(items, list):
        keys = tuple(url_key(item.get("webUrl")) if isinstance(item, dict) else None for item in items)
    return {
        "related_url_keys": keys,
        "line_title": rec.key_line("title"),
        "line_date": rec.key_line("publishedDateTime"),
        "line_provider": rec.key_line("provider"),
    }


def check_corpus(tables: Tables, ctx: Context) -> Iterator[Finding]:
    yield from related_findings(dict(tables))
    yield from file_name_findings(
        dict(tables), str(ctx.get("file_name_pattern")), float(ctx.get("file_name_min_share"))
    )


def _col(df: pd.DataFrame, name: str) -> pd.Series:
    if name in df.columns:
        return df[name].astype(object)
    return pd.Series([None] * len(df), index=df.index, dtype=object)


def _differ(a: pd.Series, b: pd.Series, key: Any) -> pd.Series:
    """Where the values' keys are both known and different. Keys are computed only for the
    values that are not already equal as written, once per distinct value."""
    out = pd.Series(False, index=a.index)
    raw_differs = (a.astype(object) != b.astype(object)).to_numpy(dtype=bool)
    if not raw_differs.any():
        return out
    ka, kb = map_unique(a[raw_differs], key), map_unique(b[raw_differs], key)
    out[raw_differs] = (ka.notna() & kb.notna() & (ka != kb)).to_numpy(dtype=bool)
    return out


def related_keys(rel: pd.DataFrame, files: pd.DataFrame | None) -> pd.Series:
    """The canonical-URL key of each related item: from the workers' ``related_url_keys``
    column (aligned by record and item number), else computed here."""
    if files is None or "related_url_keys" not in files.columns:
        return map_unique(rel["webUrl"], url_key)
    lists = files[["_record", "related_url_keys"]].dropna()
    lists = lists[lists["related_url_keys"].map(lambda v: isinstance(v, (list, tuple)) and len(v) > 0)]
    if lists.empty:
        return pd.Series([None] * len(rel), index=rel.index, dtype=object)
    exploded = lists.explode("related_url_keys")
    exploded["_item"] = exploded.groupby(level=0).cumcount()
    keyed = pd.Series(
        exploded["related_url_keys"].to_numpy(),
        index=pd.MultiIndex.from_arrays([exploded["_record"].astype("int64"), exploded["_item"].astype("int64")]),
    )
    item = rel["_field"].astype("string").str.extract(r"^related\[(\d+)\]$", expand=False)
    ok = item.notna().to_numpy(dtype=bool)
    out = pd.Series([None] * len(rel), index=rel.index, dtype=object)
    if ok.any():
        idx = pd.MultiIndex.from_arrays([rel["_record"][ok].astype("int64"), item[ok].astype("int64")])
        found = keyed.reindex(idx).to_numpy()
        out[ok] = [v if isinstance(v, str) else None for v in found]
    return out


def related_findings(tables: dict[str, pd.DataFrame]) -> Iterator[Finding]:
    related = tables.get("related")
    clippings = tables.get("clippings")
    if related is None or related.empty or clippings is None or clippings.empty or "webUrl" not in related:
        return
    rel = related.reset_index(drop=True)
    rel_key = related_keys(rel, tables.get("files"))
    targets = clipping_keys(tables).sort_values("_path", kind="stable")
    targets = targets[targets["story_url"].notna()].drop_duplicates("story_url")
    if targets.empty:
        return
    target_of = pd.Series(targets["_record"].to_numpy(), index=targets["story_url"].to_numpy())
    target = rel_key.map(target_of)
    hit = target.notna().to_numpy(dtype=bool)
    if not hit.any():
        return
    m = rel[hit].copy()
    m["_target"] = target[hit].astype("int64").to_numpy()
    own = m["_record"].astype("int64") == m["_target"]
    selfs = m[own]
    for path, item, url in zip(selfs["_path"], selfs["_field"], _col(selfs, "webUrl"), strict=True):
        yield C102.finding(
            str(path),
            f"{item} links to this clipping itself ({url}); a related item should be another story",
            field=f"{item}.webUrl",
            evidence=url,
        )
    m = m[~own].reset_index(drop=True)
    if m.empty:
        return
    # the linked clipping's values and lines, aligned with the related items (hash joins)
    clip = clippings.drop_duplicates("_record").set_index("_record")
    t = m["_target"]
    there = pd.DataFrame({"path": t.map(clip["_path"]).astype(object)})
    for key, column in (("title", "title"), ("date", "publishedDateTime"), ("pname", "provider.name")):
        there[key] = t.map(_col(clip, column))
    there["pdomain"] = t.map(_col(clip, "provider.domain"))
    files = tables.get("files")
    lines = files.drop_duplicates("_record").set_index("_record") if files is not None else pd.DataFrame()
    for c in LINE_COLUMNS:
        there[c] = t.map(lines[c]) if c in lines.columns else None
    here = pd.DataFrame(
        {
            "title": _col(m, "title"),
            "date": _col(m, "publishedDateTime"),
            "pname": _col(m, "provider.name"),
            "pdomain": _col(m, "provider.domain"),
        }
    )
    # compare keys computed once per distinct value
    bad_title = _differ(here["title"], there["title"], title_key)
    bad_date = _differ(here["date"], there["date"], instant)
    bad_domain = _differ(here["pdomain"], there["pdomain"], domain_key)
    bad_name = _differ(here["pname"], there["pname"], text_key)
    paths, items = m["_path"].astype(object).tolist(), m["_field"].astype(object).tolist()
    for i in np.flatnonzero((bad_title | bad_date | bad_domain | bad_name).to_numpy(dtype=bool)).tolist():
        path, item, other = str(paths[i]), str(items[i]), str(there["path"].iat[i])
        link = "disagrees with the clipping it links to"
        if bad_title.iat[i]:
            a, b = here["title"].iat[i], there["title"].iat[i]
            yield C101.finding(
                path,
                f"{item}.title {link} ({_where(other, there['line_title'].iat[i])}): here {a!r}, there {b!r}",
                field=f"{item}.title",
                evidence=a,
                fix=b if isinstance(b, str) else None,
                related=[other],
            )
        if bad_date.iat[i]:
            a, b = here["date"].iat[i], there["date"].iat[i]
            ia, ib = instant(a), instant(b)
            assert ia is not None and ib is not None
            yield C101.finding(
                path,
                f"{item}.publishedDateTime {link} ({_where(other, there['line_date'].iat[i])}): "
                f"here {ia.isoformat()}, there {ib.isoformat()}",
                field=f"{item}.publishedDateTime",
                evidence=a,
                related=[other],
            )
        if bad_domain.iat[i] or bad_name.iat[i]:
            problems = []
            if bad_domain.iat[i]:
                problems.append(f"domain {here['pdomain'].iat[i]!r} here, {there['pdomain'].iat[i]!r} there")
            if bad_name.iat[i]:
                problems.append(f"name {here['pname'].iat[i]!r} here, {there['pname'].iat[i]!r} there")
            yield C101.finding(
                path,
                f"{item}.provider {link} ({_where(other, there['line_provider'].iat[i])}): {'; '.join(problems)}",
                field=f"{item}.provider",
                evidence=here["pname"].iat[i] if bad_name.iat[i] else here["pdomain"].iat[i],
                related=[other],
            )


def _where(other: str, line: object) -> str:
    if line is None or pd.isna(line):  # type: ignore[call-overload]
        return other
    return f"{other}:{int(line)}"  # type: ignore[call-overload]


def file_name_findings(tables: dict[str, pd.DataFrame], pattern: str, min_share: float) -> Iterator[Finding]:
    """C103: where most files follow the naming pattern, the files that do not."""
    files = tables.get("files")
    if files is None or files.empty:
        return
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"consistency.file_name_pattern {pattern!r} is not a regular expression: {exc}") from exc
    names = basenames(files["_path"]).astype("string")
    follows = names.str.fullmatch(compiled).fillna(False).astype(bool)
    n_follow = int(follows.sum())
    share = n_follow / len(files)
    if n_follow < 2 or share < min_share or n_follow == len(files):
        return
    example = str(names[follows].iloc[0])
    for path, name in zip(files.loc[~follows, "_path"], names[~follows], strict=True):
        yield C103.finding(
            str(path),
            f"file name {name!r} does not follow the corpus's naming pattern (like {example}; "
            f"{n_follow} of {len(files)} files, {share:.0%}, follow it)",
            evidence=str(name),
        )


def validate(options: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    yield from check_pattern(options, "file_name_pattern")
    yield from check_range(options, "file_name_min_share", 0, 1, low_open=True)


CHECK = Check(
    name="consistency",
    rules=(C101, C102, C103),
    doc="Related items that disagree with the clipping they link to; file names off the corpus's pattern.",
    columns=columns,
    column_names=(*LINE_COLUMNS, "related_url_keys"),
    corpus=check_corpus,
    options=OPTIONS,
    validate=validate,
)
