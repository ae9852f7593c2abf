"""Shared fixtures: the seeds, temporary corpora, and the real pipeline."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from qa.config import load_config
from qa.pipeline import RunResult, run

# A test run started in the background by a script (`cmd &`, nohup) inherits SIGINT ignored,
# and so would every clipqa process the tests start: the tests that press Ctrl-C (SIGINT)
# would wait in vain. Ignoring it is right for clipqa under nohup; the tests need the
# terminal's behaviour, so the suite restores it for itself and, across exec, its children.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

# Property tests are repeatable by default: the same examples on every machine, so that CI's
# verdict is about the commit, not about the dice. Exploring new examples is `nox -s fuzz`'s
# job (`pytest -m hypothesis --hypothesis-profile=explore`); what it finds becomes an @example.
settings.register_profile("repeatable", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False, print_blob=True)
settings.load_profile("repeatable")

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO.parent / "shared" / "seeds"
EXAMPLES = REPO / "examples" / "corpus"


@pytest.fixture
def seeds_dir() -> Path:
    if not SEEDS.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"the seed clippings are missing at {SEEDS}")
        pytest.skip("the shared seeds are not beside this checkout")
    return SEEDS


@pytest.fixture
def write_corpus(tmp_path: Path) -> Callable[[dict[str, str | bytes]], Path]:
    """Write {relative name: text or bytes} under a fresh folder; returns the folder."""

    def write(files: dict[str, str | bytes]) -> Path:
        root = tmp_path / "corpus"
        for name, content in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        return root

    return write


@pytest.fixture
def check() -> Callable[..., RunResult]:
    """Run the real pipeline on paths, with config overrides (isolated from config files)."""

    def run_check(paths: Sequence[str | os.PathLike[str]], **overrides: Any) -> RunResult:
        cfg = load_config(None, {k.replace("_", "-"): v for k, v in overrides.items()})
        return run([str(p) for p in paths], cfg)

    return run_check
