"""A corpus of hostile and broken files, built on demand (used by test_hostile and fuzz/).

``build(folder)`` writes every case and returns ``{path: expected rule codes}``:
the run must give each file at least one finding whose rule is among the
expected codes.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import socket
from pathlib import Path

GOOD = """\
---
title: "A good clipping"
excerpt: "An excerpt."
publishedDateTime: 2021-12-28T23:15:00Z
webUrl: "https://www.example.com/a"
type: article
quality: 7
heat: -1
published: false
provider:
  name: Example News
  domain: example.com
images:
  - url: "https://www.example.com/a.jpg"
    width: 768
    height: 512
    isCached: true
---

Body text.
"""


def clipping(**overrides: str) -> str:
    """GOOD with some top-level lines replaced (key -> raw YAML value text)."""
    lines = []
    for line in GOOD.splitlines():
        key = line.split(":", 1)[0]
        if key in overrides and not line.startswith(" "):
            lines.append(f"{key}: {overrides.pop(key)}")
        else:
            lines.append(line)
    head, rest = "\n".join(lines).split("\n---\n", 1)
    extra = "".join(f"\n{k}: {v}" for k, v in overrides.items())
    return f"{head}{extra}\n---\n{rest}\n"


def billion_laughs(levels: int = 12, width: int = 10) -> str:
    lines = ['a0: &a0 ["lol"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]")
    return "---\n" + "\n".join(lines) + "\ntitle: boom\n---\n"


def build(folder: Path, *, special_files: bool = True) -> dict[str, set[str]]:
    """Write the hostile corpus into ``folder``; return path -> acceptable rule codes."""
    folder.mkdir(parents=True, exist_ok=True)
    expected: dict[str, set[str]] = {}

    def text(name: str, content: str, codes: set[str]) -> None:
        (folder / name).write_text(content, encoding="utf-8", newline="")
        expected[name] = codes

    def raw(name: str, content: bytes, codes: set[str]) -> None:
        (folder / name).write_bytes(content)
        expected[name] = codes

    text("good.txt", GOOD, set())
    # YAML
    text("billion_laughs.txt", billion_laughs(), {"P108"})
    text("many_aliases.txt", "---\nx: &x a\nl: [" + ", ".join(["*x"] * 5000) + "]\n---\n", {"P108"})
    text("recursive_alias.txt", "---\na: &a [1, *a]\n---\n", {"P112", "P101"})
    text("deep_flow.txt", "---\nx: " + "[" * 10_000 + "]" * 10_000 + "\n---\n", {"P109"})
    # 200k levels: libyaml's recursive composer would overflow the C stack (segfault).
    text("deep_flow_200k.txt", "---\nx: " + "[" * 200_000 + "\n---\n", {"P109", "P101"})
    text("deep_flow_200k_braces.txt", "---\nx: " + "{a: " * 150_000 + "\n---\n", {"P109", "P101"})
    deep_block = "".join(f"{'  ' * i}k:\n" for i in range(300))
    text("deep_block.txt", "---\n" + deep_block + "---\n", {"P109"})
    deep_seq = "".join(f"{'  ' * i}- \n" for i in range(300))
    text("deep_block_seq.txt", "---\nx:\n" + deep_seq + "---\n", {"P109"})
    marker = folder.parent / f"{folder.name}-pwned"
    text(
        "python_object.txt",
        clipping(title=f'!!python/object/apply:os.system ["touch {marker}"]'),
        {"P107"},
    )
    text("python_name.txt", clipping(excerpt="!!python/name:os.system ''"), {"P107"})
    text("custom_tag.txt", clipping(type="!vendor/thing article"), {"P107"})
    text(
        "merge_key.txt",
        "---\nbase: &base {name: X, domain: x.com}\nprovider:\n  <<: *base\n  name: Y\n---\n",
        {"P110"},
    )
    text("syntax_error.txt", "---\ntitle: [unclosed\n---\n", {"P101"})
    text("unterminated.txt", "---\ntitle: x\n", {"P103"})
    text("two_documents.txt", "---\ntitle: a\n...\n---\n", {"P101", "P103", "S101"})
    text("not_mapping.txt", "---\n- a\n- b\n---\n", {"P105"})
    text("control_chars.txt", clipping(title='"\\x07bell \\u0000 nul"'), set())  # legal YAML
    # Sizes
    raw("huge.txt", b"---\ntitle: " + b"x" * (2 << 20) + b"\n---\n", {"P123"})
    text("long_field.txt", clipping(title='"' + "y" * 300_000 + '"'), {"P124"})
    # An explicit key ('? '): implicit keys are capped at 1024 characters by YAML itself.
    text("long_key.txt", GOOD.replace("type: article", "? " + "k" * 300_000 + "\n: 1"), {"P124"})
    # Encodings
    utf8 = clipping()
    raw("utf16le.txt", codecs.BOM_UTF16_LE + utf8.encode("utf-16-le"), {"E103"})
    raw("utf16be.txt", codecs.BOM_UTF16_BE + utf8.encode("utf-16-be"), {"E103"})
    raw("utf32le.txt", codecs.BOM_UTF32_LE + utf8.encode("utf-32-le"), {"E103"})
    raw("utf32be.txt", codecs.BOM_UTF32_BE + utf8.encode("utf-32-be"), {"E103"})
    raw("nul_bytes.txt", utf8.encode()[:40] + b"\x00\x00" + utf8.encode()[40:], {"P121"})
    raw("binary.txt", bytes(range(256)) * 8, {"P121"})
    raw("cr_only.txt", utf8.replace("\n", "\r").encode(), {"E104"})
    raw("invalid_utf8.txt", utf8.encode().replace(b"good", b"g\xff\xfed"), {"E101"})
    raw("lone_surrogate.txt", clipping(title='"\\ud800 lone"').encode(), {"S109", "P101", "S105", "E101"})
    # Values
    text("big_int.txt", clipping(quality="123456789012345678901234567890"), {"S102"})
    text("huge_int.txt", clipping(heat="9" * 5000), {"S102"})
    text("big_int_image.txt", clipping().replace("width: 768", "width: 99999999999999999999"), {"S102"})
    text("inf.txt", clipping(quality=".inf"), {"S102", "S113"})
    text("nan.txt", clipping(heat=".nan"), {"S102", "S113"})
    text("neg_inf_image.txt", clipping().replace("height: 512", "height: -.inf"), {"S102", "S113"})
    text("feb30.txt", clipping(publishedDateTime="2021-02-30T10:00:00Z"), {"S102"})
    text("hour25.txt", clipping(publishedDateTime="2021-12-28 25:61:00Z"), {"S102"})
    text("month13.txt", clipping(publishedDateTime="2021-13-01"), {"S102"})
    # A webUrl that does not parse, and no provider to fall back on (the boilerplate check's
    # provider key once raised urllib's ValueError there: P900)
    no_provider = "".join(
        line + "\n" for line in GOOD.splitlines() if not line.startswith(("provider:", "  name:", "  domain:"))
    )
    for name, url in (
        ("unclosed_ipv6", "http://[::1"),
        ("bad_ipv6", "http://[not-an-address]/a"),
        ("port", "http://example.com:99999/a"),
    ):
        text(f"url_{name}.txt", no_provider.replace('https://www.example.com/a"', url + '"', 1), {"S107", "S101"})
    # Empty and odd files
    text("empty.txt", "", {"P104"})
    text("blank.txt", " \n\n\t\n", {"P104"})
    text("only_fences.txt", "---\n---\n", {"P105"})
    if special_files:
        _special(folder, expected)
    return expected


def _special(folder: Path, expected: dict[str, set[str]]) -> None:
    """Files that are not regular files: links, a FIFO, a socket, a device."""
    os.symlink("nowhere.txt", folder / "dangling.txt")
    expected["dangling.txt"] = {"P120"}
    os.symlink("loop_b.txt", folder / "loop_a.txt")
    os.symlink("loop_a.txt", folder / "loop_b.txt")
    expected["loop_a.txt"] = {"P122", "P120"}
    expected["loop_b.txt"] = {"P122", "P120"}
    sub = folder / "sub"
    sub.mkdir()
    os.symlink("..", sub / "up")  # a folder link back up: a loop when followed
    expected["sub/up"] = {"P122"}
    os.mkfifo(folder / "fifo.txt")  # opening it for reading would block forever
    expected["fifo.txt"] = {"P120"}
    os.symlink("/dev/zero", folder / "zero.txt")  # endless
    expected["zero.txt"] = {"P116"}  # out of the corpus: not followed
    with contextlib.closing(socket.socket(socket.AF_UNIX)) as s:
        s.bind(str(folder / "socket.txt"))
    expected["socket.txt"] = {"P120"}
