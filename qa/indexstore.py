"""Where the corpus index lives: one small interface (:class:`IndexStore`), SQLite behind it.

:mod:`qa.index` decides what to keep and when; a store only keeps it. A store holds,
per corpus file: its path (relative to the corpus, POSIX), the stat it had when it was
indexed (``None``: not trusted, hash the file next time), the hash of the content its
facts were derived from (``None``: the facts are incomplete, derive them again), whether
its front matter was usable, its facts (the per-file stage's table rows, encoded by
:mod:`qa.index`), its findings, its join-key hashes per check and its per-file totals
per check. Beside them: the key hashes with an index for lookups, the totals summed
over every file (and, for flags, the first path in path order that has one), and a
few meta values (what built the index).

:class:`SqliteStore` is the default: the standard library's ``sqlite3``, WAL mode, one
file. Every change is a transaction (:meth:`SqliteStore.writing`): a store killed at
any moment (SIGKILL included) holds what it held before the transaction or after it,
never half of one. A store on a database server would implement the same methods.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import orjson

SCHEMA_VERSION = 3  # 3: findings keep their fix (applicability, edits)
Stat = tuple[int, int, int, int]  # size, mtime_ns, ctime_ns, inode (as qa.cache keeps it)
Totals = dict[str, dict[str, int | bool]]  # check -> total name -> a file's value


@dataclass(slots=True)
class Entry:
    """What the stat scan compares: a stored file's path, stat and content hash."""

    id: int
    path: str
    stat: Stat | None
    sha256: str | None


@dataclass(slots=True)
class StoredFile:
    """Everything kept for one corpus file."""

    path: str
    stat: Stat | None
    sha256: str | None  # of the content the facts come from; None: facts incomplete
    usable: bool
    facts: bytes | None  # the file's table rows (qa.index encodes them)
    findings: bytes  # the per-file stage's findings (qa.index encodes them)
    key_header: str = ""  # the key hashes per check: "check=count;..." (see pack_keys)
    key_blob: bytes = b""  # their int64 hashes, one check after another, each check's sorted
    totals: Totals = field(default_factory=dict)
    unkeyed: str | None = None  # why its join keys could not be derived
    id: int = 0

    @property
    def keys(self) -> dict[str, np.ndarray]:
        return unpack_keys(self.key_header, self.key_blob)


class IndexStore(Protocol):
    """The operations :mod:`qa.index` needs (a store on a database server would give these).
    Paths are corpus-relative POSIX strings; file ids are the store's own."""

    path: Path  # where the store is (another process opens its own connection there)

    def meta(self) -> dict[str, str]: ...

    def entries(self) -> Iterator[Entry]:
        """Every stored file, in path order (code point order)."""
        ...

    def find(self, hashes: Collection[int]) -> set[int]:
        """The ids of the files holding any of these key hashes."""
        ...

    def entry(self, path: str) -> Entry | None: ...

    def stat_rows(self) -> Iterator[tuple[bytes, int | None, int | None, int | None, int | None]]:
        """(path as UTF-8 bytes, size, mtime_ns, ctime_ns, inode) of every stored file, in no
        particular order: what the scan's loop reads, as light as can be."""
        ...

    def folders(self) -> dict[str, Stat | None] | None:
        """The corpus's folders, each with its stat when it was last listed (None: list it);
        None when the index keeps no folders (a folder reached through a link)."""
        ...

    def keys_of(self, ids: Collection[int], check: str) -> dict[int, list[int]]: ...

    def load(self, ids: Collection[int]) -> list[StoredFile]: ...

    def ids_of(self, paths: Collection[str]) -> dict[str, int]: ...

    def totals(self, check: str, excluding: Collection[str] = ()) -> dict[str, Any]:
        """A check's totals over every stored file but ``excluding``: sums, and for flags the
        first path (or None)."""
        ...

    def counts(self) -> tuple[int, int]:
        """(files, files with usable front matter)."""
        ...

    def unkeyed(self) -> list[tuple[str, str]]:
        """(path, why) of files whose join keys could not be derived (the first few)."""
        ...

    def get(self, path: str) -> StoredFile | None: ...

    def scan_all(self) -> Iterator[StoredFile]:
        """Every stored file with all it holds, in path order."""
        ...

    # the store's own bookkeeping, for verify: what it keeps summed, and what its entries say
    def sums(self) -> dict[tuple[str, str], int]: ...

    def firsts(self) -> dict[tuple[str, str], str]: ...

    def totals_of_entries(self) -> tuple[dict[tuple[str, str], int], dict[tuple[str, str], str]]: ...

    def check_keys(self) -> list[str]: ...

    def writing(self) -> contextlib.AbstractContextManager[Writer]: ...

    def close(self) -> None: ...


class Writer(Protocol):
    def put(self, file: StoredFile) -> None:
        """Add a file, or replace the file of that path (keys and totals with it)."""
        ...

    def drop(self, path: str) -> None: ...

    def restat(self, path: str, stat: Stat | None) -> None: ...

    def set_folders(self, stats: Mapping[str, Stat | None], gone: Collection[str], *, replace: bool = False) -> None:
        """Record folders as listed (their stats), forget ``gone`` ones; ``replace``: these are all."""
        ...

    def forget_folders(self) -> None:
        """Keep no folders: the next scans walk the whole corpus."""
        ...

    def set_meta(self, values: Mapping[str, str]) -> None: ...


def encode_path(path: str) -> bytes:
    """Paths are kept as UTF-8 bytes (lone surrogates of undecodable names included), so
    that SQLite's order (memcmp) is Python's order (code points)."""
    return path.encode("utf-8", "surrogatepass")


def decode_path(raw: bytes) -> str:
    return bytes(raw).decode("utf-8", "surrogatepass")


def pack_keys(keys: Mapping[str, np.ndarray]) -> tuple[str, bytes]:
    """A file's key hashes as ("check=count;...", the int64 hashes one check after another)."""
    names = sorted(keys)
    header = ";".join(f"{name}={len(keys[name])}" for name in names)
    return header, b"".join(np.asarray(keys[name], dtype="<i8").tobytes() for name in names)


def unpack_keys(header: str, blob: bytes) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    hashes = np.frombuffer(blob, dtype="<i8")
    at = 0
    for part in filter(None, header.split(";")):
        name, count = part.rsplit("=", 1)
        out[name] = hashes[at : at + int(count)].astype(np.int64)
        at += int(count)
    return out


def _all_keys(blob: bytes) -> np.ndarray:
    """Every key hash of a file, once."""
    return np.unique(np.frombuffer(blob, dtype="<i8").astype(np.int64))


_NO_KEYS = np.empty(0, dtype=np.int64)
# a stored file: its narrow row (what a scan reads) and its contents (the large values), by id
_SELECT = (
    "SELECT f.id, f.path, f.size, f.mtime_ns, f.ctime_ns, f.ino, f.sha256, f.usable, c.facts, c.findings, f.keys, "
    "c.key_hashes, f.totals, f.unkeyed FROM files f JOIN contents c ON c.id = f.id"
)


_TABLES = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    id INTEGER PRIMARY KEY,
    path BLOB NOT NULL UNIQUE,
    size INTEGER, mtime_ns INTEGER, ctime_ns INTEGER, ino INTEGER,
    sha256 TEXT,
    usable INTEGER NOT NULL,
    keys TEXT NOT NULL,
    totals TEXT NOT NULL,
    unkeyed TEXT
);
-- the large values apart: a scan reads every row of files, ~60 bytes each, not these
CREATE TABLE IF NOT EXISTS contents (id INTEGER PRIMARY KEY, facts BLOB, findings BLOB NOT NULL,
                                     key_hashes BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS files_unkeyed ON files (id) WHERE unkeyed IS NOT NULL;
CREATE TABLE IF NOT EXISTS keys (k INTEGER NOT NULL, file INTEGER NOT NULL, PRIMARY KEY (k, file)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS folders (path BLOB PRIMARY KEY, size INTEGER, mtime_ns INTEGER, ctime_ns INTEGER,
                                    ino INTEGER) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sums (check_name TEXT NOT NULL, name TEXT NOT NULL, value INTEGER NOT NULL,
                                 PRIMARY KEY (check_name, name)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS firsts (check_name TEXT NOT NULL, name TEXT NOT NULL, path BLOB NOT NULL,
                                   PRIMARY KEY (check_name, name, path)) WITHOUT ROWID;
"""
_MANY = 500  # parameters per IN (...) query
# A build's key rows are written bucket by bucket, a bucket being the keys whose hash starts with
# the same 4 bits, once it holds 20,000 rows (16 x 20,000 rows of 16 bytes: ~5 MiB waiting at
# most). Written batch by batch instead, each batch's sorted rows land all over the keys b-tree;
# at a million files (12 million rows) the tree outgrows the page cache and those inserts took
# twice as long (21.5 s against 11.4 s for the same rows, docs/gate.md). A bucket's rows land in
# one stretch of the tree, which the cache holds. Larger buckets write faster still (50,000 rows:
# 10.3 s) but leave more for the end, when the workers are done and nothing else runs (100,000
# files: 0.15 s more of such a tail).
_KEY_BUCKET_BITS = 4
_KEY_BUCKETS = 1 << _KEY_BUCKET_BITS
_KEY_BUCKET_ROWS = 20_000


def _chunks(values: Sequence[Any], size: int = _MANY) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


class SqliteStore:
    """The index in one SQLite file (WAL mode). ``bulk``: a new file being filled by one
    build, not yet in place (no journal, no sync: :func:`qa.index.build` renames it into
    place only once it is complete and synced)."""

    def __init__(self, path: str | os.PathLike[str], *, bulk: bool = False, readonly: bool = False) -> None:
        self.path = Path(path)
        self.bulk = bulk
        if readonly:
            uri = self.path.resolve().as_uri() + "?mode=ro"
            self.db = sqlite3.connect(uri, uri=True, timeout=60, isolation_level=None, check_same_thread=False)
        else:
            self.db = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA busy_timeout = 60000")
        if bulk:
            # a new file: pages of 16 KiB hold a file's facts (~2.2 KB) and key rows with less
            # overhead than 4 KiB ones (100,000 files: 375 -> 324 MB, the parent ~0.2 s less CPU)
            self.db.execute("PRAGMA page_size = 16384")
            self.db.execute("PRAGMA journal_mode = OFF")
            self.db.execute("PRAGMA synchronous = OFF")
            self.db.execute("PRAGMA cache_size = -262144")  # 256 MiB: the key b-tree grows in memory
        elif not readonly:
            self.db.execute("PRAGMA journal_mode = WAL")
            # In WAL mode NORMAL is safe from corruption at any crash; a power loss may undo the
            # last transactions, which the next stat scan re-derives (the index is derived data).
            self.db.execute("PRAGMA synchronous = NORMAL")
        if not readonly:
            self.db.executescript(_TABLES)

    # ------------------------------------------------------------ reading

    def meta(self) -> dict[str, str]:
        try:
            return {str(k): str(v) for k, v in self.db.execute("SELECT key, value FROM meta")}
        except sqlite3.OperationalError:  # no such table: an empty (or foreign) database
            return {}

    def entries(self) -> Iterator[Entry]:
        cursor = self.db.execute("SELECT id, path, size, mtime_ns, ctime_ns, ino, sha256 FROM files ORDER BY path")
        for ident, path, size, mtime, ctime, ino, sha in cursor:
            stat = None if size is None else (size, mtime, ctime, ino)
            yield Entry(ident, decode_path(path), stat, sha)

    def stat_rows(self) -> Iterator[tuple[bytes, int | None, int | None, int | None, int | None]]:
        return iter(self.db.execute("SELECT path, size, mtime_ns, ctime_ns, ino FROM files"))

    def entry(self, path: str) -> Entry | None:
        row = self.db.execute(
            "SELECT id, path, size, mtime_ns, ctime_ns, ino, sha256 FROM files WHERE path = ?", (encode_path(path),)
        ).fetchone()
        if row is None:
            return None
        ident, raw, size, mtime, ctime, ino, sha = row
        return Entry(ident, decode_path(raw), None if size is None else (size, mtime, ctime, ino), sha)

    def folders(self) -> dict[str, Stat | None] | None:
        if self.meta().get("folders") != "1":
            return None
        rows = self.db.execute("SELECT path, size, mtime_ns, ctime_ns, ino FROM folders")
        return {decode_path(p): None if size is None else (size, m, c, i) for p, size, m, c, i in rows}

    def find(self, hashes: Collection[int]) -> set[int]:
        found: set[int] = set()
        for part in _chunks(sorted(set(hashes))):
            marks = ",".join("?" * len(part))
            found.update(r[0] for r in self.db.execute(f"SELECT file FROM keys WHERE k IN ({marks})", tuple(part)))
        return found

    def keys_of(self, ids: Collection[int], check: str) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {}
        for part in _chunks(sorted(ids)):
            marks = ",".join("?" * len(part))
            query = (
                f"SELECT f.id, f.keys, c.key_hashes FROM files f JOIN contents c ON c.id = f.id WHERE f.id IN ({marks})"
            )
            for ident, header, blob in self.db.execute(query, tuple(part)):
                out[int(ident)] = unpack_keys(header, blob).get(check, _NO_KEYS).tolist()
        return out

    def load(self, ids: Collection[int]) -> list[StoredFile]:
        out: list[StoredFile] = []
        for part in _chunks(sorted(ids)):
            marks = ",".join("?" * len(part))
            out.extend(map(_stored, self.db.execute(f"{_SELECT} WHERE f.id IN ({marks})", tuple(part))))
        return out

    def get(self, path: str) -> StoredFile | None:
        row = self.db.execute(f"{_SELECT} WHERE f.path = ?", (encode_path(path),)).fetchone()
        return None if row is None else _stored(row)

    def check_keys(self) -> list[str]:
        """Where the key table disagrees with the files' own keys (it should hold exactly
        one row per (key, file) of every file's keys)."""
        problems: list[str] = []
        expected = self.db.execute(
            "SELECT f.id, f.path, c.key_hashes FROM files f JOIN contents c ON c.id = f.id ORDER BY f.id"
        )
        actual = self.db.execute("SELECT file, k FROM keys ORDER BY file, k")
        row = next(actual, None)
        for ident, path, blob in expected:
            want = _all_keys(blob).tolist()
            have: list[int] = []
            while row is not None and row[0] < ident:
                problems.append(f"key rows of a file that is not indexed (id {row[0]})")
                row = next(actual, None)
            while row is not None and row[0] == ident:
                have.append(int(row[1]))
                row = next(actual, None)
            if have != want:
                problems.append(f"{decode_path(path)}: {len(want)} keys, {len(have)} key rows")
        while row is not None:
            problems.append(f"key rows of a file that is not indexed (id {row[0]})")
            row = next(actual, None)
        return problems

    def scan_all(self) -> Iterator[StoredFile]:
        """Every stored file with all it holds, in path order (export, verify)."""
        yield from map(_stored, self.db.execute(f"{_SELECT} ORDER BY f.path"))

    def ids_of(self, paths: Collection[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        for part in _chunks([encode_path(p) for p in sorted(paths)]):
            marks = ",".join("?" * len(part))
            for ident, path in self.db.execute(f"SELECT id, path FROM files WHERE path IN ({marks})", tuple(part)):
                out[decode_path(path)] = int(ident)
        return out

    def totals(self, check: str, excluding: Collection[str] = ()) -> dict[str, Any]:
        out: dict[str, Any] = {}
        left_out = {encode_path(p) for p in excluding}
        rows = self.load(self.ids_of(excluding).values()) if excluding else []
        for name, value in self.db.execute("SELECT name, value FROM sums WHERE check_name = ?", (check,)):
            out[str(name)] = int(value) - sum(int(r.totals.get(check, {}).get(name, 0)) for r in rows)
        names: list[str] = []  # the flags' names, one index seek each (DISTINCT would read every flagged path)
        while True:
            row = self.db.execute(
                "SELECT name FROM firsts WHERE check_name = ? AND name > ? ORDER BY name LIMIT 1",
                (check, names[-1] if names else ""),
            ).fetchone()
            if row is None:
                break
            names.append(str(row[0]))
        for name in names:
            cursor = self.db.execute(
                "SELECT path FROM firsts WHERE check_name = ? AND name = ? ORDER BY path", (check, name)
            )
            out[name] = next((decode_path(p) for (p,) in cursor if bytes(p) not in left_out), None)
            cursor.close()
        return out

    def unkeyed(self) -> list[tuple[str, str]]:
        # through the partial index (an ORDER BY path would walk every file)
        rows = self.db.execute("SELECT path, unkeyed FROM files WHERE unkeyed IS NOT NULL LIMIT 20")
        return sorted((decode_path(p), str(why)) for p, why in rows)

    def counts(self) -> tuple[int, int]:
        # kept up to date beside the checks' sums: a COUNT(*) reads every row (0.14 s at a
        # million files, a tenth of a gate's budget there)
        kept = dict(self.db.execute("SELECT name, value FROM sums WHERE check_name = ?", (COUNTS,)).fetchall())
        if "files" in kept and "usable" in kept:
            return int(kept["files"]), int(kept["usable"])
        files, usable = self.db.execute("SELECT COUNT(*), COALESCE(SUM(usable), 0) FROM files").fetchone()
        return int(files), int(usable)

    def sums(self) -> dict[tuple[str, str], int]:
        return {(str(c), str(n)): int(v) for c, n, v in self.db.execute("SELECT check_name, name, value FROM sums")}

    def firsts(self) -> dict[tuple[str, str], str]:
        rows = self.db.execute("SELECT check_name, name, MIN(path) FROM firsts GROUP BY check_name, name")
        return {(str(c), str(n)): decode_path(p) for c, n, p in rows}

    def totals_of_entries(self) -> tuple[dict[tuple[str, str], int], dict[tuple[str, str], str]]:
        """The summed totals and first flagged paths as the entries give them (what
        :meth:`sums` and :meth:`firsts` keep up to date)."""
        sums: dict[tuple[str, str], int] = {}
        firsts: dict[tuple[str, str], str] = {}
        for raw, totals, usable in self.db.execute("SELECT path, totals, usable FROM files ORDER BY path"):
            sums[(COUNTS, "files")] = sums.get((COUNTS, "files"), 0) + 1
            sums[(COUNTS, "usable")] = sums.get((COUNTS, "usable"), 0) + int(usable)
            for check, values in json.loads(totals).items():
                for name, value in values.items():
                    if isinstance(value, bool):
                        if value:
                            firsts.setdefault((check, name), decode_path(raw))
                    else:
                        sums[(check, name)] = sums.get((check, name), 0) + int(value)
        return sums, firsts

    # ------------------------------------------------------------ writing

    @contextlib.contextmanager
    def writing(self) -> Iterator[_SqliteWriter]:
        """One transaction: every change made through the writer, or none."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            writer = _SqliteWriter(self.db, bulk=self.bulk)
            yield writer
            writer.flush()
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def finish_bulk(self) -> None:
        """A bulk build is complete: the file becomes an ordinary WAL database."""
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA synchronous = NORMAL")

    def close(self) -> None:
        self.db.close()


def _bytes(value: Any) -> bytes:
    """A BLOB column's value (TEXT where someone wrote text into it: still compared, not a crash)."""
    return value.encode("utf-8", "surrogatepass") if isinstance(value, str) else bytes(value)


def _stored(row: Sequence[Any]) -> StoredFile:
    ident, path, size, mtime, ctime, ino, sha, usable, facts, findings, keys, key_hashes, totals, unkeyed = row
    return StoredFile(
        path=decode_path(path),
        stat=None if size is None else (size, mtime, ctime, ino),
        sha256=sha,
        usable=bool(usable),
        facts=None if facts is None else _bytes(facts),
        findings=_bytes(findings),
        key_header=str(keys),
        key_blob=_bytes(key_hashes),
        totals={str(c): dict(t) for c, t in json.loads(totals).items()},
        unkeyed=unkeyed,
        id=int(ident),
    )


# json.dumps with separators builds an encoder per call: a third of its cost on a file's few totals
_encode_totals_plain = json.JSONEncoder(separators=(",", ":")).encode


def _encode_totals(totals: Totals) -> str:
    """A file's totals as JSON text (str keys; int and bool values), by orjson (a build encodes
    one per file in the parent: ~2.5 -> ~0.2 µs); orjson declines an integer beyond 64 bits and a
    lone surrogate, which the json module writes. Both read back alike (tests/test_index.py);
    the json module's text escapes what is not ASCII, orjson's does not."""
    try:
        return orjson.dumps(totals).decode("utf-8")
    except orjson.JSONEncodeError:
        return _encode_totals_plain(totals)


COUNTS = ""  # the check name under which the store keeps its own counts in ``sums`` (no check has it)


class _SqliteWriter:
    """Changes of one transaction. The summed totals are kept here and written once, at the
    end; so are a build's rows (``bulk``: a new database, nothing to replace; files get their
    ids in the order they come, and the key rows are written sorted, bucket by bucket)."""

    def __init__(self, db: sqlite3.Connection, *, bulk: bool = False) -> None:
        self.db = db
        self.bulk = bulk
        self.next_id = 1
        self.pending: list[tuple[Any, ...]] = []
        self.pending_contents: list[tuple[Any, ...]] = []
        self.key_parts: list[tuple[bytes, int]] = []  # a build's (key blob, file id) of each file
        # A build's key rows wait in buckets by their hash's top bits (see _KEY_BUCKETS).
        self.key_buckets: list[list[tuple[np.ndarray, np.ndarray]]] = [[] for _ in range(_KEY_BUCKETS)]
        self.key_bucket_rows = [0] * _KEY_BUCKETS
        self.key_bucket_full = _KEY_BUCKET_ROWS
        self.sum_deltas: dict[tuple[str, str], int] = {}
        self.first_flags: dict[tuple[str, str, bytes], bool] = {}

    def _old(self, path: bytes) -> StoredFile | None:
        row = self.db.execute(f"{_SELECT} WHERE f.path = ?", (path,)).fetchone()
        return None if row is None else _stored(row)

    def _count(self, path: str, totals: Totals, sign: int) -> None:
        raw = encode_path(path)
        for check, values in totals.items():
            for name, value in values.items():
                if isinstance(value, bool):
                    if value:
                        self.first_flags[(check, name, raw)] = sign > 0
                else:
                    key = (check, name)
                    self.sum_deltas[key] = self.sum_deltas.get(key, 0) + sign * int(value)

    def _tally(self, files: int, usable: int) -> None:
        """The store's own counts (``counts``), kept as sums of the check named ``COUNTS``."""
        for name, delta in (("files", files), ("usable", usable)):
            self.sum_deltas[(COUNTS, name)] = self.sum_deltas.get((COUNTS, name), 0) + delta

    def drop(self, path: str) -> None:
        old = self._old(encode_path(path))
        if old is None:
            return
        self._tally(-1, -int(old.usable))
        self.db.executemany(
            "DELETE FROM keys WHERE k = ? AND file = ?", [(k, old.id) for k in _all_keys(old.key_blob).tolist()]
        )
        self._count(old.path, old.totals, -1)
        self.db.execute("DELETE FROM files WHERE id = ?", (old.id,))
        self.db.execute("DELETE FROM contents WHERE id = ?", (old.id,))

    def put(self, file: StoredFile) -> None:
        """One file, replacing its entry (an index being kept up to date; a build's files come
        through :meth:`put_many`)."""
        if self.bulk:
            raise ValueError("a bulk build adds its files with put_many")
        size, mtime, ctime, ino = file.stat if file.stat is not None else (None, None, None, None)
        row = (
            encode_path(file.path), size, mtime, ctime, ino, file.sha256, int(file.usable), file.key_header,
            _encode_totals(file.totals), file.unkeyed,
        )  # fmt: skip
        contents = (file.facts, file.findings, file.key_blob)
        self.drop(file.path)  # before its totals are counted: a flag dropped and set again stays set
        self._count(file.path, file.totals, +1)
        self._tally(1, int(file.usable))
        cursor = self.db.execute(
            "INSERT INTO files (path, size, mtime_ns, ctime_ns, ino, sha256, usable, keys, totals, unkeyed) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            row,
        )
        file.id = int(cursor.lastrowid or 0)
        self.db.execute(
            "INSERT INTO contents (id, facts, findings, key_hashes) VALUES (?, ?, ?, ?)", (file.id, *contents)
        )
        self.db.executemany(
            "INSERT OR IGNORE INTO keys (k, file) VALUES (?, ?)",
            [(k, file.id) for k in _all_keys(file.key_blob).tolist()],
        )

    def put_many(
        self,
        paths: Sequence[str],
        stats: Sequence[Stat | None],
        sha256: Sequence[str | None],
        usable: Sequence[bool],
        key_headers: Sequence[str],
        totals: Sequence[Totals],
        unkeyed: Sequence[str | None],
        facts: Sequence[bytes | None],
        findings: Sequence[bytes],
        key_blobs: Sequence[bytes],
    ) -> None:
        """Many new files, column by column (a bulk build: no object per file; an index kept up
        to date replaces entries one by one, with :meth:`put`)."""
        if not self.bulk:
            raise ValueError("put_many adds the files of a bulk build")
        ids = list(range(self.next_id, self.next_id + len(paths)))
        self.next_id += len(paths)
        empty = (None, None, None, None)
        self.pending.extend(
            (i, encode_path(p), *(st if st is not None else empty), h, int(u), kh,
             _encode_totals(t), x)
            for i, p, st, h, u, kh, t, x in zip(ids, paths, stats, sha256, usable, key_headers, totals, unkeyed,
                                                strict=True)
        )  # fmt: skip
        self.pending_contents.extend(zip(ids, facts, findings, key_blobs, strict=True))
        self.key_parts.extend(zip(key_blobs, ids, strict=True))
        for path, values in zip(paths, totals, strict=True):
            self._count(path, values, +1)
        self._tally(len(paths), sum(map(bool, usable)))
        if len(self.pending) >= 2000:
            self._insert_pending()

    def _insert_pending(self) -> None:
        self.db.executemany(
            "INSERT INTO files (id, path, size, mtime_ns, ctime_ns, ino, sha256, usable, keys, totals, unkeyed) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            self.pending,
        )
        self.db.executemany(
            "INSERT INTO contents (id, facts, findings, key_hashes) VALUES (?, ?, ?, ?)", self.pending_contents
        )
        self.pending, self.pending_contents = [], []
        if self.key_parts:
            self._bucket_keys()

    def _bucket_keys(self) -> None:
        """Sort these files' (key, file) rows into the buckets, and write each bucket that is full."""
        hashes = np.frombuffer(b"".join(blob for blob, _ in self.key_parts), dtype="<i8").astype(np.int64)
        counts = np.fromiter((len(blob) // 8 for blob, _ in self.key_parts), dtype=np.int64)
        ids = np.repeat(np.fromiter((i for _, i in self.key_parts), dtype=np.int64), counts)
        self.key_parts = []
        buckets = (hashes.view(np.uint64) >> np.uint64(64 - _KEY_BUCKET_BITS)).astype(np.intp)
        order = np.argsort(buckets, kind="stable")
        hashes, ids = hashes[order], ids[order]
        cuts = np.searchsorted(buckets[order], np.arange(_KEY_BUCKETS + 1))
        for bucket in range(_KEY_BUCKETS):
            start, end = int(cuts[bucket]), int(cuts[bucket + 1])
            if start == end:
                continue
            self.key_buckets[bucket].append((hashes[start:end], ids[start:end]))
            self.key_bucket_rows[bucket] += end - start
            if self.key_bucket_rows[bucket] >= self.key_bucket_full:
                self._write_bucket(bucket)

    def _write_bucket(self, bucket: int) -> None:
        """A bucket's rows, each once, sorted: they land in one stretch of the keys b-tree."""
        parts = self.key_buckets[bucket]
        if not parts:
            return
        hashes = np.concatenate([h for h, _ in parts])
        ids = np.concatenate([i for _, i in parts])
        self.key_buckets[bucket], self.key_bucket_rows[bucket] = [], 0
        order = np.lexsort((ids, hashes))
        hashes, ids = hashes[order], ids[order]
        first = np.ones(len(hashes), dtype=bool)  # a file's key twice: one row
        first[1:] = (hashes[1:] != hashes[:-1]) | (ids[1:] != ids[:-1])
        self.db.executemany(
            "INSERT OR IGNORE INTO keys (k, file) VALUES (?, ?)",
            zip(hashes[first].tolist(), ids[first].tolist(), strict=True),
        )

    def flush(self) -> None:
        """Write what was kept for the end."""
        self._insert_pending()
        for bucket in range(_KEY_BUCKETS):
            self._write_bucket(bucket)
        self.db.executemany(
            "INSERT INTO sums (check_name, name, value) VALUES (?, ?, ?) "
            "ON CONFLICT (check_name, name) DO UPDATE SET value = value + excluded.value",
            [(c, n, v) for (c, n), v in self.sum_deltas.items()],
        )
        self.sum_deltas = {}
        flags = sorted(self.first_flags.items())
        self.db.executemany(
            "DELETE FROM firsts WHERE check_name = ? AND name = ? AND path = ?", [k for k, on in flags if not on]
        )
        self.db.executemany(
            "INSERT OR IGNORE INTO firsts (check_name, name, path) VALUES (?, ?, ?)", [k for k, on in flags if on]
        )
        self.first_flags = {}

    def restat(self, path: str, stat: Stat | None) -> None:
        size, mtime, ctime, ino = stat if stat is not None else (None, None, None, None)
        self.db.execute(
            "UPDATE files SET size = ?, mtime_ns = ?, ctime_ns = ?, ino = ? WHERE path = ?",
            (size, mtime, ctime, ino, encode_path(path)),
        )

    def set_folders(self, stats: Mapping[str, Stat | None], gone: Collection[str], *, replace: bool = False) -> None:
        if replace:
            self.db.execute("DELETE FROM folders")
        self.db.executemany("DELETE FROM folders WHERE path = ?", [(encode_path(p),) for p in gone])
        self.db.executemany(
            "INSERT INTO folders (path, size, mtime_ns, ctime_ns, ino) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns, "
            "ctime_ns = excluded.ctime_ns, ino = excluded.ino",
            [(encode_path(p), *(st if st is not None else (None, None, None, None))) for p, st in stats.items()],
        )
        if replace:
            self.set_meta({"folders": "1"})

    def forget_folders(self) -> None:
        self.db.execute("DELETE FROM folders")
        self.set_meta({"folders": "0"})

    def set_meta(self, values: Mapping[str, str]) -> None:
        self.db.executemany(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            list(values.items()),
        )
