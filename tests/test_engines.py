"""The Dask engine finds exactly what the local engine finds; the generator is deterministic."""

from __future__ import annotations

import hashlib
import itertools
import shutil
from pathlib import Path
from typing import Any

import pytest

from bench.generate import GLITCHES, generate, plan
from qa.config import load_config
from qa.corpus import ReadOptions, discover
from qa.findings import Finding
from qa.pipeline import run, run_context
from qa.stage import StageSpec

pytest.importorskip("distributed")


def key(f: Finding) -> tuple[Any, ...]:
    return (f.rule, f.path, f.field, f.line, f.column, f.message, repr(f.evidence), f.span, f.related)


def digest(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(folder.iterdir()):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def test_generator_is_deterministic_and_glitches_every_kind(tmp_path: Path) -> None:
    a = generate(tmp_path / "a", 400, seed=7, glitch_rate=0.1)
    b = generate(tmp_path / "b", 400, seed=7, glitch_rate=0.1)
    generate(tmp_path / "c", 400, seed=8, glitch_rate=0.1)
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    assert digest(tmp_path / "a") != digest(tmp_path / "c")
    assert a.glitched == b.glitched
    assert set(a.glitched.values()) == set(GLITCHES)
    assert len(a.glitched) == 40
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert len(names) == 400
    body_only = sum(not (tmp_path / "a" / n).read_bytes().startswith(b"---") for n in names)
    assert body_only == a.body_only and 0.15 < body_only / 400 < 0.35
    for copy, original in a.duplicates.items():
        if a.glitched[copy] == "duplicate":
            assert (tmp_path / "a" / copy).read_bytes() == (tmp_path / "a" / original).read_bytes()
    assert len(plan(10_000)) == 200  # the default: 2 %


def test_generated_glitches_become_findings(tmp_path: Path) -> None:
    manifest = generate(tmp_path / "c", 300, seed=3, glitch_rate=0.2)
    result = run([str(tmp_path / "c")], load_config(None, {"jobs": 1}, None))
    by_path: dict[str, set[str]] = {}
    for f in result.findings:
        by_path.setdefault(f.path, set()).add(f.rule)
    expected = {"schema-type": "S102", "yaml-syntax": "P101", "duplicate-key": "P102", "invalid-utf8": "E101"}
    for name, kind in manifest.glitched.items():
        if kind in expected:
            assert expected[kind] in by_path.get(name, set()), (name, kind, by_path.get(name))


@pytest.mark.slow
def test_dask_engine_finds_what_the_local_engine_finds(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    generate(corpus, 600, seed=5, glitch_rate=0.1)
    config = load_config(None, {"jobs": 2}, None)
    local = run([str(corpus)], config)
    dask = run([str(corpus)], config, engine="dask")
    assert [key(f) for f in dask.findings] == [key(f) for f in local.findings]
    assert dask.records == local.records > 400
    for name in ("files", "clippings", "images", "related"):
        assert dask.tables[name].equals(local.tables[name]), name
    # Schema failures came from many partitions (600 files / 8 partitions), and every one is reported.
    schema_paths = sorted({f.path for f in dask.findings if f.check == "schema" and f.rule != "S110"})
    partitions = {int(p.split("_", 1)[0]) // 75 for p in schema_paths}
    assert len(partitions) >= 4, partitions


@pytest.mark.slow
def test_dask_engine_reads_fsspec_urls(tmp_path: Path) -> None:
    fsspec = pytest.importorskip("fsspec")
    from qa.engine.dask_engine import discover_urls, run_dask
    from qa.engine.local import run_local

    corpus = tmp_path / "corpus"
    generate(corpus, 120, seed=11, glitch_rate=0.15)
    memory = fsspec.filesystem("memory")
    root = f"/clipqa-test-{tmp_path.name}"
    for path in corpus.iterdir():
        memory.pipe(f"{root}/sub/{path.name}", path.read_bytes())
    memory.pipe(f"{root}/sub/ignored.json", b"{}")
    try:
        config = load_config(None, {"jobs": 2}, None)
        found = discover_urls([f"memory://{root}"], config.include, config.all_excludes())
        assert len(found.sources) == 120
        assert all(s.location.startswith("memory://") and s.path.startswith("sub/") for s in found.sources)
        spec = StageSpec(config, ReadOptions(config.max_file_size), run_context(config, [root]))
        # The memory file system lives in this process: run the workers as threads here.
        remote = run_dask(found.sources, spec, 2, processes=False, partition_size=25)
        assert len(remote) == 5
        local = run_local(discover([str(corpus)]).sources, spec, 1)
        remote_findings = sorted(
            (f.rule, f.path.removeprefix("sub/"), f.field, f.line, f.column, f.message)
            for r in remote
            for f in r.findings
        )
        local_findings = sorted(
            (f.rule, f.path, f.field, f.line, f.column, f.message) for r in local for f in r.findings
        )
        assert len(remote_findings) > 20
        assert remote_findings == local_findings
        assert sum(len(r.tables["clippings"]) for r in remote) == sum(len(r.tables["clippings"]) for r in local)
    finally:
        memory.rm(root, recursive=True)
    assert discover_urls([f"memory://{root}"], ["*.txt"], []).missing == [f"memory://{root}"]


def test_local_engine_chunking_does_not_change_findings(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    generate(corpus, 400, seed=9, glitch_rate=0.1)
    one = run([str(corpus)], load_config(None, {"jobs": 1}, None))
    two = run([str(corpus)], load_config(None, {"jobs": 2}, None))
    assert [key(f) for f in one.findings] == [key(f) for f in two.findings]
    assert len(discover([str(corpus)]).sources) == 400
    shutil.rmtree(corpus)


@pytest.mark.parametrize("files", [1, 49, 50, 299, 300, 1000, 2001, 10_000, 30_000, 100_000, 123_457])
@pytest.mark.parametrize("jobs", [1, 2, 3, 8])
def test_chunk_sizes_cover_every_file_once_and_shrink_at_the_end(files: int, jobs: int) -> None:
    from qa.engine.local import MAX_CHUNK, TAIL_CHUNK, chunk_sizes, chunks

    sizes = chunk_sizes(files, jobs)
    assert sum(sizes) == files and min(sizes) > 0 and max(sizes) <= MAX_CHUNK
    spans = [(start, len(part)) for _, start, part in chunks(list(range(files)), jobs)]  # type: ignore[arg-type]
    assert [n for _, n in spans] == sizes
    assert [s for s, _ in spans] == [sum(sizes[:i]) for i in range(len(sizes))]
    if jobs > 1 and files >= 10_000:
        # guided: a large run starts with full chunks and ends with small ones, so the workers
        # finish close together
        assert all(a >= b for a, b in itertools.pairwise(sizes[:-1]))
        assert max(sizes[-2 * jobs :]) <= max(TAIL_CHUNK, sizes[-2 * jobs]) * 1.5
        assert files < 40_000 or max(sizes[-2 * jobs :]) <= TAIL_CHUNK * 1.5
        assert len(sizes) <= 4 * jobs + 10 * jobs + files // MAX_CHUNK
