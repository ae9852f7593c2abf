"""Benchmark of the online image check (issue 4). Not a test: run by ``nox -s bench_images``.

A local HTTP server (its own process, asyncio) listens on the 20 loopback
addresses 127.0.0.1 .. 127.0.0.20, adds 50 ms to every response, serves a real
PNG for every ``/img/<n>.png`` and counts, per address, the TCP connections open
at once and the requests in flight at once. Then:

1. the online check with its default settings over 5,000 distinct image URLs
   (cold cache): must take < 10 s and never exceed its per-host limit;
2. the same again with the cache now warm: must take < 1 s;
3. the same URL list checked by linkchecker (PyPI), for comparison; the ratio of
   the two times is printed. linkchecker is stopped after ``--peer-timeout`` s.

Loopback only: nothing leaves the machine. The online check refuses loopback
addresses unless they are allowed (issue 22): the bench allows exactly its own
server, the 20 ``address:port`` pairs (``online-allow``), and checks that a URL on the
same addresses but another port is still refused. Exit status 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import multiprocessing as mp
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HOSTS = [f"127.0.0.{i}" for i in range(1, 21)]
DELAY = 0.050


def _png() -> bytes:
    try:
        from PIL import Image

        buf = io.BytesIO()
        Image.new("RGB", (64, 48), (10, 120, 200)).save(buf, format="PNG")
        return buf.getvalue()
    except ImportError:  # a minimal valid 1x1 PNG
        import struct
        import zlib

        def chunk(kind: bytes, data: bytes) -> bytes:
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

        ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
        return (
            b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
            + chunk(b"IEND", b"")
        )


# ---------------------------------------------------------------- server (child process)


def _serve(port: int, control_port: int, ready: Any) -> None:
    png = _png()
    stats: dict[str, dict[str, int]] = {
        h: {"conns": 0, "max_conns": 0, "inflight": 0, "max_inflight": 0} for h in HOSTS
    }
    totals = {"requests": 0, "connections": 0}

    async def control(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # The bench's own control port: not counted.
        head = await reader.readuntil(b"\r\n\r\n")
        target = head.split(b" ", 2)[1]
        if target == b"/__reset":
            for v in stats.values():
                v.update(max_conns=v["conns"], max_inflight=0)
            totals.update(requests=0, connections=0)
        body = json.dumps({"hosts": stats, **totals}).encode()
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
            + str(len(body)).encode()
            + b"\r\nConnection: close\r\n\r\n"
            + body
        )
        await writer.drain()
        writer.close()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host = writer.get_extra_info("sockname")[0]
        s = stats[host]
        s["conns"] += 1
        s["max_conns"] = max(s["max_conns"], s["conns"])
        totals["connections"] += 1
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                line = head.split(b"\r\n", 1)[0].decode("latin-1")
                method, target = line.split(" ")[:2]
                s["inflight"] += 1
                s["max_inflight"] = max(s["max_inflight"], s["inflight"])
                totals["requests"] += 1
                try:
                    await asyncio.sleep(DELAY)
                    if target.startswith("/img/"):
                        status, ctype, body = b"200 OK", b"image/png", png
                    else:
                        status, ctype, body = b"404 Not Found", b"text/plain", b"not found"
                    writer.write(
                        b"HTTP/1.1 "
                        + status
                        + b"\r\nContent-Type: "
                        + ctype
                        + b"\r\nContent-Length: "
                        + str(len(body)).encode()
                        + b"\r\n\r\n"
                        + (b"" if method == "HEAD" else body)
                    )
                    await writer.drain()
                finally:
                    s["inflight"] -= 1
                if b"connection: close" in head.lower():
                    return
        except ConnectionError:
            return
        finally:
            s["conns"] -= 1
            writer.close()

    async def main() -> None:
        servers = [await asyncio.start_server(handle, h, port, backlog=1024, reuse_address=True) for h in HOSTS]
        servers.append(await asyncio.start_server(control, "127.0.0.1", control_port))
        ready.send(True)
        await asyncio.gather(*(srv.serve_forever() for srv in servers))

    asyncio.run(main())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _control(port: int, what: str) -> dict[str, Any]:
    import urllib.request

    # the standard library, no proxy (a loopback server): the bench needs no HTTP client package
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(f"http://127.0.0.1:{port}/__{what}", timeout=10) as r:
        return dict(json.loads(r.read()))


# ---------------------------------------------------------------- runs


def run_clipqa(urls: list[str], cache_dir: str, allow: list[str]) -> tuple[float, Any]:
    from qa import __version__
    from qa.checks import Context
    from qa.checks._imagefetch import Cache, probe_all
    from qa.checks.image_url import OPTIONS, settings_from

    ctx = Context(dict(OPTIONS), {"tool_version": __version__, "online_allow": allow})
    settings = settings_from(ctx)
    cache = Cache(cache_dir, float(OPTIONS["cache-ttl"]), float(OPTIONS["cache-ttl-failure"]))
    t0 = time.perf_counter()
    result = probe_all(urls, settings, cache)
    took = time.perf_counter() - t0
    cache.close()
    return took, (result, settings)


def run_linkchecker(urls: list[str], timeout: float) -> tuple[float, str]:
    exe = shutil.which("linkchecker") or str(Path(sys.executable).with_name("linkchecker"))
    if not Path(exe).exists():
        return float("nan"), "linkchecker is not installed (pip install linkchecker)"
    cmd = [exe, "--stdin", "-r", "0", "--no-status", "--no-robots", "-o", "none", "--check-extern"]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(
            cmd,
            check=False,
            input="\n".join(urls),
            text=True,
            capture_output=True,
            timeout=timeout,
            env={**os.environ, "LANG": "C"},
        )
        note = f"exit {proc.returncode}"
    except subprocess.TimeoutExpired:
        note = f"stopped after {timeout:g} s (did not finish)"
    return time.perf_counter() - t0, note


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--urls", type=int, default=5000)
    ap.add_argument("--peer-timeout", type=float, default=150.0)
    ap.add_argument("--no-peer", action="store_true", help="skip linkchecker")
    args = ap.parse_args()

    port, control_port = _free_port(), _free_port()
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_serve, args=(port, control_port, child), daemon=True)
    proc.start()
    if not parent.poll(30):
        print("server did not start", file=sys.stderr)
        return 2
    parent.recv()
    urls = [f"http://{HOSTS[i % len(HOSTS)]}:{port}/img/{i}.png" for i in range(args.urls)]
    allow = [f"{host}:{port}" for host in HOSTS]  # the bench's own server, nothing else
    failures: list[str] = []
    tmp = tempfile.mkdtemp(prefix="clipqa-bench-")
    try:
        _control(control_port, "reset")
        cold, (res, settings) = run_clipqa(urls, tmp, allow)
        stats = _control(control_port, "stats")
        bad = [u for u, p in res.probes.items() if not p.ok]
        max_conns = max(v["max_conns"] for v in stats["hosts"].values())
        max_inflight = max(v["max_inflight"] for v in stats["hosts"].values())
        print(
            f"clipqa cold: {len(urls)} URLs in {cold:.2f} s ({len(urls) / cold:.0f} URLs/s, "
            f"{stats['requests']} requests, {stats['connections']} connections); "
            f"limits: {settings.concurrency} global, {settings.per_host} per host; "
            f"max per host: {max_conns} connections open, {max_inflight} requests in flight; "
            f"{len(bad)} not ok"
        )
        if cold >= 10:
            failures.append(f"cold run took {cold:.2f} s (target < 10 s)")
        if max_conns > settings.per_host or max_inflight > settings.per_host:
            failures.append(
                f"per-host limit {settings.per_host} exceeded ({max_conns} conns, {max_inflight} in flight)"
            )
        if bad or len(res.probes) != len(urls):
            failures.append(f"{len(bad)} URLs not ok, {len(urls) - len(res.probes)} unchecked")

        _control(control_port, "reset")
        warm, (res2, _) = run_clipqa(urls, tmp, allow)
        stats2 = _control(control_port, "stats")
        print(
            f"clipqa warm: {len(urls)} URLs in {warm:.3f} s ({res2.from_cache} from the cache, "
            f"{stats2['requests']} requests)"
        )
        if warm >= 1:
            failures.append(f"warm run took {warm:.3f} s (target < 1 s)")
        if stats2["requests"]:
            failures.append(f"warm run sent {stats2['requests']} requests")

        # the allow-list opens exactly those address:port pairs: the control port is refused
        _control(control_port, "reset")
        outside = [f"http://{HOSTS[0]}:{control_port}/img/0.png"]
        _, (res3, _) = run_clipqa(outside, tmp, allow)
        if res3.probes[outside[0]].outcome != "refused":
            failures.append(f"{outside[0]} was not refused: {res3.probes[outside[0]]}")

        if not args.no_peer:
            _control(control_port, "reset")
            peer, note = run_linkchecker(urls, args.peer_timeout)
            stats3 = _control(control_port, "stats")
            print(
                f"linkchecker: {peer:.2f} s ({note}; {stats3['requests']} requests); "
                f"ratio linkchecker / clipqa cold = {peer / cold:.1f}x"
            )
    finally:
        proc.terminate()
        proc.join(5)
        shutil.rmtree(tmp, ignore_errors=True)
    for f in failures:
        print(f"MISSED: {f}", file=sys.stderr)
    print("all targets met" if not failures else f"{len(failures)} target(s) missed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    raise SystemExit(main())
