"""The HTML report: one self-contained file (inline CSS and JS, nothing fetched)."""

from __future__ import annotations

import os
from collections import defaultdict
from typing import Any

import jinja2

from qa.atomic import write_text
from qa.findings import CHECKS, REGISTRY
from qa.pipeline import RunResult

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("qa.report", "templates"),
    autoescape=jinja2.select_autoescape(["html", "j2"], default=True),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def context(result: RunResult) -> dict[str, Any]:
    from qa import __version__

    by_file: dict[str, list[Any]] = defaultdict(list)
    for f in result.findings:
        by_file[f.path].append(f)
    by_check = result.by_check()
    return {
        "result": result,
        "version": __version__,
        "counts": result.counts,
        "gate": result.gate,
        "by_check": [(c, by_check[c]) for c in CHECKS if c in by_check],
        "files": sorted(by_file.items()),
        "rules": REGISTRY,
        "checks": [c for c in CHECKS if c in by_check],
    }


def render(result: RunResult, **extra: Any) -> str:
    return _ENV.get_template("report.html.j2").render(**context(result), **extra)


def write(result: RunResult, path: str | os.PathLike[str], **extra: Any) -> None:
    write_text(path, render(result, **extra))
