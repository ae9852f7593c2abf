"""Whole ``clipqa check`` runs with and without the text checks, this tree against a base revision.

    python bench/text_checks_overhead.py [N] [--base REF] [--corpus gen|seeds] [--jobs J] [--rounds R]

For each round, in fresh processes and alternating the order (base first, then this tree first),
it runs ``clipqa check --isolated --no-cache --no-reports`` over N files with every check, and
with the three text checks (encoding, language, boilerplate) removed from the registry, for the
working tree and for ``--base`` (default: main before issue 18, ``text_checks_bench.BASE``;
exported with ``git archive``). CPU is that of the child processes (user + sys). The text checks'
share of a run is (with - without) / with; the script prints each tree's median share and the
growth. Fixed costs per process (imports, the fastText model, compiled patterns) weigh on small
corpora: use a few thousand files at least. Not a test: run it on a quiet machine.

Earlier versions compared "with" and "without" of one tree only, used the result cache (later
runs read the first's results) and took the best of 3: both figures were unreliable.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.run import bench_env
from bench.text_checks_bench import BASE, TEXT_CHECKS, export_tree, make_corpora

REPO = Path(__file__).resolve().parents[1]

RUNNER = r"""
import sys
from qa.checks import all_checks
checks = all_checks()
if sys.argv[1] == "without":
    for name in sys.argv[4].split(","):
        checks.pop(name, None)
from qa.cli import main
sys.argv = ["clipqa", "check", sys.argv[2], "--isolated", "--no-cache", "-q", "--no-reports", "--no-progress",
            "--fail-on", "never", "-j", sys.argv[3]]
main()
"""


def one_run(tree: Path, corpus: Path, mode: str, jobs: int, cwd: Path) -> float:
    env = bench_env(tree)
    before = os.times()
    subprocess.run(
        [sys.executable, "-c", RUNNER, mode, str(corpus), str(jobs), ",".join(TEXT_CHECKS)],
        env=env,
        cwd=cwd,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    after = os.times()
    return (after.children_user - before.children_user) + (after.children_system - before.children_system)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="?", type=int, default=5000)
    ap.add_argument("--base", default=BASE)
    ap.add_argument("--corpus", default="seeds", choices=("gen", "seeds"))
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="clipqa-textoverhead-") as tmp:
        root = Path(tmp)
        trees = {"base": export_tree(args.base, root / "base"), "this": REPO}
        corpus = make_corpora(root, [args.corpus], args.files)[args.corpus]
        cpu: dict[tuple[str, str], list[float]] = {}
        for r in range(args.rounds):
            for name in ("base", "this") if r % 2 == 0 else ("this", "base"):
                for mode in ("with", "without"):
                    seconds = one_run(trees[name], corpus, mode, args.jobs, root)
                    cpu.setdefault((name, mode), []).append(seconds)
                    print(f"round {r + 1} {name:4} {mode:7} text checks: cpu {seconds:6.2f} s", file=sys.stderr)
    shares = {}
    for name in ("base", "this"):
        shares[name] = statistics.median(
            (w - wo) / w for w, wo in zip(cpu[(name, "with")], cpu[(name, "without")], strict=True)
        )
        w, wo = statistics.median(cpu[(name, "with")]), statistics.median(cpu[(name, "without")])
        print(
            f"{name:4}: {args.files} {args.corpus} files, -j {args.jobs}, median of {args.rounds}: "
            f"cpu {wo:.2f} s without the text checks, {w:.2f} s with: their share {shares[name]:.1%}"
        )
    print(f"the text checks' share of a run grows x{shares['this'] / shares['base']:.2f} (budget x1.20)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
