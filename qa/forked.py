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
import sys
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

# Below this many files a run does its last stages in one process: a fork costs more than
# it saves there (and small runs stay simple to follow and to instrument).
FORK_FROM_FILES = 2000


def die_with_parent(parent: int) -> None:
    """In a child process: end when ``parent`` ends, even by SIGKILL, so that no process
    outlives the command (Linux: ``PR_SET_PDEATHSIG``; elsewhere the child ends when it next
    writes to its parent). A child whose parent died before this is armed ends now."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)  # 1: PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(1)


def can_fork() -> bool:
    return hasattr(os, "fork") and threading.active_count() == 1


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
