"""``python -m qa`` is the same as the ``clipqa`` command (both start at :func:`entry`).

This module imports nothing heavy at its top: :func:`entry` decides how the imports run.
"""

from __future__ import annotations

import contextlib
import gc


def entry() -> None:
    """The ``clipqa`` program: start-up with the cyclic garbage collector paused, then
    :func:`qa.cli.entry`.

    Start-up (pandas, pandera, click, every check module and the rule registry) creates
    about a million objects that live as long as the process, and the collector, which
    runs every 700 new container objects, scans them again and again while they are
    made: ~0.1 s of a 1 s gate of a small batch (``bench/index_bench.py``). So it is paused
    while they are made, and they are then frozen (``gc.freeze``: moved out of the
    collector's sight, as CPython's documentation advises before forking workers) so that
    no later collection scans them either. Objects made after start-up are collected as
    usual; nothing made at start-up is garbage that only the collector could free.
    """
    gc.disable()
    try:
        from qa.cli import entry as run
        from qa.rules import all_rules

        with contextlib.suppress(Exception):  # a failure here is the run's to report, as it would be
            all_rules()  # imports every check module (cached: the run's configuration reads it)
        gc.freeze()
    finally:
        gc.enable()
    run()


if __name__ == "__main__":
    entry()
