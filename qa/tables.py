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
from types import NoneType
from typing import Any

import pandas as pd
import pyarrow as pa

from qa.constraints import INT64_MAX, INT64_MIN, S102, type_name
from qa.corpus import Record
from qa.findings import Finding, Severity, rename_key
from qa.schema import S109, MappingSpec, Schema

META = ("_record", "_path", "_field")
FILES_COLUMNS = ("_record", "_path", "sha256", "size", "has_front_matter", "usable", "body_chars")
STRING = pd.StringDtype("pyarrow")


def to_column(values: list[Any]) -> pd.Series:
    """A Series with the tightest dtype that holds the values exactly."""
    column = _column(values)
    return column if isinstance(column, pd.Series) else pd.Series(column)


def _column(values: list[Any]) -> pd.Series | pd.api.extensions.ExtensionArray:
    """:func:`to_column`'s values: a typed array, or an ``object`` Series."""
    kinds = set(map(type, values))
    kinds.discard(NoneType)
    if not kinds:
        return pd.Series(values, dtype=object)
    if kinds == {str}:
        try:  # what pd.array(values, dtype=STRING) builds, without its per-value pass
            return pd.arrays.ArrowStringArray(pa.array(values, type=pa.large_string()))
        except (ValueError, TypeError, UnicodeError):
            return pd.Series(values, dtype=object)  # e.g. a lone surrogate from a YAML escape
    # booleans and 64-bit ints through pyarrow (a tenth of pd.array's time), as pd.array
    # builds them: the values, writable, with False / 1 under the mask
    if kinds == {bool}:
        bools = pa.array(values, type=pa.bool_())
        return pd.arrays.BooleanArray(_numpy(bools.fill_null(False)), _numpy(bools.is_null()))
    if kinds == {int}:
        nonzero = list(filter(None, values))  # the ints but 0 (which is in range)
        if not nonzero or (min(nonzero) >= INT64_MIN and max(nonzero) <= INT64_MAX):
            ints = pa.array(values, type=pa.int64())
            return pd.arrays.IntegerArray(_numpy(ints.fill_null(1)), _numpy(ints.is_null()))
    return pd.Series(values, dtype=object)


def _numpy(array: pa.Array) -> Any:
    return array.to_numpy(zero_copy_only=False, writable=True)


@dataclass(slots=True)
class _TableRows:
    """A table's rows as tuples in the order of ``columns`` (turned into columns by ``frame``)."""

    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]

    @classmethod
    def new(cls, columns: Iterable[str]) -> _TableRows:
        return cls(tuple(dict.fromkeys(columns)), [])

    def add(self, row: Mapping[str, Any]) -> None:
        self.rows.append(tuple(map(row.get, self.columns)))

    def frame(self) -> pd.DataFrame:
        if not self.rows:
            return pd.DataFrame({c: _column([]) for c in self.columns})
        return pd.DataFrame(
            {c: _column(list(v)) for c, v in zip(self.columns, zip(*self.rows, strict=True), strict=True)}
        )


# What a key of a mapping level becomes (``_Level.entries``): a column, a nested mapping,
# a child table (list of mappings) or an item table (list of scalars).
_COLUMN, _MAPPING, _CHILD, _ITEMS = range(4)


@dataclass(slots=True)
class _Level:
    """A mapping level of a table, with each declared key's fate decided once (the schema's
    precedence: column, then mapping, then child table, then item table)."""

    spec: MappingSpec
    unknown_policy: str
    column_prefix: str
    entries: dict[str, tuple[int, Any]]

    @classmethod
    def of(cls, table: str, spec: MappingSpec, unknown_policy: str, column_prefix: str = "") -> _Level:
        entries: dict[str, tuple[int, Any]] = {}
        for key in spec.items:
            entries[key] = (_ITEMS, f"{table}.{column_prefix}{key}")
        for key, child in spec.children.items():
            entries[key] = (_CHILD, child)
        for key, sub in spec.mappings.items():
            entries[key] = (_MAPPING, cls.of(table, sub, unknown_policy, f"{column_prefix}{key}."))
        for key in spec.columns:
            entries[key] = (_COLUMN, f"{column_prefix}{key}")
        return cls(spec, unknown_policy, column_prefix, entries)


@dataclass(slots=True)
class TableBuilder:
    """Accumulates rows for a batch of records; ``frames()`` returns the tables."""

    schema: Schema
    extra_file_columns: tuple[str, ...] = ()
    rows: dict[str, _TableRows] = field(default_factory=dict)
    levels: dict[str, _Level] = field(default_factory=dict)  # each table's root level, on first use

    def __post_init__(self) -> None:
        self.rows["files"] = _TableRows.new((*FILES_COLUMNS, *self.extra_file_columns))
        for name, spec in self.schema.tables.items():
            self.rows[name] = _TableRows.new((*META, *spec.columns))
            for item_table in spec.item_tables:
                self.rows[item_table] = _TableRows.new((*META, "value"))

    def add(self, record_id: int, rec: Record, extra: Mapping[str, Any] | None = None) -> list[Finding]:
        """Add one record's rows; returns the structural findings (unknown keys, wrong containers)."""
        own = (record_id, rec.path, rec.sha256 or None, rec.size, rec.has_front_matter, rec.usable, len(rec.body))
        files = self.rows["files"]
        if not extra:
            files.rows.append((*own, *(None,) * (len(files.columns) - len(own))))
        elif extra.keys().isdisjoint(FILES_COLUMNS):  # the usual: checks add columns of their own
            files.rows.append((*own, *map(extra.get, files.columns[len(own) :])))
        else:  # a check's value for one of the file's own columns replaces it
            row = dict(zip(FILES_COLUMNS, own, strict=True))
            row.update(extra)
            files.add(row)
        findings: list[Finding] = []
        if rec.data is not None:
            self._add_row("clippings", record_id, rec.path, "", rec.data, findings)
        return findings

    def _level(self, table: str) -> _Level:
        level = self.levels.get(table)
        if level is None:
            spec = self.schema.tables[table]
            level = self.levels[table] = _Level.of(spec.name, spec.root, spec.unknown_fields)
        return level

    def _add_row(
        self, table: str, record_id: int, path: str, prefix: str, data: Mapping[str, Any], findings: list[Finding]
    ) -> None:
        level = self._level(table)
        row: dict[str, Any] = {"_record": record_id, "_path": path, "_field": prefix}
        self._flatten(level, record_id, path, prefix, data, row, findings)
        self.rows[table].add(row)

    def _flatten(
        self,
        level: _Level,
        record_id: int,
        path: str,
        prefix: str,
        data: Mapping[str, Any],
        row: dict[str, Any],
        findings: list[Finding],
    ) -> None:
        entries = level.entries
        for key, value in data.items():
            entry = entries.get(key)
            if entry is None:
                if level.unknown_policy != "allow":
                    field_path = _field(prefix, f"{level.column_prefix}{key}")
                    findings.append(_unknown(path, field_path, str(key), level.spec, level.unknown_policy, value, data))
                continue
            kind, target = entry
            if kind == _COLUMN:
                row[target] = value
            elif kind == _MAPPING:
                if isinstance(value, dict):
                    self._flatten(target, record_id, path, prefix, value, row, findings)
                elif value is not None:
                    field_path = _field(prefix, f"{level.column_prefix}{key}")
                    findings.append(_wrong(path, field_path, "mapping", value))
            elif kind == _CHILD:
                self._children(target, record_id, path, _field(prefix, f"{level.column_prefix}{key}"), value, findings)
            else:
                self._items(target, record_id, path, _field(prefix, f"{level.column_prefix}{key}"), value, findings)

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
        rows = self.rows[item_table].rows  # columns (*META, "value")
        for i, item in enumerate(value):
            rows.append((record_id, path, f"{field_path}[{i}]", item))

    def mark(self) -> dict[str, int]:
        """Row counts now, for :meth:`rollback` (a file skipped half-way leaves no rows)."""
        return {name: len(rows.rows) for name, rows in self.rows.items()}

    def rollback(self, mark: dict[str, int]) -> None:
        for name, rows in self.rows.items():
            del rows.rows[mark.get(name, 0) :]

    def frames(self) -> dict[str, pd.DataFrame]:
        return {name: rows.frame() for name, rows in self.rows.items()}


def _field(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _wrong(path: str, field_path: str, expected: str, value: Any) -> Finding:
    return S102.finding(
        path, f"{field_path}: expected {expected}, got {type_name(value)}", field=field_path, evidence=value
    )


def _unknown(
    path: str, field_path: str, key: str, level: MappingSpec, policy: str, value: Any, siblings: Mapping[str, Any]
) -> Finding:
    known = sorted(level.keys())
    lowered = {k.lower(): k for k in known}
    guess = lowered.get(key.lower()) or next(iter(difflib.get_close_matches(key, known, n=1, cutoff=0.75)), None)
    hint = f" (did you mean {guess!r}?)" if guess else ""
    # the rename, unless the mapping has that key already (a second one would be a duplicate)
    rename = guess is not None and guess not in siblings
    f = S109.finding(
        path,
        f"unknown field {field_path!r}{hint}",
        field=field_path,
        evidence=value,
        fix=rename_key(field_path, guess) if rename and guess is not None else None,
        fix_message=f"rename {key!r} to {guess!r}" if rename else None,
    )
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
