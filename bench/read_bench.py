"""Read cost per file (``corpus.read_record``: read, decode, split, parse) of this tree against
another checkout of clipqa, in fresh processes that alternate, medians of several rounds.

    python bench/read_bench.py --base DIR [--files 10000] [--rounds 5] [--work DIR]

``--base``: the other tree (e.g. ``git archive main | tar -x -C /tmp/base``). Two corpora:
the generated one (``bench.generate``, seed 1: the bench's, ASCII front matter) and the seed
clippings copied to 2,000 files (real scraped text: curly quotes, non-breaking spaces). Each
round runs one process per tree and corpus, in turn; a process reads every file once to warm
up (imports, caches), then again timed (CPU time of the process: the machine may be shared).
Prints the median microseconds per file of each and the ratio this/base. Not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SEEDS = next(
    (p / "shared" / "seeds" for p in REPO.parents if (p / "shared" / "seeds").is_dir()),
    REPO.parent / "shared" / "seeds",
)

CHILD = """
import gc, json, sys, time
from pathlib import Path
from qa.corpus import Source, read_record
files = sorted(str(p) for p in Path(sys.argv[1]).rglob("*.txt"))
sources = [Source(Path(f).name, f) for f in files]
for s in sources:
    read_record(s)
gc.collect()
start = time.process_time()
for s in sources:
    read_record(s)
print(json.dumps((time.process_time() - start) / len(sources) * 1e6))
"""


def one(tree: Path, corpus: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONHASHSEED": "0"}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(corpus)], env=env, check=True, capture_output=True, text=True, cwd=tree
    )
    return float(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, type=Path)
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--work", type=Path)
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="clipqa-read-bench-"))
    generated = work / "generated"
    if not generated.is_dir():
        subprocess.run(
            [sys.executable, "-m", "bench.generate", str(generated), "-n", str(args.files), "--seed", "1"],
            cwd=REPO,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    seeded = work / "seeds"
    if not seeded.is_dir():
        seeded.mkdir(parents=True)
        seeds = sorted(SEEDS.glob("*.txt"))
        for i in range(2000):
            shutil.copyfile(seeds[i % len(seeds)], seeded / f"{i:05}.txt")
    load = os.getloadavg()[0]
    results: dict[str, dict[str, list[float]]] = {}
    for _ in range(args.rounds):
        for corpus in (generated, seeded):
            for name, tree in (("base", args.base.resolve()), ("this", REPO)):
                results.setdefault(corpus.name, {}).setdefault(name, []).append(one(tree, corpus))
    summary = {}
    for corpus_name, by_tree in results.items():
        base, this = statistics.median(by_tree["base"]), statistics.median(by_tree["this"])
        summary[corpus_name] = {"base_us": round(base, 1), "this_us": round(this, 1), "ratio": round(this / base, 3)}
        print(f"{corpus_name:10} base {base:7.1f} us/file  this {this:7.1f} us/file  ratio {this / base:.3f}")
        rounds = {name: [round(x, 1) for x in values] for name, values in by_tree.items()}
        print(f"{'':10} rounds base {rounds['base']} this {rounds['this']}")
    print(f"load average at start {load:.2f}")
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
