"""Run a function in a forked child while this process goes on; collect its result later.

For stages of a run that only read what the run has built (the corpus checks, the
files' stats, writing the result cache): a child forked from this process has all of it without copying, so
two independent pieces of work can use two cores. Where ``fork`` is not available,
or while other threads run (a fork would not carry them over), the function runs at
once, in this process; when the child fails or dies, it runs here when its result is
asked for. Either way the answer is the same, only not sooner, and an error is raised
here as usual.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

# Below this many files a run does its last stages in one process: a fork costs more than
# it saves there (and small runs stay simple to follow and to instrument).
FORK_FROM_FILES = 2000


def can_fork() -> bool:
    return hasattr(os, "fork") and threading.active_count() == 1


PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_parent(parent: int) -> None:
    """Called first thing in a child process: end it when ``parent`` (the process that
    started it) dies, whatever kills that process, SIGKILL included.

    Without this, a child of a killed run (a worker of the pool, a forked writer) is left
    to ``init``, and may wait forever on a pipe no one will write. Linux: the kernel sends
    the child SIGKILL when its parent dies (``PR_SET_PDEATHSIG``). The parent may have died
    before the request took effect: then the child's parent is already another process,
    and the child leaves at once. Elsewhere, a watchdog thread looks every second.
    """
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            refused = ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0
        except (OSError, AttributeError):  # pragma: no cover - a libc without prctl
            refused = True
        if refused:  # pragma: no cover - e.g. a seccomp filter
            _watch_parent(parent)
    else:  # pragma: no cover - not Linux
        _watch_parent(parent)
    if os.getppid() != parent:
        os._exit(1)


def _watch_parent(parent: int) -> None:
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="clipqa-parent-watch", daemon=True).start()


class Forked(Generic[T]):
    """``fn`` started in a child process; :meth:`result` waits for it and returns its value.

    Without a child (``parallel`` false, or no fork here), ``fn`` runs at once, in this
    process: at the point where it would have been started."""

    def __init__(self, fn: Callable[[], T], *, parallel: bool = True) -> None:
        self.fn = fn
        self.pid = 0
        self.fd = -1
        self.done = False
        self.value: T | None = None
        if not (parallel and can_fork()):
            self.value, self.done = fn(), True
            return
        for stream in (sys.stdout, sys.stderr):  # nothing buffered may be written twice
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        read_end, write_end = os.pipe()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # the child: compute, send the pickled value back, leave without exit handlers
            code = 1
            try:
                die_with_parent(parent)
                os.close(read_end)
                data = pickle.dumps(fn(), protocol=pickle.HIGHEST_PROTOCOL)
                with os.fdopen(write_end, "wb") as out:
                    out.write(data)
                code = 0
            finally:
                os._exit(code)
        os.close(write_end)
        self.pid, self.fd = pid, read_end

    def result(self) -> T:
        if self.done:
            return self.value  # type: ignore[return-value]
        if self.pid:
            pid, self.pid = self.pid, 0
            with os.fdopen(self.fd, "rb") as pipe:
                data = pipe.read()  # before waiting: a large value fills the pipe until read
            _, status = os.waitpid(pid, 0)
            if os.waitstatus_to_exitcode(status) == 0:
                try:
                    value: T = pickle.loads(data)
                except Exception:  # noqa: BLE001 - a truncated answer: compute it here
                    pass
                else:
                    return value
        return self.fn()
