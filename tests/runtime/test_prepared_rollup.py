"""The daily rollups of `segl prepare` (runtime/prepared_rollup.py, compiler/backends/sql/
rollup.py), one per events table (orders; line items through their orders): runs that add
up partials per (entity, day) select the same members with the same feature values as runs
over the events, whichever tables are read from a rollup and whichever raw, folded plan or
not; appended files are rolled up alone and give what a full rebuild gives; a measure the
rollup lacks and a changed source fall back, table by table."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest
import sqlglot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from segl.compiler.plan.table_reads import TableReads
from segl.runtime import prepared, prepared_rollup
from segl.runtime.api import evaluate, load

START = dt.date(2026, 1, 1)
FEATURES = ["n_30", "spend", "spend_90", "big", "avg_30", "first_day", "last_day",
            "red_items", "qty_14"]
SEG = """
entity customer from parquet "customers.parquet" key cid
events orders from parquet "orders/*.parquet" key cid at day
events items from parquet "items/*.parquet" through orders on oid = oid at shipped
lookup product from parquet "products.parquet" key pid for items.pid

feature n_30 = count(orders) in last 30 days
feature spend = sum(orders.amount)
feature spend_90 = sum(orders.amount) in last 90 days
feature big = count(orders where amount > 50)
feature avg_30 = avg(orders.amount) in last 30 days
feature first_day = min(orders.day)
feature last_day = max(orders.day)
feature red_items = count(items where product.color = "red") in last 60 days
feature qty_14 = sum(items.qty) in last 14 days

segment recent = n_30 >= 2
segment spenders = spend > 300
segment active_big = spend_90 > 100 and big >= 1
segment high_avg = avg_30 > 40
segment fresh = days_between(last_day, as_of) <= 10
segment red = red_items >= 1
segment bulk = qty_14 >= 5
segment top = top 30% by spend
"""


def write_project(folder: Path, orders: list[list[tuple]], items: list[list[tuple]]) -> Path:
    """`orders[i]`, `items[i]`: the rows of file i (one file per batch)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.seg").write_text(SEG)
    pl.DataFrame({"cid": list(range(1, 9))}).write_parquet(folder / "customers.parquet")
    pl.DataFrame({"pid": [1, 2, 3], "color": ["red", "blue", None]}).write_parquet(
        folder / "products.parquet")
    for index, batch in enumerate(orders):
        append(folder, "orders", index, batch)
    for index, batch in enumerate(items):
        append(folder, "items", index, batch)
    return folder / "model.seg"


def append(folder: Path, table: str, index: int, rows: list[tuple]) -> None:
    (folder / table).mkdir(exist_ok=True)
    if table == "orders":
        schema = {"oid": pl.Int64, "cid": pl.Int64, "day": pl.Date, "amount": pl.Float64}
    else:
        schema = {"oid": pl.Int64, "pid": pl.Int64, "qty": pl.Int32, "shipped": pl.Date}
    pl.DataFrame(rows, schema=schema, orient="row").write_parquet(
        folder / table / f"part-{index:03}.parquet")


def both(entry: Path, as_of: dt.date, features: list[str] = FEATURES):
    """(with the layout, without): each feature value and segment of every customer."""
    runs = []
    for use in (True, False):
        evaluation = evaluate(str(entry), as_of=as_of, traits=features, prepared=use)
        evaluation.connection.complete()  # (the run's last execute(), before the relation API)
        rows = sorted(evaluation.connection.table(evaluation.table).fetchall(),
                      key=lambda row: row[0])  # (the key first: one row per customer)
        runs.append((evaluation.sql, rows))
        evaluation.connection.close()
    return runs


def prepare(entry: Path, rebuild: bool = False, share: float | None = 10.0
            ) -> list[prepared_rollup.Rolled]:
    """`segl prepare`; with `share`, every rollup at most that share of its table's rows
    is read (10: all of them, the sparse test data having about one row per customer
    and day, too few for USEFUL_SHARE); None: USEFUL_SHARE itself."""
    compilation, connection = load(str(entry))
    with pytest.MonkeyPatch.context() as patch:
        if share is not None:
            patch.setattr(prepared_rollup, "USEFUL_SHARE", share)
        try:
            model = compilation.require_ok()
            prepared.prepare(model, entry, connection, 1)
            return prepared_rollup.prepare_rollups(model, entry, connection, rebuild)
        finally:
            connection.close()


def fixed_data() -> tuple[list[list[tuple]], list[list[tuple]]]:
    orders, items = [[], []], [[], []]
    oid = 0
    for cid in range(1, 8):
        for step in range(cid * 3):
            oid += 1
            day = START + dt.timedelta(days=(cid * 7 + step * 5) % 80)
            batch = 0 if day < START + dt.timedelta(days=50) else 1
            orders[batch].append((oid, cid, day, round(10.5 + (oid * 37) % 90, 2)))
            for line in range(oid % 3):
                ship = day + dt.timedelta(days=line * 2)
                items[batch].append((oid, 1 + (oid + line) % 3, 1 + line, ship))
    return orders, items


@pytest.fixture(scope="module")
def fixed(tmp_path_factory) -> Path:
    orders, items = fixed_data()
    entry = write_project(tmp_path_factory.mktemp("rollup") / "p", orders, items)
    done = prepare(entry)
    assert sorted((r.name, r.how, r.parts) for r in done) == [("items", "wrote", 1),
                                                              ("orders", "wrote", 1)]
    return entry


@pytest.mark.parametrize("days", [20, 49, 50, 60, 79, 200])
def test_members_and_values_are_the_same_with_and_without_the_rollup(fixed, days):
    (with_sql, with_rows), (without_sql, without_rows) = both(
        fixed, START + dt.timedelta(days=days))
    assert "rollup-orders" in with_sql and "rollup-orders" not in without_sql
    assert "rollup-items" in with_sql
    # avg keeps a pass over orders (agg_orders) beside the rollup (roll_orders); the line
    # items come from theirs, neither pre-aggregated nor joined to the orders
    assert "roll_orders AS" in with_sql and "agg_orders AS" in with_sql
    assert "roll_items AS" in with_sql
    assert "pre_items" not in with_sql and "agg_items" not in with_sql
    # every line-item measure has a window: rows before the earliest (60 days) left out
    # before grouping; orders' total spend has none
    assert [str(day) for day in since(with_sql, "roll_items")] == [
        str(START + dt.timedelta(days=days - 59))]
    assert since(with_sql, "roll_orders") == []
    assert with_rows == without_rows


def since(sql: str, cte: str) -> list[str]:
    """The days a rollup CTE's WHERE keeps rows from (`_day >= day`)."""
    query = sqlglot.parse_one(sql, read="duckdb")
    [found] = [c.this for c in query.find_all(sqlglot.exp.CTE) if c.alias == cte]
    return [test.expression.this.name for test in found.args["where"].find_all(sqlglot.exp.GTE)]


def test_each_table_has_a_rollup_of_its_own(fixed):
    model = load(str(fixed))[0].require_ok()
    units = {unit.name: unit for unit in prepared_rollup.units_for(model)}
    assert {name: (u.tables, u.lookups) for name, u in units.items()} == {
        "orders": (("orders",), ()), "items": (("items", "orders"), ("product",))}
    # avg keeps a pass over orders; the other six measures of orders need five partials
    # (the total spend and the spend of 90 days are one partial with two windows), the two
    # of line items two
    assert (len(set(units["orders"].partials)), len(set(units["items"].partials))) == (5, 2)


def test_every_feature_is_planned_and_a_planning_error_is_not_swallowed(fixed, monkeypatch):
    model = load(str(fixed))[0].require_ok()
    # first_day is read by no segment: only planning every feature gives its partial
    units = prepared_rollup.units_for(model)
    assert any(p.func.name == "MIN" for unit in units for part in unit.parts
               for p in part.partials)
    # a bug in planning the features surfaces in `segl prepare`, not as a rollup lacking
    # their partials (planned again without them)
    plan_for = prepared_rollup.plan_for

    def broken(*args, traits=None, **kwargs):
        if traits:
            raise KeyError("first_day")
        return plan_for(*args, **kwargs)
    monkeypatch.setattr(prepared_rollup, "plan_for", broken)
    with pytest.raises(KeyError):
        prepared_rollup.units_for(model)


def test_a_measure_that_does_not_combine_keeps_its_pass_over_the_events(fixed, tmp_path):
    entry = tmp_path / "p" / "model.seg"
    shutil.copytree(fixed.parent, entry.parent)
    entry.write_text(SEG + "feature kinds = count(distinct items.pid)\n"
                           "segment varied = kinds >= 2\n")
    # orders alone: about one a customer a day, so the rollup is written but not read
    assert [r.how for r in prepare(entry, share=None)] == ["unused"]
    model = load(str(entry))[0].require_ok()
    assert [u.tables for u in prepared_rollup.units_for(model)] == [("orders",)]
    assert prepared_rollup.rollups(model, entry) == {}
    (with_sql, with_rows), (_, without_rows) = both(entry, START + dt.timedelta(days=70))
    assert "rollup-" not in with_sql and with_rows == without_rows


def test_a_measure_the_rollup_lacks_falls_back(fixed, tmp_path):
    entry = tmp_path / "p" / "model.seg"
    shutil.copytree(fixed.parent, entry.parent)
    prepare(entry)
    entry.write_text(SEG + "feature n_7 = count(orders where amount > 20) in last 7 days\n"
                           "segment weekly = n_7 >= 1\n")
    as_of = START + dt.timedelta(days=70)
    for use in (True, False):
        evaluation = evaluate(str(entry), as_of=as_of, traits=[*FEATURES, "n_7"],
                              prepared=use)
        # the orders' rollup lacks a partial: orders read raw, line items from theirs
        assert "rollup-orders" not in evaluation.sql
        assert ("rollup-items" in evaluation.sql) == use
        evaluation.connection.close()
    (_, with_rows), (_, without_rows) = both(entry, as_of)
    assert with_rows == without_rows


def test_a_changed_source_is_never_read_from_the_rollup(fixed, tmp_path):
    entry = tmp_path / "p" / "model.seg"
    shutil.copytree(fixed.parent, entry.parent)
    model = load(str(entry))[0].require_ok()
    prepare(entry)
    assert set(prepared_rollup.rollups(model, entry)) == {"orders", "items"}
    changed = entry.parent / "products.parquet"
    pl.DataFrame({"pid": [1, 2, 3], "color": ["blue", "red", "red"]}).write_parquet(changed)
    os.utime(changed, ns=(10**18, 10**18))
    # the line items' lookup changed: their rollup is left, the orders' still read
    assert set(prepared_rollup.rollups(model, entry)) == {"orders"}
    (with_sql, with_rows), (_, without_rows) = both(entry, START + dt.timedelta(days=70))
    assert "rollup-items" not in with_sql and "pre_items" in with_sql
    assert "rollup-orders" in with_sql and with_rows == without_rows
    # rebuilt (a lookup changed), the other kept
    assert sorted((r.name, r.how) for r in prepare(entry)) == [("items", "wrote"),
                                                              ("orders", "kept")]


@pytest.mark.parametrize("raw", [None, "orders", "items"])
def test_a_folded_plan_reads_each_tables_rollup_or_its_rows(fixed, tmp_path, monkeypatch,
                                                            raw):
    """Line items' partials folded into the pass over orders (TableReads.fold_partials):
    both rollups read; the orders' lacking a partial (orders raw, line items from theirs);
    the line items' stale (both raw: the fold joins their partials to the orders' rows)."""
    entry = tmp_path / "p" / "model.seg"
    shutil.copytree(fixed.parent, entry.parent)
    prepare(entry)
    features = FEATURES
    if raw == "orders":
        entry.write_text(SEG + "feature n_7 = count(orders where amount > 20) in last 7 days\n")
        features = [*FEATURES, "n_7"]
    if raw == "items":
        changed = entry.parent / "products.parquet"
        pl.DataFrame({"pid": [1, 2, 3], "color": ["red", "red", None]}).write_parquet(changed)
        os.utime(changed, ns=(10**18, 10**18))
    monkeypatch.setattr(TableReads, "fold_partials", True)
    (with_sql, with_rows), (without_sql, without_rows) = both(
        entry, START + dt.timedelta(days=70), features)
    assert "pre_items AS" in without_sql and "agg_items" not in without_sql  # folded
    assert ("rollup-orders" in with_sql) == (raw is None)
    assert ("rollup-items" in with_sql) == (raw != "items")
    assert ("pre_items AS" in with_sql) == (raw == "items")
    assert with_sql.count("roll_orders AS") <= 1 and with_sql.count("roll_items AS") <= 1
    assert with_rows == without_rows


def rollup_rows(entry: Path) -> dict[str, list[tuple]]:
    """Each rollup's rows combined per (key, day, via day): what any refresh must equal."""
    model = load(str(entry))[0].require_ok()
    found = {}
    for unit in prepared_rollup.units_for(model):
        source = prepared_rollup.rollups(model, entry)[unit.name]
        funcs = {p.name: p.func.name for part in unit.parts for p in part.partials}
        combine = {"COUNT": "sum", "SUM": "sum", "MIN": "min", "MAX": "max"}
        columns = ", ".join(f"{combine[f]}({n})" for n, f in sorted(funcs.items()))
        connection = duckdb.connect()
        found[unit.name] = connection.execute(
            f"SELECT _key, _day, _via_day, {columns} FROM read_parquet(?, union_by_name = "
            "true) GROUP BY ALL ORDER BY ALL", [list(source.paths)]).fetchall()
        connection.close()
    return found


def test_appended_files_are_rolled_up_alone_and_equal_a_rebuild(tmp_path):
    orders, items = fixed_data()
    entry = write_project(tmp_path / "p", orders[:1], items[:1])
    assert {r.how for r in prepare(entry)} == {"wrote"}
    assert {r.how for r in prepare(entry)} == {"kept"}
    append(entry.parent, "orders", 1, orders[1])
    append(entry.parent, "items", 1, items[1])
    # an old order's late line item, appended later
    append(entry.parent, "items", 2, [(orders[0][0][0], 2, 4, START + dt.timedelta(days=75))])
    refreshed = prepare(entry)
    assert {r.how for r in refreshed} == {"refreshed"}
    # orders: the new orders; items: the new line items with every order, the old ones
    # with the new orders
    assert {r.name: r.parts for r in refreshed} == {"orders": 2, "items": 3}
    incremental = rollup_rows(entry)
    assert {r.how for r in prepare(entry, rebuild=True)} == {"wrote"}
    assert rollup_rows(entry) == incremental
    (_, with_rows), (_, without_rows) = both(entry, START + dt.timedelta(days=78))
    assert with_rows == without_rows


def test_a_changed_file_rebuilds(tmp_path):
    orders, items = fixed_data()
    entry = write_project(tmp_path / "p", orders, items)
    prepare(entry)
    append(entry.parent, "orders", 0, orders[0][:-1])  # the first file rewritten
    # (the line items are reached through the orders: theirs is rebuilt too)
    assert {r.how for r in prepare(entry)} == {"wrote"}
    (_, with_rows), (_, without_rows) = both(entry, START + dt.timedelta(days=80))
    assert with_rows == without_rows


order_rows = st.lists(st.tuples(st.integers(1, 8), st.integers(0, 40),
                                st.floats(1, 100).map(lambda x: round(x, 2)),
                                st.lists(st.tuples(st.integers(1, 3), st.integers(-2, 6),
                                                   st.booleans()), max_size=3)),
                      min_size=1, max_size=30)


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=order_rows, later=order_rows, as_of=st.integers(0, 90))
def test_appended_days_refreshed_give_the_members_of_the_events(tmp_path_factory, first,
                                                                 later, as_of):
    """Orders of days 0-40 prepared, then orders of days 41-81 appended as a new file and
    refreshed (their line items in the new file, or some, `late`, in the first file
    already, before their orders came)."""
    folder = tmp_path_factory.mktemp("hyp")
    batches: list[list[tuple]] = [[], []]
    lines: list[list[tuple]] = [[], []]
    oid = 0
    for batch, rows in enumerate((first, later)):
        for cid, day, amount, its in rows:
            oid += 1
            when = START + dt.timedelta(days=day + 41 * batch)
            batches[batch].append((oid, cid, when, amount))
            for pid, shift, late in its:
                lines[0 if late else batch].append(
                    (oid, pid, 1 + abs(shift), when + dt.timedelta(days=shift)))
    entry = write_project(folder / "p", batches[:1], lines[:1])
    prepare(entry)
    append(entry.parent, "orders", 1, batches[1])
    if lines[1]:
        append(entry.parent, "items", 1, lines[1])
    assert {r.how for r in prepare(entry)} == {"refreshed"}
    (with_sql, with_rows), (_, without_rows) = both(entry, START + dt.timedelta(days=as_of))
    assert "rollup-orders" in with_sql and "rollup-items" in with_sql
    assert with_rows == without_rows


def test_two_models_of_one_folder_keep_their_own_rollups(fixed, tmp_path):
    entry = tmp_path / "p" / "model.seg"
    shutil.copytree(fixed.parent, entry.parent)
    other = entry.parent / "other.seg"
    other.write_text(SEG.split("feature")[0] + "feature big_90 = count(orders where amount > 80)"
                     " in last 90 days\nfeature blue = count(items where product.color = "
                     '"blue")\nsegment big_buyers = big_90 >= 1 or blue > 2\n')
    prepare(entry)
    prepare(other)
    listing = (entry.parent / prepared.FOLDER / prepared_rollup.LIST).read_text()
    assert listing.count('"unit": "orders"') == listing.count('"unit": "items"') == 2
    for seg in (entry, other):
        evaluation = evaluate(str(seg), as_of=START + dt.timedelta(days=70))
        assert "rollup-orders" in evaluation.sql
        evaluation.connection.close()
    (_, with_rows), (_, without_rows) = both(entry, START + dt.timedelta(days=70))
    assert with_rows == without_rows


def test_the_command_says_what_it_did_with_each_rollup(fixed, tmp_path, monkeypatch):
    from click.testing import CliRunner
    from segl.runtime.cli import main

    entries = [tmp_path / name / "model.seg" for name in ("a", "b")]
    for entry in entries:
        shutil.copytree(fixed.parent, entry.parent, ignore=shutil.ignore_patterns(".segl-*"))
    output = CliRunner().invoke(main, ["prepare", str(entries[0])]).output
    # about one order (and line item) per customer and day: written, not read
    assert "rollup of orders: " in output and "not under half" in output
    monkeypatch.setattr(prepared_rollup, "USEFUL_SHARE", 10.0)
    outputs = [CliRunner().invoke(main, ["prepare", *extra, str(entries[1])]).output
               for extra in ([], [], ["--rebuild"])]
    for table in ("orders", "items"):
        assert f"rollup of {table}: wrote, 1 part" in outputs[0]
        assert f"rollup of {table}: kept" in outputs[1]
        assert f"rollup of {table}: wrote" in outputs[2]
