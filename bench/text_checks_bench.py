"""The text checks' cost against a baseline revision, measured in the same run (issue 18's budget).

    python bench/text_checks_bench.py [--base REF] [--also REF] [--files N] [--rounds R]
                                      [--corpus gen,seeds] [--json FILE]

Two trees are compared: the working tree (``this``) and ``--base`` (default: the last commit of
main before issue 18's text checks, ``BASE`` below), exported with ``git archive`` into a
temporary folder; ``--also REF`` adds a third (say ``main``, to see a branch against both in
one run; the budget is still judged against ``--base``). Same interpreter, same installed
libraries: only clipqa's code and data differ.

**Per-file stage, in process** (always): for each corpus, tree and round a fresh Python process
builds the per-file ``Stage`` as a worker does, warms it (``Stage.warm`` and one chunk of other
files: imports, compiled patterns, lexicons, the fastText model: one-off costs a 100k run pays
once per worker), then runs ``Stage.process`` over the corpus in chunks of 5,000 files with each
text check's hooks (record, columns) wrapped in a CPU timer (``time.process_time``). It reports
CPU microseconds per file of each text check and of the whole stage, and the text checks' share
of the stage. Trees alternate within a round (base, this; then this, base; with a third tree
the order rotates), so load from other processes hits them alike; figures are medians over the
rounds.

Whole ``clipqa check`` runs (reading, reports, processes) are timed the same way by
``bench/text_checks_overhead.py``.

Corpora: ``gen`` (``bench.generate``, seed 1: the generated clippings of the other benches) and
``seeds`` (copies of the seed clippings in /work/shared/seeds: real scraped text, foreign lines,
emoji, chrome). The budget (issue 18): the text checks' share of a 100k ``clipqa check`` grows by
at most 20 %; the script exits 1 when the share of the per-file stage grows by more, on any
corpus. Not a test: medians of several rounds on a quiet machine are the honest figure.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SEEDS = next(
    (p / "shared" / "seeds" for p in REPO.parents if (p / "shared" / "seeds").is_dir()),
    REPO.parent / "shared" / "seeds",
)
# main before issue 18's text checks (its merge of the real-page evaluation set and issue 21).
BASE = "81121cfedf0db73653b4498d6c8a79177d676794"
TEXT_CHECKS = ("encoding", "language", "boilerplate")
BUDGET = 1.20  # the text checks' share may grow by 20 %

# Runs in a fresh interpreter with PYTHONPATH=<tree>: prints one JSON line.
STAGE_RUNNER = r"""
import dataclasses, json, sys, time
from pathlib import Path
from qa.checks import all_checks
from qa.config import load_config
from qa.corpus import Source
from qa.pipeline import stage_spec
try:  # renamed on main (the corpus index); older trees (the base) have the private name
    from qa.pipeline import run_corpus_check as _corpus_check
except ImportError:
    from qa.pipeline import _corpus_check
from qa.tables import concat
from qa.stage import Stage

corpus, warmup, names = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3].split(",")
spent = {name: 0.0 for name in names}

checks = all_checks()
for name in names:
    c = checks[name]
    def wrap(hook, name=name, columns=False):
        if hook is None:
            return None
        def run(rec, ctx):
            t = time.process_time()
            try:
                out = hook(rec, ctx)
                return out if columns else list(out)
            finally:
                spent[name] += time.process_time() - t
        return run
    hooks = {"record": wrap(c.record), "columns": wrap(c.columns, columns=True)}
    if getattr(c, "columns_batch", None) is not None:  # a chunk's columns at once (counted as the check's)
        def batch(records, ctx, hook=c.columns_batch, name=name):
            t = time.process_time()
            try:
                return hook(records, ctx)
            finally:
                spent[name] += time.process_time() - t
        hooks["columns_batch"] = batch
    checks[name] = dataclasses.replace(c, **hooks)

config = load_config(None)
config.jobs = 1
files = sorted(p for p in corpus.iterdir() if p.is_file())
warm_files = sorted(p for p in warmup.iterdir() if p.is_file())
spec = stage_spec(config, [str(corpus)])
stage = Stage(spec)
stage.warm()
stage.process([Source(p.name, str(p)) for p in warm_files], 0)
for name in names:
    spent[name] = 0.0
t0 = time.process_time()
results = []
for i in range(0, len(files), 5000):
    chunk = [Source(p.name, str(p)) for p in files[i : i + 5000]]
    results.append(stage.process(chunk, i))
total = time.process_time() - t0
findings = sum(len(r.findings) for r in results)
# the corpus hooks, one after the other in this process (a run forks half of them to a child)
tables = concat([r.tables for r in results])
# as qa.pipeline does before the corpus checks: the results live to the end of the run, so the
# collector's full collections set off by the corpus hooks do not walk them (nor the caches the
# stage built). Without this the duplicate check's hook paid ~35-45 us a seed file of collections
# that a run does not pay, and more for a tree whose caches are larger.
import gc
gc.freeze()
corpus_total = 0.0
corpus_text = {name: 0.0 for name in names}
for c in checks.values():
    if c.corpus is None:
        continue
    t = time.process_time()
    found, _notes = _corpus_check(c, tables, config, spec.run)
    spent_here = time.process_time() - t
    corpus_total += spent_here
    findings += len(found)
    if c.name in corpus_text:
        corpus_text[c.name] += spent_here
print(json.dumps({"files": len(files), "stage": total, "checks": spent, "corpus": corpus_total,
                  "corpus_checks": corpus_text, "findings": findings}))
"""


def export_tree(ref: str, into: Path) -> Path:
    """``ref``'s qa package (code and data) and schemas in ``into``, by ``git archive``."""
    out = subprocess.run(["git", "-C", str(REPO), "archive", ref, "qa", "schemas"], capture_output=True, check=True)
    with tarfile.open(fileobj=BytesIO(out.stdout)) as tar:
        tar.extractall(into, filter="data")
    return into


def make_corpora(root: Path, kinds: list[str], n: int) -> dict[str, Path]:
    out: dict[str, Path] = {}
    if "gen" in kinds:
        sys.path.insert(0, str(REPO))
        from bench.generate import generate

        out["gen"] = root / "gen"
        generate(out["gen"], n, seed=1)
    if "seeds" in kinds:
        seeds = sorted(SEEDS.glob("*.txt"))
        if not seeds:
            raise SystemExit(f"no seeds in {SEEDS}")
        folder = root / "seeds"
        folder.mkdir()
        for i in range(n):
            src = seeds[i % len(seeds)]
            shutil.copyfile(src, folder / f"{i:06d}_{src.stem.split('_', 1)[-1]}.txt")
        out["seeds"] = folder
    return out


def warm_corpus(root: Path) -> Path:
    """Files to warm a stage on (not the measured ones): a few generated clippings and the seeds."""
    from bench.generate import generate

    folder = root / "warm"
    generate(folder, 50, seed=99)
    for src in sorted(SEEDS.glob("*.txt")):
        shutil.copyfile(src, folder / f"warm_{src.name}")
    return folder


def stage_run(tree: Path, corpus: Path, warm: Path, cwd: Path) -> dict[str, Any]:
    from bench.run import bench_env

    env = bench_env(tree)
    out = subprocess.run(
        [sys.executable, "-c", STAGE_RUNNER, str(corpus), str(warm), ",".join(TEXT_CHECKS)],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode:
        raise SystemExit(f"the stage run in {tree} failed:\n{out.stderr}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def figures(run: dict[str, Any]) -> dict[str, float]:
    """Microseconds per file of each text check (per-file hooks and corpus hook), of the three
    together ("text") and of the whole check ("total": per-file stage and corpus hooks), and the
    text checks' share of it."""
    n = int(run["files"])
    out = {c: (float(run["checks"][c]) + float(run["corpus_checks"][c])) * 1e6 / n for c in TEXT_CHECKS}
    out["text"] = sum(out[c] for c in TEXT_CHECKS)
    out["total"] = (float(run["stage"]) + float(run["corpus"])) * 1e6 / n
    out["share"] = out["text"] / out["total"]
    return out


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", default=BASE, help="git revision to compare with (default: main before issue 18)")
    ap.add_argument("--also", help="a third git revision measured in the same run (e.g. main)")
    ap.add_argument("--files", type=int, default=5000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--corpus", default="gen,seeds")
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args(argv)
    kinds = [k for k in args.corpus.split(",") if k]
    refs = [args.base] + ([args.also] if args.also else [])
    for ref in refs:
        try:
            subprocess.run(
                ["git", "-C", str(REPO), "rev-parse", "--verify", ref + "^{commit}"], capture_output=True, check=True
            )
        except (OSError, subprocess.CalledProcessError):
            print(f"text_checks_bench: no git revision {ref!r} here; nothing to compare with", file=sys.stderr)
            return 0
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    with tempfile.TemporaryDirectory(prefix="clipqa-textbench-") as tmp:
        root = Path(tmp)
        trees = {"base": export_tree(args.base, root / "base"), "this": REPO}
        if args.also:
            trees["also"] = export_tree(args.also, root / "also")
        names = list(trees)
        corpora = make_corpora(root, kinds, args.files)
        warm = warm_corpus(root)
        stage: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for r in range(args.rounds):
            if len(names) == 2:
                order = names if r % 2 == 0 else names[::-1]
            else:
                order = names[r % len(names) :] + names[: r % len(names)]
            for kind, corpus in corpora.items():
                for name in order:
                    stage.setdefault((kind, name), []).append(stage_run(trees[name], corpus, warm, root))
            print(f"round {r + 1} of {args.rounds} done", file=sys.stderr)
    load_after = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    report: dict[str, object] = {
        "base": args.base,
        "also": args.also,
        "files": args.files,
        "rounds": args.rounds,
        "load": [load, load_after],
    }
    missed = False
    print(f"{args.files} files a corpus, median of {args.rounds} rounds; load average {load:.1f} -> {load_after:.1f}")
    print(f"base = {args.base}" + (f", also = {args.also}" if args.also else "") + ", this = the working tree")
    print(
        f"{'corpus':7} {'tree':5} "
        + " ".join(f"{c:>12}" for c in TEXT_CHECKS)
        + f" {'text':>8} {'check':>8} {'share':>6}"
    )
    for kind in corpora:
        shares: dict[str, float] = {}
        texts: dict[str, float] = {}
        for name in ("base", "also", "this"):
            if (kind, name) not in stage:
                continue
            runs = [figures(x) for x in stage[(kind, name)]]
            per = {c: statistics.median(x[c] for x in runs) for c in TEXT_CHECKS}
            text = statistics.median(x["text"] for x in runs)
            total = statistics.median(x["total"] for x in runs)
            share = statistics.median(x["share"] for x in runs)
            shares[name], texts[name] = share, text
            print(
                f"{kind:7} {name:5} "
                + " ".join(f"{per[c]:9.1f} us" for c in TEXT_CHECKS)
                + f" {text:5.1f} us {total:5.0f} us {share:6.1%}"
            )
            report[f"{kind}.{name}"] = {"per_check_us": per, "text_us": text, "check_us": total, "share": share}
        growth = shares["this"] / shares["base"]
        ratio = texts["this"] / texts["base"]
        missed |= growth > BUDGET
        print(
            f"{kind:7} text checks' CPU x{ratio:.2f}; their share of the check x{growth:.2f} "
            f"(budget x{BUDGET:.2f}: {'met' if growth <= BUDGET else 'MISSED'})"
        )
        report[f"{kind}.growth"] = {"text_ratio": ratio, "share_growth": growth}
        if "also" in shares:
            print(
                f"{kind:7} against also: text checks' CPU x{texts['this'] / texts['also']:.2f}; "
                f"their share x{shares['this'] / shares['also']:.2f}"
            )
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
