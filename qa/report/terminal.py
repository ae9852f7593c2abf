"""Terminal output in the style of ruff: ``path:line:col: CODE message``, then a summary."""

from __future__ import annotations

from typing import TextIO

from qa.pipeline import RunResult

_COLORS = {"error": "\x1b[31m", "warning": "\x1b[33m", "info": "\x1b[36m"}
_RESET = "\x1b[0m"
_BOLD = "\x1b[1m"


def location(path: str, line: int | None, column: int | None) -> str:
    if line is None:
        return path
    return f"{path}:{line}:{column or 1}"


def render(result: RunResult, out: TextIO, color: bool = False, quiet: bool = False, hint: bool = True) -> None:
    """The findings and the summary; ``hint``: what ``clipqa fix`` would repair, and how."""
    if not quiet:
        for f in result.findings:
            code = f"{_COLORS[f.severity]}{f.rule}{_RESET}" if color else f.rule
            where = (
                f"{_BOLD}{location(f.path, f.line, f.column)}{_RESET}" if color else location(f.path, f.line, f.column)
            )
            tail = f" [{f.status}]" if f.status == "existing" else ""
            out.write(f"{where}: {code} {f.message}{tail}\n")
    for notice in result.notices:
        out.write(f"notice: {notice}\n")
    counts = result.counts
    verdict = result.gate
    if color:
        verdict = f"{_COLORS['error'] if verdict == 'failed' else chr(27) + '[32m'}{verdict}{_RESET}"
    out.write(
        f"Checked {result.files} file{'s' if result.files != 1 else ''} ({result.records} with front matter) "
        f"in {result.duration:.2f}s: {counts['error']} error(s), {counts['warning']} warning(s), "
        f"{counts['info']} info. Gate (fail on {result.config.fail_on}): {verdict}.\n"
    )
    if result.fixed:
        out.write(f"{len(result.fixed)} baseline finding(s) fixed.\n")
    if hint and (line := fix_hint(result)):
        out.write(line + "\n")


def fix_hint(result: RunResult, code: str = "") -> str:
    """What ``clipqa fix`` would repair, and the command (``code``: how to quote it)."""
    counts = result.fixable
    safe, unsafe = counts["safe"], counts["unsafe"]
    if not safe and not unsafe:
        return ""
    parts = []
    if safe:
        parts.append(f"{safe} fixable with {code}{result.fix_command()}{code}")
    if unsafe:
        parts.append(
            f"{unsafe} {'more ' if safe else ''}with {code}{result.fix_command(unsafe=True)}{code} (review those)"
        )
    return "; ".join(parts) + "."
