"""KPIs at many dates in one pass (issue 11 item 2; runtime/kpi_dates.py, the KPI query
grouped by date in compiler/backends/sql/kpis.py): for a file with segments, a ranking (a
share KPI), a segmentation, ratio KPIs and a 0/0, every row equals what a separate `segl
kpis --as-of D` prints, on DuckDB and SQLite; the trend really takes the one pass; a file the
one pass refuses (E301) falls back to one evaluation per date and still equals them; the
dated KPI query of a dialect without GROUPING SETS (one SELECT per set, UNION ALL) gives the
same rows as DuckDB's."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from decimal import Decimal
from pathlib import Path
from unittest import mock

import pytest
from click.testing import CliRunner
from segl.compiler.api import AsOf, kpi_select, plan_for, query_for_plan
from segl.runtime import kpi_trend as trend_module
from segl.runtime import sql
from segl.runtime.api import load
from segl.runtime.cli import main
from segl.runtime.engines import available
from segl.runtime.kpi_trend import kpi_trend
from segl.runtime.multi_date import evaluate_dates
from sqlglot import exp

from tests.conftest import ROOT

from .small_shop import MONTH_ENDS, write_project

KPIS = """
feature first_order = min(orders.ordered_at)
segment busiest = top 50% by orders_ever
kpi revenue = sum(orders.amount)
kpi per_customer = count(orders) / count(customer_id)
kpi active_rate = sum(case when orders_30d > 0 then 1 else 0 end) / count(customer_id)
kpi per_active = sum(orders_30d) / sum(case when orders_30d > 0 then 1 else 0 end)
"""
# a correlated aggregate (an entity value inside an events filter): the one pass refuses it
CORRELATED = "feature after_first = count(orders where ordered_at > first_order)\n" \
             "segment repeat = after_first >= 1\n"
DAYS = MONTH_ENDS[:5]
NAMES = ["revenue", "per_customer", "active_rate", "per_active", "share of orders_ever"]
SHOP = str(ROOT / "examples/shop/shop.seg")
ENGINES = ["duckdb", *(name for name in ("sqlite",) if available(name))]


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> str:
    seg = write_project(tmp_path_factory.mktemp("kpi_dates"))
    seg.write_text(seg.read_text() + KPIS)
    return str(seg)


@pytest.fixture(scope="module")
def correlated(small, tmp_path_factory) -> str:
    seg = tmp_path_factory.mktemp("kpi_dates_e301") / "correlated.seg"
    seg.write_text(Path(small).read_text() + CORRELATED)
    return str(seg)


def separate(path: str, day: date, engine: str) -> list[dict]:
    done = CliRunner().invoke(main, ["kpis", path, "--as-of", day.isoformat(),
                                     "--engine", engine, "--format", "json"],
                              catch_exceptions=False)
    assert done.exit_code == 0, done.output
    return json.loads(done.stdout)


def assert_equals_separate_runs(points, path: str, engine: str, kpis: list[str]) -> None:
    seen = set()
    for day in DAYS:
        for group in separate(path, day, engine):
            for kpi in kpis:
                (point,) = [p for p in points if (p.as_of, p.group, p.kpi) ==
                            (day, group["group"], kpi)]
                assert (point.members, point.kind) == (group["members"], group["kind"])
                seen.add((day, group["group"], kpi))
                if kpi.startswith("share of "):  # `segl kpis` shows a share as its index
                    assert point.index == group[kpi], (engine, day, group["group"], kpi)
                    continue
                assert point.value == group[kpi], (engine, day, group["group"], kpi)
                assert point.index == group[f"{kpi}_index"], (engine, day, group["group"])
    assert len(points) == len(seen)


def one_pass(path: str, engine: str, names: list[str] | None = None):
    """The trend, and the dates each_date evaluated one at a time (none: one pass)."""
    looped: list[date] = []
    each_date = trend_module.each_date

    def spy(file, days, *args, **kwargs):
        looped.extend(days)
        return each_date(file, days, *args, **kwargs)

    with mock.patch.object(trend_module, "each_date", spy):
        return kpi_trend(path, DAYS, kpis=names, engine=engine), looped


@pytest.mark.parametrize("engine", ENGINES)
def test_one_pass_equals_separate_kpis_runs(small, engine):
    points, looped = one_pass(small, engine, NAMES)
    assert looped == []  # every date came from the one pass
    assert list(dict.fromkeys(p.kpi for p in points)) == NAMES
    assert_equals_separate_runs(points, small, engine, NAMES)
    # the file is worth testing: the values move, and some group has 0 / 0 (missing)
    revenue = [p.value for p in points if (p.group, p.kpi) == ("all", "revenue")]
    assert len(set(revenue)) == len(DAYS)
    assert any(p.value is None and p.members > 0 for p in points if p.kpi == "per_active")
    assert {p.kind for p in points} == {"all", "segment", "bucket"}
    assert points == kpi_trend(small, DAYS, kpis=NAMES, engine=engine, one_pass=False)


def test_a_refused_file_falls_back_to_one_date_at_a_time(correlated):
    with pytest.raises(Exception, match="E301"):
        evaluate_dates(correlated, DAYS, kpis=True)
    points, looped = one_pass(correlated, "duckdb")
    assert looped == DAYS
    assert "repeat" in {p.group for p in points}
    assert_equals_separate_runs(points, correlated, "duckdb",
                                list(dict.fromkeys(p.kpi for p in points)))


def test_without_grouping_sets_the_dated_query_gives_the_same_rows(small):
    evaluation = evaluate_dates(small, DAYS, kpis=True)
    as_of = AsOf.many(DAYS)
    expected = sql.fetch_all(evaluation.connection,
                             kpi_select(evaluation.plan, "duckdb", as_of, evaluation.table))
    query = kpi_select(evaluation.plan, "sqlite", as_of, "members")
    text = query.sql(dialect="sqlite")
    assert "UNION ALL" in text and "GROUPING SETS" not in text
    everything = sql.select(exp.Star(), source=sql.table_ref(evaluation.table))
    names = [row[0] for row in sql.fetch_all(evaluation.connection, sql.describe(everything))]
    lite = sqlite3.connect(":memory:")  # the members table, values as they are (no affinity)
    lite.execute(sql.render(sql.create_table("members", [
        sql.column_def(name, exp.DataType.build("BLOB")) for name in names]), "sqlite"))
    lite.executemany(sql.render(sql.insert_values("members", names), "sqlite"),
                     [tuple(map(_sqlite_value, row))
                      for row in sql.fetch_all(evaluation.connection, everything)])
    got = lite.execute(text).fetchall()
    assert len(got) == len(expected) > len(DAYS)
    for mine, theirs in zip(got, expected, strict=True):
        assert mine[0] == theirs[0].isoformat() and mine[1:4] == theirs[1:4]
        assert mine[4:] == pytest.approx(theirs[4:], nan_ok=True)


def _sqlite_value(value: object) -> object:
    if isinstance(value, date):
        return value.isoformat()
    return float(value) if isinstance(value, Decimal) else value


@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "sqlite", "spark", "clickhouse",
                                     "mysql"])
def test_compile_kpis_for_many_dates(dialect):
    done = CliRunner().invoke(main, ["compile", SHOP, "-s", "loyal", "-s", "lifecycle",
                                     "--kpis", "-d", dialect, "--as-of",
                                     f"{DAYS[0]}..{DAYS[-1]}", "--every", "month"])
    assert done.exit_code == 0, done.output
    assert "_dates" in done.stdout and DAYS[-1].isoformat() in done.stdout
    grouping = dialect not in ("sqlite", "mysql")
    assert ("GROUPING SETS" in done.stdout) is grouping, dialect


def test_the_whole_dated_kpi_query_equals_each_dates_query(small):
    """The members query and the KPI query as one statement (what `segl compile --kpis`
    prints), run on DuckDB: each date's rows are those of the one-date statement."""
    compilation, connection = load(small)
    model = compilation.require_ok()
    plan = plan_for(model, list(model.segments) + list(model.segmentations),
                    list(model.kpis), shares=True)
    dated = sql.fetch_all(connection, query_for_plan(plan, "duckdb", AsOf.many(DAYS),
                                                     kpis=True))
    assert {row[0] for row in dated} == set(DAYS)
    for day in DAYS:
        alone = sql.fetch_all(connection, query_for_plan(plan, "duckdb", AsOf("date", day),
                                                         kpis=True))
        assert [row[1:] for row in dated if row[0] == day] == alone, day
