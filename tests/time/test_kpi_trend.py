"""`segl kpis --as-of D1..D2 --every month` (issue 11 item 6): one row per date, group and
KPI, each equal to what a separate `segl kpis --as-of D` prints for that date; every
format; refusals."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner
from segl.runtime.cli import main

from tests.conftest import ROOT

SHOP = str(ROOT / "examples/shop/shop.seg")
DAYS = ["2026-04-30", "2026-05-31", "2026-06-30"]
RANGE = ["--as-of", "2026-04-30..2026-06-30", "--every", "month"]
CHOSEN = ["-s", "loyal", "-s", "lifecycle", "-k", "revenue", "-k", "churn"]


def kpis(*args: str):
    done = CliRunner().invoke(main, ["kpis", SHOP, *args], catch_exceptions=False)
    assert done.exit_code == 0, done.output
    return done.stdout


@pytest.fixture(scope="module")
def trend() -> dict:
    return json.loads(kpis(*RANGE, *CHOSEN, "--format", "json"))


def test_each_row_equals_a_separate_run_of_its_date(trend):
    assert trend["dates"] == DAYS
    rows = trend["kpis"]
    seen = set()
    for day in DAYS:
        for group in json.loads(kpis("--as-of", day, *CHOSEN, "--format", "json")):
            for kpi in ("revenue", "churn"):
                (row,) = [r for r in rows if (r["as_of"], r["group"], r["kpi"]) ==
                          (day, group["group"], kpi)]
                assert (row["members"], row["share"], row["kind"]) == (
                    group["members"], group["share"], group["kind"])
                assert row["value"] == group[kpi]
                assert row["index"] == group[f"{kpi}_index"]
                seen.add((day, group["group"], kpi))
    assert len(rows) == len(seen)  # nothing else
    # the data changes over the dates, so equal dates would be a bug
    revenue = [r["value"] for r in rows if r["group"] == "all" and r["kpi"] == "revenue"]
    assert len(set(revenue)) == len(DAYS)


def test_rows_are_ordered_by_group_kpi_and_date(trend):
    rows = trend["kpis"]
    assert [r["as_of"] for r in rows[:3]] == DAYS
    assert rows[0]["group"] == "all"
    groups = list(dict.fromkeys(r["group"] for r in rows))
    assert groups[:2] == ["all", "loyal"] and groups[2].startswith("lifecycle.")


def test_csv_and_markdown_and_out(trend, tmp_path):
    rows = list(csv.DictReader(io.StringIO(kpis(*RANGE, *CHOSEN, "--format", "csv"))))
    assert len(rows) == len(trend["kpis"])
    assert list(rows[0]) == ["as_of", "group", "kind", "label", "members", "share", "kpi",
                             "value", "index"]
    assert float(rows[0]["value"]) == trend["kpis"][0]["value"]
    markdown = kpis(*RANGE, *CHOSEN, "--format", "markdown")
    assert markdown.count("\n| 2026-") == len(trend["kpis"])
    out = tmp_path / "trend.csv"
    kpis(*RANGE, *CHOSEN, "--out", str(out))
    assert out.read_text() == kpis(*RANGE, *CHOSEN, "--format", "csv")


def test_several_as_of_are_dates_too(trend):
    listed = json.loads(kpis("--as-of", DAYS[0], "--as-of", DAYS[2], *CHOSEN,
                             "--format", "json"))
    assert listed["dates"] == [DAYS[0], DAYS[2]]
    assert listed["kpis"] == [r for r in trend["kpis"] if r["as_of"] != DAYS[1]]


@pytest.mark.parametrize("args,message", [
    (["--as-of", "2026-06-30", "--every", "month"], "--every steps through a range"),
    ([*RANGE, "-k", "no_such_kpi"], "unknown KPI"),
    (["--as-of", "2026-06-30..2026-01-31"], "ends before it starts"),
])
def test_refusals(args, message):
    done = CliRunner().invoke(main, ["kpis", SHOP, *args])
    assert done.exit_code == 2, done.output
    assert message in done.output
