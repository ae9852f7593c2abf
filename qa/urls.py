"""Canonical URLs: one spelling per page, so that copies of a story can be matched.

``canonical_url`` folds the ways one article's address is commonly written:

* scheme and host lower-cased, a trailing dot and a default port dropped;
* a leading ``www.`` dropped, and an ``amp.`` subdomain (``amp.example.com``) folded
  into its parent;
* the fragment dropped;
* user-info dropped (``user:secret@``): it says who asked, not which page, and a key or
  a message built from the canonical form must never carry a secret into a report (the
  image-URL check flags credentials in a URL on their own);
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

import ipaddress
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import SplitResult, unquote_plus, urlsplit, urlunsplit

import idna

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
    return host  # user-info dropped (see the module's docstring)


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


# ---------------------------------------------------------------- hygiene and reach
#
# What a URL says about where it points, decided without the network: the one place that
# knows which addresses are not on the public internet (``address_problem``), how a host
# may spell an address (``host_address``: every form ``inet_aton`` and browsers accept),
# which names only a local network resolves (``local_name_problem``), what the user has
# allowed (``AllowList``), and the offline findings about a URL string (``url_issues``).
# The schema's URL checks, image_url's offline rules and the online prober's guard
# (qa/checks/_imagefetch.py) all ask here.

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network
# Why an address is not globally routable: the IANA special-purpose registries (RFC 6890 and
# later), most specific first. ``address_problem`` also refuses whatever the running Python
# does not call global, so an older ``ipaddress`` table can only make it stricter.
_SPECIAL: tuple[tuple[_V4 | _V6, str], ...] = (
    (_V4("169.254.169.254/32"), "link-local: the cloud metadata service's address"),
    (_V4("0.0.0.0/32"), "the unspecified address"),
    (_V4("0.0.0.0/8"), '"this network" (0.0.0.0/8)'),
    (_V4("10.0.0.0/8"), "private (10.0.0.0/8, RFC 1918)"),
    (_V4("100.64.0.0/10"), "shared address space for carrier-grade NAT (100.64.0.0/10, RFC 6598)"),
    (_V4("127.0.0.0/8"), "loopback (127.0.0.0/8)"),
    (_V4("169.254.0.0/16"), "link-local (169.254.0.0/16)"),
    (_V4("172.16.0.0/12"), "private (172.16.0.0/12, RFC 1918)"),
    (_V4("192.0.0.0/24"), "reserved for IETF protocol assignments (192.0.0.0/24)"),
    (_V4("192.0.2.0/24"), "reserved for documentation (192.0.2.0/24)"),
    (_V4("192.88.99.0/24"), "the deprecated 6to4 relay anycast block (192.88.99.0/24)"),
    (_V4("192.168.0.0/16"), "private (192.168.0.0/16, RFC 1918)"),
    (_V4("198.18.0.0/15"), "reserved for benchmarking (198.18.0.0/15)"),
    (_V4("198.51.100.0/24"), "reserved for documentation (198.51.100.0/24)"),
    (_V4("203.0.113.0/24"), "reserved for documentation (203.0.113.0/24)"),
    (_V4("224.0.0.0/4"), "multicast (224.0.0.0/4)"),
    (_V4("255.255.255.255/32"), "the broadcast address"),
    (_V4("240.0.0.0/4"), "reserved (240.0.0.0/4)"),
    (_V6("::/128"), "the unspecified address"),
    (_V6("::1/128"), "loopback (::1)"),
    (_V6("64:ff9b:1::/48"), "local-use NAT64 (64:ff9b:1::/48)"),
    (_V6("100::/64"), "discard-only (100::/64)"),
    (_V6("2001::/32"), "Teredo (2001::/32)"),
    (_V6("2001:db8::/32"), "reserved for documentation (2001:db8::/32)"),
    (_V6("2001::/23"), "reserved for IETF protocol assignments (2001::/23)"),
    (_V6("3fff::/20"), "reserved for documentation (3fff::/20)"),
    (_V6("5f00::/16"), "segment routing (5f00::/16)"),
    (_V6("fc00::/7"), "unique local (fc00::/7)"),
    (_V6("fe80::/10"), "link-local (fe80::/10)"),
    (_V6("fec0::/10"), "site-local (fec0::/10, deprecated)"),
    (_V6("ff00::/8"), "multicast (ff00::/8)"),
    (_V6("::/8"), "reserved (::/8)"),
)
_MAPPED = _V6("::ffff:0:0/96")
_COMPATIBLE = _V6("::/96")
_NAT64 = _V6("64:ff9b::/96")
_SIX_TO_FOUR = _V6("2002::/16")


def embedded_ipv4(addr: ipaddress.IPv6Address) -> tuple[str, ipaddress.IPv4Address] | None:
    """(form, IPv4 address) of an IPv6 address that carries one: IPv4-mapped (``::ffff:a.b.c.d``),
    IPv4-compatible (``::a.b.c.d``, deprecated), NAT64 (``64:ff9b::a.b.c.d``) or 6to4
    (``2002:AABB:CCDD::``); None for any other address."""
    if addr in _MAPPED:
        return "IPv4-mapped", ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
    if addr in _COMPATIBLE and int(addr) > 1:
        return "IPv4-compatible", ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
    if addr in _NAT64:
        return "NAT64", ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
    if addr in _SIX_TO_FOUR:
        return "6to4", ipaddress.IPv4Address((int(addr) >> 80) & 0xFFFFFFFF)
    return None


def address_problem(addr: IPAddress) -> str | None:
    """Why a request must not go to this address (it is not on the public internet), or None.

    An IPv6 address that carries an IPv4 address is judged by that address (the IPv4-compatible
    form, deprecated since 2006, is refused outright)."""
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.scope_id:
            addr = ipaddress.IPv6Address(addr.compressed.split("%", 1)[0])
        carried = embedded_ipv4(addr)
        if carried is not None:
            form, v4 = carried
            if form == "IPv4-compatible":
                return f"the {form} IPv6 form of {v4} (deprecated, RFC 4291)"
            inner = address_problem(v4)
            return f"the {form} IPv6 form of {v4}: {inner}" if inner else None
    for network, why in _SPECIAL:
        if addr.version == network.version and addr in network:
            return why
    if addr.is_multicast:
        return "multicast"
    if not addr.is_global:
        return "not globally routable"
    return None


def _ipv4_number(part: str) -> int | None:
    """One part of an IPv4 address as ``inet_aton`` reads it: ``0x``/``0X`` hexadecimal, a
    leading ``0`` octal, else decimal (``0x`` alone is 0, as in glibc and browsers)."""
    if part[:2] in ("0x", "0X"):
        digits = part[2:]
        if not digits:
            return 0
        return int(digits, 16) if all(c in "0123456789abcdefABCDEF" for c in digits) else None
    if not part.isascii() or not part.isdigit():
        return None
    if len(part) > 1 and part[0] == "0":
        return int(part, 8) if all(c in "01234567" for c in part) else None
    return int(part)


def _ipv4_address(host: str) -> ipaddress.IPv4Address | None:
    """An IPv4 address in any spelling that ``inet_aton`` (and so ``getaddrinfo``) or a browser
    accepts: ``2130706433``, ``0x7f000001``, ``0177.0.0.1``, ``127.1``, ``0x7f.1``; a trailing dot
    too (browsers drop it)."""
    parts = host[:-1].split(".") if host.endswith(".") else host.split(".")
    if not 1 <= len(parts) <= 4 or not all(parts):
        return None
    numbers = [_ipv4_number(p) for p in parts]
    if any(n is None for n in numbers):
        return None
    *head, last = [n for n in numbers if n is not None]
    if any(n > 255 for n in head) or last >= 256 ** (4 - len(head)):
        return None
    value = last
    for i, n in enumerate(head):
        value |= n << (8 * (3 - i))
    return ipaddress.IPv4Address(value)


@lru_cache(maxsize=1 << 14)
def host_address(host: str) -> IPAddress | None:
    """The address a host names by itself, in any spelling, or None for a name that DNS must
    resolve. Takes a host as urllib or yarl give it (brackets of an IPv6 literal optional, a
    zone id ``%eth0`` or ``%25eth0`` ignored)."""
    text = host.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    if ":" in text:
        try:
            addr = ipaddress.IPv6Address(text.split("%", 1)[0])
        except ValueError:
            return None
        mapped = addr.ipv4_mapped
        return mapped if mapped is not None else addr
    return _ipv4_address(text)


# Names only a local network resolves: the name itself or any name under it.
_LOCAL_NAMES = {
    "localhost": "a loopback name (RFC 6761)",
    "local": "a multicast-DNS name of the local network (.local, RFC 6762)",
    "internal": "a private-use name (.internal)",
    "home.arpa": "a home-network name (.home.arpa, RFC 8375)",
    "localdomain": "a local-only name (.localdomain)",
}
_LOCAL_SUFFIXES = tuple(f".{name}" for name in _LOCAL_NAMES)


def local_name_problem(host: str) -> str | None:
    """Why a host name can only mean a machine of the local network, or None."""
    name = host.lower().rstrip(".")
    if not name or host_address(name) is not None:
        return None
    for local, why in _LOCAL_NAMES.items():
        if name == local or name.endswith(f".{local}"):
            return why
    if "." not in name:
        return "a single-label name, which only the local network's DNS search domains resolve"
    return None


@lru_cache(maxsize=1 << 14)
def host_problem(host: str) -> str | None:
    """Why a URL's host, as written, points into a private network (a non-public address in any
    spelling, or a local-only name), or None. No DNS: a public-looking name is None here, and
    the online check vets the addresses it resolves to when it connects."""
    addr = host_address(host)
    if addr is None:
        why = local_name_problem(host)
        return f"{host} is {why}" if why else None
    why = address_problem(addr)
    if why is None:
        return None
    if addr.compressed == host.lower().strip("[]"):
        return f"{addr.compressed} is {why}"
    return f"{host} is the address {addr.compressed}: {why}"


def canonical_host_name(host: str) -> str:
    """A host name as DNS and the allow-list compare it: lower case, no trailing dot, IDNA
    (punycode) for a Unicode name; a name IDNA refuses is kept lower-cased."""
    name = host.strip().lower().rstrip(".")
    if name.isascii():
        return name
    try:
        return idna.encode(name, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError):
        return name


@dataclass(frozen=True, slots=True)
class AllowedHost:
    """One ``--online-allow`` entry: a host name or an address, and a port (None: any)."""

    host: str  # canonical name, or the address in its compressed form
    port: int | None
    address: IPAddress | None

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port is None else f"{host}:{self.port}"


def _allow_port(text: str, entry: str) -> int:
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= 65535:
        raise ValueError(f"{entry!r}: the port must be a number from 1 to 65535")
    return int(text)


def parse_allowed_host(entry: str) -> AllowedHost:
    """``HOST``, ``HOST:PORT``, ``[IPv6]``, ``[IPv6]:PORT`` or a bare IPv6 address; ValueError
    with a message naming the entry otherwise."""
    text = entry.strip()
    if "://" in text or "/" in text or "@" in text:
        raise ValueError(f"{entry!r}: give HOST or HOST:PORT, not a URL or a network")
    port: int | None = None
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or not isinstance(host_address(host), ipaddress.IPv6Address) or rest[:1] not in ("", ":"):
            raise ValueError(f"{entry!r}: [ ] must hold an IPv6 address, optionally followed by :PORT")
        if rest:
            port = _allow_port(rest[1:], entry)
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
        port = _allow_port(port_text, entry)
    else:
        host = text  # a name, an IPv4 address, or a bare IPv6 address (no port)
    if not host:
        raise ValueError(f"{entry!r}: no host")
    addr = host_address(host)
    if addr is not None:
        return AllowedHost(addr.compressed, port, addr)
    if ":" in host:
        raise ValueError(f"{entry!r}: not an IPv6 address (write [IPv6]:PORT for a port)")
    name = canonical_host_name(host)
    try:
        idna.encode(name, uts46=True)
    except (idna.IDNAError, UnicodeError, ValueError) as exc:
        raise ValueError(f"{entry!r}: not a host name or an IP address ({exc})") from exc
    return AllowedHost(name, port, None)


class AllowList:
    """The hosts (and ports) the user allows although they are not on the public internet.

    A name entry matches a URL whose host is that name (compared as DNS does); an address
    entry matches the address in any spelling (``127.0.0.1`` also allows ``0x7f.1`` and
    ``[::ffff:127.0.0.1]``), and is what the online guard compares the addresses it connects
    to with. Without a port an entry allows every port."""

    def __init__(self, entries: Iterable[str] = ()) -> None:
        self.entries = tuple(dict.fromkeys(parse_allowed_host(e) for e in entries))
        self._names_ports = {(e.host, e.port) for e in self.entries if e.address is None}
        self._addresses = {(e.address, e.port) for e in self.entries if e.address is not None}

    def __repr__(self) -> str:
        return f"AllowList({[str(e) for e in self.entries]!r})"

    def allows(self, host: str, port: int) -> bool:
        """Whether a URL's host (as urllib or yarl give it) and port are allowed."""
        if not self.entries:
            return False
        addr = host_address(host)
        if addr is not None:
            return self.allows_address(addr, port)
        name = canonical_host_name(host)
        return (name, None) in self._names_ports or (name, port) in self._names_ports

    def allows_address(self, addr: IPAddress, port: int) -> bool:
        """Whether an address (and port) the guard is about to connect to is allowed by an entry."""
        if not self._addresses:
            return False
        if isinstance(addr, ipaddress.IPv6Address):
            if addr.scope_id:
                addr = ipaddress.IPv6Address(addr.compressed.split("%", 1)[0])
            if addr.ipv4_mapped is not None:
                addr = addr.ipv4_mapped
        return (addr, None) in self._addresses or (addr, port) in self._addresses


NO_ALLOW = AllowList()


@lru_cache(maxsize=64)
def allow_list(entries: tuple[str, ...]) -> AllowList:
    """The AllowList of some entries, built once (checked per record, per URL)."""
    return AllowList(entries)


def redact_url(url: str) -> str:
    """The URL with the secret of its user-info masked, as pip does: ``user:pass@`` becomes
    ``user:****@`` and a lone ``token@`` becomes ``****@``. Everything else is left as written."""
    start = url.find("//")
    if start < 0 or "@" not in url:
        return url
    start += 2
    end = len(url)
    for stop in "/?#":
        found = url.find(stop, start)
        if found >= 0:
            end = min(end, found)
    at = url.rfind("@", start, end)
    if at < 0:
        return url
    user, colon, _secret = url[start:at].partition(":")
    masked = f"{user}:****" if colon else "****"
    return f"{url[:start]}{masked}{url[at:]}"


# URL issues (offline findings about a URL string)
CHARACTERS, CREDENTIALS, PRIVATE_HOST = "characters", "credentials", "private-host"


@dataclass(frozen=True, slots=True)
class UrlIssue:
    kind: str  # CHARACTERS, CREDENTIALS or PRIVATE_HOST
    message: str
    span: tuple[int, int] | None = None  # CHARACTERS: the first offending character
    host: str | None = None  # PRIVATE_HOST: the host and port, for the allow-list
    port: int | None = None


# Printable ASCII that RFC 3986 never allows unescaped (white space and control characters
# make a URL invalid outright: url_problem's, not these)
_UNESCAPED = frozenset('"<>\\^`{|}')
_SUSPECT = re.compile(r'["<>\\^`{|}\[\]%#]|[^\x00-\x7f]')
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _unescaped(url: str, netloc_end: int) -> list[tuple[int, str]]:
    """(index, description) of each character RFC 3986 allows only percent-encoded."""
    if _SUSPECT.search(url) is None:
        return []
    out: list[tuple[int, str]] = []
    fragment = url.find("#")
    for i, ch in enumerate(url):
        if ch in _UNESCAPED or (ch in "[]" and i >= netloc_end):
            out.append((i, f"{ch!r} (%{ord(ch):02X})"))
        elif ch == "#" and i > fragment:
            out.append((i, "a second '#' (%23)"))
        elif ord(ch) > 0x7F and unicodedata.category(ch) == "Cf":
            out.append((i, f"the invisible U+{ord(ch):04X} {unicodedata.name(ch, 'FORMAT CHARACTER')}"))
    out.extend((m.start(), "'%' not followed by two hex digits (%25)") for m in _BAD_ESCAPE.finditer(url))
    out.sort()
    return out


# The usual URL, which has no issue, decided by one match: http(s), a dotted host name whose
# last label starts with a letter (never an address in any spelling), an optional port, and
# a path, query and fragment of characters RFC 3986 allows, ``%`` only in ``%XX`` escapes,
# one ``#`` at most, no brackets, no user-info; then the host must not be a local-only name.
# Possessive quantifiers: a near miss fails at once. tests/test_url_hygiene.py proves by
# hypothesis that the fast path and the full one agree.
_PCHARS = r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]++|%[0-9A-Fa-f]{2})*+"
_CLEAN_URL = re.compile(
    r"https?://((?:[a-z0-9-]++\.)++[a-z][a-z0-9-]*+)(?::[0-9]{1,5})?"
    rf"(?:[/?]{_PCHARS})?(?:#{_PCHARS})?",
    re.IGNORECASE | re.ASCII,  # ASCII: no Unicode case folding (K, the Kelvin sign, is no k here)
)


@lru_cache(maxsize=1 << 16)
def url_issues(url: str) -> tuple[UrlIssue, ...]:
    """The offline findings about a URL with an authority (``scheme://host...``): characters RFC
    3986 allows only percent-encoded, user-info (credentials), and a host that points into a
    private network. () for anything else (no scheme or host, or a URL that does not parse:
    those are url_problem's)."""
    clean = _CLEAN_URL.fullmatch(url)
    if clean is not None:
        host = clean.group(1).lower()
        # a local-only name itself (``home.arpa`` has a dot) or any name under one
        if host not in _LOCAL_NAMES and not host.endswith(_LOCAL_SUFFIXES):
            return ()
    return _url_issues(url)


def _url_issues(url: str) -> tuple[UrlIssue, ...]:
    """:func:`url_issues` without its fast path (the reference it must agree with)."""
    try:
        parts = split_url(url)
        host = host_of(parts)
        port = port_of(parts)
    except ValueError:
        return ()
    if not parts.scheme or not parts.netloc:
        return ()
    issues: list[UrlIssue] = []
    netloc_end = url.find("//") + 2 + len(parts.netloc)
    bad = _unescaped(url, netloc_end)
    if bad:
        listed = list(dict.fromkeys(what for _, what in bad))
        more = f" and {len(listed) - 5} more" if len(listed) > 5 else ""
        what = "a character" if len(listed) == 1 else "characters"
        issues.append(
            UrlIssue(
                CHARACTERS,
                f"the URL has {what} that RFC 3986 allows only percent-encoded: {', '.join(listed[:5])}{more}",
                (bad[0][0], bad[0][0] + 1),
            )
        )
    if "@" in parts.netloc:
        userinfo = parts.netloc.rpartition("@")[0]
        what = "a user name and a password" if ":" in userinfo else "user-info (a user name or a token)"
        issues.append(
            UrlIssue(
                CREDENTIALS,
                f"the URL carries {what} before its host ({redact_url('//' + parts.netloc)[2:]}): "
                "credentials do not belong in a clipping, and user-info can make a URL look like another site's",
            )
        )
    if host:
        # judged as the HTTP client will write it: IDNA maps fullwidth digits and dots, "ſ" ... to
        # ASCII, so "１２７。０。０。１" is 127.0.0.1 and "localhoſt" is localhost
        written = host if host.isascii() else canonical_host_name(host)
        why = host_problem(written)
        if why is not None:
            default = DEFAULT_PORTS.get(parts.scheme.lower(), 0)
            shown = why if written == host else f"{host} is {written} to the HTTP client, and {why}"
            issues.append(
                UrlIssue(PRIVATE_HOST, f"the host {shown}", host=written, port=port if port is not None else default)
            )
    return tuple(issues)
