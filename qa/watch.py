"""A change feed for the corpus index: ``clipqa index watch CORPUS`` (docs/gate.md, "A change feed").

A stat scan costs a stat per corpus file (~1.7 µs of kernel time here: 1.7 s at a million
files), so no gate can cost only its batch while it must ask every file whether it changed.
As git's fsmonitor and Watchman do, a watcher process listens to the kernel (Linux inotify)
and writes down every path that changes; a gate then looks at those paths alone.

The watcher and the gates meet in a small SQLite file beside the index
(``<index>.watch.sqlite``): the paths that changed (``changes``, in order), and ``state``:

* ``epoch``: bumped whenever the watcher may have missed something (it starts; the kernel's
  event queue overflowed). ``ready``: the epoch whose watches are all in place.
* ``synced``: the epoch (and the index file it was for) for which a whole stat scan, begun
  after every watch was in place, vouched that the index agreed with the corpus. Only while
  ``synced`` is the current epoch and the same index file does a gate trust the feed; else
  it scans as before, and marks the epoch synced afterwards.

A gate's questions are ordered with the watcher's events by a cookie (Watchman's "sync
cookie"): the gate creates a file in the watched folder of the index, and waits until the
watcher has seen it. One inotify queue delivers events in the order they happened, so every
change made before the cookie is written down by then.

Never wrong: the watcher holds an exclusive lock on ``<index>.watch.lock`` while it lives (the
kernel drops it with the process, even on SIGKILL); without it, or when the cookie is not seen
within ``COOKIE_SECONDS``, or when a folder was created, moved or removed, or a name is not
UTF-8, the gate falls back to the stat scan. Rows are removed only after the index took them
in (``acknowledge``), and only up to the cookie: a change after it stays for the next gate.
What inotify cannot see (writes through a shared memory map, another machine's writes to a
network file system) is out of its reach: watch local disks only.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qa import locks
from qa.config import Config
from qa.corpus import file_patterns

COOKIE_PREFIX = ".clipqa-watch-cookie-"
ROOT_GONE = "the corpus folder itself was moved or removed"
COOKIE_SECONDS = 2.0  # a watcher that does not answer within this is stuck: the gate scans
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS changes"
    " (seq INTEGER PRIMARY KEY AUTOINCREMENT, path TEXT NOT NULL, kind TEXT NOT NULL, UNIQUE (path, kind))",
    "CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
)


class WatchError(Exception):
    """The watcher cannot start or go on (reported as a usage error)."""


def feed_path(index: Path) -> Path:
    return index.with_name(index.name + ".watch.sqlite")


def lock_path(index: Path) -> Path:
    return index.with_name(index.name + ".watch.lock")


def feed_files(index_name: str) -> tuple[str, ...]:
    """The names of the files the change feed of the index named ``index_name`` keeps beside it
    (its database and SQLite's side files of it, its lock); a gate's cookies start with
    :data:`COOKIE_PREFIX`."""
    index = Path(index_name)
    feed = feed_path(index).name
    return (feed, f"{feed}-wal", f"{feed}-shm", f"{feed}-journal", lock_path(index).name)


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=10, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    for statement in _SCHEMA:
        conn.execute(statement)
    return conn


def _state(conn: sqlite3.Connection) -> dict[str, str]:
    return dict(conn.execute("SELECT key, value FROM state").fetchall())


def _set(conn: sqlite3.Connection, **values: object) -> None:
    conn.executemany("INSERT OR REPLACE INTO state VALUES (?, ?)", [(k, str(v)) for k, v in values.items()])


def index_identity(index: Path) -> str:
    """Which index file this is: a build writes a new one (another inode), which the feed's
    ``synced`` mark does not vouch for."""
    try:
        st = os.stat(index)
    except OSError:
        return ""
    return f"{st.st_dev}:{st.st_ino}"


# ---------------------------------------------------------------- the gate's side


@dataclass(slots=True)
class Feed:
    """What the feed says for one scan: ``names`` (corpus paths that changed since the index
    last took the feed in) or, with ``full``, that only a whole scan can say."""

    index: Path
    epoch: str
    seq: int
    identity: str
    full: bool
    names: set[str] = field(default_factory=set)
    why: str = ""


def _watcher_alive(index: Path) -> bool:
    return locks.is_held(lock_path(index))


def selection(config: Config) -> str:
    """What decides which paths a watcher writes down: the files the configuration selects
    (``include``, ``exclude``). A watcher started with another selection serves no gate: it
    would not see the files the gate's index holds. Other options do not matter: the feed
    names paths that changed; the gate compares their stats and bytes itself."""
    import hashlib
    import json

    chosen = json.dumps([list(config.include), list(config.all_excludes())])
    return hashlib.sha256(chosen.encode()).hexdigest()


def changes(index: Path, selected: str) -> Feed | None:
    """The feed's answer for a scan of the corpus indexed at ``index``, or None when no watcher
    serves it (then the scan is a plain stat scan, and nothing is acknowledged). ``selected``:
    the gate's :func:`selection`."""
    path = feed_path(index)
    if not path.exists() or not _watcher_alive(index):
        return None
    try:
        conn = _connect(path)
    except sqlite3.Error:
        return None
    try:
        state = _state(conn)
        if state.get("ready") != state.get("epoch") or state.get("blind") or state.get("selection") != selected:
            return None  # its watches are not all in place yet, some folder cannot be watched, other options
        cookie = path.parent / f"{COOKIE_PREFIX}{os.getpid()}-{time.monotonic_ns()}"
        key = f"cookie:{cookie.name}"
        try:
            cookie.touch(exist_ok=False)
        except OSError:
            return None
        try:
            deadline = time.monotonic() + COOKIE_SECONDS
            while (row := conn.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()) is None:
                if time.monotonic() > deadline:
                    return None
                time.sleep(0.0005)
            conn.execute("DELETE FROM state WHERE key = ?", (key,))
        finally:
            with contextlib.suppress(OSError):
                cookie.unlink()
        state = _state(conn)
        epoch = state["epoch"]
        seq = int(row[0])
        identity = index_identity(index)
        feed = Feed(index, epoch, seq, identity, full=True)
        if state.get("synced") != f"{epoch}@{identity}":
            feed.why = "the watcher has not been vouched for since it started or missed events"
            return feed
        rows = conn.execute("SELECT path, kind FROM changes WHERE seq <= ?", (seq,)).fetchall()
        if any(kind != "file" for _path, kind in rows):
            feed.why = "a folder was created, moved or removed, or a name is not UTF-8"
            return feed
        feed.full = False
        feed.names = {p for p, _kind in rows}
        return feed
    except (sqlite3.Error, KeyError, ValueError):
        return None
    finally:
        conn.close()


def acknowledge(feed: Feed) -> None:
    """The index has taken in what ``feed`` named (or a whole scan): forget those rows, and after
    a whole scan, vouch for the epoch (unless the watcher missed events meanwhile)."""
    try:
        conn = _connect(feed_path(feed.index))
    except sqlite3.Error:
        return
    try:
        conn.execute("BEGIN IMMEDIATE")
        if _state(conn).get("epoch") == feed.epoch:
            conn.execute("DELETE FROM changes WHERE seq <= ?", (feed.seq,))
            if feed.full:
                _set(conn, synced=f"{feed.epoch}@{feed.identity}")
        conn.execute("COMMIT")
    except sqlite3.Error:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
    finally:
        conn.close()


# ---------------------------------------------------------------- the watcher


def watch(
    corpus: str | os.PathLike[str],
    config: Config,
    index: Path,
    *,
    on_ready: Callable[[int], None] | None = None,
) -> None:
    """Watch ``corpus`` until SIGINT or SIGTERM, writing down what changes (the module's doc).
    ``on_ready``: called with the number of folders watched once every watch is in place."""
    try:
        from inotify_simple import INotify
        from inotify_simple import flags as f
    except ImportError as exc:
        raise WatchError(f"clipqa index watch needs Linux inotify ({exc})") from exc
    root = os.path.realpath(corpus)
    lock = lock_path(index)
    try:
        held = locks.take(lock, exclusive=True, wait=False)  # while the watcher lives
    except locks.Busy as exc:
        raise WatchError(f"another watcher serves {index} (it holds {lock})") from exc
    except OSError as exc:
        raise WatchError(f"{lock}: cannot open: {exc.strerror or exc}") from exc
    stopping: list[int] = []

    def stop(signum: int, _frame: Any) -> None:
        stopping.append(signum)

    old = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        with contextlib.closing(_connect(feed_path(index))) as conn, INotify() as inotify:
            _Watcher(root, config, index, conn, inotify, f).run(stopping, on_ready)
    except sqlite3.Error as exc:
        raise WatchError(f"{feed_path(index)}: {type(exc).__name__}: {exc}") from exc
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
        held.release()


class _Watcher:
    FILE_EVENTS = ("CREATE", "DELETE", "MODIFY", "CLOSE_WRITE", "ATTRIB", "MOVED_FROM", "MOVED_TO")

    def __init__(self, root: str, config: Config, index: Path, conn: sqlite3.Connection, inotify: Any, f: Any) -> None:
        self.root, self.config, self.index, self.conn, self.inotify, self.f = root, config, index, conn, inotify, f
        self.excluded, self.included = file_patterns(config.include, config.all_excludes())
        self.mask = 0
        for name in (*self.FILE_EVENTS, "DELETE_SELF", "MOVE_SELF", "ONLYDIR"):
            self.mask |= getattr(f, name)
        self.folders: dict[int, str] = {}  # watch descriptor -> folder relative to the root ("" the root)
        self.lost = False  # events may have been missed (the queue overflowed): a new epoch
        self.blind = ""  # why a folder cannot be watched: no gate may trust the feed

    def run(self, stopping: list[int], on_ready: Callable[[int], None] | None) -> None:
        epoch = str(int(_state(self.conn).get("epoch", "0")) + 1)
        self.conn.execute("DELETE FROM state WHERE key LIKE 'cookie:%' OR key = 'blind'")
        _set(self.conn, epoch=epoch, corpus=self.root, pid=os.getpid(), selection=selection(self.config))
        self.inotify.add_watch(str(self.index.parent), self.f.CREATE | self.f.ONLYDIR)  # cookies
        self._add_tree(self.root, "")
        if self.blind:
            _set(self.conn, blind=self.blind)
        _set(self.conn, ready=epoch)
        if on_ready is not None:
            on_ready(len(self.folders))
        while not stopping:
            events = self.inotify.read(timeout=500)
            if events:
                self._take(events)
            if self.blind == ROOT_GONE:
                raise WatchError(f"{self.root}: {ROOT_GONE}; stopped watching")

    def _add_tree(self, path: str, rel: str) -> None:
        """Watch a folder and the folders under it (not those the configuration excludes). A
        file made in a new folder before its watch was in place is named by the folder's row."""
        stack = [(path, rel)]
        while stack:
            here, rel_here = stack.pop()
            try:
                wd = self.inotify.add_watch(here, self.mask)
            except OSError as exc:  # unreadable, or the limit of watches reached
                self.blind = self.blind or f"{rel_here or '.'}: cannot be watched ({exc.strerror or exc})"
                continue
            self.folders[wd] = rel_here
            try:
                entries = list(os.scandir(here))
            except OSError as exc:
                self.blind = self.blind or f"{rel_here or '.'}: cannot be listed ({exc.strerror or exc})"
                continue
            for entry in entries:
                child = f"{rel_here}/{entry.name}" if rel_here else entry.name
                if entry.is_dir(follow_symlinks=False) and not (self.excluded(entry.name) or self.excluded(child)):
                    stack.append((entry.path, child))
                elif entry.is_symlink() and entry.is_dir():
                    self.blind = self.blind or f"{child}: a linked folder (its changes are not seen here)"

    def _take(self, events: list[Any]) -> None:
        f = self.f
        rows: list[tuple[str, str]] = []  # (path, kind), or ("", cookie name)
        for event in events:
            mask, name = event.mask, event.name
            if mask & f.Q_OVERFLOW:
                self.lost = True
                continue
            if name.startswith(COOKIE_PREFIX) and mask & f.CREATE:
                rows.append(("", name))
                continue
            if mask & f.IGNORED:
                self.folders.pop(event.wd, None)
                continue
            folder = self.folders.get(event.wd)
            if folder is None:
                continue  # the folder of the index (cookies only), or a watch just dropped
            if mask & (f.DELETE_SELF | f.MOVE_SELF):
                if folder == "":
                    self.blind = ROOT_GONE
                continue  # the folder's parent names it too
            rel = f"{folder}/{name}" if folder else name
            if self.excluded(name) or self.excluded(rel):
                continue
            if mask & f.ISDIR:
                if mask & f.MOVED_FROM:  # its watches go with it: what happens there is no longer the corpus's
                    inner = rel + "/"
                    for wd in [wd for wd, at in self.folders.items() if at == rel or at.startswith(inner)]:
                        del self.folders[wd]
                if mask & (f.CREATE | f.MOVED_TO):
                    self._add_tree(os.path.join(self.root, rel), rel)
                rows.append((rel, "folder"))
                continue
            if not self.included(name):
                continue
            try:
                name.encode("utf-8")
            except UnicodeEncodeError:
                rows.append((rel, "name"))  # the index names it otherwise (qa.corpus._display_name)
                continue
            rows.append((rel, "file"))
        self._write(rows)

    def _write(self, rows: list[tuple[str, str]]) -> None:
        told = _state(self.conn).get("blind", "") == self.blind
        if not rows and not self.lost and told:
            return  # nothing to say: no write (one would be an event of its own where the index is watched)
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            if self.lost:  # the watches stand; what happened meanwhile is unknown: a new epoch
                self.lost = False
                epoch = str(int(_state(conn)["epoch"]) + 1)
                _set(conn, epoch=epoch, ready=epoch)
            if not told:
                _set(conn, blind=self.blind)
            for path, kind in rows:
                if kind.startswith(COOKIE_PREFIX):  # every change before it is in: its place in the order
                    seq = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM changes").fetchone()[0]
                    _set(conn, **{f"cookie:{kind}": seq})
                else:  # a path written again moves to the end: the table holds each path once
                    conn.execute("INSERT OR REPLACE INTO changes (path, kind) VALUES (?, ?)", (path, kind))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
