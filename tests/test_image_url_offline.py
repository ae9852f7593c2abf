"""image_url, offline rules: URL syntax, sizes, shared placeholders; no network at all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.config import load_config
from qa.findings import Finding
from qa.pipeline import run

GOOD = "https://img.example.com/a/photo.jpg"


def clipping(images: str, title: str = "A title long enough") -> str:
    return f"""---
title: "{title}"
webUrl: "https://example.com/story/{title.lower().replace(" ", "-")}"
images:
{images}
---
Body text.
"""


def image(url: str | None = GOOD, width: object = 640, height: object = 480, extra: str = "") -> str:
    lines = []
    if url is not None:
        lines.append(f"  - url: {json.dumps(url)}")
    else:
        lines.append("  - isCached: true")
    if width is not None:
        lines.append(f"    width: {width}")
    if height is not None:
        lines.append(f"    height: {height}")
    if extra:
        lines.append(extra)
    if url is not None:
        lines.append("    isCached: true")
    return "\n".join(lines)


def check(tmp_path: Path, files: dict[str, str], **options: object) -> list[Finding]:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    cfg = load_config(None)
    cfg.jobs = 1
    cfg.online = False
    cfg.checks.setdefault("image_url", {}).update(options)
    result = run([str(tmp_path)], cfg)
    # image_url's findings, and the schema's about images (other schema findings are not ours)
    return [f for f in result.findings if f.check == "image_url" or "images[" in (f.field or "")]


def rules_of(findings: list[Finding]) -> list[str]:
    return sorted(f.rule for f in findings)


def test_good_image_has_no_finding(tmp_path: Path) -> None:
    found = check(tmp_path, {"a.md": clipping(image())})
    assert [f for f in found if f.check == "image_url"] == []


@pytest.mark.parametrize(
    ("url", "code", "words"),
    [
        ("javascript:alert(1)", "I103", "javascript:"),
        ("data:image/png;base64,iVBORw0KGgo=", "I103", "data:"),
        ("JavaScript:alert(1)", "I103", "javascript:"),
        ("ftp://img.example.com/a.jpg", "I102", "scheme"),
        ("/relative/photo.jpg", "I102", "absolute"),
        ("https://img.exa mple.com/a.jpg", "I102", "white space"),
        ("https://img.example.com/a\u0007.jpg", "I102", "control"),
        ("https://-bad-.example.com/a.jpg", "I102", ""),
        ("https://img.example.com:99999/a.jpg", "I102", "port"),
        ("https:///a.jpg", "I102", "host"),
    ],
)
def test_bad_urls(tmp_path: Path, url: str, code: str, words: str) -> None:
    found = [f for f in check(tmp_path, {"a.md": clipping(image(url))}) if f.check == "image_url"]
    assert rules_of(found) == [code], found
    f = found[0]
    assert f.field == "images[0].url"
    assert f.line == 5  # located in the file from the field path
    assert words.lower() in f.message.lower()


def test_idna_host_is_accepted_and_bad_idna_is_not(tmp_path: Path) -> None:
    ok = check(tmp_path, {"a.md": clipping(image("https://bücher.example/a.jpg"))})
    assert [f for f in ok if f.check == "image_url"] == []
    bad = check(tmp_path, {"a.md": clipping(image("https://xn--zz.example/a.jpg"))})
    assert rules_of([f for f in bad if f.check == "image_url"]) == ["I102"]


def test_missing_and_empty_url(tmp_path: Path) -> None:
    found = check(tmp_path, {"a.md": clipping(image(None)), "b.md": clipping(image(""))})
    img = [f for f in found if f.check == "image_url"]
    assert [(f.path, f.rule) for f in sorted(img, key=lambda f: f.path)] == [("a.md", "I101"), ("b.md", "I101")]


def test_sizes(tmp_path: Path) -> None:
    files = {
        "zero.md": clipping(image(width=0)),
        "neg.md": clipping(image(height=-3)),
        "huge.md": clipping(image(width=20001)),
        "edge.md": clipping(image(width=20000, height=1)),
        "missing.md": clipping(image(height=None)),
        "typed.md": clipping(image(width='"640"')),
    }
    found = check(tmp_path, files, **{"shared-threshold": 0})
    got = sorted((f.path, f.rule, f.field) for f in found)
    assert got == [
        ("huge.md", "I105", "images[0].width"),
        ("missing.md", "I104", "images[0]"),
        ("neg.md", "I105", "images[0].height"),
        # a wrong type is the schema's (S102) and is not repeated by image_url
        ("typed.md", "S102", "images[0].width"),
        ("zero.md", "I105", "images[0].width"),
    ]


def test_is_cached_type_is_reported_once_by_the_schema(tmp_path: Path) -> None:
    text = clipping(image(extra='    isCached: "yes"')).replace("    isCached: true\n", "", 1)
    found = check(tmp_path, {"a.md": text})
    assert rules_of(found) == ["S102"]
    assert found[0].field == "images[0].isCached"


def test_related_item_images_are_checked(tmp_path: Path) -> None:
    text = clipping(image()).replace(
        "---\nBody",
        "related:\n  - title: Other\n    webUrl: https://example.org/x\n    images:\n"
        "      - url: 'javascript:void(0)'\n        width: 10\n        height: 10\n---\nBody",
    )
    found = [f for f in check(tmp_path, {"a.md": text}) if f.check == "image_url"]
    assert [(f.rule, f.field) for f in found] == [("I103", "related[0].images[0].url")]


def test_shared_placeholder_threshold(tmp_path: Path) -> None:
    logo = "https://cdn.example.com/logo.png"
    files = {f"c{i}.md": clipping(image(logo), title=f"Story {i}") for i in range(4)}
    files["other.md"] = clipping(image())
    found = [f for f in check(tmp_path, files, **{"shared-threshold": 4}) if f.check == "image_url"]
    assert len(found) == 1
    f = found[0]
    assert (f.rule, f.path, f.field, f.evidence) == ("I106", "c0.md", "images[0].url", logo)
    assert sorted(f.related) == ["c1.md", "c2.md", "c3.md"]
    assert "4 different stories in 4 clippings" in f.message
    # one clipping using the URL twice counts once; below the threshold: nothing
    assert [f for f in check(tmp_path, files, **{"shared-threshold": 5}) if f.check == "image_url"] == []


def test_one_related_story_listed_by_many_clippings_is_not_a_placeholder(tmp_path: Path) -> None:
    related = (
        "related:\n  - title: The same related story\n    webUrl: https://example.org/shared-story\n    images:\n"
        "      - url: 'https://example.org/shared-story.jpg'\n        width: 10\n        height: 10\n"
    )
    files = {f"c{i}.md": clipping(image(f"https://example.com/own-{i}.jpg"), title=f"Story {i}").replace(
        "---\nBody", related + "---\nBody") for i in range(6)}  # fmt: skip
    found = [f for f in check(tmp_path, files, **{"shared-threshold": 3}) if f.rule == "I106"]
    assert found == []  # six files, one story: its image is not a placeholder
