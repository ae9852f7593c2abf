"""Precision and recall of the text checks on the labelled set (``nox -s eval``).

Usage: ``python tests/text_eval.py [--json]``. Each case of
``tests/data/text_eval.jsonl`` is run as the body of a clipping through the
``encoding``, ``language`` and ``boilerplate`` checks (default options). A case is
positive for a check (or rule) when its ``expect`` names one of its rules; codes
ending in ``?`` are optional (neither a miss nor a false alarm). Scores are per
case. ftfy's own real-world test cases (``tests/data/ftfy_test_cases.json``, from
the ftfy 6.3.1 sdist, Apache-2.0, by Robyn Speer) are a second, external set for
the mojibake rule E201.
"""

from __future__ import annotations

import json
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from qa.checks import Context, all_checks  # noqa: E402
from qa.corpus import Record  # noqa: E402

DATA = REPO / "tests" / "data"
CHECKS = ("encoding", "language", "boilerplate")
TARGET_RECALL = 0.95
TARGET_PRECISION = 0.98


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    misses: list[str] = field(default_factory=list)
    alarms: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    def as_dict(self) -> dict[str, float | int]:
        return {"precision": self.precision, "recall": self.recall, "tp": self.tp, "fp": self.fp, "fn": self.fn}


def rules_fired(text: str) -> set[str]:
    rec = Record(path="case.txt", location="case.txt", text=text, body=text)
    fired: set[str] = set()
    for name in CHECKS:
        check = all_checks()[name]
        assert check.record is not None
        for f in check.record(rec, Context(dict(check.options), {})):
            fired.add(f.rule)
    return fired


def load_cases() -> list[dict[str, object]]:
    with (DATA / "text_eval.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def evaluate() -> dict[str, dict[str, Score]]:
    """Scores per check and per rule on the labelled set."""
    rule_check = {code: name for name in CHECKS for code in (r.code for r in all_checks()[name].rules)}
    per_check: dict[str, Score] = defaultdict(Score)
    per_rule: dict[str, Score] = defaultdict(Score)
    for case in load_cases():
        text = str(case["text"])
        expect_all = [str(c) for c in case["expect"]]  # type: ignore[attr-defined]
        required = {c for c in expect_all if not c.endswith("?")}
        optional = {c.rstrip("?") for c in expect_all if c.endswith("?")}
        fired = rules_fired(text)
        label = f"{case['id']} {text[:70]!r} expect={sorted(expect_all)} got={sorted(fired)}"
        for code in set(rule_check) & (required | optional | fired):
            _tally(per_rule[code], code in required, code in fired, code in optional, label)
        for name in CHECKS:
            truth = any(rule_check.get(c) == name for c in required)
            opt = any(rule_check.get(c) == name for c in optional)
            pred = any(rule_check.get(c) == name for c in fired)
            _tally(per_check[name], truth, pred, opt, label)
    return {"check": dict(per_check), "rule": dict(sorted(per_rule.items()))}


def _tally(score: Score, truth: bool, pred: bool, optional: bool, label: str) -> None:
    if truth and pred:
        score.tp += 1
    elif truth:
        score.fn += 1
        score.misses.append(label)
    elif pred and not optional:
        score.fp += 1
        score.alarms.append(label)


def evaluate_ftfy() -> Score:
    """E201 on ftfy's test cases: positive when ftfy's expected repair changes more than quotes."""
    from qa.checks.encoding import E201

    cases = json.loads((DATA / "ftfy_test_cases.json").read_text(encoding="utf-8"))
    score = Score()
    for case in cases:
        if case.get("expect") != "pass":
            continue  # ftfy itself does not get these right
        original = case["original"]
        fixed = case.get("fixed-encoding", case["fixed"])
        truth = _strip_quotes(original) != _strip_quotes(fixed)
        pred = E201.code in rules_fired(original)
        _tally(score, truth, pred, False, f"{case['label']}: {original[:60]!r}")
    return score


def _strip_quotes(s: str) -> str:
    for a, b in (("‘", "'"), ("’", "'"), ("“", '"'), ("”", '"')):
        s = s.replace(a, b)
    return s


def main(argv: list[str]) -> int:
    started = time.perf_counter()
    scores = evaluate()
    ftfy_score = evaluate_ftfy()
    ok = True
    print(f"{'':14}{'precision':>10}{'recall':>8}{'tp':>6}{'fp':>5}{'fn':>5}")
    for kind in ("check", "rule"):
        print(f"-- per {kind}")
        for name, s in scores[kind].items():
            flag = ""
            if kind == "check" and (s.precision < TARGET_PRECISION or s.recall < TARGET_RECALL):
                flag, ok = "  BELOW TARGET", False
            print(f"{name:14}{s.precision:10.3f}{s.recall:8.3f}{s.tp:6}{s.fp:5}{s.fn:5}{flag}")
    print("-- external: ftfy test_cases.json (E201)")
    s = ftfy_score
    print(f"{'E201/ftfy':14}{s.precision:10.3f}{s.recall:8.3f}{s.tp:6}{s.fp:5}{s.fn:5}")
    if "-v" in argv:
        for kind in ("check",):
            for name, sc in scores[kind].items():
                for m in sc.misses:
                    print(f"MISS  {name}: {m}")
                for a in sc.alarms:
                    print(f"ALARM {name}: {a}")
        for m in ftfy_score.misses:
            print(f"MISS  ftfy: {m}")
        for a in ftfy_score.alarms:
            print(f"ALARM ftfy: {a}")
    print(
        f"targets (per check): precision >= {TARGET_PRECISION}, recall >= {TARGET_RECALL}: {'met' if ok else 'NOT met'}"
    )
    print(f"({time.perf_counter() - started:.1f}s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
