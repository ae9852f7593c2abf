"""The local engine: chunks of files over worker processes on this machine.

Small corpora run in-process (a pool costs more than it saves). Larger ones are
split into chunks (not a task per file) and run on ``jobs`` processes, forked
where the platform allows so that workers start with clipqa already imported.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed

from qa.corpus import Source
from qa.stage import ChunkResult, Stage, StageSpec

IN_PROCESS_BELOW = 300
_WORKER_STAGE: Stage | None = None


def _init_worker(spec: StageSpec) -> None:
    global _WORKER_STAGE
    _WORKER_STAGE = Stage(spec)


def _run_chunk(sources: Sequence[Source], first_id: int, index: int) -> ChunkResult:
    assert _WORKER_STAGE is not None
    return _WORKER_STAGE.process(sources, first_id, index)


def effective_jobs(jobs: int) -> int:
    if jobs > 0:
        return jobs
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def chunks(sources: Sequence[Source], jobs: int) -> Iterator[tuple[int, int, Sequence[Source]]]:
    # Few, large chunks: each chunk pays a fixed cost (pandera's validation set-up,
    # building DataFrames, one result to pickle), but keep several per worker so that
    # a slow chunk does not leave the other workers idle at the end.
    size = max(50, min(5000, len(sources) // (jobs * 4) or 1))
    for index, start in enumerate(range(0, len(sources), size)):
        yield index, start, sources[start : start + size]


def run_local(
    sources: Sequence[Source],
    spec: StageSpec,
    jobs: int = 0,
    progress: Callable[[int], None] | None = None,
) -> list[ChunkResult]:
    jobs = effective_jobs(jobs)
    if jobs == 1 or len(sources) < IN_PROCESS_BELOW:
        stage = Stage(spec)
        results = []
        for index, start, part in chunks(sources, 1):
            results.append(stage.process(part, start, index))
            if progress:
                progress(len(part))
        return results
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    ctx = multiprocessing.get_context(method)
    results = []
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_init_worker, initargs=(spec,)) as pool:
        futures: dict[Future[ChunkResult], int] = {}
        for index, start, part in chunks(sources, jobs):
            futures[pool.submit(_run_chunk, part, start, index)] = len(part)
        for future in as_completed(futures):
            results.append(future.result())
            if progress:
                progress(futures[future])
    results.sort(key=lambda r: r.index)
    return results
