"""Deterministic generator of clipping corpora in the seed format, for benchmarks and tests.

``generate(directory, n, seed)`` writes ``n`` files and returns a ``Manifest`` saying
which files were glitched and how. The same ``(n, seed)`` always gives byte-identical
files. The mix follows the seeds in /work/shared/seeds: about three quarters of the
files have YAML front matter (a clipping with provider, topics, images and related
items, sometimes a body), the rest are body-only text of a few kilobytes. Clippings
come in "stories" (a handful of clippings on one subject that list each other as
related items, as the seeds do), so the related items agree with the clippings they
point to unless a glitch says otherwise.

About ``glitch_rate`` (2 %) of the records carry one glitch, cycling through every
kind in ``GLITCHES`` so that each check of clipqa has work to do.

CLI::

    python -m bench.generate OUT_DIR -n 10000 --seed 1 [--glitch-rate 0.02]
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import json
import os
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

GLITCHES: tuple[str, ...] = (
    "schema-type",  # quality: "high", published: "false", width: "640"
    "missing-field",  # required field removed
    "yaml-syntax",  # unterminated quote in front matter
    "duplicate-key",  # the same key twice
    "mojibake",  # UTF-8 read as cp1252: â€™
    "stripped-zwj",  # emoji ZWJ sequences with the joiner removed
    "foreign-script",  # body in a script other than the corpus language
    "boilerplate",  # cookie / newsletter / paywall text in the body
    "bad-image-url",  # not a URL, wrong scheme, zero size
    "published-heat",  # published: true with heat -1, or false with a high heat
    "duplicate",  # an exact copy of another clipping under another name
    "near-duplicate",  # the same story re-posted with small edits
    "related-disagrees",  # a related item whose date/title differ from the clipping it points to
    "invalid-utf8",  # raw bytes that are not UTF-8
)

_WORD_TEXT = (
    "china tech chips market port cranes energy grid battery solar wind policy trade export control "
    "semiconductor supply chain factory robot automation data privacy cloud model research lab "
    "university startup funding investor bank rate inflation city council election vote budget "
    "health hospital vaccine climate flood drought harvest river rail airport airline ship freight "
    "telecom network satellite launch orbit mission museum festival film music league final coach"
)
WORDS = tuple(_WORD_TEXT.split())
PROVIDERS = (
    ("Digital Journal", "digitaljournal.com"),
    ("12WBOY", "wboy.com"),
    ("New York Post", "nypost.com"),
    ("The Spokesman-Review", "spokesman.com"),
    ("Maritime Daily", "maritime.example.com"),
    ("Port News", "portnews.example.org"),
    ("Tech Wire", "techwire.example.net"),
    ("Le Monde Diplo", "diplo.example.fr"),
    ("Morning Ledger", "ledger.example.com"),
    ("Harbour Times", "harbourtimes.example.co.uk"),
)
TOPICS = ("AI", "AI in Autos", "Shipping", "Automation", "Energy", "Trade", "Health", "Climate", "Finance", "Space")
TYPES = ("article", "article", "article", "video", "slideshow")
CATEGORIES = ("news", "news", "news", "technology", "finance", "science")
BOILERPLATE = (
    "Subscribe to our newsletter to get the latest news delivered to your inbox. "
    "We use cookies to improve your experience on our site. By continuing to browse you accept our cookie policy. "
    "Already a subscriber? Log in to continue reading. All rights reserved."
)
FOREIGN = (
    "Экономика страны продолжает расти, несмотря на санкции и высокую инфляцию в этом году. ",
    "中国科技企业正在加快自主创新步伐，努力摆脱对外部技术的依赖，实现产业链的安全可控。",
    "الاقتصاد العالمي يواجه تحديات كبيرة بسبب ارتفاع أسعار الطاقة وتباطؤ النمو في عدة دول. ",
)
ZWJ_EMOJI = ("👨\u200d🎓", "👩\u200d💻", "👨\u200d👩\u200d👧", "🏳\ufe0f\u200d🌈")
EPOCH = dt.datetime(2021, 12, 1, tzinfo=dt.UTC)


@dataclass(slots=True)
class Manifest:
    """What was generated: file count, and the glitch of every glitched file."""

    n: int
    seed: int
    glitch_rate: float
    glitched: dict[str, str] = field(default_factory=dict)  # file name -> glitch kind
    duplicates: dict[str, str] = field(default_factory=dict)  # copy -> original
    body_only: int = 0
    bytes: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "seed": self.seed,
            "glitch_rate": self.glitch_rate,
            "body_only": self.body_only,
            "bytes": self.bytes,
            "glitched": self.glitched,
            "duplicates": self.duplicates,
        }


def q(value: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML double-quoted scalars)."""
    return json.dumps(value, ensure_ascii=False)


def _ts(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(slots=True)
class Item:
    """One clipping's generated facts (shared with the items that list it as related)."""

    index: int
    title: str
    excerpt: str
    published_at: dt.datetime
    url: str
    provider: tuple[str, str]
    quality: int
    image: tuple[str, int, int] | None


def _sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[:1].upper() + text[1:] + "."


def _paragraphs(rng: random.Random, chars: int) -> str:
    out: list[str] = []
    size = 0
    while size < chars:
        para = " ".join(_sentence(rng, rng.randint(8, 22)) for _ in range(rng.randint(3, 6)))
        out.append(para)
        size += len(para) + 2
    return "\n\n".join(out) + "\n"


def _item(seed: int, index: int) -> Item:
    rng = random.Random(f"item:{seed}:{index}")
    provider = PROVIDERS[rng.randrange(len(PROVIDERS))]
    title_words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 12)))
    title = f"{title_words[:1].upper()}{title_words[1:]} ({index})"
    slug = "-".join(title_words.split()[:8])
    image = None
    if rng.random() < 0.7:
        w = rng.choice((480, 640, 768, 1024, 1280))
        image = (f"https://www.{provider[1]}/wp-content/uploads/{index % 97}/{slug[:20]}-{index}.jpg", w, w * 2 // 3)
    return Item(
        index=index,
        title=title,
        excerpt=_sentence(rng, rng.randint(20, 40)),
        published_at=EPOCH + dt.timedelta(minutes=rng.randrange(60 * 24 * 400)),
        url=f"https://www.{provider[1]}/{2021 + index % 4}/{slug}-{index}/",
        provider=provider,
        quality=rng.randint(0, 100),
        image=image,
    )


def _story(index: int) -> range:
    """Clippings are grouped in stories of 5 consecutive indices."""
    start = index - index % 5
    return range(start, start + 5)


def _image_lines(indent: str, url: str, w: Any, h: Any, cached: bool = True) -> list[str]:
    return [
        f"{indent}- url: {q(url) if isinstance(url, str) else url}",
        f"{indent}  width: {w}",
        f"{indent}  height: {h}",
        f"{indent}  isCached: {'true' if cached else 'false'}",
    ]


def _clipping(seed: int, index: int, n: int, glitch: str | None) -> tuple[str, str]:
    """Front matter + body text of clipping ``index``; returns (text, body)."""
    rng = random.Random(f"clip:{seed}:{index}")
    it = _item(seed, index)
    title, excerpt = it.title, it.excerpt
    published = rng.random() < 0.6
    heat = rng.randint(0, 900) if published else -1
    quality: Any = it.quality
    pub_text = "true" if published else "false"
    if glitch == "mojibake":
        title = title.replace(" ", "’ ", 1).encode("utf-8").decode("cp1252", "replace")
    elif glitch == "published-heat":
        heat = -1 if published else rng.randint(500, 900)
    elif glitch == "schema-type":
        choice = rng.randrange(3)
        if choice == 0:
            quality = q("high")
        elif choice == 1:
            pub_text = q(pub_text)
        else:
            quality = f"{it.quality}.5"
    lines = [
        "---",
        f"category: {rng.choice(CATEGORIES)}",
        f"title: {q(title)}",
        f"excerpt: {q(excerpt)}",
        f"publishedDateTime: {_ts(it.published_at)}",
        f"originalUrl: {q(it.url)}",
        f"webUrl: {q(it.url)}",
    ]
    if rng.random() < 0.5:
        amp = it.url + "amp/"
        host = it.url.split("/")[2]
        lines.append(f"ampWebUrl: {q(amp)}")
        lines.append(f"cdnAmpWebUrl: {q('https://' + host.replace('.', '-') + '.cdn.ampproject.org/c/s/' + amp[8:])}")
    lines += [
        f"type: {rng.choice(TYPES)}",
        f"quality: {quality}",
        f"heat: {heat}",
        f"published: {pub_text}",
        "",
        "provider:",
        f"  name: {it.provider[0]}",
        f"  domain: {it.provider[1]}",
        "",
        "topics:",
    ]
    lines += [f"  - {t}" for t in rng.sample(TOPICS, rng.randint(1, 3))]
    if it.image is not None or glitch == "bad-image-url":
        url, w, h = it.image or (f"https://www.{it.provider[1]}/img/{index}.jpg", 640, 480)
        wv: Any = w
        if glitch == "bad-image-url":
            kind = rng.randrange(3)
            if kind == 0:
                url = url.replace("https://", "htps//")
            elif kind == 1:
                url = "data:image/gif;base64,R0lGODlhAQABAAAAACw="
            else:
                wv = 0
        lines += ["", "images:", *_image_lines("  ", url, wv, h)]
    others = [j for j in _story(index) if j != index and j < n]
    related = rng.sample(others, min(len(others), rng.randint(0, 3)))
    if related:
        lines += ["", "related:"]
        for k, j in enumerate(related):
            r = _item(seed, j)
            r_title, r_date = r.title, r.published_at
            if glitch == "related-disagrees" and k == 0:
                r_date = r_date + dt.timedelta(days=3)
                r_title = r_title + " updated"
            lines += [
                f"  - title: {q(r_title)}",
                f"    excerpt: {q(r.excerpt)}",
                f"    publishedDateTime: {_ts(r_date)}",
                f"    webUrl: {q(r.url)}",
                "    type: article",
                "    provider:",
                f"      name: {r.provider[0]}",
                f"      domain: {r.provider[1]}",
                f"    quality: {r.quality}",
            ]
            if r.image is not None:
                lines += ["    images:", *_image_lines("      ", *r.image)]
    if glitch == "missing-field":
        drop = rng.choice(("title:", "webUrl:", "provider:", "published:"))
        if drop == "provider:":
            at = lines.index("provider:")
            del lines[at : at + 3]
        else:
            lines = [ln for ln in lines if not ln.startswith(drop)]
    elif glitch == "duplicate-key":
        lines.insert(3, f"title: {q(title + ' (again)')}")
    elif glitch == "yaml-syntax":
        at = next(i for i, ln in enumerate(lines) if ln.startswith("excerpt:"))
        lines[at] = lines[at][:-1]  # drop the closing quote: an unterminated string
    secured = hashlib.sha256(f"{seed}:{index}".encode()).digest()
    token = base64.b64encode(secured * 3).decode() + "==;" + base64.b64encode(secured[:16]).decode()
    lines += ["", f"secured: {q(token)}"]
    lines.append("---")
    body = ""
    if rng.random() < 0.3 or glitch in ("boilerplate", "foreign-script", "stripped-zwj"):
        body = _paragraphs(rng, rng.randint(400, 3000))
    body = _body_glitch(rng, body, glitch)
    return "\n".join(lines) + "\n" + body, body


def _body_glitch(rng: random.Random, body: str, glitch: str | None) -> str:
    if glitch == "boilerplate":
        return body + "\n" + BOILERPLATE + "\n"
    if glitch == "foreign-script":
        return rng.choice(FOREIGN) * rng.randint(4, 10) + "\n"
    if glitch == "stripped-zwj":
        emoji = rng.choice(ZWJ_EMOJI).replace("\u200d", "")
        paras = body.split("\n\n")
        paras[len(paras) // 2] += f" {emoji} {emoji}"
        return "\n\n".join(paras)
    if glitch == "mojibake" and body:
        return body.replace(" ", " â€” ", 1)
    return body


def _body_only(seed: int, index: int, glitch: str | None) -> str:
    rng = random.Random(f"body:{seed}:{index}")
    it = _item(seed, index)
    head = f"{it.title}\n{it.published_at.strftime('%B %d, %Y')}\n\n"
    body = head + _paragraphs(rng, rng.randint(2000, 11000))
    if glitch == "schema-type":  # no front matter to mistype: fall back to boilerplate
        glitch = "boilerplate"
    return _body_glitch(rng, body, glitch)


def _name(seed: int, index: int) -> str:
    return f"{index:06d}_{hashlib.blake2b(f'{seed}:{index}'.encode(), digest_size=8).hexdigest()}.txt"


def plan(n: int, seed: int = 1, glitch_rate: float = 0.02) -> dict[int, str]:
    """Which record indices get which glitch (deterministic)."""
    rng = random.Random(f"plan:{seed}:{n}")
    count = round(n * glitch_rate)
    chosen = sorted(rng.sample(range(n), count)) if n else []
    return {index: GLITCHES[k % len(GLITCHES)] for k, index in enumerate(chosen)}


BODY_ONLY_EVERY = 4  # one file in four is body-only (the seeds: two in five)
BODY_ONLY_GLITCHES = frozenset({"boilerplate", "foreign-script", "stripped-zwj", "mojibake", "invalid-utf8"})


def render(index: int, n: int, seed: int, glitch: str | None) -> bytes:
    """The bytes of file ``index`` of a corpus of ``n``."""
    body_only = index % BODY_ONLY_EVERY == 3 and (glitch is None or glitch in BODY_ONLY_GLITCHES)
    if glitch == "duplicate":
        original = index - 1 if index > 0 else index + 1
        return render(original, n, seed, None)
    if glitch == "near-duplicate":
        original = index - 1 if index > 0 else index + 1
        text, _ = _clipping(seed, original, n, None)
        text = text.replace(" (", " - (", 1)
        return text.encode()
    text = _body_only(seed, index, glitch) if body_only else _clipping(seed, index, n, glitch)[0]
    raw = text.encode()
    if glitch == "invalid-utf8":
        cut = len(raw) // 2
        while cut < len(raw) and (raw[cut] & 0xC0) == 0x80:
            cut += 1
        raw = raw[:cut] + b"caf\xe9 " + raw[cut:]
    return raw


def generate(
    directory: str | os.PathLike[str],
    n: int,
    seed: int = 1,
    glitch_rate: float = 0.02,
    progress: Callable[[int], None] | None = None,
) -> Manifest:
    """Write ``n`` clipping files into ``directory`` (created); return what was glitched.

    The manifest is returned, not written into the corpus (it is not a clipping);
    ``write_manifest`` saves it elsewhere.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    glitches = plan(n, seed, glitch_rate)
    manifest = Manifest(n=n, seed=seed, glitch_rate=glitch_rate)
    for index in range(n):
        glitch = glitches.get(index)
        name = _name(seed, index)
        raw = render(index, n, seed, glitch)
        (out / name).write_bytes(raw)
        manifest.bytes += len(raw)
        if not raw.startswith(b"---"):
            manifest.body_only += 1
        if glitch is not None:
            manifest.glitched[name] = glitch
            if glitch in ("duplicate", "near-duplicate"):
                original = index - 1 if index > 0 else index + 1
                manifest.duplicates[name] = _name(seed, original)
        if progress and index % 1000 == 999:
            progress(index + 1)
    return manifest


def write_manifest(manifest: Manifest, path: str | os.PathLike[str]) -> None:
    Path(path).write_text(json.dumps(manifest.to_json(), indent=1, sort_keys=True), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.split("\n\n")[0])
    parser.add_argument("directory")
    parser.add_argument("-n", type=int, default=10_000, help="number of files [10000]")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--glitch-rate", type=float, default=0.02)
    parser.add_argument("--manifest", help="write the manifest (JSON) here")
    args = parser.parse_args(argv)
    manifest = generate(args.directory, args.n, args.seed, args.glitch_rate)
    if args.manifest:
        write_manifest(manifest, args.manifest)
    print(
        f"wrote {manifest.n} files ({manifest.bytes / 1e6:.1f} MB, {manifest.body_only} body-only, "
        f"{len(manifest.glitched)} glitched) to {args.directory}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
