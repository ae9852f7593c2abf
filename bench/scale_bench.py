"""Issue 9 under ``nox -s bench``: clipqa check vs the bare PyYAML parse at 10k, 30k, 100k files.

Runs ``bench/run.py`` with its defaults (3 runs per size) and ``--strict``: exit 1 when
a target is missed (ratio <= 1.0, <= 60 s at 100k, peak < 2 GiB). See docs/performance.md.

    python bench/scale_bench.py [--sizes 10000,30000,100000] [--runs 3] [--work DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.run import main  # imported after the path set-up, so the script runs from anywhere

if __name__ == "__main__":
    raise SystemExit(main(["--strict", *sys.argv[1:]]))
