"""The command as a user runs it: exit codes, reports, the JSON contract, the seeds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest

from qa.report.json_report import JSON_SCHEMA
from tests.clipping import clipping

REPO = Path(__file__).resolve().parents[1]


def clipqa(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("CLIPQA_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "qa", *args], capture_output=True, text=True, cwd=cwd, env=env, check=False, timeout=300
    )


def validate_json(path: Path) -> dict:
    doc = json.loads(path.read_text(encoding="utf-8"))
    schema = json.loads(JSON_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(doc)
    return doc


def test_seeds_acceptance(seeds_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    proc = clipqa("check", str(seeds_dir), "--json", str(out), "--html", str(tmp_path / "r.html"))
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr
    doc = validate_json(out)
    findings = doc["findings"]
    no_fm = sorted(f["path"] for f in findings if f["rule"] == "S110")
    assert no_fm == ["003_ac9209e5bc8b5437.txt", "004_a5c9b4d63939b8cb.txt"]
    valid = {"000_05092c555007ba03.txt", "001_adf1ddfc38a9c988.txt", "002_b21067564498db76.txt"}
    assert not [f for f in findings if f["path"] in valid and f["check"] in ("parse", "schema")]
    assert doc["corpus"] == {"paths": [seeds_dir.as_posix()], "files": 5, "records": 3}


def test_file_names_that_are_not_utf8_are_checked_and_reported_printably(tmp_path: Path) -> None:
    """A name of bytes that are not UTF-8 (legal on Linux): every check runs on it (the corpus
    checks once failed on such a name with P900 and checked nothing), and reports name it in its
    printable form; a file whose real name is that printable form is still a distinct file."""
    root = tmp_path / "corpus"
    root.mkdir()
    body = clipping("Body.\n", published="yes")
    (root / os.fsdecode(b"caf\xe9.txt")).write_text(body, encoding="utf-8")
    (root / "caf\\xe9.txt").write_text(body, encoding="utf-8")  # the printable form, as a real name
    (root / os.fsdecode(b"d\xffir")).mkdir()
    (root / os.fsdecode(b"d\xffir") / "b.txt").write_text(clipping("Other.\n"), encoding="utf-8")
    out = tmp_path / "out.json"
    proc = clipqa("check", str(root), "--json", str(out), "--html", str(tmp_path / "r.html"), "--no-cache")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "P900" not in proc.stdout and "Traceback" not in proc.stderr
    doc = validate_json(out)
    by_path: dict[str, set[str]] = {}
    for f in doc["findings"]:
        by_path.setdefault(f["path"], set()).add(f["rule"])
    # both files are published: yes (P106/F101) and byte-identical (D103, which needs the corpus stage)
    assert {"caf\\xe9.txt", "caf\\xe9.txt~"} <= by_path.keys()
    identical = [{f["path"], *f["related"]} for f in doc["findings"] if f["rule"] == "D103"]
    assert identical == [{"caf\\xe9.txt", "caf\\xe9.txt~"}]
    assert doc["corpus"]["files"] == 3


def test_default_report_locations_and_exit_0(tmp_path: Path, write_corpus: Callable[..., Path]) -> None:
    root = write_corpus({"a.txt": clipping("Body.\n")})
    proc = clipqa("check", str(root), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Gate (fail on error): passed" in proc.stdout
    doc = validate_json(tmp_path / "reports" / "clipqa-findings.json")
    assert doc["summary"]["gate"] == "passed" and doc["findings"] == []
    assert (tmp_path / "reports" / "clipqa-report.html").is_file()


def test_gate_fails_with_exit_1_and_ruff_style_lines(tmp_path: Path, write_corpus: Callable[..., Path]) -> None:
    root = write_corpus({"sub/a.txt": clipping(quality="high"), "b.txt": clipping()})
    proc = clipqa("check", str(root), "--no-reports")
    assert proc.returncode == 1
    lines = (root / "sub" / "a.txt").read_text().splitlines()
    expected_line = next(i for i, line in enumerate(lines, 1) if line.startswith("quality:"))
    assert f"sub/a.txt:{expected_line}:1: S102 quality: expected integer, got string 'high'" in proc.stdout


@pytest.mark.parametrize(("fail_on", "code"), [("error", 0), ("warning", 1), ("info", 1), ("never", 0)])
def test_fail_on_levels(tmp_path: Path, write_corpus: Callable[..., Path], fail_on: str, code: int) -> None:
    root = write_corpus({"a.txt": "A body with no front matter.\n"})  # one warning
    assert clipqa("check", str(root), "--no-reports", "--fail-on", fail_on).returncode == code


def test_never_fails_even_with_errors(tmp_path: Path, write_corpus: Callable[..., Path]) -> None:
    root = write_corpus({"a.txt": clipping(quality="high")})
    assert clipqa("check", str(root), "--no-reports", "--fail-on", "never").returncode == 0


@pytest.mark.parametrize(
    "args",
    [
        ["check", "/no/such/corpus"],
        ["check"],
        ["check", ".", "--fail-on", "sometimes"],
        ["check", ".", "--schema-dir", "/no/such/schemas"],
        ["nonsense-command"],
    ],
)
def test_could_not_run_is_exit_2_without_traceback(tmp_path: Path, args: list[str]) -> None:
    proc = clipqa(*args, cwd=tmp_path)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr


def test_json_and_html_outputs_where_asked(tmp_path: Path, write_corpus: Callable[..., Path]) -> None:
    root = write_corpus({"a.txt": clipping(title="  "), "b.txt": "---\ntitle: [broken\n---\n", "c.txt": "body only\n"})
    out, html = tmp_path / "o" / "f.json", tmp_path / "o" / "r.html"
    proc = clipqa("check", str(root), "--json", str(out), "--html", str(html), "--fail-on", "warning")
    assert proc.returncode == 1
    doc = validate_json(out)
    assert doc["summary"] == {
        "error": 3,
        "warning": 1,
        "info": 0,
        "gate": "failed",
        "fail_on": "warning",
        "by_check": {
            "parse": {"error": 1, "warning": 0, "info": 0},
            "schema": {"error": 1, "warning": 1, "info": 0},
            # a.txt is published with a blank title: S103 says the value is blank, F105 that it is live so
            "published": {"error": 1, "warning": 0, "info": 0},
        },
        "fixable": {"safe": 0, "unsafe": 0},
    }
    by_rule = {f["rule"]: f for f in doc["findings"]}
    assert by_rule["S103"]["path"] == "a.txt" and by_rule["S103"]["field"] == "title"
    # libyaml notices the unclosed '[' at the end of the front matter; the message says where it opened.
    assert by_rule["P101"]["path"] == "b.txt" and by_rule["P101"]["line"] == 3
    assert "starts at line 2" in by_rule["P101"]["message"]
    assert all(len(f["fingerprint"]) == 16 for f in doc["findings"])
    page = html.read_text(encoding="utf-8")
    assert "gate failed" in page
    for f in doc["findings"]:
        assert f["path"] in page and f["rule"] in page


def test_html_report_is_self_contained_and_escapes_input(tmp_path: Path, write_corpus: Callable[..., Path]) -> None:
    root = write_corpus({"a.txt": clipping(title="<script>alert('x')</script>", quality="<b>x</b>")})
    html = tmp_path / "r.html"
    clipqa("check", str(root), "--html", str(html), "--json", str(tmp_path / "f.json"))
    page = html.read_text(encoding="utf-8")
    assert "<script>alert" not in page and "<b>x</b>" not in page
    assert "\\u003cb\\u003ex\\u003c/b\\u003e" in page  # the value travels as escaped JSON data

    class Refs(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.found: list[str] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            for name, value in attrs:
                if name in ("src", "href") and value and not value.startswith("#"):
                    self.found.append(value)

    parser = Refs()
    parser.feed(page)
    assert parser.found == []  # nothing to fetch


def test_rules_command_lists_every_rule(tmp_path: Path) -> None:
    proc = clipqa("rules", "--format", "json")
    assert proc.returncode == 0
    rules = json.loads(proc.stdout)
    codes = [r["code"] for r in rules]
    assert len(codes) == len(set(codes))
    assert {"P101", "P102", "S101", "S109", "S110", "E101"} <= set(codes)
    for r in rules:
        assert r["check"] and r["severity"] in ("error", "warning", "info") and r["doc"]
    text = clipqa("rules").stdout
    assert "S110" in text and "no-front-matter" in text


def test_python_dash_m_and_version() -> None:
    proc = clipqa("--version")
    assert proc.returncode == 0 and "clipqa" in proc.stdout


def test_example_corpus_shows_its_planted_glitches(tmp_path: Path) -> None:
    out = tmp_path / "f.json"
    proc = clipqa("check", str(REPO / "examples" / "corpus"), "--json", str(out), "--html", str(tmp_path / "r.html"))
    assert proc.returncode == 1
    doc = validate_json(out)
    rules = {f["rule"] for f in doc["findings"]}
    assert {"P101", "P103", "P106", "E101", "S102", "I102", "I105", "S108", "S109", "S110"} <= rules
    clean = {"010_3f2a9c1d5e7b8a60.txt", "012_c47d9e0a1b3f6a28.txt"}
    assert not [f for f in doc["findings"] if f["path"] in clean and f["severity"] == "error"]


def test_thousand_files_one_malformed_one_not_utf8(tmp_path: Path) -> None:
    root = tmp_path / "big"
    root.mkdir()

    def story(i: int, body: str = "", **changes: object) -> str:
        # each file its own story (URL and title), so the duplicate checks have nothing to say
        url = f"https://www.maritime.example.com/2025/story-{i}/"
        amp = f"https://www-maritime-example-com.cdn.ampproject.org/c/s/www.maritime.example.com/2025/story-{i}/amp/"
        image = [{"url": f"{url}image.jpg", "width": 1200, "height": 800, "isCached": True}]
        return clipping(
            body, title=f"Story number {i}", webUrl=url, originalUrl=url, ampWebUrl=f"{url}amp/", cdnAmpWebUrl=amp,
            images=image, **changes,
        )  # fmt: skip

    for i in range(1000):
        (root / f"{i:03d}_{i:016x}.txt").write_text(story(i, f"Body {i}.\n"), encoding="utf-8")
    bad_yaml = root / f"{500:03d}_{500:016x}.txt"
    bad_yaml.write_text(story(500).replace("quality: 62", "quality: [62"), encoding="utf-8")
    not_utf8 = root / f"{700:03d}_{700:016x}.txt"
    not_utf8.write_bytes(story(700).encode().replace(b"Europe's", b"Europe\x92s"))
    planted = root / f"{999:03d}_{999:016x}.txt"  # a file after both: it must still be checked
    planted.write_text(story(999, heat="hot"), encoding="utf-8")
    out = tmp_path / "f.json"
    proc = clipqa("check", str(root), "--json", str(out), "--no-progress", "--html", str(tmp_path / "r.html"))
    assert proc.returncode == 1
    doc = validate_json(out)
    assert doc["corpus"]["files"] == 1000
    assert doc["corpus"]["records"] == 999
    by_path = {}
    for f in doc["findings"]:
        by_path.setdefault(f["path"], []).append(f)
    assert set(by_path) == {bad_yaml.name, not_utf8.name, planted.name}
    [yaml_err] = by_path[bad_yaml.name]
    assert yaml_err["rule"] == "P101" and yaml_err["line"] is not None
    [utf] = by_path[not_utf8.name]
    assert utf["rule"] == "E101"
    assert b"\x92" in not_utf8.read_bytes().split(b"\n")[utf["line"] - 1]
    assert [f["rule"] for f in by_path[planted.name]] == ["S102"]


def test_files_of_the_same_name_in_two_folders_are_both_checked(tmp_path: Path) -> None:
    """As pre-commit passes them (one argument per changed file): a broken file whose name a
    good file also has, in another folder, is checked and fails the gate, whatever the order."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "x.txt").write_text(clipping("Body.\n"), encoding="utf-8")
    (tmp_path / "b" / "x.txt").write_text("---\ntitle: [unclosed\n---\nBody.\n", encoding="utf-8")
    for order in (["a/x.txt", "b/x.txt"], ["b/x.txt", "a/x.txt"]):
        proc = clipqa("check", *order, "--isolated", "--no-reports", "--no-progress", "--no-cache", cwd=tmp_path)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert "b/x.txt:3:1: P101" in proc.stdout
        assert "Checked 2 files" in proc.stderr + proc.stdout


def test_the_installed_version_is_the_packages() -> None:
    """pyproject.toml takes the version from qa/__init__.py: the installed metadata, the
    package and ``clipqa --version`` say the same."""
    from importlib.metadata import version

    import qa

    assert version("clipqa") == qa.__version__
    proc = clipqa("--version")
    assert proc.returncode == 0 and qa.__version__ in proc.stdout
