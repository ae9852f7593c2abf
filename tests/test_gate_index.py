"""``clipqa import`` through the corpus index (issue 19): the batch alone goes through the
per-file stage, the corpus checks look up the corpus files it can relate to.

* the differential test: for random batches and random out-of-band corpus edits, the plan
  (every entry's verdict and findings) with the index equals the one from a full run
  (``--no-index``), with and without ``--fix``, and real imports give the same manifest;
* an index built by another clipqa, or by other schema files, is rebuilt, not trusted;
* SIGKILL at random moments of real imports (while they check, move, update the index),
  then the same command again: the index agrees with the corpus, every file is in one place.
"""

from __future__ import annotations

import json
import random
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.generate import generate, render
from qa import index
from qa.config import Config, load_config
from qa.gate import IndexUse, plan
from tests.index_worlds import age, apply_edits, edits, specs, world_config, write_world
from tests.test_index_crash import assert_agrees, assert_never_wrong, clipqa, env


@pytest.fixture(scope="module")
def cfg() -> Config:
    return world_config()


def planned(root: Path, cfg: Config, indexed: bool, fixes: Any = None) -> dict[str, Any]:
    """The import's plan of INCOMING into the corpus under ``root`` (moves nothing)."""
    use = IndexUse(root / "idx.sqlite") if indexed else None
    return plan(root / "incoming", root / "corpus", root / "q", cfg, None, fixes=fixes, index=use)


def comparable(journal: dict[str, Any]) -> list[dict[str, Any]]:
    """Every entry's name, verdict, reason and findings (and, with --fix, what was fixed)."""
    return [{k: v for k, v in e.items() if k not in ("fix_declined",)} for e in journal["entries"]]


@settings(max_examples=15, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(
    corpus_specs=specs(3, 12, 0),
    batch_specs=specs(1, 5, 1000),
    changes=edits(5000),
    aged=st.booleans(),
    fix=st.sampled_from([None, None, "safe"]),
)
def test_the_plan_with_the_index_equals_a_full_run(
    cfg: Config, corpus_specs: Any, batch_specs: Any, changes: Any, aged: bool, fix: Any
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        made = write_world(root / "corpus", corpus_specs)
        write_world(root / "incoming", batch_specs, previous=made)
        if aged:  # stats the index trusts: its scan lists only the folders that changed
            age(root / "corpus")
        index.build(root / "corpus", cfg, root / "idx.sqlite")
        apply_edits(root / "corpus", made, changes)  # behind the index's back
        with_index = planned(root, cfg, True, fix)
        full = planned(root, cfg, False, fix)
        assert comparable(with_index) == comparable(full)
        assert with_index["checked_by"]["mode"] == "index", with_index["checked_by"]
        assert full["checked_by"] == {"mode": "full", "reason": "--no-index"}


@pytest.mark.parametrize("seed", [1, 2])
def test_real_imports_with_and_without_the_index_give_the_same_manifest(tmp_path: Path, seed: int) -> None:
    """Two copies of a corpus and a batch (duplicates of corpus files, glitched and clean new
    files); one imported through the index, one with --no-index: the same manifest, and the
    index then agrees with its corpus (updated after the moves)."""
    base = tmp_path / "base"
    generate(base / "corpus", 40, seed=seed, glitch_rate=0.2)
    generate(base / "more", 48, seed=seed + 10, glitch_rate=0.3)
    (base / "incoming").mkdir()
    for p in sorted((base / "more").iterdir())[40:]:
        p.rename(base / "incoming" / p.name)
    for p in sorted((base / "corpus").iterdir())[:3]:  # duplicates, under other names
        shutil.copy(p, base / "incoming" / f"again-{p.name}")
    shutil.rmtree(base / "more")
    docs = {}
    for mode in ("index", "full"):
        shutil.copytree(base, tmp_path / mode)
        root = tmp_path / mode
        extra = ("--index", root / "idx.sqlite") if mode == "index" else ("--no-index",)
        ran = subprocess.run(
            clipqa("import", root / "incoming", "--into", root / "corpus", "--quarantine", root / "q", *extra),
            env=env(),
            capture_output=True,
            text=True,
            check=False,
        )
        assert ran.returncode in (0, 1), ran.stderr
        docs[mode] = json.loads(ran.stdout)
    a, b = docs["index"], docs["full"]
    assert a["checked_by"]["mode"] == "index" and b["checked_by"]["mode"] == "full"
    for key in ("accepted", "already_imported", "rejected", "left", "counts"):
        assert a[key] == b[key], key
    assert a["index"]["updated"] is True and b["index"] is None
    assert a["rejected"] and a["accepted"]  # the batch had both
    assert_agrees(tmp_path / "index" / "corpus", tmp_path / "index" / "idx.sqlite")


def test_an_index_built_by_another_clipqa_or_schema_is_rebuilt(tmp_path: Path, cfg: Config) -> None:
    corpus, incoming = tmp_path / "corpus", tmp_path / "incoming"
    generate(corpus, 12, seed=3)
    incoming.mkdir()
    shutil.copy(sorted(corpus.iterdir())[0], incoming / "again.txt")
    idx = tmp_path / "idx.sqlite"
    index.build(corpus, cfg, idx)
    with sqlite3.connect(idx) as db:
        db.execute("UPDATE meta SET value = '0.0.1' WHERE key = 'clipqa_version'")
    first = planned(tmp_path, cfg, True)
    assert first["checked_by"]["reason"] == "index rebuilt: built by clipqa 0.0.1"
    assert index.why_not_usable(idx, cfg) is None
    # other schema files: another salt
    schema_dir = tmp_path / "schemas"
    shutil.copytree(Path(__file__).resolve().parents[1] / "schemas", schema_dir)
    other = load_config(None, {"jobs": 1, "schema-dir": str(schema_dir)})
    other.checks = cfg.checks
    with (schema_dir / "clippings.yaml").open("a") as fh:
        fh.write("\n# another schema\n")
    again = planned(tmp_path, other, True)
    assert again["checked_by"]["reason"] == "index rebuilt: built by other code, schema files or configuration"
    assert comparable(again) == comparable(first) == comparable(planned(tmp_path, cfg, False))
    [entry] = first["entries"]
    assert entry["action"] == "reject" and "D103" in {f["rule"] for f in entry["findings"]}


def test_a_corpus_file_added_behind_the_index_back_is_seen_by_the_import(tmp_path: Path, cfg: Config) -> None:
    """The index was built; then a file came into the corpus by hand (its folder's stats aged,
    as if long ago): the stat scan finds it before the gate decides, and the batch file that
    duplicates it is rejected."""
    corpus, incoming = tmp_path / "corpus", tmp_path / "incoming"
    generate(corpus, 12, seed=4)
    age(corpus)
    index.build(corpus, cfg, tmp_path / "idx.sqlite")
    incoming.mkdir()
    story = render(77, 12, 4, None)
    (corpus / "by-hand.txt").write_bytes(story)
    (incoming / "same-story.txt").write_bytes(story)
    age(corpus)
    journal = planned(tmp_path, cfg, True)
    assert journal["checked_by"]["mode"] == "index" and journal["checked_by"]["refreshed"] == 1
    [entry] = journal["entries"]
    assert entry["action"] == "reject" and "D103" in entry["reason"] and "corpus/by-hand.txt" in entry["reason"]


@pytest.mark.slow
def test_imports_killed_at_any_moment_leave_the_index_agreeing_once_resumed(tmp_path: Path) -> None:
    """SIGKILL ``clipqa import`` (through the index) at random moments: while it checks, while
    it moves, while it updates the index; then the same command again. After every kill the
    index is a valid database with no entry that is wrong (only stale, missing or orphaned
    ones); after the resumed import it agrees with the corpus in full, and every batch file
    is in exactly one place. The loop runs until enough kills landed while the import was
    alive, and enough after its journal was written (the moves), whatever the machine's speed."""
    rng = random.Random(19)
    base = tmp_path / "base"
    generate(base / "corpus", 60, seed=21)
    generate(base / "more", 70, seed=22, glitch_rate=0.3)
    (base / "incoming").mkdir()
    for p in sorted((base / "more").iterdir())[60:]:
        p.rename(base / "incoming" / p.name)
    for p in sorted((base / "corpus").iterdir())[:2]:
        shutil.copy(p, base / "incoming" / f"again-{p.name}")
    shutil.rmtree(base / "more")
    batch = sorted(p.name for p in (base / "incoming").iterdir())
    kills = moving = trials = 0
    while (kills < 6 or moving < 2) and trials < 30:
        trials += 1
        root = tmp_path / f"t{trials}"
        shutil.copytree(base, root)
        corpus, idx = root / "corpus", root / "idx.sqlite"
        index.build(corpus, load_config(None, {"jobs": 1}), idx)
        command = clipqa("import", root / "incoming", "--into", corpus, "--quarantine", root / "q", "--index", idx)
        journal = root / ".corpus.clipqa-import.json"
        proc = subprocess.Popen(command, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        start = time.monotonic()
        if trials % 2:  # after the journal is written: during the moves or the index's update
            while proc.poll() is None and not journal.exists() and time.monotonic() - start < 120:
                time.sleep(0.001)
            time.sleep(rng.uniform(0, 0.3))
        else:
            time.sleep(rng.uniform(0.2, 4.0))
        if proc.poll() is None:
            late = journal.exists()
            proc.send_signal(signal.SIGKILL)
            proc.communicate(timeout=60)
            kills += 1
            moving += late
        else:
            _, err = proc.communicate()
            assert proc.returncode in (0, 1), err.decode()
        assert_never_wrong(corpus, idx)
        done = subprocess.run(command, env=env(), capture_output=True, text=True, check=False)
        assert done.returncode in (0, 1), done.stderr
        assert not journal.exists()
        assert_agrees(corpus, idx)
        places = {name: [where for where in ("incoming", "corpus", "q") if (root / where / name).exists()]
                  for name in batch}  # fmt: skip
        assert all(len(p) == 1 and p != ["incoming"] for p in places.values()), places
    assert kills >= 6 and moving >= 2, f"{kills} kills, {moving} during the moves, in {trials} trials"
