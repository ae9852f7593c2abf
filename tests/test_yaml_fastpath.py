"""The yaml-rs fast path gives exactly what the full PyYAML path gives, or steps aside.

The full path (libyaml compose + our constructor) is the reference: PyYAML's values and
our parse issues. A document may take the fast path only if the result is the same value
with no issue; these tests generate documents full of the scalars where YAML 1.1 and 1.2
disagree, in every quoting style, and compare.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pytest
import regex
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa import yamlload
from qa.corpus import ReadOptions, Source, read_record
from qa.yamlload import Limits, _fast_parse, _parse, parse_yaml, top_key_lines, top_key_mark

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "corpus"

# Scalars where YAML 1.1 (PyYAML) and YAML 1.2 (yaml-rs) may part ways, and ordinary ones.
TRICKY = [
    "yes", "No", "ON", "off", "y", "n", "true", "False", "TRUE", "tRue",
    "0777", "-0777", "0o17", "0x1F", "-0x1F", "+0x1f", "0b101", "1_000", "1_000.5", "+12", "-0", "0", "007",
    "1e3", "1E3", "1.0e3", "1.0e+3", "1.5e-3", ".5", "1.", "-.5", "3.14", "6.02e+23", ".inf", "-.Inf", ".NaN",
    "12:30", "1:20:30", "190:20:30.15", "12345678901234567890123",
    "2021-12-28", "2021-1-5", "2021-12-28T23:15:00Z", "2021-12-28 23:15:00", "2021-12-28t23:15:00.123456789+05:30",
    "2021-12-28T23:15:00.5-07", "2021-12-28T23:15Z", "2021-02-30", "2021-12-28T25:61:00Z", "20211228",
    "_1", "-_1", "_1.5", "._5", "1_e3", "1e_3", "1_000", "1.5_", "0b101", "+.5", "-.inf", ".nan", "+.nan",
    "~", "null", "Null", "NULL", "", "=", "<<",
    "hello", "two words", "héllo 摆脱", "Wow!", "AT&T", "R&D * 2", "a - b", "C#", "50%", "x: y", "- z", "[a]",
    "it's", 'say "hi"', "back\\slash", "tab\there", "line\nbreak", " lead", "trail ", "#hash", "a #b",
]  # fmt: skip
# What front matter mostly holds: the fast path must take documents made of these.
BENIGN = [
    "news", "Digital Journal", "AI in Autos", "https://x.com/a?b=1&c=2", "768", "-1", "44", "3.14", "true", "false",
    "null", "2021-12-28T23:15:00Z", "2021-12-29T00:19:00+05:30", "2021-12-28", "It’s a title – with dashes",
    "中文标题", "émoji 👍🏽", "a, b", "ok.",
]  # fmt: skip
KEYS = ["title", "on", "yes", "1", "0777", "12:30", "null", "x y", "héllo", "<<", "2021-12-28", "true", "a"] + [
    "title",
    "excerpt",
    "provider",
    "webUrl",
    "images",
    "related",
    "width",
    "name",
] * 3


def _double(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t") + '"'


def _single(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def scalar(text: str, style: int) -> str:
    if style == 0 and text and "\n" not in text and "\t" not in text:
        return text  # plain (may be invalid YAML: then both paths must say so)
    return _single(text) if style == 1 and "\n" not in text else _double(text)


scalars = st.builds(scalar, st.sampled_from(TRICKY + BENIGN * 6), st.integers(0, 2))
keys = st.builds(scalar, st.sampled_from(KEYS), st.integers(0, 2))


@st.composite
def documents(draw: st.DrawFn) -> str:
    lines: list[str] = []
    for key in draw(st.lists(keys, min_size=1, max_size=6)):
        kind = draw(st.integers(0, 6))
        if kind <= 1:
            lines.append(f"{key}: {draw(scalars)}")
        elif kind == 2:
            lines.append(f"{key}:")
            lines.extend(f"  - {v}" for v in draw(st.lists(scalars, min_size=1, max_size=3)))
        elif kind == 3:
            lines.append(f"{key}:")
            for k in draw(st.lists(keys, min_size=1, max_size=3)):
                lines.append(f"  {k}: {draw(scalars)}")
        elif kind == 4:
            items = ", ".join(draw(st.lists(scalars, max_size=3)))
            lines.append(f"{key}: [{items}]")
        elif kind == 5:
            pairs = ", ".join(f"{k}: {v}" for k, v in draw(st.lists(st.tuples(keys, scalars), max_size=3)))
            lines.append(f"{key}: {{{pairs}}}")
        else:  # a block scalar, or a plain scalar folded over two lines
            header = draw(st.sampled_from(["|", ">", "|-", ">-", "|+", ""]))
            first, second = draw(st.sampled_from(TRICKY + BENIGN)), draw(st.sampled_from(TRICKY + BENIGN))
            if "\n" in first + second or "\t" in first + second:
                continue
            lines.append(f"{key}: {header}")
            lines.extend([f"  {first}", f"  {second}"])
    return "\n".join(lines) + "\n"


def _norm(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, dict):
        return [("dict", k, _norm(v)) for k, v in value.items()]  # in order: reports follow it
    if isinstance(value, list):
        return [_norm(v) for v in value]
    if isinstance(value, dt.datetime):
        return ("datetime", value.isoformat())
    return (type(value).__name__, value)


def assert_same_or_declined(text: str) -> bool:
    """True if the fast path took the document (and gave the reference answer)."""
    quick = _fast_parse(text, Limits())
    if quick is None:
        return False
    ref = _parse(text, Limits())
    assert ref.ok, f"fast path accepted a document the full path rejects: {text!r} -> {ref.issues}"
    assert not ref.issues, f"fast path hid issues {ref.issues} in {text!r}"
    assert _norm(quick.data) == _norm(ref.data), text
    if isinstance(quick.data, dict):
        # Lines of top-level keys without composing: equal to the composed marks, or None.
        lines = top_key_lines(text, list(quick.data))
        if lines is not None:
            assert lines == {k: top_key_mark(ref.node, k)[0] for k in quick.data}, text  # type: ignore[index]
    return True


@settings(
    max_examples=int(os.environ.get("FASTPATH_EXAMPLES", "600")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(documents())
def test_fast_path_equals_full_path_or_steps_aside(text: str) -> None:
    assert_same_or_declined(text)


@pytest.mark.parametrize("text", [f"k: {t}\n" for t in TRICKY if t and "\n" not in t and "\t" not in t])
def test_each_tricky_plain_scalar(text: str) -> None:
    assert_same_or_declined(text)


@pytest.mark.parametrize(
    "text",
    [
        "a: 0777\n",  # octal to PyYAML, decimal to YAML 1.2
        "a: 0o17\n",  # a number only to YAML 1.2
        "a: 1e3\n",  # a string to PyYAML, a float to YAML 1.2
        "a: yes\n",  # a boolean only to PyYAML
        "a: 1\na: 2\n",  # duplicate key: our P102
        "a: &x [1]\nb: *x\n",  # alias: our limits
        "a: !!python/object:os.system x\n",  # tag: our P107
        "<<: {a: 1}\n",  # merge key: our P110
        "a: [1, 2\n",  # syntax error: our P101 with its mark
        "1: x\n",  # non-string key: our P111
        "a: " + "[" * 70 + "]" * 70 + "\n",  # nesting: our P109
        "a: b\n---\nc: d\n",  # two documents: our P101
        'a: 2021-12-28T23:15:00Z\nb: "2021-12-28T23:15:00Z"\n',  # a date, then a string that looks alike
        "a: 2021-12-28\nb: ['2021-12-28']\n",
        "a:\n" + " " * 1000 + "b\n",  # an indent that deep: _depth_guard's to judge, on the full path
        " " * 1000 + "b\n",
    ],
)
def test_documents_that_must_take_the_full_path(text: str) -> None:
    assert _fast_parse(text, Limits()) is None
    assert parse_yaml(text).fast is False


def test_long_values_take_the_full_path_to_be_cut_and_reported() -> None:
    text = "a: " + "x" * 200 + "\n"
    assert _fast_parse(text, Limits(max_scalar_chars=100)) is None
    parsed = parse_yaml(text, Limits(max_scalar_chars=100))
    assert [i.code for i in parsed.issues] == ["P124"]


def _front_matters(root: Path) -> list[str]:
    out = []
    for path in sorted(root.rglob("*.txt")):
        text = path.read_text(encoding="utf-8", errors="replace")
        if text.startswith("---\n") and "\n---" in text[3:]:
            out.append(text[4 : text.index("\n---", 3) + 1])
    return out


def test_seed_and_example_front_matter_take_the_fast_path_with_equal_values() -> None:
    texts = _front_matters(SEEDS) + _front_matters(EXAMPLES)
    assert len(texts) >= 5
    taken = [assert_same_or_declined(t) for t in texts]
    # The seeds' front matter is plain YAML: it must not all fall back (that would make
    # the fast path dead code and this file's other tests vacuous).
    assert sum(taken) >= len(texts) // 2, taken


def test_record_composes_marks_only_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("---\ntitle: Hello\nprovider:\n  name: X\n  domain: x.com\n---\nBody.\n", encoding="utf-8")
    rec = read_record(Source("a.txt", str(path)), ReadOptions())
    assert rec.data == {"title": "Hello", "provider": {"name": "X", "domain": "x.com"}}
    assert rec.composed is None and rec.yaml_text is not None  # fast path: nothing composed yet
    assert rec.position("provider.domain") == (5, 3)
    assert isinstance(rec.composed, yaml.MappingNode) and rec.yaml_text is None


def test_without_yaml_rs_every_document_takes_the_full_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamlload, "FAST_PARSER", False)
    parsed = parse_yaml("title: Hello\n")
    assert parsed.fast is False and parsed.node is not None and parsed.data == {"title": "Hello"}


def test_ordinary_documents_mostly_take_the_fast_path_with_equal_values() -> None:
    """Front matter made of ordinary values, plain or quoted: equal values, and most of it
    on the fast path (the property test above mostly exercises the declines)."""
    import random

    rnd = random.Random(7)
    names = ["title", "excerpt", "provider", "webUrl", "width", "name", "type", "quality", "heat", "published"]
    taken = 0
    for _ in range(400):
        lines = []
        for key in rnd.sample(names, rnd.randint(1, len(names))):
            value = scalar(rnd.choice(BENIGN), rnd.choice([0, 0, 1, 2]))
            if rnd.random() < 0.3:
                lines.append(f"{key}:\n  - {value}\n  - {scalar(rnd.choice(BENIGN), 0)}")
            else:
                lines.append(f"{key}: {value}")
        taken += assert_same_or_declined("\n".join(lines) + "\n")
    assert taken >= 100, taken


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("# note\ntitle: a\n\nprovider:\n  name: b\n", {"title": 1, "provider": 3}),
        ('"title": a\nexcerpt: |\n  x\n  y\nz: 1\n', {"title": 0, "excerpt": 1, "z": 4}),
        ("title: a\ntopics:\n- x\n- y\n", None),  # a compact sequence at column 0: compose instead
        ("{title: a, z: 1}\n", None),  # a flow mapping: compose instead
    ],
)
def test_top_key_lines(text: str, expected: dict[str, int] | None) -> None:
    data = _fast_parse(text, Limits())
    assert data is not None and isinstance(data.data, dict)
    assert top_key_lines(text, list(data.data)) == expected


def test_integers_too_long_to_print_take_the_full_path() -> None:
    text = "heat: " + "9" * 5000 + "\n"
    assert _fast_parse(text, Limits()) is None
    assert parse_yaml(text).data == {"heat": "9" * 5000}  # kept as text, as ever; the schema reports it


@pytest.mark.parametrize(
    "text",
    [
        # yaml-rs drops underscores in numbers: 1 and 1000.0 to it, strings to PyYAML. The
        # reader once let a number through when its Python spelling stood anywhere in the
        # text (the a: line), so these were read wrong.
        "a: _1\nb: 1\n",
        "a: -1\nb: -_1\n",
        "a: [_5, 5]\n",
        "a: 1.5\nb: _1.5\n",
        "a: 0.09\nb: ._09\n",
        "a: 1000.0\nb: 1_e3\n",
        "a: 1000.0\nb: 1e_3\n",
        "a: 1000.0\nb: 1e+_3\n",
        # a colon YAML 1.2 reads in a flow collection and libyaml refuses: our P101
        "a: [x, y:]\n",
        "a: [:e]\n",
        "a: {x: :e}\n",
        "a: {x:e:}\n",
        "a: [a::]\n",
        "a: {x:?}\n",  # libyaml: ':' then one of , ? [ ] { } in flow style is an error
        # complex keys (?) in flow style: a string to yaml-rs, a mapping or an error to libyaml
        "a: [?a]\n",
        "a: {?a: 1}\n",
        '{"a":?}\n',
        # | and > in flow style: plain text to yaml-rs, an error to libyaml
        "a: [|]\n",
        "a: {x: >}\n",
        # a flow collection over lines with a key at column 0: yaml-rs joins, libyaml refuses
        "a: {a\na: 1}\n",
        "a: [x,\n1: 1]\n",
        '{"a":&}\n',  # an empty anchor after a JSON-like key: None to yaml-rs, an error to libyaml
        # an empty block scalar: '\n' to yaml-rs, '' to PyYAML
        "a: |\n",
        "- >\n",
        "a:\n  - |\n\nb: 1\n",
        "|\na\n",  # a block scalar at column 0: text to yaml-rs, an error to libyaml
        "\n  >\n- x\n",  # ... after blank lines and an indent: a scalar root always declines
        "just text\n",
    ],
)
def test_spellings_yaml_rs_reads_otherwise_take_the_full_path(text: str) -> None:
    assert _fast_parse(text, Limits()) is None
    assert_same_or_declined(text)


# Pieces of plain scalars where YAML 1.1 and 1.2 part ways (numbers, underscores, signs,
# exponents, bases, colons), and the places a scalar can stand, in block and flow style.
_PIECES = [
    "0",
    "1",
    "7",
    "9",
    "_",
    ".",
    "-",
    "+",
    "e",
    "E",
    "o",
    "x",
    "b",
    ":",
    ".inf",
    ".nan",
    ".NaN",
    "inf",
    "a",
    " ",
]
_PLACES = [
    "a: {}\n", "a: [{}]\n", "a: [x,{}]\n", "a: {{x: {}}}\n", "a: {{x:{}}}\n", '"a":{}\n', "'a':{}\n",
    '{{"a":{}}}\n', "- {}\n", "- - {}\n", "? {}\n", "{}\n", "a: {} # c\n", "a:\n  {}\n", "a: x\n  {}\n",
    "a: [\n {}]\n", "{}: 1\n", "a: {{{}: 1}}\n",
]  # fmt: skip


def _every_token_in_every_place(pieces: Sequence[str], sizes: Iterable[int]) -> int:
    """Each token of ``sizes`` pieces (without outer white space) in each of ``_PLACES``, read
    alike on both paths or declined (asserted); how many took the fast path."""
    taken = 0
    for size in sizes:
        for parts in itertools.product(pieces, repeat=size):
            token = "".join(parts)
            if token != token.strip():
                continue
            for place in _PLACES:
                taken += assert_same_or_declined(place.format(token))
    return taken


def test_every_short_spelling_in_every_place_reads_as_on_the_full_path() -> None:
    """Exhaustive over spellings of up to three pieces: no number is let through on the
    strength of a text search, so every spelling the screen misses must read the same."""
    taken = _every_token_in_every_place(_PIECES, (1, 2, 3))
    assert taken > 50_000, taken  # most of them do take the fast path


# Structure: indicators, quotes, brackets, comments, line breaks.
_STRUCTURE = ["a", "1", " ", "#", "?", "-", "'", '"', "[", "]", "{", "}", ",", ":", "|", ">", "!", "&", "*", "%", "@"]
_STRUCTURE += ["`", "\\", "~", "\n"]


def test_every_short_structure_in_every_place_reads_as_on_the_full_path() -> None:
    """Exhaustive over two pieces of structure (three offline: 248k documents, none
    differs): what yaml-rs reads and libyaml refuses, or reads otherwise, is declined."""
    taken = _every_token_in_every_place(_STRUCTURE, (1, 2))
    assert taken > 1_000, taken


_OLD_NODE_START = r"""(?:^|[\s\[{,]|["']:)"""
_OLD_SCREENS = (  # the screen before it was rewritten for speed (regex module, look-behinds)
    regex.compile(r"[&*!](?<=(?:^|[\s\[\]{},])[&*!])", regex.MULTILINE),
    regex.compile(r"0(?<=" + _OLD_NODE_START + r"[-+]?0)[0-9A-Za-z_]", regex.MULTILINE),
    regex.compile(r"\.(?<=" + _OLD_NODE_START + r"[-+]?\.)[0-9]", regex.MULTILINE),
)
_OLD_EXPONENT = regex.compile(
    r"[eE](?<=" + _OLD_NODE_START + r"[-+]?(?:[0-9][0-9_]*\.?[0-9_]*|\.[0-9_]+)[eE])[-+]?[0-9]", regex.MULTILINE
)


def _old_screen(text: str) -> bool:
    if "\t" in text or "<<" in text or "\n%" in text or "\n---" in text or "\n..." in text:
        return True
    if text.startswith(("%", "---", "...")):
        return True
    return any(s.search(text) is not None for s in _OLD_SCREENS) or _OLD_EXPONENT.search(text) is not None


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet=list(" \n\t-+0123.eE_:[]{},'\"&*!ox#a<%\u00a0\u2028\x1c"), max_size=24))
def test_the_screen_flags_all_the_old_screen_flagged(text: str) -> None:
    """The rewrite (re with one literal first, fixed-width look-behinds) flags at least what
    the old patterns flagged, wherever a number with an exponent stands (the old screen also
    flagged texts with an exponent-like 1e but no digit after it: strings to both readers)."""
    if _old_screen(text):
        assert yamlload._needs_full_path(text), text


def test_re_white_space_covers_the_regex_module_s() -> None:
    """The screen's look-behinds moved from the regex module to re: re's \\s must match
    every character the regex module's did, or a number after such a space would slip by."""
    old, new = regex.compile(r"\s"), re.compile(r"\s")
    assert all(new.match(c) for c in map(chr, range(0x110000)) if old.match(c))


_TS_PARTS = st.tuples(
    st.integers(0, 9999), st.integers(0, 99), st.integers(0, 99), st.integers(0, 99), st.integers(0, 99),
    st.integers(0, 99), st.one_of(st.none(), st.text(alphabet="0123456789", min_size=1, max_size=6)),
    st.one_of(st.just("Z"), st.tuples(st.sampled_from("+-"), st.integers(0, 99), st.integers(0, 99))),
)  # fmt: skip


@settings(max_examples=3000, deadline=None)
@given(_TS_PARTS)
def test_iso_timestamps_read_as_pyyaml_reads_them(parts: Any) -> None:
    """The usual timestamp spelling is built by datetime.fromisoformat: PyYAML's resolver
    calls it a timestamp, and whatever fromisoformat builds PyYAML's constructor builds too
    (fromisoformat refusing is fine: PyYAML's constructor then decides)."""
    year, month, day, hour, minute, second, fraction, zone = parts
    text = f"{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}"
    text += f".{fraction}" if fraction else ""
    text += zone if zone == "Z" else f"{zone[0]}{zone[1]:02}:{zone[2]:02}"
    assert yamlload._ISO_TIMESTAMP.match(text)
    assert yamlload._plain_tag(text) == yamlload.TIMESTAMP
    try:
        fast = dt.datetime.fromisoformat(text)
    except ValueError:
        return
    ref = yaml.constructor.SafeConstructor().construct_yaml_timestamp(yaml.ScalarNode(yamlload.TIMESTAMP, text))
    assert type(fast) is type(ref) and fast == ref and fast.isoformat() == ref.isoformat()
    assert fast.utcoffset() == ref.utcoffset()
    doc = f"a: {text}\n"
    assert_same_or_declined(doc)


def test_iso_timestamp_spelling_is_strict() -> None:
    for text in [
        "2021-12-28t23:15:00Z",
        "2021-12-28 23:15:00Z",
        "2021-12-28T23:15Z",
        "2021-12-28T23:15:00",
        "2021-12-28T23:15:00.1234567Z",
        "2021-12-28T23:15:00+05",
        "2021-12-28T23:15:00Z\n",
        "\u0968\u0966\u0968\u0967-12-28T23:15:00Z",  # Devanagari digits
    ]:
        assert yamlload._ISO_TIMESTAMP.match(text) is None, text


def test_deep_indent_screen_equals_the_line_anchored_pattern() -> None:
    old = re.compile(r"^[ \t\-?:]{1000,}", re.MULTILINE)
    deep = " " * 500 + "- " * 250
    for text in [deep, "a:\n" + deep, "a: " + deep, "a:\n" + deep[:-3], deep[:999], "x" + deep, "a:\n\n" + deep + "x"]:
        new = yamlload._DEEP_INDENT.match(text) is not None or yamlload._DEEP_INDENT_LINE.search(text) is not None
        assert new == (old.search(text) is not None), text[:10]


_FUZZ_PIECES = [*"a1 #?-'\"[]{},:|>!&*%@`\\~\n0._eE+x", "  ", "\n  ", ": ", "- ", "\n- ", "2021-12-28", "12:30", "yes"]


@settings(max_examples=int(os.environ.get("FASTPATH_EXAMPLES", "600")) * 5, deadline=None)
@given(
    st.sampled_from(["", "a: ", "- ", "a:\n  ", "a: [", "a: {", "a:\n- ", "k: v\na: "]),
    st.lists(st.sampled_from(_FUZZ_PIECES), min_size=1, max_size=14).map("".join),
)
def test_random_structure_reads_as_on_the_full_path(head: str, rest: str) -> None:
    """Random texts of structure, numbers and words (offline: 1.2M of them, none differs)."""
    assert_same_or_declined(head + rest + "\n")
