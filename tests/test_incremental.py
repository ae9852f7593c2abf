"""The content-hash result cache and ``--changed-since``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import qa.checks
from qa.checks import Check, Context
from qa.config import load_config
from qa.findings import Finding, rule
from qa.pipeline import RunResult, run
from qa.stage import Stage

REPO = Path(__file__).resolve().parents[1]


def clip(i: int, title: str | None = None) -> str:
    return (
        "---\n"
        f'title: "{title or f"Story {i}"}"\n'
        f'excerpt: "Excerpt {i}."\n'
        "publishedDateTime: 2021-12-28T23:15:00Z\n"
        f'webUrl: "https://example.org/{i}"\n'
        "published: false\n"
        "provider:\n  name: Example\n  domain: example.org\n"
        "topics:\n  - AI\n  - Chips\n"
        "images:\n"
        f'  - url: "https://example.org/{i}.jpg"\n    width: 640\n    height: 480\n'
        "---\n"
        f"Body {i}.\n"
    )


def make_corpus(root: Path, n: int = 12) -> Path:
    root.mkdir(parents=True)
    for i in range(n):
        (root / f"c{i:02d}.txt").write_text(clip(i))
    (root / "broken.txt").write_text("---\ntitle: never closed\n")
    (root / "wrongtype.txt").write_text(clip(99).replace("width: 640", "width: wide"))
    return root


def canon(result: RunResult) -> tuple[list[dict[str, object]], dict[str, pd.DataFrame]]:
    findings = [f.to_dict() for f in result.findings]
    tables = {
        name: df.sort_values(["_record", *(["_field"] if "_field" in df else [])]).reset_index(drop=True)
        for name, df in result.tables.items()
    }
    return findings, tables


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Paths each per-record check pass ran on. Small corpora normally run in one forked child
    (crash isolation); here they run in the test process, so the spy sees them."""
    import qa.engine.local

    monkeypatch.setattr(qa.engine.local, "ISOLATE", False)
    seen: list[str] = []
    original = Stage.check_records

    def spy(self: Stage, records: list[Any], *args: Any) -> None:
        seen.extend(rec.path for rec in records)
        original(self, records, *args)

    monkeypatch.setattr(Stage, "check_records", spy)
    return seen


def test_cache_serves_unchanged_files_with_identical_results(tmp_path: Path, counted: list[str]) -> None:
    root = make_corpus(tmp_path / "corpus")
    cache = str(tmp_path / "cache")
    cfg = load_config(None)
    cold = run([str(root)], cfg, cache_dir=cache)
    assert cold.cache_hits == 0 and len(counted) == cold.files
    counted.clear()
    warm = run([str(root)], cfg, cache_dir=cache)
    assert warm.cache_hits == warm.files and counted == []
    cold_f, cold_t = canon(cold)
    warm_f, warm_t = canon(warm)
    assert warm_f == cold_f
    assert cold_t.keys() == warm_t.keys()
    for name in cold_t:
        pd.testing.assert_frame_equal(warm_t[name], cold_t[name], check_dtype=False)
    assert any(f["rule"] == "P103" for f in warm_f) and any(f["path"] == "wrongtype.txt" for f in warm_f)


def test_changed_file_is_rechecked_and_config_change_misses(tmp_path: Path, counted: list[str]) -> None:
    root = make_corpus(tmp_path / "corpus")
    cache = str(tmp_path / "cache")
    cfg = load_config(None)
    run([str(root)], cfg, cache_dir=cache)
    (root / "c03.txt").write_text("---\ntitle: now broken\n")
    counted.clear()
    again = run([str(root)], cfg, cache_dir=cache)
    assert counted == ["c03.txt"] and again.cache_hits == again.files - 1
    assert any(f.path == "c03.txt" and f.rule == "P103" for f in again.findings)
    fresh = run([str(root)], cfg)  # no cache at all: the same answer
    assert canon(again)[0] == canon(fresh)[0]
    # Another configuration (here: the file size limit) must not reuse entries.
    other = load_config(None, {"max-file-size": 4096})
    counted.clear()
    third = run([str(root)], other, cache_dir=cache)
    assert third.cache_hits == 0 and len(counted) == third.files


def test_cache_with_worker_processes_matches_a_fresh_run(tmp_path: Path) -> None:
    root = make_corpus(tmp_path / "corpus", n=330)  # over the in-process threshold: a process pool
    for i in range(0, 330, 11):
        (root / f"c{i:02d}.txt").write_text(clip(i).replace("width: 640", "width: -3"))
    cfg = load_config(None, {"jobs": 2})
    cache = str(tmp_path / "cache")
    fresh = run([str(root)], cfg)
    cold = run([str(root)], cfg, cache_dir=cache)
    for i in range(5, 330, 50):
        (root / f"c{i:02d}.txt").write_text("---\ntitle: [\n---\n")
    warm = run([str(root)], cfg, cache_dir=cache)
    again_fresh = run([str(root)], cfg)
    assert canon(cold)[0] == canon(fresh)[0]
    assert warm.cache_hits == warm.files - 7
    warm_f, warm_t = canon(warm)
    ref_f, ref_t = canon(again_fresh)
    assert warm_f == ref_f
    for name in ref_t:
        pd.testing.assert_frame_equal(warm_t[name], ref_t[name], check_dtype=False)


def test_damaged_cache_is_ignored(tmp_path: Path) -> None:
    root = make_corpus(tmp_path / "corpus")
    cache = tmp_path / "cache"
    cfg = load_config(None)
    first = run([str(root)], cfg, cache_dir=str(cache))
    (snapshot,) = sorted((cache / "results").glob("snapshot-*.pkl"))
    snapshot.write_bytes(snapshot.read_bytes()[:100])  # truncated
    again = run([str(root)], cfg, cache_dir=str(cache))
    assert again.cache_hits == 0
    assert canon(again)[0] == canon(first)[0]
    third = run([str(root)], cfg, cache_dir=str(cache))  # the run rewrote it
    assert third.cache_hits == first.files


def test_removed_and_added_files(tmp_path: Path) -> None:
    root = make_corpus(tmp_path / "corpus")
    cache = str(tmp_path / "cache")
    cfg = load_config(None)
    run([str(root)], cfg, cache_dir=cache)
    (root / "broken.txt").unlink()
    (root / "added.txt").write_text("no front matter\n")
    again = run([str(root)], cfg, cache_dir=cache)
    fresh = run([str(root)], cfg)
    assert again.cache_hits == again.files - 1
    assert canon(again)[0] == canon(fresh)[0]
    assert "broken.txt" not in set(again.tables["files"]["_path"])
    assert list(again.tables["files"]["_record"]) == list(range(again.files))


# ---------------------------------------------------------------- a corpus-level check sees every file

D990 = rule("D990", "test-same-title", "duplicate", "error", "Test only: two clippings share a title.")
seen_rows: list[int] = []


def _same_title(tables: qa.checks.Tables, ctx: Context) -> Iterator[Finding]:
    clippings = tables["clippings"]
    seen_rows.append(len(clippings))
    for _title, group in clippings.groupby("title"):
        paths = sorted(group["_path"])
        for p in paths[1:]:
            yield D990.finding(p, f"same title as {paths[0]}", field="title", related=[paths[0]])


@pytest.fixture
def title_check(monkeypatch: pytest.MonkeyPatch) -> Iterable[None]:
    checks = dict(qa.checks.all_checks())
    checks["test_same_title"] = Check("duplicate", (D990,), corpus=_same_title)
    monkeypatch.setattr(qa.checks, "_CHECKS", checks)
    seen_rows.clear()
    yield


def git(*args: str, cwd: Path) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@e"}  # fmt: skip
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_changed_since_limits_per_file_findings_not_corpus_view(tmp_path: Path, title_check: None) -> None:
    from qa.corpus import discover
    from qa.incremental import changed_sources

    repo = tmp_path / "repo"
    root = make_corpus(repo / "corpus")
    (root / "c05.txt").write_text(clip(5, title="Shared title"))
    git("init", "-q", cwd=repo)
    git("add", "-A", cwd=repo)
    git("commit", "-qm", "corpus", cwd=repo)
    # Changed since HEAD: one edited file (now sharing c05's title) and one new, untracked file.
    (root / "c07.txt").write_text(clip(7, title="Shared title"))
    (root / "new.txt").write_text("---\ntitle: unclosed\n")
    found = discover([root])
    only = changed_sources("HEAD", found.sources, root)
    assert only == {"c07.txt", "new.txt"}
    cfg = load_config(None)
    result = run([str(root)], cfg, discovery=found, cache_dir=str(tmp_path / "cache"), only=only)
    assert seen_rows == [len(found.sources) - 2]  # every usable clipping reached the corpus check
    paths = {f.path for f in result.findings}
    assert paths <= {"c07.txt", "new.txt"}  # broken.txt / wrongtype.txt are unchanged: not reported
    same = [f for f in result.findings if f.rule == "D990"]
    assert [(f.path, f.related) for f in same] == [("c07.txt", ("c05.txt",))]
    assert any(f.path == "new.txt" and f.rule == "P103" for f in result.findings)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_changed_since_cli(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    root = make_corpus(repo / "corpus")
    git("init", "-q", cwd=repo)
    git("add", "-A", cwd=repo)
    git("commit", "-qm", "corpus", cwd=repo)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-m", "qa", "check", "corpus", "--no-reports", "--changed-since", "HEAD"]
    proc = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr  # broken.txt is old news
    (root / "c01.txt").write_text("---\ntitle: x\n")
    proc = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 1 and "c01.txt:1:1: P103" in proc.stdout and "broken.txt" not in proc.stdout
    assert (repo / ".clipqa-cache" / "results").is_dir()
    bad = [*cmd[:-1], "no-such-ref"]
    proc = subprocess.run(bad, cwd=repo, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 2 and "--changed-since no-such-ref" in proc.stderr
