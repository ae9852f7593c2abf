"""``clipqa fix``: edits land byte for byte where the findings say, and nowhere else.

The planner (``qa.fix.plan_file``) is tried on every scalar style with hand-made fixes;
the command on real files, through the real pipeline (see also tests/test_fix_corpus.py
for the corpus-level promises: acceptance on the example corpus and the seeds, git apply,
a SIGKILL in the middle, symbolic links, ftfy's test cases and the property test).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa.config import load_config
from qa.corpus import Discovery, ReadOptions, Source, discover, record_from_bytes
from qa.findings import REGISTRY, Edit, Finding, Rule, rename_key, replace_bytes, replace_text, replace_value, rule
from qa.fix import FilePlan, _double_quoted, fix_paths, plan_file, same
from qa.rules import all_rules

REPO = Path(__file__).resolve().parents[1]
OPTIONS = ReadOptions()


def _rule(code: str) -> Rule:
    return all_rules()[code]


def finding(code: str, edits: Edit | list[Edit], field: str | None = None) -> Finding:
    return _rule(code).finding("a.txt", "test", field=field, fix=edits)


def plan(text: str | bytes, *findings: Finding) -> FilePlan:
    raw = text.encode("utf-8") if isinstance(text, str) else text
    return plan_file("a.txt", raw, list(findings), OPTIONS)


def after(text: str | bytes, *findings: Finding) -> str:
    p = plan(text, *findings)
    assert not p.declined, p.declined
    return p.after.decode("utf-8")


def data_of(text: str) -> dict[str, object]:
    rec = record_from_bytes(Source("a.txt", "a.txt"), text.encode("utf-8"))
    assert rec.data is not None
    return rec.data


FRONT = (
    "---\n# a comment that stays\ntitle: {title}\nexcerpt: 'An excerpt, it''s fine'  # trailing comment\n"
    "published: true\n---\nBody text.\n"
)


# ---------------------------------------------------------------- scalar styles


@pytest.mark.parametrize(
    ("written", "span_of", "content", "expected"),
    [
        # plain: the source is the value
        ("Caf\u00c3\u00a9 owners", "Ã©", "é", "Café owners"),
        # single-quoted: '' is one quote
        ("'It''s Caf\u00c3\u00a9 time'", "Ã©", "é", "'It''s Café time'"),
        # double-quoted with escapes before and after the span: each escape is one character of the value
        ('"Tab\\there \\u00e9 Caf\u00c3\u00a9 \\"q\\""', "Ã©", "é", '"Tab\\there \\u00e9 Café \\"q\\""'),
        # the new text needs escaping in double quotes
        ('"x &amp; y"', "&amp;", '"&\\', '"x \\"&\\\\ y"'),
        # and in single quotes
        ("'x &#39; y'", "&#39;", "'", "'x '' y'"),
    ],
)
def test_a_text_edit_changes_only_its_span_in_every_one_line_style(
    written: str, span_of: str, content: str, expected: str
) -> None:
    text = FRONT.format(title=written)
    value = data_of(text)["title"]
    assert isinstance(value, str)
    start = value.index(span_of)
    f = finding("E201", replace_text("title", start, start + len(span_of), content), "title")
    out = after(text, f)
    assert out == FRONT.format(title=expected)  # byte for byte: comments, quoting, order
    assert data_of(out)["title"] == value[:start] + content + value[start + len(span_of) :]


def test_a_literal_block_scalar_is_edited_line_by_line() -> None:
    text = "---\nexcerpt: |\n  First line Caf\u00c3\u00a9.\n\n  Third line.\nx: 1\n---\nbody\n"
    value = data_of(text)["excerpt"]
    assert value == "First line CafÃ©.\n\nThird line.\n"
    start = value.index("Ã©")
    out = after(text, finding("E201", replace_text("excerpt", start, start + 2, "é"), "excerpt"))
    assert out == text.replace("CafÃ©", "Café")
    # a new line break in the block is indented as the block is
    cut = value.index("Third")
    out = after(text, finding("E201", replace_text("excerpt", cut, cut, "New\n"), "excerpt"))
    assert out == text.replace("  Third", "  New\n  Third")
    assert data_of(out)["excerpt"] == "First line CafÃ©.\n\nNew\nThird line.\n"


def test_a_quoted_scalar_over_several_lines_is_written_again_in_its_style_on_one_line() -> None:
    text = '---\ntitle: "A long title with Caf\u00c3\u00a9\n  folded onto a second line"\nx: 1\n---\n'
    value = data_of(text)["title"]
    start = value.index("Ã©")
    out = after(text, finding("E201", replace_text("title", start, start + 2, "é"), "title"))
    assert out == '---\ntitle: "A long title with Café folded onto a second line"\nx: 1\n---\n'


def test_a_folded_block_scalar_is_declined_with_a_reason() -> None:
    text = "---\nexcerpt: >\n  Folded Caf\u00c3\u00a9\n  text.\n---\n"
    p = plan(text, finding("E201", replace_text("excerpt", 7, 10, "é"), "excerpt"))
    assert p.after == p.before and "folded block scalar" in p.declined[0][1]


def test_body_edits_and_crlf_line_endings_are_kept() -> None:
    text = "---\r\ntitle: Caf\u00c3\u00a9\r\n---\r\nLine one.\r\n<br>Line two.\r\n"
    rec = record_from_bytes(Source("a.txt", "a.txt"), text.encode())
    body = rec.body
    assert body == "Line one.\n<br>Line two.\n"
    br = body.index("<br>")
    edits = [
        finding("E201", replace_text("title", 3, 5, "é"), "title"),
        finding("E207", replace_text("body", br, br + 4, "\n"), "body"),
    ]
    out = after(text, *edits)
    # the inserted line break is the file's (CRLF); every other byte is as it was
    assert out == "---\r\ntitle: Café\r\n---\r\nLine one.\r\n\r\nLine two.\r\n"


def test_byte_edits_remove_the_bom_and_end_bare_cr_lines() -> None:
    raw = b"\xef\xbb\xbf---\rtitle: x\r---\rbody \xc3\xa9\r"
    rec = record_from_bytes(Source("a.txt", "a.txt"), raw)
    by_rule = {f.rule: f for f in rec.findings}
    assert by_rule["E102"].fix is not None and by_rule["E104"].fix is not None
    p = plan(raw, by_rule["E102"], by_rule["E104"])
    assert p.after == b"---\ntitle: x\n---\nbody \xc3\xa9\n"
    # the same with a text edit in the body at once: each touches its own bytes
    f = finding("E201", replace_text("body", 0, 4, "Body"), "body")
    p = plan(raw, by_rule["E102"], by_rule["E104"], f)
    assert p.after == b"---\ntitle: x\n---\nBody \xc3\xa9\n"


def test_a_value_edit_keeps_the_comment_after_it() -> None:
    text = '---\ntitle: x\npublished: yes  # live?\nflag: "false"\n---\n'
    out = after(
        text,
        finding("F101", replace_value("published", "true"), "published"),
        finding("S102", replace_value("flag", "false"), "flag"),
    )
    assert out == "---\ntitle: x\npublished: true  # live?\nflag: false\n---\n"
    assert same(data_of(out), {"title": "x", "published": True, "flag": False})


def test_a_key_rename_keeps_the_key_style_and_the_value() -> None:
    text = '---\n"publishedDatetime": 2021-12-28T23:15:00Z\ntitle: x\n---\n'
    out = after(text, finding("S109", rename_key("publishedDatetime", "publishedDateTime"), "publishedDatetime"))
    assert out == '---\n"publishedDateTime": 2021-12-28T23:15:00Z\ntitle: x\n---\n'
    assert list(data_of(out)) == ["publishedDateTime", "title"]  # the key keeps its place


def test_fixes_in_one_value_compose_and_overlaps_wait_for_the_next_pass() -> None:
    text = FRONT.format(title='"Caf\u00c3\u00a9 &amp; cr\u00c3\u00a8me"')
    value = data_of(text)["title"]
    assert value == "CafÃ© &amp; crÃ¨me"
    a = finding("E201", replace_text("title", 3, 5, "é"), "title")
    b = finding("E206", replace_text("title", 6, 11, "&"), "title")
    c = finding("E201", replace_text("title", 14, 16, "è"), "title")
    d = finding("E209", replace_text("title", 4, 7, "X"), "title")  # overlaps a and b
    p = plan(text, d, c, b, a)
    assert p.after.decode() == FRONT.format(title='"Café & crème"')
    assert p.applied == [a, b, c] and p.deferred == [d]
    # the same edit from two findings is one edit
    twice = plan(text, a, finding("E209", replace_text("title", 3, 5, "é"), "title"))
    assert not twice.deferred and twice.after.decode().count("Café") == 1


def test_an_edit_that_would_not_read_back_as_meant_is_not_written() -> None:
    # " #" starts a comment after a plain scalar: the title would lose the text
    text = "---\ntitle: plain words\nx: 1\n---\n"
    p = plan(text, finding("E201", replace_text("title", 6, 11, "words #not"), "title"))
    assert p.after == p.before
    assert "would not read as the fix meant" in p.declined[0][1]
    # an anchored value is shared with the fields that repeat it: not edited in place
    text = "---\ntitle: &t Caf\u00c3\u00a9\nrelated:\n  - title: *t\n---\n"
    p = plan(text, finding("E201", replace_text("title", 3, 5, "é"), "title"))
    assert p.after == p.before and p.declined


def test_an_edit_that_would_break_the_yaml_is_not_written() -> None:
    text = "---\ntitle: plain words\nx: 1\n---\n"
    p = plan(text, finding("E201", replace_text("title", 0, 5, "a: b"), "title"))
    assert p.after == p.before and p.declined


def test_files_that_are_not_utf8_are_declined() -> None:
    f = finding("E201", replace_text("title", 0, 1, "x"), "title")
    assert "not valid UTF-8" in plan(b"---\ntitle: \xe9t\xe9\n---\n", f).declined[0][1]
    assert "UTF-16" in plan("---\ntitle: x\n---\n".encode("utf-16"), f).declined[0][1]


def test_a_span_past_the_value_is_declined() -> None:
    p = plan(FRONT.format(title="short"), finding("E201", replace_text("title", 3, 50, "x"), "title"))
    assert p.after == p.before and "past the end" in p.declined[0][1]


@pytest.mark.parametrize(
    "text", ["plain", "é ü ß 摆脱 👨\u200d🚀", 'q"uote\\back', "tab\tnl\nnel\x85ls\u2028bom\ufeffc1\x9b"]
)
def test_double_quoted_writing_reads_back_as_the_text(text: str) -> None:
    doc = f'---\nv: "{_double_quoted(text)}"\n---\n'
    assert data_of(doc)["v"] == text


def test_same_tells_types_apart() -> None:
    assert same({"a": 1}, {"a": 1}) and not same({"a": 1}, {"a": True}) and not same(1, 1.0)
    assert not same({"a": 1, "b": 2}, {"b": 2, "a": 1})  # key order is part of the file
    assert same(float("nan"), float("nan"))


# ---------------------------------------------------------------- the command


def clipqa(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "qa", *args], capture_output=True, text=True, cwd=cwd, env=env, check=False, timeout=300
    )


CLIP = """---
title: "{title}"
excerpt: "An excerpt."
publishedDateTime: 2025-03-11T09:15:00Z
webUrl: "https://news.example.com/{n}"
provider:
  name: Example News
  domain: news.example.com
images:
  - url: "https://news.example.com/{n}.jpg"
    width: 800
    height: 600
quality: 50
heat: {heat}
published: {published}
---
{body}
"""


def clip(n: int, title: str = "A title", published: str = "false", body: str = "Body.") -> str:
    heat = -1 if published in ("false", "no") else 3  # heat is computed for published clippings only
    return CLIP.format(n=n, title=title, published=published, body=body, heat=heat)


def test_fix_applies_safe_fixes_reports_them_and_exits_on_what_is_left(tmp_path: Path) -> None:
    root = tmp_path / "c"
    root.mkdir()
    (root / "a.txt").write_text(clip(1, title="Caf\u00c3\u00a9 news", published="yes"), encoding="utf-8")
    (root / "b.txt").write_text(clip(2, body="Leave a Reply\n\nThe story."), encoding="utf-8")
    (root / "c.txt").write_text(clip(3), encoding="utf-8")
    untouched = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in root.iterdir()}
    proc = clipqa("fix", str(root), "--isolated", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr  # what is left is a warning (B101)
    assert "a.txt: fixed 3 (E201, F101, P106)" in proc.stdout
    assert "B101" in proc.stdout and "fixable with --unsafe-fixes" in proc.stdout
    assert (root / "a.txt").read_text(encoding="utf-8") == clip(1, title="Café news", published="true")
    for name in ("b.txt", "c.txt"):  # nothing safe to fix: not rewritten
        assert ((root / name).read_bytes(), (root / name).stat().st_mtime_ns) == untouched[name]
    # a second run changes nothing
    again = clipqa("fix", str(root), "--isolated", cwd=tmp_path)
    assert again.returncode == 0 and "Fixed 0 finding(s)" in again.stdout
    # --unsafe-fixes takes the boilerplate line; --fail-on warning would have failed before
    assert clipqa("check", str(root), "--isolated", "--no-reports", "--fail-on", "warning").returncode == 1
    proc = clipqa("fix", str(root), "--isolated", "--unsafe-fixes", "--fail-on", "warning", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout
    assert (root / "b.txt").read_text(encoding="utf-8") == clip(2, body="The story.")


def test_fix_exit_codes_and_select(tmp_path: Path) -> None:
    root = tmp_path / "c"
    root.mkdir()
    (root / "a.txt").write_text(clip(1, title="Caf\u00c3\u00a9 &amp; co", published="yes"), encoding="utf-8")
    assert clipqa("fix", str(tmp_path / "missing"), cwd=tmp_path).returncode == 2
    assert clipqa("fix", str(root), "--isolated", "--fail-on", "bogus", cwd=tmp_path).returncode == 2
    proc = clipqa("fix", str(root), "--isolated", "--select", "E201", cwd=tmp_path)
    assert proc.returncode == 0  # only E201 is selected, and it is fixed
    text = (root / "a.txt").read_text(encoding="utf-8")
    assert "Café &amp; co" in text and "published: yes" in text
    proc = clipqa("fix", str(root), "--isolated", "--ignore", "E206", cwd=tmp_path)
    assert proc.returncode == 0 and "published: true" in (root / "a.txt").read_text(encoding="utf-8")
    assert "&amp;" in (root / "a.txt").read_text(encoding="utf-8")
    # an unfixable error is left: exit 1
    (root / "b.txt").write_text("---\ntitle: [broken\n---\n", encoding="utf-8")
    assert clipqa("fix", str(root), "--isolated", cwd=tmp_path).returncode == 1


def test_fix_keeps_the_file_mode(tmp_path: Path) -> None:
    root = tmp_path / "c"
    root.mkdir()
    path = root / "a.txt"
    path.write_text(clip(1, published="yes"), encoding="utf-8")
    path.chmod(0o640)
    assert clipqa("fix", str(root), "--isolated", cwd=tmp_path).returncode == 0
    assert "published: true" in path.read_text(encoding="utf-8") and (path.stat().st_mode & 0o777) == 0o640
    assert [p.name for p in root.iterdir()] == ["a.txt"]  # no temporary file left


def test_fix_does_not_write_a_file_that_changed_meanwhile(tmp_path: Path) -> None:
    from qa.fix import _write

    root = tmp_path / "c"
    root.mkdir()
    path = root / "a.txt"
    path.write_text(clip(1, published="yes"), encoding="utf-8")
    cfg = load_config(None, {})
    outcome = fix_paths([str(root)], cfg, discover([str(root)]), write=False)
    [change] = outcome.changes
    path.write_text(clip(1, published="no"), encoding="utf-8")  # someone else's edit
    assert "changed while it was being fixed" in (_write(change) or "")
    assert "published: no" in path.read_text(encoding="utf-8")


def test_fix_with_diff_writes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "c"
    root.mkdir()
    path = root / "a.txt"
    path.write_text(clip(1, published="yes"), encoding="utf-8")
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    proc = clipqa("fix", "c", "--isolated", "--diff", cwd=tmp_path)
    assert proc.returncode == 0
    assert "--- a/c/a.txt\n+++ b/c/a.txt\n" in proc.stdout and "-published: yes\n+published: true\n" in proc.stdout
    assert "would fix 2" in proc.stderr
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before


def test_in_memory_sources_are_read_and_not_stat_cached(tmp_path: Path) -> None:
    """The passes after the first check the new contents, held in memory: the result cache must
    neither take them for the file on disk nor the file for them."""
    root = tmp_path / "c"
    root.mkdir()
    (root / "a.txt").write_text(clip(1, published="yes"), encoding="utf-8")
    cfg = load_config(None, {})
    cache = str(tmp_path / "cache")
    found = discover([str(root)])
    outcome = fix_paths([str(root)], cfg, found, write=False, cache_dir=cache)
    assert outcome.changes and not [f for f in outcome.result.findings if f.rule in ("F101", "P106")]
    # the same cache, the file as it is on disk: its findings are still there
    from qa.pipeline import run

    again = run([str(root)], cfg, discovery=Discovery(found.sources, [], []), cache_dir=cache)
    assert {"F101", "P106"} <= {f.rule for f in again.findings}


def test_rules_show_their_fix_applicability() -> None:
    rules = all_rules()
    assert rules["E201"].applicability == "safe" and rules["B101"].applicability == "unsafe"
    assert rules["P101"].applicability == "none"
    text = clipqa("rules").stdout
    assert "E201  mojibake" in text and " safe " in text.split("E201", 1)[1].split("\n", 1)[0]
    md = clipqa("rules", "--format", "markdown").stdout
    assert "| Code | Name | Check | Severity | Fix |" in md
    assert "| `S109` | unknown-field | schema | error | unsafe |" in md


def test_a_rule_declared_without_applicability_has_none_and_proposals_are_display_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("qa.findings.REGISTRY", dict(REGISTRY))  # the test's rules go with it
    r = rule("X990", "test-default-applicability", "encoding", "info", "A rule of another branch.")
    f = r.finding("a.txt", "m", field="title", span=(0, 1), fix="x")
    assert r.applicability == "none" and f.fix is not None and f.fix.applicability == "display-only"
    assert not f.fix.applies(unsafe=True)
    with pytest.raises(ValueError, match="applicability"):
        rule("X991", "test-bad-applicability", "encoding", "info", "doc", applicability="display-only")
    assert replace_bytes(0, 3, "").to_dict() == {"target": "bytes", "field": None, "start": 0, "end": 3, "content": ""}


# Each rule's applicability, decided one by one (docs/fix.md); a rule not named here has none.
SAFE = {"E102", "E104", "E201", "E203", "E206", "E208", "E209", "E210", "E212", "E213", "E214", "F101", "P106", "S102"}
UNSAFE = {
    *("B101", "B102", "B103", "B104", "B105", "B106", "B107", "B108", "B109", "C101", "E207", "E211", "E215", "E216"),
    *("L101", "L102", "L103", "S108", "S109"),
}


def test_every_rule_has_the_applicability_decided_for_it() -> None:
    rules = all_rules()
    assert {code for code, r in rules.items() if r.applicability == "safe"} == SAFE
    assert {code for code, r in rules.items() if r.applicability == "unsafe"} == UNSAFE
    # what cannot be repaired without knowing what was lost stays a finding
    for code in ("E101", "E103", "E202", "E204", "E205", "P101", "P102", "D101", "F108"):
        assert rules[code].applicability == "none", code


PIECES = [
    "---\n", "title: ", '"a\\tb\\u00e9c"', "'it''s'", "plain words", "|\n  line\n  two\n", ">\n  fold\n  ed\n",
    "\n", "\r\n", "\r", "&a ", "*a", "# c\n", "  - x\n", "related:\n", "x: [1, 2]\n", "é", "👨🚀", "\ufeff",
    "\x07", 'key: "multi\n  line"\n',
]  # fmt: skip


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(PIECES), max_size=14),
    st.lists(
        st.tuples(
            st.sampled_from("tvkb"),
            st.sampled_from(["title", "body", "related[0].title", "x", "key", "related", "x[0]"]),
            st.integers(0, 30),
            st.integers(0, 30),
            st.sampled_from(["", "x", "é", "\n", '"', "'", "a: b", "\\"]),
        ),
        min_size=1,
        max_size=4,
    ),
)
def test_the_planner_declines_what_it_cannot_do_and_never_fails(
    pieces: list[str], edits: list[tuple[str, str, int, int, str]]
) -> None:
    """Any bytes, any edits (of fields that exist or not, in any style, past the end): the
    planner applies or declines each, and never raises."""
    findings = []
    for kind, name, x, y, content in edits:
        start, end = min(x, y), max(x, y)
        if kind == "t":
            edit = replace_text(name, start, end, content)
        elif kind == "v":
            edit = replace_value(name, content)
        elif kind == "k":
            edit = rename_key(name, content)
        else:
            edit = replace_bytes(start, end, content)
        findings.append(finding("E201", edit, name))
    p = plan("".join(pieces).encode("utf-8"), *findings)
    assert len(p.applied) + len(p.declined) + len(p.deferred) == len(findings)
