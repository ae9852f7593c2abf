"""SARIF 2.1.0: rule metadata from the registry, one result per finding, with locations.

Fit for GitHub code scanning (``github/codeql-action/upload-sarif``). Each result
carries the finding's stable fingerprint (``partialFingerprints``) and, with a
baseline, its ``baselineState``.
"""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import quote

from qa.atomic import write_text
from qa.findings import Finding
from qa.pipeline import RunResult
from qa.rules import all_rules

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
LEVEL = {"error": "error", "warning": "warning", "info": "note"}
INFO_URI = "https://github.com/clipqa/clipqa"


def _rules() -> list[dict[str, Any]]:
    out = []
    for r in sorted(all_rules().values(), key=lambda r: r.code):
        rule: dict[str, Any] = {
            "id": r.code,
            "name": r.name,
            "shortDescription": {"text": r.name.replace("-", " ")},
            "fullDescription": {"text": r.doc},
            "help": {"text": r.doc + (f"\nFix: {r.fix}" if r.fix else "")},
            "defaultConfiguration": {"level": LEVEL[r.severity.value]},
            "properties": {"check": r.check, "tags": [r.check], "fixApplicability": r.applicability.value},
        }
        out.append(rule)
    return out


def _result(f: Finding, index: dict[str, int], prefix: str) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": quote(prefix + f.path)}}
    if f.line is not None:
        physical["region"] = {"startLine": max(1, f.line), "startColumn": max(1, f.column or 1)}
    res: dict[str, Any] = {
        "ruleId": f.rule,
        "level": LEVEL.get(f.severity, "error"),
        "message": {"text": f.message or f.rule},
        "locations": [{"physicalLocation": physical}],
        "partialFingerprints": {"clipqaFingerprint/v1": f.fingerprint},
        "properties": {"check": f.check, "field": f.field, "evidence": f.evidence},
    }
    if f.fix is not None:
        # SARIF's own ``fixes`` need regions of the file, and a fix's edits say what they replace
        # in a field's text (docs/fix.md): they go in the properties, as the JSON has them.
        res["properties"]["fix"] = f.fix.to_dict()
    if f.rule in index:
        res["ruleIndex"] = index[f.rule]
    if f.related:
        res["relatedLocations"] = [
            {"id": i, "physicalLocation": {"artifactLocation": {"uri": quote(prefix + p)}}}
            for i, p in enumerate(f.related)
        ]
    if f.status is not None:
        res["baselineState"] = "new" if f.status == "new" else "unchanged"
    return res


def document(result: RunResult) -> dict[str, Any]:
    from qa import __version__
    from qa.report.github import _prefix

    rules = _rules()
    index = {r["id"]: i for i, r in enumerate(rules)}
    prefix = _prefix(result)
    results = [_result(f, index, prefix) for f in result.findings]
    for fixed in result.fixed:
        results.append(
            {
                "ruleId": str(fixed.get("rule", "")),
                "level": "none",
                "kind": "pass",
                "message": {"text": f"fixed since the baseline: {fixed.get('message', '')}"},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": quote(prefix + str(fixed["path"]))}}}],
                "partialFingerprints": {"clipqaFingerprint/v1": str(fixed["fingerprint"])},
                "baselineState": "absent",
            }
        )
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "clipqa",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": INFO_URI,
                        "rules": rules,
                    }
                },
                "invocations": [
                    {
                        "executionSuccessful": True,
                        "startTimeUtc": result.started.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    }
                ],
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }


def dumps(result: RunResult) -> str:
    return json.dumps(document(result), ensure_ascii=False, indent=1) + "\n"


def write(result: RunResult, path: str | os.PathLike[str]) -> None:
    write_text(path, dumps(result))
