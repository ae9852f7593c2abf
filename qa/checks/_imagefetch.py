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
import json
import os
import random
import socket
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import imagesize
from yarl import URL

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


class Prober:
    def __init__(self, session: aiohttp.ClientSession, settings: Settings, result: BatchResult) -> None:
        self.session = session
        self.s = settings
        self.result = result
        self.global_sem = asyncio.Semaphore(settings.concurrency)
        self.host_sems: dict[str, asyncio.Semaphore] = {}

    def _host_sem(self, key: str) -> asyncio.Semaphore:
        sem = self.host_sems.get(key)
        if sem is None:
            sem = self.host_sems[key] = asyncio.Semaphore(self.s.per_host)
        return sem

    async def _send(self, method: str, url: URL, headers: dict[str, str]) -> Answer:
        """One request under both limits; the body (at most RANGE_BYTES) is read for a GET."""
        async with (
            self.global_sem,
            self._host_sem(host_key(url)),
            self.session.request(method, url, headers=headers, allow_redirects=False) as resp,
        ):
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
        while True:
            attempt += 1
            probe.attempts += 1
            wait: float | None = None
            key = host_key(url)
            if key in self.result.unresolved_hosts:
                return _fail(probe, DNS, f"host {url.host} does not resolve", final=str(url))
            try:
                answer = await self._send(method, url, headers)
            except aiohttp.ClientConnectorError as exc:
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
            url = URL(url_text, encoded=False)
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
                return got
            if got.status not in REDIRECTS or "location" not in got.headers:
                return got, url
            try:
                nxt = url.join(URL(got.headers["location"]))
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
    urls: list[str], settings: Settings, result: BatchResult, on_done: Callable[[Probe], None]
) -> None:
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=settings.connect_timeout, sock_read=settings.read_timeout)
    connector = aiohttp.TCPConnector(
        limit=settings.concurrency, limit_per_host=settings.per_host, ttl_dns_cache=600, keepalive_timeout=5.0
    )
    async with aiohttp.ClientSession(
        connector=connector,
        timeout=timeout,
        headers={"User-Agent": settings.user_agent, "Accept": "image/*,*/*;q=0.5"},
        auto_decompress=False,
        trust_env=False,
    ) as session:
        prober = Prober(session, settings, result)

        async def one(url: str) -> None:
            probe = await prober.probe(url)
            result.probes[url] = probe
            on_done(probe)

        async with asyncio.timeout(settings.deadline), asyncio.TaskGroup() as tg:
            for url in urls:
                tg.create_task(one(url))


def probe_all(urls: Iterable[str], settings: Settings, cache: Cache, now: float | None = None) -> BatchResult:
    """Probe each distinct URL once (cache first). Blocks; Ctrl-C keeps the cache."""
    now = time.time() if now is None else now
    wanted = list(dict.fromkeys(urls))
    result = BatchResult()
    cached = cache.get_many(wanted, now)
    result.probes.update(cached)
    result.from_cache = len(cached)
    todo = [u for u in wanted if u not in cached]
    pending: list[Probe] = []
    last_flush = time.monotonic()

    def on_done(probe: Probe) -> None:
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
            asyncio.run(_probe_batch(todo, settings, result, on_done))
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
