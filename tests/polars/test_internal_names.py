"""Both backends name an entity's key `_key` inside the query: the Polars backend joins
each pass, ranking and sequence back by that column, and a SQL ranking outputs it. An
entity whose own columns include `_key` (the data's column names are the user's) keeps
that column: the members equal a computation by hand on DuckDB, SQLite and Polars. (Found
by tests/security/test_names_on_engines.py: Polars' join dropped the user's column, and
the SQL top-N ordered by the alias, i.e. by the entity key, instead of the column.)"""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pytest
from segl.runtime.api import evaluate

SEG = """\
entity customer from parquet "customers.parquet" key id
events orders from parquet "orders.parquet" key `_key` at ordered_at
feature orders_count = count(orders)
segment buyers = orders_count >= 1 and `_key` > 0
segment top_half = top 50% by `_key`
feature quiet_orders = count(orders then no orders within 30 days)
segment ordered_then_quiet = quiet_orders >= 1
"""


EXPECTED = {
    "buyers": {1, 4},  # an order, and `_key` > 0 (customer 2 has `_key` 0)
    "top_half": {1, 3},  # `_key` 5 and 7: the two largest of 5, 0, 7, 1 (not the ids 3, 4)
    "ordered_then_quiet": {1, 2},  # 30 quiet days after Jan 5 and Mar 1 (Jun 20's not over)
}


@pytest.mark.parametrize("engine", ["duckdb", "sqlite", "polars"])
def test_an_entity_column_named_like_the_internal_key(tmp_path, engine):
    pl.DataFrame({"id": [1, 2, 3, 4], "_key": [5, 0, 7, 1]}).write_parquet(
        tmp_path / "customers.parquet")
    pl.DataFrame({"_key": [1, 1, 2, 4],
                  "ordered_at": [datetime(2026, 1, 5), datetime(2026, 6, 1),
                                 datetime(2026, 3, 1), datetime(2026, 6, 20)]}).write_parquet(
        tmp_path / "orders.parquet")
    (tmp_path / "m.seg").write_text(SEG)
    path = str(tmp_path / "m.seg")
    found = evaluate(path, date(2026, 6, 30), engine=engine).members()
    assert {name: set(found.filter(pl.col(name))["id"]) for name in EXPECTED} == EXPECTED
