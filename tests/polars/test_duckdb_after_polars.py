"""A Polars run opens DuckDB only once its own query is done (issue 15 item 6,
runtime/api.py `evaluate`, engines/members.py `members_table_first`): the file compiles
with the kept data facts (runtime/data_facts.py) and the key checks they say passed are
skipped, so the run's peak memory holds one engine's working set, not both. What a run
learns is kept (the first run opens DuckDB for the schemas and checks; the second does
not before its query). Results equal DuckDB's; a bad key is still an error naming the
table and column; without the cache everything works as before."""

from __future__ import annotations

import os
import textwrap

import polars as pl
import pytest
from segl.runtime import data_facts
from segl.runtime.api import evaluate
from segl.runtime.engines import duckdb as duckdb_engine
from segl.runtime.engines import members as members_module
from segl.runtime.errors import DataError

SEG = """
entity customer from parquet "data/customers.parquet" key customer_id
events orders from parquet "data/orders.parquet" key customer_id at ordered_at
lookup tiers from parquet "data/tiers.parquet" key tier for customer.age
feature spend = sum(orders.amount) in last 90 days
segment buyers = count(orders) >= 1
segment big = spend > 15
segment top_half = top 50% by spend
segment thirties = tiers.label = "thirties"
"""


def write_customers(data, duplicate: bool = False) -> None:
    keys = [1, 2, 3, 4] + ([2] if duplicate else [])
    pl.DataFrame({"customer_id": keys, "age": [30, 40, 30, 50, 40][:len(keys)]}).write_parquet(
        data / "customers.parquet")


@pytest.fixture
def shop(tmp_path, monkeypatch):
    monkeypatch.delenv("SEGL_NO_DATA_CACHE", raising=False)
    monkeypatch.setenv("SEGL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(data_facts, "FRESH_NS", 0)
    data = tmp_path / "data"
    data.mkdir()
    write_customers(data)
    pl.DataFrame({"customer_id": [1, 1, 2, 3], "amount": [10.0, 7.5, 20.0, 3.0],
                  "ordered_at": pl.Series(["2026-05-01", "2026-05-20", "2026-01-02",
                                           "2026-05-30"]).str.to_date()}).write_parquet(
        data / "orders.parquet")
    pl.DataFrame({"tier": [30, 40], "label": ["thirties", "forties"]}).write_parquet(
        data / "tiers.parquet")
    seg = tmp_path / "shop.seg"
    seg.write_text(textwrap.dedent(SEG).lstrip(), encoding="utf-8")
    return seg


@pytest.fixture
def events(monkeypatch):
    """'duckdb' for each DuckDB connection started, 'polars' when the Polars query ran."""
    seen: list[str] = []
    connect, run = duckdb_engine.connect, members_module.run_members

    def counted_connect(*args, **kwargs):
        seen.append("duckdb")
        return connect(*args, **kwargs)

    def counted_run(engine, *args, **kwargs):
        seen.append(engine)
        return run(engine, *args, **kwargs)

    monkeypatch.setattr(duckdb_engine, "connect", counted_connect)
    monkeypatch.setattr(members_module, "run_members", counted_run)
    return seen


def members(evaluation) -> list[tuple]:
    return evaluation.members().rows()


def test_a_second_polars_run_opens_duckdb_after_its_query(shop, events):
    first = evaluate(shop, "2026-06-01", engine="polars")
    assert events == ["duckdb", "polars"]  # the schemas and key checks read through DuckDB
    assert os.listdir(shop.parent / "cache" / data_facts.FOLDER)  # ... and kept
    events.clear()
    second = evaluate(shop, "2026-06-01", engine="polars")
    assert events == ["polars", "duckdb"]
    on_duckdb = evaluate(shop, "2026-06-01")
    assert members(first) == members(second) == members(on_duckdb)
    assert second.sizes == on_duckdb.sizes == {"buyers": 3, "big": 1, "top_half": 2,
                                               "thirties": 2}


def test_a_repeated_key_is_still_an_error_after_a_clean_run(shop, events):
    evaluate(shop, "2026-06-01", engine="polars")
    write_customers(shop.parent / "data", duplicate=True)  # (new file facts: a miss)
    events.clear()
    with pytest.raises(DataError) as caught:
        evaluate(shop, "2026-06-01", engine="polars")
    assert "customer_id" in str(caught.value) and "customer" in str(caught.value)
    assert "polars" not in events  # the check ran before the engine's query


def test_without_the_cache_a_polars_run_is_unchanged(shop, events, monkeypatch):
    monkeypatch.setenv("SEGL_NO_DATA_CACHE", "1")
    for _ in range(2):
        events.clear()
        evaluation = evaluate(shop, "2026-06-01", engine="polars")
        assert events == ["duckdb", "polars"]
    assert not (shop.parent / "cache" / data_facts.FOLDER).exists()
    assert evaluation.sizes == evaluate(shop, "2026-06-01").sizes
