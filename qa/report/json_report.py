"""The JSON findings document: a public, versioned contract (see findings.schema.json).

Change its shape only together with ``SCHEMA_VERSION``; CI jobs parse it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any

from qa.atomic import atomic_open
from qa.findings import Finding, Fix
from qa.nogc import paused_gc
from qa.pipeline import RunResult

# 2: a finding's fix is an object (applicability, message, edits), and the summary counts
# the fixable findings (1: the fix was a bare replacement string).
SCHEMA_VERSION = 2
JSON_SCHEMA = Path(__file__).with_name("findings.schema.json")


def document(result: RunResult) -> dict[str, Any]:
    with paused_gc():
        return {**_head(result), "findings": [f.to_dict() for f in result.findings]}


def _head(result: RunResult) -> dict[str, Any]:
    """The document but its findings."""
    from qa import __version__

    counts = result.counts
    baseline = None
    if any(f.status for f in result.findings) or result.fixed:
        baseline = {
            "new": sum(1 for f in result.findings if f.status == "new"),
            "existing": sum(1 for f in result.findings if f.status == "existing"),
            "fixed": result.fixed,
        }
        if result.baseline_path is not None:
            baseline = {"path": Path(result.baseline_path).as_posix(), **baseline}
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "clipqa", "version": __version__},
        "corpus": {
            "paths": [Path(p).as_posix() for p in result.roots],
            "files": result.files,
            "records": result.records,
        },
        "summary": {
            "error": counts["error"],
            "warning": counts["warning"],
            "info": counts["info"],
            "gate": result.gate,
            "fail_on": result.config.fail_on,
            "by_check": result.by_check(),
            "fixable": result.fixable,
        },
        "run": {
            "started": result.started.isoformat(timespec="seconds"),
            "duration_seconds": round(result.duration, 3),
            "config_hash": result.config.hash(),
            "config_file": result.config.file,
            "notices": result.notices,
        },
        "baseline": baseline,
    }


def dumps(result: RunResult) -> str:
    """The document, one finding per line.

    ``json.dumps(..., indent=...)`` runs the pure-Python encoder, ~5x slower than the C
    one, which only writes compact JSON: at 100,000 files with tens of thousands of
    findings that was seconds. So the small head is indented and each finding is
    encoded compactly on its own line (:func:`encode_findings`): the same JSON value.
    """
    with paused_gc():
        return "".join(_pieces(result))


_RUN = 1000  # findings joined into one piece


def _pieces(result: RunResult) -> list[str]:
    """:func:`dumps` in pieces that join to it: a file is written without the whole text at once."""
    head = json.dumps(_head(result), ensure_ascii=False, indent=1)
    if not result.findings:
        return [head[:-2] + ',\n "findings": []\n}\n']
    lines = encode_findings(result.findings)
    pieces = [head[:-2] + ',\n "findings": [\n  ']
    for i in range(0, len(lines), _RUN):
        if i:
            pieces.append(",\n  ")
        pieces.append(",\n  ".join(lines[i : i + _RUN]))
    pieces.append("\n ]\n}\n")
    return pieces


_ENCODE = json.JSONEncoder(ensure_ascii=False).encode


def encode_findings(findings: Iterable[Finding]) -> list[str]:
    """Each finding's ``to_dict()`` as ``json.JSONEncoder(ensure_ascii=False).encode`` writes it.

    Written out field by field with the C string encoder the JSON encoder itself uses
    (``encode_basestring``), without a dict per finding: at tens of thousands of findings
    that is less than half the time. A finding whose fields are not of the types written
    here (a subclass, a bool line, a list span, a non-string where a string belongs) is
    encoded from its dict, so the text is the same whatever a check put in it.
    """
    out: list[str] = []
    append = out.append
    esc = encode_basestring
    for f in findings:
        line, column, span, related = f.line, f.column, f.span, f.related
        if not (
            type(f) is Finding
            and (line is None or type(line) is int)
            and (column is None or type(column) is int)
            and (span is None or (type(span) is tuple and len(span) == 2 and type(span[0]) is type(span[1]) is int))
            and type(related) is tuple
            and (f.fix is None or type(f.fix) is Fix)
        ):
            append(_ENCODE(f.to_dict()))
            continue
        field, evidence, fix, status = f.field, f.evidence, f.fix, f.status
        try:
            text = (
                f'{{"rule": {esc(f.rule)}, "check": {esc(f.check)}, "severity": {esc(f.severity)}, '
                f'"path": {esc(f.path)}, "field": {"null" if field is None else esc(field)}, '
                f'"line": {"null" if line is None else line}, "column": {"null" if column is None else column}, '
                f'"message": {esc(f.message)}, "evidence": {"null" if evidence is None else esc(evidence)}, '
                f'"span": {"null" if span is None else f"[{span[0]}, {span[1]}]"}, '
                f'"fix": {"null" if fix is None else _ENCODE(fix.to_dict())}, '
                f'"related": [{", ".join(map(esc, related))}], '
                f'"fingerprint": {esc(f.fingerprint)}, "status": {"null" if status is None else esc(status)}}}'
            )
        except TypeError:  # encode_basestring takes strings only
            text = _ENCODE(f.to_dict())
        append(text)
    return out


def write(result: RunResult, path: str | os.PathLike[str]) -> None:
    """Write the document to ``path`` (atomically: a reader sees the old file or the new one)."""
    with paused_gc():
        pieces = _pieces(result)
        with atomic_open(path) as fh:
            for piece in pieces:
                fh.write(piece)
