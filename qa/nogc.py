"""Build many objects without the cyclic garbage collector running meanwhile.

A chunk of files (``qa/stage.py``) or a report at scale allocates hundreds of thousands
of young containers (YAML nodes, a row per finding), each batch of which sets off a
collection that walks every object the run still holds (its tables, its findings). That
walking cost more than the building. Nothing built there forms reference cycles that
matter, so the collector is paused meanwhile and left as it was found afterwards.
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
