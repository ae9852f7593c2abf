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

A check with a ``corpus`` hook also says, in ``corpus_keys`` (:class:`CorpusKeys`), which
rows its hook needs to answer for a few files: the corpus index (qa/index.py) gates a
batch by running the hook on the batch and the corpus rows that share a join key with
it, not on the whole corpus. A check without it makes the index fall back to a full run.

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
# One row per (file, join key): columns ``_record`` (the file's record id), ``kind`` and ``key``
# (strings). See CorpusKeys.
KeysFn = Callable[[Tables, Context], pd.DataFrame]
# Checks an effective options mapping; returns (option key, problem) pairs (none: valid).
ValidateFn = Callable[[Mapping[str, Any]], Iterable[tuple[str, str]]]


@dataclass(frozen=True, slots=True)
class CorpusKeys:
    """How the corpus index (qa/index.py) finds every corpus file whose rows can change the
    corpus hook's findings that involve a batch of files, so that the hook can run on the
    batch and those files instead of the whole corpus, and give the same findings for the batch.

    ``keys``: the join keys of each file, ``(kind, key)`` pairs, derived from that file's
    own rows only (never from other files: the index computes them once per file, in any
    company). ``probes``: what a batch file looks up (rows whose ``keys`` hold one of
    its probes are fetched); ``None``: its keys. With ``transitive``, the files found are
    followed in turn by their keys, to a fixed point: the hook must then answer for a file
    from the connected component of the key graph it belongs to alone (groups joined by
    shared keys: duplicates, clusters). Without it, one step: the hook's findings that name
    a batch file must depend only on rows sharing a key with it (lookups both ways, a
    threshold over one key's users). More rows than needed are always safe.

    ``totals``: facts the hook needs over the *whole* corpus (counts, shares): per file, int
    columns (summed over every file) and bool columns (the first path, in path order, where
    true), with ``_record``; or, for totals whose names are data (one per provider), rows
    ``_record``, ``total``, ``value`` (int): the file adds ``value`` to ``total``. The index
    keeps them summed; the hook finds them in ``ctx.run["totals"]`` when it sees part of the
    corpus, and computes them itself otherwise.
    """

    keys: KeysFn
    probes: KeysFn | None = None
    transitive: bool = True
    totals: KeysFn | None = None

    def __post_init__(self) -> None:
        if self.transitive and self.probes is not None:
            raise ValueError("CorpusKeys: a transitive closure follows the keys; give probes only without it")


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
    # Which rows ``corpus`` needs for a batch (see CorpusKeys); None with a corpus hook: the
    # corpus index cannot serve this check and falls back to a full run.
    corpus_keys: CorpusKeys | None = None
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
