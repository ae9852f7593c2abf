"""The local engine: chunks of files over worker processes on this machine.

Small corpora run in one forked child (a pool costs more than it saves; a child
costs a fork, and a crash in it cannot take the run down); this process meanwhile pays
pandera's first use, and validates the child's tables in a child of its own. Larger ones are split
into chunks (not a task per file) and run on ``jobs`` processes, forked where the
platform allows so that workers start with clipqa already imported and warmed: this
process pays the first-use costs (pandera, the schemas, the text checks' patterns and
lexicons) once, before it forks them.

A worker that dies (a segfault in a C library, an out-of-memory kill) breaks the
pool: every chunk that had not come back is run again in isolation, one child
process per chunk, split in halves when the child dies again, down to the single
file that kills it, which is reported (P131) and skipped. The run goes on.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.connection
import os
import signal
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing.context import BaseContext
from typing import Any

import pandas as pd

from qa.budget import FileTimer
from qa.corpus import Source
from qa.findings import Finding
from qa.forked import die_with_parent
from qa.nogc import paused_gc
from qa.rules import P131
from qa.schema import Schema, load_schema
from qa.stage import ChunkResult, Stage, StageSpec, internal_error, validate_chunk, warm_validation
from qa.tables import TableBuilder

IN_PROCESS_BELOW = 300
_WORKER_STAGE: Stage | None = None


def _init_worker(spec: StageSpec, parent: int = 0) -> None:
    global _WORKER_STAGE
    if parent:
        die_with_parent(parent)  # a worker never outlives the run that started it (SIGKILL included)
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


# A chunk's cost is not a fixed part plus a per-file part: it grows less than in proportion
# to its files (pandera's failure reports and the per-check set-up are paid per failing check
# and chunk, and most checks fail somewhere in a few thousand generated clippings). At 100k
# files, chunks of up to 10,000 files took ~288 us of CPU per file against ~310 with 5,000,
# and the whole run ~1.5 s less (docs/performance.md, item 19).
MAX_CHUNK = 10000
MIN_CHUNK = 50
TAIL_CHUNK = 500  # the smallest chunk of a large run's tail


def chunk_sizes(files: int, jobs: int) -> list[int]:
    """Chunk sizes, in order, for ``files`` over ``jobs`` workers (they sum to ``files``).

    Few, large chunks: each chunk pays a fixed cost (pandera's validation set-up, building
    DataFrames, one result to pickle), but several per worker. With one worker the chunks
    are equal. With more, the sizes shrink towards the end (guided scheduling): every
    chunk is at most the remaining files / (2 * jobs), so the chunks still running when a
    worker runs out of work are small, and the workers finish close together. With equal
    chunks of 5,000 files, one worker used to sit idle for half a chunk (~1 s) on average.
    """
    base = max(MIN_CHUNK, min(MAX_CHUNK, files // (jobs * 4) or 1))
    if jobs == 1:
        return [min(base, files - start) for start in range(0, files, base)]
    floor = min(base, TAIL_CHUNK)
    sizes: list[int] = []
    left = files
    while left > 0:
        size = min(left, base, max(floor, -(-left // (2 * jobs))))
        if left - size < floor // 2:  # no crumb of a chunk at the very end
            size = left
        sizes.append(size)
        left -= size
    return sizes


def chunks(sources: Sequence[Source], jobs: int) -> Iterator[tuple[int, int, Sequence[Source]]]:
    start = 0
    for index, size in enumerate(chunk_sizes(len(sources), jobs)):
        yield index, start, sources[start : start + size]
        start += size


def run_local(
    sources: Sequence[Source],
    spec: StageSpec,
    jobs: int = 0,
    progress: Callable[[int], None] | None = None,
) -> list[ChunkResult]:
    """The per-file stage over ``sources``: every chunk's result, in chunk order."""
    return LocalRun(sources, spec, jobs, progress).result()


def uses_pool(files: int, jobs: int) -> bool:
    """Whether ``files`` files are checked by a pool of workers (else in or under this process)."""
    return effective_jobs(jobs) > 1 and files >= IN_PROCESS_BELOW


class LocalRun:
    """The per-file stage, started: the workers run while this process does other work;
    :meth:`result` waits for them. Without a pool (one job, a small corpus), the chunks
    run at :meth:`result`, in or under this process."""

    def __init__(
        self,
        sources: Sequence[Source],
        spec: StageSpec,
        jobs: int = 0,
        progress: Callable[[int], None] | None = None,
        on_result: Callable[[ChunkResult], None] | None = None,
    ) -> None:
        self.sources, self.spec, self.progress = sources, spec, progress
        self.on_result = on_result  # called with each chunk's result as it arrives (in this process)
        self.jobs = effective_jobs(jobs)
        self.can_fork = "fork" in multiprocessing.get_all_start_methods()
        self.ctx = multiprocessing.get_context("fork" if self.can_fork else "spawn")
        self.pool: ProcessPoolExecutor | None = None
        self.futures: dict[Future[ChunkResult], tuple[int, int, Sequence[Source]]] = {}
        if uses_pool(len(sources), jobs):
            if self.can_fork:
                # Once here, before the fork: every worker inherits it. Warming in each worker
                # (while this process found the files, as clipqa did before) cost a run the
                # warm-up again per worker (~0.7 s of CPU: pandera, the schemas, the text
                # checks' patterns and lexicons), and at 10,000 files more wall time too
                # (docs/performance.md, 26).
                Stage(spec).warm()
            self.pool = ProcessPoolExecutor(
                max_workers=self.jobs,
                mp_context=self.ctx,
                initializer=_init_worker,
                initargs=(spec, os.getpid()),
            )
            self._submit()  # a worker that dies fails its chunks, which result() checks again in isolation

    def _submit(self) -> None:
        assert self.pool is not None
        for index, start, part in chunks(self.sources, self.jobs):
            self.futures[self.pool.submit(_run_chunk, part, start, index)] = (index, start, part)

    def result(self) -> list[ChunkResult]:
        if self.pool is None:
            return self._in_process()
        results = []
        failed: list[tuple[int, int, Sequence[Source]]] = []
        try:
            for future in as_completed(self.futures):
                try:
                    results.append(future.result())
                except Exception:  # noqa: BLE001 - BrokenProcessPool (a worker died) or a chunk that failed whole
                    failed.append(self.futures[future])
                    continue
                self._arrived(results[-1:])
                if self.progress:
                    self.progress(len(self.futures[future][2]))
        finally:
            self.close()
        for index, start, part in sorted(failed, key=lambda f: f[0]):
            results.extend(self._arrived(run_isolated(part, start, index, self.spec, self.ctx)))
            if self.progress:
                self.progress(len(part))
        results.sort(key=lambda r: r.index)  # stable: the halves of a recovered chunk stay in order
        return results

    def _arrived(self, results: list[ChunkResult]) -> list[ChunkResult]:
        if self.on_result is not None:
            for r in results:
                self.on_result(r)
        return results

    def close(self) -> None:
        """Stop the workers (idempotent); chunks not yet collected are dropped."""
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def _in_process(self) -> list[ChunkResult]:
        results = []
        stage: Stage | None = None
        # A daemonic process (a multiprocessing.Pool worker calling run()) may not have children.
        forking = self.can_fork and ISOLATE and not multiprocessing.current_process().daemon
        parts = list(chunks(self.sources, 1))
        if forking and len(parts) > 1:
            # Once here: every chunk's child inherits it. With one chunk there is nothing to
            # share, and the child compiles only the expressions its few files need (a batch
            # of 10 at the gate: ~0.5 s less than compiling them all ahead).
            Stage(self.spec).warm()
        for index, start, part in parts:
            if forking:
                # A lone child: this process pays pandera's first use meanwhile and validates
                # its tables in a fork of its own (_ForkedValidation); with several, it warmed
                # above and each child validates its own.
                isolated = run_isolated(
                    part, start, index, self.spec, multiprocessing.get_context("fork"), validate_here=len(parts) == 1
                )
                results.extend(self._arrived(isolated))
            else:  # spawning a child costs seconds: run here, without crash isolation
                stage = stage or Stage(self.spec)
                results.extend(self._arrived([stage.process(part, start, index)]))
            if self.progress:
                self.progress(len(part))
        return results


# ---------------------------------------------------------------- isolation

ISOLATE = True  # small corpora in a forked child (crash isolation); False: in this process


def hard_limit(spec: StageSpec, files: int) -> float | None:
    """Seconds after which a child is killed: the per-file budget is a signal that
    C code may not heed; this is the backstop. None: no time budget configured."""
    budget = spec.config.time_budget
    if budget <= 0:
        return None
    return 2 * budget * files + 30


def _child_main(
    conn: multiprocessing.connection.Connection,
    spec: StageSpec,
    part: Sequence[Source],
    start: int,
    index: int,
    validated_by_parent: bool,
    parent: int,
) -> None:
    die_with_parent(parent)
    try:
        stage = Stage(spec)
        if validated_by_parent:
            stage.validate_elsewhere = lambda frames: _ask_parent(conn, frames)
        conn.send(stage.process(part, start, index))
    except Exception as exc:  # noqa: BLE001 - reported by the parent, never as a traceback
        conn.send(f"failed: {type(exc).__name__}: {exc}")
    finally:
        conn.close()


@dataclass(slots=True)
class _Validate:
    """A lone child's request to its parent: validate these tables (the answer: the findings)."""

    frames: dict[str, pd.DataFrame]


def _ask_parent(conn: multiprocessing.connection.Connection, frames: dict[str, pd.DataFrame]) -> list[Finding]:
    conn.send(_Validate(frames))
    answer: list[Finding] = conn.recv()
    return answer


class _ForkedValidation:
    """The schema validation of a lone child's chunk, prepared in the parent and run in a fork:
    pandera's import and the schemas' compilation (~0.14 s, the largest first-use cost of a
    small run) run in the parent while the child reads and checks the files, on another core,
    instead of after it in the child. The validation itself runs in a child forked from the warmed parent (it inherits
    pandera, the compiled schemas and the tables, ~5 ms), under the chunk's deadline: a user's
    pattern that backtracks without end is killed there, as it was in the chunk's child, and
    never hangs the run."""

    def __init__(self, spec: StageSpec, part: Sequence[Source], start: int) -> None:
        self.spec, self.part, self.start = spec, part, start
        self.schema: Schema | None = None

    def warm(self) -> None:
        with contextlib.suppress(Exception):  # a failure is for validate_chunk to report
            self.schema = load_schema(self.spec.config.schema_dir)
            warm_validation(self.schema)

    def __call__(self, frames: dict[str, pd.DataFrame]) -> list[Finding]:
        try:
            schema = load_schema(self.spec.config.schema_dir) if self.schema is None else self.schema
        except Exception as exc:  # noqa: BLE001 - as the child would report it
            return [internal_error(self.part[0].path if self.part else "", "schema validation", exc)]
        with paused_gc(), FileTimer(self.spec.config.time_budget) as timer:
            return validate_chunk(schema, frames, self.part, self.start, timer)

    def in_fork(
        self, frames: dict[str, pd.DataFrame], ctx: BaseContext, limit: float | None, deadline: float | None
    ) -> list[Finding] | _Died:
        """This validation's findings, from a forked child; or why that child died."""
        child, receive = _start_child(ctx, _validation_main, self, frames)
        try:
            answer: list[Finding] | _Died = _next_message(child, receive, limit, deadline)
        finally:
            receive.close()
        if not isinstance(answer, _Died):
            child.join()
        return answer


def _validation_main(
    conn: multiprocessing.connection.Connection,
    validation: _ForkedValidation,
    frames: dict[str, pd.DataFrame],
    parent: int,
) -> None:
    die_with_parent(parent)
    try:
        conn.send(validation(frames))
    finally:
        conn.close()


@dataclass(frozen=True, slots=True)
class _Died:
    """Why a child process ended without sending its answer."""

    why: str


def _start_child(
    ctx: BaseContext, target: Callable[..., None], *args: Any, duplex: bool = False
) -> tuple[Any, multiprocessing.connection.Connection]:
    """Start ``target(conn, *args, this process's id)`` in a daemonic child, and return it with
    this process's end of the pipe whose other end is ``conn``."""
    receive, send = ctx.Pipe(duplex=duplex)
    child: Any = ctx.Process(target=target, args=(send, *args, os.getpid()), daemon=True)  # type: ignore[attr-defined]
    child.start()
    send.close()
    return child, receive


def _next_message(child: Any, receive: multiprocessing.connection.Connection, limit: float | None,
                  deadline: float | None) -> Any:  # fmt: skip
    """The child's next message, or _Died: it ended without one, or was killed at ``deadline``."""
    while True:
        wait = 1.0 if deadline is None else min(1.0, deadline - time.monotonic())
        if wait <= 0:
            child.kill()
            child.join()
            return _Died(f"did not finish within {limit:g} s and was stopped")
        if receive.poll(wait):
            try:
                return receive.recv()
            except (EOFError, OSError):
                break  # the child died before sending
        if not child.is_alive() and not receive.poll():
            break
    child.join()
    return _Died(_death(child.exitcode))


def run_in_child(
    part: Sequence[Source],
    start: int,
    index: int,
    spec: StageSpec,
    ctx: BaseContext,
    *,
    validate_here: bool = False,
) -> ChunkResult | str:
    """Process one chunk in a fresh child process: its result, or why the child died.
    ``validate_here``: this process prepares the validation of the chunk's tables (see
    _ForkedValidation)."""
    child, receive = _start_child(ctx, _child_main, spec, part, start, index, validate_here, duplex=validate_here)
    validation = _ForkedValidation(spec, part, start) if validate_here else None
    if validation is not None:
        validation.warm()
    limit = hard_limit(spec, len(part))
    deadline = None if limit is None else time.monotonic() + limit
    try:
        while True:
            message = _next_message(child, receive, limit, deadline)
            if isinstance(message, _Died):
                return message.why
            if isinstance(message, _Validate) and validation is not None:
                answer = validation.in_fork(message.frames, ctx, limit, deadline)
                if isinstance(answer, _Died):  # the chunk's work died with it
                    child.kill()
                    child.join()
                    return answer.why
                with contextlib.suppress(OSError):  # the chunk's child died meanwhile: the next message says so
                    receive.send(answer)
                continue
            if isinstance(message, _Validate):  # pragma: no cover - only a child told to asks
                child.kill()  # it waits for an answer that will not come
                child.join()
                return "asked for a validation it was not told to ask for"
            child.join()
            result: ChunkResult | str = message
            return result
    finally:
        receive.close()


def _death(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        hint = {"SIGSEGV": " (a crash in a C library)", "SIGKILL": " (killed: out of memory?)"}.get(name, "")
        return f"died from {name}{hint}"
    return f"exited with status {code}"


def run_isolated(
    part: Sequence[Source],
    start: int,
    index: int,
    spec: StageSpec,
    ctx: BaseContext,
    *,
    validate_here: bool = False,
) -> list[ChunkResult]:
    """Run a chunk in a child; if it dies, split it, down to the file that kills it."""
    outcome = run_in_child(part, start, index, spec, ctx, validate_here=validate_here)
    if isinstance(outcome, ChunkResult):
        return [outcome]
    if len(part) == 1:
        source = part[0]
        finding = P131.finding(source.path, f"the process checking this file {outcome}; the file was skipped")
        return [ChunkResult(index, [finding], _empty_tables(spec), 1)]
    mid = len(part) // 2
    return [
        *run_isolated(part[:mid], start, index, spec, ctx, validate_here=validate_here),
        *run_isolated(part[mid:], start + mid, index, spec, ctx, validate_here=validate_here),
    ]


_EMPTY: dict[int, Any] = {}


def _empty_tables(spec: StageSpec) -> Any:
    key = id(spec)
    if key not in _EMPTY:
        stage = Stage(spec)
        _EMPTY.clear()
        _EMPTY[key] = TableBuilder(stage.schema, stage.extra_columns()).frames()
    return {name: frame.copy() for name, frame in _EMPTY[key].items()}
