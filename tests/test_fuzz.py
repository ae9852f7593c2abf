"""CI's short, bounded fuzz run, and the inputs fuzzing has found (regressions).

The long runs are ``nox -s fuzz`` (atheris, then hypothesis, FUZZ_SECONDS each half).
Here each hypothesis property gets FUZZ_EXAMPLES examples (default 60: ~10-20 s).
Every input that once crashed clipqa is a file in tests/fuzz_regressions/.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "fuzz"))

import fuzz_hypothesis  # noqa: E402
import targets  # noqa: E402

from qa.config import Config  # noqa: E402
from qa.pipeline import run  # noqa: E402

REGRESSIONS = sorted((REPO / "tests" / "fuzz_regressions").iterdir())


@pytest.mark.parametrize("path", REGRESSIONS, ids=[p.name for p in REGRESSIONS])
def test_fuzz_regression_input(path: Path) -> None:
    targets.check_bytes(path.read_bytes())  # raises on the bug it once found


def test_fuzz_regressions_through_the_pipeline(tmp_path: Path) -> None:
    for path in REGRESSIONS:
        (tmp_path / path.name).write_bytes(path.read_bytes())
    result = run([str(tmp_path)], Config(jobs=1))
    assert result.files == len(REGRESSIONS)
    assert not [f for f in result.findings if f.rule in {"P900", "P131", "P130"}]
    assert all(len(f.message) <= 1000 for f in result.findings)
    # The empty explicit tags stay text: the schema reports them, nothing raises.
    tags = {(f.rule, f.field) for f in result.findings if f.path == "empty-explicit-int-tag.txt"}
    assert {("S102", "heat"), ("S103", "excerpt"), ("S103", "title")} <= tags


def test_short_bounded_fuzz() -> None:
    fuzz_hypothesis.run_batch(int(os.environ.get("FUZZ_EXAMPLES", "60")))
