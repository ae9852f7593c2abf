"""The result cache: an unchanged file is not re-checked.

Per file, the per-record stage's output (its findings, already located, and its
rows of every table) is stored under ``<cache-dir>/results/`` by a key made of the
file's path and the SHA-256 of its bytes, salted with clipqa's version, a hash of
clipqa's own code, the configuration's hash and the schema files' hash. Any of
those changing makes every entry a miss; nothing is ever invalidated by time.

Corpus-level checks (duplicates, related items) always run over the whole merged
tables, cached rows included, so they see every file.

Entries are pickles written atomically (a temp file renamed into place); a
damaged or unreadable entry is a miss, never an error. The cache is local and
trusted: it lives in the project's own cache folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa.config import Config
from qa.corpus import ReadOptions, Source
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
class Entry:
    findings: list[Finding]
    rows: dict[str, dict[str, list[Any]]]  # table -> column -> values (this file's rows)


class ResultCache:
    def __init__(self, directory: str | os.PathLike[str], salt: str) -> None:
        self.root = Path(directory) / "results"
        self.salt = salt

    def key(self, source: Source, read: ReadOptions) -> str | None:
        """The file's cache key, or None when it cannot be read (it is then checked as usual)."""
        try:
            with open(source.location, "rb") as fh:
                raw = fh.read(read.max_file_bytes + 1)
                size = os.fstat(fh.fileno()).st_size
        except OSError:
            return None
        h = hashlib.sha256(self.salt.encode())
        h.update(b"\x00" + source.path.encode("utf-8", "surrogatepass") + b"\x00")
        h.update(str(size).encode() + b"\x00")
        h.update(raw)
        return h.hexdigest()

    def _file(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.pkl"

    def get(self, key: str) -> Entry | None:
        try:
            with open(self._file(key), "rb") as fh:
                entry = pickle.load(fh)
        except FileNotFoundError:
            return None
        except Exception:  # noqa: BLE001 - a damaged entry is a miss
            return None
        return entry if isinstance(entry, Entry) else None

    def put(self, key: str, entry: Entry) -> None:
        target = self._file(key)
        try:
            blob = pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL)
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".entry.", dir=target.parent)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(blob)
                os.replace(tmp, target)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except Exception:  # noqa: BLE001 - caching is best effort; the run's results stand
            return
