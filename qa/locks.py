"""Advisory locks on files (``flock``): the import's lock, the corpus index's lock, a build's
claim on its temporary file.

A lock is held by the process that took it and never by a child it forks: the descriptor is
closed in the child at fork (a worker of the check, the index's scan child), so that a lock
is released as soon as its process dies, even by SIGKILL, whatever its children are doing;
closing the child's copy does not release the parent's lock."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass

try:
    import fcntl
except ImportError:  # pragma: no cover - no flock here: no advisory locks
    fcntl = None  # type: ignore[assignment]

_HELD: set[int] = set()  # descriptors of the locks this process holds


def _drop_in_child() -> None:
    for fd in _HELD:
        with contextlib.suppress(OSError):
            os.close(fd)
    _HELD.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_drop_in_child)


class Busy(Exception):
    """Another process holds the lock (a take that does not wait)."""


@dataclass(slots=True)
class Lock:
    fd: int
    owner: int  # the process that took it

    def release(self) -> None:
        """Unlock and close (in the process that took it only: a forked child's copy is closed)."""
        if os.getpid() != self.owner or self.fd not in _HELD:
            return
        _HELD.discard(self.fd)
        try:
            if fcntl is not None:
                fcntl.flock(self.fd, fcntl.LOCK_UN)
        finally:
            os.close(self.fd)


def take(path: str | os.PathLike[str], *, exclusive: bool, wait: bool = True) -> Lock:
    """Lock the file at ``path`` (created if missing), shared or exclusive. ``wait=False``:
    raise :class:`Busy` at once when another process holds a conflicting lock. Errors of the
    file system (a folder in its place, no permission) are the OSError of opening it.

    A lock file may be removed by its owner's successor (a build's temporary file is): a lock
    taken on a file that is no longer at ``path`` is dropped and taken again."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)  # not inherited by a program it runs (PEP 446)
        try:
            if fcntl is not None:
                mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
                try:
                    fcntl.flock(fd, mode if wait else mode | fcntl.LOCK_NB)
                except BlockingIOError as exc:
                    raise Busy(os.fspath(path)) from exc
            held, now = os.fstat(fd), _stat(path)
        except BaseException:
            os.close(fd)
            raise
        if now is not None and (now.st_dev, now.st_ino) == (held.st_dev, held.st_ino):
            _HELD.add(fd)
            return Lock(fd, os.getpid())
        os.close(fd)  # removed or replaced while we waited for it: lock the file there now


def is_held(path: str | os.PathLike[str]) -> bool:
    """Whether some process holds a lock on the file at ``path``. A file that is not there (or
    cannot be opened) is not held; nothing is created."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        if fcntl is None:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def _stat(path: str | os.PathLike[str]) -> os.stat_result | None:
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None
