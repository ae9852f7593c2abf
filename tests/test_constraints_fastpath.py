"""The schema's per-value checks (``type_mask``, ``vectorized_check``) against the plain
definitions they replace: one Python predicate per value through ``Series.map``."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.constraints import CONSTRAINTS, INT64_MAX, _is_type, type_mask, vectorized_check

KINDS = ("string", "integer", "number", "boolean", "datetime", "mapping", "list")

VALUES = st.one_of(
    st.none(),
    st.just(pd.NA),
    st.text(max_size=12),
    st.sampled_from(["2025-03-14T08:30:00Z", "2025-03-14 08:30", "not a date", " ", "https://example.com/a", "a b"]),
    st.integers(-5, 5),
    st.sampled_from([INT64_MAX, INT64_MAX + 1, -(2**63) - 1, 10**30]),
    st.booleans(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.datetimes(timezones=st.sampled_from([None, dt.UTC])),
    st.dates(),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
    st.lists(st.integers(), max_size=2),
)


def reference_type_mask(series: pd.Series, kind: str) -> list[bool]:
    return [bool(x) for x in series.map(lambda v: v is None or v is pd.NA or _is_type(kind, v))]


def reference_check(name: str, kind: str, arg: Any, series: pd.Series) -> list[bool]:
    constraint = CONSTRAINTS[name]
    typed = pd.Series(reference_type_mask(series, kind), index=series.index)
    values = series.where(typed, None)
    ok = values.map(lambda v: v is None or v is pd.NA or constraint.ok(v, arg))
    return [bool(x) for x in ok.astype(bool) | ~typed]


@settings(max_examples=300, deadline=None)
@given(st.lists(VALUES, max_size=12), st.sampled_from(KINDS))
def test_type_mask_equals_the_per_value_predicate(values: list[Any], kind: str) -> None:
    series = pd.Series(values, dtype=object)
    got = type_mask(series, kind)
    assert got.dtype == bool and list(got.index) == list(series.index)
    assert [bool(x) for x in got] == reference_type_mask(series, kind)


CHECKS = [
    ("min_length", "string", 3),
    ("max_length", "string", 4),
    ("not_blank", "string", True),
    ("pattern", "string", CONSTRAINTS["pattern"].check_arg(r"[a-z]+")),
    ("url", "string", ("http", "https")),
    ("between", "integer", [0, 3]),
    ("between", "number", [-1.5, None]),
    ("finite", "number", True),
    ("isin", "integer", frozenset({1, 2})),
    ("timezone", "datetime", True),
]


@settings(max_examples=300, deadline=None)
@given(st.lists(VALUES, max_size=12), st.sampled_from(CHECKS), st.booleans())
def test_vectorized_check_equals_the_per_value_predicate(
    values: list[Any], check: tuple[str, str, Any], string_dtype: bool
) -> None:
    name, kind, arg = check
    series = pd.Series(values, dtype=object)
    if string_dtype:  # a typed column (as the tables build one when every value is a string)
        series = pd.Series([v for v in values if isinstance(v, str)] or ["x"], dtype="string[pyarrow]")
    got = vectorized_check(CONSTRAINTS[name], kind, arg)(series)
    assert list(got.index) == list(series.index)
    assert [bool(x) for x in got] == reference_check(name, kind, arg, series)
