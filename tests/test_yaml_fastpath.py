"""The yaml-rs fast path gives exactly what the full PyYAML path gives, or steps aside.

The full path (libyaml compose + our constructor) is the reference: PyYAML's values and
our parse issues. A document may take the fast path only if the result is the same value
with no issue; these tests generate documents full of the scalars where YAML 1.1 and 1.2
disagree, in every quoting style, and compare.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from pathlib import Path
from typing import Any

import pytest
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
