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

import os
from collections.abc import Iterator
from typing import Any

import pandas as pd

from qa.checks import Check, Context, Tables
from qa.corpus import Record
from qa.crossrec import clipping_keys, domain_key, instant, map_unique, text_key, title_key, top_key_line
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
    """Lines of the fields a related item is compared on, so that C101 can name them."""
    if rec.data is None:
        return {}
    return {
        "line_title": top_key_line(rec.node, "title"),
        "line_date": top_key_line(rec.node, "publishedDateTime"),
        "line_provider": top_key_line(rec.node, "provider"),
    }


def check_corpus(tables: Tables, ctx: Context) -> Iterator[Finding]:
    yield from related_findings(dict(tables))
    yield from file_name_findings(
        dict(tables), str(ctx.get("file_name_pattern")), float(ctx.get("file_name_min_share"))
    )


def _col(df: pd.DataFrame, name: str) -> pd.Series:
    return df[name].astype(object) if name in df.columns else pd.Series([None] * len(df), index=df.index, dtype=object)


def related_findings(tables: dict[str, pd.DataFrame]) -> Iterator[Finding]:
    related = tables.get("related")
    clippings = tables.get("clippings")
    if related is None or related.empty or clippings is None or clippings.empty or "webUrl" not in related:
        return
    rel = related.reset_index(drop=True)
    rel_key = map_unique(rel["webUrl"], url_key)
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
    for path, item, url in zip(selfs["_path"], selfs["_field"], selfs["webUrl"], strict=True):
        yield C102.finding(
            str(path),
            f"{item} links to this clipping itself ({url}); a related item should be another story",
            field=f"{item}.webUrl",
            evidence=url,
        )
    m = m[~own]
    if m.empty:
        return
    clip = clippings.set_index("_record")
    files = tables.get("files")
    lines = files.set_index("_record") if files is not None else pd.DataFrame()
    t = m["_target"]
    there = pd.DataFrame(
        {
            "path": t.map(clip["_path"]).astype(object),
            "title": t.map(_col(clip, "title")),
            "date": t.map(_col(clip, "publishedDateTime")),
            "pname": t.map(_col(clip, "provider.name")),
            "pdomain": t.map(_col(clip, "provider.domain")),
            **{c: t.map(lines[c]) if c in lines.columns else None for c in LINE_COLUMNS},
        },
        index=m.index,
    )
    here = {
        "title": _col(m, "title"),
        "date": _col(m, "publishedDateTime"),
        "pname": _col(m, "provider.name"),
        "pdomain": _col(m, "provider.domain"),
    }
    for idx in m.index:
        path, item = str(m.at[idx, "_path"]), str(m.at[idx, "_field"])
        other = str(there.at[idx, "path"])
        yield from _compare(path, item, other, idx, here, there)


def _where(other: str, line: object) -> str:
    return f"{other}:{int(line)}" if line is not None and not pd.isna(line) else other  # type: ignore[call-overload]


def _compare(
    path: str, item: str, other: str, idx: Any, here: dict[str, pd.Series], there: pd.DataFrame
) -> Iterator[Finding]:
    a_title, b_title = here["title"].at[idx], there.at[idx, "title"]
    ka, kb = title_key(a_title), title_key(b_title)
    if ka is not None and kb is not None and ka != kb:
        yield C101.finding(
            path,
            f"{item}.title disagrees with the clipping it links to ({_where(other, there.at[idx, 'line_title'])}): "
            f"here {a_title!r}, there {b_title!r}",
            field=f"{item}.title",
            evidence=a_title,
            fix=b_title if isinstance(b_title, str) else None,
            related=[other],
        )
    a_date, b_date = here["date"].at[idx], there.at[idx, "date"]
    ia, ib = instant(a_date), instant(b_date)
    if ia is not None and ib is not None and ia != ib:
        yield C101.finding(
            path,
            f"{item}.publishedDateTime disagrees with the clipping it links to "
            f"({_where(other, there.at[idx, 'line_date'])}): here {ia.isoformat()}, there {ib.isoformat()}",
            field=f"{item}.publishedDateTime",
            evidence=a_date,
            related=[other],
        )
    problems = []
    da, db = domain_key(here["pdomain"].at[idx]), domain_key(there.at[idx, "pdomain"])
    if da is not None and db is not None and da != db:
        problems.append(f"domain {here['pdomain'].at[idx]!r} here, {there.at[idx, 'pdomain']!r} there")
    na, nb = text_key(here["pname"].at[idx]), text_key(there.at[idx, "pname"])
    if na is not None and nb is not None and na != nb:
        problems.append(f"name {here['pname'].at[idx]!r} here, {there.at[idx, 'pname']!r} there")
    if problems:
        yield C101.finding(
            path,
            f"{item}.provider disagrees with the clipping it links to "
            f"({_where(other, there.at[idx, 'line_provider'])}): {'; '.join(problems)}",
            field=f"{item}.provider",
            evidence=here["pname"].at[idx] if na != nb else here["pdomain"].at[idx],
            related=[other],
        )


def file_name_findings(tables: dict[str, pd.DataFrame], pattern: str, min_share: float) -> Iterator[Finding]:
    """C103: where most files follow the naming pattern, the files that do not."""
    files = tables.get("files")
    if files is None or files.empty:
        return
    names = files["_path"].astype(object).map(lambda p: os.path.basename(str(p))).astype("string")
    follows = names.str.fullmatch(pattern).fillna(False).astype(bool)
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


CHECK = Check(
    name="consistency",
    rules=(C101, C102, C103),
    doc="Related items that disagree with the clipping they link to; file names off the corpus's pattern.",
    columns=columns,
    column_names=LINE_COLUMNS,
    corpus=check_corpus,
    options=OPTIONS,
)
