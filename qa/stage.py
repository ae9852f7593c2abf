"""The per-file stage: sources -> records -> per-record checks -> chunk tables.

One ``Stage`` is built in each worker (from a picklable ``StageSpec``) and runs
over chunks of files. It returns compact results: findings (already located in
the file) and the chunk's tables, never the parsed dicts, which would cost as
much to ship back to the parent as parsing them did.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import math
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any

import pandas as pd
import yaml

from qa.budget import P130, BudgetExceeded, FileTimer
from qa.checks import Check, Context, all_checks
from qa.config import Config
from qa.constraints import S108, parse_datetime
from qa.corpus import ReadOptions, Record, Source, read_record
from qa.excerpts import attach as attach_excerpts
from qa.excerpts import needs_context
from qa.findings import Finding, replace_value
from qa.nogc import paused_gc
from qa.rules import P900
from qa.schema import Schema, load_schema, validate_tables
from qa.tables import TableBuilder
from qa.textfields import field_nodes
from qa.yamlload import P106, split_field


@dataclass(frozen=True, slots=True)
class StageSpec:
    """Everything a worker needs to build its Stage; picklable."""

    config: Config
    read: ReadOptions
    run: dict[str, Any]
    # Called in the worker with (stage, sources, first record id, result) once a chunk is
    # checked; returns the result to send back. The corpus index (qa/index.py) cuts the
    # chunk into per-file entries there, in parallel, instead of shipping the tables.
    post: Callable[[Stage, Sequence[Source], int, ChunkResult], ChunkResult] | None = None


@dataclass(slots=True)
class ChunkResult:
    index: int
    findings: list[Finding]
    tables: dict[str, pd.DataFrame]
    files: int = 0
    indexed: Any = None  # what StageSpec.post made of the chunk (qa.index: per-file entries)


@dataclass(slots=True)
class Stage:
    spec: StageSpec
    schema: Schema = field(init=False)
    checks: list[Check] = field(init=False)
    contexts: dict[str, Context] = field(init=False)
    used: set[object] = field(init=False, default_factory=set)  # steps (their functions) run once in this process
    # Who validates the chunk's tables against the schema, when not this process: called with
    # the tables, returns validate_chunk's findings (qa.engine.local: the parent of a lone child
    # pays pandera's first use while the child checks, then validates in a fork of its own).
    validate_elsewhere: Callable[[dict[str, pd.DataFrame]], list[Finding]] | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.schema = load_schema(self.spec.config.schema_dir)
        self.checks = list(all_checks().values())
        run = {**self.spec.run, "schema": self.schema}  # the loaded schema too, for checks led by it
        self.contexts = {c.name: Context(self.spec.config.options_for(c.name, c.options), run) for c in self.checks}

    def warm(self) -> None:
        """Pay this process's first-use costs now: import pandera, compile the schemas and
        register pandera's backends (by validating the empty tables), and each check's own
        (``Check.warm``). Called before forking children that check chunks, which then
        inherit all of it instead of each paying it again. A failure here is left for the
        real run to report."""
        for name, frame in TableBuilder(self.schema, self.extra_columns()).frames().items():
            with contextlib.suppress(Exception):  # a table without a schema (files): nothing to warm
                self.schema.pandera(name).validate(frame, lazy=True)
        for check in self.checks:
            if check.warm is not None:
                with contextlib.suppress(Exception):
                    check.warm(self.contexts[check.name])

    def extra_columns(self) -> tuple[str, ...]:
        return tuple(name for c in self.checks for name in c.column_names)

    def process(self, sources: Sequence[Source], first_id: int, index: int = 0) -> ChunkResult:
        # A chunk keeps every record's composed YAML nodes alive until its findings are
        # located: millions of young objects, which made the cyclic garbage collector
        # rescan them again and again (it cost more than parsing). Nothing built here
        # forms reference cycles that matter, so collect once at the end instead.
        with paused_gc():
            with FileTimer(self.spec.config.time_budget) as timer:
                result = self._process(sources, first_id, index, timer)
            post = self.spec.post
            return result if post is None else post(self, sources, first_id, result)

    def _process(self, sources: Sequence[Source], first_id: int, index: int, timer: FileTimer) -> ChunkResult:
        # Step by step over the whole chunk, not file by file: every file is read, then each
        # check runs over every record in turn, then the rows are built. One check's code and
        # data stay hot in the CPU's caches while it runs over many records: about a fifth less
        # time per file than running all the steps on one file before the next (measured on
        # the generated corpus, 5,000-file chunks). Each file keeps its own time budget
        # across its steps (see _Steps).
        steps = _Steps(self, sources, timer)
        records = [steps.read(i) for i in range(len(sources))]
        extras: list[dict[str, Any]] = [{} for _ in records]
        self.check_records(records, extras, steps)
        builder = TableBuilder(self.schema, self.extra_columns())
        for i, rec in enumerate(records):
            if steps.live[i]:
                steps.add_rows(i, rec, builder, first_id + i, extras[i])
        records = steps.done()  # a skipped file's record holds only why it was skipped
        frames = builder.frames()
        by_path = {rec.path: rec for rec in records}
        findings: list[Finding] = []
        if self.validate_elsewhere is None:
            validated = validate_chunk(self.schema, frames, sources, first_id, timer)
        else:
            validated = self.validate_elsewhere(frames)
        for f in validated:
            owner = by_path.get(f.path)
            if owner is not None:
                owner.findings.append(f)
            else:
                findings.append(f)
        for done in records:
            done.locate_findings()
            attach_excerpts(done.findings, done)
            boolean_fixes(done.findings, self.schema)
            zone_points(done)
            findings.extend(done.findings)
        return ChunkResult(index, findings, frames, len(sources))

    def check_records(self, records: Sequence[Record], extras: Sequence[dict[str, Any]], steps: _Steps) -> None:
        """Every check's per-record hooks over the records still being checked, one check at a
        time; a crashing hook becomes a finding on its record, a record over its budget is
        skipped."""
        for check in self.checks:
            ctx = self.contexts[check.name]
            step = f"check {check.name!r}"
            # the record hook first: a check's columns may use what it left in ``rec.derived``
            for hook, is_columns in ((check.record, False), (check.columns, True)):
                if hook is None:
                    continue
                if (
                    is_columns
                    and check.columns_batch is not None
                    and self._columns_batch(check, records, extras, steps)
                ):
                    continue
                for i, out in steps.run_each(step, hook if is_columns else _drawn(hook), records, ctx):
                    if isinstance(out, BaseException):
                        records[i].findings.append(internal_error(records[i].path, step, out))
                    elif is_columns:
                        extras[i].update(out)
                    else:
                        records[i].findings.extend(out)

    def _columns_batch(
        self, check: Check, records: Sequence[Record], extras: Sequence[dict[str, Any]], steps: _Steps
    ) -> bool:
        """The check's ``columns_batch`` over the live records, under the chunk's budget (one file's
        budget per 100 files, as for validation); False if it failed or overran: then the stage runs
        ``columns`` record by record, each under its file's budget."""
        assert check.columns_batch is not None
        live = [i for i in range(len(records)) if steps.live[i]]
        if not live:
            return True
        timer = steps.timer
        try:
            with timer.armed(timer.seconds * max(1.0, len(live) / 100)):
                outs = check.columns_batch([records[i] for i in live], self.contexts[check.name])
        except (BudgetExceeded, Exception):  # noqa: BLE001 - the per-record hook decides, file by file
            return False
        if len(outs) != len(live):
            return False
        for i, out in zip(live, outs, strict=True):
            extras[i].update(out)
        return True


def validate_chunk(
    schema: Schema, frames: dict[str, pd.DataFrame], sources: Sequence[Source], first_id: int, timer: FileTimer
) -> list[Finding]:
    """Schema validation of a chunk's tables, vectorised; if it overruns, file by file.

    The chunk gets the budget of one file per 100 files (at least one). If a
    pathological value (a user pattern that backtracks) makes it overrun, each
    file is validated alone under the per-file budget, so only that file is
    reported and the others keep their findings.
    """
    try:
        warm_validation(schema)  # outside the budget: a one-off cost an interrupted compile would pay again
        with timer.armed(timer.seconds * max(1.0, len(sources) / 100)):
            return validate_tables(schema, frames)
    except BudgetExceeded:
        pass
    except Exception as exc:  # noqa: BLE001
        return [internal_error(sources[0].path if sources else "", "schema validation", exc)]
    out: list[Finding] = []
    for offset, source in enumerate(sources):
        rid = first_id + offset
        one = {name: df[df["_record"] == rid] for name, df in frames.items() if "_record" in df.columns}
        try:
            with timer.armed():
                out.extend(validate_tables(schema, one))
        except BudgetExceeded:
            out.append(over_budget(source.path, "schema validation", timer.seconds))
        except Exception as exc:  # noqa: BLE001
            out.append(internal_error(source.path, "schema validation", exc))
    return out


def warm_validation(schema: Schema) -> None:
    """Import pandera and compile the schema's tables (once per process: ~0.14 s)."""
    for name, spec in schema.tables.items():
        schema.pandera(name)
        for item_table in spec.item_tables:
            schema.pandera(item_table)


@cache
def _drawn(hook: Callable[[Record, Context], Iterable[Finding]]) -> Callable[[Record, Context], list[Finding]]:
    """A record hook whose findings are drawn when it is called: a generator's work then runs
    inside its file's time budget, not after it (one wrapper per hook, so that a hook's first
    use is known)."""

    def draw(rec: Record, ctx: Context) -> list[Finding]:
        return list(hook(rec, ctx))

    return draw


class _Skipped(Exception):
    """The file was skipped (over its budget, or a step failed that leaves no usable record)."""


class _Steps:
    """Runs the steps of a chunk's files, each under what its file has left of the budget.

    A step that runs out of time skips its file: the file's record becomes an empty one
    holding only a P130 finding, and it gets no rows. The first time a process runs a step
    (reading, each check, the rows) it may pay one-off costs (imports, a model a check loads
    on first use), so a step over budget on its first use is tried once more, with a whole
    budget, before its file is reported.
    """

    def __init__(self, stage: Stage, sources: Sequence[Source], timer: FileTimer) -> None:
        self.stage, self.sources, self.timer = stage, sources, timer
        self.left = [timer.seconds] * len(sources)  # seconds each file has left
        self.live = [True] * len(sources)
        self.records: list[Record | None] = [None] * len(sources)

    def run(self, i: int, step: str, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` as the step ``step`` of file ``i``; raises _Skipped when the file was
        skipped. ``fn`` is what is used for the first time, or not (two checks may share a name)."""
        timer = self.timer
        if not timer.active:
            return fn(*args)
        used = self.stage.used
        first_use = fn not in used
        for attempt in (0, 1):
            allowance = timer.seconds if attempt else self.left[i]
            started = timer.start(allowance)
            try:
                out = fn(*args)
                timer.stop()
            except BudgetExceeded:
                timer.stop()
                if first_use and not attempt:
                    used.add(fn)
                    continue
                self.skip(i, over_budget(self.sources[i].path, step, timer.seconds))
                raise _Skipped from None
            except BaseException:
                timer.stop()
                raise
            if not attempt:
                self.left[i] -= time.monotonic() - started
            if first_use:
                used.add(fn)
            return out
        raise AssertionError("unreachable")  # pragma: no cover

    def run_each(
        self, step: str, fn: Callable[[Record, Context], Any], records: Sequence[Record], ctx: Context
    ) -> list[tuple[int, Any]]:
        """``fn(record, ctx)`` for each record still being checked, as :meth:`run` would run it
        (each under what its file has left of the budget), without :meth:`run`'s cost per call
        once ``fn`` has been used in this process. Returns (index, output) pairs, or (index,
        exception) where ``fn`` raised; a file over its budget is skipped and left out."""
        timer, live, left = self.timer, self.live, self.left
        out: list[tuple[int, Any]] = []
        monotonic, never = time.monotonic, math.inf
        for i, rec in enumerate(records):
            if not live[i]:
                continue
            if not timer.active or fn not in self.stage.used:
                try:
                    out.append((i, self.run(i, step, fn, rec, ctx)))
                except _Skipped:
                    pass
                except Exception as exc:  # noqa: BLE001 - one bad file or check must not stop the run
                    out.append((i, exc))
                continue
            started = monotonic()
            timer.deadline = started + left[i]  # timer.start, inlined: this runs ~10 times per file
            try:
                result = fn(rec, ctx)
                timer.deadline = never
            except BudgetExceeded:
                timer.deadline = never
                self.skip(i, over_budget(self.sources[i].path, step, timer.seconds))
                continue
            except Exception as exc:  # noqa: BLE001
                timer.deadline = never
                out.append((i, exc))
                continue
            except BaseException:
                timer.deadline = never
                raise
            left[i] -= monotonic() - started
            out.append((i, result))
        return out

    def skip(self, i: int, finding: Finding) -> Record:
        source = self.sources[i]
        rec = Record(source.path, source.location)
        rec.findings.append(finding)
        self.live[i] = False
        self.records[i] = rec
        return rec

    def read(self, i: int) -> Record:
        try:
            rec: Record = self.run(i, "reading", read_record, self.sources[i], self.stage.spec.read)
        except _Skipped:
            return self._skipped(i)
        except Exception as exc:  # noqa: BLE001
            return self.skip(i, internal_error(self.sources[i].path, "reading", exc))
        self.records[i] = rec
        return rec

    def add_rows(self, i: int, rec: Record, builder: TableBuilder, record_id: int, extra: dict[str, Any]) -> None:
        mark = builder.mark()
        try:
            rec.findings.extend(self.run(i, "building tables", TableBuilder.add, builder, record_id, rec, extra))
        except _Skipped:
            builder.rollback(mark)  # skipped: no half-built rows
        except Exception as exc:  # noqa: BLE001
            builder.rollback(mark)
            self.skip(i, internal_error(rec.path, "building tables", exc))

    def done(self) -> list[Record]:
        """Every file's record: as read and checked, or the one saying why it was skipped."""
        out = [rec for rec in self.records if rec is not None]
        assert len(out) == len(self.records)
        return out

    def _skipped(self, i: int) -> Record:
        rec = self.records[i]
        assert rec is not None
        return rec


_YAML11_BOOLEANS = {"yes": "true", "on": "true", "no": "false", "off": "false"}


def boolean_fixes(findings: list[Finding], schema: Schema) -> None:
    """A YAML 1.1 boolean (``yes``, ``Off``: P106) where the schema wants a boolean gets its
    fix: the same boolean, written as YAML 1.2 writes it. PyYAML's reading stays; YAML 1.2
    readers now read it too. Elsewhere (a string field, an unknown one) the writer may have
    meant the text: no fix."""
    for i, f in enumerate(findings):
        word = _YAML11_BOOLEANS.get((f.evidence or "").lower()) if f.rule == P106.code else None
        if word is not None and f.fix is None and f.field and schema.field_type(f.field) == "boolean":
            fix = P106.make_fix(replace_value(f.field, word), f.field, None, f"write {word}")
            findings[i] = dataclasses.replace(f, fix=fix)


def zone_points(rec: Record) -> None:
    """Give each S108 finding of a date-time with a time but no zone its insertion point: the
    end of the value's text (``span``), where the corpus stage puts the corpus's zone
    (:func:`qa.schema.zone_fixes`). A date without a time gets none: no time can be made up."""
    for f in rec.findings:
        if f.rule != S108.code or f.span is not None or not f.field or f.field == "body":
            continue
        value: Any = rec.data
        for part in split_field(f.field):
            value = _item(value, part)
        moment = parse_datetime(value) if isinstance(value, str) and len(value.strip()) > 10 else value
        naive = isinstance(moment, dt.datetime) and moment.tzinfo is None
        nodes = field_nodes(rec.node, f.field) if naive else None
        if nodes is not None and isinstance(nodes[1], yaml.ScalarNode):
            end = len(nodes[1].value.rstrip())
            f.span = (end, end)


def _item(container: Any, part: str | int) -> Any:
    """``container[part]``, or None when there is no such item."""
    if isinstance(container, dict):
        return container.get(part)
    if isinstance(container, list) and isinstance(part, int) and part < len(container):
        return container[part]
    return None


def over_budget(path: str, where: str, seconds: float) -> Finding:
    return P130.finding(
        path, f"checking took longer than the time budget of {seconds:g} s (in {where}); the file was skipped"
    )


def internal_error(path: str, where: str, exc: BaseException) -> Finding:
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    at = f" at {frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}" if frame else ""
    return P900.finding(path, f"internal error in {where}: {type(exc).__name__}: {exc}{at}")


def locate_later(findings: list[Finding], sources: dict[str, Source], read: ReadOptions) -> None:
    """Fill in lines for corpus-stage findings: re-read only the files that need it."""
    wanted: dict[str, list[Finding]] = {}
    for f in findings:
        if (f.line is None or needs_context(f)) and f.field is not None and f.path in sources:
            wanted.setdefault(f.path, []).append(f)
    for path, group in wanted.items():
        try:
            rec = read_record(sources[path], read)
        except Exception:  # noqa: BLE001 - locating is best effort; the finding stands without a line
            continue
        attach_excerpts(group, rec)
        for f in group:
            if f.line is not None or (f.field and f.field.startswith("body")):
                continue  # body findings are located by their check
            f.line, f.column = rec.position(f.field)


class FieldLocator:
    """``(path, key) -> line``: the 1-based line of a top-level front-matter key in a file of
    the run, found by reading the file again (None if it cannot be read or has no such key).

    For corpus checks whose message says where *another* file holds a value (C101 names the
    line of the linked clipping's title). Few files need it, so the per-file stage no longer
    computes those lines for every file. Given to corpus hooks as ``ctx.run["locate"]``."""

    def __init__(self, sources: Mapping[str, Source], read: ReadOptions, keep: int = 256) -> None:
        self.sources, self.read = sources, read
        self._record = lru_cache(maxsize=keep)(self._read)  # the last files read, not every one

    def __call__(self, path: str, key: str) -> int | None:
        rec = self._record(path)
        return None if rec is None else rec.key_line(key)

    def _read(self, path: str) -> Record | None:
        source = self.sources.get(path)
        if source is None:
            return None
        try:
            return read_record(source, self.read)
        except Exception:  # noqa: BLE001 - locating is best effort: the message goes without a line
            return None
