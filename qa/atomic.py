"""Atomic file writes: a reader sees the old file or the new one, never half of one."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO


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
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".clipqa-tmp", dir=target.parent)
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
