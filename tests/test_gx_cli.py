"""``clipqa gx export`` and ``clipqa check --gx``: suites, Data Docs offline in Chromium, no network."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1"}
CHROMIUM = Path("/usr/bin/chromium")

CLIPPING = {
    "title": "A title",
    "excerpt": "An excerpt",
    "publishedDateTime": "2021-12-28T10:00:00",  # no time zone: S108
    "webUrl": "https://www.example.com/a",
    "published": "yes",  # a string: S102
    "quality": 150,  # out of range: S104
    "provider": {"name": "Example", "domain": "example.com"},
    "images": [{"url": "https://img.example.com/1.jpg", "width": "640px", "height": 10}],  # a string: S102
}


def _clipqa(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "qa", *args],
        cwd=cwd,
        env=env or ENV,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _corpus(root: Path) -> Path:
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "bad.md").write_text("---\n" + yaml.safe_dump(CLIPPING) + "---\nBody\n", encoding="utf-8")
    good = dict(CLIPPING, publishedDateTime="2021-12-28T10:00:00Z", published=True, quality=5)
    good["images"] = [{"url": "https://img.example.com/1.jpg", "width": 10, "height": 10}]
    (corpus / "good.md").write_text("---\n" + yaml.safe_dump(good) + "---\nBody\n", encoding="utf-8")
    return corpus


def test_export_writes_loadable_suites_and_accounts_for_every_constraint(tmp_path: Path) -> None:
    gx = pytest.importorskip("great_expectations")
    proc = _clipqa("gx", "export", "--out", str(tmp_path / "suites"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    names = sorted(p.name for p in (tmp_path / "suites").glob("*.json"))
    assert names == [
        "clipqa-gx-mapping.json",
        "clipqa.clippings.json",
        "clipqa.clippings.topics.json",
        "clipqa.images.json",
        "clipqa.related.json",
    ]
    # Count the constraints from the schema files themselves, independently of qa/gx.py.
    expected: dict[str, int] = {}
    for path in (REPO / "schemas").glob("*.yaml"):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))

        def walk(fields: dict[str, Any], table: str) -> None:
            for spec in fields.values():
                if spec.get("type") == "mapping":
                    walk(spec.get("fields", {}), table)
                elif spec.get("type") == "list":
                    if "items" in spec:
                        items = spec["items"]
                        expected["clippings.topics"] = 1 + len(items.get("checks", {})) + bool(items.get("required"))
                else:
                    expected[table] = (
                        expected.get(table, 0) + 1 + len(spec.get("checks", {})) + bool(spec.get("required"))
                    )

        walk(doc["fields"], doc["table"])
        expected[doc["table"]] += len(doc.get("cross_field", []))
    context = gx.get_context(mode="ephemeral")
    for table, count in expected.items():
        data = json.loads((tmp_path / "suites" / f"clipqa.{table}.json").read_text(encoding="utf-8"))
        suite = context.suites.add(gx.ExpectationSuite(**data))  # a GX project can load it
        assert len(suite.expectations) == count, table
        constraints = {e.meta["clipqa"]["constraint"] for e in suite.expectations}
        assert "type" in constraints
    mapping = json.loads((tmp_path / "suites" / "clipqa-gx-mapping.json").read_text(encoding="utf-8"))
    assert all(d["reason"] for d in mapping["derived_columns"])
    assert {u["table"] for u in mapping["unmapped"]} == {"clippings", "images", "related"}
    assert "no GX equivalent" in proc.stdout and "unknown_fields" in proc.stdout


def test_check_without_gx_flag_never_imports_gx(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "qa", "check", str(corpus), "--no-reports", "-q", "--isolated"],
        cwd=tmp_path,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "pandera" in proc.stderr  # importtime lists imports: the check is meaningful
    assert "great_expectations" not in proc.stderr


def test_check_gx_without_gx_installed_exits_2(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path)
    script = (
        "import sys; sys.modules['great_expectations'] = None\n"
        "from qa.cli import main\n"
        f"main(['check', {str(corpus)!r}, '--gx', '--isolated', '-q'])\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=ENV, capture_output=True, text=True, timeout=300, check=False
    )
    assert proc.returncode == 2
    assert "clipqa[gx]" in proc.stderr
    assert "Traceback" not in proc.stderr


# Any connection to a non-loopback address (or a DNS lookup) during the run is recorded and refused.
_GUARD = textwrap.dedent(
    """
    import os, socket
    _log = os.environ["NET_GUARD_LOG"]
    def _bad(what):
        with open(_log, "a") as f:
            f.write(what + "\\n")
        raise OSError("network disabled by test: " + what)
    _connect = socket.socket.connect
    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in ("127.0.0.1", "::1", "localhost"):
            _bad(repr(address))
        return _connect(self, address)
    socket.socket.connect = connect
    _gai = socket.getaddrinfo
    def getaddrinfo(host, *a, **k):
        if host not in (None, "127.0.0.1", "::1", "localhost"):
            _bad("dns " + repr(host))
        return _gai(host, *a, **k)
    socket.getaddrinfo = getaddrinfo
    """
)


@pytest.fixture(scope="module")
def gx_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str], Path]:
    pytest.importorskip("great_expectations")
    root = tmp_path_factory.mktemp("gxcheck")
    corpus = _corpus(root)
    guard = root / "guard"
    guard.mkdir()
    (guard / "sitecustomize.py").write_text(_GUARD, encoding="utf-8")
    log = root / "net.log"
    env = {**ENV, "PYTHONPATH": f"{guard}{os.pathsep}{REPO}", "NET_GUARD_LOG": str(log)}
    env.pop("GX_ANALYTICS_ENABLED", None)
    proc = _clipqa("check", str(corpus), "--gx", "--isolated", "--no-progress", cwd=root, env=env)
    return root, proc, log


def test_check_gx_runs_offline_and_links_data_docs(gx_run: tuple[Path, subprocess.CompletedProcess[str], Path]) -> None:
    root, proc, log = gx_run
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert not log.exists(), log.read_text(encoding="utf-8")
    assert "Great Expectations:" in proc.stderr
    summary = json.loads((root / "reports" / "gx" / "clipqa-gx-summary.json").read_text(encoding="utf-8"))
    assert summary["failed"] >= 4 and summary["errored"] == 0 and summary["disagreements"] == 0
    assert summary["remote_assets"] == []
    failed = {(f["table"], f["column"], f["constraint"]) for f in summary["failed_expectations"]}
    assert {
        ("clippings", "publishedDateTime", "timezone"),
        ("clippings", "published", "type"),
        ("clippings", "quality", "between"),
        ("images", "width", "type"),
    } <= failed
    html = (root / "reports" / "clipqa-report.html").read_text(encoding="utf-8")
    assert 'href="gx/index.html"' in html
    findings = json.loads((root / "reports" / "clipqa-findings.json").read_text(encoding="utf-8"))
    rules = [f["rule"] for f in findings["findings"]]
    assert "G001" not in rules  # GX agrees with clipqa: nothing reported twice
    pages = list((root / "reports" / "gx").rglob("*.html"))
    assert len(pages) >= 5
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for cdn in (
            "cdn.jsdelivr.net",
            "cdnjs.cloudflare.com",
            "unpkg.com",
            "code.jquery.com",
            "bootstrapcdn",
            "amazonaws",
        ):
            assert cdn not in text, (page, cdn)


@pytest.mark.browser
def test_data_docs_open_styled_offline_in_chromium(gx_run: tuple[Path, subprocess.CompletedProcess[str], Path]) -> None:
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    root, _proc, _log = gx_run
    docs = root / "reports" / "gx"
    validation = next((docs / "validations").rglob("*.html"))
    pages = [docs / "index.html", validation, next((docs / "expectations").rglob("*.html"))]
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            for page_path in pages:
                page = browser.new_page()
                remote: list[str] = []
                failed: list[str] = []

                def route(r: Any, remote: list[str] = remote) -> None:
                    if r.request.url.startswith(("file:", "data:", "about:", "blob:")):
                        r.continue_()
                    else:
                        remote.append(r.request.url)
                        r.abort()

                page.route("**/*", route)
                page.on("requestfailed", lambda req, failed=failed: failed.append(req.url))
                page.goto(page_path.as_uri(), wait_until="load")
                page.wait_for_timeout(300)
                assert remote == [], (page_path, remote)
                assert failed == [], (page_path, failed)
                state = page.evaluate(
                    """() => {
                      // file:// style sheets cannot be read (cssRules); probe their effect instead
                      const probe = (cls, tag) => {
                        const el = document.createElement(tag || 'div'); el.className = cls;
                        document.body.appendChild(el); return el;
                      };
                      const style = (cls, tag) => getComputedStyle(probe(cls, tag));
                      const fa = probe('fas fa-check', 'i');
                      return {
                        sheets: [...document.styleSheets].map(s => s.href || 'inline'),
                        jquery: typeof window.jQuery,
                        bootstrapTable: !!(window.jQuery && jQuery.fn.bootstrapTable),
                        tooltip: !!(window.jQuery && jQuery.fn.tooltip),
                        dnone: style('d-none').display,
                        srOnly: style('sr-only').position,
                        btn: style('btn btn-primary', 'button').backgroundColor,
                        table: style('bootstrap-table').position,
                        faFamily: getComputedStyle(fa).fontFamily,
                        faBefore: getComputedStyle(fa, '::before').content,
                      };
                    }"""
                )
                vendor = [h for h in state["sheets"] if "/static/vendor/" in h]
                assert any(h.endswith("bootstrap/bootstrap.min.css") for h in vendor), state["sheets"]
                assert state["jquery"] == "function" and state["bootstrapTable"] and state["tooltip"], state
                assert state["dnone"] == "none" and state["srOnly"] == "absolute", state  # bootstrap utilities
                assert state["btn"] == "rgb(0, 123, 255)", state  # bootstrap 4's primary blue
                assert "Font Awesome 6 Free" in state["faFamily"] and state["faBefore"] not in ("none", "normal"), state
                if page_path == pages[0]:
                    # the icon font itself loads from the vendored webfonts/ (solid icons are weight 900)
                    loaded = page.evaluate(
                        "async () => (await document.fonts.load('900 16px \"Font Awesome 6 Free\"', '\\uf00c')).length"
                    )
                    assert loaded >= 1
                    assert failed == []
                page.close()
        finally:
            browser.close()
