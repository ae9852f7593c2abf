"""The result cache: an unchanged file is not re-checked.

After each run, the per-file stage's output is kept under ``<cache-dir>/results/``
(one set per list of checked folders): for every file, its key (the path and the
SHA-256 of its bytes), the file's stat when it was hashed and its findings (already
located), and the merged tables (one row set per file). On the next run only the
misses go through the per-file stage; the hits' findings and table rows come from
the cache.

Which files are hits. As git's index does, a file whose stat (size, mtime, ctime,
inode) is the one recorded is taken as unchanged without being read; any other file
is read and hashed, and is a hit when its content key is the recorded one (a file
touched but not changed still hits). A stat is recorded only when it can be trusted:
a file whose mtime is within ``RACY_SECONDS`` of the moment the run started reading
("racy": a later write in the same timestamp tick could leave size and mtime as
they were) is recorded without one, so it is read and hashed again on the next run,
until it is old enough. Non-regular files and remote sources are always hashed.

Keys are salted with clipqa's version, a hash of clipqa's own code, the
configuration's hash and the schema files' hash: any of those changing makes every
file a miss. Results that depend on the run's clock are not kept: a file with a
finding of a rule that a check declares in ``Check.clock_rules`` (F107, a
publishedDateTime in the future) is checked again on every run, until the rule no
longer fires for it; nor are those of a file not checked to the end (P130, P131).
The pipeline says which files these are (``save(..., volatile=...)``).

Corpus-level checks (duplicates, related items) always run over the whole merged
tables, cached rows included, so they see every file.

Storage. A snapshot (every file's entry and the tables) and a delta beside it (the
entries that changed since the snapshot, and the table rows of the files checked
since): a run that re-checked a few files writes only the delta, so its cost follows
the changes, not the corpus. When the delta holds the rows of more than
``COMPACT_SHARE`` of the files, the run writes a new snapshot instead (and drops the
delta). Both are pickles written atomically (a temp file, fsynced, renamed into place); a
damaged, unreadable or mismatched one is ignored (its files are misses), never an
error. Ignoring a delta is always safe: entries are keyed by content. The cache is
local and trusted: it lives in the project's own cache folder.

On a large corpus (``qa.forked.FORK_FROM_FILES``) a forked child takes the files'
stats while this process loads the cache, and another writes the cache while the
run goes on (:mod:`qa.forked`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import pickle
import stat
import time
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from qa.atomic import atomic_open, is_temp_of
from qa.config import Config
from qa.corpus import ReadOptions, Source, read_bytes
from qa.findings import Excerpt, Finding
from qa.forked import FORK_FROM_FILES, Forked

_SALT_CACHE: dict[str, str] = {}


def own_files() -> list[Path]:
    """clipqa's own files (the package's source and data; not the compiled caches), sorted."""
    root = Path(__file__).resolve().parent
    return sorted(p for p in root.rglob("*") if "__pycache__" not in p.parts and p.is_file())


def _code_hash() -> str:
    """Hash of clipqa's own files, its source and its data (qa/data: the boilerplate patterns,
    the lexicons), so a changed check or pattern never serves stale results."""
    if "code" not in _SALT_CACHE:
        h = hashlib.sha256()
        root = Path(__file__).resolve().parent
        for path in own_files():
            h.update(path.relative_to(root).as_posix().encode())
            with contextlib.suppress(OSError):
                h.update(path.read_bytes())
        _SALT_CACHE["code"] = h.hexdigest()
    return _SALT_CACHE["code"]


def schema_hash(schema_dir: str | None) -> str:
    from qa.schema import default_schema_dir

    folder = Path(schema_dir) if schema_dir else default_schema_dir()
    h = hashlib.sha256()
    for path in sorted(folder.glob("*.yaml")):
        h.update(path.name.encode())
        with contextlib.suppress(OSError):
            h.update(path.read_bytes())
    return h.hexdigest()


# Keys that do not change what a file's check finds.
_NOT_IN_KEY = ("jobs", "output-dir", "cache-dir", "cache", "index")


def config_hash(config: Config) -> str:
    import json

    values = {k: v for k, v in config.as_dict().items() if k not in _NOT_IN_KEY}
    return hashlib.sha256(
        (json.dumps(values, sort_keys=True, default=str) + option_files_hash(config)).encode()
    ).hexdigest()


def option_files_hash(config: Config) -> str:
    """Hash of the files the check options name (``boilerplate.patterns_file``): the options
    hold their paths, and an edited patterns file must not serve findings made with the old one."""
    from qa.config import CHECK_PATHS

    h = hashlib.sha256()
    for check, option in sorted(CHECK_PATHS):
        name = config.checks.get(check, {}).get(option)
        if isinstance(name, str) and name:
            h.update(f"{check}.{option}\x00".encode())
            with contextlib.suppress(OSError):
                h.update(Path(name).read_bytes())
    return h.hexdigest()


def cache_salt(config: Config) -> str:
    from qa import __version__

    parts = (__version__, _code_hash(), config_hash(config), schema_hash(config.schema_dir))
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


Stat = tuple[int, int, int, int]  # size, mtime_ns, ctime_ns, inode
Packed = tuple[tuple[Any, ...], ...]  # a file's findings as plain tuples (fast to pickle and load)
Entry = tuple[str, Stat | None, Packed]  # content key, trusted stat (None: hash it), findings

# A file modified less than this before a run started reading is "racy": its stat is not
# trusted on the next run (timestamps may be as coarse as 2 s, FAT; and a network file
# system's clock may differ a little from ours).
RACY_SECONDS = 2.0
# A run writes a whole new snapshot (not a delta) once the delta would hold the rows of
# more than this share of the files.
COMPACT_SHARE = 0.1
FORMAT = 3  # 3: a finding's fix is a Fix (applicability and edits), no longer a string


@dataclass(slots=True)
class Snapshot:
    salt: str
    generation: str  # a fresh id per snapshot written: a delta names the snapshot it applies to
    entries: dict[str, Entry]  # path -> entry
    tables: dict[str, pd.DataFrame]  # merged per-file tables (the files table maps _record to _path)
    format: int = FORMAT


@dataclass(slots=True)
class Delta:
    salt: str
    base: str  # the generation of the snapshot it applies to
    entries: dict[str, Entry]  # entries that differ from the snapshot's (checked or re-stat'ed files)
    rows: frozenset[str]  # files whose table rows are in ``tables`` here, not in the snapshot's
    tables: dict[str, pd.DataFrame]
    format: int = FORMAT


_FINDING_FIELDS = tuple(f.name for f in dataclasses.fields(Finding))
_CONTEXT = _FINDING_FIELDS.index("context")


def pack(findings: Sequence[Finding]) -> Packed:
    out = []
    for f in findings:
        row = [getattr(f, name) for name in _FINDING_FIELDS]
        ctx = row[_CONTEXT]
        if ctx is not None:
            row[_CONTEXT] = tuple(getattr(ctx, x.name) for x in dataclasses.fields(Excerpt))
        out.append(tuple(row))
    return tuple(out)


def unpack(packed: Packed) -> list[Finding]:
    out = []
    for row in packed:
        f = Finding(*row)
        if f.context is not None:
            f.context = Excerpt(*f.context)  # type: ignore[misc]
        out.append(f)
    return out


def file_stat(source: Source) -> Stat | None:
    """The stat that says a local regular file is unchanged, or None (then it is hashed)."""
    if "://" in source.location or source.content is not None:
        return None
    try:
        st = os.stat(source.location)
    except (OSError, ValueError):
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


class ResultCache:
    def __init__(self, directory: str | os.PathLike[str], salt: str, roots: Sequence[str]) -> None:
        ident = hashlib.sha256("\x00".join(sorted(str(Path(r).resolve()) for r in roots)).encode()).hexdigest()
        self.file = Path(directory) / "results" / f"snapshot-{ident[:16]}.pkl"
        self.delta_file = self.file.with_name(f"snapshot-{ident[:16]}.delta.pkl")
        self.salt = salt
        self.snapshot: Snapshot | None = None
        self.delta: Delta | None = None
        self.entries: dict[str, Entry] = {}  # the cache's entries: the snapshot's, then the delta's
        self.keys: dict[str, str | None] = {}
        self.stats: dict[str, Stat | None] = {}  # the stat to record for each file (None: racy or not a file)
        self.hits: set[str] = set()
        self.hashed = 0  # files read and hashed by the last lookup (the others matched by stat)
        self.misses: list[str] = []  # the files to check (not hits), in order
        self.restat: set[str] = set()  # the hits whose entry changes (hashed: the stat is new, or racy)
        self.unreadable: set[str] = set()  # files without a key (checked as usual, never kept)
        self._fresh: dict[str, pd.DataFrame] | None = None  # rows not from the snapshot (set by merge)
        self._order: Mapping[str, int] | None = None  # set by prepare: the run's order ...
        self._cached: dict[str, tuple[pd.DataFrame, np.ndarray]] = {}  # ... the hits' rows, renumbered ...
        self._kept: dict[str, tuple[pd.DataFrame, np.ndarray]] = {}  # ... and those the delta holds again

    def key(self, source: Source, read: ReadOptions) -> str | None:
        """The file's cache key, or None when it cannot be read (it is then checked as usual)."""
        # The reader's own safe read: a FIFO or a device must not block or run forever here.
        raw, _problem, size = read_bytes(source, read)
        if raw is None:
            return None
        h = hashlib.sha256(source.path.encode("utf-8", "surrogatepass") + b"\x00")
        h.update(str(size).encode() + b"\x00")
        h.update(raw)
        return h.hexdigest()

    def _read(self, path: Path, kind: type[Any]) -> Any:
        try:
            with open(path, "rb") as fh:
                obj = pickle.load(fh)
        except Exception:  # noqa: BLE001 - missing or damaged: its files are misses
            return None
        if not isinstance(obj, kind) or obj.salt != self.salt or getattr(obj, "format", None) != FORMAT:
            return None
        return obj

    def load(self) -> Snapshot | None:
        """Read the snapshot and its delta (when it applies to this snapshot)."""
        self.snapshot = self._read(self.file, Snapshot)
        self.delta = None
        if self.snapshot is not None:
            delta = self._read(self.delta_file, Delta)
            if delta is not None and delta.base == self.snapshot.generation:
                self.delta = delta
        entries = dict(self.snapshot.entries) if self.snapshot is not None else {}
        if self.delta is not None:
            entries.update(self.delta.entries)
        self.entries = entries
        return self.snapshot

    def lookup(self, sources: Sequence[Source], read: ReadOptions) -> list[Source]:
        """Find the hits (by stat, else by content hash); return the sources that must be checked."""
        racy_from = time.time_ns() - int(RACY_SECONDS * 1e9)
        # Every stat is taken before any file is read (a write after it changes the stat); on a
        # large corpus a forked child takes them while this process reads the cache.
        statting = Forked(lambda: [file_stat(s) for s in sources], parallel=len(sources) >= FORK_FROM_FILES)
        self.load()
        file_stats = statting.result()
        entries = self.entries
        keys: dict[str, str | None] = {}
        stats: dict[str, Stat | None] = {}
        hits: set[str] = set()
        restat: set[str] = set()
        unreadable: set[str] = set()
        hashed = 0
        for source, st in zip(sources, file_stats, strict=True):
            path = source.path
            old = entries.get(path)
            if old is not None and st is not None and old[1] == st:
                keys[path], stats[path] = old[0], st
                hits.add(path)
                continue
            hashed += 1
            key = self.key(source, read)
            keys[path] = key
            stats[path] = st if st is not None and st[1] < racy_from else None
            if key is None:
                unreadable.add(path)
            elif old is not None and old[0] == key:
                hits.add(path)
                if stats[path] != old[1]:
                    restat.add(path)
        self.keys, self.stats, self.hits, self.hashed = keys, stats, hits, hashed
        self.restat, self.unreadable = restat, unreadable
        missed = [s for s in sources if s.path not in hits]
        self.misses = [s.path for s in missed]
        return missed

    @property
    def dirty(self) -> bool:
        """Some hit's entry changes (a new trusted stat): worth writing."""
        return bool(self.restat)

    def hit_findings(self) -> list[Finding]:
        return [f for p in sorted(self.hits) for f in unpack(self.entries[p][2])]

    def prepare(self, order: Mapping[str, int]) -> None:
        """The hits' rows from the cache (snapshot and delta), numbered as in this run and in
        record order: the bulk of :meth:`merge`, done while the workers check the other files.

        Rows are selected and renumbered by record id (arrays), not by path: the ``files``
        table of the snapshot (and of the delta) says which path each of its record ids is."""
        in_delta = self.delta.rows if self.delta is not None else frozenset()
        base = self.snapshot.tables if self.snapshot is not None and self.hits else {}
        extra = self.delta.tables if self.delta is not None and self.hits else {}
        base_ids = self._new_ids(base.get("files"), order, lambda p: p not in in_delta)
        extra_ids = self._new_ids(extra.get("files"), order, lambda p: p in in_delta)
        cached: dict[str, tuple[pd.DataFrame, np.ndarray]] = {}
        kept: dict[str, tuple[pd.DataFrame, np.ndarray]] = {}
        for name in sorted(set(base) | set(extra)):
            parts: list[tuple[pd.DataFrame, np.ndarray]] = []
            for tables, ids in ((extra, extra_ids), (base, base_ids)):
                df = tables.get(name)
                if df is not None:
                    parts.append((df, ids[df["_record"].to_numpy(dtype="int64")] if len(df) else _NO_IDS))
            rows = _merge_table(parts)
            cached[name] = (rows, rows["_record"].to_numpy(dtype="int64"))
            if name in extra:  # the delta's rows still in use: the next delta holds them again
                kept[name] = parts[0]
        self._order, self._cached, self._kept = order, cached, kept

    def merge(self, checked: dict[str, pd.DataFrame], order: Mapping[str, int]) -> dict[str, pd.DataFrame]:
        """The checked files' tables plus the hits' rows from the cache, numbered as in a full
        run; the rows end in record order, as a full run leaves them. Calls :meth:`prepare`
        first unless it was called for this ``order``."""
        if self._order is not order:
            self.prepare(order)
        fresh: dict[str, pd.DataFrame] = {}
        out: dict[str, pd.DataFrame] = {}
        for name in sorted(set(checked) | set(self._cached)):
            new = checked.get(name)
            new_part = [(new, _ids(new, order))] if new is not None else []
            # taken out of the cache object: the insert frees its columns as it goes, and the
            # next columns reuse that memory (fresh memory is slow to touch: page faults)
            cached = self._cached.pop(name, None)
            # the delta keeps the checked files' rows and the rows it already held
            mine = new_part + ([self._kept[name]] if name in self._kept else [])
            if mine:
                fresh[name] = _merge_table(mine)
            inserted = _insert_rows(cached[0], *new_part[0], consume=True) if cached and new_part else None
            out[name] = inserted if inserted is not None else _merge_table(new_part + ([cached] if cached else []))
        self._fresh = fresh
        self._order = None  # the prepared rows were used up: another merge prepares again
        return out

    def _new_ids(self, files: pd.DataFrame | None, order: Mapping[str, int], mine: Any) -> np.ndarray:
        """For each record id of a stored files table: the record id in this run, or -1 (not
        a hit, or a hit whose rows are kept elsewhere: ``mine(path)`` is false)."""
        if files is None or not len(files):
            return _NO_IDS
        old_ids = files["_record"].to_numpy(dtype="int64")
        new_id = np.full(int(old_ids.max()) + 1, -1, dtype="int64")
        paths = files["_path"].to_numpy(dtype=object)
        hits = self.hits
        kept = np.fromiter((p in hits and mine(p) for p in paths), dtype=bool, count=len(paths))
        if kept.any():
            new_id[old_ids[kept]] = np.fromiter((order[p] for p in paths[kept]), dtype="int64", count=int(kept.sum()))
        return new_id

    def save(
        self, findings: Sequence[Finding], tables: dict[str, pd.DataFrame], volatile: Collection[str] = ()
    ) -> None:
        """Keep this run's results: a delta, or a new snapshot when the delta grows large.
        ``volatile``: files whose results depend on the clock (not kept)."""
        by_path: dict[str, list[Finding]] = {}
        for f in findings:
            by_path.setdefault(f.path, []).append(f)
        keys, stats = self.keys, self.stats
        left_out = self.unreadable | set(volatile)
        checked = [p for p in self.misses if p not in left_out]
        in_delta = self.delta.rows if self.delta is not None else frozenset()
        # rows a delta would hold: the checked files', and the hits' whose rows the delta held
        fresh_rows = set(checked) | (self.hits & in_delta)
        kept = len(keys) - len(left_out & keys.keys())
        try:
            base = self.snapshot
            if base is None or self._fresh is None or len(fresh_rows) > COMPACT_SHARE * max(1, kept):
                entries: dict[str, Entry] = {}
                for path, key in keys.items():
                    if key is None or path in left_out:
                        continue
                    if path in self.hits:
                        old = self.entries[path]
                        entries[path] = old if path not in self.restat else (key, stats.get(path), old[2])
                    else:
                        entries[path] = (key, stats.get(path), pack(by_path.get(path, [])))
                _write(self.file, Snapshot(self.salt, uuid.uuid4().hex, entries, tables))
                with contextlib.suppress(OSError):
                    os.unlink(self.delta_file)
            else:
                # only what differs from the snapshot: touching every entry here (a forked child)
                # would copy the memory pages of all of them
                changed: dict[str, Entry] = {}
                for path in checked:
                    key = keys[path]
                    if key is not None:  # (always: files without a key are left out)
                        changed[path] = (key, stats.get(path), pack(by_path.get(path, [])))
                held = self.delta.entries.keys() if self.delta is not None else frozenset()
                for path in self.hits & held:  # the delta's entries still in use: kept again
                    changed[path] = self.entries[path]
                for path in self.restat:
                    old = self.entries[path]
                    changed[path] = (old[0], stats.get(path), old[2])
                _write(self.delta_file, Delta(self.salt, base.generation, changed, frozenset(fresh_rows), self._fresh))
        except Exception:  # noqa: BLE001 - caching is best effort; the run's results stand
            return


_NO_IDS = np.empty(0, dtype="int64")


def _write(path: Path, obj: object) -> None:
    """Write atomically (qa.atomic: temp file, fsync, rename, fsync of the folder), then remove
    what killed runs left of their own writes of this file: temp files with clipqa's mark that
    have not been touched for STALE_TMP_SECONDS (a younger one may be a live run's)."""
    blob = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    with atomic_open(path, "wb", encoding=None) as fh:
        fh.write(blob)  # type: ignore[arg-type]  # a binary file: atomic_open's IO[str] is IO[bytes] here
    _remove_stale_temps(path)


STALE_TMP_SECONDS = 600


def _remove_stale_temps(path: Path) -> None:
    now = time.time()
    with contextlib.suppress(OSError):
        for entry in os.scandir(path.parent):
            if is_temp_of(entry.name, path.name):
                with contextlib.suppress(OSError):
                    if now - entry.stat(follow_symlinks=False).st_mtime > STALE_TMP_SECONDS:
                        os.unlink(entry.path)


def _ids(df: pd.DataFrame, order: Mapping[str, int]) -> np.ndarray:
    """The checked rows' record ids in this run (their files' places in the run's order)."""
    return np.fromiter((order[p] for p in df["_path"].astype(object)), dtype="int64", count=len(df))


def _merge_table(parts: Sequence[tuple[pd.DataFrame, np.ndarray]]) -> pd.DataFrame:
    """One table from parts (rows, the record id in this run of each row, -1: leave it out),
    the rows in record order.

    A column whose parts share a dtype (the usual case) is concatenated and taken in
    order at once. A column whose dtypes differ gets, as ``qa.tables.concat`` gives
    chunks, the tightest dtype of the values kept."""
    from qa.tables import STRING, to_column

    live = [(df, ids) for df, ids in parts if len(df) and bool((ids >= 0).any())]
    if not live:
        return parts[0][0].iloc[0:0].reset_index(drop=True)
    ids = np.concatenate([i for _, i in live]) if len(live) > 1 else live[0][1]
    rows = np.flatnonzero(ids >= 0)
    kept_ids = ids[rows]
    if len(kept_ids) > 1 and not bool((kept_ids[1:] >= kept_ids[:-1]).all()):
        rows = rows[np.argsort(kept_ids, kind="stable")]
    identity = len(rows) == len(ids) and bool((rows == np.arange(len(rows))).all())
    first = live[0][0]
    columns = list(first.columns)
    if any(list(df.columns) != columns for df, _ in live[1:]):  # not expected (the salt has the code)
        from qa.tables import concat

        merged = concat([{"t": df[i >= 0]} for df, i in live])["t"]
        ordered = merged.take(np.argsort(ids[ids >= 0], kind="stable"))
        return ordered.assign(_record=np.sort(ids[ids >= 0], kind="stable")).reset_index(drop=True)
    same = [c for c in columns if all(str(df[c].dtype) == str(first[c].dtype) for df, _ in live[1:])]
    arrow = [c for c in same if first[c].dtype == STRING and isinstance(first[c].array, pd.arrays.ArrowStringArray)]
    other = [c for c in same if c not in arrow]
    merged = pd.concat([df[other] for df, _ in live], ignore_index=True) if len(live) > 1 else first[other]
    if not identity:
        merged = merged.take(rows)
    out = {c: merged[c].reset_index(drop=True) for c in other}
    taking = None if identity else pa.array(rows)
    for c in arrow:
        out[c] = _take_strings([df[c] for df, _ in live], taking)
    for c in columns:
        if c not in out:  # dtypes differ: the values, in order, to the tightest dtype
            values = np.concatenate([df[c].astype(object).to_numpy() for df, _ in live])[rows]
            out[c] = to_column([None if v is pd.NA else v for v in values.tolist()])
    out["_record"] = pd.Series(ids[rows], dtype="int64")
    return pd.DataFrame({c: out[c] for c in columns})


def _take_strings(parts: Sequence[pd.Series], rows: pa.Array | None) -> pd.Series:
    """String columns put end to end, then (``rows``: positions in that whole) taken in one
    pyarrow take: pandas' own take is several times slower."""
    arrays = [s.array.__arrow_array__() for s in parts]
    values = pa.chunked_array([chunk for a in arrays for chunk in a.chunks], type=arrays[0].type)
    return pd.Series(pd.arrays.ArrowStringArray(values if rows is None else values.take(rows)))  # STRING


_TIGHT_DTYPES = frozenset({"object", "string", "Int64", "boolean"})  # what ``to_column`` gives


def _insert_rows(
    cached: pd.DataFrame, new: pd.DataFrame, new_ids: np.ndarray, *, consume: bool = False
) -> pd.DataFrame | None:
    """``cached`` (rows in record order; ``_record``: their ids in this run) with the rows of
    ``new`` (ids ``new_ids``, in record order, none of them in ``cached``) put in their places.

    The same table as ``_merge_table`` gives for the two parts, with less work: the rows of
    both are already numbered and ordered, so numpy columns take one ``np.insert`` and
    each string column one take in pyarrow. None when a column is not one it knows how
    to insert into (the caller then merges the general way; ``cached`` is untouched).
    ``consume``: drop each column from ``cached`` once its merged column is made, so that
    its memory is reused for the next one."""
    columns = list(cached.columns)
    if list(new.columns) != columns or not len(cached) or not len(new) or bool((new_ids < 0).any()):
        return None
    if len(new_ids) > 1 and not bool((new_ids[1:] >= new_ids[:-1]).all()):
        return None
    if not all(c == "_record" or _insertable(cached[c], new[c]) for c in columns):
        return None
    at = np.searchsorted(cached["_record"].to_numpy(dtype="int64"), new_ids)
    # where each row of the result comes from, in the two parts put end to end (for pyarrow)
    gather = pa.array(np.insert(np.arange(len(cached)), at, np.arange(len(cached), len(cached) + len(new))))
    out: dict[str, pd.Series] = {}
    for c in columns:
        out[c] = _insert_column(cached[c], new[c], new_ids if c == "_record" else None, at, gather)
        if consume:
            del cached[c]
    return pd.DataFrame(out)


def _insertable(old: pd.Series, new: pd.Series) -> bool:
    """Whether :func:`_insert_column` can merge these two columns."""
    a, b = str(old.dtype), str(new.dtype)
    if a != b:
        return {a, b} <= _TIGHT_DTYPES
    if isinstance(old.array, pd.arrays.ArrowStringArray):
        return isinstance(new.array, pd.arrays.ArrowStringArray) and (
            old.array.__arrow_array__().type == new.array.__arrow_array__().type
        )
    return a in ("Int64", "boolean") or isinstance(old.dtype, np.dtype)


def _insert_column(
    old: pd.Series, new: pd.Series, ids: np.ndarray | None, at: np.ndarray, gather: pa.Array
) -> pd.Series:
    """One merged column (of two that :func:`_insertable` accepts)."""
    if ids is not None:  # _record: the ids themselves
        return pd.Series(np.insert(old.to_numpy(dtype="int64"), at, ids), dtype="int64")
    if str(old.dtype) != str(new.dtype):
        # as _merge_table does for dtypes that differ: the values, in order, to the tightest dtype
        from qa.tables import to_column

        values = np.insert(old.astype(object).to_numpy(), at, new.astype(object).to_numpy())
        return to_column([None if v is pd.NA else v for v in values.tolist()])
    if isinstance(old.array, pd.arrays.ArrowStringArray):
        return _take_strings([old, new], gather)
    if str(old.dtype) in ("Int64", "boolean"):  # masked arrays: values and mask, each one insert
        kind = "bool" if str(old.dtype) == "boolean" else "int64"
        filler = False if kind == "bool" else 0
        data = np.insert(
            old.array.to_numpy(dtype=kind, na_value=filler), at, new.array.to_numpy(dtype=kind, na_value=filler)
        )
        mask = np.insert(old.isna().to_numpy(), at, new.isna().to_numpy())
        made = pd.arrays.BooleanArray(data, mask) if kind == "bool" else pd.arrays.IntegerArray(data, mask)
        return pd.Series(made)
    # numpy columns (object, int64, ...): one insert
    return pd.Series(np.insert(old.to_numpy(), at, new.to_numpy()), dtype=old.dtype)
