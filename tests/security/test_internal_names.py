"""The data's column names are the user's: an entity column (or the key) named like a column
segl gives its own queries (`_as_of`, `_position`, `_rank_as_of`, `orders__m1`, `_rank_1`,
Polars' `ranked_rank_1_position`) keeps its own values, on DuckDB, SQLite and Polars, one
date and many (`--as-of` dates). Before, such a column was silently replaced by a measure
or a ranking flag (`orders__m1`, `_rank_1`: wrong members), met the date of many dates
(`_as_of`: nobody a member on DuckDB), or made a reference ambiguous (`_key`, `_position`,
`_rank_as_of`). Entity columns segl could name itself are renamed in the query's rows
(`Plan.row_name`); definitions of those names are refused (E105); an output named `as_of`
beside the date of many dates is refused (E302). Members here are computed by hand."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pytest
from segl.compiler.diagnostics import CompileError
from segl.runtime.api import evaluate
from segl.runtime.multi_date import evaluate_dates

D1, D2 = date(2026, 3, 31), date(2026, 6, 30)
# customers (key, level); orders (key, at, amount)
CUSTOMERS = [(1, 5), (2, 0), (3, 7), (4, 1), (5, 3), (6, None)]
ORDERS = [(1, datetime(2026, 1, 5), 2.0), (1, datetime(2026, 6, 1), 3.0),
          (2, datetime(2026, 3, 1), 5.0), (4, datetime(2026, 6, 20), 0.5),
          (5, datetime(2026, 2, 1), 4.0), (5, datetime(2026, 2, 10), 1.5),
          (3, datetime(2026, 5, 1), 9.0)]
# By hand. active: an order above 1 by then and level > 0. top_half: the 2 highest levels
# of the 5 with a level (7, 5). big: the 2 largest spends by then (ties by key).
# quiet (one date): an order with no next order within 30 days, the 30 days over by Jun 30.
EXPECTED = {
    D1: {"active": {1, 5}, "top_half": {1, 3}, "big": {2, 5}},  # spend 1:2 2:5 5:5.5
    D2: {"active": {1, 3, 5}, "top_half": {1, 3}, "big": {3, 5}, "quiet": {1, 2, 3, 5}},
}  # Jun 30: spend 1:5 2:5 3:9 4:0.5 5:5.5; customer 4's order of Jun 20 is not 30 days old


def source(key: str, column: str, dated: bool) -> str:
    text = f"""\
entity customer from parquet "c.parquet" key `{key}`
events orders from parquet "o.parquet" key `{key}` at at
feature n_big = count(orders where amount > 1)
feature spend = sum(orders.amount)
segment active = n_big >= 1 and `{column}` > 0
segment top_half = top 50% by `{column}`
segment big = top 2 by spend
segmentation tiers {{
  hi when active
  else lo
}}
"""
    if not dated:
        text += "feature n_quiet = count(orders then no orders within 30 days)\n" \
                "segment quiet = n_quiet >= 1\n"
    return text


def write(tmp_path, key: str, column: str, dated: bool) -> str:
    pl.DataFrame({key: [k for k, _ in CUSTOMERS], column: [v for _, v in CUSTOMERS]},
                 schema={key: pl.Int64, column: pl.Int64}).write_parquet(tmp_path / "c.parquet")
    pl.DataFrame({key: [k for k, _, _ in ORDERS], "at": [t for _, t, _ in ORDERS],
                  "amount": [a for _, _, a in ORDERS]}).write_parquet(tmp_path / "o.parquet")
    (tmp_path / "m.seg").write_text(source(key, column, dated))
    return str(tmp_path / "m.seg")


def found(frame: pl.DataFrame, key: str, names) -> dict[str, set[int]]:
    return {name: set(frame.filter(pl.col(name))[key]) for name in names}


NAMES = [("id", "_key"), ("id", "_position"), ("id", "_count"), ("id", "_as_of"),
         ("id", "_rank_as_of"), ("id", "orders__m1"), ("id", "orders__m2"), ("id", "_rank_1"),
         ("id", "_rank_2"), ("id", "ranked_rank_1_position"), ("id", "_col_1"),
         ("_as_of", "level"), ("orders__m1", "level"), ("_rank_1", "level"),
         ("_position", "_key"), ("ranked_rank_2_count", "level")]


@pytest.mark.parametrize("engine", ["duckdb", "sqlite", "polars"])
@pytest.mark.parametrize("key,column", NAMES, ids=[f"{k}-{c}" for k, c in NAMES])
def test_an_entity_column_named_like_segls_own(tmp_path, engine, key, column):
    path = write(tmp_path, key, column, dated=False)
    members = evaluate(path, D2, engine=engine).members()
    assert set(members.columns) >= {key, "active", "tiers"}
    assert found(members, key, EXPECTED[D2]) == EXPECTED[D2]

    path = write(tmp_path, key, column, dated=True)
    members = evaluate_dates(path, [D1, D2], engine=engine).members()
    for day in (D1, D2):
        wanted = {k: v for k, v in EXPECTED[day].items() if k != "quiet"}
        assert found(members.filter(pl.col("as_of") == day), key, wanted) == wanted, day


@pytest.mark.parametrize("name", ["_key", "_position", "_count", "_as_of", "_rank_as_of",
                                  "_col_1", "_ranked_rank_1_position"])
def test_a_definition_named_like_segls_own_is_refused(tmp_path, name):
    path = write(tmp_path, "id", "level", dated=True)
    with open(path, "a") as stream:
        stream.write(f"feature `{name}` = 1\n")
    with pytest.raises(CompileError) as refusal:
        evaluate(path, D2)
    (first,) = refusal.value.diagnostics
    assert (first.code, first.message) == (
        "E105", f"`{name}` is a name segl gives one of its own columns")


@pytest.mark.parametrize("key,extra", [("as_of", ""), ("id", 'segment `AS_OF` = level > 1\n'),
                                       ("id", "segmentation `as_of` {\n  a when active\n"
                                              "  else b\n}\n")])
def test_an_output_named_as_of_is_refused_for_many_dates_only(tmp_path, key, extra):
    path = write(tmp_path, key, "level", dated=True)
    with open(path, "a") as stream:
        stream.write(extra)
    assert found(evaluate(path, D2).members(), key, ["active"]) == {"active": {1, 3, 5}}
    for engine in ("duckdb", "polars"):
        with pytest.raises(CompileError) as refusal:
            evaluate_dates(path, [D1, D2], engine=engine)
        (first,) = refusal.value.diagnostics
        assert first.code == "E302" and first.span is not None
        assert "beside the date of many dates" in first.message


def test_the_long_output_refuses_a_key_named_segment(tmp_path):
    """The long output's `segment` column beside a key named `segment`: DuckDB wrote the
    segment names as `segment_1`, the members frame failed; now refused, wide still works."""
    from segl.runtime.errors import UsageError

    path = write(tmp_path, "segment", "level", dated=False)
    evaluation = evaluate(path, D2)
    assert found(evaluation.members(), "segment", ["active"]) == {"active": {1, 3, 5}}
    with pytest.raises(UsageError, match="a second one"):
        evaluation.members("long")
