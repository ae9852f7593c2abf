"""The result cache's stat-keyed lookup, racy files, deltas, clock rules and cached image findings."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import qa.atomic
import qa.cache
import qa.forked
import qa.pipeline
from qa.cache import RACY_SECONDS, ResultCache, Stat, file_stat
from qa.checks.image_url import CHECK as IMAGE_CHECK
from qa.config import load_config
from qa.corpus import ReadOptions, Source
from qa.pipeline import RunResult, run
from qa.stage import Stage
from tests.stories import name, story
from tests.test_incremental import canon, clip

OLD = 1_600_000_000  # a moment long before any run (2020): files this old are not racy


def corpus(root: Path, n: int = 8, *, age: bool = True) -> Path:
    root.mkdir(parents=True)
    for i in range(n):
        (root / f"c{i:02d}.txt").write_text(clip(i))
    if age:
        make_old(root)
    return root


def make_old(root: Path) -> None:
    for path in root.iterdir():
        os.utime(path, (OLD, OLD))


@pytest.fixture
def in_process(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Paths each per-record check pass ran on (small corpora run in this process)."""
    import qa.engine.local

    monkeypatch.setattr(qa.engine.local, "ISOLATE", False)
    seen: list[str] = []
    original = Stage.check_records

    def spy(self: Stage, records: list[Any], *args: Any) -> None:
        seen.extend(rec.path for rec in records)
        original(self, records, *args)

    monkeypatch.setattr(Stage, "check_records", spy)
    return seen


@pytest.fixture(params=["one process", "forked"])
def forking(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Run as a small corpus does (one process), or as a large one does: the stats taken, the
    cache written and half the corpus stage run by forked children (qa/forked.py)."""
    forked = request.param == "forked"
    if forked:
        if not hasattr(os, "fork"):
            pytest.skip("no fork on this platform")
        monkeypatch.setattr(qa.cache, "FORK_FROM_FILES", 1)
        monkeypatch.setattr(qa.pipeline, "FORK_FROM_FILES", 1)
        monkeypatch.setattr(qa.forked, "can_fork", lambda: True)  # even if other tests left threads
    return forked


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Paths the cache read to hash them."""
    seen: list[str] = []
    original = qa.cache.read_bytes

    def spy(source: Source, options: ReadOptions) -> Any:
        seen.append(source.path)
        return original(source, options)

    monkeypatch.setattr(qa.cache, "read_bytes", spy)
    return seen


def test_unchanged_files_hit_by_stat_without_being_read(
    tmp_path: Path, reads: list[str], in_process: list[str], forking: bool
) -> None:
    root = corpus(tmp_path / "corpus")
    cache = str(tmp_path / "cache")
    cfg = load_config(None)
    cold = run([str(root)], cfg, cache_dir=cache)
    assert sorted(reads) == sorted(p.name for p in root.iterdir())  # the first run hashes every file
    reads.clear()
    in_process.clear()
    warm = run([str(root)], cfg, cache_dir=cache)
    assert reads == [] and in_process == []  # stat matched: nothing read, nothing checked
    assert warm.cache_hits == warm.files == 8
    assert canon(warm)[0] == canon(cold)[0]

    # a changed file (another size) is read, hashed and checked; the others are not read
    (root / "c03.txt").write_text(clip(3, title="A new title for story three"))
    os.utime(root / "c03.txt", (OLD, OLD))
    reads.clear()
    in_process.clear()
    again = run([str(root)], cfg, cache_dir=cache)
    assert reads == ["c03.txt"] and in_process == ["c03.txt"]
    assert again.cache_hits == 7
    assert canon(again)[0] == canon(run([str(root)], cfg))[0]


def test_touched_but_equal_file_is_read_then_hits(tmp_path: Path, reads: list[str], in_process: list[str]) -> None:
    root = corpus(tmp_path / "corpus")
    cache = str(tmp_path / "cache")
    cfg = load_config(None)
    run([str(root)], cfg, cache_dir=cache)
    os.utime(root / "c05.txt", (OLD + 60, OLD + 60))  # stat changed, content the same
    reads.clear()
    in_process.clear()
    warm = run([str(root)], cfg, cache_dir=cache)
    assert reads == ["c05.txt"] and in_process == []
    assert warm.cache_hits == 8
    reads.clear()
    run([str(root)], cfg, cache_dir=cache)  # the new stat was recorded: not read again
    assert reads == []


def test_recent_files_are_racy_and_hashed_until_old_enough(tmp_path: Path) -> None:
    root = corpus(tmp_path / "corpus", n=3, age=False)  # written just now
    os.utime(root / "c00.txt", (OLD, OLD))
    read = ReadOptions()
    sources = [Source(p.name, str(p)) for p in sorted(root.iterdir())]
    first = ResultCache(tmp_path / "cache", "salt", [str(root)])
    assert first.lookup(sources, read) == sources and first.hashed == 3
    assert first.stats["c00.txt"] is not None  # old: its stat can be trusted
    assert first.stats["c01.txt"] is None and first.stats["c02.txt"] is None  # racy
    first.save([], {})
    second = ResultCache(tmp_path / "cache", "salt", [str(root)])
    assert second.lookup(sources, read) == []
    assert second.hashed == 2  # the racy ones are read again (and hit); the old one is not
    assert second.dirty is False  # still racy: nothing new to record


def test_racy_same_size_edit_is_not_served_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, in_process: list[str]
) -> None:
    """On a file system with coarse timestamps, a same-size edit in the same tick leaves the
    stat as it was. Simulated: every stat reports one fixed moment, within the racy window
    of every run here (ahead of now, so however slow the machine)."""
    root = tmp_path / "corpus"
    root.mkdir()
    good, bad = clip(1), clip(1).replace("width: 640", "width: -64")
    assert len(good) == len(bad)
    (root / "c01.txt").write_text(good)
    tick = time.time_ns() + int(RACY_SECONDS * 1e9) * 1000

    def coarse(source: Source) -> Stat | None:
        st = os.stat(source.location)
        return (st.st_size, tick, tick, st.st_ino)

    monkeypatch.setattr(qa.cache, "file_stat", coarse)
    cfg = load_config(None)
    cache = str(tmp_path / "cache")
    first = run([str(root)], cfg, cache_dir=cache)
    assert not [f for f in first.findings if f.rule == "I105"]
    (root / "c01.txt").write_text(bad)  # same size, and (simulated) the same mtime and ctime
    assert coarse(Source("c01.txt", str(root / "c01.txt"))) == (len(bad), tick, tick, os.stat(root / "c01.txt").st_ino)
    in_process.clear()
    second = run([str(root)], cfg, cache_dir=cache)
    assert in_process == ["c01.txt"] and second.cache_hits == 0
    assert [(f.rule, f.field) for f in second.findings if f.rule == "I105"] == [("I105", "images[0].width")]


def test_file_stat_skips_what_is_not_a_local_regular_file(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x")
    assert file_stat(Source("a.txt", str(tmp_path / "a.txt"))) is not None
    assert file_stat(Source("d", str(tmp_path))) is None  # a folder
    assert file_stat(Source("gone", str(tmp_path / "gone"))) is None
    assert file_stat(Source("r", "s3://bucket/a.txt")) is None


def test_few_changes_write_a_delta_many_a_new_snapshot(tmp_path: Path, in_process: list[str], forking: bool) -> None:
    root = corpus(tmp_path / "corpus", n=40)
    cache = tmp_path / "cache"
    cfg = load_config(None)
    run([str(root)], cfg, cache_dir=str(cache))
    (snapshot,) = (cache / "results").glob("snapshot-*[0-9a-f].pkl")
    (root / "c07.txt").write_text(clip(7, title="Seven, edited"))
    (root / "c08.txt").unlink()
    (root / "new.txt").write_text(clip(41).replace("height: 480", "height: 0"))
    make_old(root)
    before = snapshot.stat().st_mtime_ns
    warm = run([str(root)], cfg, cache_dir=str(cache))
    assert snapshot.stat().st_mtime_ns == before  # untouched: only the delta was written
    delta = snapshot.with_name(snapshot.name.replace(".pkl", ".delta.pkl"))
    assert delta.exists()
    fresh = run([str(root)], cfg)
    assert canon(warm)[0] == canon(fresh)[0]
    in_process.clear()
    third = run([str(root)], cfg, cache_dir=str(cache))  # snapshot + delta: every file hits
    assert in_process == [] and third.cache_hits == third.files
    third_f, third_t = canon(third)
    fresh_f, fresh_t = canon(fresh)
    assert third_f == fresh_f
    for table in fresh_t:
        pd.testing.assert_frame_equal(third_t[table], fresh_t[table], check_dtype=False)
    # Many changes: a new snapshot, no delta.
    for i in range(10, 30):
        (root / f"c{i:02d}.txt").write_text(clip(i, title=f"Story {i}, edited"))
    make_old(root)
    fourth = run([str(root)], cfg, cache_dir=str(cache))
    assert snapshot.stat().st_mtime_ns != before and not delta.exists()
    assert canon(fourth)[0] == canon(run([str(root)], cfg))[0]
    in_process.clear()
    assert run([str(root)], cfg, cache_dir=str(cache)).cache_hits == fourth.files and in_process == []


def test_deltas_in_a_row_carry_their_entries_and_new_stats(
    tmp_path: Path, in_process: list[str], reads: list[str], forking: bool
) -> None:
    """Each delta holds what differs from the snapshot: this run's checked files, the rows
    and entries the previous delta held (still in use), and hits whose stat is new."""
    root = corpus(tmp_path / "corpus", n=40)
    cache = tmp_path / "cache"
    cfg = load_config(None)

    def write(i: int, text: str) -> None:  # only this file's stat changes (not racy: an old mtime)
        (root / f"c{i:02d}.txt").write_text(text)
        os.utime(root / f"c{i:02d}.txt", (OLD, OLD))

    run([str(root)], cfg, cache_dir=str(cache))
    write(3, clip(3, title="Three, edited"))  # delta 1: c03
    run([str(root)], cfg, cache_dir=str(cache))
    write(5, clip(5, title="Five, edited"))  # delta 2: c05, and c03 carried over
    write(9, clip(9))  # the same bytes, a new stat: hashed, a hit, its new stat kept
    in_process.clear()
    reads.clear()
    second = run([str(root)], cfg, cache_dir=str(cache))
    assert in_process == ["c05.txt"] and sorted(reads) == ["c05.txt", "c09.txt"]
    assert second.cache_hits == second.files - 1
    in_process.clear()
    reads.clear()
    third = run([str(root)], cfg, cache_dir=str(cache))  # snapshot + delta 2: nothing read or checked
    assert in_process == [] and reads == [] and third.cache_hits == third.files
    third_f, third_t = canon(third)
    fresh_f, fresh_t = canon(run([str(root)], cfg))
    assert third_f == fresh_f
    assert "Three, edited" in set(third_t["clippings"]["title"])
    for table in fresh_t:
        pd.testing.assert_frame_equal(third_t[table], fresh_t[table], check_dtype=False)


def test_a_delta_for_another_snapshot_is_ignored(tmp_path: Path, in_process: list[str]) -> None:
    root = corpus(tmp_path / "corpus", n=12)
    cache = tmp_path / "cache"
    cfg = load_config(None)
    run([str(root)], cfg, cache_dir=str(cache))
    (root / "c01.txt").write_text(clip(1, title="Edited once"))
    make_old(root)
    run([str(root)], cfg, cache_dir=str(cache))  # writes a delta
    (delta,) = (cache / "results").glob("*.delta.pkl")
    kept = delta.read_bytes()
    (root / "c02.txt").write_text("---\ntitle: [\n---\n")
    for i in range(3, 12):
        (root / f"c{i:02d}.txt").write_text(clip(i, title=f"Story {i} rewritten"))
    make_old(root)
    run([str(root)], cfg, cache_dir=str(cache))  # many changes: a new snapshot
    delta.write_bytes(kept)  # a stale delta, of the old snapshot, comes back
    probe = ResultCache(cache, qa.cache.cache_salt(cfg), [str(root)])
    assert probe.load() is not None and probe.delta is None  # it does not apply to this snapshot
    in_process.clear()
    result = run([str(root)], cfg, cache_dir=str(cache))
    assert in_process == [] and result.cache_hits == result.files
    assert canon(result)[0] == canon(run([str(root)], cfg))[0]
    delta.write_bytes(b"not a pickle")  # a damaged delta: ignored too
    assert probe.load() is not None and probe.delta is None
    assert canon(run([str(root)], cfg, cache_dir=str(cache)))[0] == canon(result)[0]


# ---------------------------------------------------------------- clock rules (F107)


def at(moment: dt.datetime, monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs see ``moment`` as now."""
    original = qa.pipeline.run_context

    def context(config: Any, roots: Any) -> dict[str, Any]:
        return {**original(config, roots), "now": moment}

    monkeypatch.setattr(qa.pipeline, "run_context", context)


def test_future_date_finding_is_not_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, in_process: list[str]
) -> None:
    root = tmp_path / "corpus"
    root.mkdir()
    now = dt.datetime(2030, 1, 1, 12, 0, tzinfo=dt.UTC)
    (root / name(1)).write_text(story(1, publishedDateTime=now + dt.timedelta(hours=3)))
    (root / name(2)).write_text(story(2, publishedDateTime=now - dt.timedelta(days=3)))
    make_old(root)
    cfg = load_config(None)
    cache = str(tmp_path / "cache")

    def f107(result: RunResult) -> list[str]:
        return [f.message for f in result.findings if f.rule == "F107"]

    at(now, monkeypatch)
    first = run([str(root)], cfg, cache_dir=cache)
    assert len(f107(first)) == 1 and "3 h in the future" in f107(first)[0]
    at(now + dt.timedelta(hours=1), monkeypatch)
    in_process.clear()
    second = run([str(root)], cfg, cache_dir=cache)
    assert in_process == [name(1)]  # the file with a clock finding is checked again; the other hits
    assert len(f107(second)) == 1 and "2 h in the future" in f107(second)[0]
    at(now + dt.timedelta(hours=5), monkeypatch)
    third = run([str(root)], cfg, cache_dir=cache)
    assert f107(third) == []  # no longer in the future: not a stale finding from the cache
    in_process.clear()
    fourth = run([str(root)], cfg, cache_dir=cache)  # now cached like any other file
    assert in_process == [] and fourth.cache_hits == 2


# ---------------------------------------------------------------- image findings are per file


IMAGES = {
    "bad-url.txt": clip(1).replace('"https://example.org/1.jpg"', '"javascript:alert(1)"'),
    "no-url.txt": clip(2).replace('  - url: "https://example.org/2.jpg"\n    width', "  - width"),
    "sizes.txt": clip(3).replace("width: 640", "width: 0").replace("height: 480", "height: 99999"),
    "no-height.txt": clip(4).replace("    height: 480\n", ""),
    "good.txt": clip(5),
}


def test_image_findings_come_from_the_cache_and_equal_a_cold_run(tmp_path: Path, in_process: list[str]) -> None:
    root = tmp_path / "corpus"
    root.mkdir()
    for file_name, text in IMAGES.items():
        (root / file_name).write_text(text)
    for i in range(6):  # one logo on six stories: I106, a corpus-level finding
        (root / f"logo{i}.txt").write_text(
            clip(10 + i).replace(f"https://example.org/{10 + i}.jpg", "https://cdn.example.org/logo.png")
        )
    make_old(root)
    cfg = load_config(None)
    cache = str(tmp_path / "cache")
    cold = run([str(root)], cfg, cache_dir=cache)
    images = sorted((f.rule, f.path, f.field, f.line, f.message) for f in cold.findings if f.check == "image_url")
    assert [r[0] for r in images] == ["I101", "I103", "I104", "I105", "I105", "I106"]
    # I101-I105 come from the per-file stage, I106 from the corpus stage
    per_file = {r[0] for r in images} - {"I106"}
    assert IMAGE_CHECK.corpus is not None and IMAGE_CHECK.record is not None
    corpus_rules = {f.rule for f in IMAGE_CHECK.corpus(cold.tables, _context())}
    assert corpus_rules == {"I106"} and per_file == {"I101", "I103", "I104", "I105"}
    in_process.clear()
    warm = run([str(root)], cfg, cache_dir=cache)
    assert in_process == [] and warm.cache_hits == warm.files
    assert (
        sorted((f.rule, f.path, f.field, f.line, f.message) for f in warm.findings if f.check == "image_url") == images
    )
    no_cache = run([str(root)], cfg)
    assert canon(warm)[0] == canon(no_cache)[0] == canon(cold)[0]


def _context() -> Any:
    from qa.checks import Context

    return Context(dict(IMAGE_CHECK.options), {"online": False})


# ---------------------------------------------------------------- files not checked to the end


def test_a_file_over_the_time_budget_is_checked_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, in_process: list[str]
) -> None:
    """P130 says the run ran out of time on the file, not what the file holds: not kept."""
    import qa.checks
    from qa.budget import BudgetExceeded
    from qa.checks import Check, Context
    from qa.corpus import Record

    slow = {"on": True}

    def hook(rec: Record, ctx: Context) -> list[Any]:
        if slow["on"] and rec.path == "c02.txt":
            raise BudgetExceeded
        return []

    checks = dict(qa.checks.all_checks())
    checks["budget_test"] = Check("consistency", (), record=hook)
    monkeypatch.setattr(qa.checks, "_CHECKS", checks)
    root = corpus(tmp_path / "corpus", n=4)
    cfg = load_config(None)
    cache = str(tmp_path / "cache")
    first = run([str(root)], cfg, cache_dir=cache)
    assert [f.path for f in first.findings if f.rule == "P130"] == ["c02.txt"]
    slow["on"] = False
    in_process.clear()
    second = run([str(root)], cfg, cache_dir=cache)
    assert in_process == ["c02.txt"] and second.cache_hits == 3
    assert not [f for f in second.findings if f.rule == "P130"]


def test_cache_files_are_fsynced_before_they_replace_the_old(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The snapshot and the delta are written to a temporary file, fsynced, then renamed into
    place, and the rename is made durable (the folder fsynced): never a half-written cache."""
    events: list[tuple[str, str]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}") if os.path.exists("/proc/self/fd") else str(fd)))
        real_fsync(fd)

    def replace(src: Any, dst: Any) -> None:
        events.append(("replace", str(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(qa.cache.os, "fsync", fsync)
    monkeypatch.setattr(qa.cache.os, "replace", replace)
    monkeypatch.setattr(qa.atomic, "fsync_dir", lambda d: events.append(("fsync_dir", str(d))))
    root = corpus(tmp_path / "corpus", n=6)
    cache = tmp_path / "cache"
    run([str(root)], load_config(None), cache_dir=str(cache))
    (snapshot,) = (cache / "results").glob("snapshot-*[0-9a-f].pkl")
    writes = [i for i, (kind, target) in enumerate(events) if kind == "replace" and target == str(snapshot)]
    assert writes, events
    at = writes[-1]
    assert events[at - 1][0] == "fsync" and events[at - 1][1] != str(snapshot)  # the temporary file, first
    assert events[at + 1] == ("fsync_dir", str(snapshot.parent))


def test_cache_writes_are_marked_temps_and_stale_leftovers_are_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cache file is written through a temp file with clipqa's mark (so a killed run's leftover
    can be told from anything else); the next write of that file removes such leftovers once they
    are old enough that no live run can own them, and leaves younger ones and other files alone."""
    from qa.atomic import TMP_MARK, temp_prefix

    target = tmp_path / "snapshot.pkl"
    stale = tmp_path / f"{temp_prefix(target.name)}dead1{TMP_MARK}"
    young = tmp_path / f"{temp_prefix(target.name)}live2{TMP_MARK}"
    other = tmp_path / f"{temp_prefix('delta.pkl')}dead3{TMP_MARK}"
    unrelated = tmp_path / ".snapshot.pkl.notours"
    for path in (stale, young, other, unrelated):
        path.write_bytes(b"half a pickle")
    old = time.time() - qa.cache.STALE_TMP_SECONDS - 60
    for path in (stale, other, unrelated):
        os.utime(path, (old, old))
    seen: list[list[str]] = []
    real_replace = os.replace

    def watching_replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        seen.append([os.fspath(src), os.fspath(dst)])
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", watching_replace)
    qa.cache._write(target, {"rows": [1, 2, 3]})
    monkeypatch.undo()
    assert [Path(dst) for _, dst in seen] == [target]
    assert seen[0][0].endswith(TMP_MARK)
    assert pd.read_pickle(target) == {"rows": [1, 2, 3]}
    assert not stale.exists()
    assert young.exists() and other.exists() and unrelated.exists()


def test_the_salt_covers_clipqas_data_files() -> None:
    """A changed boilerplate pattern or lexicon of qa/data changes what a file's check finds:
    the cache's and the index's salt hash every file of the package, not only its source."""
    names = {p.relative_to(Path(qa.cache.__file__).parent).as_posix() for p in qa.cache.own_files()}
    assert {"data/boilerplate.yaml", "data/lexicons.txt.gz", "cache.py"} <= names
    assert not [n for n in names if "__pycache__" in n]


def test_an_edited_patterns_file_serves_no_cached_finding(tmp_path: Path) -> None:
    """The configuration names its patterns file by path; its content counts too: edited,
    the result cache (and the corpus index) must not give the old findings."""
    patterns = tmp_path / "furniture.yaml"
    patterns.write_text('read-more:\n  - "Continue at the Example Gazette"\n', encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.clipqa.boilerplate]\npatterns_file = "furniture.yaml"\n', encoding="utf-8"
    )
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("---\ntitle: A\n---\nThe story.\nContinue at the Example Gazette\n")
    cache_dir = str(tmp_path / "cache")

    def b105() -> int:
        result = run([str(corpus)], load_config(corpus), cache_dir=cache_dir)
        return len([f for f in result.findings if f.rule == "B105"])

    assert b105() == 1 and b105() == 1  # found, then served from the cache
    patterns.write_text('read-more:\n  - "Nothing of this story"\n', encoding="utf-8")
    assert b105() == 0
