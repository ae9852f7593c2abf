"""The JSON findings document: a public, versioned contract (see findings.schema.json).

Change its shape only together with ``SCHEMA_VERSION``; CI jobs parse it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from qa.atomic import write_text
from qa.pipeline import RunResult

SCHEMA_VERSION = 1
JSON_SCHEMA = Path(__file__).with_name("findings.schema.json")


def document(result: RunResult) -> dict[str, Any]:
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
        },
        "run": {
            "started": result.started.isoformat(timespec="seconds"),
            "duration_seconds": round(result.duration, 3),
            "config_hash": result.config.hash(),
            "config_file": result.config.file,
            "notices": result.notices,
        },
        "baseline": baseline,
        "findings": [f.to_dict() for f in result.findings],
    }


def dumps(result: RunResult) -> str:
    return json.dumps(document(result), ensure_ascii=False, indent=1) + "\n"


def write(result: RunResult, path: str | os.PathLike[str]) -> None:
    write_text(path, dumps(result))
