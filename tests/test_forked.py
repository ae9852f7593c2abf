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
    from qa.checks import boilerplate, encoding, language
    from qa.corpus import ReadOptions
    from qa.pipeline import run_context
    from qa.stage import Stage, StageSpec

    cfg = load_config(None)
    stage = Stage(StageSpec(cfg, ReadOptions(cfg.max_file_size), run_context(cfg, ["."])))
    stage.schema.compiled.clear()
    boilerplate.compile_patterns.cache_clear()
    encoding._rgi_zwj.cache_clear()
    encoding._emoji_element.cache_clear()
    language.IDENTIFIER._detector = None
    stage.warm()
    assert {"clippings", "images", "related"} <= set(stage.schema.compiled)  # pandera schemas compiled
    assert boilerplate.compile_patterns.cache_info().currsize == 1  # the checks' own warm hooks ran
    assert encoding._rgi_zwj.cache_info().currsize == 1 and encoding._emoji_element.cache_info().currsize == 1
    assert language.IDENTIFIER._detector is not None


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


def test_a_pool_of_workers_is_warmed_once_here_before_the_fork(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run with a pool pays the first-use costs once, in this process, before it forks the
    workers: they compile no boilerplate expression of their own for usual lines (a worker that
    warmed itself, as clipqa's early pool did, paid ~0.7 s of CPU again), and the findings are
    those of a run without a pool."""
    import multiprocessing

    import qa.engine.local
    from qa.checks import boilerplate
    from qa.stage import Stage

    root = tmp_path / "c"
    root.mkdir()
    for i in range(30):
        (root / f"c{i:03d}.txt").write_text(clip(i % 20))
    cfg = load_config(None, {"jobs": 2})
    alone = run([str(root)], cfg)  # 30 files: in a child, no pool
    boilerplate.compile_patterns.cache_clear()  # nothing inherited from earlier tests
    log = tmp_path / "log"
    warm, alternation = Stage.warm, boilerplate._alternation

    def noting_warm(self: Stage) -> None:
        with log.open("a") as fh:
            fh.write(f"warm {os.getpid()}\n")
        warm(self)

    def noting_alternation(*args: Any, **kwargs: Any) -> Any:
        with log.open("a") as fh:
            fh.write(f"compile {os.getpid()}\n")
        return alternation(*args, **kwargs)

    monkeypatch.setattr(Stage, "warm", noting_warm)
    monkeypatch.setattr(boilerplate, "_alternation", noting_alternation)
    monkeypatch.setattr(qa.engine.local, "IN_PROCESS_BELOW", 10)
    pooled = run([str(root)], cfg)
    events = [line.split() for line in log.read_text().splitlines()]
    here = str(os.getpid())
    assert [pid for what, pid in events if what == "warm"] == [here]  # once, here
    assert {pid for what, pid in events if what == "compile"} == {here}  # the workers inherited them
    assert canon(pooled)[0] == canon(alone)[0]
    assert pooled.findings and len(pooled.tables["files"]) == 30
    assert not multiprocessing.active_children()  # the workers are gone
