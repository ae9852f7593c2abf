"""Timing of the cross-record checks (published, duplicate, consistency) over 100,000 clippings.

Builds synthetic tables shaped as the pipeline builds them (``files`` with the columns
the checks compute in the workers, ``clippings``, ``related`` with two items per
clipping), with planted problems, then times each check's corpus function. The
per-record work done in the workers (story keys, MinHash signatures) is timed on a
sample and reported per record; it runs in parallel, file by file, with parsing.

    python bench/crossrec_bench.py [--rows 100000] [--budget 10]

Exits 1 if the corpus stage of the three checks takes longer than the budget (seconds),
or if a planted problem is not found.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import random
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from qa.checks import (
    Context,
    consistency,
    duplicate,
    published,
)
from qa.crossrec import title_key
from qa.urls import url_key

NUM_PERM = 128
PROVIDERS = [(f"Provider {p}", f"provider{p}.example.com") for p in range(400)]


def build(n: int, seed: int = 7) -> tuple[dict[str, pd.DataFrame], dict[str, int]]:
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    base = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    planted: dict[str, int] = {}

    prov = [PROVIDERS[rng.randrange(len(PROVIDERS))] for _ in range(n)]
    urls = [f"https://www.{prov[i][1]}/2024/{i % 12 + 1:02d}/story-{i}/" for i in range(n)]
    titles = [
        f"Story {i}: {rng.choice(['Port', 'Rail', 'Grid', 'Chip'])} news number {i * 31 % 9973}" for i in range(n)
    ]
    dates = [base + dt.timedelta(minutes=7 * i) for i in range(n)]
    names = [f"{i:06d}_{hashlib.blake2b(str(i).encode(), digest_size=8).hexdigest()}.txt" for i in range(n)]
    state = ["true" if rng.random() < 0.7 else "false" for _ in range(n)]
    sha = [hashlib.sha256(f"file {i}".encode()).hexdigest() for i in range(n)]

    # D101 (+ F108 when both published): 1% of the files repeat another file's page as an AMP/utm variant
    dup_url = range(0, n // 100)
    for i in dup_url:
        j = n // 2 + i
        urls[i] = urls[j].replace("https://www.", "https://").rstrip("/") + "/amp/?utm_source=rss"
        prov[i] = prov[j]
        state[i] = state[j] = "true"
    planted["D101"] = len(dup_url)
    # D104: 0.5% of the files carry another provider's title (syndication)
    synd = range(n // 100, n // 100 + n // 200)
    for i in synd:
        j = i + n // 4
        titles[i] = titles[j]
        if prov[i] == prov[j]:
            prov[i] = PROVIDERS[(PROVIDERS.index(prov[j]) + 1) % len(PROVIDERS)]
    planted["D104"] = len(synd)
    # D103: 0.2% byte-identical copies (a copy carries everything: URL, title, name's id)
    copies = range(n - n // 500, n)
    for i in copies:
        j = i - n // 3
        sha[i], urls[i], titles[i], prov[i], state[i] = sha[j], urls[j], titles[j], prov[j], state[j]
        names[i] = "copy/" + names[j]
    planted["D103"] = len(copies)
    # C103: 0.1% of the files are named off the pattern
    for i in range(n // 3, n // 3 + n // 1000):
        names[i] = f"clip-{i}.txt"
    planted["C103"] = n // 1000

    # near-duplicate bodies: 60% of files have a body; 1% are near-copies of another body
    has_body = nrng.random(n) < 0.6
    sig = nrng.integers(0, 2**32, size=(n, NUM_PERM), dtype=np.uint64).astype(np.uint32)
    near = np.arange(2 * n // 100, 3 * n // 100)
    src = near + n // 5
    sig[near] = sig[src]
    flip = nrng.random((len(near), NUM_PERM)) < 0.08  # ~92% of minima shared
    sig[near] = np.where(flip, nrng.integers(0, 2**32, size=flip.shape, dtype=np.uint64).astype(np.uint32), sig[near])
    has_body[near] = has_body[src] = True
    planted["D105"] = len(near)
    blobs: list[Any] = [sig[i].astype("<u4").tobytes() if has_body[i] else None for i in range(n)]

    t0 = time.perf_counter()
    story_url = [url_key(u) for u in urls]
    story_title = [title_key(t) for t in titles]
    worker_keys = time.perf_counter() - t0
    files = pd.DataFrame(
        {
            "_record": np.arange(n),
            "_path": names,
            "sha256": pd.array(sha, dtype="string[pyarrow]"),
            "size": pd.array([2000 + i % 500 for i in range(n)], dtype="Int64"),
            "has_front_matter": True,
            "usable": True,
            "body_chars": 0,
            "story_url": story_url,
            "story_title": story_title,
            "story_provider": [p[1] for p in prov],
            "published_state": state,
            "body_minhash": blobs,
            "body_line": [30 if b is not None else None for b in blobs],
        }
    )
    clippings = pd.DataFrame(
        {
            "_record": np.arange(n),
            "_path": names,
            "_field": "",
            "title": pd.array(titles, dtype="string[pyarrow]"),
            "webUrl": pd.array(urls, dtype="string[pyarrow]"),
            "publishedDateTime": pd.Series(dates, dtype=object),
            "provider.name": pd.array([p[0] for p in prov], dtype="string[pyarrow]"),
            "provider.domain": pd.array([p[1] for p in prov], dtype="string[pyarrow]"),
            "published": pd.array([s == "true" for s in state], dtype="boolean"),
            "heat": pd.array([rng.randrange(0, 500) if s == "true" else -1 for s in state], dtype="Int64"),
            "quality": pd.array([rng.randrange(20, 100) for _ in range(n)], dtype="Int64"),
        }
    )
    # related: two per clipping; half link to another clipping (a third of those through an AMP URL)
    rel_rows: dict[str, list[Any]] = {
        k: []
        for k in (
            "_record",
            "_path",
            "_field",
            "title",
            "webUrl",
            "publishedDateTime",
            "provider.name",
            "provider.domain",
        )
    }
    mismatches = 0
    for i in range(n):
        for k in range(2):
            rel_rows["_record"].append(i)
            rel_rows["_path"].append(names[i])
            rel_rows["_field"].append(f"related[{k}]")
            if k == 0 and i not in copies:
                j = (i * 7 + 13) % n
                while j in copies or j < n // 100 or n // 2 <= j < n // 2 + n // 100:  # not a copy nor in a D101 group
                    j = (j + 1) % n
                u = urls[j] if j % 3 else urls[j].rstrip("/") + "/amp/"
                title = titles[j]
                if i % 500 == 0 and j != i:
                    title = "A different headline entirely"
                    mismatches += 1
                rel_rows["title"].append(title)
                rel_rows["webUrl"].append(u)
                rel_rows["publishedDateTime"].append(dates[j])
                rel_rows["provider.name"].append(prov[j][0])
                rel_rows["provider.domain"].append(prov[j][1])
            else:
                rel_rows["title"].append(f"Outside story {i}-{k}")
                rel_rows["webUrl"].append(f"https://outside{i % 997}.example.net/a/{i}/{k}")
                rel_rows["publishedDateTime"].append(dates[i])
                rel_rows["provider.name"].append("Outside")
                rel_rows["provider.domain"].append(f"outside{i % 997}.example.net")
    related = pd.DataFrame(
        {
            k: (pd.Series(v, dtype=object) if k == "publishedDateTime" else pd.array(v, dtype="string[pyarrow]"))
            if k != "_record"
            else np.asarray(v)
            for k, v in rel_rows.items()
        }
    )
    planted["C101"] = mismatches
    # what the consistency check's columns hook computes per record in the workers
    t0 = time.perf_counter()
    rel_urls = rel_rows["webUrl"]
    files["related_url_keys"] = [(url_key(rel_urls[2 * i]), url_key(rel_urls[2 * i + 1])) for i in range(n)]
    worker_keys += time.perf_counter() - t0
    planted["_worker_keys_ms"] = int(worker_keys * 1000)
    return {"files": files, "clippings": clippings, "related": related}, planted


def ctx(check: Any) -> Context:
    return Context(dict(check.CHECK.options), {"now": dt.datetime(2026, 1, 1, tzinfo=dt.UTC)})


def per_record_costs(samples: int = 500) -> dict[str, float]:
    """Microseconds per record of the worker-side hooks (MinHash of a 300-word body, story keys)."""
    rng = random.Random(1)
    bodies = [" ".join(f"w{rng.randrange(5000)}" for _ in range(300)) for _ in range(samples)]
    t0 = time.perf_counter()
    for b in bodies:
        duplicate.body_signature(b, NUM_PERM, 5, 50)
    minhash = (time.perf_counter() - t0) / samples * 1e6
    urls = [f"https://www.site{i}.example.com/2024/05/story-{i}/amp/?utm_source=x&id={i}" for i in range(samples)]
    t0 = time.perf_counter()
    for u in urls:
        url_key(u)
    keys = (time.perf_counter() - t0) / samples * 1e6
    return {"minhash_us": minhash, "url_key_us": keys}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--budget", type=float, default=10.0)
    args = ap.parse_args()
    t0 = time.perf_counter()
    tables, planted = build(args.rows)
    print(
        f"built {args.rows:,} clippings, {len(tables['related']):,} related items in {time.perf_counter() - t0:.1f} s"
    )
    print(
        f"  (of which {planted['_worker_keys_ms'] / 1000:.1f} s computing the canonical URL and title keys "
        "that the workers compute per file, in parallel)"
    )
    found: dict[str, int] = {}
    total = 0.0
    for module in (published, duplicate, consistency):
        t = time.perf_counter()
        findings = list(module.CHECK.corpus(tables, ctx(module)))  # type: ignore[misc]
        took = time.perf_counter() - t
        total += took
        for f in findings:
            found[f.rule] = found.get(f.rule, 0) + 1
        print(f"  {module.CHECK.name:<12} {took:6.2f} s  {len(findings):>6,} findings")
    print(f"corpus stage of the three checks: {total:.2f} s (budget {args.budget:.0f} s)")
    print("findings by rule:", dict(sorted(found.items())))
    costs = per_record_costs()
    print(
        f"worker side, per record: MinHash of a 300-word body {costs['minhash_us']:.0f} us, "
        f"canonical URL key {costs['url_key_us']:.0f} us"
    )
    ok = total <= args.budget
    for code in ("D101", "D103", "D104", "D105", "C101", "C103"):
        # LSH is probabilistic: a pair sharing 92% of its minima is missed with a probability of ~2.5%
        wanted = int(planted[code] * 0.95) if code == "D105" else planted[code]
        if found.get(code, 0) < wanted:
            print(f"MISSED: {code} found {found.get(code, 0)}, planted {planted[code]}")
            ok = False
    if found.get("F108", 0) < planted["D101"]:
        print(f"MISSED: F108 found {found.get('F108', 0)}, planted {planted['D101']}")
        ok = False
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
