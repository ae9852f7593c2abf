"""Shared pieces of the cross-record checks (``published``, ``duplicate``, ``consistency``).

* keys under which two clippings are "the same story": :func:`title_key`,
  :func:`provider_key`, and :func:`qa.urls.url_key`;
* the per-file ``files`` columns these checks compute in the workers
  (:data:`STORY_COLUMNS`), with a fallback that derives them from the
  ``clippings`` table when a table was built without them;
* grouping helpers that stay linear: hash/sort/groupby on pandas tables and a
  union-find over edges, never a comparison of every pair.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import regex
import yaml

from qa.constraints import parse_datetime
from qa.urls import url_key

# files-table columns computed per record (see qa/checks/duplicate.py and published.py).
STORY_COLUMNS = ("story_url", "story_title", "story_provider")
NON_WORD = regex.compile(r"[\p{P}\p{S}\p{Z}\s\p{Cc}\p{Cf}]+")


def title_key(title: object) -> str | None:
    """A title reduced to its words: NFKC, case-folded, punctuation and spacing folded.

    Typographic variants (curly or straight quotes, dashes, non-breaking spaces, case)
    give the same key; a blank title or a non-string gives None.
    """
    if not isinstance(title, str):
        return None
    text = NON_WORD.sub(" ", unicodedata.normalize("NFKC", title).casefold()).strip()
    return text or None


def text_key(value: object) -> str | None:
    """A short text (a provider name) with case and spacing folded."""
    if not isinstance(value, str):
        return None
    text = " ".join(unicodedata.normalize("NFKC", value).casefold().split())
    return text or None


def domain_key(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    host = value.strip().lower().rstrip(".")
    if host.startswith("www.") and host.count(".") >= 2:
        host = host[4:]
    return host or None


def provider_key(provider: object) -> str | None:
    """Who published a clipping: its provider's domain, else its provider's name."""
    if not isinstance(provider, dict):
        return None
    return domain_key(provider.get("domain")) or text_key(provider.get("name"))


def story_columns(data: dict[str, Any] | None) -> dict[str, Any]:
    """The story keys of one clipping's front matter (None for a file without one)."""
    if data is None:
        return {}
    return {
        "story_url": url_key(data.get("webUrl")),
        "story_title": title_key(data.get("title")),
        "story_provider": provider_key(data.get("provider")),
    }


def top_value_node(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    for k, v in reversed(node.value):
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            return v  # type: ignore[no-any-return]
    return None


def instant(value: object) -> dt.datetime | None:
    """A date-time as an aware UTC instant (naive ones taken as UTC), or None."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return None
    parsed = parse_datetime(value)
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


# ---------------------------------------------------------------- tables


def clipping_keys(tables: dict[str, pd.DataFrame] | Any, extra: Sequence[str] = ()) -> pd.DataFrame:
    """One row per clipping: _record, _path and the story keys.

    The key columns keep the ``files`` table's dtype (pyarrow strings from the pipeline): a
    missing key may be None, NaN or pd.NA; see :func:`as_objects` for Python objects.

    Uses the ``files`` columns computed in the workers; where a table lacks them
    (tables built by hand, a custom engine), derives them from ``clippings``. ``extra``:
    more ``files`` columns to bring along, as they are (absent ones are left out).
    """
    clippings = tables.get("clippings")
    files = tables.get("files")
    if clippings is None or clippings.empty:
        return pd.DataFrame(
            {"_record": pd.Series(dtype="int64"), "_path": pd.Series(dtype=object)}
            | {c: pd.Series(dtype=object) for c in STORY_COLUMNS}
        )
    base = clippings[["_record", "_path"]].reset_index(drop=True)
    extra = [c for c in extra if files is not None and c in files.columns]
    joined = (
        file_columns(files, base["_record"], [*STORY_COLUMNS, *extra])
        if files is not None and all(c in files.columns for c in STORY_COLUMNS)
        else None
    )
    if joined is not None:
        out = base.assign(**joined)
    elif files is not None and all(c in files.columns for c in STORY_COLUMNS):
        out = base.merge(files[["_record", *STORY_COLUMNS, *extra]], on="_record", how="left")
    else:
        out = base.copy()
        out["story_url"] = _map_unique(clippings["webUrl"], url_key) if "webUrl" in clippings else None
        out["story_title"] = _map_unique(clippings["title"], title_key) if "title" in clippings else None
        domain = clippings["provider.domain"] if "provider.domain" in clippings else pd.Series([None] * len(base))
        name = clippings["provider.name"] if "provider.name" in clippings else pd.Series([None] * len(base))
        dkey = _map_unique(domain.reset_index(drop=True), domain_key)
        nkey = _map_unique(name.reset_index(drop=True), text_key)
        out["story_provider"] = dkey.where(dkey.notna(), nkey)
        if extra:
            assert files is not None
            out = out.merge(files[["_record", *extra]], on="_record", how="left")
    return out


def file_columns(files: pd.DataFrame, records: pd.Series, names: Sequence[str]) -> dict[str, pd.Series] | None:
    """``files`` columns for each of ``records``, indexed like ``records``: a left join on
    ``_record`` by position (missing where a record has no row). None if ``files`` has a
    record twice (not a table of the pipeline, which has one row per file)."""
    index = pd.Index(files["_record"])
    if not index.is_unique:
        return None
    pos = index.get_indexer(records)
    out: dict[str, pd.Series] = {}
    for c in names:
        column = files[c].reset_index(drop=True)
        picked = column.take(pos) if (pos >= 0).all() else column.reindex(pos)
        out[c] = picked.set_axis(records.index)
    return out


def as_objects(series: pd.Series) -> pd.Series:
    """A column as Python objects, None for every missing value (NaN, pd.NA, None)."""
    values = series.to_numpy(dtype=object, copy=True)
    values[series.isna().to_numpy(dtype=bool)] = None
    return pd.Series(values, index=series.index, dtype=object)


def string_lengths(series: pd.Series) -> np.ndarray:
    """len() of each value that is a string, -1 for any other value (missing ones too)."""
    dtype = series.dtype
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
        lengths = pc.utf8_length(pa.array(series.array)).fill_null(-1)  # code points, as len()
        return np.asarray(lengths.to_numpy(zero_copy_only=False), dtype=np.int64)
    values = series.tolist()
    return np.fromiter((len(v) if isinstance(v, str) else -1 for v in values), dtype=np.int64, count=len(values))


def _map_unique(series: pd.Series, fn: Any) -> pd.Series:
    """fn over a column, computed once per distinct value (hashable values only)."""
    values = series.astype(object).tolist()
    cache: dict[Any, Any] = {}
    out = []
    for v in values:
        try:
            r = cache[v]
        except KeyError:
            r = cache[v] = fn(v)
        except TypeError:  # unhashable (a list where a string belongs)
            r = fn(v)
        out.append(r)
    return pd.Series(out, index=series.index, dtype=object)


def map_unique(series: pd.Series, fn: Any) -> pd.Series:
    return _map_unique(series, fn)


def basenames(paths: pd.Series) -> pd.Series:
    """The file names of POSIX paths (``os.path.basename``), as a string Series; vectorised
    (pyarrow) when the paths are pyarrow strings, as the tables keep them."""
    dtype = paths.dtype
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
        return paths.str.replace(r"(?s)^.*/", "", regex=True)
    return paths.astype(object).map(lambda p: str(p).rpartition("/")[2]).astype("string")


def is_true(series: pd.Series) -> pd.Series:
    """Element is exactly the boolean True (not 1, not 'true')."""
    if isinstance(series.dtype, pd.BooleanDtype):
        return series.fillna(False).astype(bool)
    return series.map(lambda v: v is True or (isinstance(v, np.bool_) and bool(v))).astype(bool)


@dataclass(frozen=True, slots=True)
class Group:
    key: Any
    rows: dict[str, list[Any]]  # the group's rows, column by column, sorted by _path


def key_codes(series: pd.Series) -> np.ndarray:
    """An integer per value, equal for equal values (numbered in order of first appearance),
    -1 for missing ones: ``groupby(..., sort=False).ngroup()`` without the groupby."""
    codes, _ = series.array.factorize(use_na_sentinel=True)
    return np.asarray(codes, dtype=np.int64)


def repeated(codes: np.ndarray, min_size: int = 2) -> np.ndarray:
    """Where a key (a code of :func:`key_codes`, not -1) is held by at least ``min_size`` rows."""
    keyed = codes >= 0
    counts = np.bincount(codes[keyed], minlength=1)
    out = np.zeros(len(codes), dtype=bool)
    out[keyed] = counts[codes[keyed]] >= min_size
    return out


def duplicated(series: pd.Series) -> np.ndarray:
    """Where a value is missing-free and equal to one in an earlier row: ``series.notna() &
    series.duplicated()``. The codes of :func:`key_codes` are numbered in order of first
    appearance, so a row is the first of its value iff its code exceeds every earlier one."""
    codes = key_codes(series)
    earlier = np.maximum.accumulate(np.r_[-1, codes[:-1]]) if len(codes) else codes
    return np.asarray((codes >= 0) & (codes <= earlier), dtype=bool)


def groups(df: pd.DataFrame, by: str | Sequence[str], min_size: int = 2) -> Iterator[Group]:
    """Groups of rows sharing a (non-null) key, of at least ``min_size`` rows, in order of key,
    each sorted by ``_path``: the keys are numbered (hashing), only the rows of large enough
    groups are sorted, and each group is a slice of plain lists (no per-group DataFrame), so a
    million small groups stay cheap."""
    cols = [by] if isinstance(by, str) else list(by)
    if len(cols) == 1:
        multi = df[repeated(key_codes(df[cols[0]]), min_size)]
    else:
        keyed = df.dropna(subset=cols)
        sizes = keyed.groupby(cols, sort=False, dropna=True)[cols[0]].transform("size")
        multi = keyed[(sizes >= min_size).to_numpy(dtype=bool)]
    if multi.empty:
        return
    multi = multi.sort_values([*cols, "_path"], kind="stable")
    codes = key_codes(multi[cols[0]]) if len(cols) == 1 else multi.groupby(cols, sort=False).ngroup().to_numpy()
    bounds = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1], True])
    columns = {c: multi[c].astype(object).tolist() for c in multi.columns}
    keys = list(zip(*(columns[c] for c in cols), strict=True))
    for start, end in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        key = keys[start][0] if len(cols) == 1 else keys[start]
        yield Group(key, {c: v[start:end] for c, v in columns.items()})


class UnionFind:
    """Disjoint sets over 0..n-1 with path halving and union by size."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))
        self.size = [1] * n

    def find(self, a: int) -> int:
        parent = self.parent
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        if self.size[ra] < self.size[rb]:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.size[ra] += self.size[rb]

    def labels(self) -> list[int]:
        return [self.find(i) for i in range(len(self.parent))]


def star_edges(df: pd.DataFrame, key: str) -> tuple[np.ndarray, np.ndarray]:
    """Edges (first, other) joining each group of equal keys to its first row (by position): linear."""
    codes = key_codes(df[key])
    pos = np.flatnonzero(codes >= 0)
    if not len(pos):
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    codes = codes[pos]
    order = np.argsort(codes, kind="stable")
    codes, pos = codes[order], pos[order]
    starts = np.r_[True, codes[1:] != codes[:-1]]
    first = pos[np.maximum.accumulate(np.where(starts, np.arange(len(codes)), 0))]
    keep = ~starts
    return first[keep], pos[keep]


def components(n: int, edges: Sequence[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Connected-component label (the smallest member's position) of each of n nodes.

    The union-find runs over the nodes that have an edge only; every other node is its own
    component."""
    ends = [np.asarray(e, dtype=np.int64) for pair in edges for e in pair]
    label = np.arange(n, dtype=np.int64)
    if not ends or not sum(len(e) for e in ends):
        return label
    nodes, local = np.unique(np.concatenate(ends), return_inverse=True)  # nodes sorted
    uf = UnionFind(len(nodes))
    offset = 0
    for a, _ in edges:  # local holds a, b, a, b, ... of the edges, renumbered 0..len(nodes)-1
        m = len(a)
        left, right = local[offset : offset + m].tolist(), local[offset + m : offset + 2 * m].tolist()
        offset += 2 * m
        for x, y in zip(left, right, strict=True):
            uf.union(x, y)
    roots = np.asarray(uf.labels(), dtype=np.int64)
    # relabel by the smallest member (nodes are sorted: the first node of each root), so the
    # label is stable whatever the union order
    smallest = np.full(len(nodes), len(nodes), dtype=np.int64)
    np.minimum.at(smallest, roots, np.arange(len(nodes)))
    label[nodes] = nodes[smallest[roots]]
    return label


KEY_COLUMNS = ("_record", "kind", "key")


def key_rows(records: pd.Series, kind: str, keys: pd.Series | Sequence[Any] | np.ndarray) -> pd.DataFrame:
    """Join keys for the corpus index (``qa.checks.CorpusKeys``): a row (record, kind, key)
    for each record whose key is a string; ``keys`` aligned with ``records`` by position.
    Keys that are numbers already (an integer array: hashes, such as LSH band buckets) are
    kept as they are, one row each: no string is made of them only to be hashed again."""
    if isinstance(keys, np.ndarray) and keys.dtype.kind in "iu":
        numbers = keys.astype(np.uint64, copy=False).view(np.int64)
        return pd.DataFrame({"_record": records.to_numpy(dtype=np.int64), "kind": kind, "key": numbers})
    values = keys.to_numpy(dtype=object) if isinstance(keys, pd.Series) else np.asarray(keys, dtype=object)
    ids = records.to_numpy(dtype=np.int64)
    keep = np.fromiter((isinstance(v, str) for v in values), dtype=bool, count=len(values))
    return pd.DataFrame({"_record": ids[keep], "kind": kind, "key": values[keep]})


def all_keys(parts: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """The parts' key rows together (an empty frame of the right columns when none)."""
    frames = [p for p in parts if len(p)]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c == "_record" else object) for c in KEY_COLUMNS})
    return pd.concat(frames, ignore_index=True)


LISTED = 5  # the paths a listing names; the rest are counted
# The other files of its group a finding names in ``related`` (the original first, then path
# order); its message gives the group's size. Every other file of a group of N in each of its
# N-1 findings was O(N²): 5,000 byte-identical pages (an error page saved over and over) gave
# 25 million related paths, seconds of work and a report of hundreds of megabytes.
RELATED_MAX = 10


def others_of(paths: Sequence[str], i: int, limit: int = RELATED_MAX) -> list[str]:
    """The first ``limit`` of ``paths`` but the ``i``-th: what ``[p for j, p in enumerate(paths)
    if j != i][:limit]`` gives, without building the whole list."""
    return [p for j, p in enumerate(paths[: limit + 1]) if j != i][:limit]


def listing(paths: Sequence[str], limit: int = LISTED, total: int | None = None) -> str:
    """'a.txt, b.txt and 3 more'. ``total``: how many paths there are, when ``paths`` holds only
    the first ``limit`` of them (a caller with thousands need not list them all)."""
    shown = list(paths[:limit])
    more = (len(paths) if total is None else total) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


# ---------------------------------------------------------------- option checks


def check_range(
    options: Mapping[str, Any], key: str, low: float, high: float | None = None, *, low_open: bool = False
) -> Iterator[tuple[str, str]]:
    value = options.get(key)
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return
    too_low = value <= low if low_open else value < low
    if too_low or (high is not None and value > high):
        left = "(" if low_open else "["
        right = f"{high}]" if high is not None else "inf)"
        yield key, f"must be in {left}{low}, {right}"


def check_pattern(options: Mapping[str, Any], key: str) -> Iterator[tuple[str, str]]:
    value = options.get(key)
    if not isinstance(value, str):
        return
    try:
        re.compile(value)
    except re.error as exc:
        yield key, f"not a regular expression: {exc}"
