"""The per-file stage: sources -> records -> per-record checks -> chunk tables.

One ``Stage`` is built in each worker (from a picklable ``StageSpec``) and runs
over chunks of files. It returns compact results: findings (already located in
the file) and the chunk's tables, never the parsed dicts, which would cost as
much to ship back to the parent as parsing them did.
"""

from __future__ import annotations

import contextlib
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from qa.budget import P130, BudgetExceeded, FileTimer
from qa.checks import Check, Context, all_checks
from qa.config import Config
from qa.corpus import ReadOptions, Record, Source, read_record
from qa.excerpts import attach as attach_excerpts
from qa.excerpts import needs_context
from qa.findings import Finding, rule
from qa.nogc import paused_gc
from qa.schema import Schema, load_schema, validate_tables
from qa.tables import TableBuilder

P900 = rule(
    "P900",
    "internal-error",
    "parse",
    "error",
    "clipqa failed while checking this file (a bug in clipqa: please report it); other files are unaffected.",
)

# Declared here, beside P900, so that it is registered wherever rules are (config, `clipqa rules`);
# reported by the engines (qa/engine/local.py) when a worker process dies.
P131 = rule(
    "P131",
    "checker-crashed",
    "parse",
    "error",
    "The process checking this file died (a crash in a C library, or killed for memory or time); "
    "the file was skipped and the run went on.",
)


@dataclass(frozen=True, slots=True)
class StageSpec:
    """Everything a worker needs to build its Stage; picklable."""

    config: Config
    read: ReadOptions
    run: dict[str, Any]


@dataclass(slots=True)
class ChunkResult:
    index: int
    findings: list[Finding]
    tables: dict[str, pd.DataFrame]
    files: int = 0


@dataclass(slots=True)
class Stage:
    spec: StageSpec
    schema: Schema = field(init=False)
    checks: list[Check] = field(init=False)
    contexts: dict[str, Context] = field(init=False)
    current: str = field(init=False, default="")  # what the file is doing, for a time-budget message
    files_done: int = field(init=False, default=0)

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

    def record_findings(self, rec: Record) -> tuple[list[Finding], dict[str, Any]]:
        """Run every check's per-record hooks on one record; a crashing check becomes a finding."""
        findings: list[Finding] = []
        extra: dict[str, Any] = {}
        for check in self.checks:
            ctx = self.contexts[check.name]
            self.current = f"check {check.name!r}"
            try:
                if check.record is not None:
                    findings.extend(check.record(rec, ctx))
                if check.columns is not None:
                    extra.update(check.columns(rec, ctx))
            except Exception as exc:  # noqa: BLE001 - one bad file or check must not stop the run
                findings.append(internal_error(rec.path, f"check {check.name!r}", exc))
        return findings, extra

    def process(self, sources: Sequence[Source], first_id: int, index: int = 0) -> ChunkResult:
        # A chunk keeps every record's composed YAML nodes alive until its findings are
        # located: millions of young objects, which made the cyclic garbage collector
        # rescan them again and again (it cost more than parsing). Nothing built here
        # forms reference cycles that matter, so collect once at the end instead.
        with paused_gc(), FileTimer(self.spec.config.time_budget) as timer:
            return self._process(sources, first_id, index, timer)

    def _process(self, sources: Sequence[Source], first_id: int, index: int, timer: FileTimer) -> ChunkResult:
        builder = TableBuilder(self.schema, self.extra_columns())
        records: dict[str, Record] = {}
        findings: list[Finding] = []
        for offset, source in enumerate(sources):
            records[source.path] = self._one_file(source, first_id + offset, builder, timer)
        frames = builder.frames()
        schema_findings = self._validate(frames, sources, first_id, timer)
        for f in schema_findings:
            owner = records.get(f.path)
            if owner is not None:
                owner.findings.append(f)
            else:
                findings.append(f)
        for done in records.values():
            done.locate_findings()
            attach_excerpts(done.findings, done)
            findings.extend(done.findings)
        return ChunkResult(index, findings, frames, len(sources))

    def _one_file(self, source: Source, record_id: int, builder: TableBuilder, timer: FileTimer) -> Record:
        """Read and check one file under the time budget; a file over budget leaves no rows.

        The first file a process checks also pays one-off costs (imports, a model
        that a check loads on first use), so if it runs over budget it is tried once
        more before it is reported.
        """
        attempts = 2 if self.files_done == 0 else 1
        self.files_done += 1
        for attempt in range(attempts):
            mark = builder.mark()
            self.current = "reading"
            try:
                with timer.armed():
                    rec = read_record(source, self.spec.read)
                    own, extra = self.record_findings(rec)
                    rec.findings.extend(own)
                    self.current = "building tables"
                    rec.findings.extend(builder.add(record_id, rec, extra))
                return rec
            except BudgetExceeded:
                builder.rollback(mark)  # skipped: no half-built rows
                if attempt + 1 < attempts:
                    continue
                rec = Record(source.path, source.location)
                rec.findings.append(over_budget(source.path, self.current, timer.seconds))
                return rec
            except Exception as exc:  # noqa: BLE001
                builder.rollback(mark)
                rec = Record(source.path, source.location)
                rec.findings.append(internal_error(source.path, "reading", exc))
                return rec
        raise AssertionError("unreachable")  # pragma: no cover

    def _validate(
        self, frames: dict[str, pd.DataFrame], sources: Sequence[Source], first_id: int, timer: FileTimer
    ) -> list[Finding]:
        """Schema validation of the chunk, vectorised; if it overruns, file by file.

        The chunk gets the budget of one file per 100 files (at least one). If a
        pathological value (a user pattern that backtracks) makes it overrun, each
        file is validated alone under the per-file budget, so only that file is
        reported and the others keep their findings.
        """
        try:
            # Compile the pandera schemas outside the budget: a one-off cost per process,
            # which an interrupted compile would pay again and again.
            for name, spec in self.schema.tables.items():
                self.schema.pandera(name)
                for item_table in spec.item_tables:
                    self.schema.pandera(item_table)
            with timer.armed(timer.seconds * max(1.0, len(sources) / 100)):
                return validate_tables(self.schema, frames)
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
                    out.extend(validate_tables(self.schema, one))
            except BudgetExceeded:
                out.append(over_budget(source.path, "schema validation", timer.seconds))
            except Exception as exc:  # noqa: BLE001
                out.append(internal_error(source.path, "schema validation", exc))
        return out


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
