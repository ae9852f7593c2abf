"""Atomic file writes: a reader sees the old file or the new one, never half of one."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

TMP_MARK = ".clipqa-tmp"  # ends every temporary file clipqa writes, so that leftovers can be found
NAME_MAX = 255  # bytes in a file name on the usual Linux file systems


def temp_prefix(name: str) -> str:
    """How a temporary file that is to become ``name`` (in the same folder) starts.

    ``.<name>.``, then a few characters and :data:`TMP_MARK`. A name too long for that (a
    name may use all 255 bytes) is cut, and a digest of the whole name keeps the prefix
    one name's own."""
    prefix = f".{name}."
    if len(os.fsencode(prefix)) <= NAME_MAX - 32:
        return prefix
    digest = hashlib.sha256(os.fsencode(name)).hexdigest()[:16]
    return f".{cut_name(name, NAME_MAX - 32 - 19)}~{digest}."


def temp_name(name: str, middle: str) -> str:
    """The name of a temporary file that is to become ``name``, told apart from others by
    ``middle`` (letters, digits, ``_``: a process id, say)."""
    return f"{temp_prefix(name)}{middle}{TMP_MARK}"


def temp_middle(entry: str, name: str) -> str | None:
    """What tells ``entry`` (a name in a folder) apart, when it is a temporary file made to
    become ``name`` (None: it is not). Plain string comparison: a name with ``[``, ``*`` or
    ``?`` in it is no pattern."""
    prefix = temp_prefix(name)
    if not (entry.startswith(prefix) and entry.endswith(TMP_MARK)):
        return None
    middle = entry[len(prefix) : -len(TMP_MARK)]
    return middle if _TEMP_MIDDLE.fullmatch(middle) else None


def is_temp_of(entry: str, name: str) -> bool:
    """Whether ``entry`` (a name in a folder) is a temporary file made to become ``name``."""
    return temp_middle(entry, name) is not None


_TEMP_MIDDLE = re.compile(r"[A-Za-z0-9_]+")  # mkstemp's random characters, or a process id


def cut_name(name: str, limit: int) -> str:
    """The longest start of ``name`` that takes at most ``limit`` bytes on disk (cut between
    characters; a byte that is not UTF-8, kept by ``os.fsdecode`` as a lone surrogate, is one)."""
    if len(os.fsencode(name)) <= limit:
        return name
    size = 0
    for i, char in enumerate(name):
        size += len(os.fsencode(char))
        if size > limit:
            return name[:i]
    return name


def fsync_dir(directory: str | os.PathLike[str]) -> None:
    """Make a rename or unlink in ``directory`` durable."""
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:  # pragma: no cover - e.g. platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO[str]]:
    """Write to a temporary file beside ``path``; fsync and rename it into place on success."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    # The ".clipqa-tmp" mark lets an interrupted run find and remove its leftovers (qa/gate.py).
    fd, tmp = tempfile.mkstemp(prefix=temp_prefix(target.name), suffix=TMP_MARK, dir=target.parent)
    try:
        # mkstemp makes the file private (0600): give it the mode the file had, or the one a
        # new file gets here (0644 under the usual umask), so that a report stays readable
        try:
            file_mode = stat.S_IMODE(os.stat(target).st_mode)
        except OSError:
            file_mode = 0o666 & ~_umask()
        with contextlib.suppress(OSError):  # a file system without modes
            os.fchmod(fd, file_mode)
        with os.fdopen(fd, mode, encoding=encoding if "b" not in mode else None) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        fsync_dir(target.parent)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


_UMASK: list[int] = []


def _umask() -> int:
    """This process's umask (read once: reading it means setting it, for a moment)."""
    if not _UMASK:
        mask = os.umask(0o022)
        os.umask(mask)
        _UMASK.append(mask)
    return _UMASK[0]


def write_text(path: str | os.PathLike[str], text: str) -> None:
    with atomic_open(path) as fh:
        fh.write(text)
