"""Small corpora and batches for the corpus-index tests: every corpus-level relation a batch
can have with a corpus (duplicates by bytes, URL, file-name id; syndication; near-duplicate
bodies; a story published twice; related items both ways; shared placeholder images; file
names off the corpus's pattern; a provider's repeated furniture line), drawn by hypothesis,
and out-of-band edits of the corpus."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from qa.config import Config, load_config
from tests.stories import body, fields, name, url

PLACEHOLDER = "https://cdn.example.net/img/placeholder.png"
KINDS = (
    "story",
    "copy",  # byte-identical to another file (D103)
    "url-variant",  # another file's page through its AMP URL with tracking parameters (D101)
    "syndicated",  # another file's title from another provider (D104)
    "same-title",  # another file's title from the same provider, another URL (F108 when both are published)
    "near-dup",  # another file's body with a word in 100 changed (D105)
    "related",  # a story whose related item links to another file, agreeing or not (C101)
    "related-ahead",  # a corpus story whose related item links to a batch story (C101 the other way)
    "id-twin",  # a file named with another file's id (D102)
    "self-link",  # a related item linking to its own clipping (C102)
    "placeholder",  # the shared placeholder image (I106 from five stories on)
    "body-only",  # no front matter
    "furniture",  # a body with the line every clipping of provider 0 with this kind ends on (B201)
)
FURNITURE = "Tips and corrections reach the Riverside desk by post at Harbour Lane."


@dataclass(frozen=True)
class Spec:
    kind: str
    story: int  # its own story number (URL, title)
    other: int  # the file (position in the corpus list) it relates to, for kinds that relate
    published: Any  # True, False, "yes" (F101), or ... (missing)
    with_body: bool
    agree: bool  # related: whether the related item agrees with what it links to
    off_pattern: bool  # a file name off the corpus's naming pattern (C103)


def specs(min_size: int, max_size: int, first_story: int) -> st.SearchStrategy[list[Spec]]:
    one = st.builds(
        Spec,
        kind=st.sampled_from(KINDS),
        story=st.integers(0, 10_000),
        other=st.integers(0, 1_000),
        published=st.sampled_from([True, True, True, False, "yes", ...]),
        with_body=st.booleans(),
        agree=st.booleans(),
        off_pattern=st.sampled_from([False, False, False, True]),
    )
    return st.lists(one, min_size=min_size, max_size=max_size).map(
        lambda xs: [
            Spec(s.kind, first_story + i, s.other, s.published, s.with_body, s.agree, s.off_pattern)
            for i, s in enumerate(xs)
        ]
    )


def world_config() -> Config:
    """The configuration the worlds are checked with: thresholds low enough for small worlds."""
    cfg = load_config(None, {"jobs": 1})
    cfg.checks["image_url"]["shared-threshold"] = 3  # placeholders reach I106
    cfg.checks["boilerplate"]["repeat_min_files"] = 2  # and furniture lines B201
    cfg.checks["boilerplate"]["repeat_min_share"] = 0.05
    return cfg


def _provider(k: int) -> dict[str, str]:
    return {"name": f"Provider {k % 3}", "domain": f"provider{k % 3}.example.org"}


def _fields(spec: Spec, i: int, **changes: Any) -> dict[str, Any]:
    base = fields(i, **{"provider": _provider(i), "related": [], **changes})
    if spec.published is ...:
        base.pop("published", None)
    else:
        base["published"] = spec.published
    return base


def render(spec: Spec, previous: list[tuple[str, str, Spec]]) -> str:
    """The text of a file of this spec; ``previous``: (name, text, spec) of files before it
    (the corpus's files for a batch), which the relating kinds point at."""
    target = previous[spec.other % len(previous)] if previous else None
    t_spec = target[2] if target else None
    t_story = t_spec.story if t_spec else spec.story
    own_body = body(spec.story) if spec.with_body else ""
    if spec.kind == "copy" and target is not None:
        return target[1]
    if spec.kind == "url-variant":
        variant = url(t_story) + "amp/?utm_source=feed&utm_medium=rss"
        return _render(_fields(spec, spec.story, webUrl=variant, originalUrl=variant), own_body)
    if spec.kind == "syndicated":
        title = fields(t_story)["title"]
        return _render(_fields(spec, spec.story, title=title, provider=_provider(t_story + 1)), own_body)
    if spec.kind == "same-title":
        title = fields(t_story)["title"]
        return _render(_fields(spec, spec.story, title=title, provider=_provider(t_story)), own_body)
    if spec.kind == "near-dup":
        return _render(_fields(spec, spec.story), body(t_story, change_every=100))
    if spec.kind == "related":
        t_fields = fields(t_story)
        item = {
            "title": t_fields["title"] if spec.agree else t_fields["title"] + " (updated)",
            "publishedDateTime": t_fields["publishedDateTime"]
            if spec.agree
            else t_fields["publishedDateTime"] + dt.timedelta(days=2),
            "webUrl": url(t_story),
            "provider": _provider(t_story),
        }
        return _render(_fields(spec, spec.story, related=[item]), own_body)
    if spec.kind == "related-ahead":  # stories 1000.. are the batch's
        ahead = 1000 + spec.other % 5
        item = {
            "title": fields(ahead)["title"] + ("" if spec.agree else " (old title)"),
            "publishedDateTime": fields(ahead)["publishedDateTime"],
            "webUrl": url(ahead),
            "provider": _provider(ahead),
        }
        return _render(_fields(spec, spec.story, related=[item]), own_body)
    if spec.kind == "self-link":
        item = {"title": "Itself", "webUrl": url(spec.story), "provider": _provider(spec.story)}
        return _render(_fields(spec, spec.story, related=[item]), own_body)
    if spec.kind == "placeholder":
        image = [{"url": PLACEHOLDER, "width": 640, "height": 480, "isCached": True}]
        return _render(_fields(spec, spec.story, images=image), own_body)
    if spec.kind == "furniture":
        return _render(_fields(spec, spec.story, provider=_provider(0)), f"{body(spec.story)}\n\n{FURNITURE}\n")
    if spec.kind == "body-only":
        return body(t_story if spec.agree else spec.story, change_every=0 if spec.agree else 100)
    return _render(_fields(spec, spec.story), own_body)


def _render(data: dict[str, Any], text: str) -> str:
    from tests.clipping import render as render_yaml

    return render_yaml(data, text)


def file_name(spec: Spec) -> str:
    """Its name in the corpus: most at the top, some in sub-folders."""
    if spec.kind == "id-twin":  # the id (16 hex digits) of the file it relates to, another number
        base = f"{spec.story:03d}_{name(spec.other % 7)[4:]}"
    else:
        base = f"note-{spec.story}.txt" if spec.off_pattern else name(spec.story)
    return f"part{spec.story // 4 % 2}/{base}" if spec.story % 4 == 3 else base


def write_world(
    root: Path, specs_: list[Spec], previous: list[tuple[str, str, Spec]] | None = None
) -> list[tuple[str, str, Spec]]:
    """Write the files of ``specs_`` into ``root``; returns (name, text, spec) of each."""
    root.mkdir(parents=True, exist_ok=True)
    made: list[tuple[str, str, Spec]] = []
    context = list(previous or [])
    for spec in specs_:
        text = render(spec, context + made if previous is None else context)
        file = file_name(spec)
        (root / file).parent.mkdir(parents=True, exist_ok=True)
        (root / file).write_text(text, encoding="utf-8")
        made.append((file, text, spec))
    return made


def age(root: Path, seconds: float = 3600) -> None:
    """Make every file and folder under ``root`` look ``seconds`` old: their stats are then
    trusted by the index (a stat from within the timestamps' granularity is not)."""
    for path in [*root.rglob("*"), root]:
        st = path.stat()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns - int(seconds * 1e9)))


EDITS = ("edit", "add", "delete", "rename", "copy-in", "touch", "new-folder", "drop-folder")


@dataclass(frozen=True)
class Edit:
    kind: str
    which: int
    spec: Spec


def edits(first_story: int) -> st.SearchStrategy[list[Edit]]:
    return st.lists(
        st.builds(
            Edit,
            kind=st.sampled_from(EDITS),
            which=st.integers(0, 1_000),
            spec=specs(1, 1, first_story).map(lambda xs: xs[0]),
        ),
        max_size=4,
    )


def apply_edits(root: Path, made: list[tuple[str, str, Spec]], changes: list[Edit]) -> None:
    """Out-of-band changes to the corpus, behind the index's back (as git or a person makes them)."""
    for n, e in enumerate(changes):
        files = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
        if not files:
            return
        target = root / files[e.which % len(files)]
        spec = Spec(e.spec.kind, e.spec.story + 100 * n, e.spec.other, e.spec.published, e.spec.with_body,
                    e.spec.agree, e.spec.off_pattern)  # fmt: skip
        if e.kind == "edit":  # same name, new content (same size or not)
            target.write_text(render(spec, made), encoding="utf-8")
        elif e.kind == "add":
            (root / file_name(spec)).parent.mkdir(parents=True, exist_ok=True)
            (root / file_name(spec)).write_text(render(spec, made), encoding="utf-8")
        elif e.kind == "new-folder":  # a file moved into a folder that did not exist
            (root / f"new{n}" / "deeper").mkdir(parents=True, exist_ok=True)
            target.rename(root / f"new{n}" / "deeper" / target.name)
        elif e.kind == "drop-folder":  # a whole folder removed
            folders = sorted({p.parent for p in root.rglob("*") if p.is_file() and p.parent != root})
            if folders:
                shutil.rmtree(folders[e.which % len(folders)])
        elif e.kind == "delete":
            target.unlink()
        elif e.kind == "rename":
            (root / file_name(spec)).parent.mkdir(parents=True, exist_ok=True)
            target.rename(root / file_name(spec))
        elif e.kind == "copy-in":
            (root / file_name(spec)).parent.mkdir(parents=True, exist_ok=True)
            (root / file_name(spec)).write_bytes(target.read_bytes())
        else:  # touched: a new stat, the same bytes
            st_ = target.stat()
            os.utime(target, ns=(st_.st_atime_ns, st_.st_mtime_ns + 10**9))
