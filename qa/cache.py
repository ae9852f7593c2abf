"""The result cache: an unchanged file is not re-checked.

After each run, the per-file stage's output is kept in a snapshot under
``<cache-dir>/results/`` (one per set of checked folders): for every file, its key
(the path and the SHA-256 of its bytes) and its findings (already located), and
the merged tables (one row set per file, by ``_path``). On the next run every file
is hashed; a file whose key is in the snapshot is a hit: its findings and table
rows come from the snapshot, and only the misses go through the per-file stage.
Keys are salted with clipqa's version, a hash of clipqa's own code, the
configuration's hash and the schema files' hash: any of those changing makes every
file a miss. Nothing is invalidated by time (checks that depend on today's date see
the date of the run that checked the file).

Corpus-level checks (duplicates, related items) always run over the whole merged
tables, cached rows included, so they see every file.

The snapshot is one pickle written atomically (a temp file renamed into place); a
damaged or unreadable one is ignored (every file is a miss), never an error. The
cache is local and trusted: it lives in the project's own cache folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from qa.config import Config
from qa.corpus import ReadOptions, Source, read_bytes
from qa.findings import Finding

_SALT_CACHE: dict[str, str] = {}


def _code_hash() -> str:
    """Hash of clipqa's own source, so a changed check never serves stale results."""
    if "code" not in _SALT_CACHE:
        h = hashlib.sha256()
        root = Path(__file__).resolve().parent
        for path in sorted(root.rglob("*.py")):
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
_NOT_IN_KEY = ("jobs", "output-dir", "cache-dir", "cache")


def config_hash(config: Config) -> str:
    import json

    values = {k: v for k, v in config.as_dict().items() if k not in _NOT_IN_KEY}
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()


def cache_salt(config: Config) -> str:
    from qa import __version__

    parts = (__version__, _code_hash(), config_hash(config), schema_hash(config.schema_dir))
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


@dataclass(slots=True)
class Snapshot:
    salt: str
    files: dict[str, tuple[str, list[Finding]]]  # path -> (key, per-file findings)
    tables: dict[str, pd.DataFrame]  # merged per-file tables (rows of every file, by _path)


class ResultCache:
    def __init__(self, directory: str | os.PathLike[str], salt: str, roots: Sequence[str]) -> None:
        ident = hashlib.sha256("\x00".join(sorted(str(Path(r).resolve()) for r in roots)).encode()).hexdigest()
        self.file = Path(directory) / "results" / f"snapshot-{ident[:16]}.pkl"
        self.salt = salt
        self.snapshot: Snapshot | None = None
        self.keys: dict[str, str | None] = {}
        self.hits: set[str] = set()

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

    def load(self) -> Snapshot | None:
        try:
            with open(self.file, "rb") as fh:
                snap = pickle.load(fh)
        except FileNotFoundError:
            return None
        except Exception:  # noqa: BLE001 - a damaged snapshot: every file is a miss
            return None
        if not isinstance(snap, Snapshot) or snap.salt != self.salt:
            return None
        return snap

    def lookup(self, sources: Sequence[Source], read: ReadOptions) -> list[Source]:
        """Hash every file; return the sources that must be checked (the misses)."""
        self.keys = {s.path: self.key(s, read) for s in sources}
        self.snapshot = self.load()
        files = self.snapshot.files if self.snapshot is not None else {}
        self.hits = {p for p, k in self.keys.items() if k is not None and p in files and files[p][0] == k}
        return [s for s in sources if s.path not in self.hits]

    def hit_findings(self) -> list[Finding]:
        if self.snapshot is None:
            return []
        return [f for p in sorted(self.hits) for f in self.snapshot.files[p][1]]

    def merge(self, checked: dict[str, pd.DataFrame], order: Mapping[str, int]) -> dict[str, pd.DataFrame]:
        """The checked files' tables plus the hits' rows from the snapshot, numbered as in a full run."""
        from qa.tables import concat

        parts = [checked]
        if self.snapshot is not None and self.hits:
            hits = pd.Series(sorted(self.hits), dtype=object)
            parts.append({n: df[df["_path"].astype(object).isin(hits)] for n, df in self.snapshot.tables.items()})
        merged = concat([p for p in parts if p])
        out = {}
        for name, frame in merged.items():
            df = frame
            if len(df):
                df = df.assign(_record=df["_path"].astype(object).map(order).astype("int64"))
                df = df.sort_values("_record", kind="stable").reset_index(drop=True)
            out[name] = df
        return out

    def save(self, findings: Sequence[Finding], tables: dict[str, pd.DataFrame]) -> None:
        by_path: dict[str, list[Finding]] = {}
        for f in findings:
            by_path.setdefault(f.path, []).append(f)
        old = self.snapshot.files if self.snapshot is not None else {}
        files = {}
        for path, key in self.keys.items():
            if key is None:
                continue
            files[path] = (key, old[path][1] if path in self.hits else by_path.get(path, []))
        snap = Snapshot(self.salt, files, tables)
        try:
            blob = pickle.dumps(snap, protocol=pickle.HIGHEST_PROTOCOL)
            self.file.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".snapshot.", dir=self.file.parent)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(blob)
                os.replace(tmp, self.file)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except Exception:  # noqa: BLE001 - caching is best effort; the run's results stand
            return
