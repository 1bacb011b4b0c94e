"""How sequences are planned: one pass per pattern (count and last of it share one), one
scan per table of the pattern (a table in both steps read once) in SQL and in Polars, the
pass in `--show plan`, and as_of folded into every bound."""

from __future__ import annotations

from datetime import date

from segl.compiler.api import compile_source, plan_for, query_for_plan
from segl.compiler.backends.polars.generator import generate_polars
from segl.compiler.plan.as_of import AsOf, AsOfMode
from segl.compiler.plan.describe import describe
from segl.compiler.plan.physical import physical_plan
from segl.compiler.source import SourceFile
from sqlglot import exp

from tests.semantics.sequence_cases import SEQUENCE_HEAD, SEQUENCE_SCHEMA

AS_OF = date(2026, 6, 30)


def _plan(tmp_path, body: str, names: list[str] | None = None):
    (tmp_path / "data").mkdir(exist_ok=True)
    compilation = compile_source(SourceFile(str(tmp_path / "test.seg"), SEQUENCE_HEAD + body))
    assert compilation.ok, [d.render() for d in compilation.errors]
    return plan_for(compilation.model, names)


def _sql_scans(plan) -> dict[str, int]:
    query = query_for_plan(plan, "duckdb", AsOf(AsOfMode.DATE, AS_OF))
    found: dict[str, int] = {}
    for table in query.find_all(exp.Table):
        alias = table.alias_or_name
        if alias in ("orders", "visits"):
            found[alias] = found.get(alias, 0) + 1
    return found


def test_count_and_last_of_one_pattern_share_one_pass(tmp_path):
    plan = _plan(tmp_path, """
feature n = count(orders then no orders within 30 days)
feature latest = last(orders then no orders within 30 days)
feature other = count(orders then orders within 30 days)
segment s = n > 0 and latest is present and other > 0
""")
    assert len(plan.sequences) == 2
    first = plan.sequences[0]
    assert (first.count, first.last) == ("seq_1__count", "seq_1__last")
    assert plan.aggregations == ()  # a sequence is no measure of a grouped pass


def test_a_table_in_both_steps_is_scanned_once(tmp_path):
    plan = _plan(tmp_path, "segment s = count(orders then no orders within 30 days) > 0\n")
    assert _sql_scans(plan) == {"orders": 1}
    plan = _plan(tmp_path, 'segment s = count(visits where page = "product" then orders) > 0\n')
    assert _sql_scans(plan) == {"orders": 1, "visits": 1}


def test_polars_scans_each_table_once(tmp_path):
    import polars as pl

    for body, scans in (("count(orders then first orders)", {"orders": 1}),
                        ("count(visits then no orders within 3 days)",
                         {"orders": 1, "visits": 1})):
        plan = _plan(tmp_path, f"segment s = {body} > 0\n")
        for table, rows in SEQUENCE_SCHEMA.items():
            pl.DataFrame(schema=rows).write_parquet(tmp_path / "data" / f"{table}.parquet")
        text = generate_polars(plan, AS_OF).frame.explain(optimized=False)
        for table, count in scans.items():
            assert text.count(f"{table}.parquet") == count, text


def test_the_plan_listing_shows_each_pass(tmp_path):
    plan = _plan(tmp_path, "segment s = count(orders then no orders within 30 days) > 0\n")
    text = describe(physical_plan(plan, AsOf(AsOfMode.DATE, AS_OF)))
    assert "sequence seq_1: orders then no orders within 30 days (one scan of orders;" in text
    assert "scan orders (date(orders.ordered_at) <= 2026-06-30): first step if true; " \
           "second step if true" in text
    assert "(date(_t) + 30 days) <= 2026-06-30" in text  # the window has ended by as_of
    assert "sequence seq_1" in plan.describe()


def test_as_of_unknown_at_compile_time_stays_a_parameter(tmp_path):
    plan = _plan(tmp_path, "segment s = count(orders then no orders within 30 days) > 0\n")
    physical = physical_plan(plan, AsOf(AsOfMode.TODAY))
    (sequence,) = physical.sequences
    assert "as_of" in describe(physical)
    assert sequence.sources[0].cap.right.__class__.__name__ == "AsOf"


def test_reads_name_every_column_a_sequence_needs(tmp_path):
    plan = _plan(tmp_path, 'segment s = count(visits where page = "p" then orders) > 0\n')
    reads = {r.table: r.columns for r in physical_plan(plan, AsOf(AsOfMode.DATE, AS_OF)).reads}
    assert reads["visits"] == ("customer_id", "visited_at", "page")
    assert reads["orders"] == ("customer_id", "ordered_at")
