"""Incremental re-check benchmark: a cold run, then a re-run after 1% of the files changed.

Target (issue 6): the re-run takes at most 15% of the cold run. The cold run fills
the result cache; the warm run reads every file (to hash it), re-checks only the
changed ones, and runs the corpus-level checks over the whole corpus.

    python bench/incremental_bench.py --files 20000 [--changed 0.01] [--jobs 0] [--keep DIR]

Prints one JSON line with the figures; exit 1 when the ratio is over the target.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

TARGET = 0.15
WORDS = [
    "market",
    "chip",
    "supply",
    "river",
    "budget",
    "council",
    "vaccine",
    "rocket",
    "harvest",
    "court",
    "senate",
    "election",
    "drought",
    "museum",
    "league",
    "merger",
    "tariff",
    "satellite",
    "glacier",
    "festival",
    "census",
    "pipeline",
    "reactor",
    "archive",
]


def clipping(i: int, rng: random.Random, edit: int = 0) -> str:
    body = " ".join(rng.choice(WORDS) for _ in range(120))
    return (
        "---\n"
        f'title: "Story {i} about {rng.choice(WORDS)} (rev {edit})"\n'
        f'excerpt: "An excerpt on {rng.choice(WORDS)} and {rng.choice(WORDS)}."\n'
        f"publishedDateTime: 2021-{1 + i % 12:02d}-{1 + i % 28:02d}T10:{i % 60:02d}:00Z\n"
        f'originalUrl: "https://news{i % 500}.example.org/{i}"\n'
        f'webUrl: "https://news{i % 500}.example.org/{i}"\n'
        "type: article\n"
        f"quality: {i % 100}\n"
        "published: false\n"
        f"provider:\n  name: News {i % 500}\n  domain: news{i % 500}.example.org\n"
        "topics:\n  - AI\n  - Chips\n"
        f'images:\n  - url: "https://news{i % 500}.example.org/{i}.jpg"\n    width: 768\n    height: 512\n'
        "    isCached: true\n"
        "related:\n"
        f'  - title: "Related to {i}"\n    webUrl: "https://other.example.com/{i}"\n'
        "    publishedDateTime: 2021-12-29T00:19:00Z\n"
        "    provider:\n      name: Other\n      domain: other.example.com\n"
        "---\n"
        f"{body}\n"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--files", type=int, default=20_000)
    ap.add_argument("--changed", type=float, default=0.01)
    ap.add_argument("--jobs", type=int, default=0)
    ap.add_argument("--keep", help="build the corpus here and keep it (default: a temp folder, removed)")
    args = ap.parse_args()

    from qa import __version__
    from qa.config import load_config
    from qa.pipeline import run

    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="clipqa-incr-"))
    corpus, cache = base / "corpus", base / "cache"
    shutil.rmtree(corpus, ignore_errors=True)
    shutil.rmtree(cache, ignore_errors=True)
    corpus.mkdir(parents=True)
    rng = random.Random(42)
    for i in range(args.files):
        folder = corpus / f"{i // 1000:03d}"
        folder.mkdir(exist_ok=True)
        (folder / f"c{i:06d}.txt").write_text(clipping(i, rng))
    cfg = load_config(None, {"jobs": args.jobs})
    try:
        t0 = time.perf_counter()
        cold = run([str(corpus)], cfg, cache_dir=str(cache))
        cold_s = time.perf_counter() - t0
        n_changed = max(1, int(args.files * args.changed))
        for i in rng.sample(range(args.files), n_changed):
            (corpus / f"{i // 1000:03d}" / f"c{i:06d}.txt").write_text(clipping(i, rng, edit=1))
        t0 = time.perf_counter()
        warm = run([str(corpus)], cfg, cache_dir=str(cache))
        warm_s = time.perf_counter() - t0
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    ratio = warm_s / cold_s
    print(
        json.dumps(
            {
                "bench": "incremental",
                "clipqa": __version__,
                "files": args.files,
                "changed": n_changed,
                "cold_seconds": round(cold_s, 2),
                "warm_seconds": round(warm_s, 2),
                "ratio": round(ratio, 3),
                "target": TARGET,
                "cache_hits": warm.cache_hits,
                "findings_cold": len(cold.findings),
                "findings_warm": len(warm.findings),
            }
        )
    )
    assert warm.cache_hits == args.files - n_changed, "every unchanged file should be a cache hit"
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
