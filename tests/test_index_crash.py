"""The corpus index after SIGKILL at any moment: never wrong, and one more run catches up.

Real processes, real signals: ``clipqa import --dry-run`` (which brings the index up to
date with out-of-band edits before it decides), ``clipqa import`` (which also updates it
after its moves) and ``clipqa index build`` are killed at
random moments, many of them while the index file is being written. After every kill the
index is a valid SQLite database whose entries are either fresh and right or visibly stale
(``verify`` finds no entry whose stat is current but whose rows, keys, findings or totals are
not those of the file); after one uninterrupted run, ``verify`` finds no difference at all.
"""

from __future__ import annotations

import json
import os
import random
import select
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.generate import generate, render
from qa import index, locks
from qa.config import Config, load_config

REPO = Path(__file__).resolve().parents[1]
# What an interrupted run may leave: entries not yet brought up to date, never wrong ones.
ALLOWED = {"stale", "missing", "orphaned"}


def cfg() -> Config:
    return load_config(None, {"jobs": 1})


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO), "CLIPQA_DEBUG": "1"}


def clipqa(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "qa", *map(str, args), "--isolated", "-j", "1"]


def edit_behind(corpus: Path, rng: random.Random, n: int) -> None:
    """Out-of-band edits: rewrite, add, delete and rename files."""
    names = sorted(p.name for p in corpus.iterdir())
    for k in range(n):
        target = corpus / rng.choice(names)
        action = rng.random()
        if not target.exists():
            continue
        if action < 0.5:
            target.write_bytes(render(rng.randrange(10**6), 1000, 7, None))
        elif action < 0.7:
            (corpus / f"{900000 + k:06d}_{rng.getrandbits(64):016x}.txt").write_bytes(
                render(rng.randrange(10**6), 1000, 7, None)
            )
        elif action < 0.85:
            target.unlink()
        else:
            target.rename(corpus / f"{800000 + k:06d}_{rng.getrandbits(64):016x}.txt")


def assert_never_wrong(corpus: Path, idx: Path) -> None:
    with sqlite3.connect(idx) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    found = index.verify(corpus, cfg(), idx)
    assert found.state == "ok", found.state
    wrong = {k: v for k, v in found.differences.items() if k not in ALLOWED and v}
    assert not wrong, wrong


def assert_agrees(corpus: Path, idx: Path) -> None:
    found = index.verify(corpus, cfg(), idx)
    assert found.ok, found.to_dict()


@pytest.mark.slow
def test_sigkill_during_refresh_and_build_then_rerun(tmp_path: Path) -> None:
    rng = random.Random(20261206)
    base = tmp_path / "base"
    generate(base, 160, seed=11)
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    for i in range(3):
        (incoming / f"new{i}.txt").write_bytes(render(40 + i, 160, 11, None))  # duplicates of corpus stories
    kills = in_write = 0
    for trial in range(3):
        corpus = tmp_path / f"corpus{trial}"
        shutil.copytree(base, corpus)
        idx = tmp_path / f"idx{trial}.sqlite"
        index.build(corpus, cfg(), idx)
        for attempt in range(6):
            edit_behind(corpus, rng, 60)
            if attempt < 5:  # kill it somewhere; the WAL growing means the refresh is writing
                proc = subprocess.Popen(
                    clipqa("import", incoming, "--into", corpus, "--dry-run", "--index", idx),
                    env=env(),
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                )
                wal = Path(f"{idx}-wal")
                if rng.random() < 0.6:
                    start = time.monotonic()
                    while proc.poll() is None and time.monotonic() - start < 120:
                        if wal.exists() and wal.stat().st_size > 0:
                            break
                        time.sleep(0.0005)
                    time.sleep(rng.uniform(0, 0.02))
                else:
                    time.sleep(rng.uniform(0.1, 3.0))
                if proc.poll() is None:
                    writing = wal.exists() and wal.stat().st_size > 0
                    proc.send_signal(signal.SIGKILL)
                    proc.communicate()
                    kills += 1
                    in_write += writing
                else:
                    _, err = proc.communicate()
                    assert proc.returncode in (0, 1), err.decode()
                assert_never_wrong(corpus, idx)
            else:  # one whole run: the index agrees with the corpus again
                done = subprocess.run(
                    clipqa("import", incoming, "--into", corpus, "--dry-run", "--index", idx),
                    env=env(),
                    capture_output=True,
                    check=False,
                )
                assert done.returncode in (0, 1), done.stderr.decode()
                assert_agrees(corpus, idx)
        # a build from scratch killed anywhere leaves the old index whole (or none), and the
        # next build removes what the killed one left
        for _ in range(2):
            proc = subprocess.Popen(clipqa("index", "build", corpus, "--index", idx), env=env(),
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
            time.sleep(rng.uniform(0.2, 1.5))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                kills += 1
            proc.communicate()
            assert_never_wrong(corpus, idx)
        subprocess.run(clipqa("index", "build", corpus, "--index", idx), env=env(), check=True, capture_output=True)
        assert not list(tmp_path.glob(f".{idx.name}.*.clipqa-tmp"))
        assert_agrees(corpus, idx)
    assert kills >= 6  # a fast machine finishes some runs before their kill
    assert in_write >= 3, "no kill landed while the index was being written; the test proved nothing"


def test_a_file_changed_within_the_stat_granularity_is_hashed_next_time(tmp_path: Path) -> None:
    """A file modified just before it was indexed keeps no stat (it is "racy": a same-size
    write in the same timestamp tick would leave its stat as it was), so the next scan reads
    it; once it is old enough, its stat is kept and the scan no longer reads it."""
    from qa.indexstore import SqliteStore

    corpus = tmp_path / "corpus"
    generate(corpus, 6, seed=5)
    idx = tmp_path / "idx.sqlite"

    def set_mtimes(offset: float) -> None:
        for p in corpus.iterdir():
            os.utime(p, ns=(p.stat().st_atime_ns, int((time.time() + offset) * 1e9)))

    def stats() -> list[object]:
        store = SqliteStore(idx, readonly=True)
        try:
            return [e.stat for e in store.entries()]
        finally:
            store.close()

    set_mtimes(3600)  # modified "now" as far as the scan can tell
    index.build(corpus, cfg(), idx)
    assert stats() == [None] * 6
    victim = sorted(corpus.iterdir())[2]
    mtime = victim.stat().st_mtime_ns
    victim.write_bytes(victim.read_bytes()[:-1] + b"!")  # the same size, the same mtime
    os.utime(victim, ns=(victim.stat().st_atime_ns, mtime))
    found = index.refresh(corpus, cfg(), idx)
    assert (found.reindexed, found.restat, found.fresh) == (1, 5, 0)
    assert_agrees(corpus, idx)
    set_mtimes(-3600)  # old enough now
    assert index.refresh(corpus, cfg(), idx).restat == 6  # read once more, and their stats kept
    assert None not in stats()
    assert index.refresh(corpus, cfg(), idx).fresh == 6  # trusted: not read at all


def _killed_build(corpus: Path) -> int:
    """SIGKILL a real ``clipqa index build CORPUS`` once its temporary file exists; its pid
    (a process now gone)."""
    proc = _build_under_way(corpus)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    return proc.pid


def _build_under_way(corpus: Path) -> subprocess.Popen[bytes]:
    """A real ``clipqa index build CORPUS``, once its temporary file exists and is locked (the
    file is created, then locked: stopped in between, the build's file looks like a killed
    one's leftover to another build)."""
    folder = corpus.parent
    before = set(os.listdir(folder))
    proc = subprocess.Popen(clipqa("index", "build", corpus), env=env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)  # fmt: skip
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        made = [n for n in set(os.listdir(folder)) - before if n.endswith(".clipqa-tmp")]
        if made and locks.is_held(folder / made[0]):
            break
        time.sleep(0.001)
    assert proc.poll() is None, "the build ended before its temporary file was seen locked"
    return proc


@pytest.mark.parametrize(("name", "decoy"), [("news[1]", "news1"), ("a*b", "aXYb"), ("q?", "qz")])
def test_a_killed_builds_leftover_is_found_whatever_the_corpus_is_named(tmp_path: Path, name: str, decoy: str) -> None:
    """Glob metacharacters in the corpus's name (so in the index's): the next build finds and
    removes what a killed build left, and only that; another index's leftover whose name the
    characters would match as a pattern (``news[1]`` matching ``news1``) is not touched."""
    corpus = tmp_path / name
    generate(corpus, 300, seed=3)
    pid = _killed_build(corpus)
    leftovers = [n for n in os.listdir(tmp_path) if n.endswith(".clipqa-tmp")]
    assert leftovers == [f"..{name}.clipqa-index.sqlite.{pid}.clipqa-tmp"], leftovers
    for side in ("-wal", "-shm"):  # a build killed once its file went over to WAL leaves these too
        (tmp_path / f"{leftovers[0]}{side}").write_bytes(b"")
    others = [
        tmp_path / f"..{decoy}.clipqa-index.sqlite.{pid}.clipqa-tmp",  # another corpus's killed build
        tmp_path / f".{decoy}.clipqa-index.sqlite",
        tmp_path / f"..{name}.clipqa-index.sqlite.notes.txt",
    ]
    for other in others:
        other.write_bytes(b"not this index's to remove")
    done = subprocess.run(clipqa("index", "build", corpus), env=env(), capture_output=True, check=False)
    assert done.returncode == 0, done.stderr.decode()
    assert not any((tmp_path / f"{leftovers[0]}{side}").exists() for side in ("", "-wal", "-shm"))
    assert all(o.read_bytes() == b"not this index's to remove" for o in others)
    assert sorted(os.listdir(tmp_path)) == sorted(
        [name, f".{name}.clipqa-index.sqlite", f".{name}.clipqa-index.sqlite.lock", *(o.name for o in others)]
    )
    assert_agrees(corpus, tmp_path / f".{name}.clipqa-index.sqlite")


def test_a_second_build_while_one_runs_says_so_and_an_import_does_not_wait(tmp_path: Path) -> None:
    """A build is under way (stopped with SIGSTOP, so that it cannot finish first on a fast
    machine): a second ``clipqa index build`` is refused at once, exit 2, one line naming the
    running build's process; an import that would build the index too checks its batch with
    a full run instead, saying why; neither waits, and the first build then finishes whole."""
    corpus = tmp_path / "news"
    generate(corpus, 300, seed=3)
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    (incoming / "again.txt").write_bytes(sorted(corpus.iterdir())[0].read_bytes())
    first = _build_under_way(corpus)
    first.send_signal(signal.SIGSTOP)
    try:
        second = subprocess.run(clipqa("index", "build", corpus), env=env(), capture_output=True, check=False,
                                timeout=300)  # fmt: skip
        gate = subprocess.run(clipqa("import", incoming, "--into", corpus, "--dry-run"), env=env(),
                              capture_output=True, check=False, timeout=300)  # fmt: skip
    finally:
        first.send_signal(signal.SIGCONT)
    err = second.stderr.decode()
    assert second.returncode == 2 and len(err.strip().splitlines()) == 1, err
    assert f"another build of this index is running (process {first.pid})" in err and "Traceback" not in err
    doc = json.loads(gate.stdout)
    assert gate.returncode == 1, gate.stderr.decode()
    assert doc["checked_by"]["mode"] == "full" and "another build" in doc["checked_by"]["reason"], doc["checked_by"]
    assert "D103" in doc["rejected"][0]["rules"]
    _, err_first = first.communicate(timeout=300)
    assert first.returncode == 0, err_first.decode()
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".clipqa-tmp")]
    assert_agrees(corpus, tmp_path / ".news.clipqa-index.sqlite")


def test_a_command_that_waits_for_the_index_lock_says_so(tmp_path: Path) -> None:
    """Another process holds the index's lock (an import stopped with ^Z, a build swapping its
    file in): ``clipqa index status`` waits for it, and says on stderr what it waits for at
    once (a silent wait looks like a hang); once the lock is free it goes on and answers."""
    corpus = tmp_path / "news"
    generate(corpus, 20, seed=5)
    built = subprocess.run(clipqa("index", "build", corpus), env=env(), capture_output=True, check=False, timeout=300)
    assert built.returncode == 0, built.stderr.decode()
    lock = index.lock_path(tmp_path / ".news.clipqa-index.sqlite")
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom qa import locks\nlocks.take(sys.argv[1], exclusive=True)\n"
         "print('held', flush=True)\ntime.sleep(600)", str(lock)],
        env=env(), stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    status = None
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        status = subprocess.Popen(clipqa("index", "status", corpus), env=env(), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)  # fmt: skip
        assert status.stderr is not None
        ready, _, _ = select.select([status.stderr], [], [], 60)
        assert ready, "no word on stderr while waiting for the lock"
        line = status.stderr.readline()
        assert f"waiting for {lock}" in line and "another clipqa process" in line, line
        time.sleep(0.5)
        assert status.poll() is None  # still waiting while the lock is held
    finally:
        holder.kill()
        holder.wait(timeout=60)
    out, err = status.communicate(timeout=300)
    assert status.returncode == 0 and "fresh" in out, (status.returncode, out, err)
    assert "Traceback" not in err
