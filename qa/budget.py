"""A per-file time budget: a file whose checks run too long is stopped and reported.

The timer is ``SIGALRM`` (``setitimer``): when it fires, the handler raises
:class:`BudgetExceeded` in the code that is running, Python or a C extension that
checks for signals (``re`` and ``regex`` matching both do), and the stage skips
the file. Signals reach only the main thread, so the budget applies where clipqa
runs there: worker processes always, the in-process engine when it is called from
the main thread (the CLI). Elsewhere, or where ``setitimer`` is missing (Windows),
files run without a budget.
"""

from __future__ import annotations

import signal
import threading
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


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    raise BudgetExceeded


def budget_available() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


class FileTimer:
    """Installs the alarm handler for a chunk of files; ``armed(seconds)`` times one step."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.active = seconds > 0 and budget_available()
        self._previous: Any = None

    def __enter__(self) -> FileTimer:
        if self.active:
            self._previous = signal.signal(signal.SIGALRM, _on_alarm)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.active:
            signal.setitimer(signal.ITIMER_REAL, 0)
            # None: the previous handler was not installed from Python; restore the default.
            signal.signal(signal.SIGALRM, signal.SIG_DFL if self._previous is None else self._previous)

    @contextmanager
    def armed(self, seconds: float | None = None) -> Iterator[None]:
        """Raise BudgetExceeded inside the block once ``seconds`` (default: the budget) have passed."""
        if not self.active:
            yield
            return
        signal.setitimer(signal.ITIMER_REAL, self.seconds if seconds is None else seconds)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
