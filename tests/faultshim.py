"""Run ``clipqa`` with an OSError injected at the system-call boundary (for the fault tests).

    python -m tests.faultshim SPEC clipqa-arguments...

SPEC is JSON: ``{"errno": "ENOSPC", "calls": ["write", "create"], "under": "/x/corpus",
"after": 3}``: the first ``after`` matching calls go through, every later one fails with
that errno, as a file system that fills up, turns read-only or runs out of descriptors
does. A call matches when it is one of ``calls`` and its path is ``under`` the folder:

* ``create``: ``os.open`` of a new file (``O_CREAT``; ``tempfile`` and the gate's copies use it);
* ``open``: any ``os.open``;
* ``write``: ``os.write`` to a file there (the gate writes its copies so);
* ``link``, ``rename`` (``os.rename``/``os.replace``), ``mkdir``, ``unlink``: the usual.

Only this process is affected (not the check's worker processes): the faults the gate must
survive are its own writes. The Python functions of ``os`` are the boundary: each wraps
exactly one system call, so the error is what the kernel would have returned there.
"""

from __future__ import annotations

import errno
import json
import os
import sys
from collections.abc import Callable
from typing import Any


def _where(path: Any, dir_fd: int | None = None) -> bytes | None:
    if isinstance(path, int):
        try:
            return os.fsencode(os.readlink(f"/proc/self/fd/{path}"))
        except OSError:
            return None
    raw = os.fsencode(path)
    if dir_fd is not None and not raw.startswith(b"/"):
        try:
            raw = os.fsencode(os.readlink(f"/proc/self/fd/{dir_fd}")) + b"/" + raw
        except OSError:
            return None
    return os.path.abspath(raw)


def install(spec: dict[str, Any]) -> None:
    code = getattr(errno, spec["errno"])
    calls = set(spec["calls"])
    under = os.path.abspath(os.fsencode(spec["under"]))
    budget = [int(spec.get("after", 0))]
    owner = os.getpid()

    def hit(call: str, path: bytes | None) -> bool:
        if call not in calls or os.getpid() != owner or path is None:
            return False
        if path != under and not path.startswith(under + b"/"):
            return False
        if budget[0] > 0:
            budget[0] -= 1
            return False
        return True

    def fail(path: Any) -> None:
        raise OSError(code, os.strerror(code), path if not isinstance(path, int) else None)

    real_open, real_write, real_link = os.open, os.write, os.link
    real_rename, real_replace, real_mkdir, real_unlink = os.rename, os.replace, os.mkdir, os.unlink

    def fake_open(path: Any, flags: int, mode: int = 0o777, *, dir_fd: int | None = None) -> int:
        where = _where(path, dir_fd)
        if hit("open", where) or (flags & os.O_CREAT and hit("create", where)):
            fail(path)
        return real_open(path, flags, mode, dir_fd=dir_fd)

    def fake_write(fd: int, data: Any) -> int:
        if hit("write", _where(fd)):
            fail(fd)
        return real_write(fd, data)

    def fake_link(src: Any, dst: Any, **kw: Any) -> None:
        if hit("link", _where(dst, kw.get("dst_dir_fd"))):
            fail(dst)
        real_link(src, dst, **kw)

    def renaming(real: Callable[..., None]) -> Callable[..., None]:
        def fake(src: Any, dst: Any, **kw: Any) -> None:
            if hit("rename", _where(dst, kw.get("dst_dir_fd"))):
                fail(dst)
            real(src, dst, **kw)

        return fake

    def fake_mkdir(path: Any, mode: int = 0o777, *, dir_fd: int | None = None) -> None:
        if hit("mkdir", _where(path, dir_fd)):
            fail(path)
        real_mkdir(path, mode, dir_fd=dir_fd)

    def fake_unlink(path: Any, *, dir_fd: int | None = None) -> None:
        if hit("unlink", _where(path, dir_fd)):
            fail(path)
        real_unlink(path, dir_fd=dir_fd)

    os.open, os.write, os.link = fake_open, fake_write, fake_link  # type: ignore[assignment]
    os.rename, os.replace = renaming(real_rename), renaming(real_replace)
    os.mkdir, os.unlink = fake_mkdir, fake_unlink  # type: ignore[assignment]
    os.remove = fake_unlink  # type: ignore[assignment]


def main() -> None:
    install(json.loads(sys.argv[1]))
    sys.argv = ["clipqa", *sys.argv[2:]]
    from qa.__main__ import entry

    entry()


if __name__ == "__main__":
    main()
