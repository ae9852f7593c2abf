"""TableBuilder and to_column against the implementation they replaced (kept below as the
reference): the same tables (columns, dtypes, values, order) and the same findings for any
record, also after a rollback. The corpus-level checks and the result cache read these tables.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.corpus import Record
from qa.findings import Finding
from qa.schema import MappingSpec, Schema, load_schema
from qa.tables import (
    FILES_COLUMNS,
    INT64_MAX,
    INT64_MIN,
    META,
    STRING,
    TableBuilder,
    _field,
    _unknown,
    _wrong,
    to_column,
)

# -- the reference (qa/tables.py before the tuple rows and the per-level entries) -----------


def reference_column(values: list[Any]) -> pd.Series:
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
        return pd.DataFrame({c: reference_column(v) for c, v in self.data.items()})


@dataclass(slots=True)
class ReferenceBuilder:
    """The builder as it was: a dict per row, every key of every level tested in turn."""

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
                findings.append(_unknown(path, field_path, str(key), level, unknown_policy, value, data))

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


# -- the comparison -------------------------------------------------------------------------


def assert_same_frames(got: dict[str, pd.DataFrame], want: dict[str, pd.DataFrame]) -> None:
    assert list(got) == list(want)
    for name, b in want.items():
        a = got[name]
        pd.testing.assert_frame_equal(a, b, check_exact=True)
        assert [str(t) for t in a.dtypes] == [str(t) for t in b.dtypes], name
        for c in b.columns:
            if b[c].dtype == object:  # same Python values, of the same types (True is not 1)
                assert [type(v) for v in a[c]] == [type(v) for v in b[c]], (name, c)
            if isinstance(b[c].dtype, pd.StringDtype):
                assert a[c].array._pa_array.type == b[c].array._pa_array.type, (name, c)
            assert_same_buffers(a[c], b[c])


def assert_same_buffers(got: pd.Series, want: pd.Series) -> None:
    """Nullable ints and booleans: the same values under the mask, writable, as pd.array makes them."""
    if isinstance(want.array, pd.arrays.IntegerArray | pd.arrays.BooleanArray):
        for buffer in ("_data", "_mask"):
            a, b = getattr(got.array, buffer), getattr(want.array, buffer)
            assert a.dtype == b.dtype and a.tolist() == b.tolist() and a.flags.writeable and b.flags.writeable


def _dump(findings: Iterable[Finding]) -> list[tuple[Any, ...]]:
    return [(f.rule, f.path, f.field, f.message, repr(f.evidence), f.severity) for f in findings]


DEFAULT = load_schema(None)


def _lenient() -> Schema:
    """The default schema, with unknown keys allowed in related items and warned about in images."""
    schema = copy.deepcopy(DEFAULT)
    schema.tables["related"].unknown_fields = "allow"
    schema.tables["images"].unknown_fields = "warning"
    return schema


LENIENT = _lenient()


def _keys(level: MappingSpec) -> list[str]:
    out = [*level.columns, *level.children, *level.items]
    for key, sub in level.mappings.items():
        out += [key, *_keys(sub)]
    return out


KEYS = [
    *sorted({k for spec in DEFAULT.tables.values() for k in _keys(spec.root)}),
    "Title",
    "extra",
    "1",
    "provider.name",
]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.sampled_from([INT64_MAX, INT64_MIN, INT64_MAX + 1, INT64_MIN - 1, 2**70, 0]),
    st.floats(allow_nan=True),
    st.text(max_size=4),
    st.sampled_from(["a\udc80b", "", "https://example.com/x"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.integers(0, 2), st.booleans()), inner, max_size=5),
    ),
    max_leaves=30,
)
DATA = st.one_of(
    st.none(),
    st.dictionaries(st.one_of(st.sampled_from(KEYS), st.integers(0, 2)), VALUES, max_size=10),
)


@st.composite
def records(draw: st.DrawFn) -> Record:
    rec = Record(
        draw(st.sampled_from(["a.md", "b/c.md"])),
        "here",
        data=draw(DATA),
        body=draw(st.text(max_size=5)),
        sha256=draw(st.sampled_from(["", "ab" * 32])),
        size=draw(st.integers(0, 10**6)),
    )
    rec.has_front_matter = draw(st.booleans())
    return rec


EXTRA_COLUMNS = ("story_url", "related_url_keys", "line_title")
EXTRAS = st.one_of(
    st.none(),
    st.just({}),
    st.dictionaries(st.sampled_from([*EXTRA_COLUMNS, "size"]), st.one_of(SCALARS, st.tuples(SCALARS)), max_size=4),
)


@settings(max_examples=600, deadline=None)
@given(
    st.lists(st.tuples(records(), EXTRAS), max_size=8),
    st.sampled_from([DEFAULT, LENIENT]),
    st.sampled_from([EXTRA_COLUMNS, ()]),  # (a declared column named like a file column broke the old one)
)
def test_tables_and_findings_equal_the_reference(
    batch: list[tuple[Record, Any]], schema: Schema, extra_columns: tuple[str, ...]
) -> None:
    new, ref = TableBuilder(schema, extra_columns), ReferenceBuilder(schema, extra_columns)
    for i, (rec, extra) in enumerate(batch):
        assert _dump(new.add(i, rec, extra)) == _dump(ref.add(i, rec, extra))
    assert_same_frames(new.frames(), ref.frames())


@settings(max_examples=200, deadline=None)
@given(st.lists(records(), min_size=2, max_size=6), st.data())
def test_rollback_equals_the_reference(batch: list[Record], data: st.DataObject) -> None:
    new, ref = TableBuilder(DEFAULT), ReferenceBuilder(DEFAULT)
    cut = data.draw(st.integers(0, len(batch) - 1))
    marks: list[dict[str, int]] = []
    for i, rec in enumerate(batch):
        if i == cut:
            marks = [new.mark(), ref.mark()]
        new.add(i, rec)
        ref.add(i, rec)
    assert marks[0] == marks[1]
    new.rollback(marks[0])
    ref.rollback(marks[1])
    new.add(99, batch[0])
    ref.add(99, batch[0])
    assert_same_frames(new.frames(), ref.frames())


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.one_of(SCALARS, st.lists(st.integers(), max_size=2)), max_size=12), st.sampled_from([0, 1, 2, 3]))
def test_to_column_equals_the_reference(values: list[Any], kind: int) -> None:
    if kind == 1:  # one type with missing values: the typed dtypes
        values = [v if isinstance(v, str) else None for v in values]
    elif kind == 2:
        values = [v if type(v) is int else None for v in values]
    elif kind == 3:
        values = [v if type(v) is bool else None for v in values]
    got, want = to_column(list(values)), reference_column(list(values))
    pd.testing.assert_series_equal(got, want, check_exact=True)
    if want.dtype == object:
        assert [type(v) for v in got] == [type(v) for v in want]
    if isinstance(want.dtype, pd.StringDtype):
        assert got.array._pa_array.type == want.array._pa_array.type
    assert_same_buffers(got, want)


def test_empty_builder_equals_the_reference() -> None:
    assert_same_frames(TableBuilder(DEFAULT, EXTRA_COLUMNS).frames(), ReferenceBuilder(DEFAULT, EXTRA_COLUMNS).frames())
