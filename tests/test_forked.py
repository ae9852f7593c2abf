"""qa.forked: work in a forked child, the same answer as in this process."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

import qa.forked
import qa.pipeline
import qa.report.html
from qa.config import load_config
from qa.forked import Forked
from qa.pipeline import run
from tests.test_incremental import canon, clip

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")


@pytest.fixture(autouse=True)
def fork_despite_stray_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Earlier tests may leave idle threads (servers, pools) in this process, which makes
    ``can_fork`` say no; these tests are about the fork, so they fork anyway."""
    monkeypatch.setattr(qa.forked, "can_fork", lambda: True)


def test_the_value_comes_from_the_child() -> None:
    here = os.getpid()
    assert Forked(lambda: (os.getpid(), [1, 2, 3])).result()[1] == [1, 2, 3]
    child_pid, _ = Forked(lambda: (os.getpid(), None)).result()
    assert child_pid != here
    assert Forked(os.getpid, parallel=False).result() == here


def test_a_failing_child_is_run_again_here_and_raises_here() -> None:
    calls: list[int] = []

    def boom() -> int:
        calls.append(os.getpid())  # seen here only when it runs here
        raise ValueError("bad")

    job = Forked(boom)
    with pytest.raises(ValueError, match="bad"):
        job.result()
    assert calls == [os.getpid()]


def test_a_child_that_dies_is_replaced_by_a_run_here() -> None:
    here = os.getpid()

    def die_in_child() -> int:
        if os.getpid() != here:
            os._exit(3)
        return 42

    assert Forked(die_in_child).result() == 42


def test_parallel_corpus_stage_gives_the_sequential_answer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "corpus"
    root.mkdir()
    for i in range(30):
        text = clip(i % 20)  # ten pairs of duplicates: corpus findings from every check
        if i % 6 == 0:  # one logo on five stories: I106
            text = text.replace(f'"https://example.org/{i % 20}.jpg"', '"https://cdn.example.org/logo.png"')
        (root / f"c{i:02d}.txt").write_text(text)
    cfg = load_config(None)
    monkeypatch.setattr(qa.pipeline, "FORK_FROM_FILES", 10**9)
    sequential = run([str(root)], cfg)
    monkeypatch.setattr(qa.pipeline, "FORK_FROM_FILES", 1)
    forks: list[int] = []
    original = qa.forked.os.fork

    def counting_fork() -> int:
        forks.append(1)
        return original()

    monkeypatch.setattr(qa.forked.os, "fork", counting_fork)
    parallel = run([str(root)], cfg)
    assert forks  # the corpus stage did fork
    assert canon(parallel)[0] == canon(sequential)[0]
    # findings of checks run in the child (image_url) and here (duplicate)
    assert {f.rule for f in parallel.findings} >= {"D101", "I106"}
    assert parallel.notices == sequential.notices


def test_reports_written_by_a_forked_child_equal_those_written_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from qa.cli import write_reports

    root = tmp_path / "corpus"
    root.mkdir()
    for i in range(12):
        (root / f"c{i:02d}.txt").write_text(clip(i % 8))
    result = run([str(root)], load_config(None))
    assert result.findings  # duplicates at least: something for the reports to show
    monkeypatch.setattr(qa.forked, "FORK_FROM_FILES", 10**9)
    write_reports(result, tmp_path / "here.json", tmp_path / "here.html", {})
    monkeypatch.setattr(qa.forked, "FORK_FROM_FILES", 1)
    writers: list[int] = []
    original = qa.report.html.write

    def noting_writer(*args: object, **kwargs: object) -> None:
        writers.append(os.getpid())
        original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(qa.report.html, "write", noting_writer)
    write_reports(result, tmp_path / "forked.json", tmp_path / "forked.html", {})
    assert writers == []  # the HTML was written by the child (its note stayed in the child)
    assert (tmp_path / "forked.html").read_bytes() == (tmp_path / "here.html").read_bytes()
    assert (tmp_path / "forked.json").read_bytes() == (tmp_path / "here.json").read_bytes()


def test_a_report_that_cannot_be_written_fails_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from qa.cli import write_reports

    root = tmp_path / "corpus"
    root.mkdir()
    (root / "a.txt").write_text(clip(0))
    result = run([str(root)], load_config(None))
    monkeypatch.setattr(qa.forked, "FORK_FROM_FILES", 1)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the report's folder should be")
    with pytest.raises(OSError):
        write_reports(result, tmp_path / "ok.json", blocker / "report.html", {})
    assert (tmp_path / "ok.json").exists()


def test_warm_pays_the_first_use_costs_in_this_process() -> None:
    from qa.checks import boilerplate
    from qa.corpus import ReadOptions
    from qa.pipeline import run_context
    from qa.stage import Stage, StageSpec

    cfg = load_config(None)
    stage = Stage(StageSpec(cfg, ReadOptions(cfg.max_file_size), run_context(cfg, ["."])))
    stage.schema.compiled.clear()
    boilerplate.compile_patterns.cache_clear()
    stage.warm()
    assert {"clippings", "images", "related"} <= set(stage.schema.compiled)  # pandera schemas compiled
    assert boilerplate.compile_patterns.cache_info().currsize == 1  # the check's own warm hook ran


def test_chunks_checked_in_children_are_warmed_once_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import qa.engine.local
    from qa.corpus import ReadOptions, discover
    from qa.engine.local import run_local
    from qa.pipeline import run_context
    from qa.stage import Stage, StageSpec

    root = tmp_path / "corpus"
    root.mkdir()
    for i in range(120):  # three chunks of 50 at least: three children
        (root / f"c{i:03d}.txt").write_text(clip(i))
    cfg = load_config(None)
    spec = StageSpec(cfg, ReadOptions(cfg.max_file_size), run_context(cfg, [str(root)]))
    sources = discover([str(root)]).sources
    warmed: list[int] = []
    original = Stage.warm

    def noting_warm(self: Stage) -> None:
        warmed.append(os.getpid())
        original(self)

    monkeypatch.setattr(Stage, "warm", noting_warm)
    monkeypatch.setattr(qa.engine.local, "ISOLATE", True)
    results = run_local(sources, spec, 1)
    assert len(results) >= 2
    assert warmed == [os.getpid()]  # here, once; the children inherited it
    monkeypatch.setattr(qa.engine.local, "ISOLATE", False)  # the same chunks in this process
    alone = run_local(sources, spec, 1)

    def found(rs: list[Any]) -> list[tuple[Any, ...]]:
        return sorted((f.rule, f.path, f.line, f.message) for r in rs for f in r.findings)

    assert found(results) == found(alone)


def _corpus(root: Path, n: int, others: int = 0) -> None:
    root.mkdir()
    for i in range(n):
        (root / f"c{i:03d}.txt").write_text(clip(i % 20))
    for i in range(others):  # entries discovery does not take
        (root / f"other{i:03d}.json").write_text("{}")


def _spy_workers(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    import qa.engine.local

    made: list[Any] = []

    class Spied(qa.engine.local.Workers):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(qa.engine.local, "Workers", Spied)
    return made


def test_workers_started_before_discovery_check_the_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run that looks large starts its pool before discovery; the pool checks the files and the
    findings are those of a run without it."""
    import multiprocessing

    import qa.engine.local

    _corpus(tmp_path / "c", 30)
    cfg = load_config(None, {"jobs": 2})
    alone = run([str(tmp_path / "c")], cfg)  # 30 files: in a child, no pool
    monkeypatch.setattr(qa.engine.local, "IN_PROCESS_BELOW", 10)
    made = _spy_workers(monkeypatch)
    pooled = run([str(tmp_path / "c")], cfg)
    assert len(made) == 1 and made[0].pool is None  # started before discovery, taken over by the run
    assert canon(pooled)[0] == canon(alone)[0]
    assert pooled.findings and len(pooled.tables["files"]) == 30
    assert not multiprocessing.active_children()  # the workers are gone


def test_workers_started_for_nothing_are_stopped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The folder looked large (many entries), but few are clippings: no pool; the early one is stopped."""
    import multiprocessing

    import qa.engine.local

    _corpus(tmp_path / "c", 6, others=30)
    cfg = load_config(None, {"jobs": 2})
    alone = run([str(tmp_path / "c")], cfg)
    monkeypatch.setattr(qa.engine.local, "IN_PROCESS_BELOW", 10)
    made = _spy_workers(monkeypatch)
    result = run([str(tmp_path / "c")], cfg)
    assert len(made) == 1 and made[0].pool is None
    assert canon(result)[0] == canon(alone)[0]
    assert not multiprocessing.active_children()


def test_no_early_workers_with_the_result_cache_or_one_job(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import qa.engine.local
    from qa.pipeline import start_workers

    _corpus(tmp_path / "c", 12)
    monkeypatch.setattr(qa.engine.local, "IN_PROCESS_BELOW", 10)
    paths = [str(tmp_path / "c")]
    cache = str(tmp_path / "cache")
    assert start_workers(paths, load_config(None, {"jobs": 2}), cache_dir=cache, engine="local") is None
    assert start_workers(paths, load_config(None, {"jobs": 1}), cache_dir=None, engine="local") is None
    assert start_workers(paths, load_config(None, {"jobs": 2}), cache_dir=None, engine="dask") is None
    monkeypatch.setattr(qa.engine.local, "IN_PROCESS_BELOW", 13)  # 12 entries: too few
    assert start_workers(paths, load_config(None, {"jobs": 2}), cache_dir=None, engine="local") is None
    monkeypatch.setattr(qa.engine.local, "IN_PROCESS_BELOW", 12)
    workers = start_workers(paths, load_config(None, {"jobs": 2}), cache_dir=None, engine="local")
    assert workers is not None and workers.pool is not None
    workers.close()
    assert workers.pool is None


def test_cli_starts_the_workers_before_discovery(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``clipqa check --no-cache`` on a large folder: the pool exists before the files are
    discovered, the run takes it over, and the exit code and findings are as without it."""
    import json

    from click.testing import CliRunner

    import qa.corpus
    import qa.engine.local
    from qa.cli import main

    _corpus(tmp_path / "c", 30)
    args = ["check", str(tmp_path / "c"), "--isolated", "--no-cache", "-q", "--no-progress", "--jobs", "2"]
    plain = CliRunner().invoke(main, [*args, "--json", str(tmp_path / "a.json"), "--html", str(tmp_path / "a.html")])
    monkeypatch.setattr(qa.engine.local, "IN_PROCESS_BELOW", 10)
    made = _spy_workers(monkeypatch)
    seen: list[int] = []
    real = qa.corpus.discover

    def spying(*a: Any, **k: Any) -> Any:
        seen.append(len(made))  # workers already started when the files are discovered
        return real(*a, **k)

    monkeypatch.setattr(qa.corpus, "discover", spying)
    early = CliRunner().invoke(main, [*args, "--json", str(tmp_path / "b.json"), "--html", str(tmp_path / "b.html")])
    assert (early.exit_code, plain.exit_code) == (1, 1), early.output
    assert seen and seen[0] == 1 and made[0].pool is None
    keys = [[(f["rule"], f["path"], f["line"], f["message"]) for f in json.loads(p.read_text())["findings"]] for p in
            (tmp_path / "a.json", tmp_path / "b.json")]  # fmt: skip
    assert keys[0] == keys[1] and keys[0]


def test_early_workers_that_died_are_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The early pool's workers die before the files are known (here: their initializer fails,
    as a crash or an out-of-memory kill would end them): the run goes on with the same findings."""
    import multiprocessing

    import qa.engine.local

    _corpus(tmp_path / "c", 30)
    cfg = load_config(None, {"jobs": 2})
    alone = run([str(tmp_path / "c")], cfg)
    monkeypatch.setattr(qa.engine.local, "IN_PROCESS_BELOW", 10)
    real_init = qa.engine.local._init_worker

    def dies_when_early(spec: Any, warm: bool = False) -> None:
        if warm:  # only the early pool warms in its initializer
            os._exit(3)
        real_init(spec, warm)

    monkeypatch.setattr(qa.engine.local, "_init_worker", dies_when_early)
    made = _spy_workers(monkeypatch)
    workers = qa.pipeline.start_workers([str(tmp_path / "c")], cfg, cache_dir=None, engine="local")
    assert workers is not None and made == [workers]
    assert workers.pool is not None
    from concurrent.futures.process import BrokenProcessPool

    with pytest.raises(BrokenProcessPool):  # the pool is broken once its workers are gone
        workers.pool.submit(os.getpid).result(timeout=30)
    result = run([str(tmp_path / "c")], cfg, workers=workers)
    assert canon(result)[0] == canon(alone)[0]
    assert not any(f.rule in ("P131", "P900") for f in result.findings)
    assert not multiprocessing.active_children()
