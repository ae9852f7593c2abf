"""The warm run's fast row insert gives the same tables as the general merge."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.cache import _insert_rows, _merge_table
from qa.tables import to_column

# values of the kinds the table builder meets, glitches included (a string where a number
# belongs, a boolean among ints, a lone surrogate, an int past int64, a list)
SCALARS = st.one_of(
    st.none(),
    st.text(max_size=5),
    st.sampled_from(["\ud800x", "ok"]),
    st.integers(min_value=-5, max_value=5),
    st.just(2**70),
    st.booleans(),
    st.floats(allow_nan=True, allow_infinity=False, width=32),
    st.lists(st.integers(0, 3), max_size=2),
)
COLUMN_KINDS = [
    st.lists(st.one_of(st.none(), st.text(max_size=4)), min_size=1, max_size=1),
    st.lists(st.one_of(st.none(), st.integers(-3, 3)), min_size=1, max_size=1),
    st.lists(st.one_of(st.none(), st.booleans()), min_size=1, max_size=1),
    st.lists(SCALARS, min_size=1, max_size=1),
]


def frame(rows: list[list[object]], ids: list[int]) -> pd.DataFrame:
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in range(len(COLUMN_KINDS))]
    df = pd.DataFrame({f"c{i}": to_column(list(col)) for i, col in enumerate(columns)})
    df.insert(0, "_record", pd.Series(ids, dtype="int64"))
    return df


@st.composite
def parts(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Rows of records 0..n-1 (0-2 rows each), split into cached and new records."""
    n = draw(st.integers(1, 25))
    kinds = [draw(st.sampled_from(range(len(COLUMN_KINDS)))) for _ in range(3)]
    uniform = draw(st.booleans())  # same kind in every row: typed dtypes on both sides

    def row() -> list[object]:
        if uniform:
            return [draw(COLUMN_KINDS[k])[0] for k in kinds]
        return [draw(SCALARS) for _ in kinds]

    is_new = [draw(st.booleans()) for _ in range(n)]
    cached_rows, cached_ids, new_rows, new_ids = [], [], [], []
    for record in range(n):
        for _ in range(draw(st.integers(0, 2))):
            (new_rows if is_new[record] else cached_rows).append(row())
            (new_ids if is_new[record] else cached_ids).append(record)
    return frame(cached_rows, cached_ids), frame(new_rows, new_ids), np.array(new_ids, dtype="int64")


@settings(max_examples=400, deadline=None)
@given(parts())
def test_insert_rows_equals_general_merge(case: tuple[pd.DataFrame, pd.DataFrame, np.ndarray]) -> None:
    cached, new, new_ids = case
    inserted = _insert_rows(cached, new, new_ids)
    if not len(cached) or not len(new):
        assert inserted is None  # nothing to insert into (or nothing to insert): the general merge
        return
    assert inserted is not None
    expected = _merge_table([(new, new_ids), (cached, cached["_record"].to_numpy(dtype="int64"))])
    pd.testing.assert_frame_equal(inserted, expected, check_dtype=True, check_exact=True)
    assert inserted["_record"].is_monotonic_increasing


def test_insert_rows_on_a_real_table_keeps_every_value() -> None:
    rng = np.random.default_rng(7)
    n = 3000
    df = pd.DataFrame(
        {
            "_record": pd.Series(np.repeat(np.arange(n // 2), 2), dtype="int64"),
            "title": to_column([f"title {i}" if i % 7 else None for i in range(n)]),
            "heat": to_column([i if i % 5 else None for i in range(n)]),
            "published": to_column([bool(i % 2) if i % 11 else None for i in range(n)]),
            "quality": to_column([i if i % 13 else "high" for i in range(n)]),
            "size": pd.Series(np.arange(n), dtype="int64"),
        }
    )
    changed = np.sort(rng.choice(n // 2, 30, replace=False))
    is_new = df["_record"].isin(changed).to_numpy()
    new, cached = df[is_new].reset_index(drop=True), df[~is_new].reset_index(drop=True)
    inserted = _insert_rows(cached, new, new["_record"].to_numpy(dtype="int64"))
    assert inserted is not None
    pd.testing.assert_frame_equal(inserted, df, check_dtype=True, check_exact=True)


def test_insert_rows_declines_rows_out_of_order_and_other_columns() -> None:
    cached = pd.DataFrame({"_record": pd.Series([0, 2], dtype="int64"), "v": to_column(["a", "c"])})
    new = pd.DataFrame({"_record": pd.Series([3, 1], dtype="int64"), "v": to_column(["d", "b"])})
    assert _insert_rows(cached, new, np.array([3, 1])) is None
    assert _insert_rows(cached, new.rename(columns={"v": "w"}), np.array([1, 3])) is None
    in_order = new.iloc[::-1].reset_index(drop=True)
    merged = _insert_rows(cached, in_order, np.array([1, 3]))
    assert merged is not None
    assert merged["v"].tolist() == ["a", "b", "c", "d"]


@pytest.mark.parametrize("dtype", ["float64", "datetime64[ns]"])
def test_insert_rows_handles_other_numpy_columns(dtype: str) -> None:
    cached = pd.DataFrame({"_record": pd.Series([0, 2], dtype="int64"), "v": pd.Series([1, 3]).astype(dtype)})
    new = pd.DataFrame({"_record": pd.Series([1], dtype="int64"), "v": pd.Series([2]).astype(dtype)})
    merged = _insert_rows(cached, new, np.array([1]))
    assert merged is not None
    assert merged["v"].dtype == np.dtype(dtype)
    assert merged["v"].tolist() == pd.Series([1, 2, 3]).astype(dtype).tolist()


@settings(max_examples=150, deadline=None)
@given(parts())
def test_consuming_insert_gives_the_same_table_and_empties_its_input(
    case: tuple[pd.DataFrame, pd.DataFrame, np.ndarray],
) -> None:
    cached, new, new_ids = case
    expected = _insert_rows(cached.copy(), new, new_ids)
    before = cached.copy()
    consumed = _insert_rows(cached, new, new_ids, consume=True)
    if expected is None:
        assert consumed is None
        pd.testing.assert_frame_equal(cached, before)  # declined: the input is untouched
        return
    assert consumed is not None
    pd.testing.assert_frame_equal(consumed, expected, check_dtype=True, check_exact=True)
    assert list(cached.columns) == []  # each column dropped once merged


def test_a_declined_consuming_insert_leaves_its_input_whole() -> None:
    cached = pd.DataFrame({"_record": pd.Series([0, 2], dtype="int64"), "v": pd.Series([1.5, 2.5])})
    new = pd.DataFrame({"_record": pd.Series([1], dtype="int64"), "v": to_column(["b"])})  # float64 vs string
    assert _insert_rows(cached, new, np.array([1]), consume=True) is None
    assert list(cached.columns) == ["_record", "v"] and cached["v"].tolist() == [1.5, 2.5]
