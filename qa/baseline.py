"""Baselines: record today's findings, then gate only on new ones.

A finding is identified by its fingerprint (rule, path, field, a hash of the
evidence; not the line, which moves when a file is edited above it). The same
fingerprint may occur more than once (e.g. one bad URL repeated); occurrences are
matched by count.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections import Counter
from typing import Any

from qa.atomic import write_text
from qa.pipeline import RunResult

BASELINE_VERSION = 1


class BaselineError(Exception):
    """The baseline file is missing or malformed."""


def dumps(result: RunResult) -> str:
    from qa import __version__

    entries = [
        {"fingerprint": f.fingerprint, "rule": f.rule, "path": f.path, "field": f.field, "message": f.message}
        for f in result.findings
    ]
    doc = {
        "baseline_version": BASELINE_VERSION,
        "tool": {"name": "clipqa", "version": __version__},
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "paths": result.roots,
        "findings": entries,
    }
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def write(result: RunResult, path: str | os.PathLike[str]) -> None:
    write_text(path, dumps(result))


def load(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read the baseline: {exc.strerror or exc}") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BaselineError(f"{path}: not a clipqa baseline (invalid JSON: {exc})") from exc
    if not isinstance(doc, dict) or doc.get("baseline_version") != BASELINE_VERSION:
        raise BaselineError(f"{path}: not a clipqa baseline (baseline_version {BASELINE_VERSION} expected)")
    entries = doc.get("findings")
    if not isinstance(entries, list) or not all(
        isinstance(e, dict) and isinstance(e.get("fingerprint"), str) for e in entries
    ):
        raise BaselineError(f"{path}: findings: expected a list of entries with a fingerprint")
    return entries


def apply(result: RunResult, path: str | os.PathLike[str], scope: set[str] | None = None) -> None:
    """Mark each finding new or existing; list baseline entries no longer found as fixed.

    ``scope``: the paths whose findings this run reports (``--changed-since``); entries of
    other files are not called fixed just because they were not looked at."""
    entries = load(path)
    remaining = Counter(e["fingerprint"] for e in entries)
    for f in result.findings:
        fp = f.fingerprint
        if remaining[fp] > 0:
            remaining[fp] -= 1
            f.status = "existing"
        else:
            f.status = "new"
    fixed = []
    for e in entries:
        fp = e["fingerprint"]
        if remaining[fp] > 0 and (scope is None or e.get("path") in scope):
            remaining[fp] -= 1
            fixed.append({k: e.get(k) for k in ("fingerprint", "rule", "path", "field", "message")})
    result.fixed = fixed
    result.baseline_path = os.fspath(path)
