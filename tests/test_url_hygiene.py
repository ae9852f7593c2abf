"""URL hygiene without the network (issue 22): qa.urls and the rules that use it.

* which addresses are not on the public internet (``address_problem``), and every spelling
  of an address a host can take (``host_address``: the forms glibc's ``inet_aton`` reads,
  checked against the C library itself);
* ``url_issues``: characters RFC 3986 allows only percent-encoded, user-info, private hosts;
* the rules: I112-I114 on image urls, S114-S116 on the schema's URL fields (webUrl,
  originalUrl, ampWebUrl, cdnAmpWebUrl, and the same of related items), secrets masked in
  findings and reports, and the ``online-allow`` list, which silences I114 for its hosts.
"""

from __future__ import annotations

import copy
import dataclasses
import ipaddress
import json
import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from qa.cli import write_reports
from qa.config import load_config
from qa.findings import Finding
from qa.pipeline import RunResult, run
from qa.urls import (
    CHARACTERS,
    CREDENTIALS,
    PRIVATE_HOST,
    AllowList,
    _url_issues,
    address_problem,
    host_address,
    parse_allowed_host,
    redact_url,
    url_issues,
)
from tests.clipping import BASE, clipping

# ---------------------------------------------------------------- addresses


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("127.255.255.254", "loopback"),
        ("10.20.30.40", "private (10.0.0.0/8"),
        ("172.16.0.1", "private (172.16.0.0/12"),
        ("172.31.255.255", "private (172.16.0.0/12"),
        ("192.168.1.1", "private (192.168.0.0/16"),
        ("100.64.0.1", "carrier-grade NAT"),
        ("100.127.255.254", "carrier-grade NAT"),
        ("169.254.169.254", "cloud metadata"),
        ("169.254.1.1", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("0.1.2.3", "this network"),
        ("224.0.0.251", "multicast"),
        ("239.255.255.250", "multicast"),
        ("255.255.255.255", "broadcast"),
        ("240.0.0.1", "reserved"),
        ("192.0.2.10", "documentation"),
        ("198.18.0.1", "benchmarking"),
        ("::1", "loopback (::1)"),
        ("::", "unspecified"),
        ("fe80::1", "link-local (fe80::/10)"),
        ("fc00::1", "unique local"),
        ("fd00:ec2::254", "unique local"),  # AWS's IPv6 metadata address
        ("fec0::1", "site-local"),
        ("ff02::1", "multicast"),
        ("2001:db8::1", "documentation"),
        ("3fff::1", "documentation"),
        ("100::1", "discard-only"),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo"),
        ("64:ff9b:1::1", "local-use NAT64"),
        ("::ffff:127.0.0.1", "IPv4-mapped IPv6 form of 127.0.0.1: loopback"),
        ("::ffff:10.0.0.1", "IPv4-mapped IPv6 form of 10.0.0.1: private"),
        ("::127.0.0.1", "IPv4-compatible IPv6 form of 127.0.0.1"),
        ("::8.8.8.8", "IPv4-compatible IPv6 form of 8.8.8.8"),  # deprecated: refused even when public
        ("64:ff9b::7f00:1", "NAT64 IPv6 form of 127.0.0.1: loopback"),
        ("64:ff9b::a9fe:a9fe", "NAT64 IPv6 form of 169.254.169.254"),
        ("2002:c0a8:101::1", "6to4 IPv6 form of 192.168.1.1: private"),
        ("::ffff:0:1.2.3.4", "reserved (::/8)"),
        # public ones
        ("8.8.8.8", None),
        ("93.184.215.14", None),
        ("100.63.255.255", None),  # just below the CGNAT block
        ("172.32.0.1", None),  # just above 172.16/12
        ("::ffff:8.8.8.8", None),
        ("64:ff9b::808:808", None),  # NAT64 of a public address
        ("2002:808:808::1", None),  # 6to4 of a public address
        ("2606:4700:4700::1111", None),
    ],
)
def test_address_problem(address: str, why: str | None) -> None:
    got = address_problem(ipaddress.ip_address(address))
    if why is None:
        assert got is None
    else:
        assert got is not None and why in got


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0X7F000001", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("0x7f.0.0.1", "127.0.0.1"),
        ("0177.0.0.01", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("127.0.1", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("10.0x10.0x10", "10.16.0.16"),
        ("0", "0.0.0.0"),
        ("0x", "0.0.0.0"),
        ("0xa9fea9fe", "169.254.169.254"),
        ("127.0.0.1.", "127.0.0.1"),  # a trailing dot: browsers read it so
        ("[::1]", "::1"),
        ("::ffff:7f00:1", "127.0.0.1"),  # IPv4-mapped: the IPv4 address it is
        ("[fe80::1%25eth0]", "fe80::1"),
        ("fe80::1%eth0", "fe80::1"),
        # names, or nothing any resolver reads as an address
        ("example.com", None),
        ("1.2.3.4.5", None),
        ("256.0.0.1", None),
        ("1.2.3.256", None),
        ("1.2.65536", None),
        ("4294967296", None),
        ("08.0.0.1", None),  # 8 is no octal digit
        ("0x1g", None),
        ("1..2", None),
        ("1e3", None),
        ("١٢٧.0.0.1", None),  # Arabic-Indic digits are not digits to inet_aton
        ("", None),
    ],
)
def test_host_address_reads_every_spelling(host: str, address: str | None) -> None:
    got = host_address(host)
    assert (None if got is None else got.compressed) == address


def _libc_address(text: str) -> str | None:
    try:
        return socket.inet_ntoa(socket.inet_aton(text))
    except (OSError, ValueError):
        return None


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet="0123456789xXabcdefABCDEFg.", min_size=1, max_size=16))
@example("0x7f.1")
@example("0x")
@example("00x1")
@example("0x.1")
@example("1.0x")
@example("4294967295")
@example("0377.0377.0377.0377")
@example("0400.0.0.0")
def test_ipv4_spellings_agree_with_the_c_library(text: str) -> None:
    """Every string the C library's inet_aton (what getaddrinfo uses for a numeric host) reads
    as an address is the same address to host_address. host_address reads more only where
    browsers do (the WHATWG URL standard): a trailing dot, and a bare "0x" part as 0."""
    libc = _libc_address(text)
    ours = host_address(text)
    if libc is not None:
        assert ours is not None and ours.compressed == libc
    elif ours is not None:
        parts = (text[:-1] if text.endswith(".") else text).split(".")
        as_libc = ".".join("0" if p in ("0x", "0X") else p for p in parts)
        assert as_libc != text and _libc_address(as_libc) == ours.compressed


# ---------------------------------------------------------------- url_issues


def kinds(url: str) -> list[str]:
    return [i.kind for i in url_issues(url)]


@pytest.mark.parametrize(
    ("url", "words", "at"),
    [
        ('https://cdn.example.com/x.jpg"><b>', ["'\"' (%22)", "'>' (%3E)", "'<' (%3C)"], 29),
        ("https://cdn.example.com/a\\b.jpg", ["'\\\\' (%5C)"], 25),
        ("https://cdn.example.com/{width}x{height}/a.jpg", ["'{' (%7B)", "'}' (%7D)"], 24),
        ("https://cdn.example.com/a.jpg?x=1|2^3`", ["'|' (%7C)", "'^' (%5E)", "'`' (%60)"], 33),
        ("https://cdn.example.com/a%2.jpg", ["'%' not followed by two hex digits (%25)"], 25),
        ("https://cdn.example.com/a.jpg?f[]=1", ["'[' (%5B)", "']' (%5D)"], 31),
        ("https://cdn.example.com/a.jpg#top#bottom", ["a second '#' (%23)"], 33),
        ("https://cdn.example.com/gpj.\u202eexe", ["U+202E RIGHT-TO-LEFT OVERRIDE"], 28),
        ("https://cdn.example.com/a\u200bb.jpg", ["U+200B ZERO WIDTH SPACE"], 25),
    ],
)
def test_characters_rfc_3986_allows_only_escaped(url: str, words: list[str], at: int) -> None:
    issues = [i for i in url_issues(url) if i.kind == CHARACTERS]
    assert len(issues) == 1
    for w in words:
        assert w in issues[0].message
    assert issues[0].span == (at, at + 1)


@pytest.mark.parametrize(
    "url",
    [
        "https://cdn.example.com/a/b-c_d.e~f.jpg?w=1280&h=720;q=80,x=(1)!*'$+@:/?",
        "https://thumb.spokesman.com/pLKPNxTyW1r3BKA5WkdEwmAiVR0=/480x0/media.spokesman.com/photos/a.jpg",
        "https://cdn.example.com/caf%C3%A9.jpg#frag/with?delims",
        "https://[2606:4700:4700::1111]:8443/a.jpg",
        "https://de.wikipedia.org/wiki/Müller",  # an IRI: non-ASCII letters are not RFC 3986's business here
        "https://bücher.example/a.jpg",
        "https://8.8.8.8/a.jpg",
        "https://xn--bcher-kva.example/a.jpg",
    ],
)
def test_clean_urls_have_no_issue(url: str) -> None:
    assert url_issues(url) == ()


def test_credentials_are_reported_and_masked() -> None:
    (issue,) = url_issues("https://editor:hunter2@cms.example.com/a.jpg")
    assert issue.kind == CREDENTIALS
    assert "a user name and a password" in issue.message and "editor:****@cms.example.com" in issue.message
    assert "hunter2" not in issue.message
    (issue,) = url_issues("https://ghp_abcdef123456@github.example.com/x")
    assert "user-info (a user name or a token)" in issue.message and "****@github.example.com" in issue.message
    assert "ghp_" not in issue.message
    # a URL dressed up as another site's: the user-info is what a reader sees first
    assert CREDENTIALS in kinds("https://www.bbc.co.uk@evil.example/news")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://user:pass@host.example/a@b?c=d@e", "https://user:****@host.example/a@b?c=d@e"),
        ("https://token@host.example/", "https://****@host.example/"),
        ("https://user:@host.example/", "https://user:****@host.example/"),
        ("https://a:b@c:d@host.example:8080/", "https://a:****@host.example:8080/"),
        ("https://host.example/a@b", "https://host.example/a@b"),
        ("not a url @ all", "not a url @ all"),
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://127.0.0.1/a.jpg", "127.0.0.1 is loopback"),
        ("http://0x7f.1:8080/a.jpg", "0x7f.1 is the address 127.0.0.1: loopback"),
        ("http://2130706433/a.jpg", "is the address 127.0.0.1"),
        ("http://[::ffff:a00:1]/a.jpg", "is the address 10.0.0.1: private"),
        ("http://[::1]/a.jpg", "::1 is loopback"),
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),
        ("http://100.64.12.1/a.jpg", "carrier-grade NAT"),
        ("http://localhost:3000/a.jpg", "localhost is a loopback name"),
        ("http://api.localhost/a.jpg", "loopback name"),
        ("http://printer.local/a.jpg", "multicast-DNS"),
        ("http://metadata.google.internal/computeMetadata/v1/", "private-use name (.internal)"),
        ("http://nas.home.arpa/a.jpg", "home-network"),
        ("http://intranet/a.jpg", "single-label name"),
        ("http://LOCALHOST./a.jpg", "loopback name"),
    ],
)
def test_private_hosts(url: str, words: str) -> None:
    issues = [i for i in url_issues(url) if i.kind == PRIVATE_HOST]
    assert len(issues) == 1 and words in issues[0].message, issues


def test_private_host_issue_carries_host_and_port_for_the_allow_list() -> None:
    (issue,) = url_issues("http://0x7f.1:8080/a.jpg")
    assert (issue.host, issue.port) == ("0x7f.1", 8080)
    (issue,) = url_issues("https://localhost/a.jpg")
    assert (issue.host, issue.port) == ("localhost", 443)


_HOST_LABELS = st.one_of(
    st.text(alphabet="abZ09-", min_size=1, max_size=5),
    st.text(alphabet="aZ09x-K\u212a\u017f\uff11", min_size=0, max_size=5),
    st.sampled_from(
        ["localhost", "LOCAL", "internal", "home", "arpa", "home.arpa", "localdomain", "0x7f", "127", "com", "x1"]
    ),
)


@st.composite
def clean_looking_urls(draw: st.DrawFn) -> str:
    """URLs near the fast path's edge: dotted names (and numbers, local names, odd letters),
    ports, and paths of allowed and forbidden characters."""
    scheme = draw(st.sampled_from(["http", "https", "HTTPS", "ftp"]))
    host = ".".join(draw(st.lists(_HOST_LABELS, min_size=1, max_size=4)))
    dot = draw(st.sampled_from(["", "", "."]))
    user = draw(st.sampled_from(["", "", "", "", "", "u@", "u:p@"]))
    port = draw(st.sampled_from(["", "", "", ":8080", ":0", ":99999", ":"]))
    path = draw(
        st.one_of(
            st.text(alphabet="aZ09-._~!$&'()*+,;=:@/?", max_size=14),  # allowed characters only
            st.text(alphabet="aZ09-._~!$&'()*+,;=:@/?%#[]\"<>\\^`{|} é\u200bfF", max_size=14),
        )
    )
    sep = "/" if path and path[0] not in "/?#" else ""
    return f"{scheme}://{user}{host}{dot}{port}{sep}{path}"


@st.composite
def near_clean_urls(draw: st.DrawFn) -> str:
    """A clean URL with at most one character changed into anything: mostly on the fast path."""
    labels = draw(st.lists(st.text(alphabet="abcxyz019-", min_size=1, max_size=6), min_size=1, max_size=3))
    tld = draw(st.sampled_from(["com", "org", "local", "internal", "localhost", "arpa", "x0", "Com"]))
    path = draw(st.text(alphabet="abZ09-._~!$&'()*+,;=:@/?%", max_size=12))
    url = f"https://{'.'.join([*labels, tld])}/{path}"
    if draw(st.booleans()):
        at = draw(st.integers(0, len(url) - 1))
        url = url[:at] + draw(st.characters(max_codepoint=0x3000)) + url[at + 1 :]
    return url


@settings(max_examples=4000, deadline=None)
@given(st.one_of(clean_looking_urls(), near_clean_urls(), st.text(max_size=40)))
@example("https://www.example.com/a/b?c=d&e=%2F#frag")
@example("https://a.localhost/")
@example("https://a.LOCAL/")
@example("https://x.home.arpa/")
@example("http://home.arpa")  # a local-only name with a dot of its own, not only names under it
@example("https://HOME.ARPA/x")
@example("https://a.\u212a/")  # the Kelvin sign: not a k to the fast path
@example("https://example.com./")
@example("https://1.2.3.x1/")
@example("https://a.b/%zz")
@example("https://a.b/#x#y")
def test_url_issues_fast_path_equals_the_full_one(url: str) -> None:
    assert url_issues(url) == _url_issues(url)


def test_no_issue_without_an_authority() -> None:
    for url in ("javascript:alert('<x>')", "data:image/png;base64,<>", "mailto:a@b.example", "/rel/<a>", ""):
        assert url_issues(url) == ()


# ---------------------------------------------------------------- the allow-list


def test_allow_list_entries() -> None:
    allow = AllowList(["127.0.0.1:8080", "cdn.internal", "[::1]:9000", "Bücher.Example:443", "10.0.0.7"])
    assert allow.allows("127.0.0.1", 8080) and not allow.allows("127.0.0.1", 8081)
    assert allow.allows("0x7f.1", 8080) and allow.allows("::ffff:127.0.0.1", 8080)  # the same address
    assert allow.allows("CDN.INTERNAL.", 1) and allow.allows("cdn.internal", 65535)  # no port: any
    assert not allow.allows("img.cdn.internal", 80)  # exactly the host, not its subdomains
    assert allow.allows("::1", 9000) and not allow.allows("::1", 9001)
    assert allow.allows("xn--bcher-kva.example", 443) and allow.allows("bücher.example", 443)
    assert allow.allows("10.0.0.7", 5) and not allow.allows("10.0.0.8", 5)
    assert allow.allows_address(ipaddress.ip_address("::ffff:10.0.0.7"), 80)
    assert not allow.allows("localhost", 8080)  # a name allows that name, not the address it has


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ("http://127.0.0.1:8080", "not a URL"),
        ("10.0.0.0/8", "not a URL or a network"),
        ("user@host", "not a URL"),
        ("host:0", "from 1 to 65535"),
        ("host:http", "from 1 to 65535"),
        ("[::1", "IPv6 address"),
        ("[example.com]:80", "IPv6 address"),
        ("fe80::1:zz", "not an IPv6 address"),
        ("bad host", "not a host name"),
        ("", "no host"),
    ],
)
def test_bad_allow_entries(entry: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        parse_allowed_host(entry)


# ---------------------------------------------------------------- the rules, through the pipeline


def run_corpus(tmp_path: Path, files: dict[str, str], allow: list[str] | None = None, cache: bool = False) -> RunResult:
    folder = tmp_path / "corpus"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    cfg = load_config(None)
    cfg.jobs, cfg.online = 1, False
    cfg.online_allow = allow or []
    return run([str(folder)], cfg, cache_dir=str(tmp_path / "cache") if cache else None)


NEW = {"I112", "I113", "I114", "S114", "S115", "S116"}


def new_findings(result: RunResult) -> list[Finding]:
    return sorted((f for f in result.findings if f.rule in NEW), key=lambda f: (f.path, f.field or "", f.rule))


def with_image(url: str) -> str:
    images = [{"url": url, "width": 1200, "height": 800, "isCached": True}]
    return clipping(images=images)


def test_image_url_rules_are_located(tmp_path: Path) -> None:
    result = run_corpus(
        tmp_path,
        {
            "quote.md": with_image('https://cdn.example.com/x.jpg"><b>'),
            "creds.md": with_image("https://editor:hunter2@cdn.example.com/x.jpg"),
            "private.md": with_image("http://0x7f.1/x.jpg"),
            "fine.md": with_image("https://cdn.example.com/x.jpg"),
        },
    )
    got = [(f.path, f.rule, f.field) for f in new_findings(result)]
    assert got == [
        ("creds.md", "I113", "images[0].url"),
        ("private.md", "I114", "images[0].url"),
        ("quote.md", "I112", "images[0].url"),
    ]
    by = {f.rule: f for f in new_findings(result)}
    assert by["I112"].span == (29, 30) and by["I112"].line is not None
    assert by["I112"].context is not None  # the report shows the quote in its context
    assert by["I113"].evidence == "https://editor:****@cdn.example.com/x.jpg"
    assert "0x7f.1 is the address 127.0.0.1: loopback" in by["I114"].message


def test_schema_url_fields_get_the_same_checks(tmp_path: Path) -> None:
    related = copy.deepcopy(BASE["related"])
    related[0]["webUrl"] = "http://10.1.2.3/hamburg-automation"
    files = {
        "web.md": clipping(webUrl='https://www.maritime.example.com/2025/rotterdam-cranes/"onmouseover="x'),
        "orig.md": clipping(originalUrl="https://editor:hunter2@www.maritime.example.com/2025/rotterdam-cranes/"),
        "amp.md": clipping(ampWebUrl="http://localhost:8080/2025/rotterdam-cranes/amp/"),
        "rel.md": clipping(related=related),
    }
    result = run_corpus(tmp_path, files)
    got = [(f.path, f.rule, f.field) for f in new_findings(result)]
    assert got == [
        ("amp.md", "S116", "ampWebUrl"),
        ("orig.md", "S115", "originalUrl"),
        ("rel.md", "S116", "related[0].webUrl"),
        ("web.md", "S114", "webUrl"),
    ]
    creds = next(f for f in result.findings if f.rule == "S115")
    assert creds.evidence == "https://editor:****@www.maritime.example.com/2025/rotterdam-cranes/"
    # no finding of any rule, and neither report, shows the password (S203 compares originalUrl too)
    assert "hunter2" not in json.dumps([dataclasses.asdict(f) for f in result.findings], default=str)
    write_reports(result, tmp_path / "f.json", tmp_path / "r.html", {})
    assert "hunter2" not in (tmp_path / "f.json").read_text() + (tmp_path / "r.html").read_text()


def test_allowed_hosts_are_not_private_image_hosts(tmp_path: Path) -> None:
    files = {"a.md": with_image("http://127.0.0.1:8123/x.jpg"), "b.md": with_image("http://127.0.0.1:9999/x.jpg")}
    result = run_corpus(tmp_path, files, allow=["127.0.0.1:8123"])
    assert [(f.path, f.rule) for f in new_findings(result)] == [("b.md", "I114")]


def test_the_result_cache_follows_the_allow_list(tmp_path: Path) -> None:
    """I114 runs per file and the result cache keeps it: a changed allow-list must not reuse
    the finding (online-allow is part of the cache's key)."""
    files = {"a.md": with_image("http://127.0.0.1:8123/x.jpg")}
    assert [f.rule for f in new_findings(run_corpus(tmp_path, files, cache=True))] == ["I114"]
    again = run_corpus(tmp_path, files, allow=["127.0.0.1:8123"], cache=True)
    assert new_findings(again) == []
    assert [f.rule for f in new_findings(run_corpus(tmp_path, files, cache=True))] == ["I114"]


def test_seed_clippings_have_no_url_hygiene_finding(seeds_dir: Path, check: Callable[..., RunResult]) -> None:
    result = check([seeds_dir], jobs=1)
    assert [f for f in result.findings if f.rule in NEW] == []
