"""Reading and parsing: every parse/encoding failure of the foundation, located."""

from __future__ import annotations

import codecs
import os
from pathlib import Path

import pytest
import yaml

from qa.corpus import Source, discover, read_record
from qa.yamlload import parse_yaml
from tests.clipping import clipping


def rules_of(result_findings: list, path: str | None = None) -> list[str]:
    return sorted(f.rule for f in result_findings if path is None or f.path == path)


def one(findings: list, code: str):
    hits = [f for f in findings if f.rule == code]
    assert len(hits) == 1, f"expected one {code}, got {[(f.rule, f.message) for f in findings]}"
    return hits[0]


def read_text(tmp_path: Path, content: str | bytes, name: str = "x.txt"):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return read_record(Source(name, str(path)))


def test_valid_clipping_has_no_findings_and_a_body(tmp_path: Path) -> None:
    rec = read_text(tmp_path, clipping("First line of body.\nSecond.\n"))
    assert rec.findings == []
    assert rec.usable and rec.has_front_matter
    assert rec.body.startswith("First line of body.")
    assert rec.text.splitlines()[rec.body_line - 1] == "First line of body."


def test_yaml_syntax_error_is_located(tmp_path: Path) -> None:
    rec = read_text(tmp_path, "---\ntitle: ok\nexcerpt: [unclosed\nquality: 3\n---\nbody\n")
    f = one(rec.findings, "P101")
    assert f.line is not None and 3 <= f.line <= 5
    assert f.column is not None
    assert not rec.usable


def test_unterminated_quote_names_where_it_started(tmp_path: Path) -> None:
    rec = read_text(tmp_path, '---\ntitle: ok\nexcerpt: "never closed\nquality: 3\n---\n')
    f = one(rec.findings, "P101")
    assert "starts at line 3" in f.message


def test_duplicate_key_reports_both_lines_and_keeps_last(tmp_path: Path) -> None:
    text = clipping().replace("quality: 62\n", "quality: 62\nquality: 70\n")
    rec = read_text(tmp_path, text)
    f = one(rec.findings, "P102")
    lines = text.splitlines()
    assert lines[f.line - 1] == "quality: 70"
    assert f"first at line {lines.index('quality: 62') + 1}" in f.message
    assert rec.data is not None and rec.data["quality"] == 70  # PyYAML's semantics: the last wins


def test_nested_duplicate_key_has_its_field_path(tmp_path: Path) -> None:
    text = clipping().replace(
        "  domain: maritime.example.com\n", "  domain: maritime.example.com\n  domain: x.example.com\n"
    )
    f = one(read_text(tmp_path, text).findings, "P102")
    assert f.field == "provider.domain"


def test_unterminated_front_matter(tmp_path: Path) -> None:
    rec = read_text(tmp_path, "---\ntitle: no end\nexcerpt: x\n")
    assert one(rec.findings, "P103").line == 1
    assert not rec.usable


@pytest.mark.parametrize("content", ["", "   \n\n  \n"])
def test_empty_file(tmp_path: Path, content: str) -> None:
    assert rules_of(read_text(tmp_path, content).findings) == ["P104"]


@pytest.mark.parametrize(
    ("front", "kind"), [("- a\n- b\n", "list"), ("just a string\n", "str"), ("42\n", "int"), ("", "empty")]
)
def test_front_matter_not_a_mapping(tmp_path: Path, front: str, kind: str) -> None:
    rec = read_text(tmp_path, f"---\n{front}---\nbody\n")
    f = one(rec.findings, "P105")
    assert kind in f.message
    assert not rec.usable


def test_body_only_file_is_a_schema_warning_and_keeps_its_body(tmp_path: Path) -> None:
    rec = read_text(tmp_path, "An article with no front matter.\n\nSecond paragraph.\n")
    f = one(rec.findings, "S110")
    assert f.severity == "warning" and f.check == "schema"
    assert rec.body.startswith("An article") and rec.body_line == 1
    assert not rec.has_front_matter


@pytest.mark.parametrize(
    ("value", "shown"),
    [("yes", "'yes'"), ("NO", "'NO'"), ("on", "'on'"), ("Off", "'Off'"), ("1:20", "base-60"), ("0777", "octal")],
)
def test_yaml11_implicit_types(tmp_path: Path, value: str, shown: str) -> None:
    text = clipping().replace("published: true", f"published: {value}")
    f = one(read_text(tmp_path, text).findings, "P106")
    assert shown in f.message
    assert f.field == "published"
    assert text.splitlines()[f.line - 1].startswith("published:")


@pytest.mark.parametrize("value", ["true", "false", "True", "'yes'", '"on"', "20", "1.5"])
def test_yaml12_compatible_scalars_pass(tmp_path: Path, value: str) -> None:
    text = clipping().replace("published: true", f"published: {value}")
    assert "P106" not in rules_of(read_text(tmp_path, text).findings)


def test_non_string_key(tmp_path: Path) -> None:
    rec = read_text(tmp_path, clipping().replace("category: news\n", "category: news\non: 1\n"))
    assert "P111" in rules_of(rec.findings)


def test_invalid_utf8_is_located_and_file_still_checked(tmp_path: Path) -> None:
    raw = clipping().replace("quality: 62", "quality: 'x'").encode()
    raw = raw.replace(b"Europe's", b"Europe\xe9s")
    rec = read_text(tmp_path, raw)
    f = one(rec.findings, "E101")
    assert f.check == "encoding"
    lines = raw.split(b"\n")
    assert b"\xe9" in lines[f.line - 1]
    assert lines[f.line - 1].index(b"\xe9") + 1 == f.column  # all ASCII before it on that line
    assert rec.usable  # decoded with replacement, and parsed
    assert "\ufffd" in rec.data["excerpt"]


def test_many_invalid_sequences_are_counted_not_all_listed(tmp_path: Path) -> None:
    raw = b"---\ntitle: " + b"\xff" * 50 + b"\n---\n"
    hits = [f for f in read_text(tmp_path, raw).findings if f.rule == "E101"]
    assert len(hits) == 5
    assert "45 more" in hits[-1].message


def test_utf8_bom_is_reported_and_tolerated(tmp_path: Path) -> None:
    rec = read_text(tmp_path, codecs.BOM_UTF8 + clipping().encode())
    assert rules_of(rec.findings) == ["E102"]
    assert rec.usable


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32"])
def test_utf16_and_utf32_files(tmp_path: Path, encoding: str) -> None:
    rec = read_text(tmp_path, clipping().encode(encoding))  # Python writes a BOM for these
    f = one(rec.findings, "E103")
    assert encoding.upper() in f.message and "iconv" in f.message
    assert rec.usable  # decoded with the right codec and checked anyway


def test_nul_bytes_make_a_binary_file(tmp_path: Path) -> None:
    rec = read_text(tmp_path, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert rules_of(rec.findings) == ["P121"]


def test_crlf_is_accepted_and_lines_stay_right(tmp_path: Path) -> None:
    text = clipping().replace("quality: 62", "quality: 'x'").replace("\n", "\r\n")
    rec = read_text(tmp_path, text.encode())
    assert "E104" not in rules_of(rec.findings)
    assert rec.usable and rec.data["quality"] == "x"


def test_cr_only_line_endings(tmp_path: Path) -> None:
    rec = read_text(tmp_path, clipping().replace("\n", "\r").encode())
    assert "E104" in rules_of(rec.findings)
    assert rec.usable


def test_file_over_size_limit_is_not_parsed(tmp_path: Path) -> None:
    from qa.corpus import ReadOptions

    path = tmp_path / "big.txt"
    path.write_text(clipping("x" * 5000))
    rec = read_record(Source("big.txt", str(path)), ReadOptions(max_file_bytes=1000))
    assert rules_of(rec.findings) == ["P123"]
    assert rec.data is None


def test_unreadable_entries_and_symlink_loops_are_findings(tmp_path: Path) -> None:
    root = tmp_path / "c"
    (root / "sub").mkdir(parents=True)
    (root / "ok.txt").write_text(clipping())
    os.symlink(root, root / "sub" / "loop")  # a folder link back to the root
    os.symlink(root / "missing.txt", root / "dangling.txt")
    os.symlink("self.txt", root / "self.txt")  # a link to itself
    found = discover([root])
    assert [s.path for s in found.sources] == ["ok.txt"]
    codes = sorted(f.rule for f in found.findings)
    assert codes == ["P120", "P122", "P122"]


def test_links_that_lead_outside_the_paths_given_are_not_followed(tmp_path: Path) -> None:
    """Nothing outside the paths given is read: a link to a file or a folder out of them is a
    finding (P116), whatever it leads to (a file, a folder, the whole file system, a FIFO that
    would block a read); a link that stays inside them, or leads into another path given, is followed."""
    outside = tmp_path / "outside"
    (outside / "inner").mkdir(parents=True)
    (outside / "secret.txt").write_text(clipping())
    (outside / "inner" / "deep.txt").write_text(clipping())
    os.mkfifo(outside / "pipe.txt")
    root = tmp_path / "c"
    (root / "sub").mkdir(parents=True)
    (root / "own.txt").write_text(clipping())
    os.symlink(outside / "secret.txt", root / "secret.txt")
    os.symlink("../../outside/inner", root / "sub" / "inner")  # relative, still out
    os.symlink("/", root / "everything")  # a walk of / would not end in this test's time
    os.symlink(outside / "pipe.txt", root / "pipe.txt")
    os.symlink(outside / "secret.txt", root / "not-selected.json")  # not a clipping's name: no finding
    os.symlink("own.txt", root / "alias.txt")  # inside
    os.symlink("..", root / "sub" / "up")  # inside: the folder loop it is
    other = tmp_path / "other"
    other.mkdir()
    (other / "theirs.txt").write_text(clipping())
    os.symlink(other / "theirs.txt", root / "theirs.txt")  # into another path given
    found = discover([root])
    assert [s.path for s in found.sources] == ["alias.txt", "own.txt"]
    outside_links = sorted((f.path, f.rule) for f in found.findings if f.rule == "P116")
    assert outside_links == [("everything", "P116"), ("pipe.txt", "P116"), ("secret.txt", "P116"),
                             ("sub/inner", "P116"), ("theirs.txt", "P116")]  # fmt: skip
    assert "leads outside the paths given" in next(f.message for f in found.findings if f.path == "secret.txt")
    assert [f.rule for f in found.findings if f.path == "sub/up"] == ["P122"]
    both = discover([root, other])
    via_link = [s for s in both.sources if s.location == str(root / "theirs.txt")]
    assert len(via_link) == 1 and not [f for f in both.findings if f.path.endswith("theirs.txt")]
    # A folder given through a link is its target: the links inside are judged against that.
    link_to_root = tmp_path / "link-to-c"
    os.symlink(root, link_to_root)
    through = discover([link_to_root])
    assert [s.path for s in through.sources] == ["alias.txt", "own.txt"]
    assert len([f for f in through.findings if f.rule == "P116"]) == 5


def test_a_folder_named_like_a_file_and_missing_arguments(tmp_path: Path) -> None:
    (tmp_path / "dir.txt").mkdir()
    found = discover([tmp_path, tmp_path / "nope"])
    assert found.sources == []
    assert found.missing == [str(tmp_path / "nope")]


def test_discovery_globs_recursion_and_relative_posix_paths(tmp_path: Path) -> None:
    for name in ("a.txt", "b.md", "c.json", "deep/er/d.txt", ".git/e.txt"):
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("x")
    found = discover([tmp_path])
    assert [s.path for s in found.sources] == ["a.txt", "b.md", "deep/er/d.txt"]
    only_txt = discover([tmp_path], include=["*.txt"])
    assert [s.path for s in only_txt.sources] == ["a.txt", "deep/er/d.txt"]
    direct = discover([tmp_path / "c.json"])  # a file named directly is read whatever its extension
    assert [s.path for s in direct.sources] == ["c.json"]


def test_discovery_names_every_file_once_when_arguments_share_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two arguments that hold files of the same name: every file is a source (none hides
    another), named by its path as given; the same file reached twice is one source; files
    whose names do not clash keep their usual paths."""
    monkeypatch.chdir(tmp_path)
    for name in ("a/x.txt", "a/only-a.txt", "b/x.txt", "b/sub/y.txt", "y.txt"):
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(name)

    def paths(*args: str) -> list[tuple[str, str]]:
        return [(s.path, Path(s.location).read_text()) for s in discover(list(args)).sources]

    assert paths("a/x.txt", "b/x.txt") == [("a/x.txt", "a/x.txt"), ("b/x.txt", "b/x.txt")]
    assert paths("a", "b") == [
        ("a/x.txt", "a/x.txt"),
        ("b/x.txt", "b/x.txt"),
        ("only-a.txt", "a/only-a.txt"),
        ("sub/y.txt", "b/sub/y.txt"),
    ]
    assert paths("a", "a/x.txt") == [("only-a.txt", "a/only-a.txt"), ("x.txt", "a/x.txt")]  # x.txt once
    assert paths("y.txt", "b/sub") == [("b/sub/y.txt", "b/sub/y.txt"), ("y.txt", "y.txt")]
    # overlapping arguments: each file once, named by the first argument that reaches it
    assert paths(".", "a", "b") == [
        ("a/only-a.txt", "a/only-a.txt"),
        ("a/x.txt", "a/x.txt"),
        ("b/sub/y.txt", "b/sub/y.txt"),
        ("b/x.txt", "b/x.txt"),
        ("y.txt", "y.txt"),
    ]
    assert paths("b", ".") == [
        ("a/only-a.txt", "a/only-a.txt"),
        ("a/x.txt", "a/x.txt"),
        ("sub/y.txt", "b/sub/y.txt"),
        ("x.txt", "b/x.txt"),
        ("y.txt", "y.txt"),
    ]


def test_parse_matches_pyyaml_values_on_seed_like_documents() -> None:
    text = clipping().split("---\n")[1]
    ours = parse_yaml(text)
    assert ours.ok and ours.issues == []
    assert ours.data == yaml.load(text, Loader=yaml.CSafeLoader)


def test_alias_bomb_is_bounded() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 10):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    parsed = parse_yaml("\n".join(lines) + "\n")
    assert not parsed.ok
    assert [i.code for i in parsed.issues] == ["P108"]


def test_deep_nesting_is_refused_without_crashing() -> None:
    parsed = parse_yaml("a: " + "[" * 200_000 + "]" * 200_000 + "\n")
    assert not parsed.ok
    assert parsed.issues[0].code == "P109"


def test_python_tags_are_not_constructed() -> None:
    parsed = parse_yaml("title: !!python/object/apply:os.system ['echo hi']\nx: 1\n")
    assert [i.code for i in parsed.issues] == ["P107"]
    assert parsed.data == {"title": None, "x": 1}


def test_merge_keys_are_flagged() -> None:
    parsed = parse_yaml("base: &b {a: 1}\nchild:\n  <<: *b\n  c: 2\n")
    assert [i.code for i in parsed.issues] == ["P110"]
    assert parsed.data["child"] == {"c": 2}
