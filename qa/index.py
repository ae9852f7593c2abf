"""The corpus index: gating a batch costs the batch, not the corpus.

``clipqa import`` checks a batch *together with the whole corpus*, because the corpus-level
checks (duplicates, a story published twice, related items, shared images) compare the
batch with every clipping. The index keeps, per corpus file, what a full run would derive
from it (:mod:`qa.indexstore`): its stat and content hash, its table rows (the facts the
corpus hooks read), its findings, its join keys per check (``Check.corpus_keys``) and its
per-file totals. Gating a batch then costs the batch:

1. **Fresh.** A stat scan of the corpus (as git's index does: size, mtime, ctime, inode)
   finds the files changed, added or removed behind the index's back; a file whose stat
   changed but whose bytes did not only gets its new stat. Changed and added files go
   through the per-file stage and are stored again, removed ones dropped, before anything
   is decided. The scan runs in a forked child while the batch is checked.
2. **The batch.** The per-file stage runs on the batch only.
3. **The closure.** For each corpus check, the corpus files that can change its findings
   about the batch: the files holding one of the batch's probes (its keys, or what the
   check looks up), followed to a fixed point for transitive checks (groups joined by
   shared keys: duplicates, a story published twice). See :class:`qa.checks.CorpusKeys`.
4. **The hooks.** Each check's own corpus hook runs on the batch and its closure, the
   tables built from the stored rows exactly as a run over those files would build them
   (corpus-wide counts such as C103's come from the stored totals); the findings that
   name a batch file (as ``path`` or in ``related``) are kept, as ``clipqa import``
   keeps them from a full run. There is one copy of each check's logic: the hook.

The answer equals the one of a full run over corpus and batch (``tests/test_index.py``
compares them on random corpora, batches and out-of-band edits). Whatever the index
cannot promise makes it step aside: a check with a corpus hook and no ``corpus_keys`` is
served by a full run; an index built by another clipqa, code, schema or configuration
(its salt) is rebuilt, not trusted; a file whose facts are incomplete (over the time
budget) is derived again.

Crash safety: a build fills a new file and renames it into place; every later change is
one SQLite transaction; a stat is recorded only when it was taken before the bytes were
read, and never for a file modified within ``RACY_SECONDS`` of the scan (its bytes are
hashed next time). So after a SIGKILL at any moment the index holds a state the corpus
had, and the next scan re-derives what changed since.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import datetime as dt
import functools
import hashlib
import itertools
import json
import math
import operator
import os
import sqlite3
import stat as stat_module
import sys
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import NoneType
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import orjson
import pandas as pd

from qa import __version__, locks
from qa.atomic import TMP_MARK, is_temp_of, temp_middle, temp_name, temp_prefix
from qa.budget import P130
from qa.cache import RACY_SECONDS, Stat, file_stat, schema_hash
from qa.checks import Check, all_checks
from qa.config import Config
from qa.corpus import (
    Discovery,
    Folders,
    ReadOptions,
    Source,
    discover,
    file_patterns,
    list_folder,
    read_bytes,
    selected,
    walk_folder,
)
from qa.findings import Applicability, Edit, Excerpt, Finding, Fix, Target
from qa.indexstore import SCHEMA_VERSION, Entry, IndexStore, SqliteStore, StoredFile, Totals, unpack_keys
from qa.rules import P131
from qa.watch import COOKIE_PREFIX, Feed, acknowledge, changes, feed_files, selection

if TYPE_CHECKING:
    from qa.pipeline import RunResult
    from qa.stage import ChunkResult, Stage, StageSpec

INDEX_FORMAT = "1"
SUFFIX = ".clipqa-index.sqlite"
# Configuration that changes no fact the index keeps (which rules are reported, how the
# gate grades them, where reports go): an index stays valid across changes of these.
_NOT_IN_SALT = ("jobs", "output-dir", "cache-dir", "index", "select", "ignore", "severity", "per-file-ignores",
                "fail-on", "online")  # fmt: skip


class IndexError_(Exception):  # noqa: N801 - not the builtin IndexError
    """The index cannot be used (unreadable, locked, a folder in its place). Exit 2."""


# ---------------------------------------------------------------- where it is, what built it


def default_path(corpus: str | os.PathLike[str]) -> Path:
    """``.<corpus name>.clipqa-index.sqlite`` beside the corpus folder: the real folder, as
    the import places its journal and quarantine, so that every name of a corpus (a symbolic
    link ``live -> news``, the folder itself) finds one index, ``.news.clipqa-index.sqlite``."""
    folder = Path(os.path.realpath(corpus))
    return folder.parent / f".{folder.name}{SUFFIX}"


def index_path(corpus: str | os.PathLike[str], config: Config, explicit: str | os.PathLike[str] | None = None) -> Path:
    """The index of ``corpus``: ``--index FILE``, else ``index = "..."`` of the configuration,
    else beside the corpus."""
    if explicit:
        return Path(explicit)
    if config.index:
        return Path(config.index)
    return default_path(corpus)


def salt(config: Config) -> str:
    """What the stored facts depend on besides the files: clipqa's version, code and data, the
    schema files, the files check options name (a patterns file), the configuration that
    shapes per-file results and join keys, pandas (its hashing makes the key hashes), the
    index format. Another salt: rebuild."""
    from qa.cache import _code_hash, option_files_hash

    values = {k: v for k, v in config.as_dict().items() if k not in _NOT_IN_SALT}
    parts = (
        INDEX_FORMAT,
        str(SCHEMA_VERSION),
        __version__,
        _code_hash(),
        schema_hash(config.schema_dir),
        option_files_hash(config),
        hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest(),
        pd.__version__,
    )
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def open_store(path: Path, *, readonly: bool = False, bulk: bool = False) -> SqliteStore:
    """The store at ``path`` (the one place that names the storage: SQLite, one file)."""
    return SqliteStore(path, readonly=readonly, bulk=bulk)


def corpus_checks() -> list[Check]:
    return [c for c in all_checks().values() if c.corpus is not None]


def unserved() -> list[str]:
    """The corpus checks the index cannot serve (no ``corpus_keys``): any makes it step aside."""
    return [c.name for c in corpus_checks() if c.corpus_keys is None]


# ---------------------------------------------------------------- encoding what is kept

# JSON carries these as they are; a float only when finite (strict JSON has no NaN or Infinity:
# those are tagged, so that the facts are standard JSON, which orjson writes and DuckDB reads)
_NATIVE = frozenset({str, int, bool, NoneType})


def _tag(value: Any) -> Any:
    """A value as strict JSON, exactly: every other type becomes an object ``{"$": tag, "v": ...}``
    (so a JSON object in a cell is always a tag, and a list never appears bare). A type
    with no tag (none comes from YAML or the checks today) is marked ``unknown``."""
    kind = type(value)
    if kind in _NATIVE:
        return value
    if kind is float:
        return value if math.isfinite(value) else {"$": "float", "v": repr(value)}
    if kind is dt.datetime:
        return {"$": "datetime", "v": value.isoformat()}
    if kind is dt.date:
        return {"$": "date", "v": value.isoformat()}
    if kind is dt.time:
        return {"$": "time", "v": value.isoformat()}
    if kind is bytes or kind is bytearray:
        return {"$": "bytes", "v": base64.b64encode(value).decode("ascii")}
    if kind is list:
        return {"$": "list", "v": [_tag(v) for v in value]}
    if kind is tuple:
        return {"$": "tuple", "v": [_tag(v) for v in value]}
    if kind is dict:
        return {"$": "dict", "v": [[_tag(k), _tag(v)] for k, v in value.items()]}
    if kind is set or kind is frozenset:  # in a fixed order: the same set, the same bytes
        return {"$": kind.__name__, "v": sorted((_tag(v) for v in value), key=repr)}
    return {"$": "unknown", "v": kind.__name__}  # the file's rows are then not kept (derived when needed)


_UNTAG: dict[str, Any] = {
    "float": float,  # "nan", "inf", "-inf"
    "datetime": dt.datetime.fromisoformat,
    "date": dt.date.fromisoformat,
    "time": dt.time.fromisoformat,
    "bytes": base64.b64decode,
    "list": lambda v: [_untag(x) for x in v],
    "tuple": lambda v: tuple(_untag(x) for x in v),
    "dict": lambda v: {_untag(k): _untag(x) for k, x in v},
    "set": lambda v: {_untag(x) for x in v},
    "frozenset": lambda v: frozenset(_untag(x) for x in v),
}


def _tag_or_mark(value: Any) -> Any:
    """:func:`_tag`, or the ``unknown`` mark for a value nested too deep to walk."""
    try:
        return _tag(value)
    except RecursionError:
        return {"$": "unknown", "v": "nested too deep"}


def _untag(value: Any) -> Any:
    return _UNTAG[value["$"]](value["v"]) if type(value) is dict else value


Rows = dict[str, list[tuple[Any, ...]]]  # table -> a file's rows (the layout's columns: no _record, _path)
Layout = dict[str, list[str]]  # table -> its columns after _record and _path


_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode


def _dump(doc: Any) -> bytes:
    return _encode(doc).encode("utf-8", "surrogatepass")  # lone surrogates (a name as the OS gives it) kept


def _dump_tagged(doc: Any) -> bytes:
    """:func:`_dump` of a document whose values are tagged (:func:`_tag`: no NaN or Infinity,
    which orjson would write as null), by orjson (~2x faster; a build writes every file's facts).
    orjson declines what it cannot write exactly, and :func:`_dump` writes it: an integer
    beyond 64 bits, a lone surrogate, nesting deeper than 254. The two read back alike
    (tests/test_index.py proves it); only a float's spelling may differ (1e-7 and 1e-07)."""
    try:
        return orjson.dumps(doc)
    except orjson.JSONEncodeError:
        return _dump(doc)


def _load(raw: bytes) -> Any:
    return json.loads(raw.decode("utf-8", "surrogatepass"))


def decode_rows(raw: bytes) -> Rows:
    return {name: [tuple(map(_untag, row)) for row in table] for name, table in _load(raw).items()}


_FIELDS = tuple(f.name for f in dataclasses.fields(Finding))
_finding_values = operator.attrgetter(*_FIELDS)
_excerpt_values = operator.attrgetter(*(f.name for f in dataclasses.fields(Excerpt)))
_CONTEXT, _FIX = _FIELDS.index("context"), _FIELDS.index("fix")


def encode_findings(findings: Sequence[Finding]) -> bytes:
    out = []
    for f in findings:
        row = list(_finding_values(f))  # span and related are tuples: JSON arrays
        if f.context is not None:
            row[_CONTEXT] = _excerpt_values(f.context)
        if f.fix is not None:
            row[_FIX] = [
                f.fix.applicability.value,
                f.fix.message,
                [[e.target.value, e.content, e.field, e.start, e.end] for e in f.fix.edits],
            ]
        out.append(row)
    return _dump(out)


def _decode_fix(value: list[Any]) -> Fix:
    applicability, message, edits = value
    return Fix(Applicability(applicability), tuple(Edit(Target(e[0]), *e[1:]) for e in edits), message)


def decode_findings(raw: bytes, label: Any = None) -> list[Finding]:
    """The findings kept for a file; ``label``: the name a run gives each stored path."""
    out = []
    for row in _load(raw):
        f = Finding(*row)
        f.span = tuple(f.span) if f.span is not None else None  # type: ignore[assignment]
        f.related = tuple(label(p) if label else p for p in f.related)
        f.context = Excerpt(*f.context) if f.context is not None else None  # type: ignore[misc]
        f.fix = _decode_fix(f.fix) if f.fix is not None else None  # type: ignore[arg-type]
        if label:
            f.path = label(f.path)
        out.append(f)
    return out


def _key_hashes(check: str, frame: pd.DataFrame) -> np.ndarray:
    """64-bit hashes of (check, kind, key): SipHash via pandas (fixed key: the same in every
    process and on every platform). Collisions only add files to a closure, never drop one."""
    from pandas.util import hash_array

    values = frame["key"].to_numpy()
    out = np.empty(len(frame), dtype=np.int64)
    codes, kinds = pd.factorize(frame["kind"])
    for code, kind in enumerate(kinds.tolist()):
        mine = np.flatnonzero(codes == code)
        numeric = _integers(values[mine])  # a kind's keys are all of one type: decided at C speed
        numbers, texts = mine[numeric], mine[~numeric]
        if len(numbers):  # hashes already (key_rows keeps them as they are): mixed with (check, kind), vectorised
            salt = np.asarray(hash_array(np.array([f"{check}\x1f{kind}"], dtype=object), categorize=False))[0]
            mixed = values[numbers].astype(np.int64).view(np.uint64) ^ salt
            out[numbers] = np.asarray(hash_array(mixed, categorize=False)).view(np.int64)
        if len(texts):
            out[texts] = _text_hashes([f"{check}\x1f{kind}\x1f{v}" for v in values[texts].tolist()])
    return out


def _integers(values: np.ndarray) -> np.ndarray:
    """Where a key is an integer (decided by each value alone: the same key hashes alike in
    every chunk, whatever company it is in)."""
    if values.dtype.kind in "iu":
        return np.ones(len(values), dtype=bool)
    kind = pd.api.types.infer_dtype(values, skipna=False)
    if kind in ("string", "empty"):
        return np.zeros(len(values), dtype=bool)
    if kind == "integer":
        return np.ones(len(values), dtype=bool)
    return np.fromiter(
        (isinstance(v, int | np.integer) and not isinstance(v, bool) for v in values), dtype=bool, count=len(values)
    )


def _text_hashes(texts: list[str]) -> np.ndarray:
    from pandas.util import hash_array

    try:
        hashed = hash_array(np.array(texts, dtype=object), categorize=False)
    except UnicodeEncodeError:  # a lone surrogate (an undecodable name): hashed as its UTF-8 with replacements
        hashed = hash_array(
            np.array([t.encode("utf-8", "replace").decode("utf-8") for t in texts], dtype=object), categorize=False
        )
    return np.asarray(hashed).view(np.int64)


# ---------------------------------------------------------------- the per-file stage, file by file


@dataclass(slots=True)
class FileResult:
    """What the per-file stage gave for one file, cut out of its chunk in the worker
    (:class:`IndexChunk`): what the index keeps of it, and (for a batch) its rows and findings."""

    path: str
    facts: bytes | None  # the file's rows, encoded; None: not kept (a value of a type with no tag)
    findings_blob: bytes
    sha256: str | None  # of the bytes its rows come from; None: no bytes read (too large, unreadable), or incomplete
    usable: bool
    key_header: str = ""  # the key hashes, packed (qa.indexstore.pack_keys)
    key_blob: bytes = b""
    probes: dict[str, np.ndarray] = field(default_factory=dict)  # check -> hashes (a batch's)
    totals: Totals = field(default_factory=dict)
    rows: Rows | None = None  # kept for a batch
    findings: list[Finding] = field(default_factory=list)  # kept for a batch
    stat: Stat | None = None  # set in the parent: taken before the file was read (None: not trusted)
    source: Source | None = None  # set in the parent
    unkeyed: str | None = None  # why its join keys could not be derived (then the index steps aside)
    complete: bool = True  # checked to the end (else no stat is kept: it is derived again)

    def keys_by_check(self) -> dict[str, np.ndarray]:
        return unpack_keys(self.key_header, self.key_blob)

    def stored(self) -> StoredFile:
        return StoredFile(
            path=self.path,
            stat=self.stat if self.complete else None,
            sha256=self.sha256,
            usable=self.usable,
            facts=self.facts,
            findings=self.findings_blob,
            key_header=self.key_header,
            key_blob=self.key_blob,
            totals=self.totals,
            unkeyed=self.unkeyed,
        )


def _values(series: pd.Series) -> list[Any]:
    """A column's values as the per-file stage made them (None where missing)."""
    dtype = series.dtype
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
        import pyarrow as pa

        return list(pa.array(series.array).to_pylist())
    if isinstance(dtype, pd.api.extensions.ExtensionDtype):
        return list(series.array.to_numpy(dtype=object, na_value=None).tolist())
    return list(series.tolist())


def _plain(series: pd.Series) -> bool:
    """Whether a column's values go into JSON as they are: an extension column's scalars, a
    float column's when all are finite. An object column may hold what strict JSON cannot carry
    (datetimes, tuples, bytes, NaN): its values are tagged one by one."""
    dtype = series.dtype
    if dtype.kind == "f":
        if isinstance(dtype, pd.api.extensions.ExtensionDtype):  # its NA is written as None: left out
            values = series.array.to_numpy(dtype=np.float64, na_value=0.0)
        else:  # NaN is a value here (written as a float)
            values = series.to_numpy()
        return bool(np.isfinite(values).all())
    return isinstance(dtype, pd.api.extensions.ExtensionDtype)


def split_tables(
    tables: Mapping[str, pd.DataFrame], first: int, files: int, raw: bool = True
) -> tuple[list[Rows], list[dict[str, list[Any]]], Layout]:
    """Each file's rows (record ids ``first``.. for ``files`` files) as the stage made them
    (``raw``) and ready for JSON (each value of a column that may hold other types tagged),
    and the tables' layout."""
    per: list[Rows] = [{} for _ in range(files)] if raw else []
    tagged: list[dict[str, list[Any]]] = [{} for _ in range(files)]
    layout: Layout = {}
    for name, df in tables.items():
        columns = list(df.columns)
        if columns[:2] != ["_record", "_path"]:
            raise ValueError(f"table {name!r}: expected _record and _path first, got {columns[:2]}")
        layout[name] = columns[2:]
        if df.empty:
            continue
        records = df["_record"].to_numpy(dtype=np.int64) - first
        values = [_values(df[c]) for c in columns[2:]]
        plain = [_plain(df[c]) for c in columns[2:]]
        ready = [
            v if ok else [x if type(x) in _NATIVE else _tag_or_mark(x) for x in v]
            for v, ok in zip(values, plain, strict=True)
        ]
        order = np.argsort(records, kind="stable")  # a file's rows together, in their order
        if (np.diff(order) != 1).any():
            take = order.tolist()
            records = records[order]
            values = [[v[i] for i in take] for v in values] if raw else values
            ready = [[v[i] for i in take] for v in ready]
        rows = list(zip(*values, strict=True)) if raw else []
        json_rows = list(zip(*ready, strict=True))
        bounds = np.flatnonzero(np.r_[True, records[1:] != records[:-1], True]).tolist()
        owners = records.tolist()
        for start, end in itertools.pairwise(bounds):
            at = owners[start]
            if raw:
                per[at][name] = rows[start:end]
            tagged[at][name] = json_rows[start:end]
    return per, tagged, layout


@dataclass(slots=True)
class Entries:
    """A chunk's files as the index keeps them, column by column: a few lists of strings
    and bytes are cheap to send back from a worker and to insert (objects per file are not)."""

    paths: list[str]
    facts: list[bytes | None]
    findings: list[bytes]
    sha256: list[str | None]
    usable: list[bool]
    key_headers: list[str]
    key_blobs: list[bytes]
    totals: list[Totals]
    unkeyed: list[str | None]
    complete: list[bool]
    stats: list[Stat | None] = field(default_factory=list)  # set in the parent (None where not complete)

    @classmethod
    def of(cls, results: Sequence[FileResult]) -> Entries:
        return cls(
            [r.path for r in results],
            [r.facts for r in results],
            [r.findings_blob for r in results],
            [r.sha256 for r in results],
            [r.usable for r in results],
            [r.key_header for r in results],
            [r.key_blob for r in results],
            [r.totals for r in results],
            [r.unkeyed for r in results],
            [r.complete for r in results],
        )

    def results(self) -> list[FileResult]:
        """One FileResult per file (where objects are wanted: few files)."""
        return [
            FileResult(path=p, facts=f, findings_blob=b, sha256=h, usable=u, key_header=kh, key_blob=kb, totals=t,
                       unkeyed=x, complete=c, stat=st)
            for p, f, b, h, u, kh, kb, t, x, c, st in zip(self.paths, self.facts, self.findings, self.sha256,
                                                          self.usable, self.key_headers, self.key_blobs, self.totals,
                                                          self.unkeyed, self.complete, self.stats, strict=True)
        ]  # fmt: skip


@dataclass(frozen=True, slots=True)
class IndexChunk:
    """``StageSpec.post`` of the index: in the worker, once a chunk is checked, each file's
    entry (rows encoded, findings encoded, join keys, probes, totals). The chunk's tables go
    back only with ``rows`` (a batch, whose tables are built again beside the corpus's)."""

    rows: bool = False
    probes: bool = False

    def __call__(self, stage: Stage, sources: Sequence[Source], first: int, chunk: ChunkResult) -> ChunkResult:
        per, tagged, layout = split_tables(chunk.tables, first, len(sources), raw=self.rows)
        found: dict[str, list[Finding]] = {}
        for f in chunk.findings:
            found.setdefault(f.path, []).append(f)
        files_at = layout.get("files", [])
        out = [
            _file_result(s.path, per[i] if self.rows else None, tagged[i], files_at, found.get(s.path, []))
            for i, s in enumerate(sources)
        ]
        try:
            _derive_keys(out, chunk.tables, first, stage, self.probes)
        except Exception:  # noqa: BLE001 - a check's key function failed on this chunk: file by file
            for i, r in enumerate(out):
                one = {name: df[df["_record"] == first + i] for name, df in chunk.tables.items()}
                try:
                    _derive_keys([r], one, first + i, stage, self.probes)
                except Exception as exc:  # noqa: BLE001 - recorded: the index steps aside while this file is there
                    r.unkeyed = f"{type(exc).__name__}: {exc}"
        if self.rows:  # a batch: its files' rows and findings too
            chunk.indexed = (layout, out)
        else:  # the parent needs neither the tables nor objects per file: less to send back
            chunk.indexed = (layout, Entries.of(out))
            chunk.tables, chunk.findings = {}, []
        return chunk


_NO_FINDINGS = encode_findings([])
_UNFINISHED = frozenset((P130.code, P131.code))  # over the time budget; the process checking the file died
_UNKNOWN = b'{"$":"unknown"'  # only a tag writes this: a string's quotes are escaped


def _file_result(
    path: str, rows: Rows | None, tagged: dict[str, list[Any]], files_columns: list[str], findings: list[Finding]
) -> FileResult:
    files = tagged.get("files", [])
    row = dict(zip(files_columns, files[0], strict=True)) if files else {}
    sha = row.get("sha256")
    # not checked to the end (over the time budget, the process died): no stat kept, derived again
    complete = bool(files) and not any(f.rule in _UNFINISHED for f in findings)
    try:
        facts: bytes | None = _dump_tagged(tagged)
    except RecursionError:  # nested deeper than the encoder walks: not kept, derived when needed
        facts = None
    if facts is not None and _UNKNOWN in facts:  # a value JSON cannot carry exactly: not kept
        facts = None
    return FileResult(
        path=path,
        facts=facts,
        findings_blob=encode_findings(findings) if findings else _NO_FINDINGS,
        sha256=sha if complete and isinstance(sha, str) else None,
        complete=complete,
        usable=bool(row.get("usable")),
        rows=rows,
        findings=findings if rows is not None else [],
    )


def _derive_keys(out: list[FileResult], tables: Mapping[str, pd.DataFrame], first: int, stage: Stage,
                 probes: bool) -> None:  # fmt: skip
    """Each file's join keys (packed), probes and totals per check, from the chunk's tables
    (a file's keys depend on its own rows only: ``CorpusKeys``). Vectorised over the chunk:
    the rows of every check's keys are sorted by (file, check, hash) once and cut per file."""
    checks = [c for c in corpus_checks() if c.corpus_keys is not None]
    records: list[np.ndarray] = []
    numbers: list[np.ndarray] = []
    hashes: list[np.ndarray] = []
    for number, check in enumerate(checks):
        ck = check.corpus_keys
        assert ck is not None
        ctx = stage.contexts[check.name]
        frame = ck.keys(tables, ctx)
        if len(frame):
            records.append(frame["_record"].to_numpy(dtype=np.int64) - first)
            numbers.append(np.full(len(frame), number, dtype=np.int64))
            hashes.append(_key_hashes(check.name, frame))
        if probes:
            for r, h in _per_file(out, ck.probes(tables, ctx), first, check.name) if ck.probes else ():
                r.probes[check.name] = h
        if ck.totals is not None:
            _file_totals(out, ck.totals(tables, ctx), first, check.name)
    if not records:
        return
    rec, num, h = np.concatenate(records), np.concatenate(numbers), np.concatenate(hashes)
    order = np.lexsort((h, num, rec))
    rec, num, h = rec[order], num[order], h[order]
    once = np.r_[True, (rec[1:] != rec[:-1]) | (num[1:] != num[:-1]) | (h[1:] != h[:-1])]
    rec, num, h = rec[once], num[once], h[once]
    counts = np.bincount(rec * len(checks) + num, minlength=len(out) * len(checks)).reshape(len(out), len(checks))
    blob = h.astype("<i8").tobytes()
    ends = np.cumsum(counts.sum(axis=1)).tolist()
    headers: dict[tuple[int, ...], str] = {}
    start = 0
    for r, row, end in zip(out, counts.tolist(), ends, strict=True):
        key = tuple(row)
        header = headers.get(key)
        if header is None:
            header = headers[key] = ";".join(f"{c.name}={n}" for c, n in zip(checks, row, strict=True) if n)
        r.key_header, r.key_blob = header, blob[start * 8 : end * 8]
        start = end
    if probes:  # a check without probes looks up what it is found by
        for r in out:
            found = r.keys_by_check()
            for check in checks:
                assert check.corpus_keys is not None
                if check.corpus_keys.probes is None and check.name in found:
                    r.probes[check.name] = found[check.name]


def _file_totals(out: list[FileResult], frame: pd.DataFrame, first: int, check: str) -> None:
    """Each file's totals for a check (``CorpusKeys.totals``): columns per total, or rows
    (``_record``, ``total``, ``value``): the file adds ``value`` to the named total."""
    if list(frame.columns) == ["_record", "total", "value"]:
        for record, name, value in zip(frame["_record"].tolist(), frame["total"].tolist(), frame["value"].tolist(),
                                       strict=True):  # fmt: skip
            mine = out[int(record) - first].totals.setdefault(check, {})
            mine[str(name)] = mine.get(str(name), 0) + int(value)
        return
    names = [c for c in frame.columns if c != "_record"]
    flags = {n for n in names if frame[n].dtype == bool}
    columns = {n: frame[n].tolist() for n in names}
    for i, record in enumerate(frame["_record"].tolist()):
        out[int(record) - first].totals[check] = {
            n: bool(columns[n][i]) if n in flags else int(columns[n][i]) for n in names
        }


def _per_file(
    out: list[FileResult], frame: pd.DataFrame, first: int, check: str
) -> Iterator[tuple[FileResult, np.ndarray]]:
    """(file, its sorted unique hashes) of a frame of key rows."""
    if not len(frame):
        return
    records = frame["_record"].to_numpy(dtype=np.int64) - first
    hashes = _key_hashes(check, frame)
    order = np.lexsort((hashes, records))
    records, hashes = records[order], hashes[order]
    bounds = np.flatnonzero(np.r_[True, records[1:] != records[:-1], True]).tolist()
    for start, end in itertools.pairwise(bounds):
        yield out[int(records[start])], np.unique(hashes[start:end])


def stage_spec(config: Config, roots: Sequence[str], post: IndexChunk | None = None) -> StageSpec:
    from qa.pipeline import stage_spec as spec

    return dataclasses.replace(spec(config, roots), post=post)


def check_files(
    sources: Sequence[Source],
    config: Config,
    spec: StageSpec,
    *,
    keep: bool = False,
    on_entries: Callable[[Entries], None] | None = None,
) -> tuple[list[FileResult], Layout]:
    """The per-file stage over ``sources`` (workers as configured), file by file, with each
    file's stat taken before it was read. ``keep``: keep rows, findings and probes (a batch).
    ``on_entries``: called with each chunk's entries as the chunk arrives (a build writes
    them while the workers go on); they are then not returned."""
    from qa.engine.local import LocalRun

    if not sources:
        return [], {}
    racy_from = time.time_ns() - int(RACY_SECONDS * 1e9)
    stats = {s.path: file_stat(s) for s in sources}  # before any file is read: a later write changes them
    by_path = {s.path: s for s in sources}
    spec = dataclasses.replace(spec, post=IndexChunk(rows=keep, probes=keep))
    out: list[FileResult] = []
    layouts: list[Layout] = []

    def trusted(path: str) -> Stat | None:
        st = stats.pop(path, None)
        return st if st is not None and st[1] < racy_from else None

    def arrived(chunk: ChunkResult) -> None:
        if chunk.indexed is not None:
            layout, got = chunk.indexed
            layouts.append(layout)
        else:  # the process checking these files died (P131): no rows, derived again next time
            got = [_file_result(f.path, {} if keep else None, {}, [], [f]) for f in chunk.findings if f.path in by_path]
            if not keep:
                got = Entries.of(got)
        if isinstance(got, Entries):
            got.stats = [trusted(p) if c else None for p, c in zip(got.paths, got.complete, strict=True)]
            if on_entries is not None:
                on_entries(got)
                chunk.indexed, chunk.tables, chunk.findings = None, {}, []  # the engine keeps an empty shell
                return
            got = got.results()
        for r in got:
            r.stat = trusted(r.path) if r.complete else None
            r.source = by_path[r.path]
            out.append(r)

    LocalRun(sources, spec, config.jobs, on_result=arrived).result()
    return out, layouts[0] if layouts else {}


def build_tables(files: Sequence[tuple[str, Rows]], layout: Layout) -> dict[str, pd.DataFrame]:
    """The tables a run over these files builds: (name as the run calls it, rows), in path
    order; record ids 0.. in that order; each column's dtype derived from its values as
    :class:`qa.tables.TableBuilder` derives it."""
    from qa.tables import to_column

    ordered = sorted(files, key=lambda item: item[0])
    out: dict[str, pd.DataFrame] = {}
    for name, columns in layout.items():
        records: list[int] = []
        paths: list[str] = []
        rows: list[tuple[Any, ...]] = []
        for record, (path, file_rows) in enumerate(ordered):
            mine = file_rows.get(name, ())
            rows.extend(mine)
            records.extend([record] * len(mine))
            paths.extend([path] * len(mine))
        values = list(zip(*rows, strict=True)) if rows else [() for _ in columns]
        data = {"_record": to_column(records), "_path": to_column(paths)}
        for column, column_values in zip(columns, values, strict=True):
            data[column] = to_column(list(column_values))
        out[name] = pd.DataFrame(data)
    return out


# ---------------------------------------------------------------- opening, locking, building


def lock_path(path: Path) -> Path:
    """The lock file of the index at ``path``."""
    return path.with_name(path.name + ".lock")


@functools.lru_cache(maxsize=16)
def index_file_names(index_name: str) -> tuple[str, ...]:
    """The names of the files the index named ``index_name`` keeps beside it, exactly: the
    index, SQLite's side files of it (``-wal``, ``-shm``, ``-journal``), its lock, the change
    feed's files (``qa.watch.feed_files``). A build's temporary files and a gate's cookies are
    told by their form (:func:`is_index_file`, :func:`own_file_patterns`)."""
    return (index_name, *(index_name + side for side in SQLITE_SIDE_FILES), lock_path(Path(index_name)).name,
            *feed_files(index_name))  # fmt: skip


def is_index_file(name: str, index_name: str) -> bool:
    """Whether ``name``, a file in the index's folder, is one of the files of the index named
    ``index_name``: :func:`index_file_names`, a build's temporary file and that file's side
    files, a gate's cookie (``qa.watch.COOKIE_PREFIX``). The one rule of what belongs to an
    index (an import never takes one into its batch; :func:`own_file_patterns` says it as
    patterns)."""
    return (
        name in index_file_names(index_name)
        or is_temp_of(_without_side_suffix(name), index_name)
        or name.startswith(COOKIE_PREFIX)
    )


def own_file_patterns(corpus: str | os.PathLike[str], path: Path) -> list[str]:
    """Exclude patterns (``qa.corpus``: matched against a path relative to the corpus) for the
    files of the index at ``path`` (:func:`is_index_file`) when it lies inside ``corpus``: an
    index kept in the corpus's folder is never read as a clipping, whatever ``include`` says
    (``"*"`` took the index, its lock and SQLite's side files into every check, build and gate).
    Empty when the index is elsewhere (its default place is beside the corpus). Both the
    folder as given and its real path are tried: an index that is a link keeps its side files
    beside its target."""
    root = os.path.realpath(corpus)
    patterns: list[str] = []
    for folder, name in {(os.path.realpath(path.parent), path.name), os.path.split(os.path.realpath(path))}:
        rel = os.path.relpath(folder, root)
        if rel == os.pardir or rel.startswith(os.pardir + os.sep) or os.path.isabs(rel):
            continue
        prefix = "" if rel == os.curdir else _literal(rel.replace(os.sep, "/")) + "/"
        temporary = _literal(temp_prefix(name)) + "*" + _literal(TMP_MARK)
        patterns += [prefix + _literal(n) for n in index_file_names(name)]
        patterns += [prefix + temporary + _literal(side) for side in ("", *SQLITE_SIDE_FILES)]
        patterns.append(prefix + _literal(COOKIE_PREFIX) + "*")
    return sorted(set(patterns))


def _literal(text: str) -> str:
    """``text`` as an fnmatch pattern that matches it alone (``[``, ``*``, ``?`` in a name)."""
    return "".join(f"[{c}]" if c in "[]*?" else c for c in text)


def index_files(path: Path) -> Callable[[str], bool]:
    """A test of a real path: is it one of the files of the index at ``path``
    (:func:`is_index_file`)? Its folder is compared by real path; an index that is a symbolic
    link also owns the files beside its target (where SQLite keeps the side files)."""
    homes = {(os.path.realpath(path.parent), path.name), os.path.split(os.path.realpath(path))}

    def test(real: str) -> bool:
        folder, name = os.path.split(real)
        return any(folder == home and is_index_file(name, index_name) for home, index_name in homes)

    return test


@contextlib.contextmanager
def _lock(path: Path, exclusive: bool) -> Iterator[None]:
    """Every user of the index holds a shared lock on ``<index>.lock`` while it has the index
    open; a build takes it exclusively to swap the new file in (the lock dies with its
    process, even by SIGKILL, and no child of it holds it: qa.locks)."""
    lock = lock_path(path)
    try:
        lock.parent.mkdir(parents=True, exist_ok=True)
        try:
            held = locks.take(lock, exclusive=exclusive, wait=False)
        except locks.Busy:
            # a wait with no word looks like a hang (an import stopped with ^Z holds the lock)
            print(
                f"clipqa: waiting for {lock}: another clipqa process is using the index",
                file=sys.stderr,
                flush=True,
            )
            held = locks.take(lock, exclusive=exclusive)
    except OSError as exc:
        raise IndexError_(f"{lock}: cannot open the index's lock file: {exc.strerror or exc}") from exc
    try:
        yield
    finally:
        held.release()


def _meta(config: Config, layout: Layout, corpus: str | os.PathLike[str]) -> dict[str, str]:
    return {
        "format": INDEX_FORMAT,
        "schema_version": str(SCHEMA_VERSION),
        "clipqa_version": __version__,
        "salt": salt(config),
        "layout": json.dumps(layout),
        "corpus": os.path.realpath(corpus),
        "built": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def why_not_usable(path: Path, config: Config) -> str | None:
    """Why the index at ``path`` cannot be used as it is (None: it can)."""
    if not path.exists():
        return "missing"
    if path.is_dir():
        raise IndexError_(f"{path}: a folder where the index belongs")
    with _lock(path, exclusive=False):
        try:
            store = open_store(path, readonly=True)
        except Exception as exc:  # noqa: BLE001 - unreadable: rebuilt
            return f"unreadable ({exc})"
        try:
            meta = store.meta()
        except Exception as exc:  # noqa: BLE001 - not a database: rebuilt
            return f"unreadable ({exc})"
        finally:
            store.close()
    if meta.get("format") != INDEX_FORMAT or meta.get("schema_version") != str(SCHEMA_VERSION):
        return "built by another index format"
    if meta.get("clipqa_version") != __version__:
        return f"built by clipqa {meta.get('clipqa_version')}"
    if meta.get("salt") != salt(config):
        return "built by other code, schema files or configuration"
    return None


@dataclass(slots=True)
class BuildStats:
    files: int
    seconds: float
    path: Path


def build(
    corpus: str | os.PathLike[str],
    config: Config,
    path: Path | None = None,
    *,
    discovery: Discovery | None = None,
) -> BuildStats:
    """Index every file of ``corpus`` from scratch, at the cost of one full per-file stage.

    The new index is written to a temporary file beside the old one and renamed into place
    once complete and synced; a build killed at any moment leaves the old index (or none)
    and a temporary file that the next build removes."""
    t0 = time.perf_counter()
    target = path or index_path(corpus, config)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(temp_name(target.name, str(os.getpid())))
    claim = _claim(target, tmp)
    try:
        return _build(corpus, config, target, tmp, discovery, t0)
    except BaseException:
        for name in (tmp.name, *(tmp.name + side for side in SQLITE_SIDE_FILES)):  # a failed build's own file
            with contextlib.suppress(OSError):
                os.unlink(tmp.with_name(name))
        raise
    finally:
        claim.release()


class BuildRunning(IndexError_):
    """Another build of this index is running (its temporary file is locked)."""


def _claim(target: Path, tmp: Path) -> locks.Lock:
    """This build's claim on its temporary file: an exclusive lock, held until the file is
    swapped in (the kernel drops it when the build dies), taken once what killed builds left
    is removed. Another build of the index running: :class:`BuildRunning`, at once."""
    running = _remove_leftovers(target)
    if running:
        raise BuildRunning(f"{target}: another build of this index is running (process {running[0]})")
    return locks.take(tmp, exclusive=True)


def _build(
    corpus: str | os.PathLike[str], config: Config, target: Path, tmp: Path, discovery: Discovery | None, t0: float
) -> BuildStats:
    racy_from = time.time_ns() - int(RACY_SECONDS * 1e9)
    folders = Folders()
    found = discovery or discover([corpus], config.include, config.all_excludes(), folders)
    spec = stage_spec(config, [os.fspath(corpus)])
    from qa.schema import load_schema

    load_schema(config.schema_dir)  # a bad schema: one clear error (exit 2), not one per file
    store = open_store(tmp, bulk=True)
    files = 0
    try:
        with store.writing() as writer:

            def put(entries: Entries) -> None:
                nonlocal files
                writer.put_many(
                    entries.paths, entries.stats, entries.sha256, entries.usable, entries.key_headers, entries.totals,
                    entries.unkeyed, entries.facts, entries.findings, entries.key_blobs,
                )  # fmt: skip
                files += len(entries.paths)

            # each chunk's files are written as the chunk arrives, while the workers go on
            _, layout = check_files(found.sources, config, spec, on_entries=put)
            writer.set_meta(_meta(config, layout or _empty_layout(spec), corpus))
            if discovery is None and not folders.linked and not found.findings:
                writer.set_folders({k: _trusted(v, racy_from) for k, v in folders.stats.items()}, [], replace=True)
            else:  # the scans walk the whole corpus
                writer.forget_folders()
        store.finish_bulk()
    finally:
        store.close()
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    with _lock(target, exclusive=True):
        for extra in SQLITE_SIDE_FILES:  # the old index's: never to be applied to the new file
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{target}{extra}")
        os.replace(tmp, target)
        from qa.atomic import fsync_dir

        fsync_dir(target.parent)
    return BuildStats(files, time.perf_counter() - t0, target)


def _remove_leftovers(target: Path) -> list[str]:
    """Remove the temporary files of builds that were killed (no process holds their lock),
    and SQLite's side files of them; return what tells the running builds' files apart
    (their process ids). Names are compared as strings (qa.atomic), never as a glob pattern:
    a corpus named ``news[1]`` or ``a*b`` neither hides its leftovers nor matches another's."""
    try:
        with os.scandir(target.parent) as found:
            names = sorted(e.name for e in found)
    except OSError:
        return []
    running: dict[str, str] = {}  # temporary file -> its middle, for the builds alive
    for name in names:
        base = _without_side_suffix(name)
        middle = temp_middle(base, target.name)
        if middle is None:
            continue
        if base not in running and locks.is_held(target.parent / base):
            running[base] = middle
        if base in running:
            continue  # another build is filling it
        with contextlib.suppress(OSError):
            os.unlink(target.parent / name)
    return list(running.values())


SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")  # what SQLite keeps beside a database file


def _without_side_suffix(name: str) -> str:
    """``name`` less the suffix of one of SQLite's side files (``x.sqlite-wal``: ``x.sqlite``)."""
    for suffix in SQLITE_SIDE_FILES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _empty_layout(spec: StageSpec) -> Layout:
    from qa.stage import Stage
    from qa.tables import TableBuilder

    stage = Stage(spec)
    frames = TableBuilder(stage.schema, stage.extra_columns()).frames()
    return {name: list(df.columns)[2:] for name, df in frames.items()}


# ---------------------------------------------------------------- the stat scan


@dataclass(slots=True)
class Scan:
    """What the stat scan found: files to (re)index, files whose bytes are unchanged but
    whose stat is new, files gone, how many were fresh; and the folders it listed."""

    changed: list[Source] = field(default_factory=list)  # indexed, but changed (or unsure, without hashing)
    added: list[Source] = field(default_factory=list)  # not in the index
    restat: list[tuple[str, Stat | None]] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    fresh: int = 0
    sources: int = 0
    folders: dict[str, Stat | None] = field(default_factory=dict)  # listed now: their stats (None: racy)
    gone_folders: list[str] = field(default_factory=list)
    all_folders: bool | None = None  # True: ``folders`` are all the corpus's (a whole walk); False: keep none
    feed: Feed | None = None  # the change feed this scan answered from (qa/watch.py): acknowledged once applied


def scan(
    store: IndexStore,
    corpus: str | os.PathLike[str],
    config: Config,
    *,
    discovery: Discovery | None = None,
    hash_unsure: bool = True,
    only: Collection[str] | None = None,
    use_feed: bool = True,
) -> Scan:
    """Compare the corpus with the index, stat by stat. A file whose stat differs from the
    recorded one (or has none recorded) is read and hashed when ``hash_unsure``: same bytes,
    only its stat is new. ``only``: look at these paths alone.

    Where a watcher serves the index (``clipqa index watch``, qa/watch.py) and vouches for
    what changed since the index last took its feed in, only those paths are looked at; a
    caller that applies the scan then acknowledges the feed (``Scan.feed``, ``_applied``).
    ``use_feed``: False for a whole stat scan whatever serves the index (``status`` counts
    every file; it writes nothing, not even the feed's cookie).

    Which files the corpus holds: as git's untracked cache does, only the folders whose own
    stat changed since they were last listed are listed again (a file added, removed or
    renamed changes its folder's mtime); the files of the others are the index's, and each
    is stat'ed. Where that cannot be vouched for (a folder reached through a link, a folder
    that cannot be read, no folders kept yet), the whole corpus is walked, as ``discover``
    walks it; so it is with ``discovery`` (the caller walked it)."""
    racy_from = time.time_ns() - int(RACY_SECONDS * 1e9)
    read = ReadOptions(max_file_bytes=config.max_file_size)
    if only is not None:
        return _scan_named(store, corpus, config, only, racy_from, read, hash_unsure)
    feed = changes(Path(store.path), selection(config)) if discovery is None and use_feed else None
    if feed is not None and not feed.full:  # a watcher wrote down what changed: those paths alone
        named = _scan_named(store, corpus, config, feed.names, racy_from, read, hash_unsure)
        named.feed = feed
        return named
    if discovery is None:
        cached = _scan_listed(store, corpus, config, racy_from, read, hash_unsure)
        if cached is not None:
            cached.feed = feed
            return cached
    folders = Folders() if discovery is None else None
    found = discovery or discover([corpus], config.include, config.all_excludes(), folders)
    sources = found.sources
    out = Scan(sources=len(sources))
    if folders is not None:
        usable = not folders.linked and not found.findings
        out.all_folders = usable
        out.folders = {k: _trusted(v, racy_from) for k, v in folders.stats.items()} if usable else {}
    by_path = {s.path: s for s in sources}
    for entry in store.entries():
        source = by_path.pop(entry.path, None)
        if source is None:
            out.removed.append(entry.path)
        else:
            _compare(entry, source, out, read, racy_from, hash_unsure)
    out.added = list(by_path.values())
    out.feed = feed
    return out


def _scan_kind(found: Scan) -> str:
    if found.feed is None:
        return "stat"
    if found.feed.full:
        return f"stat (the change feed cannot vouch: {found.feed.why})"
    return f"change feed ({len(found.feed.names)} path(s))"


def _applied(found: Scan) -> None:
    """The index took ``found`` in: the change feed it came from may forget those changes."""
    if found.feed is not None:
        acknowledge(found.feed)


def _scan_named(
    store: IndexStore,
    corpus: str | os.PathLike[str],
    config: Config,
    names: Collection[str],
    racy_from: int,
    read: ReadOptions,
    hash_unsure: bool,
) -> Scan:
    """:func:`scan` of these corpus paths alone (files just moved in): each is in the corpus
    when it is there, not a folder, and selected as ``discover`` selects files."""
    root = os.fspath(corpus)
    out = Scan()
    present: dict[str, Source] = {}
    for name in names:
        location = os.path.join(root, name)
        if os.path.exists(location) and not os.path.isdir(location) and selected(name, config.include,
                                                                                  config.all_excludes()):  # fmt: skip
            present[name] = Source(name, location)
    stored = store.ids_of(names)
    for name in names:
        source = present.get(name)
        if source is None:
            if name in stored:
                out.removed.append(name)
            continue
        entry = store.entry(name) if name in stored else None
        if entry is None:
            out.added.append(source)
        else:
            _compare(entry, source, out, read, racy_from, hash_unsure)
    out.sources = len(present)
    return out


def _trusted(stat: Stat | None, racy_from: int) -> Stat | None:
    """A stat to keep: not one taken within the timestamps' granularity of a change."""
    return stat if stat is not None and stat[1] < racy_from else None


def _compare(entry: Entry, source: Source, out: Scan, read: ReadOptions, racy_from: int, hash_unsure: bool) -> None:
    """Sort one indexed file that is still in the corpus: fresh, same bytes with a new stat, or changed."""
    _sort(entry, source, file_stat(source), out, read, racy_from, hash_unsure)


def _sort(
    entry: Entry, source: Source, stat: Stat | None, out: Scan, read: ReadOptions, racy_from: int, hash_unsure: bool
) -> None:
    """:func:`_compare` with the file's stat just taken (``file_stat``'s: None for no regular file)."""
    if entry.stat is not None and stat == entry.stat:
        out.fresh += 1
    elif not hash_unsure or entry.sha256 is None:
        out.changed.append(source)
    else:
        raw, _problem, _size = read_bytes(source, read)
        if raw is not None and hashlib.sha256(raw).hexdigest() == entry.sha256:
            out.restat.append((source.path, _trusted(stat, racy_from)))
        else:
            out.changed.append(source)


def _scan_listed(
    store: IndexStore,
    corpus: str | os.PathLike[str],
    config: Config,
    racy_from: int,
    read: ReadOptions,
    hash_unsure: bool,
) -> Scan | None:
    """:func:`scan` listing only the folders that changed; None where only a whole walk can
    say what the corpus holds."""
    known = store.folders()
    if not known:
        return None
    root = os.fspath(corpus)
    excluded, included = file_patterns(config.include, config.all_excludes())
    inside = [os.path.realpath(root)]  # as discover([corpus]) confines links
    out = Scan()
    findings: list[Finding] = []
    listed: dict[str, dict[str, Source]] = {}  # folder -> its files now
    fresh_folders: list[tuple[Path, str]] = []  # folders not known before: walked whole
    for rel_dir, before in known.items():
        path = os.path.join(root, rel_dir) if rel_dir else root
        try:
            st = os.stat(path)
        except OSError:
            out.gone_folders.append(rel_dir)
            continue
        if not stat_module.S_ISDIR(st.st_mode):
            out.gone_folders.append(rel_dir)
            continue
        now = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
        if before is not None and now == before:
            continue
        seen = Folders()
        files, subfolders = list_folder(Path(path), rel_dir, excluded, included, findings, seen, inside=inside)
        if seen.linked or findings:
            return None
        listed[rel_dir] = {s.path: s for s in files}
        out.folders[rel_dir] = _trusted(now, racy_from)
        fresh_folders.extend((p, r) for p, r in subfolders if r not in known)
    for folder_path, rel in fresh_folders:
        walked = Folders()
        new_files = walk_folder(
            folder_path, rel, config.include, config.all_excludes(), findings, walked, inside=inside
        )
        if walked.linked or findings:
            return None
        out.folders.update((k, _trusted(v, racy_from)) for k, v in walked.stats.items())
        for source in new_files.values():  # by folder, as the entries below look them up
            listed.setdefault(source.path.rpartition("/")[0], {})[source.path] = source
    gone = set(out.gone_folders)
    prefix = root if root.endswith(os.sep) else root + os.sep
    is_file, stat_of = stat_module.S_ISREG, os.stat
    try:  # paths relative to the corpus folder, opened once (the kernel resolves less per stat)
        at = os.open(root, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return None
    try:
        return _stat_loop(store, out, at, prefix, gone, listed, is_file, stat_of, read, racy_from, hash_unsure)
    finally:
        os.close(at)


def _stat_loop(
    store: IndexStore,
    out: Scan,
    at: int,
    prefix: str,
    gone: set[str],
    listed: dict[str, dict[str, Source]],
    is_file: Callable[[int], bool],
    stat_of: Callable[..., os.stat_result],
    read: ReadOptions,
    racy_from: int,
    hash_unsure: bool,
) -> Scan | None:
    """The loop of a scan: one row and one stat per indexed file, kept tight (the common case,
    a file whose stat is the recorded one, costs a stat and a comparison)."""
    for raw, size, mtime, ctime, ino in store.stat_rows():
        path = raw.decode("utf-8", "surrogatepass")
        folder = path.rpartition("/")[0]
        if folder in gone:
            out.removed.append(path)
            continue
        now_there = listed.get(folder)
        here: Source | None = None
        if now_there is not None:
            here = now_there.pop(path, None)
            if here is None:
                out.removed.append(path)
                continue
        current: Stat | None = None
        try:
            fst = stat_of(path, dir_fd=at)
            if is_file(fst.st_mode):
                current = (fst.st_size, fst.st_mtime_ns, fst.st_ctime_ns, fst.st_ino)
        except FileNotFoundError:  # gone from a folder whose stat did not change: do not guess
            if here is None:
                return None
        except OSError:
            pass
        recorded = None if size is None else cast(Stat, (size, mtime, ctime, ino))
        if recorded is not None and current == recorded:
            out.fresh += 1
            continue
        entry = store.entry(path)  # the rest of the entry: its content hash
        if entry is not None:  # the stat just taken, not a second one
            _sort(entry, here or Source(path, prefix + path), current, out, read, racy_from, hash_unsure)
    out.added = [s for left in listed.values() for s in left.values()]
    out.sources = out.fresh + len(out.changed) + len(out.restat) + len(out.added)
    return out


def apply_scan(
    store: IndexStore,
    found: Scan,
    config: Config,
    spec: StageSpec,
    known: Mapping[str, FileResult] | None = None,
) -> int:
    """Bring the index in line with what the scan found, in one transaction; ``known``:
    results of files just checked (by path), not checked again. Returns the files re-indexed."""
    known = known or {}
    changed = [*found.changed, *found.added]
    results, _ = check_files([s for s in changed if s.path not in known], config, spec)
    results += [known[s.path] for s in changed if s.path in known]  # the batch's, stored under its path
    if not (
        results or found.restat or found.removed or found.folders or found.gone_folders or found.all_folders is False
    ):
        return 0
    with store.writing() as writer:
        for path in found.removed:
            writer.drop(path)
        for path, stat in found.restat:
            writer.restat(path, stat)
        for r in results:
            writer.put(r.stored())
        # in the same transaction as the files found by listing them (a folder's stat kept
        # without its files would hide them)
        if found.all_folders is False:
            writer.forget_folders()
        else:
            writer.set_folders(found.folders, found.gone_folders, replace=bool(found.all_folders))
    return len(results)


# ---------------------------------------------------------------- gating a batch


@dataclass(slots=True)
class BatchResult:
    """What :func:`gate_batch` found: the findings of the batch (as a full run's, config
    applied, sorted), the run's notices, and how it got there."""

    findings: list[Finding]
    notices: list[str]
    mode: str  # "index", or "full" (a full run: the index could not serve)
    reason: str = ""  # why a full run, or why the index was (re)built
    refreshed: int = 0  # corpus files re-indexed by the stat scan
    closure: dict[str, int] = field(default_factory=dict)  # corpus files each check's hook saw
    results: list[FileResult] = field(default_factory=list)  # the batch's per-file results
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)  # the batch's own tables
    files: int = 0  # corpus files
    usable: int = 0  # corpus files with usable front matter
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase
    scan: str = ""  # how the corpus was compared with the index: "stat", or "change feed" (qa/watch.py)

    def run_result(
        self,
        config: Config,
        roots: list[str],
        started: dt.datetime,
        duration: float = 0.0,
        *,
        findings: list[Finding] | None = None,
        files: int | None = None,
    ) -> RunResult:
        """As a pipeline run's result (the batch's tables; notices with why a full run)."""
        from qa.pipeline import RunResult

        return RunResult(
            findings=self.findings if findings is None else findings,
            tables=self.tables,
            roots=roots,
            files=self.files if files is None else files,
            records=self.usable,
            config=config,
            started=started,
            duration=duration,
            notices=[*self.notices, *([self.reason] if self.reason else [])],
        )


def gate_batch(
    batch: Sequence[Source],
    corpus: str | os.PathLike[str],
    config: Config,
    index: str | os.PathLike[str] | None = None,
    *,
    corpus_prefix: str = "corpus",
    replaces: Collection[str] = (),
    discovery: Discovery | None = None,
    use_index: bool = True,
    want_tables: bool = False,
) -> BatchResult:
    """The findings ``clipqa import`` collects for a batch from a full run over the corpus
    (its files named ``<corpus_prefix>/<path>``) and the batch (named as given in ``batch``,
    e.g. ``incoming/<path>``): every finding whose ``path`` or ``related`` names a batch file,
    the configuration applied, sorted; and what else was learnt. Served by the corpus index
    (built first when missing or built by other code or options; brought up to date by a stat
    scan), else by a full run (``BatchResult.mode``, ``reason``). ``replaces``: corpus paths that the
    batch stands for (``check --changed-since``: the changed files are corpus files; their
    stored entries give way to the batch's fresh results). ``discovery``: the corpus's
    files, when the caller has found them. ``use_index``: False for a full run.
    ``want_tables``: also the batch's tables and the corpus's counts (``check``'s reports)."""
    label = _labeler(corpus_prefix)
    if not use_index:
        return _full_run(batch, corpus, config, label, replaces, discovery, "--no-index")
    if not Path(corpus).is_dir():  # no corpus yet (the first import): nothing to index, nothing to compare with
        return _full_run(batch, corpus, config, label, replaces, discovery, "no corpus folder yet")
    missing = unserved()
    if missing:
        reason = f"the corpus check(s) {', '.join(missing)} declare no join keys (Check.corpus_keys)"
        return _full_run(batch, corpus, config, label, replaces, discovery, reason)
    path = index_path(corpus, config, index)
    try:
        stale = why_not_usable(path, config)
        if stale is not None:
            build(corpus, config, path, discovery=discovery)
        with _lock(path, exclusive=False):
            store = open_store(path)
            try:
                result = _gate(store, batch, corpus, config, label, set(replaces), discovery, want_tables)
            finally:
                store.close()
    except (sqlite3.Error, OSError) as exc:  # a read-only place, a full disk, a damaged file: the index steps aside
        reason = f"the index {path} could not be used ({type(exc).__name__}: {exc}); a full run instead"
        return _full_run(batch, corpus, config, label, replaces, discovery, reason)
    except (_StepAside, BuildRunning) as exc:  # BuildRunning: not waited for (that build may take minutes)
        return _full_run(batch, corpus, config, label, replaces, discovery, f"{exc}; a full run instead")
    result.reason = f"index rebuilt: {stale}" if stale else ""
    return result


def _labeler(prefix: str) -> Any:
    if not prefix:
        return lambda path: path
    return lambda path: f"{prefix}/{path}"


def _layout(store: IndexStore) -> Layout:
    return {str(k): list(v) for k, v in json.loads(store.meta().get("layout", "{}")).items()}


def _gate(
    store: IndexStore,
    batch: Sequence[Source],
    corpus: str | os.PathLike[str],
    config: Config,
    label: Any,
    replaces: set[str],
    discovery: Discovery | None,
    want_tables: bool,
) -> BatchResult:
    from qa.forked import Forked

    clock = _Clock()
    spec = stage_spec(config, [os.fspath(corpus)])
    # The stat scan in a forked child (its own connection to the index), while this process
    # checks the batch: two cores.
    scanning = Forked(lambda: _scan_in_child(store.path, corpus, config, discovery))
    batch_results, layout = check_files(batch, config, spec, keep=True)
    clock.lap("batch")
    found = scanning.result()
    clock.lap("scan (beyond the batch)")
    stored_layout = _layout(store)
    if batch_results and layout != stored_layout:
        raise IndexError_(f"{store.path}: tables laid out otherwise than the index's ({sorted(layout)})")
    layout = stored_layout
    # The batch's files stand for these corpus files (check --changed-since): reuse their
    # results rather than checking them twice.
    known = {r.path: r for r in batch_results if r.path in replaces}
    refreshed = apply_scan(store, found, config, spec, known)
    _applied(found)
    clock.lap("re-index")
    unkeyed = [(r.path, r.unkeyed) for r in batch_results if r.unkeyed] + store.unkeyed()
    if unkeyed:  # a file's keys are unknown: no closure can be vouched for
        path, why = unkeyed[0]
        raise _StepAside(f"the join keys of {path} could not be derived ({why})")
    batch_labels = {r.path for r in batch_results}
    findings: list[Finding] = [f for r in batch_results for f in r.findings]
    notices: list[str] = []
    closure_sizes: dict[str, int] = {}
    stored_by_id: dict[int, StoredFile] = {}
    closures: dict[str, set[int]] = {}
    replaced_ids = set(store.ids_of(replaces).values()) if replaces else set()
    checks = corpus_checks()
    for check in checks:
        closures[check.name] = _closure(store, check, batch_results, replaced_ids)
    wanted = set().union(*closures.values()) if closures else set()
    for stored in store.load(wanted):
        stored_by_id[stored.id] = stored
    clock.lap("closure")
    rows_of: dict[str, Rows] = {}
    sources: dict[str, Source] = {}
    for stored in stored_by_id.values():
        name = label(stored.path)
        sources[name] = Source(name, os.path.join(os.fspath(corpus), stored.path))
        if stored.facts is not None:
            rows_of[name] = decode_rows(stored.facts)
    rows_of.update(_derived_again([s for s in sources.values() if s.path not in rows_of], config, spec))
    for r in batch_results:
        assert r.rows is not None and r.source is not None
        rows_of[r.path] = r.rows
        sources[r.path] = r.source
    from qa.pipeline import run_corpus_check
    from qa.stage import FieldLocator, locate_later

    locate = FieldLocator(sources, spec.read)
    kept: list[Finding] = []
    # One set of tables for every hook: the batch and the union of the closures. A check sees
    # more than its own closure, which is safe: a row that shares no key of this check with
    # the batch can only add findings that name no batch file (dropped below).
    tables = build_tables(list(rows_of.items()), layout)
    for check in checks:
        closure_sizes[check.name] = len(closures[check.name])
        run = dict(spec.run)
        if check.corpus_keys is not None and check.corpus_keys.totals is not None:
            run["totals"] = _totals(store, check.name, batch_results, replaces, label)
        found_here, notes = run_corpus_check(check, tables, config, run, locate)
        notices.extend(notes)
        kept.extend(f for f in found_here if _names_any(f, batch_labels))
    locate_later(kept, sources, spec.read)
    findings.extend(kept)
    findings = config.apply(findings)
    findings.sort(key=Finding.sort_key)
    files, usable = store.counts() if want_tables else (0, 0)
    clock.lap("corpus checks")
    return BatchResult(
        findings=findings,
        notices=notices,
        mode="index",
        refreshed=refreshed,
        scan=_scan_kind(found),
        closure=closure_sizes,
        results=batch_results,
        tables=build_tables([(r.path, r.rows or {}) for r in batch_results], layout) if want_tables else {},
        files=files,
        usable=usable,
        timings=clock.laps,
    )


def _names_any(f: Finding, paths: set[str]) -> bool:
    """Whether a finding concerns the batch: it names a batch file (as its path or among its
    related), or a corpus check failed (P900 at "."): the batch was not checked in full."""
    return f.path in paths or not paths.isdisjoint(f.related) or (f.rule == "P900" and f.path == ".")


class _StepAside(Exception):  # not an error: the index cannot vouch, a full run answers
    """The index cannot answer for this batch: a full run does."""


def _derived_again(sources: Sequence[Source], config: Config, spec: StageSpec) -> dict[str, Rows]:
    """The rows of corpus files whose rows the index does not keep (a value of a type it
    cannot encode exactly): the per-file stage runs on them again."""
    if not sources:
        return {}
    results, _ = check_files(sources, config, spec, keep=True)
    return {r.path: r.rows or {} for r in results}


class _Clock:
    """Seconds spent in each phase (reported by ``clipqa index gate-dry-run``)."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self.last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(now - self.last, 4)
        self.last = now


def _scan_in_child(path: Path, corpus: str | os.PathLike[str], config: Config, discovery: Discovery | None) -> Scan:
    store = open_store(path, readonly=True)
    try:
        return scan(store, corpus, config, discovery=discovery)
    finally:
        store.close()


def _closure(store: IndexStore, check: Check, batch: Sequence[FileResult], replaced: set[int]) -> set[int]:
    """The corpus files (ids) whose rows can change ``check``'s findings about the batch."""
    ck = check.corpus_keys
    assert ck is not None
    frontier = {int(h) for r in batch for h in r.probes.get(check.name, ())}
    seen_keys = set(frontier)
    found: set[int] = set()
    while frontier:
        new = store.find(frontier) - found - replaced
        found |= new
        if not ck.transitive or not new:
            break
        keys = store.keys_of(new, check.name)
        frontier = {h for ks in keys.values() for h in ks} - seen_keys
        seen_keys |= frontier
    return found


def _totals(
    store: IndexStore, check: str, batch: Sequence[FileResult], replaces: Collection[str], label: Any
) -> dict[str, Any]:
    """A check's totals over the corpus (less the files the batch replaces) and the batch:
    sums, and for flags the first file (named as the run names it) in path order."""
    out = {name: label(v) if isinstance(v, str) else v for name, v in store.totals(check, excluding=replaces).items()}
    for r in batch:
        for name, value in r.totals.get(check, {}).items():
            if isinstance(value, bool):
                first = out.get(name)
                out[name] = r.path if value and (first is None or r.path < first) else first
            else:
                out[name] = int(out.get(name) or 0) + value
    return out


def _full_run(
    batch: Sequence[Source],
    corpus: str | os.PathLike[str],
    config: Config,
    label: Any,
    replaces: Collection[str],
    discovery: Discovery | None,
    reason: str,
) -> BatchResult:
    """What gate.plan does today: one pipeline run over corpus and batch, no cache."""
    from qa.pipeline import run

    found = discovery or (
        discover([corpus], config.include, config.all_excludes()) if Path(corpus).is_dir() else Discovery([], [], [])
    )
    names = {s.path for s in batch}
    corpus_sources = [Source(label(s.path), s.location) for s in found.sources if s.path not in replaces]
    sources = sorted([*(s for s in corpus_sources if s.path not in names), *batch], key=lambda s: s.path)
    result = run([os.fspath(corpus)], config, discovery=Discovery(sources, [], []))
    findings = [f for f in result.findings if _names_any(f, names)]
    files = result.tables.get("files")
    keep = files is not None and len(files) and files["_path"].isin(names).any()
    tables = {n: df[df["_path"].isin(names)].reset_index(drop=True) for n, df in result.tables.items()} if keep else {}
    return BatchResult(
        findings=findings,
        notices=result.notices,
        mode="full",
        reason=reason,
        tables=tables,
        files=len(found.sources),
        usable=result.records,
    )


# ---------------------------------------------------------------- after files are moved in


@dataclass(slots=True)
class RefreshStats:
    scanned: int
    fresh: int
    reindexed: int
    restat: int
    removed: int
    rebuilt: str | None = None


def refresh(
    corpus: str | os.PathLike[str],
    config: Config,
    index: str | os.PathLike[str] | None = None,
    *,
    names: Collection[str] | None = None,
) -> RefreshStats:
    """Bring the index in line with the corpus: every file (a stat scan), or only ``names``
    (corpus-relative paths, e.g. the files an import has just moved in: what it calls after
    the moves, before it removes its journal). A missing index, or one built by other code
    or options, is built from scratch instead. Idempotent; killed at any moment, the index
    holds what it held before or after (one transaction), and the next scan catches up."""
    path = index_path(corpus, config, index)
    reason = why_not_usable(path, config)
    if reason is not None:
        built = build(corpus, config, path)
        return RefreshStats(built.files, 0, built.files, 0, 0, rebuilt=reason)
    with _lock(path, exclusive=False):
        store = open_store(path)
        try:
            found = scan(store, corpus, config, only=set(names) if names is not None else None)
            reindexed = apply_scan(store, found, config, stage_spec(config, [os.fspath(corpus)]))
            _applied(found)
        finally:
            store.close()
    return RefreshStats(found.sources, found.fresh, reindexed, len(found.restat), len(found.removed))


# ---------------------------------------------------------------- check --changed-since


def check_changed(
    root: str,
    found: Discovery,
    only: set[str],
    config: Config,
    index: str | os.PathLike[str] | None = None,
) -> RunResult:
    """``clipqa check ROOT --changed-since REF`` served by the index: the per-file stage on the
    changed files only, the corpus checks on them and their closure. The findings are those
    of a full run limited to the changed files (as ``--changed-since`` limits them); the
    tables hold the changed files' rows."""
    started = dt.datetime.now(dt.UTC)
    t0 = time.perf_counter()
    batch = [s for s in found.sources if s.path in only]
    result = gate_batch(batch, root, config, index, corpus_prefix="", replaces=only, discovery=found, want_tables=True)
    findings = config.apply([f for f in found.findings if f.path in only]) + result.findings
    findings.sort(key=Finding.sort_key)
    return result.run_result(
        config, [root], started, time.perf_counter() - t0, findings=findings, files=len(found.sources)
    )


# ---------------------------------------------------------------- status, verify, export


@dataclass(slots=True)
class Status:
    path: Path
    state: str  # "ok", or why the index would be rebuilt ("missing", ...)
    files: int = 0  # entries in the index
    fresh: int = 0
    stale: int = 0
    missing: int = 0
    orphaned: int = 0
    unkeyed: list[tuple[str, str]] = field(default_factory=list)  # files whose keys failed: the gate runs in full

    def to_dict(self) -> dict[str, Any]:
        return {k: str(v) if isinstance(v, Path) else v for k, v in dataclasses.asdict(self).items()}


def status(corpus: str | os.PathLike[str], config: Config, index: str | os.PathLike[str] | None = None) -> Status:
    """How many entries are fresh (their file's stat is the recorded one), stale (changed, or
    to be confirmed by their bytes), missing (files not in the index) or orphaned (entries
    whose file is gone). Reads only: nothing is hashed or written."""
    path = index_path(corpus, config, index)
    state = why_not_usable(path, config) or "ok"
    if state == "missing" or state.startswith("unreadable"):
        return Status(path, state)
    with _lock(path, exclusive=False):
        store = open_store(path, readonly=True)
        try:
            found = scan(store, corpus, config, hash_unsure=False, use_feed=False)
            entries = store.counts()[0]
            unkeyed = store.unkeyed()
        finally:
            store.close()
    return Status(
        path,
        state,
        files=entries,
        fresh=found.fresh,
        stale=len(found.changed),
        missing=len(found.added),
        orphaned=len(found.removed),
        unkeyed=unkeyed,
    )


@dataclass(slots=True)
class Verification:
    """What :func:`verify` found: every difference between the index and the corpus."""

    path: Path
    state: str
    files: int = 0
    differences: dict[str, list[str]] = field(default_factory=dict)  # kind -> paths (or details)

    @property
    def ok(self) -> bool:
        return self.state == "ok" and not any(self.differences.values())

    def add(self, kind: str, what: str) -> None:
        self.differences.setdefault(kind, []).append(what)

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": str(self.path),
            "state": self.state,
            "files": self.files,
            "ok": self.ok,
            "differences": {k: len(v) for k, v in self.differences.items()},
            "examples": {k: v[:20] for k, v in self.differences.items()},
        }


def _volatile_rules() -> set[str]:
    """Rules whose answer depends on the moment of the run, not on the file alone."""
    from qa.budget import P130
    from qa.rules import P131

    return {r.code for c in all_checks().values() for r in c.clock_rules} | {P130.code, P131.code}


def _comparable(raw: bytes, volatile: set[str]) -> list[Any]:
    return [row for row in _load(raw) if row[0] not in volatile]


def verify(corpus: str | os.PathLike[str], config: Config, index: str | os.PathLike[str] | None = None) -> Verification:
    """Derive everything again from the corpus (a full per-file stage) and compare with the
    index, entry by entry: rows, findings (less those that depend on the clock), keys,
    totals, content hash; then the key table and the summed totals against the entries; and
    which entries are stale, missing or orphaned. Writes nothing."""
    path = index_path(corpus, config, index)
    state = why_not_usable(path, config) or "ok"
    out = Verification(path, state)
    if state != "ok":
        return out
    volatile = _volatile_rules()
    found = discover([corpus], config.include, config.all_excludes())
    spec = stage_spec(config, [os.fspath(corpus)])
    with _lock(path, exclusive=False):
        store = open_store(path, readonly=True)
        try:
            seen = scan(
                store, corpus, config, discovery=found
            )  # an unconfirmed stat with the same bytes is no difference
            out.files = store.counts()[0]
            for s in seen.changed:
                out.add("stale", s.path)
            for s in seen.added:
                out.add("missing", s.path)
            for p in seen.removed:
                out.add("orphaned", p)

            def compare(r: FileResult) -> None:
                stored = store.get(r.path)
                if stored is None:
                    return  # missing: counted above
                if stored.sha256 is None or r.sha256 is None:
                    return  # no bytes read (too large, unreadable) or incomplete: nothing to compare
                if stored.sha256 != r.sha256:
                    if r.path not in {s.path for s in seen.changed}:
                        out.add("content", r.path)
                    return
                for kind, a, b in (
                    ("rows", stored.facts, r.facts),
                    ("keys", (stored.key_header, stored.key_blob), (r.key_header, r.key_blob)),
                    ("totals", stored.totals, r.totals),
                    ("usable", stored.usable, r.usable),
                    ("unkeyed", stored.unkeyed, r.unkeyed),
                    ("findings", _comparable(stored.findings, volatile), _comparable(r.findings_blob, volatile)),
                ):
                    if a != b:
                        out.add(kind, r.path)

            def compare_all(entries: Entries) -> None:
                for r in entries.results():
                    compare(r)

            check_files(found.sources, config, spec, on_entries=compare_all)
            # the store's own bookkeeping against its entries: summed totals, flags, key rows
            sums, firsts = store.totals_of_entries()
            kept = store.sums()
            for key in sorted(set(sums) | set(kept)):
                if sums.get(key, 0) != kept.get(key, 0):
                    out.add("sums", f"{key[0]}.{key[1]}: kept {kept.get(key, 0)}, entries {sums.get(key, 0)}")
            if store.firsts() != firsts:
                out.add("firsts", f"kept {store.firsts()}, entries {firsts}")
            for problem in store.check_keys():
                out.add("key table", problem)
        finally:
            store.close()
    return out


# ---------------------------------------------------------------- Parquet


def export_parquet(
    corpus: str | os.PathLike[str],
    config: Config,
    out_dir: str | os.PathLike[str],
    index: str | os.PathLike[str] | None = None,
    *,
    batch_files: int = 20_000,
) -> dict[str, int]:
    """Write the index as Parquet files in ``out_dir`` (rows written per table):

    * one file per table of a run (``files``, ``clippings``, ``related``, ``images``,
      ``clippings.topics``...), with ``_record`` (the file's place in path order) and
      ``_path`` (corpus-relative): the tables a full run's corpus checks see;
    * ``index.parquet``: per file its stat, content hash and whether its front matter is usable;
    * ``findings.parquet``: the per-file stage's findings;
    * ``keys.parquet``: (path, check, key hash): files that share a hash share a join key.

    A column whose values all have one simple type gets it (string, int64, bool, double,
    binary); any other column holds each value as JSON (datetimes, lists, mixed values;
    named in the file's ``clipqa.json_columns`` metadata; :func:`read_parquet` reads them
    back as the values). Memory stays bounded: files are read ``batch_files`` at a time."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = index_path(corpus, config, index)
    state = why_not_usable(path, config)
    if state is not None:
        raise IndexError_(f"{path}: cannot export: {state}; run `clipqa index build` first")
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    with _lock(path, exclusive=False):
        store = open_store(path, readonly=True)
        try:
            layout = _layout(store)
            kinds: dict[str, list[set[type]]] = {name: [set() for _ in cols] for name, cols in layout.items()}
            # the rows of files whose rows the index does not keep, derived again (few, if any)
            spec = stage_spec(config, [os.fspath(corpus)])
            missing = [
                Source(f.path, os.path.join(os.fspath(corpus), f.path)) for f in store.scan_all() if f.facts is None
            ]
            again = _derived_again(missing, config, spec)

            def rows_of(stored: StoredFile) -> Rows:
                return decode_rows(stored.facts) if stored.facts is not None else again.get(stored.path, {})

            for stored in store.scan_all():  # first pass: each column's types
                for name, rows in rows_of(stored).items():
                    for row in rows:
                        for i, v in enumerate(row):
                            kind = type(v)
                            kinds[name][i].add(_BigInt if kind is int and not -(2**63) <= v < 2**63 else kind)
            schemas = {name: _arrow_schema(cols, kinds[name]) for name, cols in layout.items()}
            writers = {name: pq.ParquetWriter(folder / f"{name}.parquet", schema) for name, schema in schemas.items()}
            extra = {
                "index": pa.schema([("_path", pa.large_string()), ("size", pa.int64()), ("mtime_ns", pa.int64()),
                                    ("sha256", pa.large_string()), ("usable", pa.bool_())]),
                "findings": pa.schema([("_path", pa.large_string()), ("rule", pa.large_string()),
                                       ("check", pa.large_string()), ("severity", pa.large_string()),
                                       ("field", pa.large_string()), ("line", pa.int64()), ("column", pa.int64()),
                                       ("message", pa.large_string()), ("evidence", pa.large_string()),
                                       ("fix", pa.large_string()), ("related", pa.list_(pa.large_string()))]),
                "keys": pa.schema([("_path", pa.large_string()), ("check", pa.large_string()), ("key", pa.int64())]),
            }  # fmt: skip
            for name, schema in extra.items():
                writers[name] = pq.ParquetWriter(folder / f"{name}.parquet", schema)
            counts = dict.fromkeys(writers, 0)
            batch: list[StoredFile] = []
            record = 0

            def flush() -> None:
                nonlocal record
                _write_batch(batch, record, layout, schemas, extra, writers, counts, rows_of)
                record += len(batch)
                batch.clear()

            for stored in store.scan_all():
                batch.append(stored)
                if len(batch) >= batch_files:
                    flush()
            flush()
            for writer in writers.values():
                writer.close()
        finally:
            store.close()
    return counts


class _BigInt:
    """An int beyond 64 bits (a column holding one is written as JSON)."""


def _arrow_type(kinds: set[type]) -> Any:
    import pyarrow as pa

    simple = kinds - {NoneType}
    if simple <= {str}:
        return pa.large_string(), False
    if simple == {bool}:
        return pa.bool_(), False
    if simple == {int}:
        return pa.int64(), False
    if simple == {float}:
        return pa.float64(), False
    if simple <= {bytes, bytearray}:
        return pa.large_binary(), False
    return pa.large_string(), True


def _arrow_schema(columns: list[str], kinds: list[set[type]]) -> Any:
    import pyarrow as pa

    fields = [pa.field("_record", pa.int64()), pa.field("_path", pa.large_string())]
    json_columns = []
    for column, k in zip(columns, kinds, strict=True):
        kind, as_json = _arrow_type(k)
        fields.append(pa.field(column, kind))
        if as_json:
            json_columns.append(column)
    return pa.schema(fields, metadata={"clipqa.json_columns": json.dumps(json_columns)})


def _write_batch(
    batch: list[StoredFile],
    first_record: int,
    layout: Layout,
    schemas: Mapping[str, Any],
    extra: Mapping[str, Any],
    writers: Mapping[str, Any],
    counts: dict[str, int],
    rows_of: Callable[[StoredFile], Rows],
) -> None:
    import pyarrow as pa

    if not batch:
        return
    per_table: dict[str, list[tuple[int, str, tuple[Any, ...]]]] = {name: [] for name in layout}
    index_rows: list[tuple[Any, ...]] = []
    finding_rows: list[tuple[Any, ...]] = []
    key_rows: list[tuple[Any, ...]] = []
    for offset, stored in enumerate(batch):
        record = first_record + offset
        for name, rows in rows_of(stored).items():
            per_table[name].extend((record, stored.path, row) for row in rows)
        size, mtime = (stored.stat[0], stored.stat[1]) if stored.stat is not None else (None, None)
        index_rows.append((stored.path, size, mtime, stored.sha256, stored.usable))
        for f in decode_findings(stored.findings):
            finding_rows.append(
                (stored.path, f.rule, f.check, f.severity, f.field, f.line, f.column, f.message, f.evidence,
                 None if f.fix is None else json.dumps(f.fix.to_dict(), ensure_ascii=False),  # as in JSON reports
                 list(f.related))
            )  # fmt: skip
        for check, hashes in stored.keys.items():
            key_rows.extend((stored.path, check, h) for h in hashes)
    for name, rows in per_table.items():
        schema = schemas[name]
        json_columns = set(json.loads(schema.metadata[b"clipqa.json_columns"]))
        arrays = [pa.array([r[0] for r in rows], pa.int64()), pa.array([r[1] for r in rows], pa.large_string())]
        for i, column in enumerate(layout[name]):
            values = [r[2][i] for r in rows]
            if column in json_columns:
                values = [None if v is None else json.dumps(_tag(v), ensure_ascii=False) for v in values]
            arrays.append(pa.array(values, schema.field(column).type))
        writers[name].write_table(pa.Table.from_arrays(arrays, schema=schema))
        counts[name] += len(rows)
    for name, rows in (("index", index_rows), ("findings", finding_rows), ("keys", key_rows)):
        schema = extra[name]
        columns: list[Sequence[Any]] = list(zip(*rows, strict=True)) if rows else [() for _ in schema]
        table = pa.Table.from_arrays([pa.array(list(c), f.type) for c, f in zip(columns, schema, strict=True)],
                                     schema=schema)  # fmt: skip
        writers[name].write_table(table)
        counts[name] += len(rows)


def read_parquet(folder: str | os.PathLike[str], table: str) -> pd.DataFrame:
    """One table of :func:`export_parquet` with its JSON columns read back as the values."""
    import pyarrow.parquet as pq

    data = pq.read_table(Path(folder) / f"{table}.parquet")
    json_columns = json.loads((data.schema.metadata or {}).get(b"clipqa.json_columns", b"[]"))
    df: pd.DataFrame = data.to_pandas(types_mapper=_types)
    for column in json_columns:
        df[column] = pd.Series(
            [_untag(json.loads(v)) if isinstance(v, str) else None for v in df[column].tolist()],
            index=df.index,
            dtype=object,
        )
    return df


def _types(kind: Any) -> Any:
    import pyarrow as pa

    if pa.types.is_large_string(kind) or pa.types.is_string(kind):
        return pd.StringDtype("pyarrow")
    if pa.types.is_int64(kind):
        return pd.Int64Dtype()
    if pa.types.is_boolean(kind):
        return pd.BooleanDtype()
    return None
