"""Image URLs: syntax and size always; liveness online (fast, polite, cached).

Every image of every clipping and of its related items (the ``images`` table,
``_field`` like ``images[0]`` or ``related[1].images[0]``).

Who reports what. The schema (``schemas/images.yaml``) owns the *types* of an
image's fields (``url`` a string, ``width``/``height`` integers, ``isCached`` a
boolean: S102) and unknown keys (S109). This check owns their *meaning*: a
missing or empty url, an unacceptable URL, missing or implausible dimensions,
shared placeholders and, online, whether the URL serves the image it claims. A
wrong-typed value is therefore reported once, by the schema, and skipped here;
the schema file declares no presence, range or URL constraint on images, so no
fact is reported twice.

Offline (always). I101-I105 depend on one image alone: they run per record, in the
per-file stage (so the result cache keeps them); I106 looks across records, in the
corpus stage.

* I101 the url is missing or empty; I102 it is not an absolute http(s) URL with a
  valid IDNA host (parsed by ``urllib.parse`` and ``idna``, then ``yarl.URL``, the HTTP client's parser);
  I103 it is a ``javascript:``/``data:``/``vbscript:``/``file:`` URL.
* I104 width or height is missing; I105 it is not positive or larger than
  ``max-dimension`` (20,000).
* I106 the same URL illustrates ``shared-threshold`` or more different stories
  (distinct canonical webUrls of the clippings or related items that carry it).
* I112 the url has a character RFC 3986 allows only percent-encoded (``"``, ``<``,
  ``>``, a backslash, ...); I113 it carries user-info (credentials; the finding masks
  the secret); I114 its host points into a private network (a non-public address in
  any spelling, or a local-only name such as ``localhost``), unless the host is on the
  ``online-allow`` list. One implementation with the schema's S114-S116 for the other
  URL fields: :func:`qa.urls.url_issues`.

Online (``--online`` or ``online = true``), in the corpus stage, over the distinct
URLs (see :mod:`qa.checks._imagefetch`): I107 the final status is not 2xx, I108
the answer is not an image (Content-Type not ``image/*``, empty body, bytes that
are no image), I109 the URL cannot be fetched (connection refused or reset,
timeout, redirect loop, too many redirects), I110 the declared size differs from
the real one read from the first bytes, I111 the URL (or a redirect hop) was not
requested: its host resolves to an address that is not on the public internet, or
its port or scheme is not allowed (``allowed-ports``, ``allowed-schemes``; the
``online-allow`` list opens hosts). URLs with an I114 finding are not requested at all.

Run-level facts (no network, deadline reached, interrupted) are not findings:
they are appended to ``ctx.run["notices"]`` (a list the pipeline creates for the
corpus stage and copies into ``RunResult.notices``).
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import numpy as np
import pandas as pd
from yarl import URL

from qa.checks import Check, Context, CorpusKeys, Tables
from qa.constraints import hostname_problem, url_problem
from qa.corpus import Record
from qa.crossrec import all_keys, key_rows
from qa.findings import Finding, rule
from qa.schema import MappingSpec, Schema, load_schema
from qa.urls import (
    CHARACTERS,
    CREDENTIALS,
    NO_ALLOW,
    PRIVATE_HOST,
    AllowList,
    UrlIssue,
    allow_list,
    redact_url,
    url_issues,
    url_key,
)

if TYPE_CHECKING:  # the prober (aiohttp) is imported only by an online run
    from qa.checks._imagefetch import Probe, Settings

I101 = rule("I101", "image-url-missing", "image_url", "error", "An image has no url, or an empty one.")
I102 = rule(
    "I102",
    "image-url-invalid",
    "image_url",
    "error",
    "An image url is not an absolute http(s) URL with a valid host (white space, control characters, bad IDNA...).",
)
I103 = rule(
    "I103",
    "image-url-unsafe-scheme",
    "image_url",
    "error",
    "An image url is a javascript:, data:, vbscript: or file: URL: never shown, possibly dangerous.",
)
I104 = rule("I104", "image-size-missing", "image_url", "error", "An image has no width or no height.")
I105 = rule(
    "I105",
    "image-size-implausible",
    "image_url",
    "error",
    "An image width or height is zero, negative or larger than max-dimension (20,000 by default).",
)
I106 = rule(
    "I106",
    "image-url-shared",
    "image_url",
    "warning",
    "The same image url is used by many different clippings: likely a placeholder or a logo.",
)
I107 = rule(
    "I107",
    "image-url-broken",
    "image_url",
    "error",
    "Online: the image URL answers with a final status that is not 2xx (after redirects).",
)
I108 = rule(
    "I108",
    "image-url-not-an-image",
    "image_url",
    "error",
    "Online: the image URL answers 2xx but not with an image (Content-Type, empty body, or bytes that are no image).",
)
I109 = rule(
    "I109",
    "image-url-unreachable",
    "image_url",
    "error",
    "Online: the image URL could not be fetched (connection refused or reset, timeout, redirect loop).",
)
I110 = rule(
    "I110",
    "image-size-mismatch",
    "image_url",
    "warning",
    "Online: the declared width/height differ from the real size of the image.",
)

I111 = rule(
    "I111",
    "image-url-refused",
    "image_url",
    "error",
    "Online: the image URL was not requested, because its host resolves to (or a redirect leads to) an address "
    "that is not on the public internet, or its port or scheme is not allowed; nothing was sent to it.",
    fix="Fix the URL; if the host is your own image server, allow it with --online-allow HOST:PORT.",
)
I112 = rule(
    "I112",
    "image-url-unescaped-character",
    "image_url",
    "error",
    "An image url has a character RFC 3986 allows only percent-encoded "
    "(a quote, < >, a backslash, { | } ^ or a backtick, a bad % escape, an invisible formatting character).",
    fix='Percent-encode the character (" is %22), or cut it if it is left-over markup.',
)
I113 = rule(
    "I113",
    "image-url-credentials",
    "image_url",
    "error",
    "An image url carries user-info (user:password@ or token@) before its host; the finding masks the secret.",
    fix="Remove the user-info; if it was a real password or token, revoke it.",
)
I114 = rule(
    "I114",
    "image-url-private-host",
    "image_url",
    "error",
    "An image url's host points into a private network: a loopback, private, link-local ... address in any "
    "spelling (0x7f.1, 2130706433, [::ffff:10.0.0.1]) or a local-only name (localhost, *.internal); "
    "not reported for a host on the online-allow list.",
)
_ISSUE_RULES = {CHARACTERS: I112, CREDENTIALS: I113, PRIVATE_HOST: I114}

UNSAFE_SCHEMES = ("javascript", "data", "vbscript", "file", "blob")

OPTIONS: dict[str, Any] = {
    "shared-threshold": 5,  # distinct stories (pages) using one URL before I106
    "max-dimension": 20000,
    "concurrency": 200,  # requests in flight, all hosts
    "per-host": 8,  # requests in flight to one host:port
    "connect-timeout": 5.0,
    "read-timeout": 10.0,
    "max-redirects": 5,
    "retries": 2,
    "backoff": 0.5,
    "max-retry-after": 30.0,
    "deadline": 300.0,  # seconds for all online probes of a run
    "read-bytes": True,  # ranged GET after a good HEAD, to check the real size
    "cache": True,
    "cache-ttl": 7 * 24 * 3600,  # seconds a success is trusted
    "cache-ttl-failure": 3600,  # seconds a failure is trusted
    "size-tolerance": 0,  # pixels of difference allowed before I110
    # where the online check may send requests, besides the hosts of the online-allow list
    "allowed-ports": [80, 443],
    "allowed-schemes": ["http", "https"],
}


def validate(options: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    ports = options.get("allowed-ports", [])
    if not ports or any(isinstance(p, bool) or not 1 <= p <= 65535 for p in ports):
        yield "allowed-ports", "expected a non-empty list of ports from 1 to 65535"
    schemes = options.get("allowed-schemes", [])
    if not schemes or any(s.lower() not in ("http", "https") for s in schemes):
        yield "allowed-schemes", 'expected a non-empty list of "http" and "https"'


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    return None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


# The common case, decided without parsing: an http(s) URL of a plain host name (letters,
# digits, hyphens; dots between non-empty labels) and a path (and query) of unreserved
# characters, ``%``, ``=``, ``&`` and ``+``. Such a URL has no white space, no control
# character, no port, no user; ``urlsplit`` and yarl both read its host as written, and
# neither can reject it: only the host can be wrong (``hostname_problem``, cached per host).
# Anything else, or a host with a problem, takes the full path below
# (tests/test_image_url_fastpath.py proves the two equal).
_PLAIN_URL = re.compile(
    r"https?://([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)(?:/[A-Za-z0-9._~/%=&+-]*)?(?:\?[A-Za-z0-9._~/%=&+-]*)?"
)


def syntax_problem(url: str) -> tuple[Any, str] | None:
    """(rule, why) when a URL string is unacceptable, else None."""
    plain = _PLAIN_URL.fullmatch(url)
    if plain is not None and hostname_problem(plain.group(1).lower(), False) is None:
        return None
    return _syntax_problem(url)


def _syntax_problem(url: str) -> tuple[Any, str] | None:
    """:func:`syntax_problem` without its fast path (the reference it must agree with)."""
    if not url.strip():
        return I101, "the image url is empty"
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        scheme = ""
    if scheme in UNSAFE_SCHEMES:
        return I103, f"a {scheme}: URL is not an image address"
    problem = url_problem(url)
    if problem:
        return I102, problem
    try:
        URL(url, encoded=False)  # the HTTP client's own parser (yarl, under aiohttp)
    except (ValueError, TypeError, UnicodeError) as exc:
        return I102, f"the HTTP client rejects it: {exc}"
    return None


def _field(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def image_items(schema: Schema, data: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(field path, mapping) of every image of a record: the rows the ``images`` table gets.

    Walks the front matter the way the table builder does (``qa/tables.py``), led by the
    schema: a list of mappings declared as the ``images`` child table, wherever it stands
    (``images[0]``, ``related[1].images[0]``). Only the keys that can lead to an image are
    looked up (see :func:`_image_plans`), in the record's order."""
    out: list[tuple[str, Mapping[str, Any]]] = []
    plans = _image_plans(schema)
    plan = plans.get("clippings")
    if plan:
        _walk_plan(plans, plan, "", "", data, out)
    return iter(out)


# A mapping level's plan: the steps (key, nested level's plan or None, child table or None)
# of the keys that can lead to an image, in the schema's order.
_Plan = tuple["_Step", ...]
_Step = tuple[str, _Plan | None, str | None]
_PLANS: dict[int, tuple[Schema, dict[str, _Plan]]] = {}


def _image_plans(schema: Schema) -> dict[str, _Plan]:
    """Per table, the plan of its root level (tables that hold no image have none); one per
    loaded schema. A key that is a column is never walked; a mapping goes before a child
    table of the same name (as in :class:`qa.tables.TableBuilder`)."""
    cached = _PLANS.get(id(schema))
    if cached is not None and cached[0] is schema:
        return cached[1]
    # the tables from which an ``images`` row can be reached (a fixpoint: tables may nest)
    reach: set[str] = set()
    changed = True
    while changed:
        changed = False
        for name, spec in schema.tables.items():
            if name not in reach and _plan(spec.root, reach) is not None:
                reach.add(name)
                changed = True
    plans = {name: plan for name in reach if (plan := _plan(schema.tables[name].root, reach))}
    if len(_PLANS) >= 8:
        _PLANS.clear()
    _PLANS[id(schema)] = (schema, plans)
    return plans


def _plan(level: MappingSpec, reach: set[str]) -> _Plan | None:
    steps: list[tuple[str, _Plan | None, str | None]] = []
    for key in (*level.mappings, *level.children):
        if key in level.columns or any(step[0] == key for step in steps):
            continue
        if key in level.mappings:
            sub = _plan(level.mappings[key], reach)
            if sub is not None:
                steps.append((key, sub, None))
        elif (child := level.children[key]) == "images" or child in reach:
            steps.append((key, None, child))
    return tuple(steps) or None


def _walk_plan(
    plans: dict[str, _Plan],
    plan: _Plan,
    prefix: str,
    column_prefix: str,
    data: Mapping[str, Any],
    out: list[tuple[str, Mapping[str, Any]]],
) -> None:
    steps: tuple[_Step, ...]
    if len(plan) == 1:
        steps = plan if plan[0][0] in data else ()
    else:
        steps = tuple(step for step in plan if step[0] in data)
        if len(steps) > 1:  # in the record's order
            order = list(data)
            steps = tuple(sorted(steps, key=lambda step: order.index(step[0])))
    for key, sub, child in steps:
        value = data[key]
        if sub is not None:
            if isinstance(value, dict):
                _walk_plan(plans, sub, prefix, f"{column_prefix}{key}.", value, out)
            continue
        if not isinstance(value, list):
            continue
        field_path = _field(prefix, f"{column_prefix}{key}")
        child_plan = plans.get(child) if child is not None else None
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                continue
            item_path = f"{field_path}[{i}]"
            if child == "images":
                out.append((item_path, item))
            if child_plan is not None:
                _walk_plan(plans, child_plan, item_path, "", item, out)


@lru_cache(maxsize=4)
def _default_schema(directory: str | None) -> Schema:
    return load_schema(directory)


def check_record(rec: Record, ctx: Context) -> Iterator[Finding]:
    """I101-I105, per image: they depend on the image alone, so they run in the per-file stage
    (in the workers, and kept by the result cache)."""
    if rec.data is None:
        return
    schema = ctx.run.get("schema")
    if not isinstance(schema, Schema):  # a check called outside a run (tests, tools)
        schema = _default_schema(ctx.run.get("schema_dir"))
    limit = int(ctx.get("max-dimension"))
    allow = run_allow_list(ctx)
    for fld, item in image_items(schema, rec.data):
        url, width, height = item.get("url"), item.get("width"), item.get("height")
        if (
            type(width) is int  # the common case, in short: a good url and sizes, no finding
            and type(height) is int
            and 0 < width <= limit
            and 0 < height <= limit
            and type(url) is str
            and syntax_problem(url) is None
            and not url_issues(url)
        ):
            continue
        yield from image_findings(rec.path, fld, url, width, height, limit, allow)


def run_allow_list(ctx: Context) -> AllowList:
    """The run's ``online-allow`` entries (validated when the configuration was read)."""
    entries = ctx.run.get("online_allow")
    return allow_list(tuple(entries)) if entries else NO_ALLOW


def image_findings(
    path: str, fld: str, raw: Any, width: Any, height: Any, limit: int, allow: AllowList = NO_ALLOW
) -> Iterator[Finding]:
    """I101-I105 and I112-I114 of one image (``fld`` is its field path, like ``images[0]``)."""
    if _missing(raw):
        yield I101.finding(path, "the image has no url", field=fld)
    elif isinstance(raw, str):
        bad = syntax_problem(raw)
        if bad:
            r, why = bad
            yield r.finding(path, f"image url: {why}", field=f"{fld}.url", evidence=redact_url(raw))
        if bad is None or bad[0] is I102:
            yield from url_issue_findings(path, f"{fld}.url", raw, allow)
    for dim, value in (("width", width), ("height", height)):
        if _missing(value):
            yield I104.finding(path, f"the image has no {dim}", field=fld)
            continue
        number = _int(value)
        if number is None:
            continue  # wrong type: the schema's S102
        if number <= 0:
            yield I105.finding(path, f"image {dim} is {number}: must be positive", field=f"{fld}.{dim}", evidence=value)
        elif number > limit:
            yield I105.finding(
                path, f"image {dim} is {number}: larger than {limit} px", field=f"{fld}.{dim}", evidence=value
            )


def url_issue_findings(path: str, fld: str, url: str, allow: AllowList) -> Iterator[Finding]:
    """I112-I114 of an image url (qa.urls.url_issues); a private host on the allow-list is not one."""
    issues = _reported_issues(url, allow)
    secret = any(issue.kind == CREDENTIALS for issue in issues)
    for issue in issues:
        yield _ISSUE_RULES[issue.kind].finding(
            path,
            f"image url: {issue.message}",
            field=fld,
            evidence=redact_url(url),
            span=None if secret else issue.span,  # a report's excerpt around the span would show the secret
        )


def _reported_issues(url: str, allow: AllowList) -> list[UrlIssue]:
    """The URL's issues, less a private host that the allow-list allows."""
    return [
        i
        for i in url_issues(url)
        if not (i.kind == PRIVATE_HOST and i.host is not None and allow.allows(i.host, i.port or 0))
    ]


def _offline_refused(url: str, allow: AllowList) -> bool:
    """Whether I114 reports this URL: it is not requested online (the guard would refuse it)."""
    return any(i.kind == PRIVATE_HOST for i in _reported_issues(url, allow))


def _str_values(series: pd.Series) -> np.ndarray:
    """Where a column holds a string (the table keeps values as loaded: may be mixed)."""
    if isinstance(series.dtype, pd.StringDtype):
        return series.notna().to_numpy(dtype=bool)
    return np.fromiter((isinstance(v, str) for v in series.astype(object)), dtype=bool, count=len(series))


def shared_findings(tables: Tables, threshold: int) -> Iterator[Finding]:
    """I106: an acceptable image URL that illustrates ``threshold`` or more different stories.

    A story is the page an image belongs to: the clipping's canonical webUrl for
    ``images[i]``, the related item's for ``related[j].images[i]`` (many clippings may
    list the same related story, with its one image: that is one story, not a
    placeholder). Vectorised: only the URLs used by ``threshold`` or more (file, owner)
    pairs, an upper bound of their stories, are looked at one by one."""
    images = tables.get("images")
    if threshold <= 1 or images is None or not len(images) or "url" not in images.columns:
        return
    img = images[["_path", "_field", "url"]]
    img = img[_str_values(img["url"])]
    # rows per URL bound its (file, owner) pairs, which bound its stories: keep the URLs
    # with enough rows (a vectorised count) before looking at the rest
    uses = img["url"].value_counts()
    img = img[img["url"].isin(uses.index[uses >= threshold])]
    if img.empty:
        return
    img = pd.DataFrame(
        {
            "url": img["url"].astype(object).to_numpy(),
            "path": img["_path"].astype(object).map(str).to_numpy(),
            "field": img["_field"].astype(object).map(str).to_numpy(),
        }
    )
    # owner: the field of the mapping the image belongs to ("" for the clipping itself)
    img["owner"] = img["field"].str.rpartition(".images[")[0]
    pairs = img.drop_duplicates(["url", "path", "owner"])
    counts = pairs["url"].value_counts()
    candidates = counts[counts >= threshold].index
    if not len(candidates):
        return
    cand = img[img["url"].isin(candidates)]
    wanted = set(zip(cand["path"], cand["owner"], strict=True))
    stories = _stories(tables, wanted)
    users: dict[str, set[str]] = defaultdict(set)
    pages: dict[str, set[str]] = defaultdict(set)
    first: dict[tuple[str, str], str] = {}
    for url, path, fld, owner in zip(cand["url"], cand["path"], cand["field"], cand["owner"], strict=True):
        users[url].add(path)
        pages[url].add(stories.get((path, owner), f"{path}\x00{owner}"))
        first.setdefault((url, path), fld)
    for url, paths in users.items():
        if len(pages[url]) < threshold or syntax_problem(url) is not None:
            continue
        ordered = sorted(paths)
        yield I106.finding(
            ordered[0],
            f"this image url illustrates {len(pages[url])} different stories in {len(paths)} clippings "
            "(a placeholder or logo?)",
            field=f"{first[(url, ordered[0])]}.url",
            evidence=redact_url(url),
            related=ordered[1:],
        )


def _stories(tables: Tables, wanted: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """(path, owner field) -> the canonical webUrl of the page, for the ``wanted`` pairs."""
    out: dict[tuple[str, str], str] = {}
    paths = {path for path, _ in wanted}
    for name in ("clippings", "related"):
        df = tables.get(name)
        if df is None or not len(df) or "webUrl" not in df.columns:
            continue
        df = df[df["_path"].astype(object).isin(paths).to_numpy(dtype=bool)]
        for path, prefix, web in zip(df["_path"], df["_field"], df["webUrl"], strict=True):
            pair = (str(path), "" if prefix is None or prefix is pd.NA else str(prefix))
            if pair not in wanted:
                continue
            key = url_key(web) if isinstance(web, str) else None
            if key is not None:
                out[pair] = key
    return out


def _rows(tables: Tables) -> Iterator[dict[str, Any]]:
    """The images table's rows (for the online checks)."""
    images = tables.get("images")
    if images is None or not len(images):
        return
    cols = [c for c in ("_path", "_field", "url", "width", "height") if c in images.columns]
    for row in images[cols].to_dict("records"):
        yield {str(k): v for k, v in row.items()}


_MINIMUM = {"concurrency": 1, "per-host": 1, "connect-timeout": 0.01, "read-timeout": 0.01, "deadline": 0.01}
_NOT_NEGATIVE = ("max-redirects", "retries", "backoff", "max-retry-after", "size-tolerance")


def settings_from(ctx: Context) -> Settings:
    from qa.checks._imagefetch import Settings

    o = dict(ctx.options)
    for key, low in _MINIMUM.items():
        if o[key] < low:
            _notice(ctx, f"image_url: {key} = {o[key]!r} is too small; using {low}")
            o[key] = low
    for key in _NOT_NEGATIVE:
        if o[key] < 0:
            _notice(ctx, f"image_url: {key} = {o[key]!r} is negative; using 0")
            o[key] = 0
    return Settings(
        user_agent=f"clipqa/{ctx.run.get('tool_version', '0')} (image check)",
        concurrency=int(o["concurrency"]),
        per_host=int(o["per-host"]),
        connect_timeout=float(o["connect-timeout"]),
        read_timeout=float(o["read-timeout"]),
        max_redirects=int(o["max-redirects"]),
        retries=int(o["retries"]),
        backoff=float(o["backoff"]),
        max_retry_after=float(o["max-retry-after"]),
        deadline=float(o["deadline"]),
        read_bytes=bool(o["read-bytes"]),
        allow=tuple(ctx.run.get("online_allow") or ()),
        ports=tuple(int(p) for p in o["allowed-ports"]),
        schemes=tuple(str(s).lower() for s in o["allowed-schemes"]),
    )


def _notice(ctx: Context, text: str) -> None:
    notices = ctx.run.get("notices")
    if isinstance(notices, list):
        notices.append(text)


def _where(p: Probe) -> str:
    bits = []
    if p.status is not None:
        bits.append(f"status {p.status}")
    if p.final_url and p.final_url != p.url:
        bits.append(f"final URL {p.final_url}")
    return f" ({', '.join(bits)})" if bits else ""


def online_findings(rows: list[dict[str, Any]], ctx: Context) -> Iterator[Finding]:
    usable: dict[str, list[dict[str, Any]]] = defaultdict(list)
    acceptable: dict[str, bool] = {}
    allow = run_allow_list(ctx)
    for row in rows:
        url = _str(row.get("url"))
        if url is None:
            continue
        if url not in acceptable:
            acceptable[url] = syntax_problem(url) is None and not _offline_refused(url, allow)
        if acceptable[url]:
            usable[url].append(row)
    if not usable:
        return
    from qa.checks._imagefetch import REFUSED, Cache, probe_all

    o = ctx.options
    cache_dir = ctx.run.get("cache_dir") if o["cache"] else None
    cache = Cache(cache_dir, float(o["cache-ttl"]), float(o["cache-ttl-failure"]))
    settings = settings_from(ctx)
    t0 = time.perf_counter()
    try:
        result = probe_all(usable, settings, cache)
    finally:
        cache.close()
    took = time.perf_counter() - t0
    tolerance = int(o["size-tolerance"])
    if result.no_network:
        refusals = {url: p for url, p in result.probes.items() if p.outcome == REFUSED}
        _notice(
            ctx,
            f"image_url: no network (no host name resolves): {len(usable) - len(refusals)} image URLs were not "
            "checked online; the offline image checks ran",
        )
        for url, probe in refusals.items():  # refused by the policy, network or not
            for row in usable[url]:
                yield from _probe_findings(probe, row, tolerance)
        return
    if result.unfinished:
        _notice(
            ctx,
            f"image_url: deadline of {settings.deadline:g} s reached: {len(result.unfinished)} of {len(usable)} "
            "image URLs were not checked online",
        )
    refused = f", {result.refused} refused (not on the public internet, or not allowed)" if result.refused else ""
    _notice(
        ctx,
        f"image_url: {len(usable)} distinct image URLs checked online in {took:.1f} s "
        f"({result.fetched} fetched, {result.from_cache} from the cache{refused})",
    )
    for url, probe in result.probes.items():
        for row in usable[url]:
            yield from _probe_findings(probe, row, tolerance)


def _probe_findings(p: Probe, row: dict[str, Any], tolerance: int) -> Iterable[Finding]:
    from qa.checks._imagefetch import BAD_URL, CONTENT_TYPE, DNS, EMPTY, NOT_IMAGE, OK, REFUSED, STATUS

    path, fld = str(row.get("_path")), str(row.get("_field"))
    where = _where(p)
    shown = redact_url(p.url)
    if p.outcome == OK:
        w, h = _int(row.get("width")) or 0, _int(row.get("height")) or 0
        real_w, real_h = p.width or 0, p.height or 0
        known = min(w, h, real_w, real_h) > 0
        if known and (abs(real_w - w) > tolerance or abs(real_h - h) > tolerance):
            yield I110.finding(path, f"declared {w}×{h} but the image is {real_w}×{real_h}", field=fld, evidence=shown)
        return
    if p.outcome == DNS:
        yield I109.finding(path, f"image url: {p.detail}", field=f"{fld}.url", evidence=shown)
    elif p.outcome == REFUSED:
        yield I111.finding(path, f"image url not requested: {p.detail}", field=f"{fld}.url", evidence=shown)
    elif p.outcome == STATUS:
        yield I107.finding(path, f"image url is broken: {p.detail}{where}", field=f"{fld}.url", evidence=shown)
    elif p.outcome in (CONTENT_TYPE, EMPTY, NOT_IMAGE):
        yield I108.finding(path, f"image url is not an image: {p.detail}{where}", field=f"{fld}.url", evidence=shown)
    elif p.outcome == BAD_URL:
        yield I102.finding(path, f"image url: {p.detail}", field=f"{fld}.url", evidence=shown)
    else:
        yield I109.finding(path, f"image url cannot be fetched: {p.detail}{where}", field=f"{fld}.url", evidence=shown)


def corpus_keys(tables: Tables, ctx: Context) -> pd.DataFrame:
    """Join keys (``CorpusKeys``, one step): each image URL a file uses. I106 on a URL names
    every file using it; the online findings are each image's own."""
    images = tables.get("images")
    if images is None or not len(images) or "url" not in images.columns:
        return all_keys([])
    img = images[_str_values(images["url"])]
    return all_keys([key_rows(img["_record"], "url", img["url"])])


def corpus(tables: Tables, ctx: Context) -> Iterator[Finding]:
    """I106 (across records) and, online, I107-I110; I101-I105 are per record (check_record)."""
    yield from shared_findings(tables, int(ctx.get("shared-threshold")))
    if ctx.run.get("online"):
        yield from online_findings(list(_rows(tables)), ctx)


CHECK = Check(
    name="image_url",
    rules=(I101, I102, I103, I104, I105, I106, I107, I108, I109, I110, I111, I112, I113, I114),
    doc=__doc__ or "",
    record=check_record,
    corpus=corpus,
    corpus_keys=CorpusKeys(corpus_keys, transitive=False),
    options=OPTIONS,
    validate=validate,
)
