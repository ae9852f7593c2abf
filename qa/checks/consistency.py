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
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from qa.checks import Check, Context, CorpusKeys, Tables
from qa.corpus import Record
from qa.crossrec import (
    all_keys,
    basenames,
    check_pattern,
    check_range,
    clipping_keys,
    domain_key,
    instant,
    key_rows,
    map_unique,
    text_key,
    title_key,
)
from qa.findings import Finding, replace_text, rule
from qa.urls import url_key

C101 = rule(
    "C101",
    "related-item-mismatch",
    "consistency",
    "warning",
    "A related item links to a clipping of the corpus but disagrees with it on title, publishedDateTime or provider.",
    fix="Copy the title from the clipping it links to (the fix), or correct the clipping.",
    applicability="unsafe",
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

ITEM_FIELD = re.compile(r"^related\[(\d+)\]$")  # the table's _field of a related item


def columns(rec: Record, ctx: Context) -> dict[str, Any]:
    """The related items' canonical-URL keys. (The lines C101 names in the linked clipping are
    found by reading that file again, for the few files that need it: ``ctx.run["locate"]``.)"""
    if rec.data is None:
        return {}
    items = rec.data.get("related")
    keys = None
    if isinstance(items, list):
        keys = tuple(url_key(item.get("webUrl")) if isinstance(item, dict) else None for item in items)
    return {"related_url_keys": keys}


Locate = Callable[[str, str], int | None]  # (path, key) -> line of the key in that file


def check_corpus(tables: Tables, ctx: Context) -> Iterator[Finding]:
    yield from related_findings(dict(tables), ctx.run.get("locate"))
    yield from file_name_findings(
        dict(tables), str(ctx.get("file_name_pattern")), float(ctx.get("file_name_min_share")), ctx.run.get("totals")
    )


def _story_urls(tables: Tables) -> pd.DataFrame:
    keys = clipping_keys(dict(tables))
    return keys[keys["story_url"].notna().to_numpy(dtype=bool)]


def _related_urls(tables: Tables) -> tuple[pd.Series, pd.Series]:
    """(record, canonical-URL key) of every related item."""
    related = tables.get("related")
    if related is None or related.empty or "webUrl" not in related:
        return pd.Series([], dtype="int64"), pd.Series([], dtype=object)
    return related["_record"], related_keys(related, tables.get("files"))


def corpus_keys(tables: Tables, ctx: Context) -> pd.DataFrame:
    """What a clipping is found by (``CorpusKeys``, one step): its canonical URL, and the URL
    of each of its related items."""
    clips = _story_urls(tables)
    records, related = _related_urls(tables)
    return all_keys([key_rows(clips["_record"], "url", clips["story_url"]), key_rows(records, "related", related)])


def corpus_probes(tables: Tables, ctx: Context) -> pd.DataFrame:
    """What a batch file looks up: the clippings its related items link to (and the other
    clippings of that URL, which decide which one is linked), the clippings of its own URL,
    and the related items that link to its URL (C101 both ways)."""
    clips = _story_urls(tables)
    records, related = _related_urls(tables)
    return all_keys(
        [
            key_rows(clips["_record"], "url", clips["story_url"]),
            key_rows(clips["_record"], "related", clips["story_url"]),
            key_rows(records, "url", related),
        ]
    )


def _col(df: pd.DataFrame, name: str) -> pd.Series:
    if name in df.columns:
        return df[name].astype(object)
    return pd.Series([None] * len(df), index=df.index, dtype=object)


def _is_arrow_string(series: pd.Series) -> bool:
    return isinstance(series.dtype, pd.StringDtype) and series.dtype.storage == "pyarrow"


def _differ(a: pd.Series, b: pd.Series, key: Any) -> pd.Series:
    """Where the values' keys are both known and different. Keys are computed only for the
    values that are not already equal as written, once per distinct value. ``a`` and ``b``
    are aligned by position; the answer is indexed like ``a``."""
    out = pd.Series(False, index=a.index)
    if _is_arrow_string(a) and _is_arrow_string(b):  # compared by pyarrow, no Python strings made
        equal = (a.reset_index(drop=True) == b.reset_index(drop=True)).fillna(False).to_numpy(dtype=bool)
        raw_differs = ~equal
    else:
        # pandas' comparison: a missing value (None, NaN, pd.NA) differs from everything
        raw_differs = (a.astype(object).reset_index(drop=True) != b.astype(object).reset_index(drop=True)).to_numpy(
            dtype=bool
        )
    if not raw_differs.any():
        return out
    ka = map_unique(a[raw_differs].astype(object), key)
    kb = map_unique(b[raw_differs].astype(object), key)
    out[raw_differs] = (ka.notna().to_numpy(dtype=bool) & kb.notna().to_numpy(dtype=bool)) & (
        ka.to_numpy() != kb.to_numpy()
    )
    return out


def _item_numbers(fields: pd.Series) -> np.ndarray:
    """The N of each ``related[N]`` field name (-1 for any other name); the regular expression
    runs once per distinct name."""
    codes, names = fields.array.factorize(use_na_sentinel=True)
    numbers = []
    for name in names:
        m = ITEM_FIELD.search(name) if isinstance(name, str) else None
        numbers.append(int(m.group(1)) if m else -1)
    table = np.asarray([*numbers, -1], dtype=np.int64)  # code -1 (a missing name) -> the last entry
    return table[np.asarray(codes, dtype=np.int64)]


def related_keys(rel: pd.DataFrame, files: pd.DataFrame | None) -> pd.Series:
    """The canonical-URL key of each related item: from the workers' ``related_url_keys``
    column (aligned by record and item number; pyarrow strings), else computed here (objects)."""
    if files is None or "related_url_keys" not in files.columns or not files["_record"].is_unique:
        return map_unique(rel["webUrl"], url_key)
    values = files["related_url_keys"].to_numpy(dtype=object)
    try:  # the workers write a tuple of str / None per file (or None): flattened by pyarrow
        lists = pa.array(values, type=pa.list_(pa.large_string()), from_pandas=True)
    except (pa.ArrowException, UnicodeError):
        lists = None
    if lists is not None:
        counts = pc.list_value_length(lists).fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
        flat: pa.Array | np.ndarray = lists.flatten()
    else:  # anything else: by hand, a key that is not a string is no key
        counts = np.fromiter(
            (len(v) if isinstance(v, (list, tuple)) else 0 for v in values), dtype=np.int64, count=len(values)
        )
        flat = np.empty(int(counts.sum()), dtype=object)
        flat[:] = [k if isinstance(k, str) else None for v in values if isinstance(v, (list, tuple)) for k in v]
    starts = np.cumsum(counts) - counts
    row = pd.Index(files["_record"]).get_indexer(rel["_record"])
    item = _item_numbers(rel["_field"])
    ok = (row >= 0) & (item >= 0)
    ok[ok] = item[ok] < counts[row[ok]]
    at = np.zeros(len(rel), dtype=np.int64)
    at[ok] = starts[row[ok]] + item[ok]
    if isinstance(flat, pa.Array):
        taken = flat.take(pa.array(at, mask=~ok))
        return pd.Series(pd.arrays.ArrowStringArray(taken), index=rel.index)
    keys = np.full(len(rel), None, dtype=object)
    keys[ok] = flat[at[ok]]
    return pd.Series(keys, index=rel.index, dtype=object)


def _lookup(keys: pd.Series, values: pd.Series) -> np.ndarray:
    """The position of each of ``keys`` among ``values`` (distinct, none missing); -1 where absent."""
    if _is_arrow_string(keys):
        try:
            value_set = pa.array(
                values.array if _is_arrow_string(values) else values.to_numpy(dtype=object),
                type=pa.large_string(),
                from_pandas=True,
            )
        except (pa.ArrowException, UnicodeError):  # not all strings: compared as Python objects below
            value_set = None
        if value_set is not None:
            found = pc.index_in(pa.array(keys.array).cast(pa.large_string()), value_set=value_set, skip_nulls=True)
            return np.asarray(found.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)
    return np.asarray(pd.Index(values.to_numpy(dtype=object)).get_indexer(keys.to_numpy(dtype=object)), dtype=np.int64)


def related_findings(tables: dict[str, pd.DataFrame], locate: Locate | None = None) -> Iterator[Finding]:
    """C101 and C102. ``locate``: (path, key) -> line, to say where the linked clipping holds
    the value it disagrees with (without it, the message names the file only)."""
    related = tables.get("related")
    clippings = tables.get("clippings")
    if related is None or related.empty or clippings is None or clippings.empty or "webUrl" not in related:
        return
    rel_key = related_keys(related, tables.get("files"))
    targets = clipping_keys(tables).sort_values("_path", kind="stable")
    targets = targets[targets["story_url"].notna()].drop_duplicates("story_url")
    if targets.empty:
        return
    # the clipping each related item links to (hash join on the canonical URL), by position
    found = _lookup(rel_key, targets["story_url"])
    hit = np.flatnonzero(found >= 0)
    if not len(hit):
        return
    wanted = ["_record", "_path", "_field", "webUrl", "title", "publishedDateTime", "provider.name", "provider.domain"]
    m = related[[c for c in wanted if c in related.columns]].iloc[hit].reset_index(drop=True)
    m["_target"] = targets["_record"].to_numpy()[found[hit]].astype("int64")
    own = (m["_record"].astype("int64") == m["_target"]).to_numpy(dtype=bool)
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
    # the linked clipping's values and lines, aligned with the related items (by position)
    t = m["_target"]
    clip = _first_rows(clippings, ["_path", "title", "publishedDateTime", "provider.name", "provider.domain"])
    at = pd.Index(clip["_record"]).get_indexer(t)
    there = pd.DataFrame({"path": _pick(clip["_path"], at).astype(object)})
    for key, column in (("title", "title"), ("date", "publishedDateTime"), ("pname", "provider.name")):
        there[key] = _pick(clip[column], at) if column in clip.columns else None
    there["pdomain"] = _pick(clip["provider.domain"], at) if "provider.domain" in clip.columns else None
    here = pd.DataFrame(
        {
            "title": m["title"] if "title" in m.columns else None,
            "date": m["publishedDateTime"] if "publishedDateTime" in m.columns else None,
            "pname": m["provider.name"] if "provider.name" in m.columns else None,
            "pdomain": m["provider.domain"] if "provider.domain" in m.columns else None,
        },
        index=m.index,
    )
    # compare keys computed once per distinct value
    bad_title = _differ(here["title"], there["title"], title_key)
    bad_date = _differ(here["date"], there["date"], instant)
    bad_domain = _differ(here["pdomain"], there["pdomain"], domain_key)
    bad_name = _differ(here["pname"], there["pname"], text_key)
    bad = np.flatnonzero((bad_title | bad_date | bad_domain | bad_name).to_numpy(dtype=bool))
    if not len(bad):
        return
    # the rows with a finding, as Python objects (missing strings as pd.NA, as astype(object) gives)
    here, there, m = (
        here.iloc[bad].astype(object),
        there.iloc[bad].astype(object),
        m.iloc[bad].astype(object),
    )
    bad_title, bad_date, bad_domain, bad_name = (x.iloc[bad] for x in (bad_title, bad_date, bad_domain, bad_name))
    paths, items = m["_path"].tolist(), m["_field"].tolist()
    for i in range(len(bad)):
        path, item, other = str(paths[i]), str(items[i]), str(there["path"].iat[i])
        link = "disagrees with the clipping it links to"
        if bad_title.iat[i]:
            a, b = here["title"].iat[i], there["title"].iat[i]
            yield C101.finding(
                path,
                f"{item}.title {link} ({_where(other, 'title', locate)}): here {a!r}, there {b!r}",
                field=f"{item}.title",
                evidence=a,
                fix=replace_text(f"{item}.title", 0, len(a), b) if isinstance(a, str) and isinstance(b, str) else None,
                fix_message="copy the title of the clipping it links to",
                related=[other],
            )
        if bad_date.iat[i]:
            a, b = here["date"].iat[i], there["date"].iat[i]
            ia, ib = instant(a), instant(b)
            assert ia is not None and ib is not None
            yield C101.finding(
                path,
                f"{item}.publishedDateTime {link} ({_where(other, 'publishedDateTime', locate)}): "
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
                f"{item}.provider {link} ({_where(other, 'provider', locate)}): {'; '.join(problems)}",
                field=f"{item}.provider",
                evidence=here["pname"].iat[i] if bad_name.iat[i] else here["pdomain"].iat[i],
                related=[other],
            )


def _first_rows(df: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """``_record`` and those of ``columns`` that ``df`` has, for the first row of each record."""
    out = df[["_record", *(c for c in columns if c in df.columns)]]
    repeated = out["_record"].duplicated().to_numpy(dtype=bool)
    return out[~repeated] if repeated.any() else out


def _pick(column: pd.Series, at: np.ndarray) -> pd.Series:
    """``column``'s values at positions ``at`` (missing where -1), with a fresh RangeIndex."""
    values = column.reset_index(drop=True)
    return values.take(at).reset_index(drop=True) if (at >= 0).all() else values.reindex(at).reset_index(drop=True)


def _where(other: str, key: str, locate: Locate | None) -> str:
    line = locate(other, key) if locate is not None else None
    return other if line is None else f"{other}:{line}"


def _names(files: pd.DataFrame, pattern: str) -> tuple[pd.Series, pd.Series]:
    """The files' names, and whether each follows the pattern (C103)."""
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"consistency.file_name_pattern {pattern!r} is not a regular expression: {exc}") from exc
    names = basenames(files["_path"]).astype("string")
    return names, names.str.fullmatch(compiled).fillna(False).astype(bool)


def file_name_totals(tables: Tables, ctx: Context) -> pd.DataFrame:
    """C103's facts about the whole corpus, per file (``CorpusKeys.totals``): whether its name
    follows the pattern (summed, and the first such file), and one file (summed)."""
    files = tables.get("files")
    if files is None or files.empty:
        return pd.DataFrame({"_record": pd.Series(dtype="int64")})
    follows = _names(files, str(ctx.get("file_name_pattern")))[1].to_numpy(dtype=bool)
    return pd.DataFrame(
        {"_record": files["_record"].to_numpy(dtype="int64"), "follow": follows.astype("int64"), "files": 1,
         "example": follows}
    )  # fmt: skip


def file_name_findings(
    tables: dict[str, pd.DataFrame], pattern: str, min_share: float, totals: Mapping[str, Any] | None = None
) -> Iterator[Finding]:
    """C103: where most files follow the naming pattern, the files that do not. ``totals``:
    the counts over the whole corpus (:func:`file_name_totals`, summed by the corpus index)
    when ``tables`` hold part of it; without them, counted here."""
    files = tables.get("files")
    if files is None or files.empty:
        return
    names, follows = _names(files, pattern)
    if totals is None:
        n_follow, n_files = int(follows.sum()), len(files)
        first = files.loc[follows, "_path"].iloc[0] if n_follow else None
    else:
        n_follow, n_files, first = int(totals["follow"]), int(totals["files"]), totals.get("example")
    share = n_follow / n_files
    if n_follow < 2 or share < min_share or n_follow == n_files:
        return
    example = str(first).rpartition("/")[2]
    for path, name in zip(files.loc[~follows, "_path"], names[~follows], strict=True):
        yield C103.finding(
            str(path),
            f"file name {name!r} does not follow the corpus's naming pattern (like {example}; "
            f"{n_follow} of {n_files} files, {share:.0%}, follow it)",
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
    column_names=("related_url_keys",),
    corpus=check_corpus,
    corpus_keys=CorpusKeys(corpus_keys, corpus_probes, transitive=False, totals=file_name_totals),
    options=OPTIONS,
    validate=validate,
)
