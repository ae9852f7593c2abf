"""``--changed-since REF``: which of the discovered files git says changed.

Changed means: differs between REF and the working tree (committed, staged or
not), or is new and untracked (not ignored). Per-file findings are then kept for
those files only; the corpus-level checks still see every file (their per-file
results come from the result cache when unchanged).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

from qa.corpus import Source


class GitError(Exception):
    """git is missing, the folder is not in a repository, or the ref is unknown."""


def _git(args: Sequence[str], cwd: Path) -> str:
    try:
        proc = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, check=False, encoding="utf-8", errors="replace"
        )
    except OSError as exc:
        raise GitError(f"cannot run git: {exc}") from exc
    if proc.returncode != 0:
        raise GitError(f"git {' '.join(args)}: {proc.stderr.strip() or f'exit {proc.returncode}'}")
    return proc.stdout


def changed_files(ref: str, start: str | os.PathLike[str]) -> set[Path]:
    """Absolute paths of files changed since ``ref`` in the repository holding ``start``."""
    here = Path(start).resolve()
    cwd = here if here.is_dir() else here.parent
    top = Path(_git(["rev-parse", "--show-toplevel"], cwd).strip())
    _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd)
    names = _git(["diff", "--name-only", "-z", "--no-renames", ref, "--"], top).split("\0")
    names += _git(["ls-files", "--others", "--exclude-standard", "-z"], top).split("\0")
    return {(top / n).resolve() for n in names if n}


def changed_sources(ref: str, sources: Sequence[Source], start: str | os.PathLike[str]) -> set[str]:
    """The ``Source.path`` of each discovered file that changed since ``ref``."""
    changed = changed_files(ref, start)
    return {s.path for s in sources if Path(s.location).resolve() in changed}
