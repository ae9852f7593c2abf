"""image_url, online: a real HTTP server on 127.0.0.1 serving real PNG, JPEG and WebP bytes.

No mocking: aiohttp talks to a threaded ``http.server`` over loopback, which
misbehaves on purpose (404, 410, 500, 429 + Retry-After, redirects and a loop, a
soft 404, HEAD refused, a slow answer, a reset connection, an empty body, a
truncated image, a wrong declared size). Timeouts are short so the file is fast.

The online check refuses loopback addresses unless they are allowed: every test allows
its own server (``ALLOWED``, set by the ``server`` fixture) and nothing else.
tests/test_online_guard.py tests the refusals.
"""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TypeVar

import imagesize
import pytest
from PIL import Image

from qa.checks._imagefetch import Cache, Settings, probe_all, retry_after
from qa.config import load_config
from qa.findings import Finding
from qa.pipeline import RunResult, run

REPO = Path(__file__).resolve().parents[1]
W, H = 40, 30


def _encode(fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (W, H), (200, 40, 40)).save(buf, format=fmt)
    return buf.getvalue()


PNG, JPEG, WEBP = _encode("PNG"), _encode("JPEG"), _encode("WEBP")


def test_generated_images_are_real() -> None:
    for data in (PNG, JPEG, WEBP):
        assert imagesize.get(io.BytesIO(data)) == (W, H)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Server

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, status: int, ctype: str | None, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self) -> None:
        self.route()

    def do_GET(self) -> None:
        self.route()

    def route(self) -> None:
        srv = self.server
        path = self.path.split("?", 1)[0]
        with srv.lock:
            srv.hits[(self.command, path)] += 1
            n = srv.total(path)
            srv.agents.add(self.headers.get("User-Agent", ""))
            srv.ranges.append(self.headers.get("Range"))
            srv.sent_headers.append(dict(self.headers.items()))
        if path.startswith("/busy/"):
            with srv.lock:
                srv.inflight += 1
                srv.max_inflight = max(srv.max_inflight, srv.inflight)
            time.sleep(0.1)
            with srv.lock:
                srv.inflight -= 1
            self._send(200, "image/png", PNG)
            return
        images = {"/a.png": ("image/png", PNG), "/b.jpg": ("image/jpeg", JPEG), "/c.webp": ("image/webp", WEBP)}
        if path in images or path.startswith("/img/"):
            ctype, body = images.get(path, ("image/png", PNG))
            self._send(200, ctype, body)
        elif path in ("/404", "/410", "/500"):
            self._send(int(path[1:]), "text/html", b"<h1>nope</h1>")
        elif path == "/429":
            if n == 1:
                self._send(429, "text/plain", b"slow down", {"Retry-After": "1"})
            else:
                self._send(200, "image/png", PNG)
        elif path == "/redirect":
            self._send(302, None, b"", {"Location": "/moved/a.png"})
        elif path == "/redirect-to":  # to the URL in the query string, whatever it is
            self._send(302, None, b"", {"Location": urllib.parse.unquote(self.path.split("?", 1)[1])})
        elif path == "/moved/a.png":
            self._send(200, "image/png", PNG)
        elif path in ("/loop-a", "/loop-b"):
            self._send(302, None, b"", {"Location": "/loop-b" if path == "/loop-a" else "/loop-a"})
        elif path == "/soft404":
            self._send(200, "text/html; charset=utf-8", b"<html><body>Page not found</body></html>")
        elif path == "/nohead.jpg":
            if self.command == "HEAD":
                self._send(405, "text/plain", b"", {"Allow": "GET"})
            else:
                self._send(200, "image/jpeg", JPEG)
        elif path == "/slow.png":
            time.sleep(1.5)
            self._send(200, "image/png", PNG)
        elif path == "/hang.png":  # an answer that takes longer than any test waits (for Ctrl-C)
            time.sleep(15)
            self._send(200, "image/png", PNG)
        elif path == "/reset.png":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
        elif path == "/zero.png":
            # a zero-byte file behind a server that honours Range
            if self.command == "GET" and self.headers.get("Range"):
                self._send(416, "text/plain", b"", {"Content-Range": "bytes */0"})
            else:
                self._send(200, "image/png", b"")
        elif path == "/empty.png":
            self._send(200, "image/png", b"")
        elif path == "/headonly.png":
            # the first 12 bytes of a PNG: the signature, but no header with its size
            self._send(200, "image/png", PNG[:12])
        elif path == "/cut.png":
            # promises the whole image, sends half of it and hangs up
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(PNG)))
            self.end_headers()
            if self.command == "GET":
                self.wfile.write(PNG[: len(PNG) // 2])
                self.wfile.flush()
            self.close_connection = True
        elif path == "/html-as-png.png":
            self._send(200, "image/png", b"<html>oops</html>")
        else:
            self._send(404, "text/plain", b"unknown")


S = TypeVar("S", bound="Server")


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host, 0), Handler)
        self.host = host
        self.lock = threading.Lock()
        self.hits: Counter[tuple[str, str]] = Counter()
        self.agents: set[str] = set()
        self.ranges: list[str | None] = []
        self.sent_headers: list[dict[str, str]] = []
        self.inflight = self.max_inflight = 0

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    @property
    def netloc(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    @property
    def base(self) -> str:
        return f"http://{self.netloc}"

    @property
    def allow(self) -> str:
        """The --online-allow entry of this server (its address and port, nothing more)."""
        return self.netloc

    def total(self, path: str) -> int:
        return sum(n for (_, p), n in self.hits.items() if p == path)


# The --online-allow entries of the test's server: the probes and runs below allow it alone.
ALLOWED: list[str] = []


@contextmanager
def running(srv: S) -> Iterator[S]:
    """The server, serving in a thread while the block runs."""
    thread = threading.Thread(target=srv.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()


@contextmanager
def allowed_server() -> Iterator[Server]:
    """A running Server on 127.0.0.1, the only host ALLOWED while the block runs."""
    with running(Server()) as srv:
        ALLOWED[:] = [srv.allow]
        try:
            yield srv
        finally:
            ALLOWED.clear()


@pytest.fixture
def server() -> Iterator[Server]:
    with allowed_server() as srv:
        yield srv


FAST = {"read-timeout": 0.5, "connect-timeout": 0.5, "backoff": 0.05, "retries": 2, "deadline": 20.0}


def settings(**kw: object) -> Settings:
    base: dict[str, object] = {
        "user_agent": "clipqa/test",
        "read_timeout": 0.5,
        "connect_timeout": 0.5,
        "backoff": 0.05,
        "deadline": 20.0,
        "allow": tuple(ALLOWED),
    }
    base.update(kw)
    return Settings(**base)  # type: ignore[arg-type]


def probe(url: str, **kw: object):  # type: ignore[no-untyped-def]
    return probe_all([url], settings(**kw), Cache(None, 0, 0)).probes[url]


# ------------------------------------------------------------------ prober


@pytest.mark.parametrize(
    ("path", "ctype"), [("/a.png", "image/png"), ("/b.jpg", "image/jpeg"), ("/c.webp", "image/webp")]
)
def test_real_images_pass_with_their_size(server: Server, path: str, ctype: str) -> None:
    p = probe(server.base + path)
    assert p.outcome == "ok", p
    assert (p.status, p.content_type, p.width, p.height) == (200, ctype, W, H)
    # HEAD first, then a ranged GET for the first bytes
    assert server.hits[("HEAD", path)] == 1 and server.hits[("GET", path)] == 1
    assert "bytes=0-65535" in server.ranges
    assert server.agents == {"clipqa/test"}


def test_head_only_when_bytes_not_wanted(server: Server) -> None:
    p = probe(server.base + "/a.png", read_bytes=False)
    assert p.outcome == "ok" and p.width is None
    assert server.hits[("GET", "/a.png")] == 0


@pytest.mark.parametrize("code", [404, 410])
def test_client_errors_are_broken_and_not_retried(server: Server, code: int) -> None:
    p = probe(f"{server.base}/{code}")
    assert (p.outcome, p.status) == ("status", code)
    assert str(code) in p.detail
    assert server.total(f"/{code}") == 1


def test_500_is_retried_then_broken(server: Server) -> None:
    p = probe(server.base + "/500", retries=2)
    assert (p.outcome, p.status) == ("status", 500)
    assert server.hits[("HEAD", "/500")] == 3  # one try + two retries


def test_429_honours_retry_after(server: Server) -> None:
    t0 = time.perf_counter()
    p = probe(server.base + "/429")
    took = time.perf_counter() - t0
    assert p.outcome == "ok", p
    assert took >= 0.95  # waited the server's Retry-After: 1, not the 0.05 s backoff
    assert server.hits[("HEAD", "/429")] == 2


def test_429_with_a_long_retry_after_is_not_waited_for() -> None:
    assert retry_after("120") == 120.0
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert retry_after("soon") is None


def test_redirect_is_followed_and_final_url_kept(server: Server) -> None:
    p = probe(server.base + "/redirect")
    assert p.outcome == "ok"
    assert p.final_url == server.base + "/moved/a.png"


def test_redirect_loop(server: Server) -> None:
    p = probe(server.base + "/loop-a")
    assert p.outcome == "redirect-loop"
    assert p.final_url == server.base + "/loop-a"
    assert p.detail == "redirect loop: /loop-a -> /loop-b -> /loop-a"
    # detected without asking for /loop-a a second time
    assert server.hits[("HEAD", "/loop-a")] == 1 and server.hits[("HEAD", "/loop-b")] == 1


def test_too_many_redirects(server: Server) -> None:
    p = probe(server.base + "/loop-a", max_redirects=0)
    assert p.outcome == "too-many-redirects"


def test_soft_404(server: Server) -> None:
    p = probe(server.base + "/soft404")
    assert (p.outcome, p.status, p.content_type) == ("content-type", 200, "text/html")
    assert "text/html" in p.detail


def test_head_refused_falls_back_to_ranged_get(server: Server) -> None:
    p = probe(server.base + "/nohead.jpg")
    assert (p.outcome, p.status, p.width) == ("ok", 200, W)
    assert server.hits[("HEAD", "/nohead.jpg")] == 1 and server.hits[("GET", "/nohead.jpg")] == 1


def test_slower_than_timeout(server: Server) -> None:
    t0 = time.perf_counter()
    p = probe(server.base + "/slow.png", read_timeout=0.3)
    assert time.perf_counter() - t0 < 1.4
    assert p.outcome == "unreachable" and "0.3 s" in p.detail


def test_connection_reset(server: Server) -> None:
    p = probe(server.base + "/reset.png", retries=1)
    assert p.outcome == "unreachable"
    assert p.attempts == 2  # retried once
    # aiohttp itself may re-send an idempotent request once when the connection drops
    assert 2 <= server.hits[("HEAD", "/reset.png")] <= 4


def test_connection_refused() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, never listening: refused
        p = probe(f"http://127.0.0.1:{port}/a.png", retries=0, allow=(f"127.0.0.1:{port}",))
    assert p.outcome == "unreachable" and "connection failed" in p.detail


@pytest.mark.parametrize(
    ("path", "outcome", "words"),
    [
        ("/empty.png", "empty", "empty"),
        ("/zero.png", "empty", "416"),
        ("/headonly.png", "not-image", "not a readable image"),
        ("/cut.png", "not-image", "truncated"),
        ("/html-as-png.png", "not-image", "not a readable image"),
    ],
)
def test_bodies_that_are_not_images(server: Server, path: str, outcome: str, words: str) -> None:
    p = probe(server.base + path)
    assert p.outcome == outcome, p
    assert words in p.detail
    assert p.status == (416 if path == "/zero.png" else 200)


def test_dns_failure_is_not_retried_and_says_so() -> None:
    res = probe_all(
        ["http://images.example.invalid/a.png", "http://images.example.invalid/b.png"], settings(), Cache(None, 0, 0)
    )
    assert all(p.outcome == "dns" for p in res.probes.values())
    assert res.no_network
    assert sum(p.attempts for p in res.probes.values()) <= 2


def test_deadline_bounds_the_batch(server: Server) -> None:
    urls = [f"{server.base}/slow.png?{i}" for i in range(6)]
    t0 = time.perf_counter()
    res = probe_all(urls, settings(deadline=0.4, read_timeout=5.0), Cache(None, 0, 0))
    assert time.perf_counter() - t0 < 1.2
    assert sorted(res.unfinished) == sorted(urls)


def test_per_host_limit_is_kept_and_used(server: Server) -> None:
    urls = [f"{server.base}/busy/{i}.png" for i in range(24)]
    t0 = time.perf_counter()
    res = probe_all(urls, settings(per_host=3, read_bytes=False), Cache(None, 0, 0))
    took = time.perf_counter() - t0
    assert all(p.ok for p in res.probes.values())
    assert server.max_inflight == 3  # never more than the limit, and the limit is used
    assert took >= 24 * 0.1 / 3 * 0.9


def test_user_agent_names_clipqa_and_its_version(server: Server, tmp_path: Path) -> None:
    from qa import __version__

    write_corpus(tmp_path / "corpus", [(server.base + "/a.png", W, H)])
    run_online(tmp_path / "corpus", tmp_path / "cache")
    assert server.agents == {f"clipqa/{__version__} (image check)"}


# ------------------------------------------------------------------ cache


def test_cache_each_url_once_then_warm(server: Server, tmp_path: Path) -> None:
    urls = [server.base + "/a.png", server.base + "/404", server.base + "/a.png"]
    cache = Cache(tmp_path, ttl_ok=3600, ttl_fail=3600)
    first = probe_all(urls, settings(), cache)
    assert first.fetched == 2 and first.from_cache == 0
    assert server.total("/a.png") == 2  # HEAD + GET, once for both uses
    second = probe_all(urls, settings(), cache)
    assert second.fetched == 0 and second.from_cache == 2
    assert server.total("/a.png") == 2 and server.total("/404") == 1  # no new request
    assert second.probes[server.base + "/404"].status == 404
    cache.close()


def test_cache_ttl_differs_for_failures(server: Server, tmp_path: Path) -> None:
    urls = [server.base + "/a.png", server.base + "/404"]
    cache = Cache(tmp_path, ttl_ok=100, ttl_fail=10)
    probe_all(urls, settings(), cache, now=1000.0)
    # 50 s later: the success is still trusted, the failure is not
    cache.put_many([], 0)
    got = cache.get_many(urls, now=time.time() + 50)
    assert set(got) == {server.base + "/a.png"}
    assert cache.get_many(urls, now=time.time() + 200) == {}
    cache.close()


# ------------------------------------------------------------------ whole runs


def write_corpus(folder: Path, images: list[tuple[str, int, int]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i, (url, w, h) in enumerate(images):
        (folder / f"c{i:03d}.md").write_text(
            f'---\ntitle: "Story {i}"\nimages:\n  - url: "{url}"\n    width: {w}\n    height: {h}\n'
            f"    isCached: false\n---\nBody.\n",
            encoding="utf-8",
        )


def run_online(folder: Path, cache_dir: Path, **opts: object) -> RunResult:
    cfg = load_config(None)
    cfg.jobs, cfg.online, cfg.cache_dir = 1, True, str(cache_dir)
    cfg.online_allow = list(ALLOWED)
    cfg.checks.setdefault("image_url", {}).update({**FAST, **opts})
    return run([str(folder)], cfg)


def img_findings(result: RunResult) -> list[Finding]:
    return [f for f in result.findings if f.check == "image_url"]


def test_pipeline_findings_name_status_and_final_url(server: Server, tmp_path: Path) -> None:
    b = server.base
    corpus = [
        (b + "/a.png", W, H),
        (b + "/b.jpg", 400, 300),  # real size differs
        (b + "/404", W, H),
        (b + "/soft404", W, H),
        (b + "/loop-a", W, H),
        (b + "/redirect", W, H),
        (b + "/empty.png", W, H),
    ]
    write_corpus(tmp_path / "corpus", corpus)
    result = run_online(tmp_path / "corpus", tmp_path / "cache")
    got = {(f.path, f.rule) for f in img_findings(result)}
    assert got == {
        ("c001.md", "I110"),
        ("c002.md", "I107"),
        ("c003.md", "I108"),
        ("c004.md", "I109"),
        ("c006.md", "I108"),
    }
    by = {f.path: f for f in img_findings(result)}
    assert "declared 400×300 but the image is 40×30" in by["c001.md"].message
    assert "404" in by["c002.md"].message and "status 404" in by["c002.md"].message
    assert "text/html" in by["c003.md"].message and "status 200" in by["c003.md"].message
    assert "redirect loop: /loop-a -> /loop-b -> /loop-a" in by["c004.md"].message
    assert by["c002.md"].line == 4 and by["c002.md"].field == "images[0].url"
    assert any("7 distinct image URLs checked online" in n for n in result.notices)
    assert (tmp_path / "cache" / "image-urls.sqlite3").is_file()


def test_no_network_gives_one_notice_and_offline_checks_still_run(tmp_path: Path) -> None:
    corpus = [(f"https://img{i}.example.invalid/a.png", 10, 10) for i in range(5)]
    corpus.append(("javascript:alert(1)", 10, 10))
    write_corpus(tmp_path / "corpus", corpus)
    t0 = time.perf_counter()
    result = run_online(tmp_path / "corpus", tmp_path / "cache")
    assert time.perf_counter() - t0 < 10
    assert [f.rule for f in img_findings(result)] == ["I103"]
    no_net = [n for n in result.notices if "no network" in n]
    assert len(no_net) == 1 and "5 image URLs were not checked online" in no_net[0]


def test_offline_run_touches_no_server(server: Server, tmp_path: Path) -> None:
    write_corpus(tmp_path / "corpus", [(server.base + "/404", W, H)])
    cfg = load_config(None)
    cfg.jobs, cfg.online, cfg.cache_dir = 1, False, str(tmp_path / "cache")
    cfg.online_allow = [server.allow]
    result = run([str(tmp_path / "corpus")], cfg)
    assert img_findings(result) == []
    assert sum(server.hits.values()) == 0
    assert not (tmp_path / "cache").exists()


def _cli(args: list[str], cwd: Path, **popen: object) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
        [sys.executable, "-m", "qa", "check", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


@pytest.mark.slow
def test_cli_online_cache_flags(server: Server, tmp_path: Path) -> None:
    write_corpus(tmp_path / "corpus", [(server.base + "/a.png", W, H), (server.base + "/410", W, H)])
    (tmp_path / "clipqa.toml").write_text("[image_url]\nread-timeout = 0.5\nbackoff = 0.05\n")
    args = ["corpus", "--online", "--online-allow", server.allow, "--no-reports", "-j", "1", "--cache-dir", "cc"]
    args += ["--select", "image_url"]
    out, err = _cli(args, tmp_path).communicate(timeout=60)
    assert "I107" in out and "410" in out, (out, err)
    assert server.total("/410") == 1
    # warm cache: nothing fetched again
    out, _ = _cli(args, tmp_path).communicate(timeout=60)
    assert "I107" in out and server.total("/410") == 1
    assert "2 from the cache" in out
    # --no-cache: fetched again; --offline: not at all
    _cli([*args, "--no-cache"], tmp_path).communicate(timeout=60)
    assert server.total("/410") == 2
    out, _ = _cli([*args, "--offline"], tmp_path).communicate(timeout=60)
    assert "I107" not in out and server.total("/410") == 2
    # a TTL of 0 s: everything is stale
    _cli([*args, "--cache-ttl", "0s"], tmp_path).communicate(timeout=60)
    assert server.total("/410") == 3
    proc = _cli([*args, "--cache-ttl", "soon"], tmp_path)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and "--cache-ttl" in err


@pytest.mark.slow
def test_ctrl_c_stops_cleanly_and_keeps_the_cache(server: Server, tmp_path: Path) -> None:
    fast = [(f"{server.base}/img/{i}.png", W, H) for i in range(5)]
    # answers that never come while the test runs: the Ctrl-C surely lands while they are
    # awaited (a 1.5 s answer could arrive first on a busy machine, and the run would end)
    slow = [(f"{server.base}/hang.png?{i}", W, H) for i in range(3)]
    write_corpus(tmp_path / "corpus", fast + slow)
    (tmp_path / "clipqa.toml").write_text("[image_url]\nread-timeout = 30.0\n")
    args = ["corpus", "--online", "--online-allow", server.allow, "--no-reports", "-j", "1", "--cache-dir", "cc"]
    proc = _cli(args, tmp_path)
    deadline = time.time() + 30
    while server.total("/hang.png") < 3 and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)  # the fast ones are done by now
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    with sqlite3.connect(tmp_path / "cc" / "image-urls.sqlite3") as db:
        urls = {row[0] for row in db.execute("SELECT url FROM probes WHERE ok = 1")}
    assert {u for u, _, _ in fast} <= urls
    assert not any("hang" in u for u in urls)


def test_findings_json_report_carries_notices(server: Server, tmp_path: Path) -> None:
    write_corpus(tmp_path / "corpus", [(server.base + "/a.png", W, H)])
    out_json = tmp_path / "f.json"
    args = ["corpus", "--online", "--online-allow", server.allow, "-j", "1", "--cache-dir", "cc"]
    args += ["--json", str(out_json), "--html", "r.html"]
    proc = _cli(args, tmp_path)
    proc.communicate(timeout=60)
    doc = json.loads(out_json.read_text())
    assert "image_url" in json.dumps(doc.get("notices", doc))


def test_nonsense_limits_are_clamped_with_a_notice(server: Server, tmp_path: Path) -> None:
    write_corpus(tmp_path / "corpus", [(server.base + "/a.png", W, H)])
    result = run_online(tmp_path / "corpus", tmp_path / "cache", **{"per-host": 0, "retries": -1})
    assert img_findings(result) == []  # probed (a per-host limit of 0 would have hung until the deadline)
    assert any("per-host = 0 is too small; using 1" in n for n in result.notices)
    assert any("retries = -1 is negative" in n for n in result.notices)
