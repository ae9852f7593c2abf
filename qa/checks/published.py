"""Check ``published``: the publishing flag against the rest of the record and the corpus.

Per record (in the workers): F101 the flag is not a real YAML 1.2 boolean, F102-F107 a
published (or unpublished) clipping whose scores, content or date contradict the flag.
Across the corpus: F108 the same story published twice.

How F101 shares the field with the schema and parse rules (S101 missing, S102 wrong type,
P106 ``yes``): those say what is wrong with the *value*; F101 says what it does to
*publishing* (whether readers will treat the clipping as live) and that F102-F108 were
not applied. A value meets at most one of S101 / S102 / P106, so a file gets two
findings on that line, never three. See docs/cross-record-checks.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import pandas as pd
import yaml

from qa.checks import Check, Context, CorpusKeys, Tables
from qa.corpus import Record
from qa.crossrec import (
    STORY_COLUMNS,
    all_keys,
    as_objects,
    check_range,
    clipping_keys,
    components,
    groups,
    instant,
    is_true,
    key_codes,
    key_rows,
    listing,
    others_of,
    repeated,
    star_edges,
    string_lengths,
    top_value_node,
)
from qa.findings import Finding, replace_value, rule
from qa.yamlload import BOOL

F101 = rule(
    "F101",
    "published-not-boolean",
    "published",
    "error",
    '`published` is missing or not a YAML boolean ("false", yes, 0): readers disagree on whether the clipping is live.',
    fix="Write published: true or published: false.",
    applicability="safe",
)
F102 = rule(
    "F102",
    "published-never-scored",
    "published",
    "error",
    "`published: true` with `heat: -1`: a published clipping was never scored.",
)
F103 = rule(
    "F103",
    "unpublished-but-scored",
    "published",
    "warning",
    "`published: false` with a heat of 0 or more: heat is computed only for published clippings.",
)
F104 = rule(
    "F104",
    "published-low-quality",
    "published",
    "error",
    "`published: true` with a quality below `published.min_quality` (default 20).",
)
F105 = rule(
    "F105",
    "published-without-text",
    "published",
    "error",
    "`published: true` with an empty or missing title or excerpt.",
)
F106 = rule(
    "F106",
    "published-without-image",
    "published",
    "error",
    "`published: true` with no image.",
)
F107 = rule(
    "F107",
    "published-in-future",
    "published",
    "error",
    "`published: true` with a publishedDateTime later than now (beyond `published.clock_skew_minutes`).",
)
F108 = rule(
    "F108",
    "story-published-twice",
    "published",
    "error",
    "Two or more clippings of the same story (same canonical webUrl, or same title from the same "
    "provider) are all published.",
)

OPTIONS: dict[str, Any] = {
    "min_quality": 20,
    "clock_skew_minutes": 60,
    # Titles shorter than this (after normalising) are too generic ("Weather", "Live updates")
    # to say that two clippings of one provider are the same story.
    "min_title_chars": 20,
}

YAML12_TRUE = frozenset({"true", "True", "TRUE"})
YAML12_FALSE = frozenset({"false", "False", "FALSE"})
TRUE_WORDS = frozenset({"true", "yes", "y", "on", "1"})
FALSE_WORDS = frozenset({"false", "no", "n", "off", "0"})

# published_state values (a files column): what the flag means to every reader.
TRUE, FALSE, MISSING, INVALID = "true", "false", "missing", "invalid"


def _intent(text: str) -> str | None:
    low = text.strip().lower()
    if low in TRUE_WORDS:
        return "true"
    if low in FALSE_WORDS:
        return "false"
    return None


def flag_state(rec: Record) -> tuple[str, str | None, str | None]:
    """(state, message for F101 or None, proposed fix) of a record's published flag."""
    data = rec.data or {}
    if "published" not in data or data["published"] is None:
        what = "missing" if "published" not in data else "null"
        return (
            MISSING,
            f"published is {what}: whether this clipping is live is unknown (readers will take it as "
            "unpublished, or fail); the other publishing rules were not applied to it",
            None,
        )
    value = data["published"]
    if isinstance(value, bool):
        if rec.fast_yaml:  # the fast path reads only true/false/True/... as booleans
            return (TRUE if value else FALSE), None, None
        node = top_value_node(rec.node, "published")
        if isinstance(node, yaml.ScalarNode) and node.tag == BOOL and not node.style:
            if node.value in YAML12_TRUE or node.value in YAML12_FALSE:
                return (TRUE if value else FALSE), None, None
            # yes / no / on / off: a boolean only to YAML 1.1 readers
            word = "true" if value else "false"
            return (
                INVALID,
                f"published: {node.value} is {word} to YAML 1.1 readers (PyYAML) but the string "
                f"{node.value!r} to YAML 1.2 readers (JavaScript, Go), which would treat this clipping as "
                f"published whatever it says; write published: {word}",
                word,
            )
        return (TRUE if value else FALSE), None, None
    if isinstance(value, str):
        fix = _intent(value)
        hint = f"; write published: {fix}" if fix else "; write published: true or published: false"
        live = ", so this clipping may go live" if fix == "false" else ""
        return (
            INVALID,
            f"published is the string {value!r}, not a boolean: a non-empty string is true to most readers{live}{hint}",
            fix,
        )
    if isinstance(value, (int, float)):
        fix = "true" if value == 1 else "false" if value == 0 else None
        hint = f"; write published: {fix}" if fix else ""
        return (
            INVALID,
            f"published is the number {value!r}, not a boolean: readers that compare with true/false "
            f"will not match it{hint}",
            fix,
        )
    return (
        INVALID,
        f"published is a {type(value).__name__}, not a boolean; the publishing rules were not applied to it",
        None,
    )


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _blank(value: object) -> bool:
    return not isinstance(value, str) or not value.strip()


def _has_image(images: object) -> bool:
    if not isinstance(images, list):
        return False
    return any(isinstance(i, dict) and not _blank(i.get("url")) for i in images)


def check_record(rec: Record, ctx: Context) -> Iterator[Finding]:
    if rec.data is None:
        return
    data = rec.data
    state, message, fix = flag_state(rec)
    if message is not None:
        yield F101.finding(
            rec.path,
            message,
            field="published",
            evidence=data.get("published"),
            fix=None if fix is None else replace_value("published", fix),
            fix_message=None if fix is None else f"write published: {fix}",
        )
        return
    heat = _int(data.get("heat"))
    if state == FALSE:
        if heat is not None and heat >= 0:
            yield F103.finding(
                rec.path,
                f"published: false but heat is {heat}: heat is computed only for published clippings "
                "(unpublished ones have -1); the flag or the score is stale",
                field="heat",
                evidence=heat,
            )
        return
    # state == TRUE
    if heat == -1:
        yield F102.finding(
            rec.path,
            "published: true but heat is -1 (never scored): a published clipping should have been scored",
            field="heat",
            evidence=heat,
        )
    quality = _int(data.get("quality"))
    min_quality = int(ctx.get("min_quality"))
    if quality is not None and quality < min_quality:
        yield F104.finding(
            rec.path,
            f"published: true but quality is {quality}, below the minimum of {min_quality} for publishing",
            field="quality",
            evidence=quality,
        )
    for name in ("title", "excerpt"):
        if _blank(data.get(name)):
            what = "missing" if data.get(name) is None else "empty"
            yield F105.finding(
                rec.path,
                f"published: true but the {name} is {what}: a published clipping needs a title and an excerpt",
                field=name if name in data else "published",
                evidence=data.get(name),
            )
    if not _has_image(data.get("images")):
        yield F106.finding(
            rec.path,
            "published: true but the clipping has no image",
            field="images" if "images" in data else "published",
        )
    when = instant(data.get("publishedDateTime"))
    now = ctx.run.get("now") or dt.datetime.now(dt.UTC)
    skew = dt.timedelta(minutes=int(ctx.get("clock_skew_minutes")))
    if when is not None and when > now + skew:
        ahead = when - now
        yield F107.finding(
            rec.path,
            f"published: true but publishedDateTime {when.isoformat(timespec='seconds')} is "
            f"{_duration(ahead)} in the future "
            f"(clock skew allowed: {_duration(skew)})",
            field="publishedDateTime",
            evidence=data.get("publishedDateTime"),
        )


def _duration(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h"
    return f"{hours // 24} days"


def columns(rec: Record, ctx: Context) -> dict[str, Any]:
    if rec.data is None:
        return {}
    return {"published_state": flag_state(rec)[0]}


def check_corpus(tables: Tables, ctx: Context) -> Iterator[Finding]:
    yield from same_story_published(dict(tables), int(ctx.get("min_title_chars")))


def same_story_published(tables: dict[str, pd.DataFrame], min_title_chars: int) -> Iterator[Finding]:
    """F108: components of published clippings joined by canonical URL or (title, provider)."""
    pub = _published(tables)
    if len(pub) < 2:
        return
    pub["title_provider"] = _title_provider(pub, min_title_chars)
    url_edges = star_edges(pub, "story_url")
    title_edges = star_edges(pub, "title_provider")
    if not len(url_edges[0]) and not len(title_edges[0]):
        return
    label = components(len(pub), [url_edges, title_edges])
    pub = pub.assign(_component=label)[repeated(label)]  # the clippings of a story published twice
    for c in STORY_COLUMNS:
        pub[c] = as_objects(pub[c])  # a missing key as None
    for g in groups(pub, "_component"):
        rows = g.rows
        paths = rows["_path"]
        urls = rows["story_url"]
        same_url = None not in urls and len(set(urls)) == 1
        if same_url:
            reason = "the same canonical webUrl"
        elif len(set(rows["title_provider"])) == 1:
            reason = "the same title from the same provider"
        else:
            reason = "the same canonical webUrl or the same title from the same provider"
        for i, path in enumerate(paths[1:], start=1):
            others = others_of(paths, i)  # the first file (by path) first
            yield F108.finding(
                path,
                f"the same story is published {len(paths)} times ({reason}): also published as "
                f"{listing(others, total=len(paths) - 1)}; unpublish all but one",
                field="published",
                evidence=urls[i] if same_url else rows["story_title"][i],
                related=others,
            )


def _published(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The story keys of the clippings that are published (to every reader), in table order."""
    keys = clipping_keys(tables, extra=("published_state",))
    if keys.empty:
        return keys
    if "published_state" in keys.columns:
        live = keys["published_state"].eq(TRUE).fillna(False).to_numpy(dtype=bool)
    else:
        # tables built without the workers' column: a real boolean true (a YAML 1.1 yes is
        # indistinguishable from true here; the pipeline's published_state tells them apart)
        clippings = tables["clippings"]
        flag = clippings["published"] if "published" in clippings else pd.Series(dtype=object)
        live = keys["_record"].isin(set(clippings.loc[is_true(flag), "_record"].tolist())).to_numpy(dtype=bool)
    return keys[live].reset_index(drop=True)


def _known_title_provider(pub: pd.DataFrame, min_title_chars: int) -> np.ndarray:
    """Where a clipping's (title, provider) can join it to others: both known, the title long enough."""
    return np.asarray(
        (string_lengths(pub["story_title"]) >= min_title_chars) & (string_lengths(pub["story_provider"]) >= 0),
        dtype=bool,
    )


def _title_provider(pub: pd.DataFrame, min_title_chars: int) -> pd.Series:
    """A number per clipping, the same for the same (title, provider); missing where either is
    unknown or the title is shorter than ``min_title_chars``."""
    title, provider = key_codes(pub["story_title"]), key_codes(pub["story_provider"])
    known = _known_title_provider(pub, min_title_chars)
    pair = title * (int(provider.max()) + 1) + provider
    return pd.Series(pd.arrays.IntegerArray(np.where(known, pair, 0), ~known), index=pub.index)


def corpus_keys(tables: Tables, ctx: Context) -> pd.DataFrame:
    """Join keys of F108's stories (``CorpusKeys``, transitive): a published clipping's
    canonical URL and its (title, provider)."""
    pub = _published(dict(tables))
    if pub.empty:
        return all_keys([])
    known = _known_title_provider(pub, int(ctx.get("min_title_chars")))
    pairs = [f"{t}\x1f{p}" for t, p in zip(pub["story_title"][known], pub["story_provider"][known], strict=True)]
    return all_keys(
        [key_rows(pub["_record"], "url", pub["story_url"]), key_rows(pub["_record"][known], "title-provider", pairs)]
    )


def validate(options: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    yield from check_range(options, "min_quality", 0, 100)
    yield from check_range(options, "clock_skew_minutes", 0)
    yield from check_range(options, "min_title_chars", 0)


CHECK = Check(
    name="published",
    rules=(F101, F102, F103, F104, F105, F106, F107, F108),
    doc="The published flag against heat, quality, content and date, and the same story published twice.",
    record=check_record,
    clock_rules=(F107,),
    columns=columns,
    column_names=("published_state",),
    corpus=check_corpus,
    corpus_keys=CorpusKeys(corpus_keys),
    options=OPTIONS,
    validate=validate,
)
