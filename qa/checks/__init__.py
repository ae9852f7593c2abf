"""Checks: small modules that declare rules and yield findings.

Every module in this package that defines ``CHECK = Check(...)`` is a check; it
is found at import time (no list to edit). A check may work at one or more of
three points of the one data flow (files -> records -> tables -> checks ->
findings -> reports):

* ``record``: per file, in the worker processes, with the parsed record (text
  checks, per-record flag rules). Must be pure: no printing, no files written.
* ``columns``: per file, in the workers, values added to the ``files`` table for
  the corpus stage (e.g. a MinHash signature of the body). Declare their names in
  ``column_names``. A check may also give ``columns_batch``: the same values for a
  whole chunk of records at once (vectorised); the stage then calls it instead, and
  falls back to ``columns`` record by record if it fails or overruns the chunk's time.
* ``corpus``: once, in the parent, with the merged tables (duplicates, related
  items, the published flag across records, online image checks).

A per-record rule whose answer depends on the run's date declares itself in
``clock_rules``: the result cache does not keep a file with such a finding.

A check's options live under ``[tool.clipqa.<name>]`` in the configuration;
``options`` gives their defaults, and only those keys are accepted there.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from qa.corpus import Record
from qa.findings import Finding, Rule


@dataclass(frozen=True, slots=True)
class Context:
    """What a check may know about the run: its options and run-wide facts."""

    options: Mapping[str, Any]
    # now (UTC datetime), cache_dir, online, roots, schema_dir ...; in the per-file stage also
    # schema (the loaded Schema); in the corpus stage also notices (a list to append run-level
    # notices to) and locate ((path, key) -> line of a file's top-level key, or None)
    run: Mapping[str, Any] = field(default_factory=dict)

    def get(self, key: str) -> Any:
        return self.options[key]


Tables = Mapping[str, pd.DataFrame]
RecordFn = Callable[[Record, Context], Iterable[Finding]]
ColumnsFn = Callable[[Record, Context], Mapping[str, Any]]
ColumnsBatchFn = Callable[[Sequence[Record], Context], Sequence[Mapping[str, Any]]]
CorpusFn = Callable[[Tables, Context], Iterable[Finding]]
# Checks an effective options mapping; returns (option key, problem) pairs (none: valid).
ValidateFn = Callable[[Mapping[str, Any]], Iterable[tuple[str, str]]]


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    rules: tuple[Rule, ...]
    doc: str = ""
    record: RecordFn | None = None
    columns: ColumnsFn | None = None
    # ``columns`` of many records at once, in order; must give exactly what ``columns`` gives
    columns_batch: ColumnsBatchFn | None = None
    column_names: tuple[str, ...] = ()
    corpus: CorpusFn | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    validate: ValidateFn | None = None  # value checks beyond the type (ranges, patterns)
    # Per-record rules whose finding depends on the run's clock (``ctx.run["now"]``) and that
    # can only stop firing as time passes (a date in the future): the result cache does not
    # keep a file that has one of these findings, so it is checked again on the next run.
    clock_rules: tuple[Rule, ...] = ()
    # First-use costs paid ahead (compiling patterns, loading tables): called once in a process
    # about to fork the children that check the files, so that each child inherits the result.
    warm: Callable[[Context], None] | None = None


_CHECKS: dict[str, Check] | None = None


def all_checks() -> dict[str, Check]:
    """Every check module of this package, by check name, in a stable order."""
    global _CHECKS
    if _CHECKS is None:
        found: dict[str, Check] = {}
        for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
            if info.name.startswith("_"):
                continue
            module = importlib.import_module(f"{__name__}.{info.name}")
            check = getattr(module, "CHECK", None)
            if isinstance(check, Check):
                if check.name in found:
                    raise ValueError(f"check {check.name!r} is defined twice")
                found[check.name] = check
        _CHECKS = found
    return _CHECKS
