"""Benchmark ``clipqa check`` against the bare-parse baseline (``nox -s bench``).

For each corpus size N (default 10k, 30k and 100k clippings, generated
deterministically by ``bench.generate`` and kept between runs), in the same run:

* the **baseline**: a fresh process reads every file and parses its front matter
  with ``yaml.load(..., Loader=yaml.CSafeLoader)`` (``python -m bench.baseline``);
* ``clipqa check`` (offline, every check, JSON and HTML reports written, no result
  cache: every run does all the work), as a fresh process, with the peak resident memory of its whole process tree
  (parent + workers, sampled with psutil; without psutil, the largest single
  process from ``getrusage``).

Each is run ``--runs`` times (at least 3) and the median wall time is reported,
with the ratio check / baseline (the figure we track: target <= 1.0), and the
cost per 1,000 files and the log-log slope of time against N (1.0 = linear).

    python -m bench.run [--sizes 10000,30000,100000] [--runs 3] [--work .bench] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.generate import generate, write_manifest

TARGET_RATIO = 1.0


def bench_env(tree: Path | None = None) -> dict[str, str]:
    """The environment of the timed processes: this one's, with ``tree`` (default: this
    repository) first on the path, without clipqa's debug switch, and with bytecode written
    and read as on a user's machine. ``PYTHONDONTWRITEBYTECODE`` (set on some CI and sandbox
    machines) would make every run compile clipqa's own modules from source (~0.12 s, a tenth
    of a gate run); the tree is compiled once here instead."""
    import compileall

    tree = tree or REPO
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(tree), *filter(None, [env.get("PYTHONPATH")])])
    env.pop("CLIPQA_DEBUG", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    compileall.compile_dir(tree / "qa", quiet=1)
    return env


TARGET_SECONDS_100K = 60.0
TARGET_PEAK_BYTES = 2 * 1024**3
REPO = Path(__file__).resolve().parents[1]


@dataclass(slots=True)
class SizeResult:
    n: int
    baseline_runs: list[float] = field(default_factory=list)
    check_runs: list[float] = field(default_factory=list)
    baseline_cpu: list[float] = field(default_factory=list)
    check_cpu: list[float] = field(default_factory=list)
    peak_rss_bytes: int = 0
    findings: int | None = None
    exit_codes: list[int] = field(default_factory=list)

    @property
    def baseline(self) -> float:
        return statistics.median(self.baseline_runs)

    @property
    def check(self) -> float:
        return statistics.median(self.check_runs)

    @property
    def ratio(self) -> float:
        return self.check / self.baseline

    @property
    def cpu_ratio(self) -> float:
        return statistics.median(self.check_cpu) / statistics.median(self.baseline_cpu)


def corpus(work: Path, n: int, seed: int) -> Path:
    """The generated corpus for ``n`` (re-used when a complete one is already there)."""
    directory = work / f"corpus-{n}-seed{seed}"
    marker = work / f"corpus-{n}-seed{seed}.manifest.json"
    if marker.exists() and directory.is_dir():
        return directory
    t0 = time.perf_counter()
    manifest = generate(directory, n, seed)
    write_manifest(manifest, marker)
    print(f"  generated {n:,} files ({manifest.bytes / 1e6:.0f} MB) in {time.perf_counter() - t0:.1f}s", flush=True)
    return directory


class TreePeak:
    """Peak RSS of a process and all its descendants, sampled every ``interval`` s. With
    ``pss``, the proportional set size instead: a page that a forked child shares with its
    parent is counted once, split between them (RSS counts it in each)."""

    def __init__(self, pid: int, interval: float = 0.05, pss: bool = False) -> None:
        self.pid = pid
        self.interval = interval
        self.pss = pss
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreePeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        try:
            import psutil
        except ImportError:  # pragma: no cover - psutil is in the bench session
            return
        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self._stop.is_set():
            total = 0
            try:
                procs = [root, *root.children(recursive=True)]
            except psutil.Error:
                break
            for proc in procs:
                try:
                    total += proc.memory_full_info().pss if self.pss else proc.memory_info().rss
                except psutil.Error:
                    continue
            self.peak = max(self.peak, total)
            self._stop.wait(self.interval)


def timed(cmd: Sequence[str], env: dict[str, str]) -> tuple[float, int, int, float]:
    """(wall seconds, exit code, peak tree RSS in bytes, CPU seconds of the tree) of one command.

    CPU seconds (user + system of the process and the workers it waited for) do not
    grow when other jobs share the machine, unlike wall time: report both.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=REPO)
    with TreePeak(proc.pid) as peak:
        _, err = proc.communicate()
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    # Without psutil: the largest single child process so far (KiB on Linux).
    single = after.ru_maxrss * 1024
    if proc.returncode not in (0, 1):
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{err.decode(errors='replace')}")
    return wall, proc.returncode, max(peak.peak, single), cpu


def bench_size(work: Path, n: int, seed: int, runs: int, jobs: int, env: dict[str, str]) -> SizeResult:
    print(f"N = {n:,}", flush=True)
    directory = corpus(work, n, seed)
    out = work / f"reports-{n}"
    out.mkdir(parents=True, exist_ok=True)
    result = SizeResult(n)
    baseline_cmd = [sys.executable, "-m", "bench.baseline", str(directory)]
    check_cmd = [
        sys.executable, "-m", "qa", "check", str(directory), "--isolated", "--no-cache", "-q", "--no-progress",
        "--color", "never", "--json", str(out / "findings.json"), "--html", str(out / "report.html"),
    ]  # fmt: skip
    if jobs:
        check_cmd += ["--jobs", str(jobs)]
    for i in range(runs):
        # Alternate, so that a burst of load on a shared machine hits both alike.
        wall, _, _, cpu = timed(baseline_cmd, env)
        result.baseline_runs.append(wall)
        result.baseline_cpu.append(cpu)
        wall, code, peak, cpu = timed(check_cmd, env)
        result.check_runs.append(wall)
        result.check_cpu.append(cpu)
        result.exit_codes.append(code)
        result.peak_rss_bytes = max(result.peak_rss_bytes, peak)
        print(
            f"  run {i + 1}: baseline {result.baseline_runs[-1]:6.2f}s  check {wall:6.2f}s  "
            f"peak {peak / 2**20:6.0f} MiB  (CPU s: baseline {result.baseline_cpu[-1]:.1f}, check {cpu:.1f})",
            flush=True,
        )
    try:
        doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
        result.findings = len(doc.get("findings", []))
    except (OSError, ValueError):
        result.findings = None
    return result


def slope(results: Sequence[SizeResult], attr: str) -> float | None:
    """Least-squares slope of log(time) against log(N): 1.0 is linear."""
    if len(results) < 2:
        return None
    xs = [math.log(r.n) for r in results]
    ys = [math.log(getattr(r, attr)) for r in results]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else None


def report(results: Sequence[SizeResult]) -> list[str]:
    lines = [
        f"{'N':>8} {'baseline s':>11} {'check s':>9} {'ratio':>6} {'ms/1k files':>12} {'peak MiB':>9} "
        f"{'findings':>9} {'CPU ratio':>9}",
    ]
    for r in results:
        lines.append(
            f"{r.n:>8,} {r.baseline:>11.2f} {r.check:>9.2f} {r.ratio:>6.2f} {1000 * r.check / r.n * 1000:>12.0f} "
            f"{r.peak_rss_bytes / 2**20:>9.0f} {r.findings if r.findings is not None else '?':>9} {r.cpu_ratio:>9.2f}"
        )
    s_check, s_base = slope(results, "check"), slope(results, "baseline")
    if s_check is not None and s_base is not None:
        lines.append(f"linearity: time ~ N^{s_check:.2f} for check, N^{s_base:.2f} for the baseline (1.00 = linear)")
    largest = max(results, key=lambda r: r.n)
    verdicts = [
        ("ratio <= 1.0", largest.ratio <= TARGET_RATIO, f"{largest.ratio:.2f} at N={largest.n:,}"),
        ("peak < 2 GiB", all(r.peak_rss_bytes < TARGET_PEAK_BYTES for r in results), ""),
    ]
    if largest.n >= 100_000:
        verdicts.append(("<= 60 s at 100k", largest.check <= TARGET_SECONDS_100K, f"{largest.check:.1f}s"))
    for name, ok, detail in verdicts:
        lines.append(f"target {name}: {'met' if ok else 'MISSED'} {detail}".rstrip())
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,30000,100000", help="comma-separated corpus sizes")
    parser.add_argument("--runs", type=int, default=3, help="runs per size (median; at least 3)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=0, help="clipqa --jobs (0: one per CPU)")
    parser.add_argument("--work", default=None, help="folder for corpora and reports [a temporary folder]")
    parser.add_argument("--json", dest="json_out", help="also write the results here")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    if args.runs < 3:
        parser.error("--runs must be at least 3 (medians of fewer runs are noise on a shared machine)")
    sizes = sorted(int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip())
    env = bench_env()
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"clipqa benchmark: sizes {sizes}, {args.runs} runs each, {cpus} CPUs, python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory(prefix="clipqa-bench-") as tmp:
        work = Path(args.work) if args.work else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        results = [bench_size(work, n, args.seed, args.runs, args.jobs, env) for n in sizes]
    lines = report(results)
    print("\n".join(lines))
    if args.json_out:
        doc: dict[str, Any] = {
            "cpus": cpus,
            "runs": args.runs,
            "results": [
                {
                    **asdict(r),
                    "baseline_median": r.baseline,
                    "check_median": r.check,
                    "ratio": r.ratio,
                    "cpu_ratio": r.cpu_ratio,
                }
                for r in results
            ],
            "slope_check": slope(results, "check"),
            "slope_baseline": slope(results, "baseline"),
            "summary": lines,
        }
        Path(args.json_out).write_text(json.dumps(doc, indent=1), encoding="utf-8")
    missed = any("MISSED" in line for line in lines)
    return 1 if missed and args.strict else 0


if __name__ == "__main__":
    raise SystemExit(main())
