"""One run: discover -> per-file stage (engine) -> corpus checks -> findings.

This is the only place that wires the stages together; the CLI calls ``run`` and
hands the result to the reports. Reports never re-run checks.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import shlex
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from qa import __version__
from qa.budget import P130
from qa.checks import Check, Context, all_checks
from qa.config import Config
from qa.corpus import Discovery, ReadOptions, discover
from qa.findings import Finding, Severity, fix_counts, severity_counts
from qa.forked import FORK_FROM_FILES, Forked
from qa.nogc import paused_gc
from qa.rules import P131
from qa.schema import load_schema, zone_fixes
from qa.stage import FieldLocator, StageSpec, internal_error, locate_later
from qa.tables import concat
from qa.yamlload import Limits, loader_notice


@dataclass(slots=True)
class RunResult:
    findings: list[Finding]
    tables: dict[str, pd.DataFrame]
    roots: list[str]
    files: int
    records: int
    config: Config
    started: dt.datetime
    duration: float = 0.0
    notices: list[str] = field(default_factory=list)
    fixed: list[dict[str, Any]] = field(default_factory=list)  # set by a baseline comparison
    baseline_path: str | None = None  # set by a baseline comparison
    cache_hits: int = 0  # files whose results came from the result cache

    @property
    def counts(self) -> dict[str, int]:
        return severity_counts(self.findings)

    @property
    def fixable(self) -> dict[str, int]:
        """Findings ``clipqa fix`` repairs (``safe``), and those ``--unsafe-fixes`` adds (``unsafe``)."""
        return fix_counts(self.findings)

    def fix_command(self, unsafe: bool = False) -> str:
        """The command that applies this run's fixes (``--unsafe-fixes`` too when ``unsafe``)."""
        return shlex.join(["clipqa", "fix", *(["--unsafe-fixes"] if unsafe else []), *map(str, self.roots)])

    def gate_findings(self) -> list[Finding]:
        """The findings that count for the gate (with a baseline: only new ones)."""
        return [f for f in self.findings if f.status != "existing"]

    @property
    def gate(self) -> str:
        return gate(self.gate_findings(), self.config.fail_on)

    def by_check(self) -> dict[str, dict[str, int]]:
        counted = Counter((f.check, f.severity) for f in self.findings)
        out: dict[str, dict[str, int]] = {}
        for f in self.findings:  # checks in order of first finding, as before
            if f.check not in out:
                out[f.check] = {s.value: 0 for s in Severity}
        for (check, severity), n in counted.items():
            out[check][severity] += n
        return out


def gate(findings: Sequence[Finding], fail_on: str) -> str:
    if fail_on == "never":
        return "passed"
    threshold = Severity(fail_on).rank
    return "failed" if any(Severity(f.severity).rank >= threshold for f in findings) else "passed"


CheckResult = tuple[list[Finding], list[str]]  # a corpus check's findings, and the notices it gave


def corpus_stage(
    tables: dict[str, pd.DataFrame],
    config: Config,
    run: dict[str, Any],
    locate: Callable[[str, str], int | None] | None = None,
) -> list[Finding]:
    """Every check's corpus hook over the merged tables; findings and notices in check order.
    ``locate``: ``(path, key) -> line`` of a file's front-matter key, for the hooks' messages
    (``ctx.run["locate"]``, see :class:`qa.stage.FieldLocator`).

    The hooks only read the tables, so (offline, from ``FORK_FROM_FILES`` files, where the
    platform forks) every other one runs in a forked child meanwhile (:mod:`qa.forked`):
    two cores for the corpus stage. The answer is the same as running them one after the
    other.
    """
    checks = [c for c in all_checks().values() if c.corpus is not None]
    there, here = checks[0::2], checks[1::2]  # results are put back by position: names may repeat
    files = tables.get("files")
    child = Forked(
        lambda: [run_corpus_check(c, tables, config, run, locate) for c in there],
        parallel=len(checks) > 1
        and files is not None
        and len(files) >= FORK_FROM_FILES
        and not run.get("online"),  # online: one process does the network I/O
    )
    mine = [run_corpus_check(c, tables, config, run, locate) for c in here]
    theirs = child.result()
    out: list[Finding] = []
    for i in range(len(checks)):
        found, notes = theirs[i // 2] if i % 2 == 0 else mine[i // 2]
        out.extend(found)
        run.setdefault("notices", []).extend(notes)
    return out


def run_corpus_check(
    check: Check,
    tables: dict[str, pd.DataFrame],
    config: Config,
    run: dict[str, Any],
    locate: Callable[[str, str], int | None] | None = None,
) -> CheckResult:
    """One corpus hook, with a notices list of its own; a failing hook is reported, the run goes on."""
    notes: list[str] = []
    assert check.corpus is not None
    ctx = Context(config.options_for(check.name, check.options), {**run, "notices": notes, "locate": locate})
    try:
        found = list(check.corpus(tables, ctx))
    except Exception as exc:  # noqa: BLE001
        found = [internal_error(".", f"corpus check {check.name!r}", exc)]
    return found, notes


def run_context(config: Config, roots: Sequence[str]) -> dict[str, Any]:
    return {
        "now": dt.datetime.now(dt.UTC),
        "online": config.online,
        "online_allow": list(config.online_allow),
        "cache_dir": config.cache_dir,
        "schema_dir": config.schema_dir,
        "roots": list(roots),
        "tool_version": __version__,
        "notices": [],  # corpus checks may append run-level notices (no network, deadline); see run()
    }


def stage_spec(config: Config, paths: Sequence[str]) -> StageSpec:
    """What every worker of a run needs to build its Stage."""
    limits = Limits(max_scalar_chars=config.max_field_length)
    read = ReadOptions(max_file_bytes=config.max_file_size, yaml_limits=limits)
    return StageSpec(config=config, read=read, run=run_context(config, paths))


def run(
    paths: Sequence[str],
    config: Config,
    *,
    progress: Callable[[int, int], None] | None = None,
    discovery: Discovery | None = None,
    cache_dir: str | None = None,
    only: set[str] | None = None,
    engine: str = "local",
    scheduler: str | None = None,
) -> RunResult:
    """Run the pipeline. ``cache_dir``: reuse per-file results by content hash (see qa/cache.py).
    ``only``: keep per-file findings of these paths only (``--changed-since``); corpus-level
    findings are kept when they involve one of them."""
    # Load the schema here, before any worker: a bad schema file is a usage error (exit 2)
    # with one clear message, not a failure inside every worker.
    load_schema(config.schema_dir)
    spec = stage_spec(config, paths)
    started = dt.datetime.now(dt.UTC)
    t0 = time.perf_counter()
    found = discovery or discover(paths, config.include, config.all_excludes())
    sources = found.sources
    read = spec.read
    notices = [n for n in [loader_notice()] if n]

    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, len(sources))

    cache = None
    to_check = sources
    frozen = False
    saving: Forked[None] | None = None
    if cache_dir is not None:
        from qa.cache import ResultCache, cache_salt

        cache = ResultCache(cache_dir, cache_salt(config), paths)
        to_check = cache.lookup(sources, read)
        tick(len(sources) - len(to_check))
        # The cache's entries and tables live to the end of the run: keep the garbage collector
        # from walking them again and again, and forked workers from touching (copying) them.
        frozen = gc.get_freeze_count() == 0
        if frozen:
            gc.freeze()
    try:
        order = {s.path: i for i, s in enumerate(sources)}
        if engine == "dask":
            from qa.engine.dask_engine import run_dask

            results = run_dask(to_check, spec, config.jobs, tick, scheduler=scheduler)
            hit_findings = cache.hit_findings() if cache is not None else []
        else:
            from qa.engine.local import LocalRun

            checking = LocalRun(to_check, spec, config.jobs, tick)
            try:
                # while the workers check the changed files: the unchanged files' results
                hit_findings = cache.hit_findings() if cache is not None else []
                if cache is not None:
                    cache.prepare(order)
                # The chunks' results arrive as many young objects (findings, object columns),
                # which set off ~700 collections of this whole heap at 100k files (~0.3 s of CPU
                # taken from the workers); nothing received forms cycles.
                with paused_gc():
                    results = checking.result()
            finally:
                checking.close()
        findings: list[Finding] = list(found.findings)
        for r in results:
            findings.extend(r.findings)
        tables = concat([r.tables for r in results]) if results else {}
        if not frozen and gc.get_freeze_count() == 0:
            # The results live to the end of the run: collections set off by the corpus checks
            # and the reports need not walk them (at 100k files the corpus stage set off ~50
            # full collections, ~0.1 s), and forked children do not touch (copy) their pages.
            gc.freeze()
            frozen = True
        if cache is not None:
            checked = findings[len(found.findings) :]
            findings.extend(hit_findings)
            tables = cache.merge(tables, order)
            if to_check or cache.dirty:
                # not kept: answers that depend on the clock, and files not checked to the end
                # (over the time budget, or the checking process died): checked again next run
                clock = {r.code for c in all_checks().values() for r in c.clock_rules} | {P130.code, P131.code}
                volatile = {f.path for f in checked if f.rule in clock}
                # written by a forked child while the corpus stage runs here (large corpora)
                saving = Forked(
                    lambda: cache.save(checked, tables, volatile=volatile),
                    parallel=len(sources) >= FORK_FROM_FILES,
                )
        if only is not None:
            findings = [f for f in findings if f.path in only]

        by_path = {s.path: s for s in sources}
        corpus_findings = corpus_stage(tables, config, spec.run, FieldLocator(by_path, read))
        notices.extend(str(n) for n in spec.run.get("notices", []))
        locate_later(corpus_findings, by_path, read)
        if only is not None:
            corpus_findings = [f for f in corpus_findings if f.path in only or not only.isdisjoint(f.related)]
        findings.extend(corpus_findings)
        zone_fixes(findings, tables)

        findings = config.apply(findings)
        findings.sort(key=Finding.sort_key)
        if saving is not None:
            saving.result()
        files_table = tables.get("files")
        records = int(files_table["usable"].sum()) if files_table is not None and len(files_table) else 0
        return RunResult(
            findings=findings,
            tables=tables,
            roots=[os.fspath(p) for p in paths],
            files=len(sources),
            records=records,
            config=config,
            started=started,
            duration=time.perf_counter() - t0,
            notices=notices,
            cache_hits=len(cache.hits) if cache is not None else 0,
        )
    finally:
        if frozen:
            gc.unfreeze()
