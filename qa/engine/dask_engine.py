"""The Dask engine: the same per-file stage, on a Dask cluster.

``clipqa check --engine dask`` starts a ``LocalCluster`` (one single-threaded worker
process per CPU); ``--scheduler tcp://host:8786`` uses an existing cluster instead.
Each task is one partition (a chunk of files, as in the local engine): the worker
reads the files (through fsspec, so ``s3://bucket/corpus/`` works where s3fs is
installed), parses them, runs the per-record checks, builds the partition's tables
and validates them with the same pandera schemas, and returns compact results
(findings and table rows). The client merges the tables and runs the corpus checks,
exactly as the local engine's parent does.

Why validate per partition rather than hand pandera a dask DataFrame: pandera's
validation of a dask DataFrame reported only the first failing partition's errors.
Validating each partition as a pandas DataFrame and gathering the failures of all
partitions reports every failure, and the findings are identical to the local
engine's (a test asserts it).

Workers must be able to import ``qa`` (install clipqa on every worker, with the same
version and schemas) and to read the paths: local paths need a file system shared by
every worker; object-store URLs need the fsspec driver (s3fs, gcsfs...) on every worker.
"""

from __future__ import annotations

import posixpath
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from qa.corpus import Discovery, Source
from qa.findings import Finding
from qa.stage import ChunkResult, Stage, StageSpec

# Per worker process: the Stage of each run, built once (schemas compiled, checks loaded).
_STAGES: dict[str, Stage] = {}


def is_url(path: str) -> bool:
    """True for fsspec URLs such as ``s3://bucket/key`` or ``memory://x`` (not local paths)."""
    head, sep, _ = str(path).partition("://")
    return bool(sep) and head.replace("+", "").replace("-", "").isalnum() and len(head) > 1


def _run_partition(token: str, spec: StageSpec, sources: Sequence[Source], first_id: int, index: int) -> ChunkResult:
    stage = _STAGES.get(token)
    if stage is None:
        _STAGES.clear()  # a new run: drop the previous run's stage
        stage = _STAGES[token] = Stage(spec)
    return stage.process(sources, first_id, index)


def partitions(sources: Sequence[Source], workers: int, size: int = 0) -> list[tuple[int, int, Sequence[Source]]]:
    """(index, first record id, sources) per partition: a few per worker, at most 5,000 files each."""
    if size <= 0:
        size = max(50, min(5000, len(sources) // (max(1, workers) * 4) or 1))
    return [(i, start, sources[start : start + size]) for i, start in enumerate(range(0, len(sources), size))]


def discover_urls(urls: Sequence[str], include: Sequence[str], exclude: Sequence[str]) -> Discovery:
    """Expand fsspec URLs (files or folders, recursively) into sources, like ``corpus.discover``."""
    import fnmatch

    import fsspec

    sources: dict[str, Source] = {}
    missing: list[str] = []
    findings: list[Finding] = []
    for url in urls:
        fs, root = fsspec.core.url_to_fs(url)
        protocol = url.split("://", 1)[0]
        if not fs.exists(root):
            missing.append(url)
            continue
        if not fs.isdir(root):
            name = posixpath.basename(root.rstrip("/"))
            sources.setdefault(name, Source(name, url))
            continue
        base = root.rstrip("/")
        for found in sorted(fs.find(root)):
            rel = found[len(base) :].lstrip("/") if found.startswith(base) else posixpath.basename(found)
            parts = rel.split("/")
            if any(fnmatch.fnmatchcase(rel, p) or any(fnmatch.fnmatchcase(x, p) for x in parts) for p in exclude):
                continue
            if not any(fnmatch.fnmatchcase(parts[-1], p) for p in include):
                continue
            sources[rel] = Source(rel, f"{protocol}://{found.lstrip('/')}" if protocol != "file" else found)
    return Discovery(sorted(sources.values(), key=lambda s: s.path), findings, missing)


def run_dask(
    sources: Sequence[Source],
    spec: StageSpec,
    jobs: int = 0,
    progress: Callable[[int], None] | None = None,
    scheduler: str | None = None,
    partition_size: int = 0,
    processes: bool = True,
) -> list[ChunkResult]:
    """Run the per-file stage over ``sources`` on Dask; results sorted by partition."""
    import distributed

    from qa.engine.local import effective_jobs

    dist: Any = distributed  # untyped library: keep mypy strict elsewhere

    cluster: Any = None
    if scheduler:
        client = dist.Client(scheduler, timeout="20s")  # OSError (exit 2) when it cannot connect
    else:
        workers = effective_jobs(jobs)
        cluster = dist.LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=processes,
            dashboard_address=None,
            silence_logs=40,  # logging.ERROR
        )
        client = dist.Client(cluster)
    try:
        n_workers = max(1, len(client.scheduler_info().get("workers", {})))
        token = uuid.uuid4().hex
        spec_future = client.scatter(spec, broadcast=True)
        futures = {}
        for index, start, part in partitions(sources, n_workers, partition_size):
            future = client.submit(_run_partition, token, spec_future, list(part), start, index, pure=False)
            futures[future] = len(part)
        results: list[ChunkResult] = []
        for future in dist.as_completed(list(futures)):
            results.append(future.result())
            if progress:
                progress(futures[future])
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    results.sort(key=lambda r: r.index)
    return results
