"""HTML report benchmark: a 100,000-finding report, generated, opened and filtered in Chromium.

    python bench/report_bench.py [--findings 100000] [--files 20000]

Times (figures in docs/html-report.md):
* generation: ``qa.report.html.write`` for a synthetic RunResult (building the
  RunResult itself is not timed);
* opening: Debian's headless Chromium (/usr/bin/chromium, driven by Playwright)
  from navigation until the report's script has rendered the first page of rows
  and the charts; the page's own clock at that moment too;
* filtering: each filter applied in the page (check, severity, rule, provider,
  path, full-text search, sorting) from the event to the rows on screen.

Exits 1 when a target is missed: generation < 30 s, opening < 10 s, every filter
< 1 s. Without Chromium or the playwright package, only generation is timed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from qa.checks import all_checks  # noqa: E402
from qa.findings import REGISTRY  # noqa: E402
from qa.report import html  # noqa: E402
from tests.html_fixtures import TEST_RULES, synthetic_result  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
TARGETS = {"generate_s": 30.0, "open_s": 10.0, "filter_ms": 1000.0}

# name -> JS run in the page: set controls, re-render synchronously, return the rows shown.
FILTERS = {
    "check": "document.getElementById('f-check').value = 'encoding'",
    "severity (errors only)": "document.querySelectorAll('.f-sev').forEach(b => b.checked = b.value === 'error')",
    "rule": "document.getElementById('f-rule').value = 'X901'",
    "provider": "document.getElementById('f-provider').value = 'Reuters'",
    "path": "document.getElementById('f-path').value = '/007/'",
    "search (one word)": "document.getElementById('f-text').value = 'joiner'",
    "search (two words)": "document.getElementById('f-text').value = '摆脱 ecosystem'",
    "all filters cleared": "document.getElementById('filters').reset()",
}


def browser_times(page_path: Path) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    out: dict[str, Any] = {}
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = b.new_page(viewport={"width": 1366, "height": 900})
        errors: list[str] = []
        requests: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        t0 = time.perf_counter()
        page.goto(page_path.as_uri(), timeout=120_000)
        page.wait_for_selector("body[data-ready]", timeout=120_000)
        out["open_s"] = round(time.perf_counter() - t0, 3)
        out["open_page_clock_ms"] = int(page.get_attribute("body", "data-ready-ms") or 0)
        out["js_heap_mb"] = page.evaluate(
            "performance.memory ? Math.round(performance.memory.usedJSHeapSize / 1e6) : null"
        )
        out["rows_on_screen"] = page.locator("#rows tr").count()
        filters: dict[str, dict[str, float | int]] = {}
        for name, js in FILTERS.items():
            page.evaluate("document.getElementById('filters').reset()")
            page.evaluate("clipqaReport.refresh()")
            ms, shown = page.evaluate(
                f"() => {{ const t = performance.now(); {js}; const n = clipqaReport.refresh();"
                " document.getElementById('rows').offsetHeight; return [performance.now() - t, n]; }"
            )
            filters[name] = {"ms": round(ms, 1), "rows": shown}
        page.evaluate("document.getElementById('filters').reset()")
        page.evaluate("clipqaReport.refresh()")
        for key in ("severity", "path", "message"):
            ms = page.evaluate(
                f"() => {{ const t = performance.now(); document.querySelector('th[data-sort={key}] button').click();"
                " document.getElementById('rows').offsetHeight; return performance.now() - t; }"
            )
            filters[f"sort by {key}"] = {"ms": round(ms, 1), "rows": page.evaluate("clipqaReport.rows()")}
        # End to end as a person does it: typing in the search box (with its 120 ms typing delay).
        t0 = time.perf_counter()
        page.fill("#f-text", "mojibake")
        page.wait_for_selector("#shown:has-text('filtered from')")
        out["typed_search_s"] = round(time.perf_counter() - t0, 3)
        out["filters"] = filters
        out["page_errors"] = errors
        out["requests_beyond_the_file"] = [u for u in requests if u != page_path.as_uri()]
        b.close()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--findings", type=int, default=100_000)
    ap.add_argument("--files", type=int, default=20_000)
    ap.add_argument("--keep", help="write the report here and keep it")
    args = ap.parse_args()
    all_checks()  # the real rules first, then the synthetic ones under their own codes
    for r in TEST_RULES:
        REGISTRY.setdefault(r.code, r)

    result = synthetic_result(args.findings, args.files)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.keep) if args.keep else Path(tmp) / "report.html"
        t0 = time.perf_counter()
        html.write(result, path)
        report: dict[str, Any] = {
            "findings": args.findings,
            "files": args.files,
            "generate_s": round(time.perf_counter() - t0, 3),
            "size_mb": round(os.path.getsize(path) / 1e6, 1),
        }
        try:
            import playwright  # noqa: F401
        except ImportError:
            report["browser"] = "skipped: the playwright package is not installed (pip install -e .[test])"
        else:
            if CHROMIUM.exists():
                report.update(browser_times(path))
            else:
                report["browser"] = "skipped: /usr/bin/chromium is missing (apt-get install chromium)"
    print(json.dumps(report, indent=1, ensure_ascii=False))

    missed = []
    if report["generate_s"] > TARGETS["generate_s"]:
        missed.append(f"generation {report['generate_s']} s > {TARGETS['generate_s']} s")
    if "open_s" in report:
        if report["open_s"] > TARGETS["open_s"]:
            missed.append(f"opening {report['open_s']} s > {TARGETS['open_s']} s")
        for name, f in report["filters"].items():
            if f["ms"] > TARGETS["filter_ms"]:
                missed.append(f"{name} {f['ms']} ms > {TARGETS['filter_ms']} ms")
        if report["page_errors"] or report["requests_beyond_the_file"]:
            missed.append("page errors or requests beyond the file")
    for m in missed:
        print(f"target missed: {m}", file=sys.stderr)
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
