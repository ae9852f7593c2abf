"""Records -> pandas tables, shaped by the schema.

* ``files``: one row per file read (hash, size, whether it had usable front matter),
  plus columns that checks derive per record (see ``Check.columns``);
* ``clippings``: one row per file with usable front matter; nested mappings
  flattened (``provider.domain``);
* ``images`` and ``related``: one row per list item, wherever it stands
  (``related[1].images[0]``), with the record id and the field path;
* item tables such as ``clippings.topics``: one row per scalar list item.

Every table carries ``_record`` (index of the record in the run), ``_path`` (the
file) and ``_field`` (the field path of the row's parent: ``images[0]``). Values are
kept as loaded, so the schema's type checks see a string where a number should
be; a column whose values all have one type gets a typed dtype (pyarrow-backed
strings, nullable Int64 / boolean), others stay ``object``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from qa.constraints import S102, type_name
from qa.corpus import Record
from qa.findings import Finding, Severity
from qa.schema import S109, MappingSpec, Schema

META = ("_record", "_path", "_field")
FILES_COLUMNS = ("_record", "_path", "sha256", "size", "has_front_matter", "usable", "body_chars")
STRING = pd.StringDtype("pyarrow")
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def to_column(values: list[Any]) -> pd.Series:
    """A Series with the tightest dtype that holds the values exactly."""
    kinds = {type(v) for v in values if v is not None}
    if not kinds:
        return pd.Series(values, dtype=object)
    if kinds == {str}:
        try:
            return pd.Series(pd.array(values, dtype=STRING))
        except (ValueError, TypeError, UnicodeError):
            return pd.Series(values, dtype=object)  # e.g. a lone surrogate from a YAML escape
    if kinds == {bool}:
        return pd.Series(pd.array(values, dtype="boolean"))
    if kinds == {int} and all(v is None or INT64_MIN <= v <= INT64_MAX for v in values):
        return pd.Series(pd.array(values, dtype="Int64"))
    return pd.Series(values, dtype=object)


@dataclass(slots=True)
class _TableRows:
    columns: tuple[str, ...]
    data: dict[str, list[Any]]

    @classmethod
    def new(cls, columns: Iterable[str]) -> _TableRows:
        cols = tuple(columns)
        return cls(cols, {c: [] for c in cols})

    def add(self, row: Mapping[str, Any]) -> None:
        for c in self.columns:
            self.data[c].append(row.get(c))

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame({c: to_column(v) for c, v in self.data.items()})


@dataclass(slots=True)
class TableBuilder:
    """Accumulates rows for a batch of records; ``frames()`` returns the tables."""

    schema: Schema
    extra_file_columns: tuple[str, ...] = ()
    rows: dict[str, _TableRows] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rows["files"] = _TableRows.new((*FILES_COLUMNS, *self.extra_file_columns))
        for name, spec in self.schema.tables.items():
            self.rows[name] = _TableRows.new((*META, *spec.columns))
            for item_table in spec.item_tables:
                self.rows[item_table] = _TableRows.new((*META, "value"))

    def add(self, record_id: int, rec: Record, extra: Mapping[str, Any] | None = None) -> list[Finding]:
        """Add one record's rows; returns the structural findings (unknown keys, wrong containers)."""
        row = {
            "_record": record_id,
            "_path": rec.path,
            "sha256": rec.sha256 or None,
            "size": rec.size,
            "has_front_matter": rec.has_front_matter,
            "usable": rec.usable,
            "body_chars": len(rec.body),
        }
        if extra:
            row.update(extra)
        self.rows["files"].add(row)
        findings: list[Finding] = []
        if rec.data is not None:
            self._add_row("clippings", record_id, rec.path, "", rec.data, findings)
        return findings

    def _add_row(
        self, table: str, record_id: int, path: str, prefix: str, data: Mapping[str, Any], findings: list[Finding]
    ) -> None:
        spec = self.schema.tables[table]
        row: dict[str, Any] = {"_record": record_id, "_path": path, "_field": prefix}
        self._flatten(spec.name, spec.root, spec.unknown_fields, record_id, path, prefix, "", data, row, findings)
        self.rows[table].add(row)

    def _flatten(
        self,
        table: str,
        level: MappingSpec,
        unknown_policy: str,
        record_id: int,
        path: str,
        prefix: str,
        column_prefix: str,
        data: Mapping[str, Any],
        row: dict[str, Any],
        findings: list[Finding],
    ) -> None:
        for key, value in data.items():
            field_path = _field(prefix, f"{column_prefix}{key}")
            if key in level.columns:
                row[f"{column_prefix}{key}"] = value
            elif key in level.mappings:
                if isinstance(value, dict):
                    self._flatten(
                        table, level.mappings[key], unknown_policy, record_id, path, prefix,
                        f"{column_prefix}{key}.", value, row, findings,
                    )  # fmt: skip
                elif value is not None:
                    findings.append(_wrong(path, field_path, "mapping", value))
            elif key in level.children:
                self._children(level.children[key], record_id, path, field_path, value, findings)
            elif key in level.items:
                self._items(f"{table}.{column_prefix}{key}", record_id, path, field_path, value, findings)
            elif unknown_policy != "allow":
                findings.append(_unknown(path, field_path, str(key), level, unknown_policy, value))

    def _children(
        self, child: str, record_id: int, path: str, field_path: str, value: Any, findings: list[Finding]
    ) -> None:
        if value is None:
            return
        if not isinstance(value, list):
            findings.append(_wrong(path, field_path, "list", value))
            return
        for i, item in enumerate(value):
            item_path = f"{field_path}[{i}]"
            if isinstance(item, dict):
                self._add_row(child, record_id, path, item_path, item, findings)
            else:
                findings.append(_wrong(path, item_path, "mapping", item))

    def _items(
        self, item_table: str, record_id: int, path: str, field_path: str, value: Any, findings: list[Finding]
    ) -> None:
        if value is None:
            return
        if not isinstance(value, list):
            findings.append(_wrong(path, field_path, "list", value))
            return
        rows = self.rows[item_table]
        for i, item in enumerate(value):
            rows.add({"_record": record_id, "_path": path, "_field": f"{field_path}[{i}]", "value": item})

    def mark(self) -> dict[str, int]:
        """Row counts now, for :meth:`rollback` (a file skipped half-way leaves no rows)."""
        return {name: len(rows.data[rows.columns[0]]) for name, rows in self.rows.items()}

    def rollback(self, mark: dict[str, int]) -> None:
        for name, rows in self.rows.items():
            keep = mark.get(name, 0)
            for values in rows.data.values():
                del values[keep:]

    def frames(self) -> dict[str, pd.DataFrame]:
        return {name: rows.frame() for name, rows in self.rows.items()}


def _field(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _wrong(path: str, field_path: str, expected: str, value: Any) -> Finding:
    return S102.finding(
        path, f"{field_path}: expected {expected}, got {type_name(value)}", field=field_path, evidence=value
    )


def _unknown(path: str, field_path: str, key: str, level: MappingSpec, policy: str, value: Any) -> Finding:
    known = sorted(level.keys())
    lowered = {k.lower(): k for k in known}
    guess = lowered.get(key.lower()) or next(iter(difflib.get_close_matches(key, known, n=1, cutoff=0.75)), None)
    hint = f" (did you mean {guess!r}?)" if guess else ""
    f = S109.finding(path, f"unknown field {field_path!r}{hint}", field=field_path, evidence=value)
    f.severity = Severity(policy).value
    return f


def concat(parts: list[dict[str, pd.DataFrame]]) -> dict[str, pd.DataFrame]:
    """Merge per-chunk tables, re-deriving tight dtypes (a chunk may be all-null)."""
    out: dict[str, pd.DataFrame] = {}
    names = {name for part in parts for name in part}
    for name in sorted(names):
        frames = [p[name] for p in parts if name in p and not p[name].empty]
        if not frames:
            out[name] = next(p[name] for p in parts if name in p)
            continue
        if len(frames) == 1:
            out[name] = frames[0].reset_index(drop=True)
            continue
        merged = {}
        for col in frames[0].columns:
            dtypes = {str(f[col].dtype) for f in frames}
            if len(dtypes) == 1:
                merged[col] = pd.concat([f[col] for f in frames], ignore_index=True)
            else:
                values: list[Any] = []
                for f in frames:
                    values.extend(None if v is pd.NA else v for v in f[col].astype(object).tolist())
                merged[col] = to_column(values)
        out[name] = pd.DataFrame(merged)
    return out
