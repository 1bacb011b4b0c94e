"""Many dates in bounded memory on DuckDB (issue 11 performance, docs/time.md "Cost"): the
segmented passes staged once into an attached in-memory database, the rest of the one-pass
query run date by date (compiler/backends/sql/staged.py, runtime/engines/duckdb_staged.py).
The members are the one pass's and each date's own run's; the fallbacks to the one query
(read-only connection, nothing segmented, small sources) give the same rows; a failure
mid-way leaves no members table and no attached database. The data here is small, so the
tests stage whatever the size of the sources (`MIN_SOURCE_BYTES` 0) except the one testing
that rule."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest
from segl.compiler.api import (
    AsOf,
    CompileError,
    StagedQuery,
    plan_for,
    query_for_plan,
    staged_query,
)
from segl.runtime import api, multi_date
from segl.runtime.api import load
from segl.runtime.engines import duckdb_staged
from segl.runtime.engines.duckdb import MEMBERS_TABLE
from segl.runtime.multi_date import evaluate_dates
from sqlglot import exp

from tests.bench import tiny_tpch

SHOP = Path(__file__).parents[2] / "examples" / "shop" / "shop.seg"
BENCH = Path(__file__).parents[2] / "bench"
DATES = [date(2025, 12, 31), date(2026, 2, 28), date(2026, 3, 1), date(2026, 6, 30)]
TPCH_DATES = [date(1997, 10, 31), date(1998, 1, 31), date(1998, 2, 28), date(1998, 7, 31)]
SMALL_SOURCES = duckdb_staged.MIN_SOURCE_BYTES  # the shipped rule, before the fixture below


@pytest.fixture(scope="module", autouse=True)
def staging_small_sources():
    """Staged whatever the size (the module's other fixtures run after this one)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(duckdb_staged, "MIN_SOURCE_BYTES", 0)
        yield


def per_date(members: pl.DataFrame, day: date) -> pl.DataFrame:
    return members.filter(pl.col("as_of") == day).drop("as_of")


def one_pass(monkeypatch, path: Path, days: list[date], **options) -> multi_date.DatedEvaluation:
    """evaluate_dates with the one query (no staging)."""
    with monkeypatch.context() as patch:
        patch.setattr(multi_date, "staged_query", lambda *args, **kwargs: None)
        return evaluate_dates(path, days, **options)


def spy_staged(monkeypatch) -> list[bool]:
    """Records each run_staged call: whether it built the members table (else fell back)."""
    calls: list[bool] = []
    original = duckdb_staged.run_staged

    def spy(*args, **kwargs):
        result = original(*args, **kwargs)
        calls.append(result is not None)
        return result

    monkeypatch.setattr(duckdb_staged, "run_staged", spy)
    return calls


def catalog(connection: duckdb.DuckDBPyConnection, function: str, column: str) -> set[str]:
    """One column of a DuckDB catalog function (duckdb_databases(), duckdb_tables())."""
    query = exp.select(exp.column(column)).from_(exp.Anonymous(this=function))
    return {row[0] for row in connection.execute(query.sql("duckdb")).fetchall()}


def attached(connection: duckdb.DuckDBPyConnection) -> set[str]:
    return catalog(connection, "duckdb_databases", "database_name")


def stages(connection: duckdb.DuckDBPyConnection) -> set[str]:
    """The stages databases attached (each run's: `segl_stages_<random>`)."""
    return {name for name in attached(connection) if name.startswith("segl_stages")}


@pytest.fixture(scope="module")
def shop_runs():
    """The shop at DATES staged (with whether it staged), in one pass, and date by date."""
    with pytest.MonkeyPatch.context() as patch:
        calls = spy_staged(patch)
        staged = evaluate_dates(SHOP, DATES, traits=["all"])
        together = one_pass(patch, SHOP, DATES, traits=["all"])
    alone = {day: api.evaluate(SHOP, day, traits=["all"]) for day in DATES}
    return calls, staged, together, alone


def test_shop_staged_equals_one_pass_and_separate_runs(shop_runs, shape="wide"):
    """Segments, the RFM segmentation with its scores, and every trait (the long shape is
    read from the same members table: tests/time/test_multi_date.py)."""
    calls, staged, together, alone = shop_runs
    assert calls == [True]
    assert (duckdb_staged.STAGED_BATCH, duckdb_staged.STAGED_SLICES) == (1, 3)
    assert stages(staged.connection)  # holding the members, compressed
    members = staged.members(shape)
    assert members.equals(together.members(shape))
    assert staged.sizes() == together.sizes()
    assert {"rfm", "rfm__r", "rfm__f", "rfm__m"} <= set(members.columns)
    for day in DATES:
        assert per_date(members, day).equals(alone[day].members(shape)), day


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tiny_tpch.write(tmp_path_factory.mktemp("staged"), buyer_share=0.67)
    for name in ("tpch.seg", "tpch_rfm.seg"):
        shutil.copyfile(BENCH / name, folder / name)
    return folder


@pytest.mark.parametrize("name", ["tpch.seg", "tpch_rfm.seg"])
def test_tpch_staged_equals_one_pass_and_separate_runs(tiny, monkeypatch, name):
    """Windows, a table reached through another, rankings per date, RFM scores."""
    path = tiny / name
    calls = spy_staged(monkeypatch)
    staged = evaluate_dates(path, TPCH_DATES).members("wide")
    assert calls == [True]
    assert staged.equals(one_pass(monkeypatch, path, TPCH_DATES).members("wide"))
    for day in TPCH_DATES:
        assert per_date(staged, day).equals(api.evaluate(path, day).members("wide")), day
    varying = [c for c in staged.columns[2:] if staged[c].n_unique() > 1]
    assert len(varying) >= 3  # the comparison is not vacuous


def test_the_stage_statements_are_trees(tiny):
    compilation, connection = load(str(tiny / "tpch.seg"))
    connection.close()
    model = compilation.require_ok()
    plan = plan_for(model, [*model.segments, *model.segmentations])
    staged = staged_query(plan, "duckdb", AsOf.many(TPCH_DATES), 3, slices=2)
    assert isinstance(staged, StagedQuery)
    assert staged.stage_tables == ("agg_orders__seg", "agg_lineitem__seg")
    assert [type(s) for s in staged.stages] == [exp.Create, exp.Insert] * 2
    assert all("HASH" in s.expression.sql("duckdb") for s in staged.stages)
    assert all(isinstance(b, exp.Select) for b in staged.batches)
    assert [len(d) for d in staged.batch_dates] == [3, 1]
    for create, name in zip(staged.stages[::2], staged.stage_tables, strict=True):
        assert [create.this.catalog, create.this.db, create.this.name] == [
            "segl_stages", "main", name]
    for batch, days in zip(staged.batches, staged.batch_dates, strict=True):
        # the events tables are read by the stages only; each batch keeps its own dates
        read = {t.name for t in batch.find_all(exp.Table)}
        assert not read & {"orders.parquet", "lineitem.parquet"}
        assert {t.name for t in batch.find_all(exp.Table) if t.catalog} == set(
            staged.stage_tables)
        dates_cte = next(c for c in batch.ctes if c.alias == "_dates")
        found = {lit.this for lit in dates_cte.find_all(exp.Literal) if lit.is_string}
        assert found == {d.isoformat() for d in days}
    assert staged_query(plan, "duckdb", AsOf("date", TPCH_DATES[0])) is None


def test_running_totals_are_staged_once(tiny):
    """A pass without windows (RFM's orders) is read from running totals: the window over
    its segment rows is the stage, and no batch reads the segment rows."""
    compilation, connection = load(str(tiny / "tpch_rfm.seg"))
    connection.close()
    model = compilation.require_ok()
    plan = plan_for(model, [*model.segments, *model.segmentations])
    staged = staged_query(plan, "duckdb", AsOf.many(TPCH_DATES), 1)
    assert staged.stage_tables == ("agg_orders__run",)
    assert any(isinstance(w, exp.Window) for w in staged.stages[0].find_all(exp.Window))
    for batch in staged.batches:
        assert "agg_orders__seg" not in batch.sql("duckdb")  # nor its window
    # the one-pass query (what `segl compile` prints) is unchanged
    assert staged.query.sql("duckdb") == query_for_plan(plan, "duckdb",
                                                        AsOf.many(TPCH_DATES)).sql("duckdb")


def test_nothing_segmented_runs_the_one_query(project, monkeypatch):
    """Only measures that do not combine (count distinct): no stage, the one query."""
    path = project("""
entity customer from parquet "data/customers.parquet" key customer_id {
  customer_id int
}
events orders from parquet "data/orders.parquet" key customer_id at ordered_at {
  ordered_at date
  product text
}
segment varied = count(distinct orders.product) >= 2
""", {"customers": [{"customer_id": 1}, {"customer_id": 2}],
      "orders": [{"customer_id": 1, "ordered_at": date(2026, 1, 5), "product": "a"},
                 {"customer_id": 1, "ordered_at": date(2026, 3, 5), "product": "b"},
                 {"customer_id": 2, "ordered_at": date(2026, 1, 9), "product": "a"}]})
    calls = spy_staged(monkeypatch)
    days = [date(2026, 1, 31), date(2026, 3, 31)]
    found = evaluate_dates(path, days)
    assert calls == []
    assert found.sizes() == {days[0]: {"entities": 2, "varied": 0},
                             days[1]: {"entities": 2, "varied": 1}}


def test_a_correlated_aggregate_is_refused_as_for_one_pass(project):
    path = project("""
entity customer from parquet "data/customers.parquet" key customer_id {
  customer_id int
  last_view date
}
events orders from parquet "data/orders.parquet" key customer_id at ordered_at {
  ordered_at date
}
segment after_view = count(orders where ordered_at > last_view) >= 1
segment buyer = count(orders) >= 1
""", {"customers": [{"customer_id": 1, "last_view": date(2026, 1, 1)}],
      "orders": [{"customer_id": 1, "ordered_at": date(2026, 2, 1)}]})
    compilation, connection = load(str(path))
    connection.close()
    model = compilation.require_ok()
    plan = plan_for(model, list(model.segments))
    with pytest.raises(CompileError) as raised:
        staged_query(plan, "duckdb", AsOf.many(DATES))
    assert "E301" in str(raised.value.diagnostics[0].code)


def test_a_read_only_connection_falls_back_to_the_one_query(tmp_path, monkeypatch):
    database = tmp_path / "ro.duckdb"
    duckdb.connect(str(database)).close()
    connection = duckdb.connect(str(database), read_only=True)
    calls = spy_staged(monkeypatch)
    found = evaluate_dates(SHOP, DATES[:2], connection=connection,
                           compilation=load(SHOP)[0])
    assert calls == [False]
    assert found.members("wide").equals(one_pass(monkeypatch, SHOP, DATES[:2]).members("wide"))


def test_a_failure_mid_way_leaves_no_members_table(tiny):
    compilation, connection = load(str(tiny / "tpch_rfm.seg"))
    model = compilation.require_ok()
    plan = plan_for(model, [*model.segments, *model.segmentations])
    staged = staged_query(plan, "duckdb", AsOf.many(TPCH_DATES), 1)
    broken = exp.select(exp.Star()).from_(exp.Table(this=exp.to_identifier("missing_table")))
    failing = StagedQuery(staged.query, staged.database, staged.stages, staged.stage_tables,
                          (*staged.batches[:2], broken), staged.batch_dates[:3])
    with pytest.raises(duckdb.Error, match="missing_table"):
        duckdb_staged.run_staged(connection, failing, plan.key, list(plan.outputs),
                                 list(plan.segmentations))
    assert MEMBERS_TABLE not in catalog(connection, "duckdb_tables", "table_name")
    assert not stages(connection)
    # and the connection is usable: the staged query runs on it afterwards
    result = duckdb_staged.run_staged(connection, staged, plan.key, list(plan.outputs),
                                      list(plan.segmentations))
    assert result is not None and result.entities == 4 * 300
    assert catalog(connection, "duckdb_views", "view_name") >= {MEMBERS_TABLE}
    # a one-date members table on the same connection replaces the staged one's view
    from segl.runtime.engines.duckdb import run_query

    one = run_query(connection, query_for_plan(plan, "duckdb", AsOf("date", TPCH_DATES[0])),
                    plan.key, list(plan.outputs), list(plan.segmentations))
    assert one.entities == 300
    assert MEMBERS_TABLE in catalog(connection, "duckdb_tables", "table_name")
    assert not stages(connection)
    connection.close()


def test_small_sources_run_the_one_query(monkeypatch):
    """Below MIN_SOURCE_BYTES of source files the one query runs (staging costs CPU and the
    one query's state is small); at or above it the run is staged; same rows either way."""
    assert SMALL_SOURCES == 64 << 20
    compilation, _ = load(SHOP)
    model = compilation.require_ok()
    size = duckdb_staged.source_bytes(plan_for(model, [*model.segments, *model.segmentations]))
    assert 0 < size < SMALL_SOURCES  # the shop is small
    monkeypatch.setattr(duckdb_staged, "MIN_SOURCE_BYTES", SMALL_SOURCES)
    calls = spy_staged(monkeypatch)
    small = evaluate_dates(SHOP, DATES[:2])
    assert calls == []
    assert not stages(small.connection)
    monkeypatch.setattr(duckdb_staged, "MIN_SOURCE_BYTES", size)
    large = evaluate_dates(SHOP, DATES[:2])
    assert calls == [True]
    assert large.members("wide").equals(small.members("wide"))
    monkeypatch.setattr(duckdb_staged, "MIN_SOURCE_BYTES", size + 1)
    evaluate_dates(SHOP, DATES[:2])
    assert calls == [True]


def test_a_staged_run_after_a_one_date_run_on_the_same_connection(monkeypatch):
    """A user's connection that held one date's members table (a temporary table) then runs
    many dates staged: the staged members view replaces that table (the same name)."""
    compilation, connection = load(str(SHOP))
    one = api.evaluate(SHOP, DATES[0], connection=connection, compilation=compilation)
    assert one.members("wide").height > 0
    calls = spy_staged(monkeypatch)
    found = evaluate_dates(SHOP, DATES[:2], connection=connection, compilation=compilation)
    assert calls == [True]
    assert found.members("wide").equals(one_pass(monkeypatch, SHOP, DATES[:2]).members("wide"))
    connection.close()


def test_a_database_named_like_the_stages_is_left_alone(tmp_path, monkeypatch):
    """`--db segl_stages.duckdb`: DuckDB names the database segl_stages, which is not a
    stages database: never detached (a one-date run failed on it), and a many-date run
    stages in a database of its own."""
    database = str(tmp_path / "segl_stages.duckdb")
    one = api.evaluate(SHOP, DATES[0], database=database)
    assert one.members("wide").height > 0
    one.connection.close()
    calls = spy_staged(monkeypatch)
    found = evaluate_dates(SHOP, DATES[:2], database=database)
    assert calls == [True]
    assert found.members("wide").equals(one_pass(monkeypatch, SHOP, DATES[:2]).members("wide"))
    assert "segl_stages" in attached(found.connection)
    found.connection.close()


def test_the_checkpoint_names_its_database_as_a_tree():
    """CHECKPOINT's database is a quoted name, not text: any name runs."""
    compilation, connection = load(str(SHOP))
    model = compilation.require_ok()
    plan = plan_for(model, [*model.segments, *model.segmentations])
    staged = staged_query(plan, "duckdb", AsOf.many(DATES[:2]), 1,
                          database='segl "stages"; x')
    result = duckdb_staged.run_staged(connection, staged, plan.key, list(plan.outputs),
                                      list(plan.segmentations))
    assert result is not None and result.entities > 0
    assert 'segl "stages"; x' in attached(connection)
    connection.close()


def test_a_second_connection_to_the_same_database_keeps_the_first_members(tmp_path):
    """Two evaluations on one database file in one process (DuckDB shares the file's
    instance, and so its attached databases, between connections): each staged run has a
    database of its own, and a run detaches only its own connection's."""
    database = str(tmp_path / "shop.duckdb")
    first = evaluate_dates(SHOP, DATES[:2], database=database)
    expected = first.members("wide")
    api.evaluate(SHOP, DATES[0], database=database)
    assert first.members("wide").equals(expected)
