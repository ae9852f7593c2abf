"""JUnit XML: one testcase per file checked, a ``<failure>`` per finding.

The shape is the one Jenkins, GitLab and most CI dashboards read (validated in the
tests against the widely used junit-10.xsd).
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET

from qa.atomic import write_text
from qa.findings import Finding
from qa.pipeline import RunResult

# Characters XML 1.0 cannot carry, even escaped.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def clean(text: str) -> str:
    return _INVALID_XML.sub("\ufffd", text)


def file_paths(result: RunResult) -> list[str]:
    files = result.tables.get("files")
    paths = [str(p) for p in files["_path"].tolist()] if files is not None and "_path" in files else []
    seen = set(paths)
    for f in result.findings:
        if f.path not in seen:
            seen.add(f.path)
            paths.append(f.path)
    return paths


def _detail(f: Finding) -> str:
    where = f.path if f.line is None else f"{f.path}:{f.line}:{f.column or 1}"
    parts = [f"{where}: {f.rule} [{f.severity}] {f.message}"]
    if f.field:
        parts.append(f"field: {f.field}")
    if f.evidence is not None:
        parts.append(f"evidence: {f.evidence}")
    if f.fix is not None:
        parts.append(f"fix ({f.fix.applicability.value}): {f.fix.message}")
    if f.related:
        parts.append("related: " + ", ".join(f.related))
    return clean("\n".join(parts))


def document(result: RunResult) -> ET.Element:
    by_path: dict[str, list[Finding]] = {}
    for f in result.gate_findings():
        by_path.setdefault(f.path, []).append(f)
    paths = file_paths(result)
    failures = sum(len(v) for v in by_path.values())
    time = f"{result.duration:.3f}"
    root = ET.Element("testsuites", name="clipqa", tests=str(len(paths)), failures=str(failures), errors="0", time=time)
    suite = ET.SubElement(
        root,
        "testsuite",
        name="clipqa",
        tests=str(len(paths)),
        failures=str(failures),
        errors="0",
        skipped="0",
        time=time,
        timestamp=result.started.strftime("%Y-%m-%dT%H:%M:%S"),
    )
    for path in paths:
        case = ET.SubElement(suite, "testcase", name=clean(path), classname="clipqa")
        for f in by_path.get(path, []):
            failure = ET.SubElement(case, "failure", type=f.rule, message=clean(f"{f.rule} {f.message}"))
            failure.text = _detail(f)
    return root


def dumps(result: RunResult) -> str:
    tree = document(result)
    ET.indent(tree, space=" ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(tree, encoding="unicode") + "\n"


def write(result: RunResult, path: str | os.PathLike[str]) -> None:
    write_text(path, dumps(result))
