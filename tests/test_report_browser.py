"""Reports opened in headless Chromium: no console errors, figures visible, no injected code runs.

Needs the system's Chromium (Debian package `chromium`) and the `playwright` Python package; the
browser is never downloaded. Outside CI a missing piece skips these tests; in CI (env CI set) it
fails them, because CI must prove that reports render.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from kerasdl.report import render_index, render_run
from kerasdl.report.compare import render_compare_runs

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _unavailable(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so report rendering must be tested)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def chromium_path() -> str:
    candidates = [os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    _unavailable("Chromium not found: set CHROMIUM=/path/to/chromium or install Debian's `chromium` package")


@pytest.fixture(scope="module")
def browser(chromium_path):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the `playwright` Python package is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


class _Watched:
    """A page with every console error, page error, dialog and non-file request recorded."""

    def __init__(self, browser) -> None:
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.network: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", self._dialog)
        self.page.on("request", lambda r: None if r.url.startswith(("file:", "data:")) else self.network.append(r.url))

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def open(self, path: Path) -> None:
        self.page.goto(path.resolve().as_uri(), wait_until="load")

    def assert_clean(self) -> None:
        assert self.errors == []
        assert self.dialogs == []  # the "<script>alert(1)</script>" class name never ran
        assert self.network == []
        assert self.page.evaluate("() => window.__xss === undefined")  # nor did the onerror attribute


def _screenshot(watched: _Watched, target: Path) -> None:
    watched.page.screenshot(path=str(target), full_page=True)
    data = target.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 20_000


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_run_report_renders_cleanly(browser, fake_run_dir, task):
    run_dir = fake_run_dir(task, sections=task == "binary")  # one page also carries every study section kind
    watched = _Watched(browser)
    try:
        watched.open(render_run(run_dir))
        figures = watched.page.locator("figure svg")
        assert figures.count() == watched.page.locator("svg").count() > 0
        for i in range(figures.count()):
            svg = figures.nth(i)
            assert svg.is_visible()
            box = svg.bounding_box()
            assert box and box["width"] > 100 and box["height"] > 100
        # confusion matrices of few classes are tables whose cells are shaded by the row share
        tables = watched.page.locator("figure table.confusion")
        assert tables.count() == (0 if task == "regression" else 3)
        for i in range(tables.count()):
            assert tables.nth(i).is_visible()
            shade = tables.nth(i).locator("td.diagonal").first.evaluate("td => getComputedStyle(td).backgroundColor")
            assert shade not in ("rgba(0, 0, 0, 0)", "rgb(255, 255, 255)")
        # wide tables scroll inside their frame; the page itself never scrolls sideways
        assert watched.page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
        assert watched.page.locator("h2").count() >= 7
        _screenshot(watched, run_dir / "report.png")
        watched.assert_clean()
    finally:
        watched.page.close()


def test_report_without_predictions_renders_cleanly(browser, fake_run_dir):
    run_dir = fake_run_dir("binary", predictions=False, history=False)
    watched = _Watched(browser)
    try:
        watched.open(render_run(run_dir))
        assert watched.page.get_by_text("no predictions recorded").first.is_visible()
        watched.assert_clean()
    finally:
        watched.page.close()


def test_index_renders_and_links_to_reports(browser, fake_run_dir):
    runs = [fake_run_dir("binary"), fake_run_dir("regression")]
    for run_dir in runs:
        render_run(run_dir)
    out = runs[0].parent.parent
    watched = _Watched(browser)
    try:
        watched.open(render_index(out))
        links = watched.page.locator('table.runs a[href$="report.html"]')
        assert links.count() == 2
        for i in range(links.count()):
            href = links.nth(i).evaluate("a => a.href")  # resolved by the browser
            assert href.startswith("file://") and href.endswith("/report.html")
        links.first.click()
        watched.page.wait_for_load_state("load")
        assert watched.page.url.endswith("/report.html")
        assert watched.page.locator("figure svg").count() > 0
        watched.page.go_back()
        _screenshot(watched, out / "index.png")
        watched.assert_clean()
    finally:
        watched.page.close()


@pytest.mark.parametrize("task, shape", [("tagging", None), ("generation", None), ("generation", (8, 8))])
def test_task_sections_render_cleanly(browser, task_run_dir, task, shape):
    run_dir = task_run_dir(task, shape=shape)
    watched = _Watched(browser)
    try:
        watched.open(render_run(run_dir))
        figures = watched.page.locator("section figure svg, section figure table.confusion")
        assert figures.count() >= 2  # one per variant
        for i in range(figures.count()):
            assert figures.nth(i).is_visible()
        assert watched.page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
        watched.assert_clean()
    finally:
        watched.page.close()


# --------------------------------------------------------------------------- issue 15: index, findings, compare
def _no_sideways_scroll(watched: _Watched) -> bool:
    return watched.page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def test_index_contents_run_page_and_comparison_render_cleanly(browser, fake_run_dir, tmp_path):
    """The notes' table of contents filled from the registered studies, a run page opening on its
    finding (generic sections folded: six variants), and a comparison page; each loads without a
    console error, shows its figures, fits a narrow screen and prints its folded sections."""
    from test_report_pages import BARS, FINDING, registered_as, with_sections

    older = registered_as(fake_run_dir("binary", n_variants=6), "regularization", seed=1)
    newer = registered_as(with_sections(fake_run_dir("binary", n_variants=6), FINDING, BARS), "regularization", seed=0)
    render_run(older), render_run(newer)
    out = newer.parent.parent
    render_index(out)
    comparison = render_compare_runs([older, newer])
    index = render_index(out)
    watched = _Watched(browser)
    try:
        # the index: every topic of the notes, every registered study, the latest runs' headlines
        watched.open(index)
        toc = watched.page.locator("ol.toc > li")
        assert toc.count() >= 9 and watched.page.locator("ol.toc a.todo").count() > 40
        assert watched.page.get_by_text("kerasdl run heart-disease").is_visible()
        spark = watched.page.locator("#study-regularization svg.spark")
        assert spark.is_visible() and spark.bounding_box()["width"] > 50
        assert _no_sideways_scroll(watched)
        _screenshot(watched, tmp_path / "index.png")
        watched.page.locator('#study-regularization a[href$="report.html"]').first.click()
        watched.page.wait_for_load_state("load")
        # the run page: the finding and its figure first, the generic sections folded
        findings = watched.page.locator("#findings")
        assert findings.locator("blockquote.claim").is_visible() and findings.locator("svg").is_visible()
        assert findings.bounding_box()["y"] < watched.page.locator("#metrics").bounding_box()["y"]
        assert not watched.page.locator("#metrics table.metrics").is_visible()  # folded
        watched.page.locator("#metrics summary").click()  # opened without a script
        assert watched.page.locator("#metrics table.metrics").is_visible()
        _screenshot(watched, tmp_path / "report.png")
        watched.page.emulate_media(media="print")  # printing shows the folded sections too
        assert watched.page.locator("#models table.settings").first.is_visible()
        assert not watched.page.locator("header.top nav").is_visible()
        watched.page.emulate_media(media="screen")
        watched.page.set_viewport_size({"width": 390, "height": 800})  # a phone
        assert _no_sideways_scroll(watched)
        _screenshot(watched, tmp_path / "report-narrow.png")
        # the comparison page
        watched.page.set_viewport_size({"width": 1280, "height": 900})
        watched.open(comparison)
        figures = watched.page.locator("figure svg")
        assert figures.count() >= 3
        for i in range(figures.count()):
            assert figures.nth(i).is_visible()
        assert watched.page.locator("table.differences").get_by_text("seed").is_visible()
        assert _no_sideways_scroll(watched)
        _screenshot(watched, tmp_path / "compare.png")
        watched.assert_clean()
    finally:
        watched.page.close()
