"""The corpus index's commands and promises: build, status, verify, export, check
--changed-since, and what a hostile place does to it (a folder where it belongs, a damaged
file, a read-only folder, odd file names)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from bench.generate import generate, render
from qa import index
from qa.config import load_config
from qa.corpus import discover
from qa.pipeline import corpus_stage, run, run_context
from tests.index_worlds import age
from tests.test_incremental import git
from tests.test_index import batch_of, dicts, full_run

REPO = Path(__file__).resolve().parents[1]


def clipqa(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "qa", *map(str, args)],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "news"
    generate(root, 60, seed=4, glitch_rate=0.2)
    return root


def test_build_status_verify(corpus: Path, tmp_path: Path) -> None:
    built = clipqa("index", "build", corpus, "--isolated")
    assert built.returncode == 0, built.stderr
    idx = tmp_path / ".news.clipqa-index.sqlite"  # beside the corpus, named after it
    assert idx.is_file() and str(idx) in built.stdout
    status = clipqa("index", "status", corpus, "--isolated", "--format", "json")
    doc = json.loads(status.stdout)
    assert (doc["state"], doc["files"], doc["stale"] + doc["fresh"], doc["missing"], doc["orphaned"]) == (
        "ok",
        60,
        60,
        0,
        0,
    )
    assert clipqa("index", "verify", corpus, "--isolated").returncode == 0
    # behind its back: one file edited, one added, one removed
    names = sorted(p.name for p in corpus.iterdir())
    (corpus / names[0]).write_bytes(render(999, 60, 4, None))
    (corpus / "zz-new.txt").write_bytes(render(998, 60, 4, None))
    (corpus / names[1]).unlink()
    doc = json.loads(clipqa("index", "status", corpus, "--isolated", "--format", "json").stdout)
    assert (doc["missing"], doc["orphaned"]) == (1, 1) and doc["stale"] >= 1
    verified = clipqa("index", "verify", corpus, "--isolated", "--format", "json")
    assert verified.returncode == 1
    found = json.loads(verified.stdout)
    assert found["differences"] == {"stale": 1, "missing": 1, "orphaned": 1}
    index.refresh(corpus, load_config(None), idx)
    again = clipqa("index", "verify", corpus, "--isolated")
    assert again.returncode == 0, again.stdout + again.stderr


def test_the_counts_kept_are_the_rows(corpus: Path, tmp_path: Path) -> None:
    """The store keeps its file counts beside the checks' sums (a gate reads them instead of
    counting a million rows): equal to the rows after a build and after adds, edits and
    removals, and a count that drifts is a difference ``verify`` reports."""
    idx = tmp_path / "idx.sqlite"
    cfg = load_config(None)
    index.build(corpus, cfg, idx)
    files = sorted(corpus.iterdir())
    files[0].unlink()
    files[1].write_text("---\ntitle: [unclosed\n---\n", encoding="utf-8")  # no usable front matter now
    shutil.copy(files[2], corpus / "copy.txt")
    index.refresh(corpus, cfg, idx)

    def kept_and_counted() -> tuple[tuple[int, int], tuple[int, int]]:
        store = index.open_store(idx, readonly=True)
        try:
            counted = store.db.execute("SELECT COUNT(*), SUM(usable) FROM files").fetchone()
            return store.counts(), (int(counted[0]), int(counted[1]))
        finally:
            store.close()

    kept, counted = kept_and_counted()
    assert kept == counted and counted[0] == len(files) and counted[1] < counted[0]
    assert index.verify(corpus, cfg, idx).ok
    with sqlite3.connect(idx) as db:
        db.execute("UPDATE sums SET value = value + 1 WHERE check_name = '' AND name = 'files'")
    assert kept_and_counted()[0][0] == counted[0] + 1
    assert any("files" in d for d in index.verify(corpus, cfg, idx).differences.get("sums", []))


@pytest.mark.parametrize(
    ("sql", "kind"),
    [
        (
            "UPDATE contents SET facts = X'7B7D' WHERE id = (SELECT MIN(id) FROM contents WHERE facts != X'7B7D')",
            "rows",
        ),
        ("DELETE FROM keys WHERE k = (SELECT MIN(k) FROM keys)", "key table"),
        ("UPDATE sums SET value = value + 1", "sums"),
        (
            "UPDATE contents SET findings = X'5B5D' "
            "WHERE id = (SELECT MIN(id) FROM contents WHERE findings != X'5B5D')",
            "findings",
        ),
    ],
)
def test_verify_finds_a_tampered_index(corpus: Path, tmp_path: Path, sql: str, kind: str) -> None:
    idx = tmp_path / "idx.sqlite"
    index.build(corpus, load_config(None), idx)
    with sqlite3.connect(idx) as db:
        db.execute(sql)
    found = index.verify(corpus, load_config(None), idx)
    assert not found.ok and found.differences.get(kind), found.differences
    out = clipqa("index", "verify", corpus, "--index", idx, "--isolated")
    assert out.returncode == 1 and kind in out.stdout


def test_export_parquet_is_the_tables_of_a_full_run(corpus: Path, tmp_path: Path) -> None:
    """The exported tables, read back, are a full run's tables: the corpus checks over them
    find what the full run found."""
    cfg = load_config(None)
    idx = tmp_path / "idx.sqlite"
    index.build(corpus, cfg, idx)
    out = clipqa("index", "export", corpus, "--index", idx, "--parquet", tmp_path / "pq", "--isolated")
    assert out.returncode == 0, out.stderr
    names = {p.name for p in (tmp_path / "pq").iterdir()}
    assert {"files.parquet", "clippings.parquet", "related.parquet", "images.parquet", "index.parquet",
            "findings.parquet", "keys.parquet"} <= names  # fmt: skip
    full = run([str(corpus)], cfg)
    tables = {n: index.read_parquet(tmp_path / "pq", n) for n in full.tables}
    for name, df in full.tables.items():
        assert list(tables[name].columns) == list(df.columns)
        assert len(tables[name]) == len(df)
    got = corpus_stage(tables, cfg, run_context(cfg, [str(corpus)]))
    want = corpus_stage(full.tables, cfg, run_context(cfg, [str(corpus)]))
    key = lambda f: (f.path, f.rule, f.field or "", f.message, f.related)  # noqa: E731
    assert sorted(map(key, got)) == sorted(map(key, want))
    # and the per-file stage's findings: every finding of the run but the corpus checks'
    exported = index.read_parquet(tmp_path / "pq", "findings")
    per_file = Counter((f.path, f.rule) for f in full.findings) - Counter((f.path, f.rule) for f in want)
    assert Counter(zip(exported["_path"], exported["rule"], strict=True)) == per_file


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_check_changed_since_uses_the_index(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    root = repo / "corpus"
    generate(root, 40, seed=6, glitch_rate=0.2)
    git("init", "-q", cwd=repo)
    git("add", "-A", cwd=repo)
    git("commit", "-qm", "corpus", cwd=repo)
    names = sorted(p.name for p in root.iterdir())
    (root / names[3]).write_bytes((root / names[4]).read_bytes())  # now a copy of another file (D103)
    (root / "new.txt").write_bytes(render(5, 40, 6, None))  # new, untracked: the story of 000005 again
    base = ["check", "corpus", "--changed-since", "HEAD", "--isolated", "--no-reports", "--format", "sarif"]
    without = clipqa(*base, "--no-index", cwd=repo)
    assert not (repo / ".corpus.clipqa-index.sqlite").exists()  # none asked for: none made
    first = clipqa(*base, "--index", repo / "idx.sqlite", cwd=repo)  # built on first use
    again = clipqa(*base, "--index", repo / "idx.sqlite", cwd=repo)
    assert without.returncode == first.returncode == again.returncode == 1

    def results(out: subprocess.CompletedProcess[str]) -> list[Any]:
        return sorted(json.dumps(r, sort_keys=True) for r in json.loads(out.stdout)["runs"][0]["results"])

    assert results(first) == results(without) == results(again)
    rules = {r["ruleId"] for r in json.loads(again.stdout)["runs"][0]["results"]}
    assert "D103" in rules  # both the copy and the new file are copies of corpus files


def test_a_folder_where_the_index_belongs(corpus: Path, tmp_path: Path) -> None:
    (tmp_path / "idx").mkdir()
    out = clipqa("index", "build", corpus, "--index", tmp_path / "idx", "--isolated")
    assert out.returncode == 2 and "idx" in out.stderr and "Traceback" not in out.stderr


def test_a_damaged_index_is_rebuilt(corpus: Path, tmp_path: Path) -> None:
    cfg = load_config(None)
    idx = tmp_path / "idx.sqlite"
    idx.write_bytes(b"not a database at all" * 100)
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    (incoming / "copy.txt").write_bytes(next(iter(sorted(corpus.iterdir()))).read_bytes())
    batch = batch_of(incoming, cfg)
    result = index.gate_batch(batch, corpus, cfg, idx)
    assert result.mode == "index" and "unreadable" in result.reason
    assert dicts(result.findings) == full_run(corpus, batch, cfg)
    assert index.verify(corpus, cfg, idx).ok


@pytest.mark.parametrize("place", ["read-only folder", "under a file"])
def test_an_index_that_cannot_be_written_steps_aside(corpus: Path, tmp_path: Path, place: str) -> None:
    """The gate is never wrong because of its index: where the index cannot be written, the
    batch gets a full run (and says why)."""
    cfg = load_config(None)
    if place == "read-only folder":
        if os.geteuid() == 0:
            pytest.skip("root writes anywhere")
        folder = tmp_path / "ro"
        folder.mkdir()
        idx = folder / "idx.sqlite"
        index.build(corpus, cfg, idx)
        (corpus / "new.txt").write_bytes(render(1, 60, 4, None))  # a change to write down
        folder.chmod(0o500)
        idx.chmod(0o400)
    else:
        (tmp_path / "a-file").write_text("x")
        idx = tmp_path / "a-file" / "idx.sqlite"
    try:
        incoming = tmp_path / "incoming"
        incoming.mkdir()
        (incoming / "b.txt").write_bytes(render(2, 60, 4, None))
        batch = batch_of(incoming, cfg)
        result = index.gate_batch(batch, corpus, cfg, idx)
        assert result.mode == "full" and "could not be used" in result.reason
        assert dicts(result.findings) == full_run(corpus, batch, cfg)
    finally:
        if place == "read-only folder":
            idx.parent.chmod(0o700)
            idx.chmod(0o600)


def test_odd_file_names(tmp_path: Path) -> None:
    """Names that are not UTF-8 (kept as the OS gives them), 255 bytes long, and symbolic links."""
    cfg = load_config(None)
    corpus = tmp_path / "corpus"
    generate(corpus, 12, seed=9)
    files = sorted(corpus.iterdir())
    os.rename(files[0], os.fsencode(corpus) + b"/caf\xe9-" + files[0].name.encode())
    os.rename(files[1], corpus / ("x" * 251 + ".txt"))
    (corpus / "link.txt").symlink_to(files[2])
    (corpus / "sub").mkdir()
    (corpus / "sub" / "deep.txt").write_bytes(files[3].read_bytes())
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    (incoming / "y.txt").write_bytes(files[2].read_bytes())
    idx = tmp_path / "idx.sqlite"
    index.build(corpus, cfg, idx)
    batch = batch_of(incoming, cfg)
    assert dicts(index.gate_batch(batch, corpus, cfg, idx).findings) == full_run(corpus, batch, cfg)
    assert index.verify(corpus, cfg, idx).ok
    assert (
        len(discover([corpus]).sources) == index.status(corpus, cfg, idx).fresh + index.status(corpus, cfg, idx).stale
    )


def test_index_path_from_the_configuration(corpus: Path, tmp_path: Path) -> None:
    (tmp_path / "clipqa.toml").write_text('index = "state/corpus.sqlite"\n')
    out = clipqa("index", "build", corpus, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "state" / "corpus.sqlite").is_file()  # relative to the configuration file


def test_import_dry_run_with_and_without_the_index(corpus: Path, tmp_path: Path) -> None:
    """``clipqa import --dry-run`` through the index (built by this first import) and with
    ``--no-index`` (a full run): the same manifest; the manifest says how it was checked."""
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    (incoming / "again.txt").write_bytes(next(iter(sorted(corpus.iterdir()))).read_bytes())
    (incoming / "fine.txt").write_bytes(render(500, 60, 4, None))
    idx = tmp_path / "idx.sqlite"
    gate = ("import", incoming, "--into", corpus, "--dry-run", "--isolated")
    first = clipqa(*gate, "--index", idx)
    indexed = clipqa(*gate, "--index", idx)
    full = clipqa(*gate, "--no-index")
    a, b, c = (json.loads(r.stdout) for r in (first, indexed, full))
    assert a["checked_by"]["mode"] == "index" and a["checked_by"]["reason"].startswith("index rebuilt")
    assert indexed.returncode == full.returncode == 1 and idx.is_file()
    assert (b["checked_by"]["mode"], b["checked_by"]["reason"], b["checked_by"]["refreshed"]) == ("index", "", 0)
    assert 0 < b["checked_by"]["closure"]["duplicate"] < 60  # the corpus files the batch can relate to
    assert c["checked_by"] == {"mode": "full", "reason": "--no-index"}

    def verdicts(doc: dict[str, Any]) -> dict[str, Any]:  # not how it was checked, nor the quarantine's time stamp
        return {k: v for k, v in doc.items() if k not in ("checked_by", "quarantine")}

    assert verdicts(a) == verdicts(b) == verdicts(c)
    assert "D103" in next(r["rules"] for r in b["rejected"] if r["name"] == "again.txt")
    assert clipqa(*gate, "--no-index", "--index", idx).returncode == 2  # one or the other


def test_a_corpus_that_does_not_exist_yet(tmp_path: Path) -> None:
    """The first import into a corpus that does not exist: no index is made, nothing is
    written, the batch is checked on its own."""
    cfg = load_config(None)
    incoming = tmp_path / "incoming"
    generate(incoming, 3, seed=2)
    batch = batch_of(incoming, cfg)
    result = index.gate_batch(batch, tmp_path / "new" / "corpus", cfg)
    assert result.mode == "full" and not (tmp_path / "new").exists()
    assert dicts(result.findings) == full_run(tmp_path / "none", batch, cfg)


def test_the_hostile_corpus_through_the_index(tmp_path: Path) -> None:
    """The hostile corpus (tests/hostile_cases.py: alias bombs, deep nesting, huge values,
    odd encodings, special files) indexed, and a batch gated against it: a full run's findings."""
    from tests.hostile_cases import build as hostile

    cfg = load_config(None)
    hostile(tmp_path / "corpus", special_files=False)
    age(tmp_path / "corpus")  # stats the index trusts (a file without a content hash is vouched for by its stat)
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    (incoming / "good-again.txt").write_bytes((tmp_path / "corpus" / "good.txt").read_bytes())
    (incoming / "other.txt").write_bytes(render(3, 10, 1, None))
    idx = tmp_path / "idx.sqlite"
    index.build(tmp_path / "corpus", cfg, idx)
    batch = batch_of(incoming, cfg)
    result = index.gate_batch(batch, tmp_path / "corpus", cfg, idx)
    assert result.mode == "index", result.reason
    assert dicts(result.findings) == full_run(tmp_path / "corpus", batch, cfg)
    assert any(f.rule == "D103" for f in result.findings)
    assert index.verify(tmp_path / "corpus", cfg, idx).ok


def test_which_files_belong_to_an_index(tmp_path: Path) -> None:
    """One rule (qa.index.is_index_file) says which files are an index's: compared as strings,
    so that a name with glob characters is no pattern, and another index's files are not its."""
    from qa.atomic import temp_name

    name = ".news[1]*.clipqa-index.sqlite"
    temp = temp_name(name, "4242")
    ours = [name, f"{name}-wal", f"{name}-shm", f"{name}-journal", f"{name}.lock", temp, f"{temp}-wal", f"{temp}-shm",
            f"{name}.watch.sqlite", f"{name}.watch.sqlite-wal", f"{name}.watch.lock",
            ".clipqa-watch-cookie-42-17"]  # the change feed's (clipqa index watch)  # fmt: skip
    theirs = [".news1x.clipqa-index.sqlite", f"{name}.bak", f"{name}.lock-wal", f"x{name}", "news.txt",
              temp_name(".news1x.clipqa-index.sqlite", "4242"), temp_name(name, "a.b"),
              ".news1x.clipqa-index.sqlite.watch.sqlite", f"{name}.watch.lock-wal"]  # fmt: skip
    assert [n for n in ours if not index.is_index_file(n, name)] == []
    assert [n for n in theirs if index.is_index_file(n, name)] == []
    # by real path: the index's folder reached through a symbolic link is the same folder
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    test = index.index_files(tmp_path / "link" / name)
    assert test(str(tmp_path / "real" / f"{name}-wal")) and not test(str(tmp_path / f"{name}-wal"))


def test_a_corpus_whose_files_have_no_join_keys(tmp_path: Path) -> None:
    """Files that give no join key at all (too large to read: no hash, no rows) in a batch of
    their own: the build wrote an empty batch of key rows, and crashed (IndexError) on it."""
    corpus = tmp_path / "big"
    corpus.mkdir()
    for i in range(3):
        (corpus / f"big{i}.txt").write_text("a" * 3000)
    built = clipqa("index", "build", corpus, "--isolated", "--max-file-size", "1000", "--index", tmp_path / "i.sqlite")
    assert built.returncode == 0 and "Indexed 3 file(s)" in built.stdout, built.stdout + built.stderr
    with sqlite3.connect(tmp_path / "i.sqlite") as db:
        assert db.execute("SELECT count(*) FROM files").fetchone() == (3,)
        assert db.execute("SELECT count(*) FROM keys").fetchone() == (0,)


def test_the_files_of_an_index_inside_the_corpus_are_left_out(tmp_path: Path) -> None:
    """qa.index.own_file_patterns: exclude patterns that leave out exactly the files
    is_index_file calls the index's (a name with glob characters is no pattern), in the
    index's folder only; none when the index is outside the corpus."""
    from qa.atomic import temp_name
    from qa.corpus import selected

    name = ".news[1]*.clipqa-index.sqlite"
    temp = temp_name(name, "4242")
    ours = [name, f"{name}-wal", f"{name}-shm", f"{name}-journal", f"{name}.lock", temp, f"{temp}-wal", f"{temp}-shm",
            f"{name}.watch.sqlite", f"{name}.watch.sqlite-wal", f"{name}.watch.lock",
            ".clipqa-watch-cookie-42-17"]  # fmt: skip
    theirs = [".news1x.clipqa-index.sqlite", f"{name}.bak", f"{name}.lock-wal", f"x{name}", "news.txt",
              temp_name(".news1x.clipqa-index.sqlite", "4242"), ".news1x.clipqa-index.sqlite.watch.sqlite",
              f"{name}.watch.lock-wal"]  # fmt: skip
    corpus = tmp_path / "news"
    (corpus / "state").mkdir(parents=True)
    for folder, at in ((corpus / "state", "state/"), (corpus, "")):
        patterns = index.own_file_patterns(corpus, folder / name)
        assert [n for n in ours if index.is_index_file(n, name) and selected(at + n, ["*"], patterns)] == []
        assert [n for n in theirs if not selected(at + n, ["*"], patterns)] == []
        assert selected("other/" + name, ["*"], patterns) == (at != "")  # a name at the root is a name anywhere
    assert index.own_file_patterns(corpus, tmp_path / name) == []  # beside the corpus (the default place)
    assert index.own_file_patterns(corpus, tmp_path / "newsroom" / name) == []  # a folder named alike
    (tmp_path / "link").symlink_to(corpus / "state")  # an index reached through a link into the corpus
    assert not selected("state/" + name, ["*"], index.own_file_patterns(corpus, tmp_path / "link" / name))


def test_an_index_kept_in_the_corpus_is_no_clipping(corpus: Path, tmp_path: Path) -> None:
    """With ``include = ["*"]`` and the index inside the corpus, build, status, the gate and
    check leave out the index's own files (its database, lock, SQLite's side files): before,
    the index was indexed as a binary clipping, status never said fresh, and the gate's
    corpus counted it."""
    (tmp_path / "clipqa.toml").write_text('include = ["*"]\nindex = "news/.state/corpus.sqlite"\n')
    built = clipqa("index", "build", corpus, cwd=tmp_path)
    assert built.returncode == 0 and "Indexed 60 file(s)" in built.stdout, built.stdout + built.stderr
    assert (corpus / ".state" / "corpus.sqlite").is_file()
    status = json.loads(clipqa("index", "status", corpus, "--format", "json", cwd=tmp_path).stdout)
    assert (status["files"], status["fresh"] + status["stale"], status["missing"], status["orphaned"]) == (60, 60, 0, 0)
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    (incoming / "again.txt").write_bytes(next(iter(sorted(corpus.glob("*.txt")))).read_bytes())
    (incoming / "fine.txt").write_bytes(render(500, 60, 4, None))
    gate = ("import", incoming, "--into", corpus, "--dry-run")
    indexed, full = clipqa(*gate, cwd=tmp_path), clipqa(*gate, "--no-index", cwd=tmp_path)
    a, b = json.loads(indexed.stdout), json.loads(full.stdout)
    assert (a["checked_by"]["mode"], a["checked_by"]["refreshed"]) == ("index", 0)
    assert {k: v for k, v in a.items() if k not in ("checked_by", "quarantine")} == {
        k: v for k, v in b.items() if k not in ("checked_by", "quarantine")
    }
    checked = clipqa("check", corpus, "--no-cache", "--json", tmp_path / "findings.json", "--no-progress", cwd=tmp_path)
    assert checked.returncode in (0, 1), checked.stderr
    paths = {f["path"] for f in json.loads((tmp_path / "findings.json").read_text())["findings"]}
    assert paths and not [p for p in paths if ".state" in p]


@pytest.mark.parametrize(
    "command",
    [
        ["check", "{corpus}", "--changed-since", "HEAD"],
        ["check", "{corpus}"],
        ["import", "{incoming}", "--into", "{corpus}", "--dry-run"],
    ],
)
def test_no_index_and_index_together_is_a_usage_error(corpus: Path, tmp_path: Path, command: list[str]) -> None:
    """``--no-index --index FILE`` says two contradicting things: exit 2 naming both flags, before
    anything is read or written (neither ignored in silence)."""
    (tmp_path / "incoming").mkdir()
    idx = tmp_path / "idx.sqlite"
    args = [a.format(corpus=corpus, incoming=tmp_path / "incoming") for a in command]
    before = sorted(os.listdir(tmp_path))
    for order in (["--no-index", "--index", str(idx)], ["--index", str(idx), "--no-index"]):
        out = clipqa(*args, *order, "--isolated", "--no-reports" if command[0] == "check" else "--no-cache")
        assert out.returncode == 2, (out.returncode, out.stderr)
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and "--no-index" in lines[0] and "--index" in lines[0].replace("--no-index", ""), lines
        assert "Traceback" not in out.stderr
    assert sorted(os.listdir(tmp_path)) == before and not idx.exists()


@pytest.mark.parametrize(
    ("command", "why"),
    [
        (["check", "{corpus}"], "--changed-since"),
        (["check", "{corpus}", "{corpus}/a.txt", "--changed-since", "HEAD"], "one corpus folder"),
        (["check", "{corpus}/a.txt", "--changed-since", "HEAD"], "one corpus folder"),
    ],
)
def test_check_refuses_an_index_it_would_not_use(corpus: Path, tmp_path: Path, command: list[str], why: str) -> None:
    """``check --index FILE`` where no index serves (no --changed-since, several paths, a file):
    exit 2 saying why, before anything is read or written; the flag is not ignored in silence."""
    (corpus / "a.txt").write_bytes(next(iter(sorted(corpus.iterdir()))).read_bytes())
    idx = tmp_path / "idx.sqlite"
    before = sorted(os.listdir(tmp_path))
    args = [a.format(corpus=corpus) for a in command]
    out = clipqa(*args, "--index", idx, "--isolated", "--no-reports")
    assert out.returncode == 2, (out.returncode, out.stderr)
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and f"--index {idx}" in lines[0] and why in lines[0], lines
    assert sorted(os.listdir(tmp_path)) == before and not idx.exists()
    # without the flag the refusal is gone (what is left, a corpus outside git for --changed-since, is another story)
    plain = clipqa(*args, "--isolated", "--no-reports")
    assert "--index" not in plain.stderr and "Traceback" not in plain.stderr, plain.stderr
    assert plain.returncode in ((0, 1) if "--changed-since" not in args else (0, 1, 2))


def test_a_corpus_reached_through_a_symbolic_link_has_one_index(corpus: Path, tmp_path: Path) -> None:
    """``live -> news`` (a link named otherwise than its target): every command finds the index
    of the folder the link leads to, ``.news.clipqa-index.sqlite`` beside it, as the import's
    journal and quarantine are placed; a build through the link serves an import through the
    target and the other way round, and no ``.live.clipqa-index.sqlite`` is made."""
    elsewhere = tmp_path / "links"
    elsewhere.mkdir()
    live = elsewhere / "live"
    live.symlink_to(corpus)
    idx = tmp_path / ".news.clipqa-index.sqlite"
    assert index.index_path(live, load_config(None)) == index.index_path(corpus, load_config(None)) == idx
    built = clipqa("index", "build", live, "--isolated")
    assert built.returncode == 0 and idx.is_file() and str(idx) in built.stdout, built.stderr
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    (incoming / "again.txt").write_bytes(next(iter(sorted(corpus.iterdir()))).read_bytes())
    for into in (live, corpus):
        out = clipqa("import", incoming, "--into", into, "--dry-run", "--isolated")
        doc = json.loads(out.stdout)
        assert (doc["checked_by"]["mode"], doc["checked_by"]["reason"]) == ("index", ""), doc["checked_by"]
        assert "D103" in doc["rejected"][0]["rules"]
    for name in (live, corpus):
        status = json.loads(clipqa("index", "status", name, "--isolated", "--format", "json").stdout)
        assert (status["path"], status["state"], status["fresh"] + status["stale"]) == (str(idx), "ok", 60)
    assert not [p for p in [*elsewhere.iterdir(), *tmp_path.iterdir()] if ".live." in p.name]


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_check_changed_since_with_an_index_that_cannot_be_used(tmp_path: Path) -> None:
    """``check --changed-since`` meets the index's errors as the ``index`` commands do (one
    conversion, qa.cli.index_errors): a lock file that cannot be opened (a folder in its
    place) is exit 2, one line naming it, no traceback; the same line as ``index build`` gives."""
    repo = tmp_path / "repo"
    generate(repo / "corpus", 5, seed=6)
    git("init", "-q", cwd=repo)
    git("add", "-A", cwd=repo)
    git("commit", "-qm", "corpus", cwd=repo)
    (repo / "corpus" / "new.txt").write_bytes(render(5, 5, 6, None))
    (repo / "idx.sqlite.lock").mkdir()
    args = ("--index", "idx.sqlite", "--isolated")
    out = clipqa("check", "corpus", "--changed-since", "HEAD", *args, "--no-reports", cwd=repo)
    status = clipqa("index", "build", "corpus", *args, cwd=repo)
    assert out.returncode == status.returncode == 2, out.stderr
    assert out.stderr.strip().splitlines() == status.stderr.strip().splitlines(), (out.stderr, status.stderr)
    assert len(out.stderr.strip().splitlines()) == 1 and "idx.sqlite.lock" in out.stderr, out.stderr
    assert "Traceback" not in out.stderr
