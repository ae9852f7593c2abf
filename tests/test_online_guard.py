"""The online check sends nothing into private networks (issue 22), against real servers.

One image server is allowed (``--online-allow 127.0.0.1:PORT``); "traps" on other loopback
addresses and ports count every TCP connection they accept and must count none: asked
directly, in any spelling of their address, through a redirect from the allowed server, or
through a public-looking name that a resolver maps to them. Each refusal has a positive
control (the same URL, allowed, does reach the trap), so a zero is never a broken server.

Two observers, neither a mock: the traps' own accept counts (read after a sentinel
connection, so a connection still in the listen queue cannot be missed), and Python's audit
events ``socket.connect`` and ``socket.getaddrinfo`` (PEP 578), which show that the metadata
address is never connected to and that a refused host is not even resolved.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import socket
import sys
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

from qa.checks._imagefetch import REFUSED, Cache, Guard, Probe, open_session, probe_all
from qa.cli import write_reports
from qa.config import ConfigError, load_config
from qa.pipeline import run
from tests.test_image_url_online import (
    H,
    Server,
    W,
    _cli,
    allowed_server,
    img_findings,
    running,
    settings,
    write_corpus,
)


class Trap(Server):
    """A server that must receive nothing: it counts every TCP connection it accepts."""

    def __init__(self, host: str = "127.0.0.2") -> None:
        super().__init__(host)
        self.peers: list[tuple[Any, ...]] = []

    def verify_request(self, request: Any, client_address: Any) -> bool:
        with self.lock:
            self.peers.append(tuple(client_address))
        return True

    def received(self) -> int:
        """Connections accepted so far. A sentinel connection of ours is accepted after any
        connection already queued (the listen queue is first in, first out); once it is
        counted, everything before it is too."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as sentinel:
            sentinel.connect((self.host, self.port))
            mine = sentinel.getsockname()[:2]
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                with self.lock:
                    if any(p[:2] == mine for p in self.peers):
                        return len(self.peers) - 1
                time.sleep(0.01)
        raise AssertionError("the trap never accepted the sentinel connection")


@pytest.fixture
def server() -> Iterator[Server]:
    """The image server the tests allow (127.0.0.1 and its port), as in test_image_url_online."""
    with allowed_server() as srv:
        yield srv


@pytest.fixture
def trap() -> Iterator[Trap]:
    with running(Trap("127.0.0.2")) as srv:
        yield srv


@pytest.fixture
def trap_here() -> Iterator[Trap]:
    """A trap on 127.0.0.1 itself (another port than the allowed server's)."""
    with running(Trap("127.0.0.1")) as srv:
        yield srv


def _has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
    except OSError:
        return False
    return True


# ---------------------------------------------------------------- audit events

_EVENTS: list[tuple[str, tuple[Any, ...]]] | None = None
_HOOKED = False


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if _EVENTS is not None and event in ("socket.connect", "socket.getaddrinfo"):
        _EVENTS.append((event, args))


@contextmanager
def network_events() -> Iterator[list[tuple[str, tuple[Any, ...]]]]:
    """Every socket.connect and socket.getaddrinfo of this process (any thread) meanwhile."""
    global _EVENTS, _HOOKED
    if not _HOOKED:  # an audit hook cannot be removed: one, installed on first use, idle outside
        sys.addaudithook(_audit)
        _HOOKED = True
    _EVENTS = []
    try:
        yield _EVENTS
    finally:
        _EVENTS = None


def connected_to(events: list[tuple[str, tuple[Any, ...]]]) -> list[tuple[Any, ...]]:
    return [args[1] for name, args in events if name == "socket.connect" and isinstance(args[1], tuple)]


def resolved(events: list[tuple[str, tuple[Any, ...]]]) -> list[Any]:
    return [args[0] for name, args in events if name == "socket.getaddrinfo"]


# ---------------------------------------------------------------- helpers


def probe_one(url: str, resolver: AbstractResolver | None = None, **kw: Any) -> Probe:
    return probe_all([url], settings(**kw), Cache(None, 0, 0), resolver=resolver).probes[url]


class MapResolver(AbstractResolver):
    """A resolver for names that do not exist: each maps to the addresses given (a public-looking
    name that resolves into the private network, as a hostile DNS zone would answer)."""

    def __init__(self, names: dict[str, list[str]]) -> None:
        self.names = names
        self.asked: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.asked.append(host)
        if host not in self.names:
            raise OSError(f"{host}: no such name")
        return [
            {
                "hostname": host,
                "host": addr,
                "port": port,
                "family": socket.AF_INET6 if ":" in addr else socket.AF_INET,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            }
            for addr in self.names[host]
        ]

    async def close(self) -> None:
        pass


def redirect_to(srv: Server, target: str) -> str:
    return f"{srv.base}/redirect-to?{urllib.parse.quote(target, safe='')}"


# ---------------------------------------------------------------- direct requests


def test_a_second_loopback_address_receives_nothing(server: Server, trap: Trap) -> None:
    with network_events() as events:
        res = probe_all([server.base + "/a.png", trap.base + "/a.png"], settings(), Cache(None, 0, 0))
    ok, refused = res.probes[server.base + "/a.png"], res.probes[trap.base + "/a.png"]
    assert ok.outcome == "ok"
    assert refused.outcome == REFUSED and refused.attempts == 0
    assert "127.0.0.2 is loopback (127.0.0.0/8)" in refused.detail
    assert f"--online-allow 127.0.0.2:{trap.port}" in refused.detail
    assert trap.received() == 0 and sum(trap.hits.values()) == 0
    assert all(addr[0] != "127.0.0.2" for addr in connected_to(events))
    # the control: allowed, the same URL reaches the trap
    assert probe_one(trap.base + "/a.png", allow=(trap.allow,)).outcome == "ok"
    assert trap.received() >= 1


@pytest.mark.parametrize(
    "spelling",
    [
        "127.0.0.2",
        "2130706434",  # decimal
        "0x7f000002",  # hexadecimal
        "017700000002",  # octal
        "0x7f.0.0.2",
        "0177.0.0.02",
        "127.2",  # short forms
        "127.0.2",
        "0x7f.2",
        "127.0.0.2.",  # trailing dot
        "[::ffff:127.0.0.2]",  # IPv4-mapped
        "[::ffff:7f00:2]",
        "[::127.0.0.2]",  # IPv4-compatible (deprecated)
        "[64:ff9b::7f00:2]",  # NAT64
        "[2002:7f00:2::1]",  # 6to4
    ],
)
def test_every_spelling_of_a_private_address_is_refused_unresolved(trap: Trap, spelling: str) -> None:
    url = f"http://{spelling}:{trap.port}/a.png"
    with network_events() as events:
        p = probe_one(url)
    assert p.outcome == REFUSED, p
    assert "127.0.0.2" in p.detail
    assert trap.received() == 0
    assert connected_to(events) == [] and resolved(events) == []  # decided from the URL alone


@pytest.mark.parametrize("spelling", ["127.0.0.2", "0x7f.0.0.2", "[::ffff:127.0.0.2]"])
def test_an_allowed_address_is_allowed_in_its_other_spellings(trap: Trap, spelling: str) -> None:
    """The control of the test above: allowing 127.0.0.2:PORT reaches the trap however it is written
    (that is the same machine and port), so its zero connections above are the guard's doing."""
    p = probe_one(f"http://{spelling}:{trap.port}/a.png", allow=(trap.allow,))
    assert p.outcome == "ok", p
    assert trap.received() >= 1


def test_localhost_is_refused_without_a_lookup(trap_here: Trap) -> None:
    with network_events() as events:
        p = probe_one(f"http://localhost:{trap_here.port}/a.png")
    assert p.outcome == REFUSED and "loopback name" in p.detail
    assert "localhost" not in resolved(events) and connected_to(events) == []
    assert trap_here.received() == 0
    # allowed by name: resolved by the system and reached
    assert probe_one(f"http://localhost:{trap_here.port}/a.png", allow=(f"localhost:{trap_here.port}",)).ok
    assert trap_here.received() >= 1


def test_another_port_of_the_allowed_address_is_refused(server: Server, trap_here: Trap) -> None:
    p = probe_one(trap_here.base + "/a.png")  # ALLOWED is 127.0.0.1:<the server's port> only
    assert p.outcome == REFUSED and "127.0.0.1 is loopback" in p.detail
    assert trap_here.received() == 0


@pytest.mark.skipif(not _has_ipv6_loopback(), reason="no IPv6 loopback on this machine")
def test_ipv6_loopback_is_refused_and_can_be_allowed() -> None:
    with running(Trap("::1")) as six:
        for url in (f"http://[::1]:{six.port}/a.png", f"http://[0:0:0:0:0:0:0:1]:{six.port}/a.png"):
            p = probe_one(url)
            assert p.outcome == REFUSED and "loopback (::1)" in p.detail
        assert six.received() == 0
        assert probe_one(f"http://[::1]:{six.port}/a.png", allow=(six.allow,)).ok
        assert six.received() >= 1


def test_cloud_metadata_address_is_never_connected_to(server: Server) -> None:
    urls = [
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "http://[fd00:ec2::254]/latest/meta-data/",  # AWS's IPv6 metadata address
        "http://0xa9fea9fe/latest/meta-data/",  # the same in hexadecimal
        redirect_to(server, "http://169.254.169.254/latest/meta-data/"),
    ]
    with network_events() as events:
        res = probe_all(urls, settings(), Cache(None, 0, 0))
    assert [res.probes[u].outcome for u in urls] == [REFUSED] * 4
    assert "metadata" in res.probes[urls[0]].detail and "unique local" in res.probes[urls[1]].detail
    assert "the redirect to http://169.254.169.254/latest/meta-data/ was not followed" in res.probes[urls[3]].detail
    # the allowed server was asked (it sent the redirect); nothing else was even looked up
    assert {addr[0] for addr in connected_to(events)} == {"127.0.0.1"}
    assert resolved(events) == []


# ---------------------------------------------------------------- redirects


def test_a_redirect_from_the_allowed_server_into_the_trap_is_not_followed(server: Server, trap: Trap) -> None:
    target = trap.base + "/a.png"
    p = probe_one(redirect_to(server, target))
    assert p.outcome == REFUSED and p.final_url == target
    assert p.detail.startswith(f"the redirect to {target} was not followed: the host 127.0.0.2 is loopback")
    assert server.hits[("HEAD", "/redirect-to")] == 1
    assert trap.received() == 0
    # control: with the trap allowed too, the redirect is followed into it
    assert probe_one(redirect_to(server, target), allow=(server.allow, trap.allow)).ok
    assert trap.received() >= 1


def test_aiohttps_own_redirects_and_literal_hosts_go_through_the_guard(server: Server, trap: Trap) -> None:
    """Below the prober: a session made by open_session, following redirects itself (aiohttp's
    allow_redirects) and given an IP-literal host, which aiohttp never hands to a resolver.
    The connector's socket factory refuses both, before a socket exists."""
    s = settings()
    guard = Guard(s)

    async def fetch(url: str) -> BaseException | int:
        async with open_session(s, guard) as session:
            try:
                async with session.get(url, allow_redirects=True) as resp:
                    return resp.status
            except aiohttp.ClientError as exc:
                return exc

    with network_events() as events:
        via_redirect = asyncio.run(fetch(redirect_to(server, trap.base + "/a.png")))
        direct = asyncio.run(fetch(trap.base + "/a.png"))
    for got in (via_redirect, direct):
        assert isinstance(got, aiohttp.ClientConnectorError), got
        assert "the address 127.0.0.2 is loopback" in str(got.os_error)
    assert server.hits[("GET", "/redirect-to")] == 1
    assert trap.received() == 0
    assert all(addr[0] != "127.0.0.2" for addr in connected_to(events))
    assert asyncio.run(fetch(server.base + "/a.png")) == 200  # the allowed server, through the same guard


# ---------------------------------------------------------------- DNS


def test_a_public_looking_name_resolving_into_the_private_network_is_refused(trap: Trap) -> None:
    resolver = MapResolver({"images.example.com": ["127.0.0.2"]})
    url = f"http://images.example.com:{trap.port}/a.png"
    with network_events() as events:
        p = probe_one(url, resolver=resolver, ports=(80, 443, trap.port))
    assert p.outcome == REFUSED, p
    assert "images.example.com resolves to 127.0.0.2 (loopback (127.0.0.0/8))" in p.detail
    assert resolver.asked == ["images.example.com"]
    assert trap.received() == 0 and connected_to(events) == []
    # control: the name allowed, the same resolver's answer is connected to (the vetted address is
    # the address used: there is no second lookup a rebinding DNS server could answer differently)
    resolver.asked.clear()
    assert probe_one(url, resolver=resolver, allow=(f"images.example.com:{trap.port}",)).ok
    assert trap.received() >= 1
    assert set(resolver.asked) == {"images.example.com"}


def test_a_redirect_to_a_name_resolving_into_the_private_network_is_refused(server: Server, trap: Trap) -> None:
    resolver = MapResolver({"cdn.example.net": ["127.0.0.2"]})
    target = f"http://cdn.example.net:{trap.port}/a.png"
    p = probe_one(redirect_to(server, target), resolver=resolver, ports=(80, 443, trap.port))
    assert p.outcome == REFUSED
    assert f"the redirect to {target} was not followed: the host cdn.example.net resolves to 127.0.0.2" in p.detail
    assert trap.received() == 0


def test_a_refused_name_is_not_resolved_again(trap: Trap) -> None:
    resolver = MapResolver({"images.example.com": ["127.0.0.2"]})
    urls = [f"http://images.example.com:{trap.port}/{i}.png" for i in range(6)]
    res = probe_all(urls, settings(ports=(trap.port,), concurrency=1), Cache(None, 0, 0), resolver=resolver)
    assert all(p.outcome == REFUSED for p in res.probes.values())
    assert resolver.asked == ["images.example.com"]  # one lookup; the other five refused from memory
    assert trap.received() == 0


def test_the_guard_keeps_only_public_addresses_of_a_mixed_answer() -> None:
    guard = Guard(settings(allow=()))
    answer: list[ResolveResult] = [
        {"hostname": "x.example", "host": h, "port": 443, "family": 0, "proto": 0, "flags": 0}
        for h in ("10.1.2.3", "93.184.215.14", "::1", "2606:2800:21f:cb07:6820:80da:af6b:8b2c", "::ffff:192.168.0.1")
    ]
    kept = guard.vet("x.example", 443, answer)
    assert [r["host"] for r in kept] == ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]
    # and a public address on a port that is not allowed is refused too
    with pytest.raises(OSError, match="port 8443 is not one of allowed-ports"):
        guard.vet("x.example", 8443, answer[1:2])


# ---------------------------------------------------------------- ports, schemes, credentials, cache


def test_ports_and_schemes_of_hosts_not_on_the_allow_list() -> None:
    resolver = MapResolver({})
    p = probe_one("http://img.example.com:6379/a.png", resolver=resolver)
    assert p.outcome == REFUSED and "port 6379 is not one of allowed-ports (80, 443)" in p.detail
    p = probe_one("http://img.example.com/a.png", resolver=resolver, schemes=("https",))
    assert p.outcome == REFUSED and "the scheme http is not one of allowed-schemes (https)" in p.detail
    assert resolver.asked == []  # refused from the URL: no lookup


def test_an_allowed_host_is_not_exempt_from_the_schemes(server: Server) -> None:
    p = probe_one(server.base + "/a.png", schemes=("https",))
    assert p.outcome == REFUSED and "scheme http" in p.detail
    assert sum(server.hits.values()) == 0


def test_credentials_in_a_url_are_never_sent(server: Server) -> None:
    with_user = server.base.replace("http://", "http://editor:hunter2@") + "/a.png"
    target = server.base.replace("http://", "http://token123@") + "/moved/a.png"
    p = probe_one(with_user)
    assert p.ok and p.final_url == server.base + "/a.png"
    assert probe_one(redirect_to(server, target)).ok
    assert server.sent_headers and not any("Authorization" in h for h in server.sent_headers)
    assert not any("Cookie" in h for h in server.sent_headers)


def test_a_cached_answer_is_not_used_once_the_host_is_no_longer_allowed(server: Server, tmp_path: Path) -> None:
    url = server.base + "/a.png"
    cache = Cache(tmp_path, ttl_ok=3600, ttl_fail=3600)
    assert probe_all([url], settings(), cache).probes[url].ok
    later = probe_all([url], settings(allow=()), cache)
    assert later.probes[url].outcome == REFUSED and later.from_cache == 0
    # nor is one whose redirect chain ends at a host no longer allowed
    redirected = redirect_to(server, url)
    assert probe_all([redirected], settings(), cache).probes[redirected].ok
    assert probe_all([redirected], settings(allow=(f"{server.host}:1",)), cache).probes[redirected].outcome == REFUSED
    # nor one that a name on the allow-list let through, once the name is off the list: the
    # name is resolved again (into the private network) and refused, and nothing is sent
    resolver = MapResolver({"images.example.com": ["127.0.0.1"]})
    named = f"http://images.example.com:{server.port}/b.jpg"
    opened = settings(allow=(f"images.example.com:{server.port}",))
    assert probe_all([named], opened, cache, resolver=resolver).probes[named].ok
    assert probe_all([named], opened, cache, resolver=resolver).from_cache == 1
    hits = server.total("/b.jpg")
    closed = settings(allow=(), ports=(server.port,))
    again = probe_all([named], closed, cache, resolver=resolver).probes[named]
    assert again.outcome == REFUSED and "resolves to 127.0.0.1" in again.detail
    assert server.total("/b.jpg") == hits
    # refusals are not cached; an answer that needed no allow-list entry stays valid
    before = server.total("/a.png")
    assert probe_all([url], settings(), Cache(tmp_path, 3600, 3600)).probes[url].ok
    assert server.total("/a.png") == before  # from the cache (the ok answer), no new request
    cache.close()


# ---------------------------------------------------------------- whole runs and the CLI


def test_pipeline_reports_refusals_and_masks_secrets(server: Server, trap: Trap, tmp_path: Path) -> None:
    corpus = [
        (server.base + "/a.png", W, H),
        (trap.base + "/a.png", W, H),  # a private address as written: I114, not requested
        (redirect_to(server, trap.base + "/b.png"), W, H),  # into the trap by a redirect: I111
        ("http://images.example.invalid:8080/a.png", W, H),  # a port not allowed: I111
        (server.base.replace("http://", "http://editor:hunter2@") + "/b.jpg", 400, 300),  # I113 and I110
    ]
    write_corpus(tmp_path / "corpus", corpus)
    cfg = load_config(None)
    cfg.jobs, cfg.online, cfg.cache_dir, cfg.online_allow = 1, True, str(tmp_path / "cache"), [server.allow]
    cfg.checks.setdefault("image_url", {}).update({"read-timeout": 0.5, "backoff": 0.05})
    result = run([str(tmp_path / "corpus")], cfg)
    got = sorted((f.path, f.rule) for f in img_findings(result))
    assert got == [("c001.md", "I114"), ("c002.md", "I111"), ("c003.md", "I111"), ("c004.md", "I110"),
                   ("c004.md", "I113")]  # fmt: skip
    by = {(f.path, f.rule): f for f in img_findings(result)}
    assert "127.0.0.2 is loopback" in by[("c001.md", "I114")].message
    assert "redirect" in by[("c002.md", "I111")].message and "127.0.0.2" in by[("c002.md", "I111")].message
    assert "port 8080" in by[("c003.md", "I111")].message
    assert by[("c004.md", "I113")].evidence == server.base.replace("http://", "http://editor:****@") + "/b.jpg"
    assert any("2 refused" in n for n in result.notices)
    assert trap.received() == 0
    # the password is in no finding and in neither report
    assert "hunter2" not in json.dumps([dataclasses.asdict(f) for f in result.findings], default=str)
    write_reports(result, tmp_path / "f.json", tmp_path / "r.html", {})
    assert "hunter2" not in (tmp_path / "f.json").read_text() + (tmp_path / "r.html").read_text()


def test_refusals_are_reported_when_there_is_no_network(tmp_path: Path) -> None:
    corpus = [(f"https://img{i}.example.invalid/a.png", 10, 10) for i in range(3)]
    corpus.append(("https://img.example.invalid:6379/a.png", 10, 10))  # refused by the port, network or not
    write_corpus(tmp_path / "corpus", corpus)
    cfg = load_config(None)
    cfg.jobs, cfg.online, cfg.cache_dir = 1, True, str(tmp_path / "cache")
    result = run([str(tmp_path / "corpus")], cfg)
    assert [(f.path, f.rule) for f in img_findings(result)] == [("c003.md", "I111")]
    assert any("no network" in n and "3 image URLs were not checked" in n for n in result.notices)


@pytest.mark.slow
def test_cli_online_allow_flag_and_config(server: Server, trap: Trap, tmp_path: Path) -> None:
    write_corpus(
        tmp_path / "corpus", [(server.base + "/a.png", W, H), (redirect_to(server, trap.base + "/x.png"), W, H)]
    )
    args = ["corpus", "--online", "--no-reports", "-j", "1", "--no-cache", "--select", "image_url"]
    out, err = _cli([*args, "--online-allow", server.allow], tmp_path).communicate(timeout=60)
    assert "I111" in out and "I114" not in out, (out, err)
    assert trap.received() == 0
    # without the flag, the allowed server is a private host too: reported offline, not requested
    hits = sum(server.hits.values())
    out, _ = _cli(args, tmp_path).communicate(timeout=60)
    assert out.count("I114") == 2 and sum(server.hits.values()) == hits
    # the configuration's list, and the flag replacing it
    (tmp_path / "clipqa.toml").write_text(f'online-allow = ["{server.allow}", "{trap.allow}"]\n')
    out, _ = _cli(args, tmp_path).communicate(timeout=60)
    assert "I111" not in out and "I114" not in out and trap.received() >= 1
    out, _ = _cli([*args, "--online-allow", server.allow], tmp_path).communicate(timeout=60)
    assert "I111" in out
    proc = _cli([*args, "--online-allow", "http://x.example/"], tmp_path)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and "--online-allow 'http://x.example/': give HOST or HOST:PORT" in err


def test_config_checks_online_allow_and_the_policy_options(tmp_path: Path) -> None:
    (tmp_path / "clipqa.toml").write_text('online-allow = ["cdn.internal:8080", "[::1]", "10.0.0.7"]\n')
    cfg = load_config(tmp_path)
    assert cfg.online_allow == ["cdn.internal:8080", "[::1]", "10.0.0.7"]
    assert cfg.origin["online-allow"].endswith("clipqa.toml")
    for bad, words in [
        ('online-allow = ["host:99999"]', "port must be a number from 1 to 65535"),
        ('online-allow = "host"', "expected a list of strings"),
        ("[image_url]\nallowed-ports = []", "image_url.allowed-ports"),
        ("[image_url]\nallowed-ports = [0]", "non-empty list of ports"),
        ('[image_url]\nallowed-schemes = ["ftp"]', "image_url.allowed-schemes"),
    ]:
        (tmp_path / "clipqa.toml").write_text(bad + "\n")
        with pytest.raises(ConfigError, match=words.replace("[", r"\[")):
            load_config(tmp_path)
