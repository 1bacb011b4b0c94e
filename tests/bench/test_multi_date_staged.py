"""The benchmark's staged variant (bench/multi_date.py `staged`, `--batches N`, `--slices N`)
gives segl's one-pass rows at every one of 12 month-ends, on small generated TPC-H-shaped
data (tests/bench/tiny_tpch.py): the statements it times are the runtime's
(runtime/engines/duckdb_staged.py), whatever the batches and slices."""

from __future__ import annotations

import datetime
import shutil
import sys
from pathlib import Path

import duckdb
import pytest
from sqlglot import exp

from tests.bench import tiny_tpch

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import multi_date  # noqa: E402

DATES = multi_date.month_ends(datetime.date(1998, 7, 31))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tiny_tpch.write(tmp_path_factory.mktemp("multi_date_staged"), buyer_share=0.67)
    for name in multi_date.FILES:
        shutil.copyfile(BENCH / name, folder / name)
    return folder


def rows(connection: duckdb.DuckDBPyConnection, table: str) -> list[tuple]:
    return connection.execute(exp.select(exp.Star()).from_(table).sql("duckdb")).fetchall()


@pytest.mark.parametrize("name", multi_date.FILES)
@pytest.mark.parametrize(("batches", "slices"), [(12, 1), (5, 3)])
def test_staged_variant_gives_the_one_pass_rows(tiny, name, batches, slices):
    built = multi_date.queries(tiny / name, DATES, tiny, batches, slices)
    connection = duckdb.connect()
    connection.sql(built["one_pass"][0]).create("one_pass")
    for statement in built["staged"]:
        connection.execute(statement)
    staged = rows(connection, "result_0")
    assert staged == rows(connection, "one_pass")  # the same rows, in the same order
    assert len({row[0] for row in staged}) == 12
    connection.close()


def test_batches_flag_reaches_the_staged_variant(tiny):
    built = multi_date.queries(tiny / "tpch_rfm.seg", DATES, tiny, batches=4, slices=1)
    inserts = [s for s in built["staged"] if s.startswith("INSERT INTO")]
    assert len(inserts) == 4 - 1  # the first batch creates the table
