"""Canonical URLs: one spelling per page, so that copies of a story can be matched.

``canonical_url`` folds the ways one article's address is commonly written:

* scheme and host lower-cased, a trailing dot and a default port dropped;
* a leading ``www.`` dropped, and an ``amp.`` subdomain (``amp.example.com``) folded
  into its parent;
* the fragment dropped;
* tracking parameters dropped: ``utm_*`` and the click ids of the big ad networks
  (``fbclid``, ``gclid``, ``msclkid`` ...), see :data:`TRACKING_PARAMS`;
* AMP variants folded to the canonical page: an ``amp`` path segment
  (``/story/amp/``, ``/amp/story``), a ``.amp.html`` / ``.amp`` suffix, an AMP
  switch in the query (``?amp``, ``?amp=1``, ``?amp-content=amp``,
  ``?outputType=amp``), AMP cache URLs (``www-example-com.cdn.ampproject.org/c/s/
  www.example.com/story``) and Google's AMP viewer (``google.com/amp/s/...``).

Everything is done on the parts that :func:`urllib.parse.urlsplit` returns (no
regular expressions over whole URLs). ``url_key`` goes one step further for
matching: it also ignores the scheme (http and https are the same page), a
trailing slash and the order of the query parameters.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import SplitResult, unquote_plus, urlsplit, urlunsplit

# Query parameters that only say where a click came from; never part of a page's identity.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",  # Facebook
        "gclid",  # Google Ads
        "gclsrc",
        "dclid",  # DoubleClick
        "gbraid",
        "wbraid",
        "msclkid",  # Microsoft Ads
        "yclid",  # Yandex
        "twclid",  # X / Twitter
        "ttclid",  # TikTok
        "li_fat_id",  # LinkedIn
        "igshid",  # Instagram
        "mc_cid",  # Mailchimp
        "mc_eid",
        "_ga",  # Google Analytics cross-domain
        "_gl",
        "_hsenc",  # HubSpot
        "_hsmi",
        "mkt_tok",  # Marketo
        "oly_anon_id",  # Omeda
        "oly_enc_id",
        "vero_id",
        "usqp",  # Google AMP cache
        "ocid",  # MSN
        "cmpid",
        "smid",  # NYT share
        "sr_share",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_")  # Google/Matomo/Piwik campaign tags, HubSpot ads

# Query parameters that switch a page to its AMP rendering: name -> values that mean "AMP"
# (an empty set: any value, including none at all).
AMP_PARAMS: dict[str, frozenset[str]] = {
    "amp": frozenset(),
    "amp-content": frozenset({"amp"}),
    "outputtype": frozenset({"amp"}),
    "output": frozenset({"amp"}),
    "format": frozenset({"amp"}),
}

AMP_CACHE_SUFFIX = ".cdn.ampproject.org"
DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_UNWRAP = 4  # an AMP cache URL wrapping another cache URL ... is unwrapped this many times


def _is_tracking(name: str) -> bool:
    low = name.lower()
    return low in TRACKING_PARAMS or low.startswith(TRACKING_PREFIXES)


def _is_amp_switch(name: str, value: str) -> bool:
    values = AMP_PARAMS.get(name.lower())
    if values is None:
        return False
    return not values or value.lower() in values


def _unwrap_amp_cache(parts: SplitResult, host: str) -> str | None:
    """The URL inside an AMP cache or Google AMP viewer URL, or None if this is not one.

    Cache URLs are ``https://<encoded-host>.cdn.ampproject.org/<c|v|i|r|a>/[s/]<host>/<path>``
    (``s/`` means the original is https), Google's viewer ``https://www.google.com/amp/[s/]<host>/...``.
    """
    on_cache = host.endswith(AMP_CACHE_SUFFIX)
    if not on_cache and host not in ("google.com", "www.google.com"):
        return None  # the usual URL: no need to split its path
    segments = parts.path.split("/")
    # segments[0] is "" (the path starts with "/")
    cache = on_cache and segments[1:2] in (["c"], ["v"], ["i"], ["r"], ["a"], ["wp"])
    viewer = not on_cache and segments[1:2] == ["amp"]
    if not (cache or viewer) or len(segments) < 3:
        return None
    rest = segments[2:]
    scheme = "http"
    if rest and rest[0] == "s":
        scheme = "https"
        rest = rest[1:]
    if not rest or not rest[0] or "." not in rest[0]:
        return None
    inner = f"{scheme}://{'/'.join(rest)}"
    if parts.query:
        inner += f"?{parts.query}"
    return inner


def _fold_amp_path(path: str) -> str:
    """Drop ``amp`` path segments and ``.amp`` suffixes: /a/amp/ -> /a/, /amp/a -> /a, /a.amp.html -> /a.html."""
    if "amp" not in path.lower():
        return path  # the usual path: no segment or suffix to fold
    segments = path.split("/")
    kept = [s for s in segments if s.lower() != "amp"]
    if len(kept) != len(segments):
        if len(kept) == 1:  # the path was "/amp" or "/amp/": the site's front page
            return "/"
        if segments[-1].lower() == "amp" and kept[-1] != "":
            kept.append("")  # /story/amp -> /story/ (keep the slash the AMP segment stood before)
        segments = kept
    last = segments[-1]
    low = last.lower()
    if low.endswith(".amp.html"):
        segments[-1] = last[: -len(".amp.html")] + ".html"
    elif low.endswith(".amp.htm"):
        segments[-1] = last[: -len(".amp.htm")] + ".htm"
    elif low.endswith(".amp") and len(low) > 4:
        segments[-1] = last[: -len(".amp")]
    return "/".join(segments)


# A netloc without these is a bare host name: no user info, port, IPv6 literal or zone id.
_NETLOC_SPECIAL = frozenset("@:[]%")


def host_of(parts: SplitResult) -> str | None:
    """``parts.hostname`` (the host lower-cased; None if there is none). urllib parses the netloc
    again at every ``.hostname``, ``.port`` and ``.username``; the usual netloc, a bare host
    name, needs no parsing."""
    netloc = parts.netloc
    if _NETLOC_SPECIAL.isdisjoint(netloc):
        return netloc.lower() or None
    return parts.hostname


def port_of(parts: SplitResult) -> int | None:
    """``parts.port`` (raises ValueError as it does), without parsing a bare host name."""
    if _NETLOC_SPECIAL.isdisjoint(parts.netloc):
        return None
    return parts.port


def _host(parts: SplitResult) -> str | None:
    try:
        host = host_of(parts)  # lower-cased, brackets of IPv6 literals removed
    except ValueError:
        return None
    if not host:
        return None
    host = host.rstrip(".")
    while host.startswith(("www.", "amp.")) and host.count(".") >= 2:
        host = host[4:]  # www.amp.example.com -> example.com
    return host or None


def _netloc(parts: SplitResult, scheme: str, host: str) -> str | None:
    if _NETLOC_SPECIAL.isdisjoint(parts.netloc):
        return host  # no port, no user info
    try:
        port = parts.port
    except ValueError:
        return None
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    if port is not None and port != DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    if parts.username is not None:
        user = parts.username + (f":{parts.password}" if parts.password is not None else "")
        host = f"{user}@{host}"
    return host


def canonical_url(url: object) -> str | None:
    """The canonical form of an http(s) URL, or None if it is not an absolute http(s) URL.

    >>> canonical_url("https://WWW.Example.com/story/amp/?utm_source=x&id=3#top")
    'https://example.com/story/?id=3'
    """
    parts = _parts(url) if isinstance(url, str) else None
    if parts is None:
        return None
    scheme, netloc, path, query = parts
    return urlunsplit((scheme, netloc, path, "&".join(query), ""))


def url_key(url: object) -> str | None:
    """A key under which the same page's URLs are equal: the canonical URL without its scheme,
    trailing slash and parameter order. None if ``url`` is not an absolute http(s) URL.

    >>> url_key("http://example.com/story/?b=2&a=1") == url_key("https://www.example.com/story?a=1&b=2")
    True
    """
    parts = _parts(url) if isinstance(url, str) else None
    if parts is None:
        return None
    _scheme, netloc, path, query = parts
    key = netloc + (path.rstrip("/") or "/")
    return f"{key}?{'&'.join(sorted(query))}" if query else key


def _kept_query(query: str) -> tuple[str, ...]:
    """The query's parameters without tracking parameters and AMP switches, as written."""
    kept = []
    for piece in query.split("&"):
        if not piece:
            continue
        name, _, value = piece.partition("=")
        name = unquote_plus(name)
        if _is_tracking(name) or _is_amp_switch(name, unquote_plus(value)):
            continue
        kept.append(piece)
    return tuple(kept)


@lru_cache(maxsize=1 << 16)
def split_url(url: str) -> SplitResult:
    """urllib's ``urlsplit``, memoised (a raised ValueError is not). One cache for every caller:
    a clipping's URLs are split for their keys here, for the schema's URL checks and for its
    cross-field checks, which used to split each of them three times."""
    return urlsplit(url)


@lru_cache(maxsize=1 << 16)
def url_host(url: str) -> str | None:
    """``split_url(url).hostname``, memoised: urllib parses the netloc again at every
    ``.hostname``, and the schema's URL checks ask for the host of the same URLs several
    times (~15 times per clipping). Raises ValueError where ``urlsplit`` does."""
    return host_of(split_url(url))


@lru_cache(maxsize=1 << 17)
def _parts(url: str) -> tuple[str, str, str, tuple[str, ...]] | None:
    """(scheme, netloc, path, kept query parameters) of the canonical URL."""
    text = url.strip()
    for _ in range(MAX_UNWRAP + 1):
        try:
            parts = split_url(text)
        except ValueError:
            return None
        scheme = parts.scheme.lower()
        if scheme not in DEFAULT_PORTS:
            return None
        host = _host(parts)
        if host is None:
            return None
        inner = _unwrap_amp_cache(parts, host)
        if inner is None:
            break
        text = inner
    else:
        return None
    netloc = _netloc(parts, scheme, host)
    if netloc is None:
        return None
    path = _fold_amp_path(parts.path) if parts.path else "/"
    return scheme, netloc, path, _kept_query(parts.query) if parts.query else ()
