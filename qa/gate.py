"""``clipqa import INCOMING --into CORPUS``: the gate that moves a batch into the corpus.

One import, step by step, each step a function of its own (docs/gate.md):

1. **Discover** (:func:`discover_batch`). The batch is the regular files under INCOMING
   that ``include``/``exclude`` select, found without following any symbolic link. A
   symbolic link (P125) and a named pipe, socket or device (P126) are refused: left where
   they are, never read. The corpus, the quarantine, the journal, its lock, the manifest and
   the result cache are never part of the batch, however the folders nest.
2. **Plan** (:func:`plan`). Each file is hashed (SHA-256), then checked *in the context of
   the corpus*: one pipeline run over both, so corpus-level checks (duplicates, related
   items) see both; only the batch's files are gated. With ``--fix`` the batch's fixes are
   then applied in memory by qa/fix.py's planner, pass after pass, and the verdict is the
   fixed files' (:func:`_fix_batch`). A name already in the corpus is "already imported"
   (same bytes, or with ``--fix`` the same bytes once fixed) or a conflict (P129:
   rejected, never overwritten). A file whose bytes changed while it was checked (P127),
   or whose name cannot be written where it would go (P128), is left in INCOMING. A rejected file gets a quarantine name
   that nothing holds (``name~2.txt`` after ``name.txt``; a name too long for its
   ``.findings.json`` is shortened), so the quarantine never holds a record of other bytes.
3. **Journal** (:func:`write_journal`). The plan is written atomically beside the corpus
   before anything moves; only after checking that every folder the import writes to
   can be written (:func:`check_writable`). The journal is also the staging of the fixed
   bytes: a fixed file's entry holds them (``fix.text``) with their SHA-256.
4. **Execute** (:func:`execute`). Each file is moved by :func:`move_file`: copy to a
   temporary name in the target folder while hashing, fsync the file and the folder, link
   it to its final name (which fails rather than overwrite), fsync, then remove the source
   if it is still the file that was copied. A source that is not the checked file any
   more (changed, replaced, deleted) is left where it is and reported (P127); the rest of
   the batch goes on. A rejected file's ``.findings.json`` is written before it moves. A
   fixed file is *moved* to the quarantine's ``originals/`` the same way (its original
   bytes, kept: :func:`_keep_original`), and only then are its fixed bytes written from the
   journal where it goes (:func:`place_bytes`): its original is in one place (INCOMING
   or ``originals/``, as any moved file is), and its fixed bytes exist only once it is kept.
5. **Finish**: the manifest is written, then the journal removed.

Killed at any moment (SIGKILL included), running the same command again finds the
journal and finishes the plan: every step is idempotent and checked against the recorded
SHA-256. ``clipqa import --abort --into CORPUS`` (:func:`abort_import`) instead puts every
file of an unfinished import back where it was. An error of the environment (permissions,
a read-only or full file system, too many open files) stops the import with one line
naming the path and the cause: the file being moved is left in one place, and the same
command finishes the import once the cause is fixed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import json
import os
import re
import shlex
import stat
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Literal

from qa.atomic import NAME_MAX, TMP_MARK, cut_name, fsync_dir, is_temp_of, temp_name, write_text
from qa.config import Config
from qa.corpus import P120, Discovery, Source, _compiled, discover, shown
from qa.findings import Finding, Fix, Rule, Severity
from qa.rules import P125, P126, P127, P128, P129

if TYPE_CHECKING:
    from qa.fix import FileChange

JOURNAL_VERSION = 3
# version 1: no quarantine names (a rejected file kept its name); version 2: no fixes
_READABLE_JOURNALS = (1, 2, 3)
SIDECAR = ".findings.json"
MANIFEST = "manifest.json"
ORIGINALS = "originals"  # the quarantine's folder of the original bytes of the files --fix fixed

Fixes = Literal["safe", "unsafe"] | None  # --fix, --fix --unsafe-fixes


@dataclass(frozen=True, slots=True)
class IndexUse:
    """The corpus index an import checks its batch with (qa/index.py, docs/gate.md), and
    brings up to date after its moves."""

    path: Path


# Batch-level refusals: the gate's own, always applied (not selected or ignored by the
# configuration). Declared here so that `clipqa rules` and the README list them.
_REFUSALS = frozenset({P125.code, P126.code, P127.code, P128.code, P129.code, P120.code, "conflict"})


class ImportError_(Exception):  # noqa: N801 - not the builtin ImportError
    """The import cannot run (bad folders, another unfinished import, the environment). Exit 2."""


# ---------------------------------------------------------------- names, JSON, errors


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def dumps(doc: Any) -> str:
    """JSON text of ``doc`` that can always be written as UTF-8: a file name that is not
    UTF-8 (its bytes kept as lone surrogates by ``os.fsdecode``) is written with ``\\udcXX``
    escapes, which ``json.loads`` reads back to the same name."""
    text = json.dumps(doc, ensure_ascii=False, indent=1)
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n"


_OF_THE_PROCESS = {errno.EMFILE, errno.ENFILE, errno.ENOMEM}  # not about the file at hand
_CAUSES = {
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EROFS: "read-only file system",
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EFBIG: "file too large (the file system's limit, or ulimit -f)",
    errno.ENAMETOOLONG: "file name too long",
    errno.EMFILE: "too many open files (raise the limit: ulimit -n)",
    errno.ENFILE: "too many open files on the system",
    errno.EIO: "input/output error",
    errno.ENOTDIR: "a part of the path is not a folder",
    errno.EISDIR: "is a folder",
    errno.ELOOP: "too many levels of symbolic links",
    errno.EILSEQ: "the file system does not accept this name",
    errno.EBUSY: "device or resource busy",
    errno.ENOMEM: "out of memory",
}


def environment_error(exc: OSError) -> str | None:
    """One line for an error of the environment (not of clipqa): the path and the cause.
    None: not such an error."""
    if exc.errno not in _CAUSES:
        return None
    cause = f"{_CAUSES[exc.errno]} ({errno.errorcode[exc.errno]})"
    where = [shown(p) for p in (exc.filename, exc.filename2) if p is not None and not isinstance(p, int)]
    if exc.errno in _OF_THE_PROCESS:  # the path is only where it showed
        return f"{cause}, opening {where[0]}" if where else cause
    return f"{' -> '.join(where)}: {cause}" if where else cause


def journal_path(corpus: Path) -> Path:
    name = f".{corpus.name}.clipqa-import.json"
    if len(os.fsencode(name)) > NAME_MAX - 64:  # room for its lock's and temporary files' names
        digest = hashlib.sha256(os.fsencode(corpus.name)).hexdigest()[:16]
        name = f".{cut_name(corpus.name, 120)}~{digest}.clipqa-import.json"
    return corpus.parent / name


def lock_path(jpath: Path) -> Path:
    return jpath.with_name(jpath.name + ".lock")


def default_quarantine(corpus: Path, now: dt.datetime) -> Path:
    return corpus.parent / "quarantine" / now.strftime("%Y%m%dT%H%M%SZ")


def sha256_file(path: str | os.PathLike[str]) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _finding(r: Rule, name: str, message: str) -> dict[str, Any]:
    return r.finding(name, message).to_dict()


def _leave(name: str, r: Rule, message: str, **extra: Any) -> dict[str, Any]:
    """A journal entry for a batch entry that stays where it is, and why."""
    finding = _finding(r, name, message)
    return {"name": name, **extra, "action": "leave", "reason": f"{r.code} {message}", "findings": [finding]}


# ---------------------------------------------------------------- the batch


@dataclass(slots=True)
class Batch:
    """What INCOMING holds for an import: the regular files to gate, and what is refused."""

    files: list[str] = field(default_factory=list)  # names: POSIX paths relative to INCOMING
    refused: list[dict[str, Any]] = field(default_factory=list)  # journal entries ("leave")


_KINDS = ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"))  # fmt: skip


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def discover_batch(
    incoming: Path,
    include: Iterable[str],
    exclude: Iterable[str],
    skip: Collection[str],
    not_batch: Callable[[str], bool] | None = None,
) -> Batch:
    """The batch under ``incoming``, found without following a symbolic link and without
    reading a file. ``skip``: real paths that are never part of it (the corpus, the
    quarantine, the journal...), folders with everything in them; ``not_batch``: a test of
    a real path that says the same of a file (the corpus index's files)."""
    excluded = _compiled(list(exclude)).match
    included = _compiled(list(include)).match
    batch = Batch()
    stack = [(os.path.realpath(incoming), "")]
    while stack:
        folder, rel_dir = stack.pop()
        try:
            with os.scandir(folder) as found:
                entries = sorted(found, key=lambda e: e.name)
        except OSError as exc:
            message = f"cannot list this folder ({exc.strerror or exc}); nothing in it was imported"
            batch.refused.append(_leave(rel_dir or ".", P120, message))
            continue
        for entry in entries:
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            if excluded(entry.name) or excluded(rel) or entry.path in skip or entry.name.endswith(TMP_MARK):
                continue
            if not_batch is not None and not_batch(entry.path):
                continue
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:  # gone since the folder was listed
                continue
            if stat.S_ISDIR(st.st_mode):
                stack.append((entry.path, rel))
            elif stat.S_ISLNK(st.st_mode):
                to_folder = os.path.isdir(entry.path)  # a stat of the target; nothing is read
                if to_folder or included(entry.name):
                    target = shown(os.readlink(entry.path)) + (" (a folder)" if to_folder else "")
                    message = f"a symbolic link to {target}; not followed, it stays in INCOMING"
                    batch.refused.append(_leave(rel, P125, message))
            elif included(entry.name):
                if stat.S_ISREG(st.st_mode):
                    batch.files.append(rel)
                else:
                    batch.refused.append(_leave(rel, P126, f"{_kind(st.st_mode)}; not read, it stays in INCOMING"))
    batch.files.sort()
    return batch


class _NotTheFile(Exception):
    """The source is not the regular file that was checked: ``outcome`` says how."""

    def __init__(self, outcome: str, why: str) -> None:
        super().__init__(why)
        self.outcome, self.why = outcome, why


_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_SOURCE_FLAGS = os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)


@contextlib.contextmanager
def _folder(root: str, rel_dir: str) -> Iterator[int]:
    """A descriptor of the folder ``rel_dir`` under ``root``, reached without following a
    symbolic link: a folder of the batch swapped for a link to elsewhere is not entered."""
    try:
        fd = os.open(root, _DIR_FLAGS)
    except FileNotFoundError as exc:
        raise _NotTheFile("missing", "its folder was deleted") from exc
    try:
        for part in PurePosixPath(rel_dir).parts:
            try:
                inner = os.open(part, _DIR_FLAGS | _NOFOLLOW, dir_fd=fd)
            except FileNotFoundError as exc:
                raise _NotTheFile("missing", "its folder was deleted") from exc
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise _NotTheFile("changed", f"its folder {part!r} was replaced") from exc
                raise
            os.close(fd)
            fd = inner
        yield fd
    finally:
        os.close(fd)


def _open_source(folder: int, base: str) -> tuple[int, os.stat_result]:
    """Open a batch file for reading: a regular file, never through a symbolic link, never
    blocking (a named pipe opens at once and is refused here)."""
    try:
        fd = os.open(base, _SOURCE_FLAGS, dir_fd=folder)
    except FileNotFoundError as exc:
        raise _NotTheFile("missing", "deleted") from exc
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _NotTheFile("changed", "replaced by a symbolic link") from exc
        raise
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise _NotTheFile("changed", f"replaced by {_kind(st.st_mode)}")
    return fd, st


def _hash_fd(fd: int) -> str:
    h = hashlib.sha256()
    while block := os.read(fd, 1 << 20):
        h.update(block)
    return h.hexdigest()


def _hash_source(root: str, name: str) -> tuple[str, int]:
    rel_dir, _, base = name.rpartition("/")
    with _folder(root, rel_dir) as folder:
        fd, st = _open_source(folder, base)
        try:
            return _hash_fd(fd), st.st_size
        finally:
            os.close(fd)


# ---------------------------------------------------------------- planning


def gating(findings: list[Finding], fail_on: str) -> list[Finding]:
    if fail_on == "never":
        return []
    threshold = Severity(fail_on).rank
    return [f for f in findings if Severity(f.severity).rank >= threshold]


def _limits(folder: Path) -> tuple[int, int]:
    """NAME_MAX and PATH_MAX of the file system ``folder`` is (or will be) on."""
    here = _existing(folder)
    try:
        return os.pathconf(here, "PC_NAME_MAX"), os.pathconf(here, "PC_PATH_MAX")
    except (OSError, ValueError):  # pragma: no cover - no pathconf here
        return NAME_MAX, 4096


def _existing(path: Path) -> Path:
    while not os.path.lexists(path) and path != path.parent:
        path = path.parent
    return path


def _unwritable_name(root: Path, rel: str, limits: tuple[int, int], extra: str = "") -> str | None:
    """Why ``root/rel`` (and ``root/rel + extra``) cannot be written, or None."""
    name_max, path_max = limits
    parts = PurePosixPath(rel).parts
    too_long = [p for p in (*parts[:-1], parts[-1] + extra) if len(os.fsencode(p)) > name_max]
    if too_long:
        return f"the name {shown(too_long[0])!r} is longer than {name_max} bytes there"
    full = len(os.fsencode(root / (rel + extra)))
    if full >= path_max:
        return f"the path would be {full} bytes long there, over the limit of {path_max}"
    here = root
    for part in parts[:-1]:
        here = here / part
        if not os.path.lexists(here):
            break
        if not here.is_dir():
            return f"{shown(here)} is not a folder"
    return None


def _check_path(prefix: str, name: str, used: dict[str, str]) -> str:
    """The path a file has in the check run: printable, so that the checks and their
    tables never meet a name that is not UTF-8; unique."""
    path = f"{prefix}/{shown(name)}"
    while path in used:
        path += "~"
    used[path] = name
    return path


def never_in_batch(corpus: Path, quarantine: Path, jpath: Path, manifest: Path | None, config: Config) -> set[str]:
    """Real paths never part of a batch, wherever INCOMING is: the corpus, this import's
    quarantine and the default quarantine folder, the journal and its lock, the manifest, the cache."""
    paths = [corpus, quarantine, corpus.parent / "quarantine", jpath, lock_path(jpath), Path(config.cache_dir)]
    if manifest is not None:
        paths.append(manifest)
    return {os.path.realpath(p) for p in paths}


def plan(
    incoming: Path,
    corpus: Path,
    quarantine: Path,
    config: Config,
    cache_dir: str | None = None,
    *,
    manifest: Path | None = None,
    fixes: Fixes = None,
    index: IndexUse | None = None,
) -> dict[str, Any]:
    """Check the batch with the corpus; decide each batch file's fate. Moves nothing.
    ``fixes``: apply the batch's safe (``"safe"``) or safe and unsafe (``"unsafe"``) fixes
    in memory before the verdict (:func:`_fix_batch`); the journal then holds the fixed bytes.
    ``index``: the corpus index to check the batch with (None: a full run, as ``--no-index``)."""
    from qa.pipeline import run

    inc, cor, q = (Path(os.path.realpath(p)) for p in (incoming, corpus, quarantine))
    skip = never_in_batch(cor, q, journal_path(cor), manifest, config)
    # the corpus index's files (beside the corpus: inside INCOMING when it holds the corpus),
    # with --no-index too: the index an import would use is never part of a batch
    from qa.index import index_files, index_path

    not_batch = index_files(index.path if index is not None else index_path(cor, config))
    batch = discover_batch(inc, config.include, config.all_excludes(), skip, not_batch)
    entries: list[dict[str, Any]] = list(batch.refused)
    corpus_limits = _limits(cor)
    to_check: dict[str, dict[str, Any]] = {}  # check path -> entry
    named_in_corpus: list[dict[str, Any]] = []  # other bytes of the name are in the corpus: fixed, the same?
    used: dict[str, str] = {}
    for name in batch.files:
        try:
            sha, size = _hash_source(str(inc), name)
        except _NotTheFile as gone:
            entries.append(_leave(name, P127, f"{gone.why} while the batch was read; not moved"))
            continue
        except OSError as exc:
            if exc.errno in _OF_THE_PROCESS:
                raise
            entries.append(_leave(name, P120, f"cannot read: {exc.strerror or exc}; it stays in INCOMING"))
            continue
        entry: dict[str, Any] = {"name": name, "sha256": sha, "size": size}
        entries.append(entry)
        problem = _unwritable_name(cor, name, corpus_limits)
        if problem:
            entry.update(_leave(name, P128, f"cannot go into the corpus: {problem}; it stays in INCOMING"))
            continue
        held = _holds(cor / name, sha)
        if held == "same":
            entry.update(action="already", reason="already in the corpus, byte-identical", findings=[])
        elif held == "other" and fixes is None:
            _conflict(entry)
        else:
            if held == "other":
                named_in_corpus.append(entry)
            to_check[_check_path("incoming", name, used)] = entry
    checked_by: dict[str, Any] = {"mode": "none"}
    if to_check:
        checked_by = _check(inc, cor, to_check, used, config, cache_dir, run, fixes, index)
    for entry in named_in_corpus:
        if entry["action"] == "leave":
            continue
        fixed = entry.get("fix")
        if fixed is not None and _holds(cor / entry["name"], fixed["sha256"]) == "same":
            # imported before with --fix: the corpus holds exactly its fixed bytes
            reason = "already in the corpus, byte-identical once fixed"
            entry.update(action="already", reason=reason, findings=[])
        else:
            _conflict(entry)
    journal: dict[str, Any] = {
        "journal_version": JOURNAL_VERSION,
        "incoming": str(inc),
        "corpus": str(cor),
        "quarantine": str(q),
        "fail_on": config.fail_on,
        "fix": None if fixes is None else {"unsafe_fixes": fixes == "unsafe"},
        "index": None if index is None else str(index.path),
        "checked_by": checked_by,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "entries": sorted(entries, key=lambda e: e["name"]),
    }
    taken = quarantine_names(journal)
    journal["manifest"] = str(manifest if manifest is not None else q / _free_manifest_name(q, taken))
    return journal


def _conflict(entry: dict[str, Any]) -> None:
    message = f"a different file named {shown(entry['name'])!r} is already in the corpus; not overwritten"
    entry.pop("fix", None)  # quarantined as given: a name conflict, whatever the bytes
    entry.update(action="reject", reason="conflict", findings=[_finding(P129, entry["name"], message)])


def _check(
    inc: Path,
    cor: Path,
    to_check: dict[str, dict[str, Any]],
    used: dict[str, str],
    config: Config,
    cache_dir: str | None,
    run: Any,
    fixes: Fixes = None,
    index: IndexUse | None = None,
) -> dict[str, Any]:
    """Check the files to check with the corpus (with ``fixes``, then their fixes, in memory,
    pass after pass); each entry's verdict. Returns how the batch was checked (``mode``
    "index" or "full", and why).

    With ``index``, the per-file stage runs on the batch alone and the corpus checks look up
    the corpus files it can relate to (:func:`qa.index.gate_batch`: built first, or brought up
    to date by a stat scan; the same findings as a full run; a full run where it cannot
    serve). Without, one pipeline run over the corpus and the batch."""
    checks: list[Any] = []  # the corpus index's answers, one per pass
    if index is not None:
        from qa import index as corpus_index

        found = Discovery([Source(p, str(inc / e["name"])) for p, e in to_check.items()], [], [])

        def check(files: Discovery) -> Any:
            started = dt.datetime.now(dt.UTC)
            checks.append(corpus_index.gate_batch(files.sources, cor, config, index.path, want_tables=True))
            return checks[-1].run_result(config, [str(cor), str(inc)], started)

    else:
        existing = discover([cor], config.include, config.all_excludes()) if cor.is_dir() else Discovery([], [], [])
        corpus_paths = {_check_path("corpus", s.path, used): s.location for s in existing.sources}
        sources = [Source(p, loc) for p, loc in corpus_paths.items()]
        sources += [Source(p, str(inc / e["name"])) for p, e in to_check.items()]
        found = Discovery(sorted(sources, key=lambda s: s.path), [], [])

        def check(files: Discovery) -> Any:
            return run([str(cor), str(inc)], config, discovery=files, cache_dir=cache_dir)

    result = check(found)
    _checked_in_full(result, used)
    fixed: dict[str, FileChange] = {}
    if fixes is not None:
        result, fixed = _fix_batch(inc, cor, found, result, to_check, config, cache_dir, fixes, check)
        _checked_in_full(result, used)
    _verdicts(to_check, result.findings, _checked_hashes(result.tables.get("files")), fixed, used, config)
    if not checks:
        return {"mode": "full", "reason": "--no-index"}
    full = [c for c in checks if c.mode != "index"]  # a pass the index could not serve
    return {
        "mode": "full" if full else "index",
        "reason": (full or checks)[0].reason,
        "refreshed": checks[0].refreshed,  # corpus files the stat scan re-indexed
        "scan": checks[0].scan,  # "stat", or "change feed (N paths)": clipqa index watch
        "closure": checks[0].closure,  # corpus files each corpus check looked at
        "seconds": checks[0].timings,  # per phase
    }


def _verdicts(
    to_check: dict[str, dict[str, Any]],
    findings: list[Finding],
    checked: dict[str, str],
    fixed: dict[str, FileChange],
    used: dict[str, str],
    config: Config,
) -> None:
    """Each entry's verdict from the findings that name it (``checked``: the hashes of the
    bytes the checks read, by check path; ``fixed``: the batch's fixes, by check path)."""
    own: dict[str, list[Finding]] = {}
    for f in findings:
        for path in {f.path, *f.related}:
            if path in to_check:
                own.setdefault(path, []).append(f)
    for path, entry in to_check.items():
        name = entry["name"]
        change = fixed.get(path)
        read = entry["sha256"] if change is None else hashlib.sha256(change.before).hexdigest()
        now = entry["sha256"] if change is None else entry["fix"]["sha256"]  # what the last check read
        if read != entry["sha256"] or checked.get(path, now) != now:
            entry.pop("fix", None)
            entry.update(
                _leave(
                    name, P127, "changed while it was being checked; not moved, it stays in INCOMING (import it again)"
                )
            )
            continue
        mine = own.get(path, [])
        bad = gating(mine, config.fail_on)
        entry["action"] = "reject" if bad else "accept"
        entry["reason"] = "; ".join(sorted({f"{f.rule} {f.message}" for f in bad})) if bad else "passed"
        entry["findings"] = [_finding_dict(f, used) for f in mine]


def _checked_in_full(result: Any, used: dict[str, str]) -> None:
    broken = [f for f in result.findings if f.rule == "P900" and f.path not in used]
    if broken:  # a corpus-level check failed: the batch was not checked in full
        raise ImportError_(f"the batch could not be checked in full ({broken[0].message}); nothing was moved")


def _fix_batch(
    inc: Path,
    cor: Path,
    found: Discovery,
    result: Any,
    to_check: dict[str, dict[str, Any]],
    config: Config,
    cache_dir: str | None,
    fixes: str,
    recheck: Callable[[Discovery], Any],
) -> tuple[Any, dict[str, FileChange]]:
    """Apply the fixes of the batch's findings in memory, as ``clipqa fix`` does (qa/fix.py:
    pass after pass, each file parsed again and checked), never those of corpus files; record
    each fixed file's new bytes and what was fixed (``fix``) and the fixes declined
    (``fix_declined``) in its entry. Returns the run over the fixed contents, and the changes
    by check path."""
    from qa.fix import settle_fixes

    outcome = settle_fixes(
        [str(cor), str(inc)],
        config,
        found,
        result,
        unsafe=fixes == "unsafe",
        fixable=set(to_check),
        in_place=False,
        cache_dir=cache_dir,
        recheck=recheck,
    )
    for finding, reason in outcome.declined:
        entry = to_check[finding.path]
        item = {"rule": finding.rule, "field": finding.field, "line": finding.line, "reason": reason}
        entry.setdefault("fix_declined", []).append(item)
    changes: dict[str, FileChange] = {}
    for change in outcome.changes:
        entry = to_check[change.path]
        text = change.after.decode("utf-8")  # the planner writes UTF-8 only
        entry["fix"] = {
            "sha256": hashlib.sha256(change.after).hexdigest(),
            "size": len(change.after),
            "fixes": [
                {"rule": f.rule, "field": f.field, "line": f.line, **f.fix.to_dict()}
                for f in change.fixed
                if isinstance(f.fix, Fix)
            ],
            "text": text,  # the fixed bytes, as UTF-8 text: the journal is their staging
        }
        changes[change.path] = change
    return outcome.result, changes


def _checked_hashes(files: Any) -> dict[str, str]:
    """Check path -> SHA-256 of the bytes the checks read (none for a file not read)."""
    if files is None or "sha256" not in files:
        return {}
    return {str(p): str(h) for p, h in zip(files["_path"], files["sha256"], strict=True) if isinstance(h, str) and h}


def _finding_dict(f: Finding, used: dict[str, str]) -> dict[str, Any]:
    def name(p: str) -> str:
        real = used.get(p)
        if real is None:  # a corpus file the corpus index named (its path as the checks see it)
            return f"(corpus) {p[len('corpus/') :]}" if p.startswith("corpus/") else p
        return real if p.startswith("incoming/") else f"(corpus) {real}"

    d = f.to_dict()
    d["path"] = name(f.path)
    d["related"] = [name(p) for p in f.related]
    return d


# ---------------------------------------------------------------- quarantine names


def quarantine_names(journal: dict[str, Any]) -> set[str]:
    """Give each rejected entry without one a quarantine name (``dest``), and each fixed file
    a name for its original bytes under ``originals/``, that nothing holds: not a file
    there, not another entry's name or ``.findings.json``. Returns the names taken (entries
    that cannot be quarantined, or whose original cannot be kept, are left in INCOMING, P128)."""
    q = Path(journal["quarantine"])
    limits = _limits(q)
    taken: set[str] = {n for e in journal["entries"] for n in _names_in_quarantine(e)}
    for e in journal["entries"]:
        if e["action"] != "reject" or e.get("dest") is not None:
            continue
        dest = free_quarantine_name(q, e["name"], taken, limits)
        if dest is None:
            problem = _unwritable_name(q, e["name"], limits, SIDECAR) or "no free name"
            e.update(_leave(e["name"], P128, f"cannot be quarantined: {problem}; it stays in INCOMING"))
            continue
        e["dest"] = dest
        taken.update((dest, dest + SIDECAR))
    for e in journal["entries"]:
        fix = e.get("fix")
        if fix is None or fix.get("original") is not None:
            continue
        kept = free_quarantine_name(q, f"{ORIGINALS}/{e['name']}", taken, limits)
        if kept is None:
            problem = _unwritable_name(q, f"{ORIGINALS}/{e['name']}", limits) or "no free name"
            message = f"its original cannot be kept in the quarantine ({problem}); not fixed, it stays in INCOMING"
            del e["fix"]
            e.pop("dest", None)
            e.update(_leave(e["name"], P128, message))
            continue
        fix["original"] = kept
        taken.add(kept)
    return taken


def _names_in_quarantine(e: dict[str, Any]) -> list[str]:
    """The names an entry holds in the quarantine: its own and its record's, its kept original."""
    names = [e["dest"], e["dest"] + SIDECAR] if e.get("dest") is not None else []
    fix = e.get("fix")
    if fix is not None and fix.get("original") is not None:
        names.append(fix["original"])
    return names


def free_quarantine_name(q: Path, name: str, taken: Collection[str], limits: tuple[int, int]) -> str | None:
    """``name`` if neither it nor its ``.findings.json`` is taken in ``q``, else ``stem~2.ext``,
    ``stem~3.ext``...; a name too long for its ``.findings.json`` is cut (with a digest of the
    whole name). None: no name fits (a folder of the path is a file, or the path is too long)."""
    parent, _, base = name.rpartition("/")
    suffix = PurePosixPath(base).suffix
    stem = base[: len(base) - len(suffix)] if suffix else base
    if len(os.fsencode(suffix)) > 32:  # not an extension: part of the name
        stem, suffix = base, ""
    digest = hashlib.sha256(os.fsencode(base)).hexdigest()[:8]
    for n in range(1, 10_000):
        tag = "" if n == 1 else f"~{n}"
        candidate = f"{stem}{tag}{suffix}"
        if len(os.fsencode(candidate + SIDECAR)) > limits[0]:
            room = limits[0] - len(os.fsencode(f"~{digest}{tag}{suffix}{SIDECAR}"))
            candidate = f"{cut_name(stem, room)}~{digest}{tag}{suffix}"
        rel = f"{parent}/{candidate}" if parent else candidate
        if _unwritable_name(q, rel, limits, SIDECAR):
            return None
        if rel in taken or rel + SIDECAR in taken:
            continue
        if not os.path.lexists(q / rel) and not os.path.lexists(q / (rel + SIDECAR)):
            return rel
    return None


def _free_manifest_name(q: Path, taken: Collection[str]) -> str:
    """``manifest.json`` in the quarantine, or ``manifest~2.json``...: never another import's."""
    for n in range(1, 10_000):
        name = MANIFEST if n == 1 else f"manifest~{n}.json"
        if name not in taken and not os.path.lexists(q / name):
            return name
    raise ImportError_(f"{shown(q)}: no free name for the manifest; give --manifest")  # pragma: no cover


# ---------------------------------------------------------------- before anything moves


def check_writable(journal: dict[str, Any], jpath: Path) -> None:
    """Refuse, before anything moves, an import into folders it cannot write: the corpus,
    the quarantine, the journal's and the manifest's folders, and every INCOMING folder a
    file leaves (a file copied but not removed would be in two places)."""
    inc, cor, q = (Path(journal[k]) for k in ("incoming", "corpus", "quarantine"))
    folders = {jpath.parent, Path(journal["manifest"]).parent}
    for e in journal["entries"]:
        if e["action"] == "leave":
            continue
        folders.add((inc / e["name"]).parent)
        if e["action"] == "accept":
            folders.add((cor / e["name"]).parent)
        elif e["action"] == "reject":
            folders.add((q / e["dest"]).parent)
        if e.get("fix") is not None:
            folders.add((q / e["fix"]["original"]).parent)
    for folder in sorted(folders):
        here = _existing(folder)
        if os.access(here, os.W_OK | os.X_OK):
            continue
        try:
            read_only = bool(os.statvfs(here).f_flag & os.ST_RDONLY)
        except OSError:  # pragma: no cover
            read_only = False
        cause = _CAUSES[errno.EROFS] + " (EROFS)" if read_only else _CAUSES[errno.EACCES] + " (EACCES)"
        raise ImportError_(f"{shown(here)}: {cause}: the import must write there; nothing was moved")


# ---------------------------------------------------------------- moving


def _mkdirs(folder: Path) -> None:
    missing = []
    here = folder
    while not os.path.lexists(here):
        missing.append(here)
        here = here.parent
    folder.mkdir(parents=True, exist_ok=True)
    for made in reversed(missing):
        fsync_dir(made.parent)


def _holds(dst: Path, sha256: str) -> str:
    """What ``dst`` holds: "absent", "same" (these bytes) or "other"."""
    try:
        st = dst.lstat()
    except FileNotFoundError:
        return "absent"
    except NotADirectoryError:
        return "other"
    if not stat.S_ISREG(st.st_mode):
        return "other"
    try:
        return "same" if sha256_file(dst) == sha256 else "other"
    except FileNotFoundError:  # removed since
        return "absent"


def _identity(st: os.stat_result) -> tuple[int, ...]:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


_NO_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK, errno.ENOSYS}


def move_file(
    src: str | os.PathLike[str],
    dst: Path,
    sha256: str,
    *,
    root: str | None = None,
    undo: bool = True,
    keep_source: bool = False,
) -> str:
    """Move a file to ``dst`` durably, never overwriting. Idempotent; returns what happened.

    ``src`` is a path, or with ``root`` a name under ``root`` (reached without following a
    symbolic link). "moved"; "done" (``dst`` already held these bytes: an earlier,
    interrupted run copied it); "conflict" (``dst`` holds other bytes: nothing changed);
    "changed" (the source is not the file that was checked any more: other bytes, replaced,
    not a regular file; it is left where it is, and with ``undo`` a copy of it at ``dst``
    is removed, so that the file is in one place); "superseded" (``dst`` already held the
    checked bytes, placed by an earlier, interrupted run, and INCOMING now holds another file
    of this name: both stay, never the only copy of the checked bytes removed); "missing"
    (neither is there).
    ``keep_source``: copy, do not remove the source. An OSError (the environment) leaves the
    file in one place and is raised.
    """
    if root is None:
        root, name = os.fspath(Path(src).parent), Path(src).name
    else:
        name = os.fspath(src)
    rel_dir, _, base = name.rpartition("/")
    held = _holds(dst, sha256)
    if held == "other":
        return "conflict"
    try:
        with _folder(root, rel_dir) as folder:
            if held == "same":
                return _release(folder, base, None, sha256, dst, "done", undo, keep_source)
            fd, st = _open_source(folder, base)
            try:
                placed = _copy_in(fd, st, dst, sha256)
            finally:
                os.close(fd)
            if placed == "conflict":
                return "conflict"
            return _release(folder, base, st, sha256, dst, placed, undo, keep_source)
    except _NotTheFile as gone:
        if held == "same" and gone.outcome == "missing":
            return "done"  # moved by an earlier run, which was stopped before it could say so
        return gone.outcome


def _copy_in(fd: int, st: os.stat_result, dst: Path, sha256: str) -> str:
    """Copy the open source to ``dst`` through a temporary file: "moved", "done" (``dst``
    appeared with these bytes meanwhile) or "conflict"; raises _NotTheFile when the bytes
    read are not the checked ones."""

    def fill(out: int) -> None:
        h = hashlib.sha256()
        while block := os.read(fd, 1 << 20):
            h.update(block)
            _write_all(out, block)
        if h.hexdigest() != sha256:
            raise _NotTheFile("changed", "its bytes changed")
        os.fchmod(out, stat.S_IMODE(st.st_mode))
        if os.utime in os.supports_fd:
            os.utime(out, ns=(st.st_atime_ns, st.st_mtime_ns))

    return _new_file(dst, sha256, fill)


def place_bytes(data: bytes, dst: Path, sha256: str, mode: int) -> str:
    """Write ``data`` (whose SHA-256 is ``sha256``) at ``dst`` as :func:`move_file` places a
    copy: through a temporary file, durably, never overwriting. "moved", "done" (``dst``
    already held these bytes: an earlier, interrupted run wrote them) or "conflict"."""
    held = _holds(dst, sha256)
    if held != "absent":
        return "done" if held == "same" else "conflict"

    def fill(out: int) -> None:
        _write_all(out, data)
        os.fchmod(out, mode)

    return _new_file(dst, sha256, fill)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _new_file(dst: Path, sha256: str, fill: Callable[[int], None]) -> str:
    """A new file at ``dst`` with the bytes ``fill`` writes into the descriptor it is given
    (their SHA-256 is ``sha256``): written to a temporary name beside it, fsynced, then linked
    to ``dst``, which fails rather than overwrite. "moved", "done" (``dst`` appeared with these
    bytes meanwhile) or "conflict"."""
    _mkdirs(dst.parent)
    tmp = dst.parent / temp_name(dst.name, str(os.getpid()))
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()  # a leftover of a killed run that had this process id
    out = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        fill(out)
        os.fsync(out)
    except BaseException as exc:
        os.close(out)
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError) and exc.filename is None:  # a write or fsync: say where
            raise OSError(exc.errno, exc.strerror, str(dst)) from exc
        raise
    os.close(out)
    try:
        fsync_dir(dst.parent)
        try:
            os.link(tmp, dst)  # unlike a rename, fails if dst appeared meanwhile
        except FileExistsError:
            return "done" if _holds(dst, sha256) == "same" else "conflict"
        except OSError as exc:
            if exc.errno not in _NO_LINKS:
                raise
            if os.path.lexists(dst):  # no hard links here (some file systems): a rename, after a last look
                return "done" if _holds(dst, sha256) == "same" else "conflict"
            os.rename(tmp, dst)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    fsync_dir(dst.parent)
    return "moved"


def _release(
    folder: int,
    base: str,
    copied: os.stat_result | None,
    sha256: str,
    dst: Path,
    outcome: str,
    undo: bool,
    keep_source: bool,
) -> str:
    """``dst`` holds the checked bytes durably; remove the source if it is still the file
    that was copied (``copied``: its stat then; None: an earlier run copied it, so its bytes
    are compared). A source that changed is left, and (``undo``) the copy removed."""
    try:
        now = os.stat(base, dir_fd=folder, follow_symlinks=False)
    except FileNotFoundError:
        return outcome
    if copied is not None:
        same = _identity(now) == _identity(copied)
    elif not stat.S_ISREG(now.st_mode):
        same = False
    else:
        fd, _ = _open_source(folder, base)
        try:
            same = _hash_fd(fd) == sha256
        finally:
            os.close(fd)
    if not same:
        if copied is None:
            # An earlier, interrupted run placed the checked bytes at ``dst``; what is in INCOMING
            # now is not them. Either that run had removed the source and another file of this
            # name came since, or the source was edited after that copy: either way ``dst`` may
            # hold the only copy of the checked bytes, so it stays, and so does the new file.
            return "superseded"
        if undo:
            _unplace(dst, sha256)
        return "changed"
    if keep_source:
        return outcome
    try:
        os.unlink(base, dir_fd=folder)
        os.fsync(folder)
    except FileNotFoundError:  # deleted meanwhile: it is where it should be, once
        return outcome
    except OSError:
        if undo:  # the source cannot go (a read-only INCOMING): the file stays in one place
            with contextlib.suppress(OSError):
                _unplace(dst, sha256)
        raise
    return outcome


def _unplace(dst: Path, sha256: str) -> None:
    """Remove a copy this import made at ``dst`` (only if it holds these bytes)."""
    if _holds(dst, sha256) == "same":
        dst.unlink()
        fsync_dir(dst.parent)


def _remove_temp_files(folders: dict[Path, set[str]]) -> None:
    """Remove what interrupted writes of these names left in these folders (only theirs)."""
    for folder, names in folders.items():
        try:
            with os.scandir(folder) as found:
                leftovers = [
                    e.path for e in found if e.name.endswith(TMP_MARK) and any(is_temp_of(e.name, n) for n in names)
                ]
        except OSError:
            continue
        for leftover in leftovers:
            with contextlib.suppress(OSError):
                os.unlink(leftover)


def _written_names(journal: dict[str, Any], *, restoring: bool = False) -> dict[Path, set[str]]:
    """Every folder the import (or its undoing) writes to, with the names it writes there."""
    inc, cor, q = (Path(journal[k]) for k in ("incoming", "corpus", "quarantine"))
    out: dict[Path, set[str]] = {}

    def add(path: Path) -> None:
        out.setdefault(path.parent, set()).add(path.name)

    for e in journal["entries"]:
        if e["action"] == "accept":
            add(cor / e["name"])
        elif e["action"] == "reject":
            add(q / e["dest"])
            add(q / (e["dest"] + SIDECAR))
        if e["action"] != "leave" and e.get("fix") is not None:
            add(q / e["fix"]["original"])
        if restoring and e["action"] != "leave":
            add(inc / e["name"])
    add(Path(journal["manifest"]))
    return out


def _placed_sha(e: dict[str, Any]) -> str:
    """The SHA-256 of the bytes the import places for ``e``: its fixed bytes, or its own."""
    fix = e.get("fix")
    return str(fix["sha256"] if fix is not None else e["sha256"])


def _write_sidecar(q: Path, e: dict[str, Any]) -> None:
    doc = {"file": e["name"], "quarantined_as": e["dest"], "sha256": _placed_sha(e)}
    fix = e.get("fix")
    if fix is not None:  # the bytes beside it are the file fixed; the record says so
        doc["fixed"] = {"sha256_before": e["sha256"], "original_kept_as": fix["original"], "fixes": fix["fixes"]}
    doc |= {"reason": e["reason"], "findings": e["findings"]}
    write_text(q / (e["dest"] + SIDECAR), dumps(doc))


def _sidecar_is_ours(path: Path, e: dict[str, Any]) -> bool:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return True
    except (OSError, ValueError):
        return False
    placed = _placed_sha(e)
    return isinstance(doc, dict) and doc.get("file") == e["name"] and doc.get("sha256", placed) == placed


def execute(journal: dict[str, Any], jpath: Path) -> dict[str, Any]:
    """Carry out the journal's plan (again, after an interruption); returns the manifest.
    An environment error stops it (ImportError_), the file at hand in one place, the
    journal kept for the same command to finish, or for --abort."""
    entries = journal["entries"]
    _remove_temp_files(_written_names(journal))
    for done, e in enumerate(entries):
        try:
            _settle(e, journal, jpath)
        except OSError as exc:
            cause = environment_error(exc)
            if cause is None:
                raise
            raise ImportError_(
                f"{cause}; stopped at file {done + 1} of {len(entries)} ({shown(e['name'])}), nothing lost: "
                f"fix that, then run the same command again to finish the import, or undo it with "
                f"`clipqa import --abort --into {shlex.quote(shown(journal['corpus']))}`"
            ) from exc
    return manifest(journal)


def _settle(e: dict[str, Any], journal: dict[str, Any], jpath: Path) -> None:
    """Put one file where the plan says (or leave it, and say why). A fixed file's original
    goes to the quarantine's ``originals/`` first (:func:`_keep_original`), then its fixed
    bytes where the plan says (:func:`_put`)."""
    inc, cor, q = (Path(journal[k]) for k in ("incoming", "corpus", "quarantine"))
    name = e["name"]
    fix = e.get("fix")
    if e["action"] == "leave":
        return
    if e["action"] == "already":
        kept = fix is not None and _holds(q / fix["original"], e["sha256"]) == "same"
        if not kept and _holds(cor / name, _placed_sha(e)) != "same":
            _left(e, "the copy in the corpus changed or went during the import; it stays in INCOMING (import it again)")
            return
        if fix is not None:  # the corpus holds its fixed bytes; its original is kept
            if _keep_original(e, journal, jpath):
                e["outcome"] = "already"
            return
        # the corpus copy was there before the import: never undone
        # (the corpus held these bytes before the import, so "superseded" is a changed source here)
        if move_file(name, cor / name, e["sha256"], root=str(inc), undo=False) in ("changed", "superseded"):
            _left(e, "changed after it was checked; it stays in INCOMING (import it again)")
        else:
            e["outcome"] = "already"
        return
    if fix is not None and not _keep_original(e, journal, jpath):
        return
    if e["action"] == "accept":
        outcome = _put(e, journal, cor / name)
        if outcome != "conflict":
            _record(e, outcome)
            return
        # someone put another file of this name into the corpus since the plan
        message = "a different file of this name appeared in the corpus during the import; not overwritten"
        e.update(action="reject", reason="conflict", findings=[_finding(P129, name, message)], dest=None)
        _reroute(e, journal, jpath)
    while True:  # reject
        dst = q / e["dest"]
        sidecar = q / (e["dest"] + SIDECAR)
        placed = _placed_sha(e)
        if _holds(dst, placed) == "other" or not _sidecar_is_ours(sidecar, e):
            _reroute(e, journal, jpath)  # the name was taken since the plan
            continue
        try:
            if fix is not None or os.path.lexists(inc / name):
                _mkdirs(sidecar.parent)
                _write_sidecar(q, e)
            outcome = _put(e, journal, dst)
        except OSError:
            if _holds(dst, placed) != "same":  # no record without its file
                with contextlib.suppress(OSError):
                    sidecar.unlink()
            raise
        if outcome in ("conflict", "changed", "missing") and _sidecar_is_ours(sidecar, e):
            with contextlib.suppress(FileNotFoundError):
                sidecar.unlink()  # no record without its file
        if outcome == "conflict":
            continue
        _record(e, outcome)
        return


def _keep_original(e: dict[str, Any], journal: dict[str, Any], jpath: Path) -> bool:
    """Move a fixed file's original bytes from INCOMING to the quarantine's ``originals/``
    (:func:`move_file`: durably, never overwriting, only the checked bytes), before its fixed
    bytes are placed, so that no fixed copy exists without its original kept. False: the
    file changed or went. It is left: :func:`move_file` removes the copy it kept, and the
    fixed copy of the old bytes that an earlier, interrupted run placed goes too, so that
    the user's version is the one place it is."""
    inc, q = Path(journal["incoming"]), Path(journal["quarantine"])
    while True:
        outcome = move_file(e["name"], q / e["fix"]["original"], e["sha256"], root=str(inc))
        if outcome != "conflict":
            break
        _reroute(e, journal, jpath, original=True)  # the name was taken since the plan
    if outcome in ("moved", "done", "superseded"):
        if outcome == "superseded":
            _superseded(e)
        return True
    if outcome == "changed" and e["action"] != "already":
        _unplace_fixed(e, journal)
    _record(e, outcome)
    return False


def _put(e: dict[str, Any], journal: dict[str, Any], dst: Path) -> str:
    """Place the bytes the import places for ``e`` at ``dst``: the file moved from INCOMING,
    or (fixed) its fixed bytes from the journal, with its original's permission bits."""
    fix = e.get("fix")
    if fix is None:
        return move_file(e["name"], dst, e["sha256"], root=journal["incoming"])
    data = fix["text"].encode("utf-8")
    if hashlib.sha256(data).hexdigest() != fix["sha256"]:
        raise ImportError_(
            f"{shown(e['name'])}: the journal's fixed bytes are not the ones it recorded (was it edited?); "
            f"`clipqa import --abort --into {shlex.quote(shown(journal['corpus']))}` undoes the import"
        )
    try:
        mode = stat.S_IMODE(os.stat(Path(journal["quarantine"]) / fix["original"]).st_mode)
    except OSError:
        mode = 0o644
    return place_bytes(data, dst, fix["sha256"], mode)


def _unplace_fixed(e: dict[str, Any], journal: dict[str, Any]) -> None:
    """Remove the fixed copy of ``e`` (and its record) that this import placed, if it is there."""
    cor, q = Path(journal["corpus"]), Path(journal["quarantine"])
    if e["action"] == "accept":
        _unplace(cor / e["name"], e["fix"]["sha256"])
    elif e["action"] == "reject" and e.get("dest") is not None:
        _unplace(q / e["dest"], e["fix"]["sha256"])
        sidecar = q / (e["dest"] + SIDECAR)
        if _sidecar_is_ours(sidecar, e):
            with contextlib.suppress(FileNotFoundError):
                sidecar.unlink()


def _record(e: dict[str, Any], outcome: str) -> None:
    if outcome == "changed":
        _left(
            e, "changed, replaced or made something else after it was checked; it stays in INCOMING (import it again)"
        )
    elif outcome == "missing":
        _left(e, "deleted from INCOMING during the import; nothing to move")
    elif outcome == "superseded":
        _superseded(e)
        e["outcome"] = "done"
    else:
        e["outcome"] = outcome


def _superseded(e: dict[str, Any]) -> None:
    """The checked file was placed by an earlier, interrupted run, and another file of its name
    is in INCOMING now: the placed one counts; the new one stays in INCOMING, reported."""
    e["superseded"] = (
        f"{P127.code} a different file of this name is in INCOMING; the checked one had been moved before the "
        "import was interrupted, so this one stays in INCOMING (import it again)"
    )


def _left(e: dict[str, Any], message: str) -> None:
    e["outcome"] = "left"
    e["left_reason"] = f"{P127.code} {message}"
    e["left_findings"] = [_finding(P127, e["name"], message)]


def _reroute(e: dict[str, Any], journal: dict[str, Any], jpath: Path, *, original: bool = False) -> None:
    """Another quarantine name for ``e`` (``original``: for its kept original), recorded in the
    journal before anything moves there."""
    if original:
        e["fix"]["original"] = None
    else:
        e["dest"] = None
    q = Path(journal["quarantine"])
    taken = {n for o in journal["entries"] for n in _names_in_quarantine(o)}
    taken.add(Path(journal["manifest"]).name)
    wanted = f"{ORIGINALS}/{e['name']}" if original else e["name"]
    name = free_quarantine_name(q, wanted, taken, _limits(q))
    if name is None:
        raise ImportError_(f"{shown(q)}: no free name for {shown(wanted)} in the quarantine")
    if original:
        e["fix"]["original"] = name
    else:
        e["dest"] = name
    write_journal(jpath, journal)


def manifest(journal: dict[str, Any], dry_run: bool = False) -> dict[str, Any]:
    accepted: list[str] = []
    already: list[str] = []
    rejected: list[dict[str, Any]] = []
    left: list[dict[str, Any]] = []
    fixed: list[dict[str, Any]] = []
    declined: list[dict[str, Any]] = []
    for e in journal["entries"]:
        fix = e.get("fix")
        stays = e["action"] == "leave" or e.get("outcome") == "left"
        if not stays:
            declined += [{"name": e["name"], **item} for item in e.get("fix_declined", [])]
        if fix is not None and not stays:
            fixed.append(
                {
                    "name": e["name"],
                    "sha256_before": e["sha256"],
                    "sha256_after": fix["sha256"],
                    "original_kept_as": fix["original"],
                    "rules": sorted({item["rule"] for item in fix["fixes"]}),
                    "fixes": fix["fixes"],
                }
            )
        if e.get("superseded") and not stays:
            left.append({"name": e["name"], "reason": e["superseded"], "rules": [P127.code]})
        if stays:
            findings = e.get("left_findings", e.get("findings", []))
            reason = e.get("left_reason", e.get("reason", ""))
            left.append({"name": e["name"], "reason": reason, "rules": sorted({str(f["rule"]) for f in findings})})
        elif e["action"] == "accept":
            accepted.append(e["name"])
        elif e["action"] == "already":
            already.append(e["name"])
        else:
            rules = sorted({str(f["rule"]) for f in e.get("findings", []) if _gates(f, journal["fail_on"])})
            item = {"name": e["name"], "reason": e["reason"], "rules": rules}
            if e.get("dest", e["name"]) != e["name"]:
                item["quarantined_as"] = e["dest"]
            rejected.append(item)
    fixing = journal.get("fix")
    return {
        "dry_run": dry_run,
        "incoming": journal["incoming"],
        "corpus": journal["corpus"],
        "quarantine": journal["quarantine"],
        "fix": None if fixing is None else {**fixing, "originals": str(Path(journal["quarantine"]) / ORIGINALS)},
        "accepted": accepted,
        "already_imported": already,
        "rejected": rejected,
        "left": left,
        "fixed": fixed,
        "fix_declined": declined,
        # how the batch was checked: "index" (the corpus index) or "full" (a full run, and why)
        "checked_by": journal.get("checked_by"),
        "counts": {
            "accepted": len(accepted),
            "already_imported": len(already),
            "rejected": len(rejected),
            "left": len(left),
            "fixed": len(fixed),
        },
    }


def _gates(f: dict[str, Any], fail_on: str) -> bool:
    if f.get("rule") in _REFUSALS:
        return True
    if fail_on == "never":
        return False
    try:
        return Severity(str(f.get("severity"))).rank >= Severity(fail_on).rank
    except ValueError:
        return False


# ---------------------------------------------------------------- the journal


def write_journal(jpath: Path, journal: dict[str, Any]) -> None:
    write_text(jpath, dumps(journal))


def read_journal(path: Path, corpus: Path) -> dict[str, Any] | None:
    aside = f"`clipqa import --abort --into {shlex.quote(shown(corpus))}` moves it aside"
    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        if isinstance(exc, OSError) and environment_error(exc):
            raise
        raise ImportError_(f"{shown(path)}: unreadable import journal ({exc}); {aside}") from exc
    if (
        not isinstance(doc, dict)
        or doc.get("journal_version") not in _READABLE_JOURNALS
        or not all(isinstance(doc.get(k), str) for k in ("incoming", "corpus"))
    ):
        raise ImportError_(f"{shown(path)}: not a clipqa import journal; {aside}")
    for e in doc.get("entries", []):
        if e.get("action") == "reject":
            e.setdefault("dest", e["name"])  # version 1: the quarantine name was the name
    if "quarantine" in doc:
        doc.setdefault("manifest", str(Path(doc["quarantine"]) / MANIFEST))
    return doc


def _whole(journal: dict[str, Any], jpath: Path) -> dict[str, Any]:
    """The journal, if it has everything an import needs to be finished or undone."""
    if not (isinstance(journal.get("entries"), list) and all(k in journal for k in ("quarantine", "fail_on"))):
        raise ImportError_(
            f"{shown(jpath)}: not a whole clipqa import journal; "
            f"`clipqa import --abort --into {shlex.quote(shown(journal['corpus']))}` moves it aside"
        )
    return journal


def finish_journal(jpath: Path) -> None:
    jpath.unlink()
    fsync_dir(jpath.parent)


# ---------------------------------------------------------------- the lock


@contextlib.contextmanager
def _lock(jpath: Path) -> Iterator[None]:
    """One import per corpus at a time; the lock dies with the import's process (even on
    SIGKILL), and no child of it holds the lock (qa.locks)."""
    from qa import locks

    jpath.parent.mkdir(parents=True, exist_ok=True)
    lock = lock_path(jpath)
    try:
        held = locks.take(lock, exclusive=True, wait=False)
    except locks.Busy as exc:
        raise ImportError_(f"{shown(lock)}: another import into this corpus is running") from exc
    try:
        yield
    finally:
        held.release()


# ---------------------------------------------------------------- the command


def _nesting(inc: Path, cor: Path, q: Path, manifest_to: Path | None) -> None:
    """Refuse folders that nest so that the import would move files onto themselves or
    into the corpus unchecked. (The corpus or the quarantine *inside* INCOMING is fine:
    they are left out of the batch.)"""

    def inside(a: Path, b: Path) -> bool:
        return a == b or b in a.parents

    if manifest_to is not None and (inside(manifest_to, inc) or inside(manifest_to, cor)):
        raise ImportError_(f"{shown(manifest_to)}: the manifest must not be written into INCOMING or the corpus")

    if inside(inc, cor):
        raise ImportError_(f"{shown(inc)}: the incoming folder must not be the corpus or inside it")
    if inside(q, cor) or inside(cor, q):
        raise ImportError_(f"{shown(q)}: the quarantine must not be the corpus, inside it, or hold it")
    if inside(inc, q):
        raise ImportError_(f"{shown(q)}: the quarantine must not be the incoming folder or hold it")


def run_import(
    incoming: str | os.PathLike[str],
    corpus: str | os.PathLike[str],
    config: Config,
    *,
    quarantine: str | os.PathLike[str] | None = None,
    manifest: str | os.PathLike[str] | None = None,
    dry_run: bool = False,
    cache_dir: str | None = None,
    fixes: Fixes = None,
    index: IndexUse | None = None,
) -> dict[str, Any]:
    """Plan (or resume) and carry out an import; returns the manifest. ``cache_dir``: the
    result cache (see qa/cache.py), so the corpus is not re-checked in full every time.
    ``fixes``: fix the batch first (``--fix``: "safe"; with ``--unsafe-fixes``: "unsafe");
    an unfinished import resumes as it was planned, whatever is given now. ``index``: the
    corpus index that checks the batch and is brought up to date after the moves (None:
    ``--no-index``, a full run)."""
    inc, cor = Path(incoming), Path(corpus)
    if os.path.lexists(cor) and not cor.is_dir():
        raise ImportError_(f"{shown(cor)}: not a folder")
    jpath = journal_path(Path(os.path.realpath(cor)))
    if not inc.is_dir() and not os.path.lexists(jpath):  # (an unfinished import resumes without it)
        raise ImportError_(f"{shown(inc)}: no such folder")
    try:
        with _lock(jpath):
            return _run_locked(inc, cor, jpath, config, quarantine, manifest, dry_run, cache_dir, fixes, index)
    except OSError as exc:
        cause = environment_error(exc)
        if cause is None:
            raise
        if not os.path.lexists(jpath):
            raise ImportError_(f"{cause}; nothing was moved") from exc
        raise ImportError_(
            f"{cause}; nothing lost: fix that, then run the same command again to finish the import, "
            f"or undo it with `clipqa import --abort --into {shlex.quote(shown(os.path.realpath(cor)))}`"
        ) from exc


def _run_locked(
    inc: Path,
    cor: Path,
    jpath: Path,
    config: Config,
    quarantine: str | os.PathLike[str] | None,
    manifest_to: str | os.PathLike[str] | None,
    dry_run: bool,
    cache_dir: str | None,
    fixes: Fixes,
    index: IndexUse | None = None,
) -> dict[str, Any]:
    _remove_temp_files({jpath.parent: {jpath.name}})  # a journal write that was killed (the journal is whole or absent)
    real_inc, real_cor = os.path.realpath(inc), os.path.realpath(cor)
    journal = read_journal(jpath, Path(real_cor))
    if journal is not None and (journal["incoming"], journal["corpus"]) != (real_inc, real_cor):
        raise ImportError_(
            f"{shown(jpath)}: an unfinished import of {shown(journal['incoming'])} into {shown(journal['corpus'])}; "
            f"finish it with `clipqa import {shlex.quote(shown(journal['incoming']))} --into "
            f"{shlex.quote(shown(journal['corpus']))}`, or undo it with `clipqa import --abort --into "
            f"{shlex.quote(shown(journal['corpus']))}`"
        )
    if journal is None:
        if not inc.is_dir():
            raise ImportError_(f"{shown(inc)}: no such folder")
        q = Path(quarantine) if quarantine else default_quarantine(Path(real_cor), dt.datetime.now(dt.UTC))
        target = Path(os.path.realpath(manifest_to)) if manifest_to else None
        _nesting(Path(real_inc), Path(real_cor), Path(os.path.realpath(q)), target)
        journal = plan(inc, cor, q, config, cache_dir, manifest=target, fixes=fixes, index=index)
        if dry_run:
            return manifest(journal, dry_run=True)
        check_writable(journal, jpath)
        _mkdirs(Path(real_cor))
        write_journal(jpath, journal)
    elif dry_run:
        return manifest(journal, dry_run=True)
    elif manifest_to:
        journal["manifest"] = os.path.realpath(manifest_to)
    result = execute(_whole(journal, jpath), jpath)
    # Before the journal goes: killed here, the resumed import updates the index again (and
    # any later scan finds the moved files anyway, by their folders' changed stats).
    result["index"] = _update_index(journal, config)
    target = Path(journal["manifest"])
    _remove_temp_files({target.parent: {target.name}})
    _mkdirs(target.parent)
    write_text(target, dumps(result))
    result["manifest"] = str(target)
    finish_journal(jpath)
    return result


def _update_index(journal: dict[str, Any], config: Config) -> dict[str, Any] | None:
    """Bring the corpus index up to date with the files this import moved in (by name: one
    SQLite transaction). Never fails the import: an index that could not be written is
    brought up to date by the next scan, which finds what changed behind its back."""
    where = journal.get("index")
    if where is None:
        return None
    import sqlite3

    from qa import index as corpus_index

    # every name the import may have put into the corpus (one it did not is found absent or fresh)
    moved = [e["name"] for e in journal["entries"] if e["action"] in ("accept", "already")]
    # a name that is not UTF-8 has another name in the index: the next scan finds it
    names = [n for n in moved if shown(n) == n]
    try:
        done = corpus_index.refresh(journal["corpus"], config, where, names=names)
    except (sqlite3.Error, OSError, corpus_index.IndexError_) as exc:
        return {"path": where, "updated": False, "reason": f"{type(exc).__name__}: {exc}; the next scan catches up"}
    return {"path": where, "updated": True, "reindexed": done.reindexed, "rebuilt": done.rebuilt}


# ---------------------------------------------------------------- undoing an import


def abort_import(corpus: str | os.PathLike[str], incoming: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Undo an unfinished import into ``corpus``: every file back in INCOMING as it was
    before, the corpus and the quarantine as they were, the journal removed. A journal that
    cannot be read is moved aside (its name is returned)."""
    cor = Path(os.path.realpath(corpus))
    jpath = journal_path(cor)
    if not os.path.isdir(jpath.parent):  # no folder for a journal: nothing to undo (and nothing made here)
        return {"aborted": False, "corpus": str(cor), "restored": [], "kept": []}
    try:
        with _lock(jpath):
            return _abort_locked(cor, jpath, incoming)
    except OSError as exc:
        cause = environment_error(exc)
        if cause is None:
            raise
        raise ImportError_(f"{cause}; fix that, then run `clipqa import --abort` again") from exc


def _abort_locked(cor: Path, jpath: Path, incoming: str | os.PathLike[str] | None) -> dict[str, Any]:
    _remove_temp_files({jpath.parent: {jpath.name}})
    try:
        journal = read_journal(jpath, cor)
        if journal is not None:
            _whole(journal, jpath)
    except ImportError_:
        aside = jpath.with_name(f"{jpath.name}.unreadable-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}")
        os.replace(jpath, aside)
        fsync_dir(jpath.parent)
        return {"aborted": False, "corpus": str(cor), "journal_moved_to": str(aside), "restored": [], "kept": []}
    if journal is None:
        return {"aborted": False, "corpus": str(cor), "restored": [], "kept": []}
    if incoming is not None and os.path.realpath(incoming) != journal["incoming"]:
        raise ImportError_(
            f"{shown(jpath)}: the unfinished import into {shown(cor)} is of {shown(journal['incoming'])}, "
            f"not of {shown(incoming)}"
        )
    restored, kept = rollback(journal)
    finish_journal(jpath)
    return {
        "aborted": True,
        "incoming": journal["incoming"],
        "corpus": journal["corpus"],
        "quarantine": journal["quarantine"],
        "restored": restored,
        "kept": kept,
        "counts": {"restored": len(restored), "kept": len(kept)},
    }


def rollback(journal: dict[str, Any]) -> tuple[list[str], list[dict[str, str]]]:
    """Put every file of the journal back where it was: returns the names restored, and
    those that could not be (with where they are and why; nothing is ever overwritten)."""
    inc, cor, q = (Path(journal[k]) for k in ("incoming", "corpus", "quarantine"))
    _remove_temp_files(_written_names(journal, restoring=True))
    restored: list[str] = []
    kept: list[dict[str, str]] = []
    made: set[Path] = set()
    for e in journal["entries"]:
        name, action = e["name"], e["action"]
        if action == "leave":
            continue
        home = inc / name
        root = cor if action in ("accept", "already") else q
        rel = e["dest"] if action == "reject" else name
        where = root / rel
        if action == "reject":
            made.add(where.parent)
        fix = e.get("fix")
        if fix is not None:  # the original is in originals/ (where = its fixed copy)
            root, rel = q, fix["original"]
            made.add((q / rel).parent)
        original = root / rel
        if _holds(original, e["sha256"]) != "same":  # the import put nothing there (or it changed since)
            outcome = "done" if os.path.lexists(home) else "changed" if os.path.lexists(original) else "missing"
        else:  # copied back (an already-imported file keeps its corpus copy), never over another file
            keep_source = action == "already" and fix is None
            outcome = move_file(rel, home, e["sha256"], root=str(root), undo=False, keep_source=keep_source)
        if fix is not None and action != "already":
            if _holds(home, e["sha256"]) == "same" or _holds(original, e["sha256"]) == "same":
                _unplace_fixed(e, journal)  # the original is safe: its fixed copy goes
            elif outcome == "missing" and _holds(where, fix["sha256"]) == "same":
                why = "its original is neither in originals/ nor in INCOMING: its fixed copy is left"
                kept.append({"name": name, "where": str(where), "reason": why})
                continue
        if action == "reject" and _holds(where, _placed_sha(e)) != "same":
            sidecar = q / (e["dest"] + SIDECAR)
            if _sidecar_is_ours(sidecar, e):  # no record without its file
                with contextlib.suppress(FileNotFoundError):
                    sidecar.unlink()
        if outcome in ("moved", "done"):
            restored.append(name)
            continue
        why = {
            "conflict": "INCOMING holds another file of this name now",
            "changed": "the copy there changed since the import",
        }.get(outcome, "neither there nor in INCOMING")
        kept.append({"name": name, "where": str(original), "reason": why})
    written = Path(journal["manifest"])
    if q in written.parents:  # killed after the manifest was written: it tells of an import undone now
        with contextlib.suppress(FileNotFoundError):
            written.unlink()
    made.add(q)
    for folder in sorted(made, key=lambda p: len(p.parts), reverse=True):
        _remove_empty(folder, stop=q.parent)  # the quarantine's folders: made by the import
    return restored, kept


def _remove_empty(folder: Path, stop: Path) -> None:
    """Remove ``folder`` and its parents below ``stop`` while they are empty."""
    while folder != stop and stop in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        fsync_dir(folder.parent)
        folder = folder.parent
