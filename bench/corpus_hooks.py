"""Corpus hooks over given tables: save their findings, compare them with saved ones, time them.

    python bench/corpus_hooks.py save OUT.pkl INPUT...      # findings of every corpus hook
    python bench/corpus_hooks.py compare OUT.pkl INPUT...   # the same findings, field by field?
    python bench/corpus_hooks.py time INPUT [--repeat 5] [--profile]

An INPUT is a pickled ``RunResult`` (its ``.tables`` and ``.config``) or a corpus folder (run
through the per-file stage here, with the default configuration, no cache). A finding is
compared on every field, with each value's type (an ``np.int64`` line is not an ``int`` line),
and in order. Timings are CPU seconds (``time.process_time``) of each hook, median of
``--repeat`` runs, in this process.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import pickle
import statistics
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from qa.checks import all_checks
from qa.config import Config, load_config
from qa.pipeline import run, run_context, run_corpus_check

NOW = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
Key = tuple[tuple[str, str], ...]


def load(source: str) -> tuple[dict[str, pd.DataFrame], Config, list[str]]:
    if os.path.isfile(source):
        with open(source, "rb") as fh:
            result = pickle.load(fh)
        return result.tables, result.config, list(result.roots)
    config = load_config(None)
    return run([source], config).tables, config, [source]


def hooks(tables: dict[str, pd.DataFrame], config: Config, roots: list[str]) -> dict[str, list[Key]]:
    ctx = {**run_context(config, roots), "now": NOW}
    out: dict[str, list[Key]] = {}
    for check in all_checks().values():
        if check.corpus is None:
            continue
        found, notes = run_corpus_check(check, tables, config, ctx)
        out[check.name] = [
            tuple(
                (f.name, f"{type(v).__name__}:{v!r}")
                for f, v in zip(dataclasses.fields(x), dataclasses.astuple(x), strict=True)
            )
            for x in found
        ]
        out[check.name + ":notices"] = [(("notice", repr(n)),) for n in notes]
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=("save", "compare", "time"))
    ap.add_argument("args", nargs="+")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--profile", action="store_true")
    opts = ap.parse_args()
    if opts.mode == "time":
        tables, config, roots = load(opts.args[0])
        ctx = {**run_context(config, roots), "now": NOW}
        for check in all_checks().values():
            if check.corpus is None:
                continue
            times = []
            for _ in range(opts.repeat):
                t0 = time.process_time()
                found, _notes = run_corpus_check(check, tables, config, ctx)
                times.append(time.process_time() - t0)
            runs = ", ".join(f"{t:.3f}" for t in times)
            median = statistics.median(times)
            print(f"{check.name:12} {median:7.3f} s CPU (median of {opts.repeat}: {runs}) {len(found)} findings")
        if opts.profile:
            from pyinstrument import Profiler

            p = Profiler(interval=0.0005)
            p.start()
            for check in all_checks().values():
                if check.corpus is not None:
                    run_corpus_check(check, tables, config, ctx)
            p.stop()
            print(p.output_text(unicode=False, color=False))
        return 0
    out_path, sources = opts.args[0], opts.args[1:]
    got = {s: hooks(*load(s)) for s in sources}
    if opts.mode == "save":
        with open(out_path, "wb") as fh:
            pickle.dump(got, fh)
        for s, by in got.items():
            print(s, {k: len(v) for k, v in by.items() if v})
        return 0
    with open(out_path, "rb") as fh:
        saved = pickle.load(fh)
    bad = 0
    for s, by in got.items():
        for name in sorted(set(by) | set(saved[s])):
            a, b = saved[s].get(name, []), by.get(name, [])
            if a != b:
                bad += 1
                first = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
                print(f"DIFFERENT {s} {name}: {len(a)} vs {len(b)} findings; first difference at {first}")
                print("  before:", a[first] if first < len(a) else None)
                print("  after: ", b[first] if first < len(b) else None)
            else:
                print(f"same {s} {name}: {len(a)} findings")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
