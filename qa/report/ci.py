"""The CI formats of ``clipqa check``: ``--format`` (to stdout) and ``--junit/--sarif/--markdown FILE``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from qa.pipeline import RunResult

FORMATS = ("github", "junit", "sarif", "markdown")


def render(result: RunResult, fmt: str, out: TextIO) -> None:
    from qa.report import github, junit, markdown, sarif

    if fmt == "github":
        github.render(result, out)
    elif fmt == "junit":
        out.write(junit.dumps(result))
    elif fmt == "sarif":
        out.write(sarif.dumps(result))
    elif fmt == "markdown":
        out.write(markdown.dumps(result))
    else:  # pragma: no cover - click restricts the choice
        raise ValueError(fmt)


def write_files(
    result: RunResult, junit_path: str | None, sarif_path: str | None, markdown_path: str | None
) -> list[str]:
    from qa.report import junit, markdown, sarif

    written = []
    for path, module in ((junit_path, junit), (sarif_path, sarif), (markdown_path, markdown)):
        if path:
            module.write(result, path)
            written.append(path)
    return written


def render_all(result: RunResult, formats: Sequence[str], out: TextIO) -> None:
    for fmt in formats:
        render(result, fmt, out)
