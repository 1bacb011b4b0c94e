"""The example report in a real headless Chromium: it loads from file:// with no console
errors, shows every segment and KPI, and its SVG charts are laid out with a size. Where Debian's
Chromium is missing these tests skip (the README's test command passes on a fresh machine);
`.ci/run` installs it and sets SEGL_REQUIRE_BROWSER=1, so in CI a missing browser fails."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from segl.compiler.api import compile_file
from segl.compiler.plan import share_kpis
from segl.runtime.cli import main

from tests.browser.chromium import browser_missing, chromium
from tests.conftest import ROOT
from tests.report.test_report import HOSTILE, PNG

SHOP = ROOT / "examples/shop/shop.seg"


@pytest.fixture(scope="session")
def browser():
    missing = browser_missing()
    if missing:
        pytest.skip(missing)
    with chromium() as driver:
        yield driver


def severe(driver) -> list[dict]:
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def test_console_errors_are_seen(browser, tmp_path):
    """The log the report test reads does catch an error (so an empty one means something)."""
    page = tmp_path / "broken.html"
    page.write_text('<!DOCTYPE html><title>x</title><script>console.error("boom")</script>'
                    '<img src="missing.png" alt="">')
    browser.get(page.as_uri())
    messages = " ".join(entry["message"] for entry in severe(browser))
    assert "boom" in messages and "missing.png" in messages


def test_the_report_renders_in_chromium(browser, tmp_path):
    out = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["report", str(SHOP), "--as-of", "2026-06-30",
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    severe(browser)  # drop anything logged before this page
    browser.get(out.as_uri())
    assert browser.execute_script("return document.readyState") == "complete"
    assert severe(browser) == []

    text = browser.execute_script("return document.body.innerText")
    model = compile_file(SHOP).model
    for name in [*model.segments, *model.segmentations, *model.kpis]:
        assert name in text, name
    for kpi in model.kpis.values():
        assert kpi.label in text, kpi.label
    for segmentation in model.segmentations.values():
        for bucket in segmentation.buckets:
            assert f"{segmentation.name}.{bucket.name}" in text

    charts = browser.execute_script("""
        return Array.from(document.querySelectorAll('svg.chart')).map(svg => {
          const box = svg.getBoundingClientRect();
          const marks = Array.from(svg.querySelectorAll('rect.bar, rect.cell, rect.part'))
            .map(r => r.getBoundingClientRect())
            .filter(b => b.width > 0 && b.height > 0).length;
          return {width: box.width, height: box.height, marks: marks,
                  title: svg.querySelector('title').textContent};
        });""")
    # sizes, each segmentation x (stacked + bars), one per KPI and per `share of`
    # (top_20pct's and spend_deciles' spend_total, top_100_last_year's spend_1y), the overlap
    # heatmap
    shares = share_kpis(model, list(model.segments), list(model.segmentations))
    assert len(shares) == 2
    for share in shares:
        assert share in text
    assert len(charts) == 1 + len(model.segmentations) * 2 + len(model.kpis) + len(shares) + 1
    for chart in charts:
        assert chart["width"] > 100 and chart["height"] > 20, chart
        assert chart["marks"] > 0, chart
    heatmap = next(c for c in charts if c["title"].startswith("Overlap"))
    assert heatmap["marks"] == len(model.segments) ** 2
    sizes = next(c for c in charts if c["title"].startswith("Members per segment"))
    assert sizes["marks"] == len(model.segments)


def test_hostile_labels_stay_text_and_the_photo_loads(browser, project, tmp_path):
    """A label with a <script> shows as text in the browser (no script runs, no alert), and
    the persona photo embedded as a data URI decodes."""
    path = project(HOSTILE, {"customers": [{"id": 1, "city": "<Delft>"},
                                           {"id": 2, "city": "Delft"}]})
    (tmp_path / "ann.png").write_bytes(PNG)
    out = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["report", str(path), "--as-of", "2026-06-30",
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    severe(browser)
    browser.get(out.as_uri())
    assert severe(browser) == []
    assert browser.execute_script("return document.scripts.length") == 0
    text = browser.execute_script("return document.body.innerText")
    assert "<script>alert('label')</script>" in text
    assert browser.execute_script(
        "const img = document.querySelector('img.avatar');"
        "return img.complete && img.naturalWidth === 1 && img.src.startsWith('data:image/png');")
