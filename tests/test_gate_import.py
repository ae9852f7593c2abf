"""`clipqa import`: the batch is gated against the corpus, moved durably, and resumable after SIGKILL."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.atomic import TMP_MARK, is_temp_of, temp_prefix
from qa.config import load_config
from qa.corpus import shown
from qa.gate import ImportError_, dumps, free_quarantine_name, journal_path, move_file, run_import, sha256_file

REPO = Path(__file__).resolve().parents[1]

WORDS = [
    "market",
    "chip",
    "supply",
    "river",
    "budget",
    "council",
    "vaccine",
    "rocket",
    "harvest",
    "court",
    "senate",
    "election",
    "drought",
    "museum",
    "league",
    "merger",
    "tariff",
    "satellite",
    "glacier",
    "festival",
    "census",
    "pipeline",
    "reactor",
    "archive",
]


def clipping(i: int, rng: random.Random) -> str:
    body = " ".join(rng.choice(WORDS) for _ in range(80))
    return (
        "---\n"
        f'title: "Report number {i} on {rng.choice(WORDS)} {rng.randrange(10**9)}"\n'
        f'excerpt: "An excerpt about {rng.choice(WORDS)} and {rng.choice(WORDS)} ({i})."\n'
        f"publishedDateTime: 2021-12-{1 + i % 28:02d}T10:{i % 60:02d}:00Z\n"
        f'webUrl: "https://news{i}.example.org/story/{i}-{rng.randrange(10**9)}"\n'
        "type: article\n"
        "published: false\n"
        f"provider:\n  name: News {i}\n  domain: news{i}.example.org\n"
        "---\n"
        f"{body}\n"
    )


def broken(i: int) -> str:
    return f"---\ntitle: unterminated {i}\n"  # P103: front matter never closed


def make_batch(root: Path, n: int, seed: int) -> tuple[Path, Path, dict[str, bytes], dict[str, bytes]]:
    """A corpus with a few files, and a batch: good, broken, conflicting and already-imported files."""
    rng = random.Random(seed)
    corpus, incoming = root / "corpus", root / "incoming"
    corpus.mkdir(parents=True)
    (incoming / "sub").mkdir(parents=True)
    before: dict[str, bytes] = {}
    for i in range(5):
        data = clipping(10_000 + i, rng).encode()
        (corpus / f"old{i}.txt").write_bytes(data)
        before[f"old{i}.txt"] = data
    batch: dict[str, bytes] = {}
    for i in range(n):
        name = f"sub/c{i:04d}.txt" if i % 7 == 0 else f"c{i:04d}.txt"
        data = (broken(i) if i % 5 == 0 else clipping(i, rng)).encode()
        batch[name] = data
    batch["old0.txt"] = before["old0.txt"]  # already imported: same bytes
    batch["old1.txt"] = clipping(99_999, rng).encode()  # conflict: other bytes, same name
    for name, data in batch.items():
        (incoming / name).write_bytes(data)
    return corpus, incoming, batch, before


def import_cmd(incoming: Path, corpus: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "qa", "import", str(incoming), "--into", str(corpus), "--isolated", *extra]


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO)}


def files_under(folder: Path) -> dict[str, bytes]:
    if not folder.exists():
        return {}
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def assert_settled(root: Path, corpus: Path, incoming: Path, batch: dict[str, bytes], before: dict[str, bytes]) -> None:
    """Every input file is in exactly one of CORPUS or the quarantine, byte-identical; nothing else moved."""
    in_corpus = files_under(corpus)
    quarantines = [q for q in (root / "quarantine").glob("*")] if (root / "quarantine").exists() else []
    in_quarantine: dict[str, list[bytes]] = {}
    for q in quarantines:
        for name, data in files_under(q).items():
            if name.endswith(".findings.json") or name == "manifest.json":
                continue
            in_quarantine.setdefault(name, []).append(data)
    assert files_under(incoming) == {}, "files left behind in the incoming folder"
    assert not journal_path(corpus.resolve()).exists()
    leftovers = [p for p in root.rglob("*") if ".clipqa-tmp" in p.name]
    assert leftovers == []
    for name, data in before.items():
        assert in_corpus[name] == data, f"corpus file {name} changed"
    for name, data in batch.items():
        places = [d for d in in_quarantine.get(name, []) if d == data]
        if in_corpus.get(name) == data and (name not in before or before[name] == data):
            places.append(in_corpus[name])
        assert len(places) == 1, f"{name}: found {len(places)} byte-identical copies"
        # and never a truncated or foreign copy under the same name
        for d in in_quarantine.get(name, []):
            assert d == data
    for name in in_corpus:
        assert name in before or name in batch, f"unexpected file {name} in the corpus"
    for name, copies in in_quarantine.items():
        assert name in batch and len(copies) == 1


def test_import_moves_gates_and_explains(tmp_path: Path) -> None:
    corpus, incoming, batch, before = make_batch(tmp_path, 30, seed=1)
    cfg = load_config(None)
    out = run_import(incoming, corpus, cfg, quarantine=tmp_path / "quarantine" / "q1")
    assert_settled(tmp_path, corpus, incoming, batch, before)
    rejected = {r["name"]: r for r in out["rejected"]}
    broken_names = {n for n, d in batch.items() if d.startswith(b"---\ntitle: unterminated")}
    assert broken_names <= set(rejected)
    assert all(rejected[n]["rules"] == ["P103"] for n in broken_names)
    assert rejected["old1.txt"]["reason"] == "conflict"
    assert out["already_imported"] == ["old0.txt"]
    assert set(out["accepted"]) == set(batch) - broken_names - {"old0.txt", "old1.txt"}
    for name in out["accepted"]:
        assert (corpus / name).read_bytes() == batch[name]
    # Each rejected file has its findings beside it; the manifest is written.
    q = tmp_path / "quarantine" / "q1"
    side = json.loads((q / "sub" / "c0000.txt.findings.json").read_text())
    assert side["findings"][0]["rule"] == "P103" and side["findings"][0]["line"] == 1
    written = json.loads((q / "manifest.json").read_text())
    assert written["counts"] == out["counts"]
    assert (corpus / "old1.txt").read_bytes() == before["old1.txt"]  # never overwritten


def test_leftovers_of_killed_journal_and_manifest_writes_are_removed(tmp_path: Path) -> None:
    """A SIGKILL while the journal (beside the corpus) or the manifest was being written leaves
    a temporary file there; the next import removes it, and only it."""
    corpus, incoming, batch, before = make_batch(tmp_path, 12, seed=5)
    jpath = journal_path(corpus.resolve())
    journal_tmp = jpath.with_name(f".{jpath.name}.k1ll3d.clipqa-tmp")  # as atomic_open names it
    journal_tmp.write_text('{"half a jour')
    manifest = tmp_path / "reports" / "manifest.json"
    manifest.parent.mkdir()
    manifest_tmp = manifest.with_name(".manifest.json.zz9.clipqa-tmp")
    manifest_tmp.write_text("{")
    unrelated = tmp_path / ".someone-elses.json.abc.clipqa-tmp"  # not ours to remove
    unrelated.write_text("x")
    run_import(incoming, corpus, load_config(None), quarantine=tmp_path / "quarantine" / "q", manifest=manifest)
    assert not journal_tmp.exists() and not manifest_tmp.exists()
    assert unrelated.read_text() == "x"
    unrelated.unlink()
    assert_settled(tmp_path, corpus, incoming, batch, before)
    assert json.loads(manifest.read_text())["counts"]


def test_dry_run_changes_nothing(tmp_path: Path) -> None:
    corpus, incoming, _batch, _before = make_batch(tmp_path, 12, seed=2)
    snapshot = (files_under(corpus), files_under(incoming))
    proc = subprocess.run(
        import_cmd(incoming, corpus, "--dry-run"),
        capture_output=True,
        text=True,
        env=env(),
        cwd=corpus.parent,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr  # some would be rejected
    out = json.loads(proc.stdout)
    assert out["dry_run"] is True and out["counts"]["rejected"] >= 3
    assert (files_under(corpus), files_under(incoming)) == snapshot
    assert not (tmp_path / "quarantine").exists()
    assert not journal_path(corpus.resolve()).exists()


def test_batch_checked_with_corpus_context(tmp_path: Path) -> None:
    """Corpus-level checks see corpus and batch together: only the batch's files are gated."""
    corpus, incoming, _batch, _before = make_batch(tmp_path, 3, seed=3)
    (corpus / "legacy-bad.txt").write_text(broken(1))  # a bad corpus file does not block the batch
    out = run_import(incoming, corpus, load_config(None), dry_run=True)
    names = {r["name"] for r in out["rejected"]} | set(out["accepted"]) | set(out["already_imported"])
    assert "legacy-bad.txt" not in names
    assert "c0001.txt" in out["accepted"]


def test_unfinished_other_import_is_refused(tmp_path: Path) -> None:
    corpus, incoming, _b, _c = make_batch(tmp_path, 3, seed=4)
    jp = journal_path(corpus.resolve())
    jp.write_text(json.dumps({"journal_version": 1, "incoming": "/elsewhere", "corpus": str(corpus.resolve())}))
    with pytest.raises(ImportError_, match="unfinished import"):
        run_import(incoming, corpus, load_config(None))
    proc = subprocess.run(
        import_cmd(incoming, corpus), capture_output=True, text=True, env=env(), cwd=corpus.parent, check=False
    )
    assert proc.returncode == 2 and "unfinished import" in proc.stderr


def test_concurrent_import_is_refused(tmp_path: Path) -> None:
    import fcntl

    corpus, incoming, _b, _c = make_batch(tmp_path, 3, seed=5)
    lock = journal_path(corpus.resolve()).with_name(journal_path(corpus.resolve()).name + ".lock")
    with open(lock, "a") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        proc = subprocess.run(
            import_cmd(incoming, corpus), capture_output=True, text=True, env=env(), cwd=corpus.parent, check=False
        )
    assert proc.returncode == 2 and "another import into this corpus is running" in proc.stderr
    assert len(files_under(incoming)) == 5  # nothing moved


def test_cache_makes_repeat_imports_cheap_and_correct(tmp_path: Path) -> None:
    corpus, incoming, batch, before = make_batch(tmp_path, 10, seed=6)
    cache = str(tmp_path / "cache")
    first = run_import(incoming, corpus, load_config(None), cache_dir=cache, quarantine=tmp_path / "quarantine" / "a")
    assert_settled(tmp_path, corpus, incoming, batch, before)
    # A second batch: the corpus (now bigger) comes from the cache; a copy of an accepted file is "already".
    again = tmp_path / "incoming2"
    again.mkdir()
    (again / first["accepted"][0]).parent.mkdir(parents=True, exist_ok=True)
    (again / first["accepted"][0]).write_bytes(batch[first["accepted"][0]])
    (again / "fresh.txt").write_text(clipping(5000, random.Random(7)))
    second = run_import(again, corpus, load_config(None), cache_dir=cache, quarantine=tmp_path / "quarantine" / "b")
    assert second["already_imported"] == [first["accepted"][0]] and second["accepted"] == ["fresh.txt"]


def test_move_file_never_overwrites(tmp_path: Path) -> None:
    src, dst = tmp_path / "a.txt", tmp_path / "out" / "a.txt"
    src.write_bytes(b"new")
    dst.parent.mkdir()
    dst.write_bytes(b"old")
    assert move_file(src, dst, sha256_file(src)) == "conflict"
    assert dst.read_bytes() == b"old" and src.read_bytes() == b"new"
    dst.unlink()
    assert move_file(src, dst, sha256_file(src)) == "moved"
    assert dst.read_bytes() == b"new" and not src.exists()


@pytest.mark.slow
def test_sigkill_at_random_moments_then_resume(tmp_path: Path) -> None:
    rng = random.Random(20261123)
    # Calibrate: one uninterrupted run; note when the journal appears (moving starts) and when it ends.
    corpus, incoming, batch, before = make_batch(tmp_path / "calibrate", 120, seed=0)
    t0 = time.monotonic()
    proc = subprocess.Popen(import_cmd(incoming, corpus), env=env(), cwd=corpus.parent, stdout=subprocess.DEVNULL)
    jp = journal_path(corpus.resolve())
    t_journal = None
    while proc.poll() is None:
        if t_journal is None and jp.exists():
            t_journal = time.monotonic() - t0
        time.sleep(0.002)
    total = time.monotonic() - t0
    assert proc.returncode == 1
    assert_settled(tmp_path / "calibrate", corpus, incoming, batch, before)
    move_phase = max(0.05, total - (t_journal or total * 0.8))

    kills = mid_move_kills = 0
    # Six trials at least; more (up to 20) while too few kills have landed: on a loaded machine an
    # import often finishes before its kill, and a run that killed nothing proves nothing.
    trial = 0
    while trial < 6 or ((kills < 10 or mid_move_kills < 3) and trial < 20):
        trial += 1
        root = tmp_path / f"trial{trial}"
        corpus, incoming, batch, before = make_batch(root, 120, seed=trial + 100)
        jp = journal_path(corpus.resolve())
        for attempt in range(30):
            proc = subprocess.Popen(
                import_cmd(incoming, corpus),
                env=env(),
                cwd=corpus.parent,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            if attempt >= 6:  # enough: let it finish
                _, err = proc.communicate()
                assert proc.returncode in (0, 1), err
                break
            if rng.random() < 0.7:
                # While moving: wait until this attempt has moved a file out of the incoming folder
                # (the check phase before it takes most of the time, and varies with machine load),
                # then kill somewhere early in the move phase.
                waiting = len(files_under(incoming))
                start = time.monotonic()
                while (
                    proc.poll() is None
                    and waiting
                    and sum(1 for _ in incoming.rglob("*.txt")) >= waiting
                    and time.monotonic() - start < total * 3
                ):
                    time.sleep(0.0005)
                time.sleep(rng.uniform(0, move_phase / 4))
            else:
                time.sleep(rng.uniform(0, total))
            if proc.poll() is not None:
                _, err = proc.communicate()
                assert proc.returncode in (0, 1), err
                break
            proc.send_signal(signal.SIGKILL)
            proc.communicate()
            kills += 1
            if jp.exists() and files_under(incoming).keys() != batch.keys():
                mid_move_kills += 1
        assert_settled(root, corpus, incoming, batch, before)
    assert kills >= 10
    assert mid_move_kills >= 3, "no kill landed while files were being moved; the test proved nothing"


# ---------------------------------------------------------------- names (issue 17)

# A file name as os.fsdecode gives it: any bytes but NUL and '/', up to 255 of them; bytes
# that are not UTF-8 become lone surrogates.
names = (
    st.binary(min_size=1, max_size=255)
    .map(lambda b: b.replace(b"\0", b"_").replace(b"/", b"_"))
    .filter(lambda b: b not in (b".", b".."))
)


@given(names)
@settings(max_examples=300, deadline=None)
def test_journal_json_keeps_any_name_and_is_utf8(raw: bytes) -> None:
    name = os.fsdecode(raw)
    text = dumps({"name": name, "entries": [{"name": name}]})
    text.encode("utf-8")  # always writable as UTF-8
    back = json.loads(text)
    assert os.fsencode(back["name"]) == raw and os.fsencode(back["entries"][0]["name"]) == raw
    shown(name).encode("utf-8")  # always printable


@given(names)
@settings(max_examples=300, deadline=None)
def test_temporary_names_fit_and_belong_to_their_name(raw: bytes) -> None:
    name = os.fsdecode(raw)
    for middle in ("abcdefgh", str(4_194_304)):  # mkstemp's 8 characters, the largest pid
        temp = f"{temp_prefix(name)}{middle}{TMP_MARK}"
        assert len(os.fsencode(temp)) <= 255
        assert is_temp_of(temp, name)
        assert not is_temp_of(temp, name + "x")
    assert not is_temp_of(f"{temp_prefix(name)}findings.json.abcdefgh{TMP_MARK}", name)


@given(names, st.integers(min_value=0, max_value=3))
@settings(max_examples=200, deadline=None)
def test_quarantine_names_fit_and_never_collide(
    tmp_path_factory: pytest.TempPathFactory, raw: bytes, held: int
) -> None:
    q = tmp_path_factory.mktemp("q")
    name = os.fsdecode(raw)
    taken: set[str] = set()
    chosen = []
    for _ in range(held + 2):
        dest = free_quarantine_name(q, name, taken, (255, 4096))
        assert dest is not None
        assert len(os.fsencode(dest + ".findings.json")) <= 255
        assert dest not in taken and dest + ".findings.json" not in taken
        taken.update((dest, dest + ".findings.json"))
        chosen.append(dest)
    assert len(set(chosen)) == len(chosen)
    if len(os.fsencode(name + ".findings.json")) <= 255:
        assert chosen[0] == name  # a name that fits is kept
    (q / chosen[0]).write_bytes(b"someone's")  # on disk, not in the plan: still never chosen
    assert free_quarantine_name(q, name, set(), (255, 4096)) != chosen[0]


def test_a_forked_helper_dies_with_its_parent(tmp_path: Path) -> None:
    """qa.forked.Forked's child (large runs' second core) is killed with the process that
    forked it, even by SIGKILL, instead of waiting forever on its pipe."""
    script = (
        "import os, sys, time\n"
        "from qa.forked import Forked\n"
        "job = Forked(lambda: time.sleep(600))\n"
        "print(job.pid, flush=True)\n"
        "time.sleep(600)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], env=env(), stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    child = int(proc.stdout.readline())
    assert child and os.path.exists(f"/proc/{child}")
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and _alive(child):
        time.sleep(0.05)
    alive = _alive(child)
    if alive:
        os.kill(child, signal.SIGKILL)
    assert not alive, "the forked child outlived its parent"


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"
