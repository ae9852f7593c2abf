"""GitHub Actions workflow commands: one ``::error file=…,line=…,col=…,title=CODE::message`` line per finding.

Escaping follows the runner's rules (actions/toolkit ``command.ts``): in the message,
``%``, CR and LF are percent-encoded; in property values, ``:`` and ``,`` too.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TextIO

from qa.findings import Finding
from qa.pipeline import RunResult

LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(f: Finding, prefix: str = "") -> str:
    props = [f"file={escape_property(prefix + f.path)}"]
    if f.line is not None:
        props.append(f"line={f.line}")
        if f.column is not None:
            props.append(f"col={f.column}")
    props.append(f"title={escape_property(f'{f.rule} {f.check}')}")
    message = f"{f.rule} {f.message}"
    return f"::{LEVEL.get(f.severity, 'error')} {','.join(props)}::{escape_data(message)}"


def lines(findings: Iterable[Finding], prefix: str = "") -> list[str]:
    return [annotation(f, prefix) for f in findings]


def render(result: RunResult, out: TextIO) -> None:
    """Annotations for the findings that count for the gate (with a baseline: the new ones)."""
    for line in lines(result.gate_findings(), _prefix(result)):
        out.write(line + "\n")


def _prefix(result: RunResult) -> str:
    """Paths in findings are relative to the checked folder; GitHub wants them relative to the repo (cwd)."""
    import os

    if len(result.roots) != 1:
        return ""
    root = result.roots[0]
    folder = root if os.path.isdir(root) else os.path.dirname(root) or "."
    rel = os.path.relpath(folder)
    if rel == "." or rel.startswith(".."):
        return ""
    return rel.replace(os.sep, "/").rstrip("/") + "/"
