"""The reader agrees with PyYAML or says why: differential tests against PyYAML's own test
documents (vendored from its sdist, tests/data/pyyaml/) and generated front matter.

The reference is ``yaml.load(text, Loader=yaml.CSafeLoader)``: PyYAML's safe loader on
libyaml, which clipqa's full path composes with. For every document, both of clipqa's
paths must land in one class:

* equal: the values PyYAML gives (the fast path only ever here, with no issue);
* a located finding of a rule that docs/hostile-input.md lists as a deliberate divergence
  (each issue has a line and a column; where the only issues are ones that keep PyYAML's
  values, the values are PyYAML's);
* both reject: PyYAML raises and clipqa reports the document unusable.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import math
import os
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa.config import Config
from qa.corpus import Record, Source, read_record
from qa.pipeline import run
from qa.yamlload import Limits, Parsed, _fast_parse, parse_yaml

REPO = Path(__file__).resolve().parents[1]
VENDORED = REPO / "tests" / "data" / "pyyaml"
DOCS = REPO / "docs" / "hostile-input.md"

# Issues that keep PyYAML's values (the document loads to what yaml.load gives, plus a note).
KEEPS_VALUES = {"P102", "P106", "P113"}


def _documented_divergences() -> set[str]:
    """The rule codes of the divergence table in docs/hostile-input.md."""
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("## YAML: PyYAML's values, or a finding that says why", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `(P1\d\d)` ", section, re.MULTILINE))


DOCUMENTED = _documented_divergences()


def _norm(value: Any) -> Any:
    """A comparable form: NaN equal to NaN, types kept (1 != 1.0 != True), order kept."""
    if isinstance(value, float) and math.isnan(value):
        return ("nan",)
    if isinstance(value, dict):
        return ("dict", [(_norm(k), _norm(v)) for k, v in value.items()])
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [_norm(v) for v in value])
    if isinstance(value, (set, frozenset)):
        return ("set", sorted(repr(_norm(v)) for v in value))
    if isinstance(value, dt.datetime):
        return ("datetime", value.isoformat())
    return (type(value).__name__, value)


def _pyyaml(text: str) -> tuple[bool, Any]:
    try:
        return True, _norm(yaml.load(text, Loader=yaml.CSafeLoader))
    except Exception as exc:  # noqa: BLE001 - any refusal (YAMLError, ValueError, UnicodeEncodeError, ...)
        return False, f"{type(exc).__name__}: {exc}"


def agrees_or_says_why(text: str) -> str:
    """Assert the class of ``text`` on both paths; return it ('equal', 'finding', 'both-reject'),
    with '+fast' when the fast path took the document."""
    ok, ref = _pyyaml(text)
    full = parse_yaml(text, fast=False)
    fast = _fast_parse(text, Limits())
    for issue in full.issues:
        assert issue.line is not None and issue.column is not None, (text, issue)
        assert issue.code in DOCUMENTED, f"{issue.code} is not a documented divergence: {text!r} {issue}"
    taken = ""
    if fast is not None:
        assert ok, f"the fast path read a document PyYAML refuses ({ref}): {text!r}"
        assert _norm(fast.data) == ref, text
        assert full.ok and not full.issues and _norm(full.data) == ref, (text, full.issues)
        assert parse_yaml(text).fast
        taken = "+fast"
    if ok:
        if not full.issues:
            assert full.ok and _norm(full.data) == ref, f"values differ from PyYAML's with no finding: {text!r}"
            return "equal" + taken
        if {i.code for i in full.issues} <= KEEPS_VALUES:
            assert full.ok and _norm(full.data) == ref, (text, full.issues)
        return "finding"
    assert not full.ok or full.issues, f"PyYAML refuses ({ref}), clipqa passes it silently: {text!r}"
    return "both-reject" if not full.ok else "finding"


def _decoded(raw: bytes) -> str:
    """The text PyYAML's reader sees in these bytes (a BOM picks UTF-16); invalid UTF-8 is
    replaced, as clipqa's reader does (it reports E101 for it)."""
    for bom, encoding in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"), (b"\xef\xbb\xbf", "utf-8")):
        if raw.startswith(bom):
            return raw[len(bom) :].decode(encoding, "replace")
    return raw.decode("utf-8", "replace")


def _manifest() -> dict[str, str]:
    lines = (VENDORED / "MANIFEST.sha256").read_text(encoding="utf-8").splitlines()[1:]
    return {path.rsplit("/", 1)[1]: digest for digest, path in (line.split("  ", 1) for line in lines)}


MANIFEST = _manifest()
DOCUMENTS = sorted(name for name in MANIFEST if name != "yaml11.schema")


def test_the_vendored_files_are_pyyamls_byte_for_byte() -> None:
    assert len(DOCUMENTS) >= 370
    licence = (VENDORED / "LICENSE").read_text(encoding="utf-8")  # PyYAML's MIT licence, shipped with the files
    assert "Kirill Simonov" in licence and "Permission is hereby granted, free of charge" in licence
    for name, digest in MANIFEST.items():
        assert hashlib.sha256((VENDORED / "data" / name).read_bytes()).hexdigest() == digest, name


def test_pyyamls_test_documents_agree_or_say_why() -> None:
    classes: Counter[str] = Counter()
    codes: Counter[str] = Counter()
    for name in DOCUMENTS:
        text = _decoded((VENDORED / "data" / name).read_bytes())
        try:
            classes[agrees_or_says_why(text)] += 1
        except AssertionError as exc:
            raise AssertionError(f"{name}: {exc}") from None
        codes.update(i.code for i in parse_yaml(text, fast=False).issues)
    # Not vacuous: each class is well represented, and the divergences the issue found are
    # now findings (P107 for !!omap/!!pairs/!!set, P113 for spec-09-22/23, P115 for the
    # malformed ones, P114 for bad base64 and the like).
    assert classes["equal"] + classes["equal+fast"] >= 150, classes
    assert classes["equal+fast"] >= 30, classes  # PyYAML's documents are mostly odd: few plain ones
    assert classes["both-reject"] >= 80, classes
    assert classes["finding"] >= 100, classes
    assert {"P107", "P113", "P114", "P115", "P101"} <= set(codes), codes


@pytest.mark.parametrize(
    ("name", "code", "line"),
    [
        ("spec-09-22.data", "P113", 2),  # block scalars ended by U+2029 / U+0085: three keys to PyYAML
        ("spec-09-23.data", "P113", 4),
        ("construct-omap.data", "P107", 2),
        ("construct-pairs.data", "P107", 2),
        ("construct-set.data", "P107", 2),
        ("invalid-omap-2.loader-error", "P115", 1),
        ("expected-mapping.loader-error", "P115", 1),
        ("invalid-base64-data.loader-error", "P114", 1),
        ("invalid-character.loader-error", "P101", 17),
    ],
)
def test_the_issues_cases_in_pyyamls_corpus(name: str, code: str, line: int) -> None:
    text = _decoded((VENDORED / "data" / name).read_bytes())
    assert _fast_parse(text, Limits()) is None
    issue = next(i for i in parse_yaml(text).issues if i.code == code)
    assert (issue.line, issue.column is not None) == (line, True)  # 1-based, on the real line


SHAPES = ["k: {}\n", "k:\n  - {}\n", "k: [{}]\n", "{{k: {}}}\n"]


def _schema_inputs() -> list[str]:
    cases = yaml.load((VENDORED / "data" / "yaml11.schema").read_bytes(), Loader=yaml.CSafeLoader)
    return sorted(cases)


def test_yaml11_schema_cases_in_four_front_matter_shapes() -> None:
    """perlpunk's YAML 1.1 schema cases (as PyYAML ships them): every implicit and explicit
    spelling of null, bool, int, float and str, as a value, a list item, in flow style."""
    classes: Counter[str] = Counter()
    inputs = _schema_inputs()
    assert len(inputs) > 250
    for value in inputs:
        for shape in SHAPES:
            classes[agrees_or_says_why(shape.format(value))] += 1
    assert classes["equal+fast"] >= 150 and classes["finding"] >= 150, classes


# ---------------------------------------------------------------- generated front matter

# The characters the issue names, and their neighbours: C0 controls (NUL, VT, ESC, ...),
# DEL, C1 controls (U+0092 is a Windows-1252 apostrophe read as Latin-1), NEL, the YAML 1.1
# line breaks, BOM and noncharacters, lone surrogates, tab, CR; and ordinary ones.
SPECIAL = [
    "\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f", "\x80", "\x85", "\x92", "\x9f",
    "\u2028", "\u2029", "\ufeff", "\ufffe", "\uffff", "\ud800", "\udfff", "\t", "\r",
    "\xa0", "\u200d", "\u3000", "é", "’", "\U0001f600", " ", "#", ":", "-", "'", '"', "\\",
]  # fmt: skip
WORDS = ["It", "s here", "Wait", "what", "title", "a", "1", "true", "2021-12-28", ""]


def _piece(draw: st.DrawFn) -> str:
    return draw(st.sampled_from(WORDS)) + draw(st.sampled_from(SPECIAL)) + draw(st.sampled_from(WORDS))


PLACES: list[Callable[[str], str]] = [
    lambda p: f"{p}: v\n",  # a key
    lambda p: f"k: {p}\n",  # a plain scalar
    lambda p: f"k: '{p}'\n",
    lambda p: f'k: "{p}"\n',
    lambda p: f"k: |\n  {p}\n  more\n",
    lambda p: f"k: >-\n  {p}\n  more\n",
    lambda p: f"# {p}\nk: v\n",  # a comment
    lambda p: f"k: v # {p}\n",
    lambda p: f"k:\n  - {p}\n",
    lambda p: f"k: [{p}, x]\n",
    lambda p: f"{p}",  # anywhere
]


@st.composite
def front_matter(draw: st.DrawFn) -> str:
    lines = ["title: ok\n"]
    for _ in range(draw(st.integers(1, 3))):
        lines.append(draw(st.sampled_from(PLACES))(_piece(draw)))
        lines.append(draw(st.sampled_from(["", "excerpt: plain text\n", "n: 3\n"])))
    return "".join(lines)


@settings(
    max_examples=int(os.environ.get("FASTPATH_EXAMPLES", "600")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(front_matter())
def test_generated_front_matter_with_odd_characters_agrees_or_says_why(text: str) -> None:
    agrees_or_says_why(text)
    full = parse_yaml(text, fast=False)
    refused = re.search("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]", text)
    if refused is not None:  # PyYAML's reader refuses it: P101 at the character itself
        first = full.issues[-1]
        assert not full.ok and first.code == "P101"
        assert (first.line, first.column) == _real_position(text, refused.start())
    for char in "\x85\u2028\u2029":
        if char in text and refused is None:
            note = full.issues[0]
            assert note.code == "P113"
            index = min(text.index(c) for c in "\x85\u2028\u2029" if c in text)
            assert (note.line, note.column) == _real_position(text, index)


def _real_position(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of ``index``, counting LF, CRLF and CR as line breaks."""
    starts = [0, *(m.end() for m in re.finditer(r"\r\n?|\n", text))]
    line = bisect.bisect_right(starts, index) - 1
    return line + 1, index - starts[line] + 1


# ---------------------------------------------------------------- single cases from the issue


@pytest.mark.parametrize(
    "text",
    [
        "title: It\x92s\n",
        "title: a\x0bb\n",
        "title: a\x1bb\n",
        "title: a\x7fb\n",
        "title: a\ufffeb\n",
        "# c\x01omment\ntitle: x\n",
        "title: a\x00b\n",
        "title: a\ud800b\n",
    ],
)
def test_characters_pyyaml_refuses_are_a_located_p101_on_both_paths(text: str) -> None:
    assert _pyyaml(text)[0] is False
    for fast in (True, False):
        parsed = parse_yaml(text, fast=fast, line_offset=1)  # never raises, surrogates included
        assert not parsed.ok and [i.code for i in parsed.issues] == ["P101"]
        issue = parsed.issues[0]
        line = next(n for n, part in enumerate(text.split("\n")) if re.search("[\x00-\x1f\x7f-\x9f\ud800\ufffe]", part))
        assert issue.line == line + 2 and issue.column is not None and issue.column > 1, issue
    if "\x92" in text:
        assert "stands for '’' U+2019" in parse_yaml(text).issues[0].message


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("title: Wait\x85 what\n", {"title": "Wait what"}),  # NEL folds as a line break
        ('title: "a\x85b"\nx: 1\n', {"title": "a b", "x": 1}),
        ("title: 'a\u2028b'\nx: y\n", {"title": "a\u2028b", "x": "y"}),
        ("# c\u2028omment: x\ntitle: t\n", {"omment": "x", "title": "t"}),  # the comment ends there
        ("\ufefftitle: x\n", {"title": "x"}),  # libyaml skips a BOM at the start, yaml-rs kept it
    ],
)
def test_yaml11_line_breaks_take_the_full_path_with_pyyamls_values(text: str, value: dict[str, Any]) -> None:
    assert _pyyaml(text) == (True, _norm(value))
    parsed = parse_yaml(text)
    assert not parsed.fast and parsed.data == value
    if "\ufeff" not in text:
        assert [i.code for i in parsed.issues] == ["P113"]


@pytest.mark.parametrize(
    "text",
    ["title: a\u2028b\n", "title: |\n  a\u2028b\n", "title: a\u2029b\n", "title: It\u2028s here\nexcerpt: x\n"],
)
def test_a_yaml11_line_break_that_breaks_the_document_is_explained(text: str) -> None:
    parsed = parse_yaml(text)
    assert not parsed.ok
    assert [i.code for i in parsed.issues] == ["P113", "P101"]
    note, error = parsed.issues
    line_of_break = text[: text.index(next(c for c in "\u2028\u2029" if c in text))].count("\n") + 1
    assert note.line == line_of_break and error.line is not None and error.line <= text.count("\n") + 1


@pytest.mark.parametrize(
    ("text", "code", "data", "message"),
    [
        ("Numbers: !!omap [ one: 1, two: 2 ]\n", "P107", {"Numbers": None}, "ordered map"),
        ("a: !!pairs [ {x: 1}, {x: 2} ]\n", "P107", {"a": None}, "pairs"),
        ("a: !!set {x, y}\n", "P107", {"a": None}, "a YAML 1.1 set: PyYAML builds a Python set"),
        ("--- !!omap\n- foo: bar\n- baz\n", "P115", None, "item 1 of !!omap is not a mapping of one key"),
        ("a: !!omap\n- {x: 1, y: 2}\n", "P115", {"a": None}, "has 2 keys"),
        ("a: !!map [x, y]\n", "P115", {"a": None}, "needs a mapping, not a sequence"),
        ("a: !!seq {x: 1}\n", "P115", {"a": None}, "needs a sequence, not a mapping"),
        ("a: !!str [x]\n", "P115", {"a": None}, "needs a scalar"),
        ("a: !!set [x]\n", "P115", {"a": None}, "needs a mapping"),
        ("a: !!map x\n", "P115", {"a": None}, "not a scalar"),
        ("a: !!int abc\n", "P114", {"a": "abc"}, "not a valid !!int"),
        ("a: !!binary 'abc'\n", "P114", {"a": "abc"}, "not a valid !!binary"),
        ("a: 2021-02-30\n", "P114", {"a": "2021-02-30"}, "day is out of range for month"),
        ("a: =\n", "P114", {"a": "="}, "!!value"),
        ("a: <<\n", "P114", {"a": "<<"}, "!!merge"),
        ("a: " + "7" * 1500 + "\n", "P114", {"a": "7" * 1500}, "1,500 characters"),
    ],
)
def test_yaml11_collections_and_values_pyyaml_refuses_are_findings(
    text: str, code: str, data: Any, message: str
) -> None:
    assert agrees_or_says_why(text) == "finding"
    parsed = parse_yaml(text)
    assert [i.code for i in parsed.issues] == [code]
    assert message in parsed.issues[0].message
    assert parsed.data == data
    if code == "P107":
        assert "not allowed" not in parsed.issues[0].message  # the safe loader allows these; clipqa does not


# ---------------------------------------------------------------- clipqa check: real lines


def test_check_places_findings_of_a_file_with_yaml11_line_breaks_at_their_real_lines(tmp_path: Path) -> None:
    """libyaml counts NEL as a line break: without correction every mark after it is one
    line late. The file parses (NEL in a quoted title), so the schema's findings are placed."""
    text = (
        "---\n"
        'title: "It\x85s here"\n'  # line 2
        "excerpt: An excerpt\n"
        "quality: high\n"  # line 4: not an integer
        "provider:\n"
        "  name: 7\n"  # line 6: nested, placed by composing
        "---\nBody.\n"
    )
    (tmp_path / "a.txt").write_text(text, encoding="utf-8")
    result = run([str(tmp_path)], Config(jobs=1))
    by_field = {(f.rule, f.field): f for f in result.findings if f.path == "a.txt"}
    p113 = next(f for f in result.findings if f.rule == "P113")
    assert (p113.line, p113.column) == (2, 11)
    lines = text.split("\n")
    for (rule_code, field), finding in by_field.items():
        if field is None or finding.line is None or field == "body" or field.startswith("body"):
            continue
        if f"{field.split('.')[0]}:" not in text:
            continue  # a field missing from the file: placed at the front matter's start
        # the line holds the field's key, or its deepest parent's if the field is missing
        key_there = lines[finding.line - 1].strip().split(":")[0]
        assert key_there in re.split(r"[.\[\]]", field), (rule_code, field, finding.line)
    assert any(f == "quality" for _, f in by_field), by_field


def test_a_file_with_a_line_separator_in_its_title_gets_p113_and_p101_on_line_2(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("---\ntitle: It\u2028s here\nexcerpt: x\n---\n", encoding="utf-8")
    rec = read_record(Source("a.txt", str(path)))
    assert [f.rule for f in rec.findings] == ["P113", "P101"]
    note, error = rec.findings
    assert (note.line, note.column) == (2, 10)  # the separator itself
    assert error.line == 3 and "line 2" in error.message  # libyaml: the simple key from line 2 has no ':'
    assert not rec.usable


def test_a_utf16_file_with_a_nul_character_is_p101_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes("---\ntitle: ok\nexcerpt: a\x00b\n---\n".encode("utf-16"))
    rec = read_record(Source("a.txt", str(path)))
    p101 = [f for f in rec.findings if f.rule == "P101"]
    assert [(f.line, f.column) for f in p101] == [(3, 11)] and "NUL" in p101[0].message
    assert {f.rule for f in rec.findings} == {"E103", "P101"}


def test_if_libyaml_refused_a_fast_path_document_the_record_says_so_and_still_places_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """compose_marks never returns None for a document the fast path read: were the screen
    ever to let through what libyaml refuses, the record reports it (P101 at libyaml's
    reason) and places findings on their top-level keys, never silently at 1:1."""
    from qa import yamlload

    monkeypatch.setattr(yamlload, "_needs_full_path", lambda text: False)
    path = tmp_path / "a.txt"
    path.write_text("---\ntitle: It\u2028s here\nprovider:\n  name: X\n---\n", encoding="utf-8")
    rec: Record = read_record(Source("a.txt", str(path)))
    assert rec.fast_yaml and rec.data == {"title": "It\u2028s here", "provider": {"name": "X"}}
    assert rec.position("provider.name") == (3, 1)  # composing fails: the top-level key's line
    refused = [f for f in rec.findings if f.rule == "P101"]
    assert len(refused) == 1 and "clipqa bug" in refused[0].message and refused[0].line == 3  # libyaml's mark
    assert rec.position("title") == (2, 1)


def test_parsed_results_of_the_api_never_raise_on_any_single_character() -> None:
    """Every code point (surrogates included) as a value, a key and a comment: parse_yaml
    returns, on both paths, and the fast path takes none that it cannot promise."""
    for code in [*range(0x3000), 0xD800, 0xDBFF, 0xDC00, 0xDFFF, 0xFEFF, 0xFFFD, 0xFFFE, 0xFFFF, 0x1F600]:
        char = chr(code)
        for text in (f"k: a{char}b\n", f"a{char}b: v\n", f"# {char}\nk: v\n"):
            parsed: Parsed = parse_yaml(text)
            full = parse_yaml(text, fast=False)
            assert all(i.line is not None for i in full.issues), hex(code)
            if parsed.fast:
                assert _pyyaml(text) == (True, _norm(parsed.data)) and _norm(full.data) == _norm(parsed.data), hex(code)
