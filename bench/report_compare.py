"""The reports of this tree against those of another git revision: same bytes, and how fast.

For each RunResult (a pickled one, or a run over a corpus folder done here, in this
process, so timestamps and durations are the same for both), the HTML report and the
JSON findings document are written by this tree's ``qa.report.html`` /
``qa.report.json_report`` and by the same modules as they are at ``--ref`` (loaded from
``git show``), and the files' bytes are compared. Each result is also checked with a
baseline comparison on it (statuses and fixed entries), which takes other code paths.

    python bench/report_compare.py --ref main [--time 3] [--pickle RUN.pkl ...] [CORPUS ...]

With ``--time N``: CPU seconds of ``html.render`` and ``json_report.dumps``, old and new
alternating, N times each; medians. Exits 1 when any file differs.
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from qa.pipeline import RunResult  # noqa: E402
from qa.report import html, json_report  # noqa: E402


def old_module(ref: str, name: str, tmp: Path) -> ModuleType:
    source = subprocess.run(
        ["git", "-C", str(REPO), "show", f"{ref}:qa/report/{name}.py"], check=True, capture_output=True, text=True
    ).stdout
    path = tmp / f"_old_{name}.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(f"_old_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def corpus_run(folder: str) -> RunResult:
    from qa.cli import build_config
    from qa.pipeline import run

    if not Path(folder).is_dir():
        raise SystemExit(f"{folder}: no such folder")
    return run([folder], build_config([folder], {"isolated": True}))


def with_baseline(result: RunResult) -> RunResult:
    """The result as a baseline comparison leaves it: every third finding existing, some fixed."""
    out = copy.deepcopy(result)
    for i, f in enumerate(out.findings):
        f.status = "existing" if i % 3 == 0 else "new"
    table = out.tables.get("clippings")
    paths = table["_path"].tolist()[:50] if table is not None else []
    out.fixed = [
        {"fingerprint": f"{i:016x}", "rule": "S101" if i % 2 else "X000", "path": p, "field": None, "message": "gone"}
        for i, p in enumerate([*paths, "not/a/clipping.txt"])
    ]
    out.baseline_path = "baseline.json"
    return out


def cpu(fn: Callable[[], Any]) -> float:
    start = time.process_time()
    fn()
    return time.process_time() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ref", default="main", help="the git revision to compare against (default: main)")
    ap.add_argument("--pickle", action="append", default=[], help="a pickled RunResult (repeatable)")
    ap.add_argument("--time", type=int, default=0, metavar="N", help="time render and dumps N times each")
    ap.add_argument("corpora", nargs="*", help="corpus folders to run and report on")
    args = ap.parse_args()
    results: list[tuple[str, RunResult]] = []
    for p in args.pickle:
        with open(p, "rb") as fh:
            results.append((Path(p).name, pickle.load(fh)))
    results += [(folder, corpus_run(folder)) for folder in args.corpora]
    same = True
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        old_html, old_json = old_module(args.ref, "html", tmp), old_module(args.ref, "json_report", tmp)
        for name, result in results:
            for label, r in ((name, result), (f"{name} (baseline)", with_baseline(result))):
                writers = (("html", old_html.write, html.write), ("json", old_json.write, json_report.write))
                for kind, old, new in writers:
                    old(r, tmp / "old")
                    new(r, tmp / "new")
                    a, b = (tmp / "old").read_bytes(), (tmp / "new").read_bytes()
                    same &= a == b
                    verdict = "same bytes" if a == b else "DIFFERENT"
                    print(f"{label}: {kind} {verdict} ({len(a):,} bytes, {len(r.findings):,} findings)")
            if args.time:
                times: dict[str, list[float]] = {"html old": [], "html new": [], "json old": [], "json new": []}
                for _ in range(args.time):
                    times["html old"].append(cpu(lambda: old_html.render(result)))  # noqa: B023
                    times["html new"].append(cpu(lambda: html.render(result)))  # noqa: B023
                    times["json old"].append(cpu(lambda: old_json.dumps(result)))  # noqa: B023
                    times["json new"].append(cpu(lambda: json_report.dumps(result)))  # noqa: B023
                for key, ts in times.items():
                    print(f"  {key}: median {statistics.median(ts):.3f} s CPU ({', '.join(f'{t:.3f}' for t in ts)})")
    print("all the same bytes" if same else "SOME REPORTS DIFFER")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
