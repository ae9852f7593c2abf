"""``clipqa import INCOMING --into CORPUS``: the gate that moves a batch into the corpus.

Two phases:

1. **Plan.** The batch is checked *in the context of the corpus*: one pipeline run
   over both folders, so corpus-level checks (duplicates, related items) see both;
   only the batch's files are gated. A batch file whose name already exists in the
   corpus is "already imported" when the bytes are the same, a "conflict" (rejected,
   never overwritten) when they differ. The plan (every file, its SHA-256, its
   destination and its findings) is written atomically to a journal beside the
   corpus before anything moves.
2. **Execute.** Each file is moved by: copy to a temporary name in the target
   folder, fsync the file and the folder, link it to its final name (which fails
   rather than overwrite), fsync, then remove the source. A rejected file's
   ``<name>.findings.json`` is written (atomically) before the file is moved.

Killed at any moment (SIGKILL included), running the same command again finds the
journal and finishes the plan: every step is idempotent and checked against the
recorded SHA-256, so no file ends up missing, duplicated or truncated. The journal
is removed, and the manifest written, only when every file is in place.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import glob
import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from qa.atomic import fsync_dir, write_text
from qa.config import Config
from qa.corpus import Discovery, Source, discover
from qa.findings import Finding, Severity

JOURNAL_VERSION = 1
TMP_MARK = ".clipqa-tmp"


class ImportError_(Exception):  # noqa: N801 - not the builtin ImportError
    """The import cannot run (bad folders, another unfinished import). Exit 2."""


def sha256_file(path: str | os.PathLike[str]) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def journal_path(corpus: Path) -> Path:
    return corpus.parent / f".{corpus.name}.clipqa-import.json"


def default_quarantine(corpus: Path, now: dt.datetime) -> Path:
    return corpus.parent / "quarantine" / now.strftime("%Y%m%dT%H%M%SZ")


# ---------------------------------------------------------------- planning


def _prefixed(found: Discovery, prefix: str) -> list[Source]:
    return [Source(f"{prefix}/{s.path}", s.location) for s in found.sources]


def gating(findings: list[Finding], fail_on: str) -> list[Finding]:
    if fail_on == "never":
        return []
    threshold = Severity(fail_on).rank
    return [f for f in findings if Severity(f.severity).rank >= threshold]


def plan(
    incoming: Path, corpus: Path, quarantine: Path, config: Config, cache_dir: str | None = None
) -> dict[str, Any]:
    """Check the batch with the corpus; decide each batch file's fate. Moves nothing."""
    from qa.pipeline import run

    batch = discover([incoming], config.include, config.all_excludes())
    existing = discover([corpus], config.include, config.all_excludes()) if corpus.is_dir() else Discovery([], [], [])
    in_prefix, co_prefix = "incoming", "corpus"
    entries: list[dict[str, Any]] = []
    to_check: list[Source] = []
    if batch.findings:
        problems = "; ".join(f"{f.path}: {f.message}" for f in batch.findings)
        raise ImportError_(f"{incoming}: cannot read every file of the batch ({problems}); fix that first")
    for src in batch.sources:
        try:
            entry: dict[str, Any] = {
                "name": src.path,
                "sha256": sha256_file(src.location),
                "size": os.path.getsize(src.location),
            }
        except OSError as exc:
            raise ImportError_(f"{src.location}: cannot read: {exc.strerror or exc}; fix that first") from exc
        target = corpus / src.path
        if target.exists():
            same = target.is_file() and sha256_file(target) == entry["sha256"]
            entry["action"] = "already" if same else "reject"
            entry["reason"] = "already in the corpus, byte-identical" if same else "conflict"
            if not same:
                entry["findings"] = [
                    {
                        "rule": "conflict",
                        "severity": "error",
                        "path": src.path,
                        "message": f"a different file named {src.path!r} is already in the corpus; not overwritten",
                    }
                ]
        else:
            to_check.append(Source(f"{in_prefix}/{src.path}", src.location))
        entries.append(entry)
    sources = sorted([*_prefixed(existing, co_prefix), *to_check], key=lambda s: s.path)
    findings_by_name: dict[str, list[Finding]] = {}
    if to_check:
        result = run([str(corpus), str(incoming)], config, discovery=Discovery(sources, [], []), cache_dir=cache_dir)
        for f in result.findings:
            names = {f.path, *f.related}
            for name in names:
                if name.startswith(in_prefix + "/"):
                    findings_by_name.setdefault(name[len(in_prefix) + 1 :], []).append(f)
    for entry in entries:
        if "action" in entry:
            continue
        own = findings_by_name.get(entry["name"], [])
        bad = gating(own, config.fail_on)
        entry["action"] = "reject" if bad else "accept"
        entry["reason"] = "; ".join(sorted({f"{f.rule} {f.message}" for f in bad})) if bad else "passed"
        entry["findings"] = [_finding_dict(f, in_prefix, co_prefix) for f in own]
    return {
        "journal_version": JOURNAL_VERSION,
        "incoming": str(incoming.resolve()),
        "corpus": str(corpus.resolve()),
        "quarantine": str(quarantine.resolve()),
        "fail_on": config.fail_on,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "entries": entries,
    }


def _finding_dict(f: Finding, in_prefix: str, co_prefix: str) -> dict[str, Any]:
    def name(p: str) -> str:
        for prefix in (in_prefix, co_prefix):
            if p.startswith(prefix + "/"):
                return p[len(prefix) + 1 :] if prefix == in_prefix else f"(corpus) {p[len(prefix) + 1 :]}"
        return p

    d = f.to_dict()
    d["path"] = name(f.path)
    d["related"] = [name(p) for p in f.related]
    return d


# ---------------------------------------------------------------- moving


def _cleanup_tmp(folder: Path, of: str | None = None) -> None:
    """Remove what interrupted atomic writes left in ``folder``: all of it, or (``of``) only
    what a write of the file of that name left."""
    if folder.is_dir():
        for leftover in folder.glob(f".{glob.escape(of)}.*{TMP_MARK}" if of else f".*{TMP_MARK}"):
            with contextlib.suppress(OSError):
                leftover.unlink()


def _mkdirs(folder: Path) -> None:
    missing = []
    here = folder
    while not here.exists():
        missing.append(here)
        here = here.parent
    folder.mkdir(parents=True, exist_ok=True)
    for made in reversed(missing):
        fsync_dir(made.parent)


def move_file(src: Path, dst: Path, sha256: str) -> str:
    """Move ``src`` to ``dst`` durably, never overwriting. Idempotent; returns what happened.

    "moved", "done" (already there from an earlier, interrupted run), or "conflict"
    (``dst`` holds other bytes; ``src`` is left where it is).
    """
    if dst.exists():
        if sha256_file(dst) != sha256:
            return "conflict"
        if src.exists():
            src.unlink()
            fsync_dir(src.parent)
        return "done"
    if not src.exists():
        raise ImportError_(f"{src}: missing, and not at {dst} either; the journal does not match the folders")
    _mkdirs(dst.parent)
    tmp = dst.parent / f".{dst.name}.{os.getpid()}{TMP_MARK}"
    with open(src, "rb") as fin, open(tmp, "wb") as fout:
        shutil.copyfileobj(fin, fout, 1 << 20)
        fout.flush()
        os.fsync(fout.fileno())
    shutil.copystat(src, tmp)
    if sha256_file(tmp) != sha256:
        tmp.unlink()
        raise ImportError_(f"{src}: changed since it was checked; run the import again")
    fsync_dir(dst.parent)
    try:
        os.link(tmp, dst)  # unlike rename, fails if dst appeared meanwhile
    except FileExistsError:
        tmp.unlink()
        return move_file(src, dst, sha256)
    except OSError:  # no hard links here (some file systems): rename, after a last look
        if dst.exists():
            tmp.unlink()
            return move_file(src, dst, sha256)
        os.replace(tmp, dst)
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    fsync_dir(dst.parent)
    src.unlink()
    fsync_dir(src.parent)
    return "moved"


def execute(journal: dict[str, Any]) -> dict[str, Any]:
    incoming, corpus, quarantine = (Path(journal[k]) for k in ("incoming", "corpus", "quarantine"))
    entries = journal["entries"]
    folders = {corpus / Path(e["name"]).parent for e in entries} | {
        quarantine / Path(e["name"]).parent for e in entries
    }
    for folder in folders:
        _cleanup_tmp(folder)
    for e in entries:
        src = incoming / e["name"]
        if e["action"] == "already":
            if src.exists() and sha256_file(src) == e["sha256"]:
                src.unlink()
                fsync_dir(src.parent)
            e["outcome"] = "already"
            continue
        if e["action"] == "accept":
            outcome = move_file(src, corpus / e["name"], e["sha256"])
            if outcome == "conflict":  # someone put another file there since the plan
                e["action"], e["reason"] = "reject", "conflict"
                e["findings"] = [
                    {
                        "rule": "conflict",
                        "severity": "error",
                        "path": e["name"],
                        "message": "a different file of this name appeared in the corpus during the import",
                    }
                ]
            else:
                e["outcome"] = outcome
                continue
        dst = quarantine / e["name"]
        sidecar = dst.parent / f"{dst.name}.findings.json"
        if not dst.exists() or src.exists():
            write_text(sidecar, json.dumps({"file": e["name"], "reason": e["reason"], "findings": e["findings"]},
                                           ensure_ascii=False, indent=1) + "\n")  # fmt: skip
        outcome = move_file(src, dst, e["sha256"])
        if outcome == "conflict":
            raise ImportError_(f"{dst}: a different file is already in the quarantine; choose another --quarantine")
        e["outcome"] = outcome
    return manifest(journal)


def manifest(journal: dict[str, Any], dry_run: bool = False) -> dict[str, Any]:
    accepted = [e["name"] for e in journal["entries"] if e["action"] == "accept"]
    already = [e["name"] for e in journal["entries"] if e["action"] == "already"]
    rejected = [
        {
            "name": e["name"],
            "reason": e["reason"],
            "rules": sorted({str(f["rule"]) for f in e.get("findings", []) if _gates(f, journal["fail_on"])}),
        }
        for e in journal["entries"]
        if e["action"] == "reject"
    ]
    return {
        "dry_run": dry_run,
        "incoming": journal["incoming"],
        "corpus": journal["corpus"],
        "quarantine": journal["quarantine"],
        "accepted": accepted,
        "already_imported": already,
        "rejected": rejected,
        "counts": {"accepted": len(accepted), "already_imported": len(already), "rejected": len(rejected)},
    }


def _gates(f: dict[str, Any], fail_on: str) -> bool:
    if f.get("rule") == "conflict":
        return True
    if fail_on == "never":
        return False
    try:
        return Severity(str(f.get("severity"))).rank >= Severity(fail_on).rank
    except ValueError:
        return False


# ---------------------------------------------------------------- the command


def run_import(
    incoming: str | os.PathLike[str],
    corpus: str | os.PathLike[str],
    config: Config,
    *,
    quarantine: str | os.PathLike[str] | None = None,
    manifest: str | os.PathLike[str] | None = None,
    dry_run: bool = False,
    cache_dir: str | None = None,
) -> dict[str, Any]:
    """Plan (or resume) and carry out an import; returns the manifest. ``cache_dir``: the
    result cache (see qa/cache.py), so the corpus is not re-checked in full every time."""
    inc, cor = Path(incoming), Path(corpus)
    if not inc.is_dir():
        raise ImportError_(f"{inc}: no such folder")
    if cor.exists() and not cor.is_dir():
        raise ImportError_(f"{cor}: not a folder")
    if inc.resolve() == cor.resolve() or cor.resolve() in inc.resolve().parents:
        raise ImportError_(f"{inc}: the incoming folder must not be the corpus or inside it")
    jpath = journal_path(cor.resolve())
    with _lock(jpath):
        return _run_locked(
            inc, cor, jpath, config, quarantine=quarantine, manifest=manifest, dry_run=dry_run, cache_dir=cache_dir
        )


@contextlib.contextmanager
def _lock(jpath: Path) -> Iterator[None]:
    """One import per corpus at a time; the lock dies with its process (even on SIGKILL)."""
    import fcntl

    jpath.parent.mkdir(parents=True, exist_ok=True)
    lock = jpath.with_name(jpath.name + ".lock")
    with open(lock, "a") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            raise ImportError_(f"{lock}: another import into this corpus is running") from exc
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _run_locked(
    inc: Path,
    cor: Path,
    jpath: Path,
    config: Config,
    *,
    quarantine: str | os.PathLike[str] | None,
    manifest: str | os.PathLike[str] | None,
    dry_run: bool,
    cache_dir: str | None,
) -> dict[str, Any]:
    _cleanup_tmp(jpath.parent, of=jpath.name)  # a journal write that was killed (the journal itself is whole or absent)
    journal = _read_journal(jpath)
    if journal is not None and (journal["incoming"], journal["corpus"]) != (str(inc.resolve()), str(cor.resolve())):
        raise ImportError_(
            f"{jpath}: an unfinished import of {journal['incoming']} into {journal['corpus']}; "
            "run that command again to finish it first"
        )
    if journal is None:
        q = Path(quarantine) if quarantine else default_quarantine(cor.resolve(), dt.datetime.now(dt.UTC))
        journal = plan(inc, cor, q, config, cache_dir)
        if dry_run:
            return manifest_for(journal, dry_run=True)
        _mkdirs(cor)
        write_text(jpath, json.dumps(journal, ensure_ascii=False, indent=1) + "\n")
    elif dry_run:
        return manifest_for(journal, dry_run=True)
    result = execute(journal)
    target = Path(manifest) if manifest else Path(journal["quarantine"]) / "manifest.json"
    _cleanup_tmp(target.parent, of=target.name)
    write_text(target, json.dumps(result, ensure_ascii=False, indent=1) + "\n")
    result["manifest"] = str(target)
    jpath.unlink()
    fsync_dir(jpath.parent)
    return result


def manifest_for(journal: dict[str, Any], dry_run: bool) -> dict[str, Any]:
    return manifest(journal, dry_run=dry_run)


def _read_journal(path: Path) -> dict[str, Any] | None:
    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ImportError_(f"{path}: unreadable import journal ({exc}); inspect and remove it") from exc
    if not isinstance(doc, dict) or doc.get("journal_version") != JOURNAL_VERSION:
        raise ImportError_(f"{path}: not a clipqa import journal; inspect and remove it")
    return doc
