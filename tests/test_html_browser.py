"""The HTML report in a real browser: Debian's headless Chromium, driven by Playwright.

Never a downloaded browser: ``executable_path`` is /usr/bin/chromium (installed by
.ci/run). Without it the tests skip, except under CI, where they fail. Screenshots
go to test-artifacts/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from qa.report import html
from tests.html_fixtures import glitch_result, register, synthetic_result

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("/usr/bin/chromium is missing: .ci/run installs Debian's chromium")
        pytest.skip("Debian's chromium is not installed (/usr/bin/chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@dataclass
class Opened:
    page: Any
    url: str
    console: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def visible_rows(self) -> int:
        return int(self.page.locator("#rows tr[data-row]").count())

    def shown(self) -> int:
        return int(self.page.get_attribute("body", "data-shown") or -1)


@pytest.fixture
def open_report(browser: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    register(monkeypatch)
    contexts = []

    def opener(result: Any, hash_: str = "", width: int = 1366) -> Opened:
        out = tmp_path / "report.html"
        html.write(result, out)
        ctx = browser.new_context(viewport={"width": width, "height": 900})
        contexts.append(ctx)
        page = ctx.new_page()
        opened = Opened(page, out.as_uri())
        page.on(
            "console",
            lambda m: opened.console.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None,
        )
        page.on("pageerror", lambda e: opened.console.append(f"pageerror: {e}"))
        page.on("request", lambda r: opened.requests.append(r.url))
        page.goto(opened.url + hash_)
        page.wait_for_selector("body[data-ready]")
        return opened

    yield opener
    for c in contexts:
        c.close()


def shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    return path


def test_page_loads_without_errors_or_requests_and_draws_charts(open_report: Any) -> None:
    r = open_report(glitch_result())
    page = r.page
    assert r.console == []
    assert r.requests == [r.url]  # nothing but the file itself
    assert page.inner_text("#verdict").lower().startswith("gate failed")
    # Six charts drawn by Chart.js onto their canvases.
    assert page.evaluate("Object.keys(Chart.instances).length") == 6
    assert page.evaluate("Chart.getChart('chart-checks').data.labels") == [
        "schema",
        "encoding",
        "language",
        "duplicate",
    ]
    assert r.visible_rows() == 7
    shot(page, "report-overview.png")
    assert r.console == [] and r.requests == [r.url]


def test_filters_change_the_visible_rows(open_report: Any) -> None:
    r = open_report(glitch_result())
    page = r.page
    page.select_option("#f-check", "encoding")
    assert r.visible_rows() == 3
    assert set(page.locator("#rows tr").evaluate_all("rs => rs.map(r => r.dataset.check)")) == {"encoding"}
    page.uncheck("input.f-sev[value=info]")
    assert r.visible_rows() == 2 and "zero width space" not in page.inner_text("#rows")
    page.uncheck("input.f-sev[value=warning]")
    assert r.visible_rows() == 1 and "mojibake" in page.inner_text("#rows")
    page.click("#f-reset")
    page.wait_for_selector("body[data-shown='7']", state="attached")
    page.fill("#f-text", "摆脱")
    page.wait_for_selector("body[data-shown='1']", state="attached")
    assert "004_zh.txt" in page.inner_text("#rows")
    page.fill("#f-text", "")
    page.fill("#f-provider", "New York Post")
    page.wait_for_selector("body[data-shown='2']", state="attached")
    assert set(page.locator("#rows td.loc").all_inner_texts()) == {
        "corpus/020_quality.txt:9:1",
        "corpus/030_dup_a.txt:12:1",
    }
    page.fill("#f-provider", "")
    page.fill("#f-path", "dup_")
    page.wait_for_selector("body[data-shown='2']", state="attached")
    page.fill("#f-path", "")
    page.select_option("#f-rule", "S102")
    page.wait_for_selector("body[data-shown='1']", state="attached")
    # A bar of the per-check chart and a top-rules entry filter too.
    page.click("#f-reset")
    page.click("#top-rules button[data-filter-rule=X905]")
    page.wait_for_selector("body[data-shown='2']", state="attached")
    assert page.input_value("#f-rule") == "X905"
    assert r.console == []


def test_sorting_by_a_column_header(open_report: Any) -> None:
    r = open_report(glitch_result())
    page = r.page
    page.click("th[data-sort=severity] button")
    sevs = page.locator("#rows tr").evaluate_all("rs => rs.map(r => r.dataset.severity)")
    assert sevs == sorted(sevs, key=["error", "warning", "info"].index) and sevs[0] == "error"
    assert page.get_attribute("th[data-sort=severity]", "aria-sort") == "ascending"
    page.click("th[data-sort=severity] button")
    assert page.locator("#rows tr").first.get_attribute("data-severity") == "info"


def test_a_known_glitch_shows_its_span_highlighted_in_context(open_report: Any) -> None:
    r = open_report(glitch_result())
    page = r.page
    page.click("#rows a:has-text('004_zh.txt')")
    page.wait_for_selector("#clipping:not([hidden])")
    art = page.locator("article.finding").first
    assert art.locator(".context mark.hit").inner_text() == "摆脱"
    context = art.locator(".context").inner_text()
    assert "ecosystem aimed at摆脱 external constraints" in context
    assert "corpus/004_zh.txt:3:107" in art.inner_text()
    assert art.locator(".fixline ins").first.inner_text() == "to break free from"
    assert art.locator(".fixline del").first.inner_text() == "摆脱"
    # the test rule declares no fix applicability: its proposal is shown, never applied
    assert art.locator(".badge.fix-display-only").text_content() == "display only"
    shot(page, "report-clipping-zh.png")
    # The stripped joiners of an emoji sequence: visible markers where the fix puts them back.
    page.click("#clip-next")  # 010_family.txt follows in file order
    page.wait_for_selector("#clip-h:has-text('010_family')")
    fam = page.locator("article.finding").first
    assert fam.locator(".context mark.hit").inner_text() == "👨👩👧"
    markers = fam.locator(".fixline ins abbr.inv")
    assert markers.count() == 2 and markers.first.inner_text() == "ZWJ"
    assert "U+200D" in (markers.first.get_attribute("title") or "")
    assert "👨\u200d👩\u200d👧" in fam.locator(".fixline.result").inner_text()
    shot(page, "report-clipping-emoji.png")
    # Escape returns to the table, as it was.
    page.keyboard.press("Escape")
    page.wait_for_selector("#clipping[hidden]", state="attached")
    assert page.is_visible("#findings-table")
    assert r.console == [] and r.requests == [r.url]


def test_keyboard_reaches_search_and_the_findings(open_report: Any) -> None:
    r = open_report(glitch_result())
    page = r.page
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "f-text"
    page.keyboard.type("mojibake")
    page.wait_for_selector("body[data-shown='1']", state="attached")
    page.keyboard.press("Tab")  # to the next control; the rows' links are reachable by Tab
    link = page.locator("#rows a").first
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#clipping:not([hidden])")
    assert page.evaluate("document.activeElement.classList.contains('finding')")


def test_baseline_status_filter_and_fixed_list(open_report: Any) -> None:
    r = open_report(glitch_result(baseline=True))
    page = r.page
    assert page.inner_text("#n-new") == "4" and page.inner_text("#n-fixed") == "1"
    page.select_option("#f-status", "existing")
    assert r.visible_rows() == 3
    assert set(page.locator("#rows .badge.st-existing").all_inner_texts()) == {"existing"}
    assert "corpus/040_fixed.txt" in page.inner_text("#fixed-table")
    assert r.console == []


def test_many_findings_are_paged(open_report: Any) -> None:
    r = open_report(synthetic_result(3000, 600))
    page = r.page
    assert r.visible_rows() == 100 and r.shown() == 3000
    assert "Page 1 of 30" in page.inner_text("#p-where")
    first = page.locator("#rows tr").first.get_attribute("data-row")
    page.click("#p-next")
    assert "Page 2 of 30" in page.inner_text("#p-where")
    assert page.locator("#rows tr").first.get_attribute("data-row") != first
    page.select_option("#p-size", "500")
    assert r.visible_rows() == 500
    assert r.console == [] and r.requests == [r.url]


def test_narrow_screen_and_print_layout(open_report: Any) -> None:
    r = open_report(glitch_result(), width=800)
    page = r.page
    shot(page, "report-narrow.png")
    page.emulate_media(media="print")
    assert not page.is_visible("#filters") and not page.is_visible(".pager")
    assert page.is_visible("#findings-table")
    pdf = ARTIFACTS / "report-print.pdf"
    page.pdf(path=str(pdf))
    assert pdf.stat().st_size > 20_000
