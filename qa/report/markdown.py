"""A Markdown summary, fit for ``$GITHUB_STEP_SUMMARY``."""

from __future__ import annotations

import os

from qa.atomic import write_text
from qa.pipeline import RunResult
from qa.report.terminal import fix_hint

MAX_ROWS = 100


def _cell(text: object) -> str:
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("`", "'")


def dumps(result: RunResult) -> str:
    counts = result.counts
    verdict = result.gate
    icon = "✅" if verdict == "passed" else "❌"
    out = [
        f"## {icon} clipqa: gate {verdict}",
        "",
        f"Checked **{result.files}** file(s) ({result.records} with front matter) in {result.duration:.1f}s: "
        f"**{counts['error']}** error(s), **{counts['warning']}** warning(s), **{counts['info']}** info "
        f"(fail on {result.config.fail_on}).",
        "",
    ]
    if any(f.status for f in result.findings) or result.fixed:
        new = sum(1 for f in result.findings if f.status == "new")
        existing = sum(1 for f in result.findings if f.status == "existing")
        out += [f"Baseline: **{new}** new, {existing} existing, {len(result.fixed)} fixed.", ""]
    hint = fix_hint(result, code="`")
    if hint:
        out += [f"Fixable: {hint}", ""]
    by_check = result.by_check()
    if by_check:
        out += ["| Check | Errors | Warnings | Info |", "|---|---:|---:|---:|"]
        for check, row in sorted(by_check.items()):
            out.append(f"| {check} | {row['error']} | {row['warning']} | {row['info']} |")
        out.append("")
    shown = result.gate_findings()
    if shown:
        out += ["| File | Line | Rule | Severity | Message |", "|---|---:|---|---|---|"]
        for f in shown[:MAX_ROWS]:
            line = "" if f.line is None else f.line
            out.append(f"| `{_cell(f.path)}` | {line} | `{f.rule}` | {f.severity} | {_cell(f.message)} |")
        if len(shown) > MAX_ROWS:
            out.append(f"\n…and {len(shown) - MAX_ROWS} more; see the JSON or HTML report.")
        out.append("")
    return "\n".join(out) + "\n"


def write(result: RunResult, path: str | os.PathLike[str]) -> None:
    write_text(path, dumps(result))
