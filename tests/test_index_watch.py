"""The change feed of the corpus index (``clipqa index watch``, qa/watch.py): a real watcher
process on real inotify; out-of-band edits of the corpus; the gate's findings against a full
run; the watcher killed, stopped, flooded past the kernel's queue, doubled, its corpus removed."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from qa import index, watch
from qa.config import Config
from tests.index_worlds import EDITS, Edit, Spec, apply_edits, edits, specs, world_config, write_world
from tests.test_index import batch_of, dicts, explain, full_run

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify is Linux's")
WORLD_TOML = """\
[image_url]
shared-threshold = 3
[boilerplate]
repeat_min_files = 2
repeat_min_share = 0.05
"""


class Watcher:
    """``clipqa index watch CORPUS --index IDX`` in its own process."""

    def __init__(self, corpus: Path, idx: Path, *options: str, toml: str = "") -> None:
        self.corpus, self.idx = corpus, idx
        config = idx.with_name("world-clipqa.toml")  # world_config's options
        config.write_text(toml + WORLD_TOML, encoding="utf-8")
        command = ["index", "watch", str(corpus), "--index", str(idx), "--config", str(config), *options]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "qa", *command],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stderr is not None
        line = self.proc.stderr.readline()  # "Watching N folder(s) ...": every watch in place
        assert line.startswith("Watching"), line + self.proc.stderr.read()

    def stop(self) -> tuple[int, str]:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        _out, err = self.proc.communicate(timeout=30)
        return self.proc.returncode, err


@pytest.fixture(scope="module")
def cfg() -> Config:
    cfg = world_config()
    assert cfg.checks["image_url"]["shared-threshold"] == 3 and cfg.checks["boilerplate"]["repeat_min_files"] == 2
    return cfg


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Path, Path, Path]]:
    """(corpus, incoming, index) with a watcher on the corpus, stopped at the end."""
    corpus, incoming, idx = tmp_path / "corpus", tmp_path / "incoming", tmp_path / "idx.sqlite"
    corpus.mkdir()
    incoming.mkdir()
    w = Watcher(corpus, idx)
    try:
        yield corpus, incoming, idx
    finally:
        code, err = w.stop()
        assert code == 0 and "Stopped watching" in err, err


def _clear(folder: Path) -> None:
    for entry in folder.iterdir():
        if entry.is_dir():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def _gate(corpus: Path, incoming: Path, idx: Path, cfg: Config) -> tuple[index.BatchResult, list[dict[str, Any]]]:
    batch = batch_of(incoming, cfg)
    got = index.gate_batch(batch, corpus, cfg, idx)
    return got, full_run(corpus, batch, cfg)


def _feed_state(idx: Path) -> dict[str, str]:
    with sqlite3.connect(watch.feed_path(idx)) as conn:
        return dict(conn.execute("SELECT key, value FROM state").fetchall())


def _indexed_world(tmp_path: Path, cfg: Config, stories: int, kind: str) -> tuple[Path, Path, Path, Any]:
    """A corpus of ``stories`` stories, a batch of one file of ``kind`` relating to the second,
    and the corpus's index, built."""
    corpus, incoming, idx = tmp_path / "corpus", tmp_path / "incoming", tmp_path / "idx.sqlite"
    made = write_world(corpus, [Spec("story", i, i, True, True, True, False) for i in range(stories)])
    write_world(incoming, [Spec(kind, 1000, 1, True, True, True, False)], previous=made)
    index.build(corpus, cfg, idx)
    return corpus, incoming, idx, made


@settings(max_examples=10, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                                     HealthCheck.too_slow])  # fmt: skip
@given(corpus_specs=specs(3, 12, 0), batch_specs=specs(1, 4, 1000), changes=edits(5000))
def test_with_a_watcher_the_gate_equals_a_full_run(
    cfg: Config, world: tuple[Path, Path, Path], corpus_specs: Any, batch_specs: Any, changes: list[Edit]
) -> None:
    """The issue's differential test, with the change feed: a fresh index, the first gate vouches
    for the feed (a whole stat scan), edits behind the index's back, and the next gate, which
    looks at the paths the watcher wrote down alone, finds what a full run finds."""
    corpus, incoming, idx = world
    _clear(corpus)
    _clear(incoming)
    made = write_world(corpus, corpus_specs)
    write_world(incoming, batch_specs, previous=made)
    index.build(corpus, cfg, idx)
    first, want = _gate(corpus, incoming, idx, cfg)
    assert dicts(first.findings) == want, explain(dicts(first.findings), want)
    assert first.scan.startswith("stat (the change feed cannot vouch")  # a new index: not vouched for yet
    apply_edits(corpus, made, changes)  # behind the index's back, while the watcher writes them down
    got, want = _gate(corpus, incoming, idx, cfg)
    assert dicts(got.findings) == want, explain(dicts(got.findings), want)
    folders = {"new-folder", "drop-folder"} & {e.kind for e in changes}
    if not folders:
        assert got.scan.startswith("change feed"), got.scan
    again, want = _gate(corpus, incoming, idx, cfg)
    assert dicts(again.findings) == want and again.refreshed == 0
    assert again.scan == "change feed (0 path(s))"
    assert index.verify(corpus, cfg, idx).ok


def test_every_kind_of_edit_is_seen_and_an_edit_in_place_too(cfg: Config, world: tuple[Path, Path, Path]) -> None:
    corpus, incoming, idx = world
    made = write_world(corpus, [Spec("story", i, i, True, True, True, False) for i in range(12)])
    write_world(incoming, [Spec("copy", 1000, 2, True, True, True, False)], previous=made)
    index.build(corpus, cfg, idx)
    _gate(corpus, incoming, idx, cfg)  # vouches for the feed
    target = sorted(corpus.iterdir())[3]
    before = target.stat()
    with open(target, "r+b") as fh:  # in place: same inode, same size, the mtime put back
        data = fh.read()
        fh.seek(0)
        fh.write(data.replace(b"title:", b"titlE:", 1))
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    apply_edits(corpus, made, [Edit(e, 5 * n, Spec("story", 50 + n, n, True, True, True, False))
                               for n, e in enumerate(EDITS) if "folder" not in e])  # fmt: skip
    st = index.status(corpus, cfg, idx)  # every file counted, not the feed's few
    assert st.fresh + st.stale == st.files - st.orphaned and st.missing + st.orphaned > 0
    got, want = _gate(corpus, incoming, idx, cfg)
    assert got.scan.startswith("change feed") and got.refreshed > 0
    assert dicts(got.findings) == want, explain(dicts(got.findings), want)
    assert index.verify(corpus, cfg, idx).ok


def test_a_killed_or_stuck_watcher_is_not_trusted(cfg: Config, tmp_path: Path) -> None:
    corpus, incoming, idx, made = _indexed_world(tmp_path, cfg, 8, "near-dup")
    w = Watcher(corpus, idx)
    try:
        assert _gate(corpus, incoming, idx, cfg)[0].scan.startswith("stat (")
        assert _gate(corpus, incoming, idx, cfg)[0].scan.startswith("change feed")
        os.kill(w.proc.pid, signal.SIGSTOP)  # alive, holding its lock, but not reading
        try:
            apply_edits(corpus, made, [Edit("edit", 1, Spec("story", 60, 1, True, True, True, False))])
            t0 = time.monotonic()
            got, want = _gate(corpus, incoming, idx, cfg)
            assert got.scan == "stat" and got.refreshed == 1  # no answer to the cookie: a stat scan
            assert time.monotonic() - t0 >= watch.COOKIE_SECONDS
            assert dicts(got.findings) == want
        finally:
            os.kill(w.proc.pid, signal.SIGCONT)
        w.proc.kill()  # SIGKILL: the kernel drops its lock
        w.proc.wait()
        apply_edits(corpus, made, [Edit("delete", 2, Spec("story", 61, 1, True, True, True, False))])
        got, want = _gate(corpus, incoming, idx, cfg)
        assert got.scan == "stat" and dicts(got.findings) == want
    finally:
        w.stop()


def test_events_lost_to_a_full_queue_are_not_trusted(cfg: Config, tmp_path: Path) -> None:
    """More events than the kernel queues (fs.inotify.max_queued_events) while the watcher is
    stopped: it reads the overflow, starts a new epoch, and the next gate scans every file."""
    queued = int(Path("/proc/sys/fs/inotify/max_queued_events").read_text())
    corpus, incoming, idx, made = _indexed_world(tmp_path, cfg, 10, "copy")
    w = Watcher(corpus, idx)
    try:
        _gate(corpus, incoming, idx, cfg)
        epoch = _feed_state(idx)["epoch"]
        os.kill(w.proc.pid, signal.SIGSTOP)
        try:
            files = sorted(corpus.iterdir())
            for n in range(queued // len(files) + 10):
                for path in files:
                    os.utime(path, ns=(10**18 + n, 10**18 + n))  # an attribute event each
            apply_edits(corpus, made, [Edit("edit", 4, Spec("story", 70, 1, True, True, True, False))])
        finally:
            os.kill(w.proc.pid, signal.SIGCONT)
        got, want = _gate(corpus, incoming, idx, cfg)
        assert got.scan.startswith("stat (the change feed cannot vouch"), got.scan
        assert _feed_state(idx)["epoch"] != epoch
        assert dicts(got.findings) == want
        assert _gate(corpus, incoming, idx, cfg)[0].scan.startswith("change feed")  # vouched for again
        assert index.verify(corpus, cfg, idx).ok
    finally:
        w.stop()


def test_one_watcher_per_index_and_the_corpus_removed(tmp_path: Path) -> None:
    corpus, idx = tmp_path / "corpus", tmp_path / "idx.sqlite"
    corpus.mkdir()
    w = Watcher(corpus, idx)
    try:
        second = subprocess.run(
            [sys.executable, "-m", "qa", "index", "watch", str(corpus), "--index", str(idx), "--isolated"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert second.returncode == 2 and "another watcher serves" in second.stderr
        assert "Traceback" not in second.stderr
        shutil.rmtree(corpus)
        code, err = w.stop()  # it stops by itself; SIGTERM is harmless if it already did
        assert code == 2 and "moved or removed" in err and "Traceback" not in err
    finally:
        w.stop()


def test_a_folder_it_cannot_watch_makes_it_step_aside(cfg: Config, tmp_path: Path) -> None:
    """A folder reached through a link (its changes come through another path) is one the
    watcher cannot vouch for: every gate scans, and still finds what a full run finds."""
    corpus, incoming, idx = tmp_path / "corpus", tmp_path / "incoming", tmp_path / "idx.sqlite"
    made = write_world(corpus, [Spec("story", i, i, True, True, True, False) for i in range(6)])
    (corpus / "sub").mkdir()
    shutil.move(str(sorted(corpus.glob("*.txt"))[0]), corpus / "sub")
    (corpus / "alias").symlink_to(corpus / "sub", target_is_directory=True)
    write_world(incoming, [Spec("copy", 1000, 1, True, True, True, False)], previous=made)
    index.build(corpus, cfg, idx)
    w = Watcher(corpus, idx)
    try:
        for _ in range(2):
            got, want = _gate(corpus, incoming, idx, cfg)
            assert got.scan == "stat" and dicts(got.findings) == want
        assert "a linked folder" in _feed_state(idx)["blind"]
    finally:
        w.stop()


def test_a_watcher_that_selects_other_files_serves_no_gate(cfg: Config, tmp_path: Path) -> None:
    """Another ``include``: the watcher does not look at the files the gate's index holds, so
    the gate scans (other options do not matter to the feed: it names paths)."""
    corpus, incoming, idx, _made = _indexed_world(tmp_path, cfg, 4, "copy")
    w = Watcher(corpus, idx, toml='include = ["*.md"]\n')
    try:
        for _ in range(2):
            got, want = _gate(corpus, incoming, idx, cfg)
            assert got.scan == "stat" and dicts(got.findings) == want
    finally:
        w.stop()
