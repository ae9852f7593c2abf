"""Helpers for the text-check tests: write a clipping, read it, run one check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qa.checks import Context, all_checks
from qa.corpus import Record, Source, read_record
from qa.findings import Finding, Target

REPO = Path(__file__).resolve().parents[1]
SEEDS = next(
    (p / "shared" / "seeds" for p in REPO.parents if (p / "shared" / "seeds").is_dir()),
    REPO.parent / "shared" / "seeds",
)


def record(tmp_path: Path, text: str, name: str = "clip.txt") -> Record:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    return read_record(Source(name, str(path)))


def run(check: str, rec: Record, **options: Any) -> list[Finding]:
    c = all_checks()[check]
    assert c.record is not None
    merged = {**c.options, **options}
    return list(c.record(rec, Context(merged, {})))


def seed(name_prefix: str) -> Record:
    path = next(SEEDS.glob(f"{name_prefix}_*.txt"))
    return read_record(Source(path.name, str(path)))


def file_at(rec: Record, line: int, column: int, length: int) -> str:
    """The file's text at a 1-based line and column."""
    src = rec.text.split("\n")[line - 1]
    return src[column - 1 : column - 1 + length]


def replacement(f: Finding) -> str | None:
    """The text a finding's fix puts in place of its span (None: no fix); the fix must be one
    text edit of exactly that span of the finding's field."""
    if f.fix is None:
        return None
    [edit] = f.fix.edits
    assert edit.target is Target.TEXT and edit.field == f.field and (edit.start, edit.end) == f.span
    return edit.content
