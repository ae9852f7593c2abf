"""Time a clipqa run with and without the text checks (encoding, language, boilerplate).

Usage: ``python bench/text_checks_overhead.py [N] [--jobs J] [--rounds R]``: copies the seed
clippings to N files in a temporary folder, then runs ``clipqa check`` in fresh processes,
alternating a run with every check and a run with the three text checks removed from the
registry, and prints the CPU time (user + sys, children included) and wall time of each, with
the best-of-R overhead. The target (issue 3): at most +50%. Not a test: run it on a quiet machine.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SEEDS = next(
    (p / "shared" / "seeds" for p in REPO.parents if (p / "shared" / "seeds").is_dir()),
    REPO.parent / "shared" / "seeds",
)
TEXT_CHECKS = ("encoding", "language", "boilerplate")

RUNNER = """
import sys
from qa.checks import all_checks
checks = all_checks()
if sys.argv[1] == "without":
    for name in {names!r}:
        checks.pop(name, None)
from qa.cli import main
sys.argv = ["clipqa", "check", sys.argv[2], "--isolated", "-q", "--no-reports", "--no-progress",
            "--fail-on", "never", "-j", sys.argv[3]]
main()
"""


def one_run(mode: str, corpus: Path, jobs: int) -> tuple[float, float]:
    before = os.times()
    t0 = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    code = RUNNER.format(names=TEXT_CHECKS)
    subprocess.run(
        [sys.executable, "-c", code, mode, str(corpus), str(jobs)], env=env, check=False, stdout=subprocess.DEVNULL
    )
    wall = time.perf_counter() - t0
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return cpu, wall


def main(argv: list[str]) -> int:
    n = int(argv[0]) if argv and argv[0].isdigit() else 5000
    jobs = int(argv[argv.index("--jobs") + 1]) if "--jobs" in argv else 1
    rounds = int(argv[argv.index("--rounds") + 1]) if "--rounds" in argv else 3
    seeds = sorted(SEEDS.glob("*.txt"))
    if not seeds:
        print(f"no seeds in {SEEDS}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="clipqa-textbench-") as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        for i in range(n):
            src = seeds[i % len(seeds)]
            shutil.copyfile(src, corpus / f"{src.stem}_{i}.txt")
        best: dict[str, tuple[float, float]] = {}
        for r in range(rounds):
            for mode in ("without", "with"):
                cpu, wall = one_run(mode, corpus, jobs)
                print(f"round {r + 1} {mode:8} checks: cpu {cpu:6.2f} s  wall {wall:6.2f} s")
                prev = best.get(mode)
                best[mode] = (min(cpu, prev[0]), min(wall, prev[1])) if prev else (cpu, wall)
    (c0, w0), (c1, w1) = best["without"], best["with"]
    print(
        f"{n} files, jobs={jobs}, best of {rounds}: cpu {c0:.2f} -> {c1:.2f} s ({(c1 / c0 - 1) * 100:+.0f}%), "
        f"wall {w0:.2f} -> {w1:.2f} s ({(w1 / w0 - 1) * 100:+.0f}%)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
