"""Online image probing for the ``image_url`` check: async (aiohttp), polite, cached.

``probe_all(urls, settings, cache)`` checks each distinct URL once:

* HEAD first; a ranged GET (``Range: bytes=0-65535``) when HEAD is refused (405,
  403, 501), answers without an ``image/*`` type, or when the first bytes are
  wanted to read the real size (``read_bytes``, the default).
* A global concurrency limit and one per host (``host:port``), connect and read
  timeouts, redirects followed by hand (bounded, loops detected), retries with
  exponential backoff and full jitter on connection errors, 429 and 5xx, honouring
  ``Retry-After`` (capped), and one deadline for the whole batch.
* A name-resolution failure is not retried and marks the host as unresolvable for
  the rest of the run; when every host fails to resolve, the caller reports "no
  network" once instead of one finding per URL.
* Requests go only to the public internet (:class:`Guard`): a URL whose scheme or
  port is not allowed, or whose host is a non-public address in any spelling or a
  local-only name, is refused before anything is resolved; a name is resolved by
  :class:`GuardedResolver`, which hands aiohttp only public addresses (so the address
  vetted is the address connected to: DNS rebinding has no second lookup to exploit);
  and the socket factory refuses any other address before a socket exists (aiohttp
  connects to an IP-literal host without asking the resolver). Every redirect hop is
  a new request through the same checks. The user's allow-list (``--online-allow``)
  opens exactly the hosts and ports it names. No credentials, cookies, proxies or
  referrers are sent.

The cache is a small SQLite file (atomic transactions, safe across processes):
one row per URL with the probe result and when it was taken; a success lives for
``ttl_ok`` seconds, a failure for ``ttl_fail``. Results are written in batches (every
1,000 results or 2 s, and on the way out), so Ctrl-C (task cancellation) keeps what the run learned.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import io
import ipaddress
import json
import os
import random
import socket
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import imagesize
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from qa.urls import AllowList, IPAddress, address_problem, host_problem

RANGE_BYTES = 65536
HEAD_REFUSED = frozenset({405, 403, 501})
REDIRECTS = frozenset({301, 302, 303, 307, 308})

# Probe outcomes. "ok" is the only success.
OK = "ok"
STATUS = "status"  # final status not 2xx
CONTENT_TYPE = "content-type"  # 2xx but not image/*
EMPTY = "empty"  # 2xx image/* with no body
NOT_IMAGE = "not-image"  # bytes that are not a readable image
UNREACHABLE = "unreachable"  # connection refused/reset, timeout
REDIRECT_LOOP = "redirect-loop"
TOO_MANY_REDIRECTS = "too-many-redirects"
DNS = "dns"  # host name does not resolve
BAD_URL = "bad-url"  # the HTTP client refuses the URL
REFUSED = "refused"  # the guard sends nothing there (a private address, a port or scheme not allowed)


@dataclass(slots=True)
class Probe:
    url: str
    outcome: str
    status: int | None = None
    final_url: str | None = None
    content_type: str | None = None
    width: int | None = None
    height: int | None = None
    detail: str = ""
    attempts: int = 0
    # the hops ("host:port") that only the allow-list let through: a cached answer is used only
    # while they are all still allowed
    opened: list[str] = field(default_factory=list)
    cached: bool = False

    @property
    def ok(self) -> bool:
        return self.outcome == OK

    def to_json(self) -> str:
        return json.dumps({name: getattr(self, name) for name in _STORED})

    @classmethod
    def from_json(cls, text: str) -> Probe:
        d = json.loads(text)
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})


_STORED = tuple(name for name in Probe.__dataclass_fields__ if name != "cached")


@dataclass(frozen=True, slots=True)
class Settings:
    user_agent: str
    concurrency: int = 200
    per_host: int = 8
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    max_redirects: int = 5
    retries: int = 2
    backoff: float = 0.5  # first retry waits up to this (full jitter), doubling each time
    max_retry_after: float = 30.0  # a longer Retry-After is not waited for: the probe fails with 429
    deadline: float = 120.0  # for the whole batch
    read_bytes: bool = True  # ranged GET after a good HEAD, to read the real size
    allow: tuple[str, ...] = ()  # HOST[:PORT] entries allowed although not public (--online-allow)
    ports: tuple[int, ...] = (80, 443)  # the ports of the hosts not on the allow-list
    schemes: tuple[str, ...] = ("http", "https")


@dataclass(slots=True)
class BatchResult:
    probes: dict[str, Probe] = field(default_factory=dict)
    fetched: int = 0  # URLs probed over the network this run
    from_cache: int = 0
    unfinished: list[str] = field(default_factory=list)  # deadline reached first
    unresolved_hosts: set[str] = field(default_factory=set)
    hosts: set[str] = field(default_factory=set)
    interrupted: bool = False

    @property
    def refused(self) -> int:
        """URLs the guard sent nothing to."""
        return sum(p.outcome == REFUSED for p in self.probes.values())

    @property
    def no_network(self) -> bool:
        """Every host probed failed to resolve (and at least one was probed)."""
        return bool(self.hosts) and self.hosts <= self.unresolved_hosts


# ---------------------------------------------------------------- cache


class Cache:
    """URL -> last probe, in SQLite. ``None`` path: a no-op cache (``--no-cache``)."""

    def __init__(self, folder: str | os.PathLike[str] | None, ttl_ok: float, ttl_fail: float) -> None:
        # A failure is never trusted longer than a success (--cache-ttl 0 means: trust nothing).
        self.ttl_ok, self.ttl_fail = ttl_ok, min(ttl_fail, ttl_ok)
        self.db: sqlite3.Connection | None = None
        if folder is None:
            return
        Path(folder).mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(os.path.join(folder, "image-urls.sqlite3"), timeout=30, isolation_level=None)
        with contextlib.suppress(sqlite3.DatabaseError):
            self.db.execute("PRAGMA journal_mode=WAL")
            # WAL + NORMAL: each commit is atomic and consistent; only the last commits before
            # a power cut may be lost (a cache can afford that), and no fsync per commit.
            self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS probes (url TEXT PRIMARY KEY, checked REAL NOT NULL, ok INTEGER NOT NULL,"
            " probe TEXT NOT NULL)"
        )

    def get_many(self, urls: Iterable[str], now: float) -> dict[str, Probe]:
        if self.db is None:
            return {}
        out: dict[str, Probe] = {}
        wanted = list(urls)
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(f"SELECT url, checked, ok, probe FROM probes WHERE url IN ({marks})", chunk)
            for url, checked, ok, text in rows:
                ttl = self.ttl_ok if ok else self.ttl_fail
                if now - checked <= ttl:
                    try:
                        probe = Probe.from_json(text)
                    except (ValueError, TypeError):
                        continue
                    probe.cached = True
                    out[url] = probe
        return out

    def put_many(self, probes: Iterable[Probe], now: float) -> None:
        if self.db is None:
            return
        rows = [(p.url, now, int(p.ok), p.to_json()) for p in probes]
        if not rows:
            return
        with self.db:  # one transaction: all or nothing
            self.db.executemany("INSERT OR REPLACE INTO probes (url, checked, ok, probe) VALUES (?, ?, ?, ?)", rows)

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None


# ---------------------------------------------------------------- probing


def _is_dns_error(exc: BaseException) -> bool:
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, socket.gaierror):
            return True
        text = str(cur).lower()
        if "name or service not known" in text or "temporary failure in name resolution" in text:
            return True
        if "nodename nor servname" in text or "no address associated" in text:
            return True
        cur = cur.__cause__ or cur.__context__
    return False


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


def host_key(url: URL) -> str:
    return f"{url.host}:{url.port}"


@dataclass(slots=True)
class Answer:
    """What is kept of one HTTP response (the connection is released at once)."""

    status: int
    reason: str
    headers: dict[str, str]
    body: bytes = b""
    truncated: str | None = None  # why the body stopped short of its Content-Length

    @property
    def media_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()


# ---------------------------------------------------------------- guard


class Refused(OSError):
    """A connection the guard forbids (raised by its resolver or socket factory, before any
    packet is sent); aiohttp wraps it in a ClientConnectorError."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _refusal(exc: BaseException) -> Refused | None:
    """The Refused that caused an exception, if one did."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, Refused):
            return cur
        inner = getattr(cur, "os_error", None)  # aiohttp's ClientConnectorError keeps it here
        if isinstance(inner, Refused):
            return inner
        cur = cur.__cause__ or cur.__context__
    return None


def _allow_hint(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"--online-allow {shown}:{port}"


class Guard:
    """Where the prober may connect, one policy for the three places that ask:

    * :meth:`url_refusal`, per request (every redirect hop): the scheme must be allowed; then
      a host on the allow-list (with its port) passes; else the port must be allowed and the
      host must be neither a non-public address (any spelling) nor a local-only name;
    * :meth:`vet`, from :class:`GuardedResolver`: the addresses a name resolves to;
    * :meth:`socket_factory`, from aiohttp's connector: the address of each socket, the last
      word (it also sees IP-literal hosts, which aiohttp never hands to a resolver).
    """

    def __init__(self, settings: Settings) -> None:
        self.allow = AllowList(settings.allow)
        self.ports = frozenset(settings.ports)
        self.schemes = frozenset(s.lower() for s in settings.schemes)
        self._ports_text = ", ".join(map(str, sorted(self.ports)))
        self._schemes_text = ", ".join(sorted(self.schemes))
        # (address, port) pairs an allowed name resolved to: the socket factory lets them through
        self.endpoints: set[tuple[IPAddress, int]] = set()
        # host:port -> why: names whose every address was refused (not resolved again this run)
        self.refused_hosts: dict[str, str] = {}

    def opens(self, host: str, port: int) -> bool:
        """Whether the allow-list names this host and port (so the guard's public-only rules do
        not apply to it)."""
        return self.allow.allows(host, port)

    def still_opens(self, opened: Iterable[str]) -> bool:
        """Whether every hop a cached answer needed the allow-list for is still on it."""
        return all(self.opens(host, int(port)) for host, _, port in (hop.rpartition(":") for hop in opened))

    def url_refusal(self, url: URL) -> str | None:
        """Why no request may be sent to this URL, or None."""
        scheme, host, port = url.scheme.lower(), url.raw_host, url.port
        if scheme not in self.schemes:
            return f"the scheme {scheme} is not one of allowed-schemes ({self._schemes_text})"
        if not host or port is None:
            return None  # the HTTP client reports it (bad-url)
        if self.allow.allows(host, port):
            return None
        why = host_problem(host)
        if why is not None:
            return f"the host {why}; to request it anyway: {_allow_hint(host, port)}"
        if port not in self.ports:
            return (
                f"port {port} is not one of allowed-ports ({self._ports_text}); to request it anyway: "
                f"{_allow_hint(host, port)}"
            )
        return self.refused_hosts.get(f"{host}:{port}")

    def address_refusal(self, addr: IPAddress, port: int) -> str | None:
        """Why no connection may be made to this address and port, or None."""
        if self.allow.allows_address(addr, port) or (addr, port) in self.endpoints:
            return None
        why = address_problem(addr)
        if why is not None:
            return why
        if port not in self.ports:
            return f"port {port} is not one of allowed-ports ({self._ports_text})"
        return None

    def vet(self, host: str, port: int, found: list[ResolveResult]) -> list[ResolveResult]:
        """The resolved addresses a connection may use; Refused when none is left."""
        if self.allow.allows(host, port):
            for r in found:
                addr = _address(r["host"])
                if addr is not None:
                    self.endpoints.add((addr, port))
            return found
        kept: list[ResolveResult] = []
        refused: list[str] = []
        for r in found:
            addr = _address(r["host"])
            why = "not an IP address" if addr is None else self.address_refusal(addr, port)
            if why is None:
                kept.append(r)
            else:
                refused.append(f"{r['host']} ({why})")
        if kept or not refused:
            return kept
        listed = ", ".join(dict.fromkeys(refused))
        reason = (
            f"the host {host} resolves to {listed}, which is not on the public internet; "
            f"to request it anyway: {_allow_hint(host, port)}"
        )
        self.refused_hosts[f"{host}:{port}"] = reason  # host as aiohttp resolves it: url.raw_host
        raise Refused(reason)

    def socket_factory(self, addr_info: tuple[int, int, int, str, tuple[Any, ...]]) -> socket.socket:
        """aiohttp's socket factory: a socket only for an allowed address (raises Refused)."""
        family, type_, proto, _, sockaddr = addr_info
        addr = _address(str(sockaddr[0]))
        port = int(sockaddr[1])
        why = "not an IP address" if addr is None else self.address_refusal(addr, port)
        if why is not None:
            raise Refused(f"the address {sockaddr[0]} is {why}")
        return socket.socket(family=family, type=type_, proto=proto)


def _address(text: str) -> IPAddress | None:
    """The address a resolver result or a socket address names (IPv6 zone id dropped, an
    IPv4-mapped IPv6 address as its IPv4 address); None if the text is not an address."""
    try:
        addr = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


class GuardedResolver(AbstractResolver):
    """A resolver that asks another one (aiohttp's default: the system's ``getaddrinfo`` in a
    thread) and returns only the addresses the guard allows, or raises Refused. aiohttp
    connects to exactly the addresses returned, so nothing else can be reached by name."""

    def __init__(self, guard: Guard, inner: AbstractResolver | None = None) -> None:
        self.guard = guard
        self.inner = inner if inner is not None else aiohttp.DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return self.guard.vet(host, port, await self.inner.resolve(host, port, family))

    async def close(self) -> None:
        await self.inner.close()


@contextlib.asynccontextmanager
async def open_session(
    settings: Settings, guard: Guard, resolver: AbstractResolver | None = None
) -> AsyncIterator[aiohttp.ClientSession]:
    """The prober's HTTP session: every connection through ``guard`` (its resolver and socket
    factory), no cookies, no proxy or .netrc from the environment. ``resolver``: the one the
    guard wraps (default: aiohttp's; tests inject their own)."""
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=settings.connect_timeout, sock_read=settings.read_timeout)
    guarded = GuardedResolver(guard, resolver)
    connector = aiohttp.TCPConnector(
        limit=settings.concurrency,
        limit_per_host=settings.per_host,
        ttl_dns_cache=600,
        keepalive_timeout=5.0,
        resolver=guarded,
        socket_factory=guard.socket_factory,
    )
    try:
        async with aiohttp.ClientSession(
            connector=connector,
            timeout=timeout,
            headers={"User-Agent": settings.user_agent, "Accept": "image/*,*/*;q=0.5"},
            auto_decompress=False,
            trust_env=False,
            cookie_jar=aiohttp.DummyCookieJar(),
        ) as session:
            yield session
    finally:
        await guarded.close()  # a resolver given to the connector is not closed by it


class Prober:
    def __init__(self, session: aiohttp.ClientSession, settings: Settings, result: BatchResult, guard: Guard) -> None:
        self.session = session
        self.s = settings
        self.result = result
        self.guard = guard
        self.global_sem = asyncio.Semaphore(settings.concurrency)
        self.host_sems: dict[str, asyncio.Semaphore] = {}

    def _host_sem(self, key: str) -> asyncio.Semaphore:
        sem = self.host_sems.get(key)
        if sem is None:
            sem = self.host_sems[key] = asyncio.Semaphore(self.s.per_host)
        return sem

    async def _send(self, method: str, url: URL, headers: dict[str, str]) -> Answer:
        """One request under both limits; the body (at most RANGE_BYTES) is read for a GET."""
        key = host_key(url)
        async with self.global_sem, self._host_sem(key):
            refused = self.guard.refused_hosts.get(f"{url.raw_host}:{url.port}")
            if refused is not None:  # learned while this request waited for its turn: no new lookup
                raise Refused(refused)
            return await self._exchange(method, url, headers)

    async def _exchange(self, method: str, url: URL, headers: dict[str, str]) -> Answer:
        async with self.session.request(method, url, headers=headers, allow_redirects=False) as resp:
            answer = Answer(resp.status, resp.reason or "", {k.lower(): v for k, v in resp.headers.items()})
            if method == "GET":
                chunks: list[bytes] = []
                size = 0
                try:
                    while size < RANGE_BYTES:
                        chunk = await resp.content.read(RANGE_BYTES - size)
                        if not chunk:
                            break
                        chunks.append(chunk)
                        size += len(chunk)
                except aiohttp.ClientPayloadError as exc:
                    answer.truncated = _reason(exc)
                answer.body = b"".join(chunks)
                if size >= RANGE_BYTES:
                    resp.close()  # the rest is not wanted: drop the connection rather than read it
            return answer

    async def _request(self, method: str, url: URL, probe: Probe) -> Answer | Probe:
        """One request with retries. Returns the answer, or a failed Probe."""
        headers = {"Range": f"bytes=0-{RANGE_BYTES - 1}"} if method == "GET" else {}
        attempt = 0
        failure: Answer | Probe
        refused = self.guard.url_refusal(url)
        if refused is not None:
            return _fail(probe, REFUSED, refused, final=str(url))
        if url.raw_host and url.port is not None and self.guard.opens(url.raw_host, url.port):
            hop = f"{url.raw_host}:{url.port}"
            if hop not in probe.opened:
                probe.opened.append(hop)
        while True:
            attempt += 1
            probe.attempts += 1
            wait: float | None = None
            key = host_key(url)
            if key in self.result.unresolved_hosts:
                return _fail(probe, DNS, f"host {url.host} does not resolve", final=str(url))
            try:
                answer = await self._send(method, url, headers)
            except Refused as exc:
                return _fail(probe, REFUSED, exc.reason, final=str(url))
            except aiohttp.ClientConnectorError as exc:
                stop = _refusal(exc)
                if stop is not None:  # the guard's resolver or socket factory: nothing was sent
                    return _fail(probe, REFUSED, stop.reason, final=str(url))
                if isinstance(exc, aiohttp.ClientConnectorDNSError) or _is_dns_error(exc):
                    self.result.unresolved_hosts.add(key)
                    return _fail(probe, DNS, f"host {url.host} does not resolve", final=str(url))
                failure = _fail(probe, UNREACHABLE, f"connection failed: {_reason(exc)}", final=str(url))
            except aiohttp.ConnectionTimeoutError:
                failure = _fail(probe, UNREACHABLE, f"connect timed out after {self.s.connect_timeout:g} s", str(url))
            except (TimeoutError, aiohttp.ServerTimeoutError):
                # A server slower than the read timeout: retrying would only wait again.
                return _fail(probe, UNREACHABLE, f"no answer within {self.s.read_timeout:g} s", final=str(url))
            except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError, aiohttp.ClientPayloadError) as exc:
                failure = _fail(probe, UNREACHABLE, f"connection broken: {_reason(exc)}", final=str(url))
            except aiohttp.InvalidURL as exc:
                return _fail(probe, BAD_URL, f"not a URL the HTTP client accepts: {exc}", final=str(url))
            except (aiohttp.ClientError, ValueError, OSError) as exc:
                return _fail(probe, UNREACHABLE, f"request failed: {_reason(exc)}", final=str(url))
            else:
                if answer.status != 429 and answer.status < 500:
                    return answer
                failure = answer
                ra = retry_after(answer.headers.get("retry-after"))
                if ra is not None:
                    if ra > self.s.max_retry_after:
                        return answer  # not worth waiting: report the status
                    wait = ra
            if attempt > self.s.retries:
                return failure
            if wait is None:
                wait = random.uniform(0, self.s.backoff * (2 ** (attempt - 1)))
            await asyncio.sleep(wait)

    async def probe(self, url_text: str) -> Probe:
        probe = Probe(url=url_text, outcome=OK)
        try:
            url = _without_user(URL(url_text, encoded=False))
            if url.scheme not in ("http", "https") or not url.host:
                raise ValueError("not an absolute http(s) URL")
            self.result.hosts.add(host_key(url))
        except (ValueError, TypeError, UnicodeError) as exc:
            return _fail(probe, BAD_URL, f"not a URL the HTTP client accepts: {exc}")
        head = await self._follow("HEAD", url, probe)
        if isinstance(head, Probe):
            return head
        answer, final = head
        ok = 200 <= answer.status < 300
        need_get = answer.status in HEAD_REFUSED or (
            ok and (self.s.read_bytes or not answer.media_type.startswith("image/"))
        )
        if not need_get:
            return _judge(probe, answer, final, None)
        got = await self._follow("GET", final if ok else url, probe)
        if isinstance(got, Probe):
            return got
        answer, final = got
        return _judge(probe, answer, final, answer.body)

    async def _follow(self, method: str, url: URL, probe: Probe) -> tuple[Answer, URL] | Probe:
        seen = {str(url)}
        chain = [url.raw_path_qs]
        hops = 0
        while True:
            got = await self._request(method, url, probe)
            if isinstance(got, Probe):
                if got.outcome == REFUSED and hops:
                    got.detail = f"the redirect to {url} was not followed: {got.detail}"
                return got
            if got.status not in REDIRECTS or "location" not in got.headers:
                return got, url
            try:
                nxt = _without_user(url.join(URL(got.headers["location"])))
            except (ValueError, TypeError) as exc:
                return _fail(probe, STATUS, f"bad redirect Location: {exc}", status=got.status, final=str(url))
            if nxt.scheme not in ("http", "https") or not nxt.host:
                return _fail(probe, STATUS, f"redirect to {str(nxt)[:80]!r}", status=got.status, final=str(nxt))
            hops += 1
            chain.append(nxt.raw_path_qs if nxt.host == url.host and nxt.port == url.port else str(nxt))
            if str(nxt) in seen:
                loop = " -> ".join(chain)
                return _fail(probe, REDIRECT_LOOP, f"redirect loop: {loop}", status=got.status, final=str(nxt))
            if hops > self.s.max_redirects:
                return _fail(
                    probe,
                    TOO_MANY_REDIRECTS,
                    f"more than {self.s.max_redirects} redirects",
                    status=got.status,
                    final=str(nxt),
                )
            seen.add(str(nxt))
            url = nxt
            self.result.hosts.add(host_key(url))


def _without_user(url: URL) -> URL:
    """The URL without user-info: a clipping's credentials are never sent (aiohttp would
    turn them into an Authorization header)."""
    return url.with_user(None) if url.raw_user is not None or url.raw_password is not None else url


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    return text or type(exc).__name__


def _fail(probe: Probe, outcome: str, detail: str, final: str | None = None, status: int | None = None) -> Probe:
    probe.outcome, probe.detail = outcome, detail
    probe.final_url = final or probe.final_url
    probe.status = status if status is not None else probe.status
    return probe


def _judge(probe: Probe, answer: Answer, final: URL, body: bytes | None) -> Probe:
    probe.status = answer.status
    probe.final_url = str(final)
    ctype = answer.media_type
    probe.content_type = ctype or None
    if answer.status == 416 and body is not None:
        # "Range Not Satisfiable" to bytes=0-...: the resource has no bytes at all.
        return _fail(probe, EMPTY, "the image is empty (HTTP 416 to a request for its first bytes)")
    if not 200 <= answer.status < 300:
        return _fail(probe, STATUS, f"HTTP {answer.status} {answer.reason}".strip())
    if not ctype.startswith("image/"):
        return _fail(probe, CONTENT_TYPE, f"Content-Type is {ctype or 'missing'}, not image/*")
    if body is None:
        return probe
    if answer.truncated:
        declared = answer.headers.get("content-length")
        of = f" of {declared} declared" if declared else ""
        return _fail(probe, NOT_IMAGE, f"the image is truncated: the body stopped after {len(body)}{of} bytes")
    if not body:
        return _fail(probe, EMPTY, "the response body is empty")
    try:
        width, height = imagesize.get(io.BytesIO(body))
    except Exception:  # noqa: BLE001 - imagesize raises assorted errors on junk bytes
        width, height = -1, -1
    if width <= 0 or height <= 0:
        if ctype == "image/svg+xml":
            return probe  # a vector image has no pixel size in its first bytes
        return _fail(probe, NOT_IMAGE, f"the first {len(body)} bytes are not a readable image")
    probe.width, probe.height = int(width), int(height)
    return probe


# ---------------------------------------------------------------- batch


async def _probe_batch(
    urls: list[str],
    settings: Settings,
    result: BatchResult,
    on_done: Callable[[Probe], None],
    guard: Guard,
    resolver: AbstractResolver | None,
) -> None:
    async with open_session(settings, guard, resolver) as session:
        prober = Prober(session, settings, result, guard)

        async def one(url: str) -> None:
            probe = await prober.probe(url)
            result.probes[url] = probe
            on_done(probe)

        async with asyncio.timeout(settings.deadline), asyncio.TaskGroup() as tg:
            for url in urls:
                tg.create_task(one(url))


def _refused_text(guard: Guard, url_text: str | None) -> str | None:
    """The guard's refusal of a URL given as text (None for a URL it cannot parse: the prober
    reports that as a bad URL)."""
    if not url_text:
        return None
    try:
        return guard.url_refusal(_without_user(URL(url_text, encoded=False)))
    except (ValueError, TypeError, UnicodeError):
        return None


def probe_all(
    urls: Iterable[str],
    settings: Settings,
    cache: Cache,
    now: float | None = None,
    resolver: AbstractResolver | None = None,
) -> BatchResult:
    """Probe each distinct URL once (cache first). Blocks; Ctrl-C keeps the cache.

    A URL the guard refuses as written is answered at once, before the cache (whose entry
    may date from a run that allowed it); a cached answer is not used when its redirect chain
    ended at a URL refused now, or passed a host that only the allow-list opened and that it
    no longer does. Refusals are never cached: they depend on the allow-list and on DNS.
    ``resolver``: what the guard's resolver asks (default: aiohttp's; tests inject one)."""
    now = time.time() if now is None else now
    wanted = list(dict.fromkeys(urls))
    result = BatchResult()
    guard = Guard(settings)
    for url in wanted:
        why = _refused_text(guard, url)
        if why is not None:
            result.probes[url] = Probe(url=url, outcome=REFUSED, detail=why)
    cached = {
        url: probe
        for url, probe in cache.get_many([u for u in wanted if u not in result.probes], now).items()
        if guard.still_opens(probe.opened)
        and (probe.final_url in (None, url) or _refused_text(guard, probe.final_url) is None)
    }
    result.probes.update(cached)
    result.from_cache = len(cached)
    todo = [u for u in wanted if u not in result.probes]
    pending: list[Probe] = []
    last_flush = time.monotonic()

    def on_done(probe: Probe) -> None:
        if probe.outcome == REFUSED:  # nothing was sent, and the answer depends on the allow-list and DNS
            return
        result.fetched += 1
        if probe.outcome != DNS:  # a resolver outage says nothing about the URL
            pending.append(probe)
        if len(pending) >= 1000 or (pending and time.monotonic() - last_flush > 2.0):
            flush()

    def flush() -> None:
        nonlocal last_flush
        batch = pending[:]
        pending.clear()
        last_flush = time.monotonic()
        cache.put_many(batch, time.time())

    if todo:
        try:
            asyncio.run(_probe_batch(todo, settings, result, on_done, guard, resolver))
        except TimeoutError:
            pass
        except KeyboardInterrupt:
            result.interrupted = True
            flush()
            raise
        finally:
            flush()
    result.unfinished = [u for u in todo if u not in result.probes]
    return result
