"""A per-file time budget: a file whose checks run too long is stopped and reported.

The timer is ``SIGALRM`` (``setitimer``), ticking a few times per budget while a chunk
is checked. Each step of a file (reading it, one check on it, its table rows) runs
with a deadline: what the file has left of its budget. When a tick finds the running
step past its deadline, the handler raises :class:`BudgetExceeded` in the code that
is running, Python or a C extension that checks for signals (``re`` and ``regex``
matching both do), and the stage skips the file. So a file is stopped at most one
tick (an eighth of the budget, at least 5 ms) after its budget ran out.

Why a ticking timer rather than one armed around each step: the stage runs each check
over all the files of a chunk in turn, so a file's time is spent in many short steps
(~10 per file, some of a few microseconds), and two system calls per step would cost
more than some steps do. Setting a deadline is one clock read.

Signals reach only the main thread, so the budget applies where clipqa runs there:
worker processes always, the in-process engine when it is called from the main thread
(the CLI). Elsewhere, or where ``setitimer`` is missing (Windows), files run without a
budget.
"""

from __future__ import annotations

import math
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType, TracebackType
from typing import Any

from qa.findings import rule

P130 = rule(
    "P130",
    "time-budget-exceeded",
    "parse",
    "error",
    "Checking this file took longer than the per-file time budget; it was skipped and the run went on.",
    fix="Look for a very long or deeply repetitive value; raise --time-budget only if the file is sound.",
)


class BudgetExceeded(BaseException):
    """Raised by the timer. A BaseException, so that a check's ``except Exception`` cannot swallow it."""


def budget_available() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


class FileTimer:
    """The alarm for a chunk of files (a context manager); steps run under a deadline with
    :meth:`start` and :meth:`stop`, or :meth:`armed`."""

    TICKS_PER_BUDGET = 8
    MIN_TICK = 0.005  # seconds: a tiny budget must not turn into a storm of signals

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.active = seconds > 0 and budget_available()
        self.deadline = math.inf  # of the running step (time.monotonic); inf: no step runs
        self._previous: Any = None

    def __enter__(self) -> FileTimer:
        if self.active:
            self._previous = signal.signal(signal.SIGALRM, self._on_alarm)
            tick = max(self.seconds / self.TICKS_PER_BUDGET, self.MIN_TICK)
            signal.setitimer(signal.ITIMER_REAL, tick, tick)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.deadline = math.inf
        if self.active:
            signal.setitimer(signal.ITIMER_REAL, 0)
            # None: the previous handler was not installed from Python; restore the default.
            signal.signal(signal.SIGALRM, signal.SIG_DFL if self._previous is None else self._previous)

    def _on_alarm(self, signum: int, frame: FrameType | None) -> None:
        if time.monotonic() >= self.deadline:
            self.deadline = math.inf  # once per step
            raise BudgetExceeded

    def start(self, seconds: float | None = None) -> float:
        """A step starts: it may run ``seconds`` (default: the budget). Returns the start time."""
        now = time.monotonic()
        self.deadline = now + (self.seconds if seconds is None else seconds)
        return now

    def stop(self) -> None:
        """The step is over (or failed): no deadline until the next one."""
        self.deadline = math.inf

    @contextmanager
    def armed(self, seconds: float | None = None) -> Iterator[None]:
        """Raise BudgetExceeded inside the block once ``seconds`` (default: the budget) have passed."""
        self.start(seconds)
        try:
            yield
        finally:
            self.stop()
