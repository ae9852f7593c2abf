"""The corpus index (qa/index.py): the batch's findings with the index equal those of a full run.

The differential tests draw small corpora and batches (tests/index_worlds.py) covering every
corpus-level relation, build the index, change the corpus behind its back, and compare
``qa.index.gate_batch`` with what ``clipqa import`` collects from a full pipeline run over
corpus and batch with no cache (every finding whose path or related names a batch file).
"""

from __future__ import annotations

import dataclasses
import json
import math
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa import index
from qa.checks import Check, CorpusKeys, all_checks
from qa.config import Config
from qa.corpus import Discovery, Source, discover
from qa.findings import Finding
from qa.pipeline import run
from tests.index_worlds import EDITS, KINDS, Edit, Spec, age, apply_edits, edits, specs, world_config, write_world
from tests.stories import story


def full_run(corpus: Path, batch: list[Source], cfg: Config, prefix: str = "corpus") -> list[dict[str, Any]]:
    """What gate.plan collects today: a full run over corpus and batch, no cache."""
    existing = discover([corpus], cfg.include, cfg.all_excludes())
    sources = sorted([*(Source(f"{prefix}/{s.path}", s.location) for s in existing.sources), *batch],
                     key=lambda s: s.path)  # fmt: skip
    result = run([str(corpus)], cfg, discovery=Discovery(sources, [], []))
    names = {s.path for s in batch}
    return [f.to_dict() for f in result.findings if f.path in names or not names.isdisjoint(f.related)]


def batch_of(folder: Path, cfg: Config) -> list[Source]:
    return [
        Source(f"incoming/{s.path}", s.location) for s in discover([folder], cfg.include, cfg.all_excludes()).sources
    ]


def dicts(findings: list[Finding]) -> list[dict[str, Any]]:
    return [f.to_dict() for f in findings]


def explain(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> str:
    sa = {json.dumps(x, sort_keys=True) for x in a}
    sb = {json.dumps(x, sort_keys=True) for x in b}
    return "\n".join([*(f"only with the index: {x}" for x in sorted(sa - sb)),
                      *(f"only in the full run: {x}" for x in sorted(sb - sa))])  # fmt: skip


@pytest.fixture(scope="module")
def cfg() -> Config:
    return world_config()


@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(corpus_specs=specs(3, 14, 0), batch_specs=specs(1, 5, 1000), changes=edits(5000), aged=st.booleans())
def test_batch_findings_equal_a_full_run(
    cfg: Config, corpus_specs: Any, batch_specs: Any, changes: Any, aged: bool
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        corpus, incoming = root / "corpus", root / "incoming"
        made = write_world(corpus, corpus_specs)
        write_world(incoming, batch_specs, previous=made)
        if aged:  # stats the index trusts: a scan lists only the folders that changed
            age(corpus)
        index.build(corpus, cfg, root / "idx.sqlite")
        apply_edits(corpus, made, changes)  # behind the index's back
        batch = batch_of(incoming, cfg)
        got = dicts(index.gate_batch(batch, corpus, cfg, root / "idx.sqlite").findings)
        want = full_run(corpus, batch, cfg)
        assert got == want, explain(got, want)
        # and again, with the index brought up to date by the first gate: nothing changes
        again = index.gate_batch(batch, corpus, cfg, root / "idx.sqlite")
        assert dicts(again.findings) == want
        assert again.refreshed == 0 and again.mode == "index"


@settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(corpus_specs=specs(4, 12, 0), changed=st.lists(st.integers(0, 100), min_size=1, max_size=3), changes=edits(5000))
def test_changed_files_of_the_corpus_equal_a_full_run(
    cfg: Config, corpus_specs: Any, changed: list[int], changes: Any
) -> None:
    """check --changed-since with the index: the changed files are corpus files; their findings
    (and the corpus findings that name them) are those of a full run over the corpus."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        corpus = root / "corpus"
        made = write_world(corpus, corpus_specs)
        index.build(corpus, cfg, root / "idx.sqlite")
        apply_edits(corpus, made, changes)
        found = discover([corpus], cfg.include, cfg.all_excludes())
        only = {found.sources[i % len(found.sources)].path for i in changed} if found.sources else set()
        result = index.check_changed(str(corpus), found, only, cfg, root / "idx.sqlite")
        full = run([str(corpus)], cfg, discovery=found, only=only)
        assert dicts(result.findings) == dicts(full.findings), explain(dicts(result.findings), dicts(full.findings))
        assert result.files == full.files and result.records == full.records


@pytest.mark.parametrize("kind", KINDS)
def test_each_relation_of_a_batch_file_to_the_corpus(cfg: Config, tmp_path: Path, kind: str) -> None:
    """Every kind of batch file against a corpus holding every kind (related items pointing
    at the batch among them), with edits behind the index's back: the findings of a full run."""
    corpus_specs = [
        Spec(k, i, i + 3, pub, i % 2 == 0, i % 3 != 0, i == 9)
        for i, (k, pub) in enumerate(zip(KINDS * 2, [True, True, False, "yes", True] * 5, strict=False))
    ]
    batch_specs = [Spec(kind, 1000 + j, j * 4 + 1, True, True, j == 0, False) for j in range(2)]
    made = write_world(tmp_path / "corpus", corpus_specs)
    write_world(tmp_path / "incoming", batch_specs, previous=made)
    age(tmp_path / "corpus")
    index.build(tmp_path / "corpus", cfg, tmp_path / "idx.sqlite")
    apply_edits(tmp_path / "corpus", made, [Edit(e, 7 * n, Spec("story", 50 + n, n, True, True, True, False))
                                            for n, e in enumerate(EDITS)])  # fmt: skip
    batch = batch_of(tmp_path / "incoming", cfg)
    got = index.gate_batch(batch, tmp_path / "corpus", cfg, tmp_path / "idx.sqlite")
    want = full_run(tmp_path / "corpus", batch, cfg)
    assert dicts(got.findings) == want, explain(dicts(got.findings), want)
    assert got.refreshed > 0  # the edits were found


def test_the_worlds_reach_every_corpus_rule(cfg: Config, tmp_path: Path) -> None:
    """The relation tests above are only as good as the relations they make: together, the
    batch files of every kind get every corpus-level rule of the five checks."""
    corpus_specs = [Spec(k, i, i + 3, True, True, i % 3 != 0, i == 9) for i, k in enumerate(KINDS * 2)]
    # each batch file relates to the corpus's first file (a story with a body); the story is off-pattern
    batch_specs = [Spec(k, 1000 + j, 0, True, True, False, k == "story") for j, k in enumerate(KINDS)]
    made = write_world(tmp_path / "corpus", corpus_specs)
    write_world(tmp_path / "incoming", batch_specs, previous=made)
    rules = {f["rule"] for f in full_run(tmp_path / "corpus", batch_of(tmp_path / "incoming", cfg), cfg)}
    assert rules >= {"D101", "D102", "D103", "D104", "D105", "F108", "C101", "C102", "C103", "I106", "B201"}


def test_every_check_with_a_corpus_hook_declares_its_join_keys() -> None:
    """A new corpus check without ``corpus_keys`` makes the index step aside (full runs): the
    checks shipped today all declare them."""
    assert index.unserved() == []
    served = {"duplicate", "published", "consistency", "image_url", "boilerplate"}
    assert {c.name for c in index.corpus_checks()} >= served


def test_keys_of_a_file_depend_on_its_own_rows_only(cfg: Config, tmp_path: Path) -> None:
    """The index computes each file's keys once, in whatever chunk it was checked with: a
    check's keys over a corpus are the union of its keys over each file alone."""
    kinds = ["story", "copy", "url-variant", "syndicated", "same-title", "near-dup", "related", "placeholder"]
    world = [Spec(k, i, i - 1, True, True, i % 2 == 0, i % 5 == 0) for i, k in enumerate(kinds * 2)]
    write_world(tmp_path / "c", world)
    spec = index.stage_spec(cfg, [str(tmp_path / "c")])
    sources = discover([tmp_path / "c"]).sources
    together, _ = index.check_files(sources, cfg, spec)
    alone = [index.check_files([s], cfg, spec)[0][0] for s in sources]
    assert [(r.key_header, r.key_blob) for r in together] == [(r.key_header, r.key_blob) for r in alone]
    assert [r.totals for r in together] == [r.totals for r in alone]
    assert any(len(r.keys_by_check().get("duplicate", [])) > 3 for r in together)  # bands, URL, title, id, hash


@settings(max_examples=40, deadline=None)
@given(files=st.lists(st.lists(st.integers(-(2**63), 2**63 - 1) | st.sampled_from([0, 7, -1]), max_size=6),
                      min_size=1, max_size=12), cut=st.integers(0, 12), full=st.integers(1, 8))  # fmt: skip
def test_a_builds_key_rows_are_every_files_keys_once(files: list[list[int]], cut: int, full: int) -> None:
    """A build's key rows wait in buckets by their hashes' top bits and are written sorted
    when a bucket is full (qa.indexstore): the keys table holds each (hash, file) of every
    file once, however the files came in batches and whenever buckets were written, and
    find() answers from it."""
    import numpy as np

    from qa.indexstore import SqliteStore

    with tempfile.TemporaryDirectory() as folder:
        store = SqliteStore(Path(folder) / "idx.sqlite", bulk=True)
        try:
            with store.writing() as writer:
                writer.key_bucket_full = full  # rows a bucket holds before it is written (50,000 in a build)
                for batch, part in enumerate((files[:cut], files[cut:])):
                    if not part:
                        continue
                    blobs = [np.array(keys, dtype="<i8").tobytes() for keys in part]
                    n = len(part)
                    writer.put_many([f"b{batch}-{i}.txt" for i in range(n)], [None] * n, [None] * n,
                                    [True] * n, [f"duplicate={len(k)}" if k else "" for k in part], [{}] * n,
                                    [None] * n, [None] * n, [b"[]"] * n, blobs)  # fmt: skip
                    writer._insert_pending()  # the batch written, as every 2,000 files
            rows = sorted(store.db.execute("SELECT k, file FROM keys"))
            ids = [i for (i,) in store.db.execute("SELECT id FROM files ORDER BY id")]
            assert rows == sorted({(k, i) for i, keys in zip(ids, files, strict=True) for k in keys})
            for keys in files:
                assert store.find(keys) == {i for i, other in zip(ids, files, strict=True) if set(keys) & set(other)}
        finally:
            store.close()


_KEYS = st.one_of(st.text(max_size=8), st.integers(-(2**63), 2**63 - 1))


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(st.tuples(st.sampled_from(["url", "band", "title"]), _KEYS), min_size=1, max_size=12))
def test_a_key_hashes_alike_in_any_company(rows: list[tuple[str, str | int]]) -> None:
    """A key's hash is a function of (check, kind, key) alone: the same alone, among other
    kinds, as text or as a number in an object column, or in an integer column (key_rows
    keeps numbers, such as LSH buckets, as they are). A batch file's probes and a corpus
    file's keys, hashed in different chunks, must meet."""
    import numpy as np
    import pandas as pd

    from qa.crossrec import all_keys, key_rows

    def frame(part: list[tuple[str, str | int]]) -> pd.DataFrame:
        return pd.DataFrame({"_record": np.arange(len(part), dtype=np.int64), "kind": [k for k, _ in part],
                             "key": pd.Series([v for _, v in part], dtype=object)})  # fmt: skip

    together = index._key_hashes("duplicate", frame(rows)).tolist()
    assert together == [index._key_hashes("duplicate", frame([row]))[0] for row in rows]
    numbers = [(k, v) for k, v in rows if isinstance(v, int)]
    if numbers:  # an integer column: key_rows' numeric keys
        column = key_rows(pd.Series(range(len(numbers))), "band", np.array([v for _, v in numbers], dtype=np.int64))
        assert column["key"].dtype == np.int64
        mixed = all_keys([key_rows(pd.Series([0]), "band", ["text"]), column])
        assert index._key_hashes("duplicate", column).tolist() == index._key_hashes("duplicate", mixed).tolist()[1:]
        assert index._key_hashes("duplicate", column).tolist() == [
            index._key_hashes("duplicate", frame([("band", v)]))[0] for _, v in numbers
        ]
    # the check and the kind are part of the key; a number and its digits are different keys
    assert index._key_hashes("published", frame(rows[:1]))[0] != together[0]
    kind, key = rows[0]
    other = "title" if kind != "title" else "url"
    assert index._key_hashes("duplicate", frame([(other, key)]))[0] != together[0]
    if isinstance(key, int):
        assert index._key_hashes("duplicate", frame([(kind, str(key))]))[0] != together[0]


@pytest.mark.parametrize("unfinished", ["P130", "P131", None])
def test_a_file_not_checked_to_the_end_keeps_no_hash(unfinished: str | None) -> None:
    """A file over the time budget (P130) or whose process died (P131) is not complete: no
    hash is kept (nor, in check_files, its stat), so the next scan derives it again."""
    from qa.budget import P130
    from qa.rules import P131

    rules = {"P130": P130, "P131": P131}
    findings = [] if unfinished is None else [rules[unfinished].finding("a.md", "unfinished")]
    tagged: dict[str, list[Any]] = {"files": [["ab" * 32, True]]}
    got = index._file_result("a.md", None, tagged, ["sha256", "usable"], findings)
    assert got.complete is (unfinished is None)
    assert got.sha256 == (None if unfinished else "ab" * 32)
    assert got.usable


def test_a_corpus_check_without_join_keys_gets_a_full_run(
    cfg: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = write_world(tmp_path / "corpus", [Spec("story", i, 0, True, False, True, False) for i in range(3)])
    write_world(tmp_path / "incoming", [Spec("copy", 1000, 1, True, False, True, False)], previous=made)
    checks = dict(all_checks())
    dup = checks["duplicate"]
    monkeypatch.setitem(checks, "duplicate", Check(dup.name, dup.rules, corpus=dup.corpus, columns=dup.columns,
                                                   column_names=dup.column_names, options=dup.options))  # fmt: skip
    monkeypatch.setattr("qa.index.all_checks", lambda: checks)
    monkeypatch.setattr("qa.pipeline.all_checks", lambda: checks)
    batch = batch_of(tmp_path / "incoming", cfg)
    result = index.gate_batch(batch, tmp_path / "corpus", cfg, tmp_path / "idx.sqlite")
    assert result.mode == "full" and "duplicate" in result.reason
    assert not (tmp_path / "idx.sqlite").exists()
    assert dicts(result.findings) == full_run(tmp_path / "corpus", batch, cfg)
    assert "D103" in {f.rule for f in result.findings}


def test_transitive_keys_take_no_probes() -> None:
    with pytest.raises(ValueError, match="transitive"):
        CorpusKeys(lambda t, c: None, probes=lambda t, c: None)  # type: ignore[arg-type,return-value]


def test_a_scan_lists_only_the_folders_that_changed(
    cfg: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the index knows the corpus's folders, a scan does not walk the corpus: it lists
    the folders whose own stat changed (files added, removed, renamed) and stats the files
    of the others (a file's content changed in place)."""
    corpus = tmp_path / "corpus"
    write_world(corpus, [Spec("story", i, 0, True, True, True, False) for i in range(16)])  # part0/, part1/, top
    age(corpus)
    idx = tmp_path / "idx.sqlite"
    index.build(corpus, cfg, idx)
    part1 = sorted((corpus / "part1").iterdir())
    part1[0].write_bytes(part1[0].read_bytes() + b"\nmore\n")  # content changed; part1 itself did not
    (corpus / "part0" / "added.txt").write_text(story(900))
    (corpus / "fresh" / "deep").mkdir(parents=True)
    (corpus / "fresh" / "deep" / "x.txt").write_text(story(901))

    def no_walk(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the whole corpus was walked")

    monkeypatch.setattr("qa.index.discover", no_walk)
    store = index.open_store(idx, readonly=True)
    found = index.scan(store, corpus, cfg)
    store.close()
    assert set(found.folders) == {"", "part0", "fresh", "fresh/deep"}  # the root: "fresh" was made in it
    assert {s.path for s in found.added} == {"part0/added.txt", "fresh/deep/x.txt"}
    assert [s.path for s in found.changed] == [f"part1/{part1[0].name}"]
    monkeypatch.undo()
    index.refresh(corpus, cfg, idx)
    assert index.verify(corpus, cfg, idx).ok


def test_the_update_after_files_are_moved_in(cfg: Config, tmp_path: Path) -> None:
    """What the import calls after its moves: ``refresh(names=...)`` indexes exactly those
    files (without walking the corpus); the next batch is gated against them."""
    corpus, incoming = tmp_path / "corpus", tmp_path / "incoming"
    made = write_world(corpus, [Spec("story", i, 0, True, True, True, False) for i in range(8)])
    idx = tmp_path / "idx.sqlite"
    index.build(corpus, cfg, idx)
    moved = write_world(incoming, [Spec("story", 1000 + j, 0, True, True, True, j == 1) for j in range(3)], made)
    for name, _, _ in moved:
        (incoming / name).rename(corpus / name)
    stats = index.refresh(corpus, cfg, idx, names=[name for name, _, _ in moved] + ["never-there.txt"])
    assert (stats.reindexed, stats.removed) == (3, 0)
    assert index.verify(corpus, cfg, idx).ok
    again = tmp_path / "again"
    write_world(again, [Spec("copy", 2000, 8, True, True, True, False)], made + moved)  # a copy of a moved file
    batch = [Source(f"incoming/{s.path}", s.location) for s in discover([again]).sources]
    result = index.gate_batch(batch, corpus, cfg, idx)
    assert dicts(result.findings) == full_run(corpus, batch, cfg)
    assert any(f.rule == "D103" for f in result.findings) and result.refreshed == 0


def test_a_file_whose_keys_cannot_be_derived_makes_the_index_step_aside(
    cfg: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A check's key function that fails on a file (a bug, a value nobody foresaw): the file
    is recorded as unkeyed, and while it is in the corpus the gate answers with a full run."""
    corpus, incoming = tmp_path / "corpus", tmp_path / "incoming"
    made = write_world(corpus, [Spec("story", i, 0, True, True, True, False) for i in range(6)])
    write_world(incoming, [Spec("copy", 1000, 2, True, True, True, False)], made)
    image = all_checks()["image_url"]
    assert image.corpus_keys is not None
    keys = image.corpus_keys.keys

    def fragile(tables: Any, ctx: Any) -> Any:
        images = tables.get("images")
        if images is not None and images["_path"].astype(str).str.contains("002_").any():
            raise RuntimeError("cannot read this one")
        return keys(tables, ctx)

    # in the registry every stage (and every forked child) reads
    monkeypatch.setitem(
        all_checks(), "image_url", dataclasses.replace(image, corpus_keys=CorpusKeys(fragile, transitive=False))
    )
    idx = tmp_path / "idx.sqlite"
    index.build(corpus, cfg, idx)
    batch = batch_of(incoming, cfg)
    result = index.gate_batch(batch, corpus, cfg, idx)
    assert result.mode == "full" and "002_" in result.reason and "cannot read this one" in result.reason
    assert dicts(result.findings) == full_run(corpus, batch, cfg)


def _same(a: Any, b: Any) -> bool:
    """Equal, with NaN equal to NaN and the types kept apart (1 is not 1.0 or True)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return len(a) == len(b) and all(k in b and _same(v, b[k]) for k, v in a.items())
    return bool(a == b)


_SCALARS = (
    st.none() | st.booleans() | st.integers() | st.integers(-(2**70), 2**70) | st.floats()
    | st.text(st.characters(codec=None, exclude_categories=()), max_size=6)  # lone surrogates too
    | st.binary(max_size=6) | st.datetimes() | st.dates()
)  # fmt: skip
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.lists(inner, max_size=3).map(tuple)
    | st.dictionaries(st.text(max_size=3) | st.integers(), inner, max_size=3)
    | st.frozensets(st.integers() | st.text(max_size=3), max_size=3),
    max_leaves=8,
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(st.tuples(_VALUES, _VALUES), max_size=4), deep=st.integers(0, 300))
def test_a_files_facts_read_back_alike_by_either_writer(rows: list[tuple[Any, Any]], deep: int) -> None:
    """The facts are written by orjson (``_dump_tagged``), which declines what it cannot write
    exactly (integers beyond 64 bits, lone surrogates, deep nesting) to the json module's
    ``_dump``. Both read back as the same document, and the values as the stage made them
    (NaN and infinities too: tagged, as orjson would write them as null)."""
    nested: Any = 1
    for _ in range(deep):  # deeper than orjson's 254 levels: the plain writer takes it
        nested = [nested]
    doc = {"t": [[index._tag_or_mark(v) for v in row] for row in rows], "deep": [[index._tag_or_mark(nested)]]}
    fast, plain = index._dump_tagged(doc), index._dump(doc)
    assert _same(index._load(fast), index._load(plain))
    back = index.decode_rows(fast)
    for row, read in zip(rows, back["t"], strict=True):
        for value, got in zip(row, read, strict=True):
            if not isinstance(value, list | dict | frozenset):  # lists, dicts, sets: compared by their tags above
                assert _same(got, value)


_NAMES = st.text(st.characters(codec=None, exclude_categories=()), max_size=5)  # lone surrogates too


@settings(max_examples=300, deadline=None)
@given(totals=st.dictionaries(_NAMES, st.dictionaries(_NAMES, st.booleans() | st.integers(), max_size=4), max_size=4))
def test_a_files_totals_read_back_alike_by_either_writer(totals: dict[str, dict[str, int | bool]]) -> None:
    """A file's totals are written by orjson (``_encode_totals``), which declines integers
    beyond 64 bits and lone surrogates to the json module: both read back as the totals,
    a flag still a bool and a count still an int."""
    from qa.indexstore import _encode_totals, _encode_totals_plain

    fast, plain = json.loads(_encode_totals(totals)), json.loads(_encode_totals_plain(totals))
    assert _same(fast, totals) and _same(plain, totals)


def test_float_columns_with_nan_or_infinity_are_tagged_not_nulled() -> None:
    """A float column holding NaN or an infinity is not passed to orjson as it is (it writes
    them as null): its rows read back as the stage made them, NA as None."""
    import numpy as np
    import pandas as pd

    frame = pd.DataFrame({
        "_record": [0, 0, 1], "_path": ["a", "a", "b"],
        "x": [1.5, np.nan, -np.inf], "y": pd.array([1.0, None, 2.0], dtype="Float64"), "z": [1e16, -0.0, 5e-324],
    })  # fmt: skip
    raw, tagged, _ = index.split_tables({"t": frame}, 0, 2)
    assert not index._plain(frame["x"]) and index._plain(frame["y"]) and index._plain(frame["z"])
    for made, ready in zip(raw, tagged, strict=True):
        facts = index._dump_tagged(ready)
        json.loads(facts, parse_constant=lambda token: pytest.fail(f"not strict JSON: {token}"))
        assert _same(index.decode_rows(facts)["t"], made["t"])


def test_values_of_a_type_the_index_cannot_encode_are_derived_again(cfg: Config, tmp_path: Path) -> None:
    """A value no tag covers keeps the file's rows out of the index; the gate derives them again."""
    assert index._tag(complex(1, 2)) == {"$": "unknown", "v": "complex"}
    assert index._tag({3, 1, 2}) == index._tag({2, 3, 1})  # sets in a fixed order
    corpus, incoming = tmp_path / "corpus", tmp_path / "incoming"
    made = write_world(corpus, [Spec("story", i, 0, True, True, True, False) for i in range(4)])
    write_world(incoming, [Spec("copy", 1000, 1, True, True, True, False)], made)
    idx = tmp_path / "idx.sqlite"
    index.build(corpus, cfg, idx)
    with sqlite3.connect(idx) as db:  # as if a file's rows had held such a value
        db.execute("UPDATE contents SET facts = NULL")
    batch = batch_of(incoming, cfg)
    result = index.gate_batch(batch, corpus, cfg, idx)
    assert result.mode == "index" and dicts(result.findings) == full_run(corpus, batch, cfg)
    assert any(f.rule == "D103" for f in result.findings)
