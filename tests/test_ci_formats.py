"""CI formats (GitHub annotations, JUnit, SARIF, Markdown) and baselines."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
import xmlschema

from qa.baseline import BaselineError, apply
from qa.baseline import write as write_baseline
from qa.config import load_config
from qa.findings import REGISTRY, Finding
from qa.pipeline import RunResult, run
from qa.report import github, junit, markdown, sarif
from qa.report.json_report import JSON_SCHEMA, document

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"

GOOD = """---
title: "A good clipping"
excerpt: "Fine."
publishedDateTime: 2021-12-28T23:15:00Z
webUrl: "https://example.org/a"
type: article
published: false
provider:
  name: Example
  domain: example.org
---
Body text.
"""


def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "good.txt").write_text(GOOD)
    (root / "unclosed.txt").write_text("---\ntitle: never closed\n")
    # A message with characters GitHub and XML need escaped: %, newline, comma, colon, a control char.
    (root / "weird, name:1.txt").write_text(
        GOOD.replace('"A good clipping"', '"bad\\x01 100% : done"').replace("published: false\n", "")
    )
    (root / "bodyonly.md").write_text("Just a body, no front matter.\n")
    return root


def result_for(root: Path) -> RunResult:
    return run([str(root)], load_config(None))


def test_junit_validates_against_xsd_one_testcase_per_file(tmp_path: Path) -> None:
    result = result_for(corpus(tmp_path))
    text = junit.dumps(result)
    schema = xmlschema.XMLSchema(str(DATA / "junit-10.xsd"))
    schema.validate(text)
    root = ET.fromstring(text)
    cases = root.findall("./testsuite/testcase")
    assert sorted(c.get("name") for c in cases) == sorted(
        ["good.txt", "unclosed.txt", "weird, name:1.txt", "bodyonly.md"]
    )
    by_name = {c.get("name"): c for c in cases}
    assert by_name["good.txt"].findall("failure") == []
    failures = by_name["unclosed.txt"].findall("failure")
    assert [f.get("type") for f in failures] == ["P103"]
    assert int(root.find("testsuite").get("failures")) == len(result.findings)


def test_sarif_validates_against_official_schema(tmp_path: Path) -> None:
    result = result_for(corpus(tmp_path))
    doc = json.loads(sarif.dumps(result))
    schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text())
    validator = jsonschema.Draft4Validator(schema)
    validator.validate(doc)
    broken = json.loads(json.dumps(doc))
    broken["runs"][0]["results"][0]["level"] = "fatal"  # the schema really is checking
    assert not validator.is_valid(broken)
    run0 = doc["runs"][0]
    rule_ids = [r["id"] for r in run0["tool"]["driver"]["rules"]]
    assert set(REGISTRY) <= set(rule_ids)
    unclosed = next(r for r in run0["results"] if r["ruleId"] == "P103")
    assert rule_ids[unclosed["ruleIndex"]] == "P103"
    loc = unclosed["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "unclosed.txt"
    assert loc["region"] == {"startLine": 1, "startColumn": 1}
    assert unclosed["level"] == "error"
    weird = [r for r in run0["results"] if "weird" in r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]]
    assert (
        weird and weird[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "weird%2C%20name%3A1.txt"
    )


def test_github_annotations_escape_per_runner_rules() -> None:
    f = Finding("S101", "schema", "error", "a,b:c%.txt", field="title", line=3, column=5, message="50% off\nnext")
    line = github.annotation(f)
    assert line == "::error file=a%2Cb%3Ac%25.txt,line=3,col=5,title=S101 schema::S101 50%25 off%0Anext"
    warn = Finding("S110", "schema", "warning", "x.txt", message="m")
    assert github.annotation(warn).startswith("::warning file=x.txt,title=")  # no line: no line/col
    info = Finding("S110", "schema", "info", "x.txt", line=1, message="m")
    assert github.annotation(info).startswith("::notice file=x.txt,line=1,title=")


def test_github_paths_are_relative_to_the_working_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = corpus(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = run(["corpus"], load_config(None))
    buf = io.StringIO()
    github.render(result, buf)
    assert "::error file=corpus/unclosed.txt,line=1,col=1,title=P103 parse::" in buf.getvalue()
    single = run([str(root / "unclosed.txt")], load_config(None))
    buf = io.StringIO()
    github.render(single, buf)
    assert buf.getvalue().startswith("::error file=corpus/unclosed.txt,")


def test_markdown_summary(tmp_path: Path) -> None:
    result = result_for(corpus(tmp_path))
    text = markdown.dumps(result)
    assert text.startswith("## ❌ clipqa: gate failed")
    assert "| `unclosed.txt` | 1 | `P103` | error |" in text
    assert f"**{result.counts['error']}** error(s)" in text


def test_cli_formats_and_files(tmp_path: Path) -> None:
    root = corpus(tmp_path)
    out = tmp_path / "out"
    cmd = [
        sys.executable, "-m", "qa", "check", str(root), "--isolated", "--no-reports", "--no-cache",
        "--format", "github", "--format", "markdown",
        "--junit", str(out / "j.xml"), "--sarif", str(out / "r.sarif"), "--markdown", str(out / "s.md"),
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)}, check=False)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    assert any(line.startswith("::error file=") and "title=P103" in line for line in lines)
    assert "## ❌ clipqa: gate failed" in proc.stdout
    assert "Gate (fail on error): failed" in proc.stderr  # the summary moves to stderr
    xmlschema.XMLSchema(str(DATA / "junit-10.xsd")).validate(str(out / "j.xml"))
    assert json.loads((out / "r.sarif").read_text())["version"] == "2.1.0"
    assert (out / "s.md").read_text().startswith("## ")


def test_baseline_gates_only_new_findings_and_lists_fixed(tmp_path: Path) -> None:
    root = corpus(tmp_path)
    first = result_for(root)
    base = tmp_path / "baseline.json"
    write_baseline(first, base)
    # Lines move (a comment above), one old finding is fixed, one new one appears.
    (root / "unclosed.txt").write_text("---\n# a comment\ntitle: never closed\n---\n")
    (root / "bodyonly.md").write_text("---\ntitle: [\n---\n")
    text = (root / "weird, name:1.txt").read_text()
    (root / "weird, name:1.txt").write_text("---\n# moved down\n" + text[4:])
    second = result_for(root)
    apply(second, base)
    new = {(f.path, f.rule) for f in second.findings if f.status == "new"}
    existing = {(f.path, f.rule) for f in second.findings if f.status == "existing"}
    assert ("bodyonly.md", "P101") in new or any(p == "bodyonly.md" for p, _ in new)
    assert any(p == "weird, name:1.txt" for p, _ in existing)  # same fingerprint though its line moved
    assert all(p != "weird, name:1.txt" for p, _ in new)
    fixed = {(e["path"], e["rule"]) for e in second.fixed}
    assert ("bodyonly.md", "S110") in fixed
    scoped = result_for(root)
    apply(scoped, base, scope={"good.txt"})  # --changed-since: other files were not looked at
    assert scoped.fixed == []
    assert all(f.status == "new" for f in second.gate_findings())
    doc = document(second)
    jsonschema.validate(doc, json.loads(JSON_SCHEMA.read_text()))
    assert doc["baseline"]["path"] == base.as_posix()
    assert doc["baseline"]["new"] == len(second.gate_findings())


def test_baseline_gate_passes_when_nothing_new(tmp_path: Path) -> None:
    root = corpus(tmp_path)
    base = tmp_path / "b.json"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    common = ["--isolated", "--no-reports", "--no-cache"]
    made = subprocess.run([sys.executable, "-m", "qa", "baseline", str(base), str(root), *common[:1]], env=env,
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert made.returncode == 0, made.stderr
    gated = subprocess.run([sys.executable, "-m", "qa", "check", str(root), "--baseline", str(base), *common],
                           env=env, capture_output=True, text=True, check=False)  # fmt: skip
    assert gated.returncode == 0, gated.stdout + gated.stderr
    (root / "new-bad.txt").write_text("---\nx: 1\n")
    gated = subprocess.run([sys.executable, "-m", "qa", "check", str(root), "--baseline", str(base), *common],
                           env=env, capture_output=True, text=True, check=False)  # fmt: skip
    assert gated.returncode == 1
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    gated = subprocess.run([sys.executable, "-m", "qa", "check", str(root), "--baseline", str(bad), *common],
                           env=env, capture_output=True, text=True, check=False)  # fmt: skip
    assert gated.returncode == 2 and "not a clipqa baseline" in gated.stderr


def test_fingerprint_ignores_line_but_not_evidence() -> None:
    a = Finding("S101", "schema", "error", "x.txt", field="title", line=3, evidence="v1")
    b = Finding("S101", "schema", "error", "x.txt", field="title", line=30, evidence="v1")
    c = Finding("S101", "schema", "error", "x.txt", field="title", line=3, evidence="v2")
    assert a.fingerprint == b.fingerprint != c.fingerprint


def test_bad_baseline_file_is_an_error(tmp_path: Path) -> None:
    result = result_for(corpus(tmp_path))
    (tmp_path / "b.json").write_text(json.dumps({"baseline_version": 99}))
    with pytest.raises(BaselineError, match="baseline_version"):
        apply(result, tmp_path / "b.json")
