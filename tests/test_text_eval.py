"""The text checks meet their targets on the labelled set (tests/data/text_eval.jsonl)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tests import text_eval


@pytest.fixture(scope="module")
def scores() -> dict[str, dict[str, text_eval.Score]]:
    return text_eval.evaluate()


def test_the_set_is_as_large_as_promised() -> None:
    cases = text_eval.load_cases()
    clean = [c for c in cases if not c["expect"]]
    glitched = [c for c in cases if c["expect"]]
    assert len(clean) >= 300
    assert len(glitched) >= 100
    languages = {str(c["source"]).split(":")[1] for c in glitched if ":" in str(c["source"])}
    assert len(languages - {"boilerplate"}) >= 10
    # every rule of the three checks has positive cases
    expected = {str(code).rstrip("?") for c in glitched for code in c["expect"]}  # type: ignore[attr-defined]
    corpus_only = {"B201"}  # needs many clippings of one provider: tests/test_repeated_lines.py
    for check in text_eval.CHECKS:
        for r in text_eval.all_checks()[check].rules:
            assert r.code in expected or r.code in corpus_only, r.code


@pytest.mark.parametrize("check", text_eval.CHECKS)
def test_targets_per_check(scores: dict[str, dict[str, text_eval.Score]], check: str) -> None:
    s = scores["check"][check]
    assert s.recall >= text_eval.TARGET_RECALL, (s.recall, s.misses)
    assert s.precision >= text_eval.TARGET_PRECISION, (s.precision, s.alarms)


def test_mojibake_on_ftfy_real_world_cases() -> None:
    s = text_eval.evaluate_ftfy()
    assert s.tp >= 90
    assert s.recall >= 0.95, s.misses
    assert s.precision >= 0.98, s.alarms
