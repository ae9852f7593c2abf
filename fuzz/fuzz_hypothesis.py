"""Property-based fuzzing with hypothesis: generated YAML front matter and byte mutations.

    FUZZ_SECONDS=60 python fuzz/fuzz_hypothesis.py      (or: nox -s fuzz)

Runs batches of examples until the time is up; the first failure is shrunk and
printed by hypothesis, and the process exits 1. tests/test_fuzz.py runs the same
properties with a small example budget in CI.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent), str(HERE.parent / "tests")]

import targets  # noqa: E402
from hostile_cases import GOOD  # noqa: E402

TOKENS = [
    "---\n", "\n", "  ", "- ", ": ", "? ", "[", "]", "{", "}", ",", "&a ", "*a", "&b ", "*b", "!!python/object ",
    "!!str ", "!!int ", "!!timestamp ", "!foo ", "<<: ", "'", '"', "\\u0000", "\\x", "#", "|", ">", "%YAML 1.1\n",
    "...\n", "title", "publishedDateTime", "2021-02-30", "25:61", "1:20", "0777", ".inf", ".nan", "yes", "~",
    "9" * 30, "\t", "\r", "\r\n", "\ufeff", "\x00", "é", "\U0001f600",
]  # fmt: skip

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=40),
    st.datetimes().map(lambda d: d.isoformat()),
)  # fmt: skip
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)
KEYS = ["title", "excerpt", "publishedDateTime", "webUrl", "quality", "heat", "published", "provider", "images",
        "related", "topics", "type", "category"]  # fmt: skip
documents = st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=10), values, max_size=8).map(
    lambda d: "---\n" + yaml.safe_dump(d, allow_unicode=True) + "---\nbody\n"
)
token_soup = st.lists(st.sampled_from(TOKENS) | st.text(max_size=3), max_size=60).map("".join)
seed = GOOD.encode()


@st.composite
def mutations(draw: st.DrawFn) -> bytes:
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 8))):
        pos = draw(st.integers(0, len(data)))
        kind = draw(st.integers(0, 2))
        if kind == 0:
            data[pos:pos] = draw(st.binary(min_size=1, max_size=6))
        elif kind == 1:
            del data[pos : pos + draw(st.integers(1, 10))]
        else:
            data[pos:pos] = draw(st.sampled_from(TOKENS)).encode("utf-8")
    return bytes(data)


SETTINGS = settings(deadline=None, database=None, suppress_health_check=list(HealthCheck), print_blob=True)


def prop_generated_yaml(text: str) -> None:
    targets.check_bytes(text.encode("utf-8", "surrogatepass"))


def prop_token_soup(text: str) -> None:
    targets.check_text(text)
    targets.check_bytes(("---\n" + text + "\n---\n").encode("utf-8", "surrogatepass"))


def prop_byte_mutations(data: bytes) -> None:
    targets.check_bytes(data)


PROPERTIES: tuple[tuple[st.SearchStrategy[Any], Callable[[Any], None]], ...] = (
    (documents, prop_generated_yaml),
    (token_soup, prop_token_soup),
    (mutations(), prop_byte_mutations),
)


def run_batch(examples: int) -> None:
    """Each property on ``examples`` fresh examples (a failure raises, shrunk)."""
    for strategy, prop in PROPERTIES:
        settings(SETTINGS, max_examples=examples)(given(strategy)(prop))()


def run(seconds: float, batch: int = 100) -> int:
    deadline = time.monotonic() + seconds
    rounds = 0
    while time.monotonic() < deadline:
        run_batch(batch)
        rounds += 1
    return rounds * batch * len(PROPERTIES)


if __name__ == "__main__":
    n = run(float(os.environ.get("FUZZ_SECONDS", "60")))
    print(f"hypothesis fuzz: {n} examples, no failure")
