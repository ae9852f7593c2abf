"""`clipqa import` under faults as an operator meets them (issue 17): each numbered case of
the issue, run on a real `clipqa` process with real signals and real file-system objects.

Every test ends by asserting the invariant (:func:`assert_settled`): every input file is in
exactly one place (INCOMING, the corpus, or the quarantine beside a record of exactly its
bytes), byte-identical (SHA-256); symbolic links and special files untouched; no journal or
temporary file left; no process of the run alive (each run is a session of its own, and
/proc is searched for its members); and the next import runs. With ``--fix`` (issue 20), a
fixed file's original bytes are in exactly one place (INCOMING, or the quarantine's
``originals/``), and once they are in ``originals/`` its fixed bytes, exactly the ones
``clipqa fix`` writes, are in exactly one place (the corpus, or the quarantine with a record).

``CLIPQA_FAULT_ROUNDS`` (default 1) repeats the tests that kill at random moments:
``nox -s faults`` runs the long version.

Errors of the environment are made real where the machine allows: EACCES from permission
bits (a root test process drops CAP_DAC_OVERRIDE from the child's bounding set, so that
root meets permissions as a user does), EFBIG from a file-size limit (RLIMIT_FSIZE), EMFILE
from a limit on descriptors (RLIMIT_NOFILE), ENAMETOOLONG from real names; EROFS and ENOSPC
from a read-only and a small tmpfs in a private mount namespace where one can be made
(skipped elsewhere, saying why). The same errors are also injected at the system-call
boundary (:mod:`tests.faultshim`) at chosen moments of the move, which works everywhere.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import hashlib
import json
import os
import random
import resource
import shlex
import shutil
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from qa.gate import journal_path, lock_path
from tests.test_gate_import import broken, clipping

REPO = Path(__file__).resolve().parents[1]
ROUNDS = int(os.environ.get("CLIPQA_FAULT_ROUNDS", "1"))
TIMEOUT = 300  # seconds for one clipqa run: a hang fails the test, never the suite
IS_ROOT = os.geteuid() == 0
LINUX = sys.platform.startswith("linux")

pytestmark = pytest.mark.skipif(not LINUX, reason="the fault tests use /proc, prctl and Linux errnos")

Entry = tuple[str, str]  # (kind, SHA-256 | link target | file type)


# ---------------------------------------------------------------- the scene and the invariant


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def tree(folder: Path | bytes) -> dict[bytes, Entry]:
    """Everything under ``folder`` but folders, by path relative to it (bytes: names need
    not be UTF-8), without following links."""
    base = os.fsencode(folder)
    out: dict[bytes, Entry] = {}
    if not os.path.isdir(base):
        return out
    for dirpath, dirnames, filenames in os.walk(base):
        for name in [*dirnames, *filenames]:
            if name.endswith(b".clipqa-import.json.lock"):
                continue  # the empty lock file beside a corpus stays between imports
            if b".clipqa-index.sqlite" in name:
                continue  # the corpus index beside a corpus (and its lock, WAL): derived from it, kept
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            rel = os.path.relpath(path, base)
            if stat.S_ISLNK(st.st_mode):
                out[rel] = ("link", os.readlink(path).hex())
            elif stat.S_ISREG(st.st_mode):
                with open(path, "rb") as fh:
                    out[rel] = ("file", sha(fh.read()))
            elif not stat.S_ISDIR(st.st_mode):
                out[rel] = ("special", oct(stat.S_IFMT(st.st_mode)))
    return out


@dataclass
class Scene:
    """A corpus with a few clippings, and a batch in INCOMING (good, broken, a conflict, an
    already-imported copy); ``watched``: folders outside both that must never change."""

    root: Path
    incoming: Path
    corpus: Path
    inputs: dict[bytes, Entry] = field(default_factory=dict)
    corpus_before: dict[bytes, Entry] = field(default_factory=dict)
    watched: dict[Path, dict[bytes, Entry]] = field(default_factory=dict)
    not_batch: tuple[bytes, ...] = ()  # prefixes of INCOMING that are not the batch (a nested corpus)
    quarantine: Path | None = None  # where quarantines go [default: ROOT/quarantine]
    fixed: dict[bytes, str] = field(default_factory=dict)  # batch file -> SHA-256 of what `clipqa fix` makes of it

    def snapshot(self) -> None:
        self.inputs = self.batch_tree()
        self.corpus_before = tree(self.corpus)
        self.watched = {folder: tree(folder) for folder in self.watched}

    def watch(self, folder: Path) -> None:
        self.watched[folder] = {}

    @property
    def journal(self) -> Path:
        return journal_path(Path(os.path.realpath(self.corpus)))

    def batch_tree(self) -> dict[bytes, Entry]:
        return {n: e for n, e in tree(self.incoming).items() if not n.startswith(self.not_batch or (b"\0",))}

    def update(self, changed: dict[bytes, bytes], gone: Sequence[bytes]) -> None:
        """The user's edits are the batch now (for the next import)."""
        for name, data in changed.items():
            self.inputs[name] = ("file", sha(data))
            self.fixed.pop(name, None)
        for name in gone:
            self.inputs.pop(name, None)
            self.fixed.pop(name, None)


def make_scene(
    root: Path, n: int, *, seed: int = 0, corpus: Path | None = None, bad_every: int = 5, fixable: bool = False
) -> Scene:
    """``fixable``: most good files get a glitch that a safe fix repairs (:func:`glitch`)."""
    rng = random.Random(seed)
    incoming = root / "incoming"
    corpus = corpus or root / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    (incoming / "sub").mkdir(parents=True, exist_ok=True)
    old: dict[str, bytes] = {}
    for i in range(3):
        old[f"old{i}.txt"] = clipping(50_000 + i, rng).encode()
        (corpus / f"old{i}.txt").write_bytes(old[f"old{i}.txt"])
    for i in range(n):
        name = f"sub/c{i:04d}.txt" if i % 7 == 3 else f"c{i:04d}.txt"
        data = broken(i) if bad_every and i % bad_every == 0 else clipping(i, rng)
        (incoming / name).write_bytes(glitch(i, data) if fixable else data.encode())
    (incoming / "old0.txt").write_bytes(old["old0.txt"])  # already imported
    (incoming / "old1.txt").write_text(clipping(60_000, rng))  # a conflict
    return Scene(root, incoming, corpus)


def glitch(i: int, text: str) -> bytes:
    """A clipping with a glitch that a safe fix repairs (4 of 6 files): mojibake in the title
    (E201), a byte-order mark (E102), ``published: no`` (F101, P106) or bare CR line endings
    (E104); a broken file stays as it is."""
    if not text.startswith('---\ntitle: "Report'):
        return text.encode()
    kind = i % 6
    if kind == 1:
        return text.replace('title: "Report', 'title: "R\u00c3\u00a9port', 1).encode()
    if kind == 2:
        return b"\xef\xbb\xbf" + text.encode()
    if kind == 3:
        return text.replace("published: false", "published: no").encode()
    if kind == 4:
        return text.replace("\n", "\r").encode()
    return text.encode()


def fixable_scene(root: Path, n: int, *, seed: int = 0) -> Scene:
    """A scene whose batch has files to fix, with what ``clipqa fix`` makes of each (``fixed``)."""
    scene = make_scene(root, n, seed=seed, fixable=True)
    expected = root / "fixed-by-clipqa-fix"
    shutil.copytree(scene.incoming, expected)
    ran = run(clipqa_args("fix", expected, "--isolated", "--no-cache", "-q"), root)
    assert ran.code in (0, 1), ran.err
    given, fixed = tree(scene.incoming), tree(expected)
    scene.fixed = {name: entry[1] for name, entry in fixed.items() if given[name] != entry}
    shutil.rmtree(expected)
    assert len(scene.fixed) >= n // 3, "too few files to fix: the test would prove little"
    return scene


def killed_while_moving(scene: Scene) -> None:
    """Start the import and SIGKILL it once it has moved a file: an unfinished import."""
    proc = start(import_args(scene), scene.root)
    wait_for(lambda: scene.journal.exists() and _files_in(scene.incoming) < len(scene.inputs), proc, "moving")
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()
    assert proc.returncode == -signal.SIGKILL


def _files_in(folder: Path) -> int:
    """How many files are under ``folder`` (cheap; while an import moves them)."""
    return sum(len(files) for _, _, files in os.walk(folder))


def sidecars(folder: Path) -> dict[bytes, dict[str, Any]]:
    """The quarantine records under ``folder``, by path relative to it."""
    out = {}
    for rel, (kind, _) in tree(folder).items():
        if kind == "file" and rel.endswith(b".findings.json"):
            out[rel] = json.loads((Path(os.fsdecode(os.path.join(os.fsencode(folder), rel)))).read_bytes())
    return out


def assert_settled(
    scene: Scene,
    *,
    changed: dict[bytes, bytes] | None = None,
    gone: Sequence[bytes] = (),
    elsewhere: Sequence[bytes] = (),
    journal: bool = False,
    superseded: dict[bytes, bytes] | None = None,
) -> None:
    """The invariant. ``changed``: input files the test changed during the run (name -> new
    bytes), which must be in INCOMING only, with those bytes. ``gone``: files the test
    deleted, which must be nowhere. ``elsewhere``: files the test moved out of INCOMING.
    ``journal``: the import is unfinished (stopped by an error), so the journal is kept.
    ``superseded``: files placed by an interrupted run whose name the test then gave other bytes
    in INCOMING (name -> new bytes): both stay, the new bytes in INCOMING only and the checked
    bytes in exactly one place outside it (never the only copy of them removed)."""
    changed = changed or {}
    superseded = superseded or {}
    quarantine_root = scene.quarantine or scene.root / "quarantine"
    found_in = {"incoming": scene.batch_tree(), "corpus": tree(scene.corpus)}
    found_q = tree(quarantine_root)
    records = sidecars(quarantine_root)
    assert os.path.lexists(scene.journal) == journal, "journal left" if not journal else "journal lost"
    leftovers = [p for p in [*tree(scene.root), *tree(quarantine_root)] if b".clipqa-tmp" in p]
    assert leftovers == [], f"temporary files left: {leftovers}"
    for folder, before in scene.watched.items():
        assert tree(folder) == before, f"{folder} (outside the batch) changed"
    for rel, entry in scene.corpus_before.items():
        assert found_in["corpus"].get(rel) == entry, f"corpus file {rel!r} changed"
    # every quarantined file has exactly one record, describing exactly its bytes; a file
    # without one is the kept original of a fixed file (in an originals/ folder)
    quarantined: dict[bytes, list[str]] = {}
    for rel, record in records.items():
        beside = rel[: -len(b".findings.json")]
        assert found_q.get(beside, ("none", ""))[1] == record["sha256"], f"{rel!r} describes other bytes"
        assert beside.endswith(b"/" + os.fsencode(record["quarantined_as"])), (beside, record)
        quarantined.setdefault(os.fsencode(record["file"]), []).append(record["sha256"])
    kept: Counter[str] = Counter()  # SHA-256 of the originals kept
    originals = {scene.inputs[name][1] for name in scene.fixed}
    for rel, (kind, digest) in found_q.items():
        if kind == "file" and not rel.endswith(b".json") and rel + b".findings.json" not in records:
            assert b"originals/" in rel and digest in originals, f"quarantined {rel!r} has no record"
            kept[digest] += 1
    for name, (kind, digest) in scene.inputs.items():
        if kind != "file":  # a link or a special file: refused, left exactly as it was
            assert found_in["incoming"].get(name) == (kind, digest), f"{name!r} ({kind}) was touched"
            continue
        if name in elsewhere:
            continue
        after = scene.fixed.get(name)
        copies = 0  # of its fixed bytes
        if after is not None:
            copies = (found_in["corpus"].get(name) == ("file", after)) + quarantined.get(name, []).count(after)
        if name in superseded:
            new = sha(superseded[name])
            assert found_in["incoming"].get(name) == ("file", new), f"new {name!r} not left in INCOMING"
            outside = (found_in["corpus"].get(name) == ("file", digest)) + quarantined.get(name, []).count(digest)
            outside += kept[digest]  # a fixed file's original, kept in originals/
            assert outside == 1, f"the checked {name!r} is in {outside} places outside INCOMING"
            assert after is None or copies == 1, f"{name!r}: {copies} copies of its fixed bytes"
            continue
        if name in changed:
            new = sha(changed[name])
            assert found_in["incoming"].get(name) == ("file", new), f"changed {name!r} not left in INCOMING"
            assert found_in["corpus"].get(name) != ("file", digest) or name in scene.corpus_before
            assert digest not in quarantined.get(name, []) and new not in quarantined.get(name, [])
            assert kept[digest] == 0 and copies == 0, f"changed {name!r}: its old original or fixed bytes kept"
            continue
        places = [w for w in ("incoming", "corpus") if found_in[w].get(name) == ("file", digest)]
        places += ["quarantine"] * quarantined.get(name, []).count(digest)
        places += ["originals"] * kept[digest]
        if after is not None and "originals" in places:  # fixed: its fixed bytes are placed once
            assert copies == 1 or (journal and copies == 0), f"{name!r}: {copies} copies of its fixed bytes"
        elif after is not None:
            assert copies == 0, f"{name!r} is not fixed, yet its fixed bytes are in {copies} place(s)"
        if scene.corpus_before.get(name) == ("file", digest):
            # already imported: the corpus copy was there before (checked above); the copy in
            # INCOMING is removed, or still there while the import is unfinished
            assert "quarantine" not in places, f"already imported {name!r} was quarantined"
            continue
        if name in gone:
            assert places == [], f"deleted {name!r} is somewhere: {places}"
        else:
            assert len(places) == 1, f"{name!r} is in {len(places)} places: {places}"
    known = set(scene.inputs) | set(scene.corpus_before) | set(changed)
    for rel in found_in["corpus"]:
        assert rel in known, f"{rel!r} appeared in the corpus"
    for rel in found_in["incoming"]:
        assert rel in known, f"{rel!r} appeared in INCOMING"


# ---------------------------------------------------------------- processes


def proc_stat(pid: int) -> tuple[str, int, int] | None:
    """(state, parent pid, process group) of a process, or None."""
    try:
        data = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = data[data.rindex(")") + 2 :].split()
    return fields[0], int(fields[1]), int(fields[2])


def live_pids() -> Iterator[int]:
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            yield int(entry)


def members(group: int) -> list[int]:
    """Live (not zombie) processes of a process group."""
    return [p for p in live_pids() if (s := proc_stat(p)) is not None and s[2] == group and s[0] != "Z"]


def children(pid: int) -> list[int]:
    return [p for p in live_pids() if (s := proc_stat(p)) is not None and s[1] == pid and s[0] != "Z"]


def assert_no_process_left(group: int) -> None:
    # The kernel kills a dead run's children at once; the margin is for a loaded machine.
    deadline = time.monotonic() + 10
    while (alive := members(group)) and time.monotonic() < deadline:
        time.sleep(0.05)
    if alive:
        _stop_group(group)  # this test fails; the next ones must not meet them
    assert alive == [], f"processes of the run outlived it: {alive}"


_STARTED: list[int] = []  # the process groups this module started


def _stop_group(group: int) -> None:
    """SIGKILL what is left of a run this module started: each process by its id, and only
    one that runs clipqa (a process id, and so a group id, may have been given again)."""
    for pid in members(group):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"\0qa\0" in command or b"tests.faultshim" in command:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)


@pytest.fixture(autouse=True)
def _no_strays() -> Iterator[None]:
    """Whatever a failing test left running is stopped (by its process group)."""
    yield
    while _STARTED:
        _stop_group(_STARTED.pop())


def wait_for(condition: Callable[[], Any], proc: subprocess.Popen[bytes], what: str, timeout: float = TIMEOUT) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if proc.poll() is not None:
            _, err = proc.communicate()
            pytest.fail(f"clipqa ended (exit {proc.returncode}) before {what}: {err.decode(errors='replace')}")
        time.sleep(0.001)
    _stop_group(proc.pid)
    pytest.fail(f"timed out waiting for {what}")


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO)}


def clipqa_args(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "qa", *map(os.fspath, args)]


def import_args(scene: Scene, *extra: str | Path) -> list[str]:
    return clipqa_args("import", scene.incoming, "--into", scene.corpus, "--isolated", *extra)


def start(args: list[str], cwd: Path, preexec: Callable[[], None] | None = None) -> subprocess.Popen[bytes]:
    """``args`` in a session of its own, so that every process of it can be found."""
    proc = subprocess.Popen(
        args,
        cwd=cwd,
        env=env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        preexec_fn=preexec,  # noqa: PLW1509 - rlimits and capabilities of the child; it execs at once
    )
    _STARTED.append(proc.pid)
    return proc


@dataclass
class Ran:
    code: int
    out: str
    err: str

    def manifest(self) -> dict[str, Any]:
        doc: dict[str, Any] = json.loads(self.out)
        return doc


def kill_if_running(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the run's process group, unless it has finished first (a fast machine, or a
    short check: the corpus index's); its exit code then says which."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


def finish(proc: subprocess.Popen[bytes]) -> Ran:
    try:
        out, err = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"clipqa hung (over {TIMEOUT} s)")
    assert_no_process_left(proc.pid)
    # the manifest is UTF-8 JSON even for names that are not UTF-8
    return Ran(proc.returncode, out.decode("utf-8"), err.decode("utf-8"))


def run(args: list[str], cwd: Path, preexec: Callable[[], None] | None = None) -> Ran:
    return finish(start(args, cwd, preexec))


def assert_next_import_runs(scene: Scene, **settled: Any) -> Ran:
    ran = run(import_args(scene), scene.root)
    assert ran.code in (0, 1), ran.err
    assert_settled(scene, **settled)
    return ran


def assert_one_line_error(ran: Ran, *needles: str) -> str:
    """Exit 2 with one line naming the cause; never a traceback, never "a bug"."""
    assert ran.code == 2, (ran.code, ran.err)
    lines = ran.err.strip().splitlines()
    assert len(lines) == 1, ran.err
    line = lines[0]
    assert line.startswith("clipqa: error: "), line
    assert "bug" not in line and "internal error" not in line, line
    for needle in needles:
        assert needle in line, (needle, line)
    return line


def stop_when(proc: subprocess.Popen[bytes], condition: Callable[[], Any], what: str) -> Any:
    """Freeze ``proc`` (SIGSTOP) as soon as ``condition`` holds; the caller continues it."""
    value = wait_for(condition, proc, what)
    proc.send_signal(signal.SIGSTOP)
    return value


# ---------------------------------------------------------------- 1. orphaned workers


def _lock_is_free(scene: Scene) -> bool:
    with open(lock_path(scene.journal), "a") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
    return True


def _fds_name(pid: int, path: Path) -> bool:
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    target = os.path.realpath(path)
    for fd in fds:
        with contextlib.suppress(OSError):
            if os.readlink(f"/proc/{pid}/fd/{fd}") == target:
                return True
    return False


STOPPING = [signal.SIGKILL, signal.SIGTERM, signal.SIGINT]  # a kill, a CI runner's timeout, an interrupt


def _pool(pid: int) -> list[int]:
    """The children of ``pid`` once there are two (a pool of two workers), else none."""
    found = children(pid)
    return found if len(found) >= 2 else []


@pytest.mark.slow
@pytest.mark.parametrize("signum", STOPPING, ids=lambda s: signal.Signals(s).name)
@pytest.mark.parametrize("command", ["import", "check"])
def test_1_killed_while_checking_leaves_no_process_and_no_lock(tmp_path: Path, command: str, signum: int) -> None:
    """The worker pool exists (1,200 files, 2 jobs): the command is killed while it checks (or
    interrupted: SIGINT to it alone, as `kill -INT` sends). No process of it survives, no
    worker ever holds the import lock, and the next run runs. The workers exist only while
    the files are checked (the parent warms up before it forks them): a fast machine may
    finish first, so the rounds go on until two were really stopped (KillRounds)."""
    rng = random.Random(17 + signum)
    rounds = KillRounds(minimum=2, pause=0.2)
    pooled = 0

    def fresh(round_: int) -> tuple[Scene, list[str]]:
        scene = make_scene(tmp_path / f"r{round_}", 1200, seed=signum + round_)
        scene.snapshot()
        if command == "import":
            return scene, import_args(scene, "-j", "2", "--no-cache")
        return scene, clipqa_args("check", scene.incoming, "--isolated", "-j", "2", "--no-cache", "--no-reports", "-q")

    scene, args = fresh(0)
    for round_ in rounds:
        proc = start(args, tmp_path)
        workers = wait_for(lambda: _pool(proc.pid), proc, "the workers started")  # noqa: B023
        pooled = max(pooled, len(workers))
        if command == "import":  # (just after the fork a worker still has it, until its first step closes it)
            lock = lock_path(scene.journal)
            deadline = time.monotonic() + 2
            while holders := [p for p in workers if _fds_name(p, lock)]:
                assert time.monotonic() < deadline, f"workers {holders} hold the import lock"
                time.sleep(0.01)
        time.sleep(rng.uniform(0, rounds.pause))
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signum)
        proc.wait(timeout=TIMEOUT)  # not its output: a stray process could hold the pipes open
        for pipe in (proc.stdout, proc.stderr):
            assert pipe is not None
            pipe.close()
        assert_no_process_left(proc.pid)
        if proc.returncode in (0, 1):  # it finished first: this round proves nothing
            rounds.finished_first()
            if command == "import":  # the batch was imported: the next round needs another
                scene, args = fresh(round_ + 1)
            continue
        assert proc.returncode == (130 if signum == signal.SIGINT else -signum)  # SIGINT: "interrupted"
        if command == "import":
            assert _lock_is_free(scene)
        if scene.journal.exists():  # stopped after the check, while moving: not this test's moment
            rounds.finished_first()
            assert_next_import_runs(scene)
            scene, args = fresh(round_ + 1)
            continue
        rounds.killed += 1
    rounds.assert_enough()
    assert pooled >= 2, "never killed while a pool of workers ran: the test proved nothing"
    if command == "import":
        assert_next_import_runs(scene)
    else:
        ran = run(args, tmp_path)
        assert ran.code in (0, 1), ran.err


def test_1_no_child_holds_the_corpus_indexs_lock(tmp_path: Path) -> None:
    """The import holds a shared lock on the corpus index's lock file while it checks through
    the index; the children it forks meanwhile (the one that checks the batch, the stat scan's)
    close their copy at once (qa.locks), as they do the import lock's: killed, the import leaves
    no lock held by a child that has not died yet, so a build is never kept waiting by one."""
    scene = make_scene(tmp_path, 150, bad_every=0)
    built = run(clipqa_args("index", "build", scene.corpus, "--isolated"), tmp_path)
    assert built.code == 0, built.err
    lock = scene.root / ".corpus.clipqa-index.sqlite.lock"
    proc = start(import_args(scene, "--dry-run", "--no-cache"), tmp_path)
    first_seen: dict[int, float] = {}
    while_held = 0  # samples with the lock held by the import and a child of it alive
    while proc.poll() is None:
        now = time.monotonic()
        kids = children(proc.pid)
        parent_holds = _fds_name(proc.pid, lock)
        for kid in kids:
            first_seen.setdefault(kid, now)
            holds = _fds_name(kid, lock)
            # (a child seen within moments of its fork may not have run its fork hook yet)
            assert not (holds and now - first_seen[kid] > 0.2), f"child {kid} holds the index's lock"
        while_held += bool(kids) and parent_holds
        time.sleep(0.005)
    ran = finish(proc)
    assert ran.code in (0, 1), ran.err
    assert ran.manifest()["checked_by"]["mode"] == "index"
    assert while_held >= 3, "no child was seen while the import held the index's lock: the test proved nothing"


@pytest.mark.parametrize("command", ["import", "check"])
def test_1_a_small_batch_killed_while_checked_leaves_no_process(tmp_path: Path, command: str) -> None:
    """Under 300 files there is no pool: one forked child checks them (crash isolation). It
    dies with the command too."""
    scene = make_scene(tmp_path, 40)
    scene.snapshot()
    args = import_args(scene) if command == "import" else clipqa_args("check", scene.incoming, "--no-reports", "-q")
    proc = start(args, tmp_path)
    wait_for(lambda: children(proc.pid), proc, "the check started")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=TIMEOUT)
    for pipe in (proc.stdout, proc.stderr):
        assert pipe is not None
        pipe.close()
    assert_no_process_left(proc.pid)
    if command == "import":
        assert_next_import_runs(scene)


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=lambda s: signal.Signals(s).name)
def test_1_a_check_on_the_dask_engine_killed_leaves_no_process(tmp_path: Path, signum: int) -> None:
    """`check --engine dask` starts a LocalCluster (a nanny and a worker process per CPU, and
    multiprocessing's resource tracker). Killed once they exist, the command leaves none of them
    behind: a CI runner's timeout must not leave a cluster running."""
    pytest.importorskip("distributed")
    scene = make_scene(tmp_path, 300)
    args = clipqa_args("check", scene.incoming, "--isolated", "--no-cache", "--no-reports", "-q", "--engine", "dask")
    proc = start(args, tmp_path)
    wait_for(lambda: len(children(proc.pid)) >= 3, proc, "the cluster started")
    proc.send_signal(signum)  # to the command alone, as a runner that knows only its pid sends it
    proc.wait(timeout=TIMEOUT)
    for pipe in (proc.stdout, proc.stderr):
        assert pipe is not None
        pipe.close()
    assert_no_process_left(proc.pid)


# ---------------------------------------------------------------- 2. files changed during the import


def _mess_with(scene: Scene, names: Sequence[bytes]) -> tuple[dict[bytes, bytes], list[bytes]]:
    """Change the first file in place, replace the second (a new file renamed over it),
    delete the third: what an editor, a sync tool and a user do."""
    a, b, c = (scene.incoming / os.fsdecode(n) for n in names[:3])
    new_a = a.read_bytes() + b"\nedited while the import ran\n"
    with open(a, "ab") as fh:
        fh.write(b"\nedited while the import ran\n")
    new_b = clipping(77_777, random.Random(3)).encode()
    tmp = b.with_name(b.name + ".new")
    tmp.write_bytes(new_b)
    os.replace(tmp, b)
    c.unlink()
    return {names[0]: new_a, names[1]: new_b}, [names[2]]


def _still_waiting(scene: Scene) -> list[bytes]:
    """Batch files still in INCOMING (the last ones in the import's order first)."""
    here = tree(scene.incoming)
    names = [n for n, (kind, _) in scene.inputs.items() if kind == "file" and here.get(n) == scene.inputs[n]]
    return sorted((n for n in names if b"/" not in n and n.startswith(b"c")), reverse=True)


def _left_names(ran: Ran) -> dict[bytes, list[str]]:
    return {os.fsencode(item["name"]): item["rules"] for item in ran.manifest()["left"]}


@pytest.mark.parametrize("fix", [False, True], ids=["", "fix"])
def test_2_files_changed_while_checked_are_left_and_the_rest_is_imported(tmp_path: Path, fix: bool) -> None:
    """(With --fix: files to fix are changed while they are checked, before the fixes.)"""
    scene = fixable_scene(tmp_path, 30) if fix else make_scene(tmp_path, 30)
    scene.snapshot()
    proc = start(import_args(scene, *(["--fix"] if fix else [])), tmp_path)
    stop_when(proc, lambda: children(proc.pid), "the check started")  # the files are hashed by now
    changed, gone = _mess_with(scene, [n for n in _still_waiting(scene) if not fix or n in scene.fixed][:3])
    proc.send_signal(signal.SIGCONT)
    ran = finish(proc)
    assert ran.code == 1, ran.err
    left = _left_names(ran)
    assert {n: left.get(n) for n in [*changed, *gone]} == {n: ["P127"] for n in [*changed, *gone]}
    assert_settled(scene, changed=changed, gone=gone)
    # the same command imports the changed files now; nothing is stuck
    scene.update(changed, gone)
    again = assert_next_import_runs(scene)
    assert not again.manifest()["left"]


def test_2_files_changed_replaced_deleted_before_their_move(tmp_path: Path) -> None:
    scene = make_scene(tmp_path, 150)
    scene.snapshot()
    for round_ in range(ROUNDS):
        if round_:
            scene = make_scene(tmp_path / f"r{round_}", 150, seed=round_)
            scene.snapshot()
        _, changed, gone = changed_before_their_move(scene, import_args(scene))
        assert_settled(scene, changed=changed, gone=gone)
        scene.update(changed, gone)
        assert_next_import_runs(scene)


def changed_before_their_move(
    scene: Scene, args: list[str], among: Collection[bytes] | None = None
) -> tuple[Ran, dict[bytes, bytes], list[bytes]]:
    """Run the import, stopped once its journal is written while three files still waiting
    (``among`` these) are changed, replaced and deleted: each is left in INCOMING (P127)."""
    proc = start(args, scene.root)
    stop_when(proc, scene.journal.exists, "the journal was written")
    waiting = [n for n in _still_waiting(scene) if among is None or n in among]
    assert len(waiting) >= 3
    changed, gone = _mess_with(scene, waiting[:3])
    proc.send_signal(signal.SIGCONT)
    ran = finish(proc)
    assert ran.code == 1, ran.err
    assert all(_left_names(ran).get(n) == ["P127"] for n in [*changed, *gone])
    return ran, changed, gone


def test_2_a_file_changed_between_copy_and_removal_keeps_both(tmp_path: Path) -> None:
    """The state a kill leaves between linking a copy into the corpus and removing the
    source (the same bytes in both places), then the source edited: the resumed import cannot
    tell this from a file moved whole and another of its name put into INCOMING since (the next
    test), so it never removes the copy, which may be the only one of the checked bytes; the
    edited file stays in INCOMING, reported (P127)."""
    scene = make_scene(tmp_path, 20)
    scene.snapshot()
    proc = start(import_args(scene), tmp_path)
    stop_when(proc, scene.journal.exists, "the journal was written")
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()
    plan = json.loads(scene.journal.read_text())
    pending = [e for e in plan["entries"] if e["action"] == "accept" and (scene.incoming / e["name"]).exists()]
    victim = pending[-1]["name"]
    copy = scene.corpus / victim
    copy.parent.mkdir(parents=True, exist_ok=True)
    copy.write_bytes((scene.incoming / victim).read_bytes())  # the move got as far as its link
    edited = (scene.incoming / victim).read_bytes() + b"\nedited\n"
    (scene.incoming / victim).write_bytes(edited)
    ran = run(import_args(scene), tmp_path)
    assert ran.code == 1, ran.err
    assert _left_names(ran)[os.fsencode(victim)] == ["P127"]
    assert victim in ran.manifest()["accepted"]
    assert_settled(scene, superseded={os.fsencode(victim): edited})


def test_2_a_new_file_of_a_moved_name_never_costs_the_moved_one(tmp_path: Path) -> None:
    """Killed after a file was moved whole (copy placed, source removed) but before the
    journal said so; then another file of that name is put into INCOMING. The resumed import
    once took it for a changed source and removed its own copy: the moved file was lost. Now
    the moved one counts, and the new one stays in INCOMING, reported (P127)."""
    for round_ in range(3):
        scene = make_scene(tmp_path / f"r{round_}", 40, seed=round_)
        scene.snapshot()
        killed_while_moving(scene)
        plan = json.loads(scene.journal.read_text())
        placed = {
            os.fsencode(e["name"])
            for e in plan["entries"]
            if e["action"] in ("accept", "reject") and not os.path.lexists(scene.incoming / e["name"])
        }
        assert placed, "the kill came before any move"
        newcomers = {name: b"---\ntitle: another file of this name\n---\nNew.\n" + name for name in sorted(placed)[:3]}
        for name, data in newcomers.items():
            Path(os.fsdecode(os.path.join(os.fsencode(scene.incoming), name))).write_bytes(data)
        ran = run(import_args(scene), scene.root)
        assert ran.code == 1, ran.err
        left = _left_names(ran)
        assert all(left.get(name) == ["P127"] for name in newcomers), left
        assert_settled(scene, superseded=newcomers)


def test_2_incoming_deleted_after_a_kill_the_import_still_finishes(tmp_path: Path) -> None:
    """INCOMING is deleted while an import is unfinished: what was moved stays moved, the rest
    is reported deleted, and the journal finishes (the corpus is not stuck)."""
    scene = make_scene(tmp_path, 60)
    scene.snapshot()
    killed_while_moving(scene)
    # A file the killed import had placed in the corpus but not yet removed from INCOMING (the
    # kill fell between the two steps of its move) is moved: the next run finishes its move
    # from the journal and does not report it deleted.
    corpus_now = tree(scene.corpus)
    placed = {n for n, entry in corpus_now.items() if n not in scene.corpus_before and entry == scene.inputs.get(n)}
    still = [n for n in tree(scene.incoming) if scene.inputs[n][0] == "file" and n not in placed]
    shutil.rmtree(scene.incoming)
    ran = run(import_args(scene), tmp_path)
    assert ran.code == 1, ran.err
    assert set(_left_names(ran)) == set(still) - {b"old0.txt"}  # an already-imported file is in the corpus
    assert_settled(scene, gone=still)
    scene.incoming.mkdir()
    assert_next_import_runs(scene, gone=still)


# ---------------------------------------------------------------- 3. quarantine names


def _bad_batch(root: Path, contents: dict[str, str]) -> Path:
    root.mkdir(parents=True)
    for name, text in contents.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_3_a_reused_quarantine_never_mixes_records(tmp_path: Path) -> None:
    q = tmp_path / "quarantine" / "shared"
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    # a batch file named like the manifest, and one named like the second x.txt's new name
    first = _bad_batch(tmp_path / "in1", {"x.txt": broken(1), "sub/y.txt": broken(2), "manifest.json": broken(6)})
    second = _bad_batch(tmp_path / "in2", {"x.txt": broken(3), "sub/y.txt": broken(4), "x~2.txt": broken(5)})
    expected = [sha(p.read_bytes()) for batch in (first, second) for p in batch.rglob("*") if p.is_file()]
    include = ["--config", str(_config(tmp_path, include=["*.txt", "*.json"]))]
    for batch in (first, second):
        ran = run(clipqa_args("import", batch, "--into", corpus, "--quarantine", q, *include), tmp_path)
        assert ran.code == 1, ran.err
        assert len(ran.manifest()["rejected"]) == 3
    records = sidecars(q)
    found = tree(q)
    files = {rel[: -len(b".findings.json")]: found[rel[: -len(b".findings.json")]][1] for rel in records}
    for rel, record in records.items():  # each record describes the bytes beside it
        assert files[rel[: -len(b".findings.json")]] == record["sha256"]
    assert sorted(expected) == sorted(files.values())  # nothing overwritten: every rejected file is there
    manifests = [rel for rel in found if rel not in records and rel not in files]
    assert sorted(manifests) == [b"manifest~2.json", b"manifest~3.json"], manifests
    assert all("counts" in json.loads((q / os.fsdecode(m)).read_text()) for m in manifests)
    assert tree(first) == {} and tree(second) == {}


def _config(root: Path, **values: Any) -> Path:
    path = root / "clipqa.toml"
    path.write_text("".join(f"{k} = {json.dumps(v)}\n" for k, v in values.items()))
    return path


def test_3_a_quarantine_name_taken_during_the_import_is_not_overwritten(tmp_path: Path) -> None:
    """Another process puts a file (and a record) at the quarantine name the plan chose: the
    import records another name in its journal and moves the file there."""
    scene = make_scene(tmp_path, 100, bad_every=0)
    for i in range(3):
        (scene.incoming / f"zz-bad{i}.txt").write_text(broken(900 + i))
    scene.snapshot()
    q = tmp_path / "quarantine" / "q"
    proc = start(import_args(scene, "--quarantine", q), tmp_path)
    stop_when(proc, scene.journal.exists, "the journal was written")
    plan = json.loads(scene.journal.read_text())
    last = next(e for e in reversed(plan["entries"]) if e["action"] == "reject" and e["name"].startswith("zz"))
    assert (scene.incoming / last["name"]).exists(), "moved already: the batch is too small"
    foreign, foreign_record = b"someone else's bytes\n", b'{"file": "theirs"}\n'
    q.mkdir(parents=True, exist_ok=True)
    (q / last["dest"]).write_bytes(foreign)
    (q / (last["dest"] + ".findings.json")).write_bytes(foreign_record)
    proc.send_signal(signal.SIGCONT)
    ran = finish(proc)
    assert ran.code == 1, ran.err
    assert (q / last["dest"]).read_bytes() == foreign
    assert (q / (last["dest"] + ".findings.json")).read_bytes() == foreign_record
    moved = next(r for r in ran.manifest()["rejected"] if r["name"] == last["name"])
    assert moved["quarantined_as"] != last["dest"]
    assert ("file", sha((q / moved["quarantined_as"]).read_bytes())) == scene.inputs[os.fsencode(last["name"])]
    (q / last["dest"]).unlink()
    (q / (last["dest"] + ".findings.json")).unlink()
    assert_settled(scene)


# ---------------------------------------------------------------- 4. and 5. names


def _named_batch(scene: Scene, names: dict[bytes, bytes]) -> None:
    base = os.fsencode(scene.incoming)
    for name, data in names.items():
        path = os.path.join(base, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(data)


def test_4_long_names_are_imported_and_quarantined(tmp_path: Path) -> None:
    rng = random.Random(4)
    scene = make_scene(tmp_path, 6)
    names = {
        b"a" * 217 + b".txt": clipping(1001, rng).encode(),  # 221 bytes: its temporary name is longer
        b"b" * 251 + b".txt": clipping(1002, rng).encode(),  # 255 bytes: the longest name
        "é".encode() * 125 + b".txt": clipping(1003, rng).encode(),  # 254 bytes, 129 characters
        b"d" * 251 + b".txt" + b"": broken(1004).encode(),  # rejected: its record's name must be cut
        b"sub/" + b"e" * 251 + b".txt": broken(1005).encode(),
    }
    _named_batch(scene, names)
    scene.snapshot()
    ran = run(import_args(scene), tmp_path)
    assert ran.code == 1, ran.err
    out = ran.manifest()
    accepted = {os.fsencode(n) for n in out["accepted"]}
    assert {b"a" * 217 + b".txt", b"b" * 251 + b".txt", "é".encode() * 125 + b".txt"} <= accepted
    cut = {os.fsencode(r["name"]): r.get("quarantined_as") for r in out["rejected"]}
    assert all(len(os.fsencode(cut[n] or "").rpartition(b"/")[2] + b".findings.json") <= 255 for n in names if n in cut)
    assert cut[b"d" * 251 + b".txt"] is not None  # a shorter name, recorded
    assert_settled(scene)


def test_4_a_path_too_long_for_the_corpus_is_refused_before_anything_moves(tmp_path: Path) -> None:
    """INCOMING holds a file whose path fits there, but not under the (longer) corpus path:
    it is left in INCOMING (P128), and the rest of the batch is imported."""
    scene = make_scene(tmp_path, 5)
    deep = b"/".join([b"d" * 240] * 14)  # ~3,400 bytes below INCOMING
    base = os.fsencode(scene.incoming)
    fd = os.open(base, os.O_RDONLY)
    try:
        for part in deep.split(b"/"):  # made step by step: the whole path is near PATH_MAX
            with contextlib.suppress(FileExistsError):
                os.mkdir(part, dir_fd=fd)
            inner = os.open(part, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
        data = clipping(4004, random.Random(1)).encode()
        out = os.open(b"x" * 200 + b".txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(out, data)
        os.close(out)
    finally:
        os.close(fd)
    long_corpus = scene.root / ("k" * 250) / ("k" * 250) / "corpus"
    long_corpus.mkdir(parents=True)
    for path in scene.corpus.iterdir():
        path.rename(long_corpus / path.name)
    scene.corpus.rmdir()
    scene.corpus = long_corpus
    scene.quarantine = long_corpus.parent / "quarantine"
    scene.snapshot()
    ran = run(import_args(scene), scene.root)
    assert ran.code == 1, ran.err
    left = _left_names(ran)
    assert left == {deep + b"/" + b"x" * 200 + b".txt": ["P128"]}
    assert ran.manifest()["accepted"]
    assert_settled(scene)


def test_5_names_that_are_not_utf8(tmp_path: Path) -> None:
    rng = random.Random(5)
    scene = make_scene(tmp_path, 40)
    names = {
        b"caf\xe9.txt": clipping(5001, rng).encode(),
        b"bad-\xff\xfe.txt": broken(5002).encode(),
        b"d\xe9j\xe0/x.txt": clipping(5003, rng).encode(),
    }
    _named_batch(scene, names)
    scene.snapshot()
    proc = start(import_args(scene), tmp_path)
    wait_for(scene.journal.exists, proc, "the journal was written")
    os.killpg(proc.pid, signal.SIGKILL)  # the journal holds the names; a resume must read them back
    proc.communicate()
    ran = run(import_args(scene), tmp_path)
    assert ran.code == 1, ran.err
    out = ran.manifest()
    assert {b"caf\xe9.txt", b"d\xe9j\xe0/x.txt"} <= {os.fsencode(n) for n in out["accepted"]}
    assert b"bad-\xff\xfe.txt" in {os.fsencode(r["name"]) for r in out["rejected"]}
    manifest = Path(out["manifest"]).read_bytes().decode("utf-8")  # strict: the file is UTF-8
    assert json.loads(manifest)["counts"] == out["counts"]
    assert_settled(scene)


# ---------------------------------------------------------------- 6. and 7. links and special files


def test_6_fifos_sockets_devices_and_links_to_dev_zero_are_never_read(tmp_path: Path) -> None:
    scene = make_scene(tmp_path, 10)
    os.mkfifo(scene.incoming / "pipe.txt")
    os.symlink("/dev/zero", scene.incoming / "zero.txt")
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(os.fspath(scene.incoming / "sock.txt"))
    special = ["pipe.txt", "zero.txt", "sock.txt"]
    if IS_ROOT:
        os.mknod(scene.incoming / "null.txt", stat.S_IFCHR | 0o666, os.makedev(1, 3))
        special.append("null.txt")
    scene.snapshot()
    try:
        ran = run(import_args(scene), tmp_path)  # a read would block or never end: finish() fails on a hang
    finally:
        listener.close()
    assert ran.code == 1, ran.err
    left = _left_names(ran)
    assert {n: left.get(os.fsencode(n)) for n in special} == {
        n: (["P125"] if n == "zero.txt" else ["P126"]) for n in special
    }
    assert_settled(scene)


def test_7_symbolic_links_are_not_followed(tmp_path: Path) -> None:
    scene = make_scene(tmp_path, 10)
    outside = tmp_path / "elsewhere"
    (outside / "archive").mkdir(parents=True)
    (outside / "secret.txt").write_text(clipping(7001, random.Random(7)))
    for i in range(3):
        (outside / "archive" / f"a{i}.txt").write_text(clipping(7100 + i, random.Random(i)))
    os.symlink(outside / "secret.txt", scene.incoming / "secret.txt")
    os.symlink(outside / "archive", scene.incoming / "arch")
    os.symlink("c0001.txt", scene.incoming / "alias.txt")  # to another file of the batch
    os.symlink("nowhere.txt", scene.incoming / "dangling.txt")
    os.symlink("..", scene.incoming / "sub" / "up")  # a loop
    scene.watch(outside)
    scene.snapshot()
    ran = run(import_args(scene), tmp_path)
    assert ran.code == 1, ran.err
    left = _left_names(ran)
    for link in (b"secret.txt", b"arch", b"alias.txt", b"dangling.txt", b"sub/up"):
        assert left.get(link) == ["P125"], link
    assert b"c0001.txt" in {os.fsencode(n) for n in ran.manifest()["accepted"]}
    assert_settled(scene)
    assert_next_import_runs(scene)


def test_7_a_folder_swapped_for_a_link_during_the_import_is_not_entered(tmp_path: Path) -> None:
    """After the plan, INCOMING/sub is moved away and replaced by a link to a decoy folder
    holding the same names and bytes: the import must not take the decoy's files."""
    scene = make_scene(tmp_path, 60)
    scene.snapshot()
    sub_names = [n for n, (kind, _) in scene.inputs.items() if n.startswith(b"sub/") and kind == "file"]
    proc = start(import_args(scene), tmp_path)
    stop_when(proc, scene.journal.exists, "the journal was written")
    if not all((scene.incoming / os.fsdecode(n)).exists() for n in sub_names):
        proc.send_signal(signal.SIGCONT)
        finish(proc)
        pytest.skip("the import had reached sub/ before it was stopped (a very fast machine)")
    away = tmp_path / "elsewhere"
    away.mkdir()
    (scene.incoming / "sub").rename(away / "sub")
    decoy = tmp_path / "decoy"
    decoy.mkdir()
    for path in (away / "sub").iterdir():
        (decoy / path.name).write_bytes(path.read_bytes())
    os.symlink(decoy, scene.incoming / "sub")
    proc.send_signal(signal.SIGCONT)
    ran = finish(proc)
    assert ran.code == 1, ran.err
    assert tree(decoy) == tree(away / "sub")  # nothing taken from the decoy
    assert all(_left_names(ran).get(n) == ["P127"] for n in sub_names)
    os.unlink(scene.incoming / "sub")
    (away / "sub").rename(scene.incoming / "sub")  # the user puts it back: all is where it was
    assert_settled(scene)


# ---------------------------------------------------------------- 8. nesting


def _scene_holding_its_corpus(root: Path, drop: Path) -> Scene:
    """A scene whose INCOMING (``drop``) holds the corpus (``drop/corpus``)."""
    scene = make_scene(root, 12, corpus=drop / "corpus")
    for path in list((root / "incoming").iterdir()):
        path.rename(drop / path.name)
    (root / "incoming").rmdir()
    scene.incoming = drop
    return scene


def test_8_corpus_quarantine_and_journal_inside_incoming_are_never_the_batch(tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    scene = _scene_holding_its_corpus(tmp_path, drop)
    old_q = drop / "quarantine" / "earlier"
    old_q.mkdir(parents=True)
    (old_q / "rejected.txt").write_text(broken(8))
    (old_q / "rejected.txt.findings.json").write_text('{"file": "rejected.txt"}')
    config = _config(tmp_path, include=["*"])  # even the journal, its lock and manifests would match
    scene.not_batch = (b"corpus/", b"quarantine/")
    scene.quarantine = drop / "quarantine"
    scene.snapshot()
    in_corpus, in_old_q = tree(scene.corpus), tree(old_q)
    args = clipqa_args("import", drop, "--into", drop / "corpus", "--config", config)
    for _ in range(2):  # the second import: the first one's quarantine and manifest are inside INCOMING
        ran = run(args, tmp_path)
        assert ran.code in (0, 1), ran.err
        out = ran.manifest()
        named = {*out["accepted"], *out["already_imported"], *(r["name"] for r in [*out["rejected"], *out["left"]])}
        assert not {n for n in named if n.startswith(("corpus", "quarantine", ".corpus"))}, named
        assert tree(old_q) == in_old_q
        for rel, entry in in_corpus.items():
            assert tree(scene.corpus)[rel] == entry
    (old_q / "rejected.txt.findings.json").unlink()  # not a record of this test's kind
    (old_q / "rejected.txt").unlink()
    assert_settled(scene)
    for refused in (
        ["--quarantine", drop],  # the quarantine is INCOMING
        ["--quarantine", tmp_path],  # the quarantine holds INCOMING
        ["--quarantine", drop / "corpus" / "q"],  # inside the corpus
        ["--manifest", drop / "m.json"],  # into INCOMING
    ):
        assert_one_line_error(run([*args, *map(str, refused)], tmp_path), "must not")


@pytest.mark.parametrize("mode", ["index", "--no-index"])
def test_8_the_corpus_indexs_files_inside_incoming_are_never_the_batch(tmp_path: Path, mode: str) -> None:
    """INCOMING holds the corpus, so the corpus index beside it: the index, its WAL and
    shared-memory files (real: a reader holds it open), its lock, and a build's temporary
    file with SQLite's side files of it are never checked, moved or reported, with the index
    or without it (--no-index: the index the import would use is still not a batch file)."""
    drop = tmp_path / "drop"
    scene = _scene_holding_its_corpus(tmp_path, drop)
    config = _config(tmp_path, include=["*"])
    built = run(clipqa_args("index", "build", drop / "corpus", "--config", config), tmp_path)
    assert built.code == 0, built.err
    idx = drop / ".corpus.clipqa-index.sqlite"
    reader = sqlite3.connect(idx)  # while a reader has it open, SQLite keeps -wal and -shm beside it
    try:
        reader.execute("SELECT count(*) FROM sqlite_master").fetchone()
        building = drop / f"..corpus.clipqa-index.sqlite.{os.getpid()}.clipqa-tmp"  # a live build's file
        made = {building: b"SQLite format 3\x00"}
        made.update({Path(f"{building}{side}"): b"side file " + side.encode() for side in ("-wal", "-shm", "-journal")})
        for path, data in made.items():
            path.write_bytes(data)
        index_files = {p.name for p in drop.iterdir() if p.name.startswith((".corpus.clipqa-index", "..corpus"))}
        assert {f"{idx.name}-wal", f"{idx.name}-shm", f"{idx.name}.lock"} <= index_files
        scene.not_batch = (b"corpus/", b"quarantine/", b".corpus.clipqa-index", b"..corpus.clipqa-index")
        scene.quarantine = drop / "quarantine"
        scene.snapshot()
        args = clipqa_args("import", drop, "--into", drop / "corpus", "--config", config)
        ran = run([*args, *([mode] if mode != "index" else [])], tmp_path)
        assert ran.code in (0, 1), ran.err
        out = ran.manifest()
        assert out["checked_by"]["mode"] == ("index" if mode == "index" else "full"), out["checked_by"]
        named = {*out["accepted"], *out["already_imported"], *(r["name"] for r in [*out["rejected"], *out["left"]])}
        assert named and not {n for n in named if ".clipqa-index" in n}, named
        assert index_files <= {p.name for p in drop.iterdir()}  # none moved
        assert all(path.read_bytes() == data for path, data in made.items())
        assert not list((drop / "quarantine").rglob("*clipqa-index*"))
        assert reader.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        reader.close()
    for path in made:
        path.unlink()
    assert_settled(scene)


# ---------------------------------------------------------------- 9. errors of the environment


def _drop_dac_override() -> None:
    """In the child, before exec: root loses the capabilities that let it ignore permission
    bits (from the bounding set, so that exec does not give them back); a user has none."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


@pytest.mark.parametrize("where", ["corpus", "quarantine", "incoming", "incoming/sub", "corpus parent"])
def test_9_a_folder_that_cannot_be_written_is_named_and_nothing_moves(tmp_path: Path, where: str) -> None:
    scene = make_scene(tmp_path / "box", 12)
    q = scene.root / "quarantine" / "q"
    q.mkdir(parents=True)
    folder = {
        "corpus": scene.corpus,
        "quarantine": q,
        "incoming": scene.incoming,
        "incoming/sub": scene.incoming / "sub",
        "corpus parent": scene.root,
    }[where]
    scene.snapshot()
    before = tree(scene.root)
    folder.chmod(0o555)
    try:
        ran = run(import_args(scene, "--quarantine", q, "--no-cache"), tmp_path, _drop_dac_override)
    finally:
        folder.chmod(0o755)
    assert_one_line_error(ran, "permission denied (EACCES)", str(folder))
    assert tree(scene.root) == before  # nothing moved, no journal
    assert_next_import_runs(scene)


def _limit_file_size(limit: int) -> Callable[[], None]:
    def preexec() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))

    return preexec


def test_9_a_write_that_fails_midway_leaves_every_file_in_one_place(tmp_path: Path) -> None:
    """EFBIG from the kernel (a file-size limit, as a full disk refuses a write): the copy
    of the large file fails halfway; the import stops with one line, every file is in one
    place, and the same command finishes the import once the limit is lifted."""
    scene = make_scene(tmp_path, 20)
    big = clipping(9009, random.Random(9)) + "more body text about a market and a river.\n" * 5000  # ~220 KB
    (scene.incoming / "zz-big.txt").write_text(big)
    scene.snapshot()
    ran = run(import_args(scene, "--no-cache"), tmp_path, _limit_file_size(128 * 1024))
    assert_one_line_error(ran, "(EFBIG)", "zz-big.txt")
    assert_settled(scene, journal=True)
    assert_next_import_runs(scene)


def test_9_too_many_open_files_is_one_line(tmp_path: Path) -> None:
    """EMFILE from the kernel (RLIMIT_NOFILE): at each small limit the import either runs
    (and settles) or stops with one line; at least one limit stops it."""
    scene = make_scene(tmp_path, 10)
    scene.snapshot()
    stopped = 0
    for limit in (7, 8, 9, 10, 12, 16):

        def preexec(limit: int = limit) -> None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))

        ran = run(import_args(scene, "--no-cache", "-j", "1"), tmp_path, preexec)
        if ran.code == 2:
            assert_one_line_error(ran, "too many open files")
            stopped += 1
            assert_settled(scene, journal=scene.journal.exists())
        else:
            assert ran.code in (0, 1), ran.err
            assert_settled(scene)
    assert stopped, "no limit was low enough to fail: the test proved nothing"
    assert_next_import_runs(scene)


INJECTED = {
    "disk full": ("ENOSPC", ["write", "create", "mkdir"], "corpus", "no space left on the device (ENOSPC)"),
    "quarantine full": ("ENOSPC", ["write", "create", "mkdir"], "quarantine", "(ENOSPC)"),
    "corpus turns read-only": ("EROFS", ["create", "link", "rename", "mkdir", "unlink"], "corpus", "(EROFS)"),
    "incoming turns read-only": ("EROFS", ["unlink", "rename"], "incoming", "read-only file system (EROFS)"),
    "out of descriptors": ("EMFILE", ["create"], "corpus", "too many open files"),
    "permission lost": ("EACCES", ["create", "link"], "corpus", "permission denied (EACCES)"),
}


@pytest.mark.parametrize("then", ["resume", "abort"])
@pytest.mark.parametrize("fault", list(INJECTED))
def test_9_injected_errors_midway(tmp_path: Path, fault: str, then: str) -> None:
    """The error comes after a few files moved (injected at the system-call boundary):
    one line naming the path and cause, every file in one place, the journal kept; then the
    same command finishes the import, or --abort puts everything back."""
    code, calls, folder, needle = INJECTED[fault]
    scene = make_scene(tmp_path, 30)
    scene.snapshot()
    under = {"corpus": scene.corpus, "quarantine": tmp_path / "quarantine", "incoming": scene.incoming}[folder]
    spec = json.dumps({"errno": code, "calls": calls, "under": str(under), "after": 6})
    ran = run([sys.executable, "-m", "tests.faultshim", spec, *import_args(scene)[3:]], tmp_path)
    line = assert_one_line_error(ran, needle)
    assert "run the same command again" in line and "--abort" in line
    assert_settled(scene, journal=True)
    if then == "resume":
        assert_next_import_runs(scene)
        return
    undone = run(clipqa_args("import", "--abort", "--into", scene.corpus), tmp_path)
    assert undone.code == 0, undone.err
    assert tree(scene.incoming) == scene.inputs and tree(scene.corpus) == scene.corpus_before
    assert not [rel for rel, (kind, _) in tree(tmp_path / "quarantine").items() if kind == "file"]
    assert_settled(scene)
    assert_next_import_runs(scene)


# ---------------------------------------------------------------- 9. real EROFS and ENOSPC (private mounts)

MS_RDONLY, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 32, 4096, 16384, 1 << 18


def _mount(source: bytes | None, target: Path, fstype: bytes | None, flags: int, data: bytes | None) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.mount(source, os.fsencode(target), fstype, flags, data) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err), str(target))


def in_private_mounts(work: Callable[[], Any]) -> Any:
    """``work()`` in a forked child with a mount namespace of its own (mounts made there are
    seen by its children and vanish with it); returns what it returns. Skips the test where
    no namespace can be made (not root, or a container that forbids it)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        status = 0
        try:
            os.close(read_end)
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.unshare(0x00020000) != 0:  # CLONE_NEWNS
                answer: tuple[str, Any] = ("skip", f"unshare(CLONE_NEWNS): {os.strerror(ctypes.get_errno())}")
            else:
                try:
                    _mount(None, Path("/"), None, MS_REC | MS_PRIVATE, None)
                    answer = ("ok", work())
                except PermissionError as exc:
                    answer = ("skip", f"mount: {exc}")
                except BaseException as exc:  # noqa: BLE001 - reported by the parent
                    import traceback

                    answer = ("error", "".join(traceback.format_exception(exc)))
            with os.fdopen(write_end, "wb") as out:
                out.write(json.dumps(answer).encode())
        except BaseException:  # noqa: BLE001
            status = 1
        finally:
            os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    kind, value = json.loads(data) if data else ("error", "the child died")
    if kind == "skip":
        pytest.skip(f"no private mounts here ({value})")
    if kind == "error":
        pytest.fail(value)
    return value


@pytest.mark.skipif(not IS_ROOT, reason="mounting a file system needs root (CAP_SYS_ADMIN)")
def test_9_a_real_full_disk_and_a_real_read_only_corpus(tmp_path: Path) -> None:
    scene = make_scene(tmp_path, 30)
    scene.snapshot()

    def work() -> str:
        # 1. the corpus on a tmpfs too small for the batch: ENOSPC from the kernel, midway
        stash = tmp_path / "stash"
        scene.corpus.rename(stash)
        scene.corpus.mkdir()
        _mount(b"tmpfs", scene.corpus, b"tmpfs", 0, b"size=40k,nr_inodes=1000")
        for path in stash.iterdir():
            (scene.corpus / path.name).write_bytes(path.read_bytes())
        ran = run(import_args(scene, "--no-cache"), tmp_path)
        assert_one_line_error(ran, "no space left on the device (ENOSPC)")
        assert_settled(scene, journal=True)
        _mount(None, scene.corpus, None, MS_REMOUNT, b"size=8m")  # room made
        assert_next_import_runs(scene)
        # 2. a read-only corpus (a read-only bind mount of it): EROFS, named, nothing moved
        extra = make_scene(tmp_path / "second", 8, seed=2)
        extra.snapshot()
        _mount(os.fsencode(extra.corpus), extra.corpus, None, MS_BIND, None)
        _mount(None, extra.corpus, None, MS_REMOUNT | MS_BIND | MS_RDONLY, None)
        before = tree(extra.root)
        ran = run(import_args(extra, "--no-cache"), extra.root)
        assert_one_line_error(ran, "read-only file system (EROFS)", str(extra.corpus))
        assert tree(extra.root) == before
        _mount(None, extra.corpus, None, MS_REMOUNT | MS_BIND, None)
        assert_next_import_runs(extra)
        return "done"

    assert in_private_mounts(work) == "done"


# ---------------------------------------------------------------- recovery by the command the message names


def test_the_command_an_unfinished_import_names_recovers_it(tmp_path: Path) -> None:
    """An import killed mid-move blocks another import into the corpus with a message that
    names two commands; each of them works (here: undo, then the other import runs)."""
    scene = make_scene(tmp_path, 60)
    scene.snapshot()
    killed_while_moving(scene)
    other = _bad_batch(tmp_path / "other", {"n.txt": clipping(3, random.Random(3))})
    ran = run(clipqa_args("import", other, "--into", scene.corpus, "--isolated"), tmp_path)
    line = assert_one_line_error(ran, "unfinished import")
    commands = [part for i, part in enumerate(line.split("`")) if i % 2 == 1]
    finish_cmd = next(c for c in commands if "--abort" not in c)
    abort_cmd = next(c for c in commands if "--abort" in c)
    assert shlex.split(finish_cmd)[1:] == ["import", str(scene.incoming), "--into", str(scene.corpus)]
    undone = run(clipqa_args(*shlex.split(abort_cmd)[1:]), tmp_path)
    assert undone.code == 0, undone.err
    assert undone.manifest()["aborted"] is True
    assert tree(scene.incoming) == scene.inputs and tree(scene.corpus) == scene.corpus_before
    ran = run(clipqa_args("import", other, "--into", scene.corpus, "--isolated"), tmp_path)
    assert ran.code == 0, ran.err
    again = run(clipqa_args("import", "--abort", "--into", scene.corpus), tmp_path)
    assert again.code == 0 and again.manifest()["aborted"] is False  # nothing to undo: not an error
    scene.corpus_before = tree(scene.corpus)
    assert_next_import_runs(scene)


def test_an_unreadable_journal_is_moved_aside_by_abort(tmp_path: Path) -> None:
    scene = make_scene(tmp_path, 5)
    scene.snapshot()
    scene.journal.write_text('{"journal_version": 2, "incom')  # not written by clipqa: it writes atomically
    line = assert_one_line_error(run(import_args(scene), tmp_path), "unreadable import journal", "--abort")
    assert "--abort" in line
    undone = run(clipqa_args("import", "--abort", "--into", scene.corpus), tmp_path)
    assert undone.code == 0, undone.err
    aside = Path(undone.manifest()["journal_moved_to"])
    assert aside.read_text().startswith('{"journal_version"')
    aside.unlink()
    assert_next_import_runs(scene)


@dataclass
class KillRounds:
    """The rounds of a random-kill test: at least ``minimum`` (or CLIPQA_FAULT_ROUNDS), then more,
    up to 16, until two rounds were really killed: on a fast machine an import can finish inside
    any fixed pause, and a round that was never killed proves nothing. ``pause`` (the longest
    random wait before the kill) halves after each round the run finished first."""

    minimum: int
    pause: float
    done: int = 0
    killed: int = 0

    def __iter__(self) -> Iterator[int]:
        while self.done < max(self.minimum, ROUNDS) or (self.killed < 2 and self.done < 16):
            yield self.done
            self.done += 1

    def finished_first(self) -> None:
        self.pause /= 2

    def assert_enough(self) -> None:
        assert self.killed >= 2, f"killed in {self.killed} of {self.done} rounds: the test proved too little"


@pytest.mark.slow
def test_abort_after_kills_at_random_moments_restores_the_batch(tmp_path: Path) -> None:
    rng = random.Random(1717)
    rounds = KillRounds(minimum=2, pause=0.2)
    for round_ in rounds:
        scene = make_scene(tmp_path / f"r{round_}", 80, seed=round_)
        scene.snapshot()
        proc = start(import_args(scene), scene.root)
        wait_for(scene.journal.exists, proc, "the journal was written")
        time.sleep(rng.uniform(0, rounds.pause))
        kill_if_running(proc)
        proc.communicate()
        if proc.returncode != -signal.SIGKILL:  # it finished first
            assert proc.returncode in (0, 1)
            assert_settled(scene)
            rounds.finished_first()
            continue
        rounds.killed += 1
        undone = run(clipqa_args("import", "--abort", "--into", scene.corpus), scene.root)
        assert undone.code == 0, undone.err
        assert tree(scene.incoming) == scene.inputs, "not every file is back in INCOMING"
        assert tree(scene.corpus) == scene.corpus_before
        assert_settled(scene)
        assert_next_import_runs(scene)
    rounds.assert_enough()


# ---------------------------------------------------------------- --fix (issue 20)


def assert_fixed_bytes_placed(scene: Scene, ran: Ran | None) -> None:
    """A finished import --fix: each fixed file's bytes in the corpus are exactly those that
    `clipqa fix` writes, and the manifest (of ``ran``, the run that finished it) lists it
    (SHA-256 before and after)."""
    corpus = tree(scene.corpus)
    for name, after in scene.fixed.items():
        assert corpus.get(name) == ("file", after), f"{name!r} is not in the corpus as clipqa fix makes it"
    if ran is None:
        return
    listed = {os.fsencode(item["name"]): item for item in ran.manifest()["fixed"]}
    assert set(listed) == set(scene.fixed)
    for name, after in scene.fixed.items():
        assert listed[name]["sha256_before"] == scene.inputs[name][1]
        assert listed[name]["sha256_after"] == after


def _abort(scene: Scene) -> None:
    """`clipqa import --abort`: every file back in INCOMING with its original bytes, the corpus
    as before, nothing in the quarantine (no original, no fixed copy, no record)."""
    undone = run(clipqa_args("import", "--abort", "--into", scene.corpus), scene.root)
    assert undone.code == 0, undone.err
    assert tree(scene.incoming) == scene.inputs, "not every file is back in INCOMING as it was"
    assert tree(scene.corpus) == scene.corpus_before
    assert not [rel for rel, (kind, _) in tree(scene.root / "quarantine").items() if kind == "file"]
    assert_settled(scene)


@pytest.mark.slow
@pytest.mark.parametrize("then", ["resume", "abort"])
def test_fix_killed_at_random_moments_then_resumed_or_aborted(tmp_path: Path, then: str) -> None:
    """import --fix killed with SIGKILL at random moments while it keeps originals and writes
    fixed bytes, and again while it resumes; then the same command finishes it (the corpus
    holds what `clipqa fix` writes, each original kept once), or --abort restores INCOMING."""
    rng = random.Random(20 + len(then))
    rounds = KillRounds(minimum=3, pause=0.25)
    for round_ in rounds:
        scene = fixable_scene(tmp_path / f"r{round_}", 60, seed=round_)
        scene.snapshot()
        args = import_args(scene, "--fix")
        proc = start(args, scene.root)
        wait_for(scene.journal.exists, proc, "the journal was written")
        pause, killed = rounds.pause, False
        for attempt in range(3):  # killed while it moves, then (resume) again once it moves again
            time.sleep(rng.uniform(0, pause))
            kill_if_running(proc)
            proc.communicate()
            if proc.returncode != -signal.SIGKILL:
                assert proc.returncode in (0, 1)
                if attempt == 0:
                    rounds.finished_first()
                break
            killed = True
            if then == "abort" or attempt == 2:
                break
            waiting, pause = _files_in(scene.incoming), 0.05
            proc = start(args, scene.root)
            deadline = time.monotonic() + TIMEOUT
            while proc.poll() is None and _files_in(scene.incoming) >= waiting and time.monotonic() < deadline:
                time.sleep(0.001)
        rounds.killed += killed
        finished = None  # the run that finished the import (None: one that was killed too late)
        if scene.journal.exists() and then == "abort":
            _abort(scene)
            assert_next_import_runs(scene)
            continue
        if scene.journal.exists():
            finished = run(args, scene.root)
            assert finished.code in (0, 1), finished.err
        assert_settled(scene)
        assert_fixed_bytes_placed(scene, finished)
    rounds.assert_enough()


FIX_WRITES = {  # errno, calls, where, in the message, matching calls that go through first
    "corpus full as fixed bytes are written": (
        "ENOSPC",
        ["write"],
        "corpus",
        "no space left on the device (ENOSPC)",
        6,
    ),
    "corpus refuses new files": ("EACCES", ["create", "link"], "corpus", "permission denied (EACCES)", 8),
    "originals/ full": ("ENOSPC", ["write", "create", "mkdir"], "originals", "(ENOSPC)", 6),
    "originals/ refuses new files": ("EACCES", ["create", "link"], "originals", "permission denied (EACCES)", 6),
}


@pytest.mark.parametrize("then", ["resume", "abort"])
@pytest.mark.parametrize("fault", list(FIX_WRITES))
def test_fix_writes_that_fail_midway(tmp_path: Path, fault: str, then: str) -> None:
    """ENOSPC or EACCES (injected at the system-call boundary) while import --fix keeps an
    original or writes a fixed file: one line naming the path and cause, every original in
    one place, the journal kept; then the same command finishes, or --abort restores."""
    code, calls, folder, needle, after = FIX_WRITES[fault]
    scene = fixable_scene(tmp_path, 30)
    scene.snapshot()
    q = tmp_path / "quarantine" / "q"
    under = scene.corpus if folder == "corpus" else q / "originals"
    spec = json.dumps({"errno": code, "calls": calls, "under": str(under), "after": after})
    args = import_args(scene, "--fix", "--quarantine", q)
    ran = run([sys.executable, "-m", "tests.faultshim", spec, *args[3:]], tmp_path)
    line = assert_one_line_error(ran, needle)
    stopped_at = line.split("stopped at file ", 1)[-1].split(" (", 1)[-1].split("), nothing lost", 1)[0]
    assert os.fsencode(stopped_at) in scene.fixed, f"the fault hit no fixed file: {line}"
    assert "run the same command again" in line and "--abort" in line
    assert_settled(scene, journal=True)
    if then == "abort":
        _abort(scene)
        assert_next_import_runs(scene)
        return
    ran = run(args, tmp_path)
    assert ran.code in (0, 1), ran.err
    assert_settled(scene)
    assert_fixed_bytes_placed(scene, ran)


def test_fix_a_file_changed_before_its_move_is_left_unfixed(tmp_path: Path) -> None:
    """Files to fix edited, replaced or deleted after the journal was written: each is left
    in INCOMING (P127), no original of it kept and no fixed copy placed; the rest is fixed."""
    scene = fixable_scene(tmp_path, 150)
    scene.snapshot()
    ran, changed, gone = changed_before_their_move(scene, import_args(scene, "--fix"), among=scene.fixed)
    fixed = {os.fsencode(item["name"]) for item in ran.manifest()["fixed"]}
    assert fixed == set(scene.fixed) - {*changed, *gone}
    assert_settled(scene, changed=changed, gone=gone)
    scene.update(changed, gone)
    assert_next_import_runs(scene)


def test_fix_an_original_edited_between_its_keeping_and_its_removal_keeps_both(tmp_path: Path) -> None:
    """The state a kill leaves between linking a fixed file's original into originals/ and
    removing it from INCOMING, then the file edited: as without --fix (see
    test_2_a_file_changed_between_copy_and_removal_keeps_both), the kept original may be the
    only copy of the checked bytes, so it stays and its fixed bytes are placed as planned; the
    edited file stays in INCOMING (P127)."""
    scene = fixable_scene(tmp_path, 30)
    scene.snapshot()
    q = tmp_path / "quarantine" / "q"
    args = import_args(scene, "--fix", "--quarantine", q)
    proc = start(args, tmp_path)
    stop_when(proc, scene.journal.exists, "the journal was written")
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()
    plan = json.loads(scene.journal.read_text())
    pending = [e for e in plan["entries"] if e.get("fix") and (scene.incoming / e["name"]).exists()]
    victim = pending[-1]
    kept = q / victim["fix"]["original"]
    kept.parent.mkdir(parents=True, exist_ok=True)
    kept.write_bytes((scene.incoming / victim["name"]).read_bytes())  # the keeping got as far as its link
    edited = (scene.incoming / victim["name"]).read_bytes() + b"\nedited\n"
    (scene.incoming / victim["name"]).write_bytes(edited)
    ran = run(args, tmp_path)
    assert ran.code == 1, ran.err
    name = os.fsencode(victim["name"])
    assert _left_names(ran)[name] == ["P127"]
    assert kept.exists()
    assert_settled(scene, superseded={name: edited})


def test_fix_a_name_in_originals_taken_during_the_import_is_not_overwritten(tmp_path: Path) -> None:
    """Another process puts a file at the name the plan chose for a kept original: the import
    records another name in its journal and keeps the original there."""
    scene = fixable_scene(tmp_path, 60)
    scene.snapshot()
    q = tmp_path / "quarantine" / "q"
    proc = start(import_args(scene, "--fix", "--quarantine", q), tmp_path)
    stop_when(proc, scene.journal.exists, "the journal was written")
    plan = json.loads(scene.journal.read_text())
    last = [e for e in plan["entries"] if e.get("fix")][-1]
    assert (scene.incoming / last["name"]).exists(), "moved already: the batch is too small"
    foreign = q / last["fix"]["original"]
    foreign.parent.mkdir(parents=True, exist_ok=True)
    foreign.write_bytes(b"someone else's bytes\n")
    proc.send_signal(signal.SIGCONT)
    ran = finish(proc)
    assert ran.code == 1, ran.err
    assert foreign.read_bytes() == b"someone else's bytes\n"
    item = next(f for f in ran.manifest()["fixed"] if f["name"] == last["name"])
    assert item["original_kept_as"] != last["fix"]["original"]
    assert sha((q / item["original_kept_as"]).read_bytes()) == scene.inputs[os.fsencode(last["name"])][1]
    foreign.unlink()
    assert_settled(scene)
    assert_fixed_bytes_placed(scene, ran)
