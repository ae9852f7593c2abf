"""Canonical URLs: every folding rule, and what must not be folded."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qa.urls import canonical_url, host_of, port_of, url_host, url_key

CANON = "https://example.com/news/2021/story/"


@pytest.mark.parametrize(
    "variant",
    [
        "https://example.com/news/2021/story/",
        "HTTPS://Example.COM/news/2021/story/",  # scheme and host case
        "https://www.example.com/news/2021/story/",  # www.
        "https://example.com./news/2021/story/",  # trailing dot of the host
        "https://example.com:443/news/2021/story/",  # default port
        "https://example.com/news/2021/story/#comments",  # fragment
        "https://example.com/news/2021/story/?utm_source=twitter&utm_medium=social",  # utm_*
        "https://example.com/news/2021/story/?UTM_Campaign=x",  # parameter names are case-insensitive
        "https://example.com/news/2021/story/?fbclid=IwAR0abc",
        "https://example.com/news/2021/story/?gclid=abc&msclkid=def&mc_cid=1&mc_eid=2",
        "https://example.com/news/2021/story/amp/",  # AMP path segment (WordPress)
        "https://example.com/amp/news/2021/story/",  # leading AMP segment (BBC style)
        "https://example.com/news/2021/story/?amp",  # bare AMP switch
        "https://example.com/news/2021/story/?amp=1",
        "https://example.com/news/2021/story/?amp-content=amp",  # spokesman.com
        "https://example.com/news/2021/story/?outputType=amp",
        "https://amp.example.com/news/2021/story/",  # amp. subdomain
        "https://www.amp.example.com/news/2021/story/",
        "https://example-com.cdn.ampproject.org/c/s/example.com/news/2021/story/",  # AMP cache, https
        "https://www-example-com.cdn.ampproject.org/c/s/www.example.com/news/2021/story/amp/",
        "https://www-example-com.cdn.ampproject.org/v/s/www.example.com/news/2021/story/?amp=1&usqp=mq331AQ",
        "https://www.google.com/amp/s/www.example.com/news/2021/story/amp/",  # Google AMP viewer
    ],
)
def test_variants_fold_to_the_canonical_url(variant: str) -> None:
    assert canonical_url(variant) == CANON
    assert url_key(variant) == url_key(CANON) == "example.com/news/2021/story"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # meaningful parameters are kept, as written, in their order
        ("https://example.com/a?id=3&utm_source=x&page=2", "https://example.com/a?id=3&page=2"),
        ("https://example.com/a?q=caf%C3%A9+au+lait", "https://example.com/a?q=caf%C3%A9+au+lait"),
        # parameters that merely look like tracking or AMP ones are kept
        ("https://example.com/a?campaign=x&ampersand=1&amp=0b", "https://example.com/a?campaign=x&ampersand=1"),
        ("https://example.com/a?format=json", "https://example.com/a?format=json"),
        # a segment that only contains "amp" is a different page
        ("https://example.com/amplifiers/review/", "https://example.com/amplifiers/review/"),
        ("https://example.com/camp/amp/", "https://example.com/camp/"),
        ("https://example.com/story.amp.html", "https://example.com/story.html"),
        ("https://example.com/story.amp", "https://example.com/story"),
        ("https://example.com/amp", "https://example.com/"),
        # non-default ports, http, sub-domains other than www./amp. are kept
        ("http://example.com:8080/a", "http://example.com:8080/a"),
        ("https://m.example.com/a", "https://m.example.com/a"),
        ("https://news.example.com/a", "https://news.example.com/a"),
        ("https://www.co/a", "https://www.co/a"),  # "www.co" is a host of its own, not www. + "co"
        ("https://example.com", "https://example.com/"),
        ("  https://example.com/a  ", "https://example.com/a"),
        ("http://[2001:db8::1]:8080/a#x", "http://[2001:db8::1]:8080/a"),
        # an AMP cache URL without the s/ marker wraps an http page
        ("https://example-com.cdn.ampproject.org/c/example.com/a/amp/", "http://example.com/a/"),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("https://example.com/a/", "https://example.com/b/"),
        ("https://example.com/a?id=1", "https://example.com/a?id=2"),
        ("https://example.com/a", "https://other.example/a"),
        ("https://m.example.com/a", "https://example.com/a"),
        ("https://example.com:8443/a", "https://example.com/a"),
    ],
)
def test_different_pages_keep_different_keys(a: str, b: str) -> None:
    assert url_key(a) != url_key(b)


def test_key_ignores_scheme_trailing_slash_and_parameter_order() -> None:
    assert url_key("http://example.com/a?b=2&a=1") == url_key("https://www.example.com/a/?a=1&b=2&utm_x=3")
    assert canonical_url("http://example.com/a") != canonical_url("https://example.com/a")


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "not a url",
        "/relative/path",
        "ftp://example.com/a",
        "mailto:someone@example.com",
        "https://",
        "https://example.com:99999/a",  # port out of range
        "http://[::1/a",  # unclosed IPv6 bracket
        None,
        42,
        ["https://example.com/"],
    ],
)
def test_non_urls_have_no_canonical_form(bad: object) -> None:
    assert canonical_url(bad) is None
    assert url_key(bad) is None


def test_seed_amp_variants_fold_to_their_web_url() -> None:
    # from seed 000's related item and seed 001
    web = "https://www.spokesman.com/stories/2021/dec/27/china-pursues-tech-self-reliance-fueling-global-un/"
    amp = web + "?amp-content=amp"
    cdn = (
        "https://www-spokesman-com.cdn.ampproject.org/c/s/www.spokesman.com/stories/2021/dec/27/"
        "china-pursues-tech-self-reliance-fueling-global-un/?amp-content=amp"
    )
    assert canonical_url(amp) == canonical_url(cdn) == canonical_url(web)
    wboy = "https://www.wboy.com/technology/china-pursues-tech-self-reliance-fueling-global-unease/"
    wboy_cdn = (
        "https://www-wboy-com.cdn.ampproject.org/c/s/www.wboy.com/technology/"
        "china-pursues-tech-self-reliance-fueling-global-unease/amp/"
    )
    assert url_key(wboy_cdn) == url_key(wboy + "amp/") == url_key(wboy)


segment = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_.~", min_size=1, max_size=12)


@given(
    host=st.lists(
        st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=8), min_size=2, max_size=4
    ),
    path=st.lists(segment, max_size=5),
    params=st.lists(st.tuples(segment, segment), max_size=4),
    slash=st.booleans(),
)
def test_canonical_form_is_a_fixed_point(
    host: list[str], path: list[str], params: list[tuple[str, str]], slash: bool
) -> None:
    url = f"https://{'.'.join(host)}/{'/'.join(path)}{'/' if slash and path else ''}"
    if params:
        url += "?" + "&".join(f"{k}={v}" for k, v in params)
    canon = canonical_url(url)
    assert canon is not None
    assert canonical_url(canon) == canon
    assert url_key(canon) == url_key(url)


URLISH = st.one_of(
    st.text(max_size=40),
    st.builds(
        lambda scheme, user, host, port, rest: f"{scheme}://{user}{host}{port}{rest}",
        st.sampled_from(["http", "https", "HTTP", "ftp", ""]),
        st.sampled_from(["", "u@", "u:p@", "@"]),
        st.sampled_from(["Example.COM", "www.example.com.", "[::1]", "[::1", "xn--bcher-kva.example", "exa mple", ""]),
        st.sampled_from(["", ":80", ":0", ":99999", ":x", ":"]),
        st.text(alphabet="/?#&=a%", max_size=8),
    ),
)


@given(URLISH)
def test_url_host_is_urllibs_hostname(url: str) -> None:
    """The memoised host is urllib's, and it raises where urlsplit raises (never a cached error)."""
    from urllib.parse import urlsplit

    try:
        expected: str | type[ValueError] | None = urlsplit(url).hostname
    except ValueError:
        expected = ValueError
    for _ in range(2):  # a cache miss, then a hit
        try:
            got: str | type[ValueError] | None = url_host(url)
        except ValueError:
            got = ValueError
        assert got == expected


@given(URLISH)
def test_host_of_and_port_of_are_urllibs(url: str) -> None:
    """The bare-host-name shortcut gives what urllib's properties give (and raises where they raise)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
    except ValueError:
        return
    assert host_of(parts) == parts.hostname
    try:
        port: int | type[ValueError] | None = parts.port
    except ValueError:
        port = ValueError
    try:
        got: int | type[ValueError] | None = port_of(parts)
    except ValueError:
        got = ValueError
    assert got == port


def _reference_fold_amp_path(path: str) -> str:
    """qa.urls._fold_amp_path before its shortcut for paths without "amp"."""
    segments = path.split("/")
    kept = [s for s in segments if s.lower() != "amp"]
    if len(kept) != len(segments):
        if len(kept) == 1:
            return "/"
        if segments[-1].lower() == "amp" and kept[-1] != "":
            kept.append("")
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


PATHS = st.lists(
    st.one_of(st.sampled_from(["amp", "AMP", "Amp", "a.amp.html", "b.AMP.htm", "c.amp", ".amp", "ampx", "x", ""]),
              st.text(alphabet="aAmMpP.xΣς/", max_size=6)),
    max_size=5,
).map(lambda parts: "/" + "/".join(parts))  # fmt: skip


@given(PATHS)
def test_fold_amp_path_equals_the_reference(path: str) -> None:
    from qa.urls import _fold_amp_path

    assert _fold_amp_path(path) == _reference_fold_amp_path(path)


@given(
    st.sampled_from(["www-example-com.cdn.ampproject.org", "google.com", "www.google.com", "example.com", "amp.x.org"]),
    st.sampled_from(["/c/s/example.com/a", "/amp/s/example.com/a", "/v/example.com/", "/wp/x.org/a", "/amp/", "/a/b"]),
    st.sampled_from(["", "q=1"]),
)
def test_amp_cache_urls_unwrap_as_before(host: str, path: str, query: str) -> None:
    """The host is tested before the path is split; the answers are the ones of both tests."""
    from urllib.parse import urlsplit

    from qa.urls import AMP_CACHE_SUFFIX, _unwrap_amp_cache

    parts = urlsplit(f"https://{host}{path}" + (f"?{query}" if query else ""))
    segments = parts.path.split("/")
    cache = host.endswith(AMP_CACHE_SUFFIX) and segments[1:2] in (["c"], ["v"], ["i"], ["r"], ["a"], ["wp"])
    viewer = host in ("google.com", "www.google.com") and segments[1:2] == ["amp"]
    got = _unwrap_amp_cache(parts, host)
    if not (cache or viewer):
        assert got is None
    else:
        rest = segments[2:]
        https = bool(rest) and rest[0] == "s"
        rest = rest[1:] if https else rest
        if not rest or not rest[0] or "." not in rest[0]:
            assert got is None
        else:
            assert got == f"{'https' if https else 'http'}://{'/'.join(rest)}" + (f"?{query}" if query else "")


@pytest.mark.parametrize("userinfo", ["user:s3cret@", "token@", ":s3cret@", "@"])
def test_user_info_is_not_part_of_a_page(userinfo: str) -> None:
    """Credentials say who asked, not which page: the canonical form and the key drop them, so
    a copy of a story behind a login is still its duplicate, and no key carries a secret."""
    with_secret = f"https://{userinfo}www.example.com/story?id=3"
    assert (
        canonical_url(with_secret)
        == canonical_url("https://example.com/story?id=3")
        == "https://example.com/story?id=3"
    )
    assert url_key(with_secret) == url_key("http://example.com/story/?id=3")
    assert "s3cret" not in (url_key(with_secret) or "")
