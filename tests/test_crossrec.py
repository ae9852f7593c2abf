"""The grouping helpers of qa/crossrec.py against the pandas operations they replace."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from qa.checks.consistency import _lookup, related_keys
from qa.checks.duplicate import band_hashes
from qa.crossrec import as_objects, clipping_keys, components, duplicated, groups, key_codes, repeated, string_lengths

VALUES = ["b", None, "a", "b", "c", None, "a", "b", "é", "é"]


@pytest.mark.parametrize("dtype", ["string[pyarrow]", "string[python]", object])
def test_duplicated_is_notna_and_duplicated(dtype: object) -> None:
    s = pd.Series(VALUES, dtype=dtype)  # type: ignore[call-overload]
    expected = (s.notna() & s.duplicated()).to_numpy(dtype=bool)
    assert duplicated(s).tolist() == expected.tolist()
    assert duplicated(s[:0]).tolist() == []


@pytest.mark.parametrize("dtype", ["string[pyarrow]", object])
def test_key_codes_and_repeated(dtype: object) -> None:
    s = pd.Series(VALUES, dtype=dtype)  # type: ignore[call-overload]
    codes = key_codes(s)
    assert codes.tolist() == [0, -1, 1, 0, 2, -1, 1, 0, 3, 3]
    assert repeated(codes).tolist() == [True, False, True, True, False, False, True, True, True, True]
    assert repeated(codes, 3).tolist() == [True, False, False, True, False, False, False, True, False, False]


def test_groups_are_sorted_by_key_then_path_and_skip_singletons() -> None:
    df = pd.DataFrame(
        {
            "_path": pd.Series(["z.txt", "y.txt", "x.txt", "w.txt", "v.txt", "u.txt"], dtype="string[pyarrow]"),
            "key": pd.Series(["b", "a", "b", None, "c", "a"], dtype="string[pyarrow]"),
            "n": [1, 2, 3, 4, 5, 6],
        }
    )
    got = [(g.key, g.rows["_path"], g.rows["n"]) for g in groups(df, "key")]
    assert got == [("a", ["u.txt", "y.txt"], [6, 2]), ("b", ["x.txt", "z.txt"], [3, 1])]
    assert [g.key for g in groups(df, "key", min_size=3)] == []


def test_components_label_by_smallest_member() -> None:
    a, b = np.array([5, 1, 7]), np.array([3, 5, 8])
    label = components(10, [(a, b), (np.array([9]), np.array([8]))])
    assert label.tolist() == [0, 1, 2, 1, 4, 1, 6, 7, 7, 7]
    assert components(3, [(np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64))]).tolist() == [0, 1, 2]


def test_string_lengths_count_code_points_and_mark_non_strings() -> None:
    values = ["abc", None, "é😀", ""]
    assert string_lengths(pd.Series(values, dtype="string[pyarrow]")).tolist() == [3, -1, 2, 0]
    assert string_lengths(pd.Series([*values, 7], dtype=object)).tolist() == [3, -1, 2, 0, -1]


def test_as_objects_gives_none_for_every_missing_value() -> None:
    assert as_objects(pd.Series(["a", None], dtype="string[pyarrow]")).tolist() == ["a", None]
    assert as_objects(pd.Series(["a", np.nan, pd.NA], dtype=object)).tolist() == ["a", None, None]


def test_clipping_keys_join_by_record_with_gaps_and_repeated_records() -> None:
    clippings = pd.DataFrame({"_record": [2, 0, 5], "_path": ["c", "a", "f"]})
    files = pd.DataFrame(
        {
            "_record": [0, 2],
            "story_url": pd.Series(["u0", "u2"], dtype="string[pyarrow]"),
            "story_title": ["t0", None],
            "story_provider": ["p0", "p2"],
            "published_state": ["true", "false"],
        }
    )
    keys = clipping_keys({"clippings": clippings, "files": files}, extra=("published_state", "absent"))
    assert list(keys.columns) == ["_record", "_path", "story_url", "story_title", "story_provider", "published_state"]
    assert as_objects(keys["story_url"]).tolist() == ["u2", "u0", None]
    assert as_objects(keys["story_title"]).tolist() == [None, "t0", None]
    assert as_objects(keys["published_state"]).tolist() == ["false", "true", None]
    twice = pd.concat([files, files.iloc[[0]]], ignore_index=True)  # not a pipeline table: a real join
    joined = clipping_keys({"clippings": clippings, "files": twice})
    assert as_objects(joined["story_url"]).tolist() == ["u2", "u0", "u0", None]


def test_related_keys_from_the_workers_column_by_record_and_item() -> None:
    rel = pd.DataFrame(
        {
            "_record": [0, 0, 1, 1, 3, 2],
            "_field": pd.Series(
                ["related[1]", "related[0]", "related[0]", "related[5]", "related[0]", "other"], dtype="string[pyarrow]"
            ),
            "webUrl": ["x"] * 6,
        }
    )
    tuples = pd.DataFrame({"_record": [0, 1, 2], "related_url_keys": [("k0", "k1"), (None,), ("k2",)]})
    assert as_objects(related_keys(rel, tuples)).tolist() == ["k1", "k0", None, None, None, None]
    # values pyarrow cannot take (a number where a key belongs) are flattened by hand: no key
    odd = tuples.assign(related_url_keys=[("k0", 7), (None,), ["k2"]])
    assert as_objects(related_keys(rel, odd)).tolist() == [None, "k0", None, None, None, None]


def test_lookup_matches_strings_whatever_the_values_are() -> None:
    keys = pd.Series(["b", None, "a", "q"], dtype="string[pyarrow]")
    assert _lookup(keys, pd.Series(["a", "b"], dtype="string[pyarrow]")).tolist() == [1, -1, 0, -1]
    assert _lookup(keys, pd.Series(["a", 3, "b"], dtype=object)).tolist() == [2, -1, 0, -1]
    assert _lookup(keys.astype(object), pd.Series(["a", "b"], dtype=object)).tolist() == [1, -1, 0, -1]


def test_band_hashes_are_fnv_of_each_band() -> None:
    rng = np.random.default_rng(3)
    sig = rng.integers(0, 2**32, size=(7, 10), dtype=np.uint64).astype(np.uint32)
    bands, rows = 3, 3
    expected = np.empty((7, bands), dtype=np.uint64)
    for i in range(7):
        for b in range(bands):
            h = 0xCBF29CE484222325 ^ b
            for j in range(b * rows, (b + 1) * rows):
                h = ((h ^ int(sig[i, j])) * 0x100000001B3) % (1 << 64)
            expected[i, b] = h
    assert (band_hashes(sig, bands, rows) == expected).all()
