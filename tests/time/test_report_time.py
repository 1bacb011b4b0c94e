"""The report's "Over time" section (issue 11 item 6): with a range of dates, every size,
KPI and transition count it shows equals a separate evaluation of its date; entered and
left add up; from a recorded history it shows the recorded dates; without a range there is
no such section."""

from __future__ import annotations

from collections import Counter
from datetime import date
from html.parser import HTMLParser

import pytest
from click.testing import CliRunner
from segl.runtime.api import evaluate
from segl.runtime.changes import Source, transitions
from segl.runtime.cli import main
from segl.runtime.kpis import kpi_table
from segl.runtime.report import build_report, render_report
from segl.runtime.snapshot import snapshot

from tests.conftest import ROOT

from .small_shop import MONTH_ENDS, memberships, write_project

SHOP = str(ROOT / "examples/shop/shop.seg")
DAYS = [date(2026, 4, 30), date(2026, 5, 31), date(2026, 6, 30)]


class TimeCells(HTMLParser):
    """The data-* attributes of the "Over time" section's cells."""

    def __init__(self) -> None:
        super().__init__()
        self.sizes: dict[tuple[str, str, int], tuple[int, int | None, int | None]] = {}
        self.kpis: dict[tuple[str, str, int], str] = {}
        self.moves: dict[str, dict[tuple[str, str], int]] = {}
        self._row: dict[str, str] = {}
        self._column = 0
        self._matrix = ""

    def handle_starttag(self, tag: str, attrs) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "tr":
            self._row, self._column = found, 0
        elif tag == "h3" and "data-transitions" in found:
            self._matrix = found["data-transitions"]
            self.moves[self._matrix] = {}
        elif tag == "td":
            row, column = self._row, self._column
            self._column += 1
            if "data-time-object" in row and "data-size" in found:
                entered = found.get("data-entered")
                left = found.get("data-left")
                self.sizes[(row["data-time-object"], row["data-time-group"], column)] = (
                    int(found["data-size"]), None if entered is None else int(entered),
                    None if left is None else int(left))
            elif "data-time-kpi" in row and "data-value" in found:
                self.kpis[(row["data-time-kpi"], row["data-time-group"], column)] = \
                    found["data-value"]
            elif "data-count" in found and "data-from" in row:
                self.moves[self._matrix][(row["data-from"], found["data-to"])] = \
                    int(found["data-count"])


@pytest.fixture(scope="module")
def shop():
    data = build_report(SHOP, DAYS[-1], over_time=Source(days=DAYS))
    page = render_report(data)
    cells = TimeCells()
    cells.feed(page)
    evaluations = [evaluate(SHOP, day, kpis=True) for day in DAYS]
    return data, page, cells, evaluations


def test_sizes_per_date_equal_separate_runs(shop):
    data, page, cells, evaluations = shop
    assert 'id="over-time"' in page
    model = data.model
    for column, evaluation in enumerate(evaluations):
        for name in model.segments:
            assert cells.sizes[(name, "member", column)][0] == evaluation.sizes[name]
        for name in model.segmentations:
            for bucket, size in evaluation.buckets[name].items():
                assert cells.sizes[(name, bucket, column)][0] == size
    # entered and left: size(d) = size(d - 1) + entered - left, and empty at the first date
    for (obj, group, column), (size, entered, left) in cells.sizes.items():
        if column == 0:
            assert entered is None and left is None
        else:
            assert size == cells.sizes[(obj, group, column - 1)][0] + entered - left
    assert any(e for _, e, _ in cells.sizes.values())  # people do move


def test_kpis_per_date_equal_separate_runs(shop):
    data, _, cells, evaluations = shop
    checked = 0
    for column, evaluation in enumerate(evaluations):
        for group in kpi_table(evaluation):
            for name in data.model.kpis:
                assert cells.kpis[(name, group.name, column)] == str(group.values[name])
                checked += 1
    assert checked == len(cells.kpis)


def test_transitions_add_up_to_both_dates_bucket_sizes(shop):
    data, _, cells, evaluations = shop
    assert set(cells.moves) == set(data.model.segmentations)
    for name, moves in cells.moves.items():
        rows, columns = Counter(), Counter()
        for (source, target), count in moves.items():
            rows[source] += count
            columns[target] += count
        for bucket, size in evaluations[0].buckets[name].items():
            assert rows[bucket] == size
        for bucket, size in evaluations[-1].buckets[name].items():
            assert columns[bucket] == size


def test_transitions_equal_the_transitions_command(shop):
    """The report evaluates its dates once for sizes and every matrix; each matrix is the
    one `segl transitions NAME --from D1 --to D2` gives (including the not-yet and
    no-longer cells), so sharing the evaluation mixes no other object in."""
    data, _, cells, _ = shop
    for name in data.model.segmentations:
        alone = transitions(SHOP, name, Source(days=[DAYS[0], DAYS[-1]]))
        assert cells.moves[name] == {(a, b): alone.counts.get((a, b), 0)
                                     for a in alone.sources for b in alone.targets}, name
        shown = next(t for t in data.time.transitions if t.segmentation == name)
        assert shown.counts == alone.counts and shown.sources == alone.sources \
            and shown.targets == alone.targets


def test_from_a_recorded_history(tmp_path):
    seg = write_project(tmp_path)
    history = tmp_path / "history.duckdb"
    snapshot(seg, MONTH_ENDS, str(history))
    out = tmp_path / "report.html"
    done = CliRunner().invoke(main, ["report", str(seg), "--as-of", "2026-05-31", "--history",
                                     str(history), "--out", str(out)], catch_exceptions=False)
    assert done.exit_code == 0, done.output
    cells = TimeCells()
    cells.feed(out.read_text())
    shown = MONTH_ENDS[:5]  # recorded up to the report's date
    for column, day in enumerate(shown):
        want = memberships(day)
        assert cells.sizes[("active", "member", column)][0] == \
            sum(1 for (_, o), g in want.items() if o == "active")
        for level in ("regular", "starter", "none"):
            assert cells.sizes[("level", level, column)][0] == \
                sum(1 for (_, o), g in want.items() if o == "level" and g == level)
    assert ("active", "member", len(shown)) not in cells.sizes
    assert set(cells.moves) == {"level"}


def test_no_section_without_a_range(tmp_path):
    seg = write_project(tmp_path)
    page = render_report(build_report(str(seg), "2026-06-30"))
    assert 'id="over-time"' not in page


def test_a_range_and_a_history_together_are_refused(tmp_path):
    seg = write_project(tmp_path)
    done = CliRunner().invoke(main, ["report", str(seg), "--as-of", "2026-01-31..2026-06-30",
                                     "--history", "x.duckdb", "--out",
                                     str(tmp_path / "r.html")])
    assert done.exit_code == 2
    assert "give one --as-of" in done.output
    assert not (tmp_path / "r.html").exists()


def test_chosen_kpis_only(tmp_path):
    out = tmp_path / "r.html"
    done = CliRunner().invoke(main, ["report", SHOP, "--as-of", "2026-05-31", "--as-of",
                                     "2026-06-30", "--kpi", "churn", "--out", str(out)],
                              catch_exceptions=False)
    assert done.exit_code == 0, done.output
    cells = TimeCells()
    cells.feed(out.read_text())
    assert {kpi for kpi, _, _ in cells.kpis} == {"churn"}
    bad = CliRunner().invoke(main, ["report", SHOP, "--as-of", "2026-05-31..2026-06-30",
                                    "--kpi", "chrun", "--out", str(tmp_path / "b.html")])
    assert bad.exit_code == 2 and "unknown KPI `chrun`" in bad.output
