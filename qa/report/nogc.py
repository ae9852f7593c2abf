"""Build a report without the cyclic garbage collector running meanwhile.

A report at scale allocates a row (a list, a dict) per finding: hundreds of thousands of
young containers, each batch of which sets off a collection that walks every object the
run still holds (its tables, its findings). That walking cost more than building the
report. Nothing a report builds forms reference cycles that matter, so the collector is
paused while it is built and left as it was found afterwards (``qa/stage.py`` does the same
for a chunk of files).
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """The cyclic garbage collector off inside the block; as it was (on or off) after it."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
