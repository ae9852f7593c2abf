"""``clipqa fix`` on corpora: the promises of docs/fix.md, each tried against real files.

The example corpus and the seeds (fix, then check: the fixed rules are gone, nothing is
new, no other file is touched, a second run changes nothing), ``--diff`` through a real
``git apply``, a real SIGKILL in the middle of the writes, symbolic links that lead out,
FIFOs, hard links, and the JSON contract of fixes validated against its schema.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.test_cli import clipqa, validate_json

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples" / "corpus"


def snapshot(root: Path) -> dict[str, tuple[bytes, int, int]]:
    """Every file under root: bytes, mtime (ns) and mode."""
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            st = path.stat()
            out[path.relative_to(root).as_posix()] = (path.read_bytes(), st.st_mtime_ns, st.st_mode)
    return out


def check_json(root: Path, tmp: Path, name: str, *paths: str) -> dict:
    out = tmp / f"{name}.json"
    proc = clipqa(
        "check", *paths, "--isolated", "--no-cache", "--json", str(out), "--html", str(tmp / f"{name}.html"), cwd=root
    )
    assert proc.returncode in (0, 1), proc.stderr
    return validate_json(out)


def keyed(doc: dict) -> Counter[tuple[str, str, str | None]]:
    return Counter((f["path"], f["rule"], f["field"]) for f in doc["findings"])


@pytest.mark.parametrize("unsafe", [False, True], ids=["safe", "unsafe"])
def test_examples_and_seeds_fix_then_check(seeds_dir: Path, tmp_path: Path, unsafe: bool) -> None:
    root = tmp_path / "work"
    shutil.copytree(EXAMPLES, root / "examples")
    shutil.copytree(seeds_dir, root / "seeds")
    before = check_json(root, tmp_path, "before", "examples", "seeds")
    wanted = ("safe", "unsafe") if unsafe else ("safe",)
    fixable = {f["path"] for f in before["findings"] if f["fix"] and f["fix"]["applicability"] in wanted}
    fixed = {
        (f["path"], f["rule"], f["field"])
        for f in before["findings"]
        if f["fix"] and f["fix"]["applicability"] in wanted
    }
    assert fixable and before["summary"]["fixable"]["safe"] > 0
    files_before = snapshot(root)
    proc = clipqa(
        "fix", "examples", "seeds", "--isolated", "--no-cache", *(["--unsafe-fixes"] if unsafe else []), cwd=root
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr  # the examples keep unfixable errors
    assert "Traceback" not in proc.stderr and "not applied" not in proc.stdout
    after = check_json(root, tmp_path, "after", "examples", "seeds")
    # no finding of a rule whose fix was applied is left on its field (the same rule may stay on
    # another field, with no fix: S102 on quality: 'high' beside a fixed S102 on isCached)
    assert not set(keyed(after)) & fixed
    assert not [f for f in after["findings"] if f["fix"] and f["fix"]["applicability"] in wanted]
    # no new finding (by file, rule and field)
    assert keyed(after) - keyed(before) == Counter()
    # no file without a fixable finding touched; the others changed
    files_after = snapshot(root)
    changed = {name.split("/", 1)[1] for name in files_after if files_after[name] != files_before[name]}
    assert changed == fixable
    assert set(files_after) == set(files_before)  # nothing added, nothing removed (no temporary file left)
    # a second run changes nothing
    again = clipqa(
        "fix", "examples", "seeds", "--isolated", "--no-cache", *(["--unsafe-fixes"] if unsafe else []), cwd=root
    )
    assert "Fixed 0 finding(s)" in again.stdout and snapshot(root) == files_after


def test_fixes_in_the_json_validate_against_the_schema(tmp_path: Path) -> None:
    root = tmp_path / "c"
    root.mkdir()
    (root / "bom.txt").write_bytes(b"\xef\xbb\xbf---\ntitle: Bom\n---\nBody.\n")
    (root / "cr.txt").write_bytes(b"---\rtitle: Cr\r---\rBody.\r")
    (root / "key.txt").write_text("---\ntitle: Key\npublishedDatetime: 2021-12-28T23:15:00Z\n---\n", encoding="utf-8")
    (root / "val.txt").write_text("---\ntitle: Caf\u00c3\u00a9\npublished: yes\n---\n", encoding="utf-8")
    doc = check_json(root, tmp_path, "doc", ".")
    assert doc["schema_version"] == 2
    targets = {e["target"] for f in doc["findings"] if f["fix"] for e in f["fix"]["edits"]}
    assert targets == {"bytes", "key", "text", "value"}
    by = {(f["path"], f["rule"]): f["fix"] for f in doc["findings"] if f["fix"]}
    assert by["bom.txt", "E102"]["edits"] == [{"target": "bytes", "field": None, "start": 0, "end": 3, "content": ""}]
    assert by["key.txt", "S109"]["applicability"] == "unsafe"
    assert by["key.txt", "S109"]["edits"][0] == {
        "target": "key",
        "field": "publishedDatetime",
        "start": None,
        "end": None,
        "content": "publishedDateTime",
    }
    assert doc["summary"]["fixable"]["safe"] == sum(
        1 for f in doc["findings"] if f["fix"] and f["fix"]["applicability"] == "safe"
    )
    # SARIF keeps the fix in the result's properties and the applicability in the rule's
    sarif = tmp_path / "r.sarif"
    clipqa("check", ".", "--isolated", "--no-reports", "--sarif", str(sarif), cwd=root)
    run = json.loads(sarif.read_text(encoding="utf-8"))["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert rules["E102"]["properties"]["fixApplicability"] == "safe"
    assert any(r["properties"].get("fix", {}).get("applicability") == "safe" for r in run["results"])


# ---------------------------------------------------------------- --diff and git apply


def tricky_corpus(root: Path) -> None:
    (root / "sub dir").mkdir(parents=True)
    (root / "crlf.txt").write_bytes(
        b'---\r\ntitle: "Caf\xc3\x83\xc2\xa9"\r\npublished: yes\r\n---\r\nBody &amp; more.\r\n'
    )
    (root / "bom.txt").write_bytes(b"\xef\xbb\xbf---\ntitle: Bom\n---\nBody.\n")
    (root / "no final newline.txt").write_bytes("---\ntitle: x\n---\nlast line 👩💻".encode())
    (root / "sub dir" / "cr.txt").write_bytes(b"---\rtitle: Cr\r---\rLine one.\rLine two.")
    (root / "clean.txt").write_bytes(b"---\ntitle: Clean\n---\nBody.\n")


def git(cwd: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *args], cwd=cwd, input=stdin, capture_output=True, check=False, timeout=60)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_diff_is_accepted_by_git_apply_and_equals_the_fix(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    tricky_corpus(repo / "corpus")
    assert git(repo, "init", "-q").returncode == 0
    before = snapshot(repo / "corpus")
    proc = subprocess.run(
        [sys.executable, "-m", "qa", "fix", "corpus", "--isolated", "--diff"],
        cwd=repo,
        capture_output=True,
        check=False,
        timeout=300,
    )
    assert proc.returncode == 1, proc.stderr.decode()  # required fields are missing: left, not fixable
    patch = proc.stdout
    assert snapshot(repo / "corpus") == before  # --diff writes nothing
    for name in ("crlf.txt", "bom.txt", "no final newline.txt", "sub dir/cr.txt"):
        assert f"--- a/corpus/{name}".encode() in patch
    assert b"clean.txt" not in patch
    check = git(repo, "apply", "--check", "-", stdin=patch)
    assert check.returncode == 0, check.stderr.decode()
    assert git(repo, "apply", "-", stdin=patch).returncode == 0
    # the same bytes as clipqa fix writes
    fixed = tmp_path / "fixed"
    tricky_corpus(fixed / "corpus")
    assert clipqa("fix", "corpus", "--isolated", cwd=fixed).returncode == 1
    assert {k: v[0] for k, v in snapshot(repo / "corpus").items()} == {
        k: v[0] for k, v in snapshot(fixed / "corpus").items()
    }
    assert (fixed / "corpus" / "crlf.txt").read_bytes() == (
        b'---\r\ntitle: "Caf\xc3\xa9"\r\npublished: true\r\n---\r\nBody & more.\r\n'
    )
    assert (fixed / "corpus" / "sub dir" / "cr.txt").read_bytes() == b"---\ntitle: Cr\n---\nLine one.\nLine two."


# ---------------------------------------------------------------- links, pipes, hard links


def test_symbolic_links_out_of_the_given_paths_are_never_written(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    target = outside / "victim.txt"
    target.write_text("---\ntitle: x\npublished: yes\n---\n", encoding="utf-8")
    (outside / "inner").mkdir()
    (outside / "inner" / "deep.txt").write_text("---\ntitle: y\npublished: yes\n---\n", encoding="utf-8")
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "link.txt").symlink_to(target)
    (root / "linked-dir").symlink_to(outside / "inner", target_is_directory=True)
    (root / "own.txt").write_text("---\ntitle: z\npublished: yes\n---\n", encoding="utf-8")
    (root / "alias.txt").symlink_to(root / "own.txt")  # inside: the file is fixed once, by its own name
    outside_before = snapshot(outside)
    proc = clipqa("fix", str(root), "--isolated", cwd=tmp_path)
    assert snapshot(outside) == outside_before
    assert "link.txt" in proc.stdout and "leads outside the paths given" in proc.stdout
    assert "linked-dir" in proc.stdout and "P116" in proc.stdout and "linked-dir/deep.txt" not in proc.stdout
    assert "published: true" in (root / "own.txt").read_text(encoding="utf-8")
    assert (root / "link.txt").is_symlink() and (root / "alias.txt").is_symlink()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_not_read_and_the_rest_is_fixed(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    root.mkdir()
    os.mkfifo(root / "pipe.txt")
    (root / "a.txt").write_text("---\ntitle: a\npublished: yes\n---\n", encoding="utf-8")
    proc = clipqa("fix", str(root), "--isolated", cwd=tmp_path)  # a read of the FIFO would block until the timeout
    assert "published: true" in (root / "a.txt").read_text(encoding="utf-8")
    assert "pipe.txt" in proc.stdout and "P120" in proc.stdout


def test_a_hard_linked_file_is_declined(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "a.txt").write_text("---\ntitle: a\npublished: yes\n---\n", encoding="utf-8")
    os.link(root / "a.txt", tmp_path / "other-name")
    proc = clipqa("fix", str(root), "--isolated", cwd=tmp_path)
    assert "hard links" in proc.stdout and "published: yes" in (root / "a.txt").read_text(encoding="utf-8")


# ---------------------------------------------------------------- a kill at any moment


def kill_corpus(root: Path, n: int) -> None:
    root.mkdir(parents=True)
    for i in range(n):
        (root / f"{i:04d}.txt").write_text(
            f'---\ntitle: "Caf\u00c3\u00a9 story {i}"\npublished: "false"\n---\nBody {i} &amp; more.\n',
            encoding="utf-8",
        )


def test_a_sigkill_at_any_moment_leaves_each_file_old_or_new(tmp_path: Path) -> None:
    """A real SIGKILL to the process group: once while it checks, twice as soon as its writes
    have begun (each file is fsynced and renamed in turn, so a kill lands between two).
    Every file is then the old bytes or the new, never a mix; the next run finishes."""
    n = 150
    command = ["fix", "--isolated", "--no-cache", "-q", "-j", "1"]
    reference = tmp_path / "reference"
    kill_corpus(reference, n)
    assert clipqa(*command, str(reference)).returncode == 1  # required fields are missing: left
    new = {p.name: p.read_bytes() for p in reference.iterdir()}
    old_dir = tmp_path / "old"
    kill_corpus(old_dir, n)
    old = {p.name: p.read_bytes() for p in old_dir.iterdir()}
    assert all(new[k] != old[k] for k in old)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    partial = 0
    for attempt, wait_for_write in enumerate((False, True, True)):
        root = tmp_path / f"run{attempt}"
        kill_corpus(root, n)
        proc = subprocess.Popen(
            [sys.executable, "-m", "qa", *command, str(root)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: the kill reaches any child too
        )
        started = time.monotonic()
        first = root / "0000.txt"
        while proc.poll() is None and time.monotonic() - started < 120:
            if wait_for_write and first.read_bytes() != old[first.name]:
                break
            if not wait_for_write and time.monotonic() - started > 1.0:
                break
            time.sleep(0.001)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        states: Counter[str] = Counter()
        for path in root.iterdir():
            if path.name.endswith(".clipqa-tmp"):
                continue  # the temporary file of a write that was cut: never a clipping (*.txt)
            body = path.read_bytes()
            assert body in (old[path.name], new[path.name]), path.name
            states["new" if body == new[path.name] else "old"] += 1
        assert sum(states.values()) == n
        partial += states["new"] > 0 and states["old"] > 0
        # the next run finishes the job
        assert clipqa(*command, str(root)).returncode == 1
        assert {p.name: p.read_bytes() for p in root.iterdir() if p.suffix == ".txt"} == new
    assert partial, "no kill landed between two writes: the test did not try the writes"
