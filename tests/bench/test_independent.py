"""The independent baseline (bench/independent.py) selects exactly segl's members.

On small generated TPC-H-shaped data (tests/bench/tiny_tpch.py), customer by customer: every
segment of bench/tpch.seg, and every rfm/priority bucket and r, f, m score of
bench/tpch_rfm.seg. Two shapes: most customers ordered (as in TPC-H), and so few that the
top 20% by spend would reach customers without orders, which the independent twelve-segment
query refuses to answer (it ranks only the buyers) instead of answering wrong.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import duckdb
import pytest

from tests.bench import tiny_tpch

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import hand_written  # noqa: E402
import independent  # noqa: E402
from segl.compiler.api import to_sql  # noqa: E402
from segl.runtime.api import load  # noqa: E402

SHAPES = {"most_ordered": 0.67, "few_ordered": 0.1}


def _write(shape: str, tmp_path_factory):
    folder = tiny_tpch.write(tmp_path_factory.mktemp(shape), buyer_share=SHAPES[shape])
    for name in ("tpch.seg", "tpch_rfm.seg"):
        shutil.copyfile(BENCH / name, folder / name)
    connection = duckdb.connect()
    return shape, folder, connection


@pytest.fixture(scope="module")
def most_ordered(tmp_path_factory):
    shape, folder, connection = _write("most_ordered", tmp_path_factory)
    yield shape, folder, connection
    connection.close()


@pytest.fixture(scope="module")
def few_ordered(tmp_path_factory):
    shape, folder, connection = _write("few_ordered", tmp_path_factory)
    yield shape, folder, connection
    connection.close()


def segl_sql(seg: Path) -> str:
    compilation, connection = load(str(seg))
    connection.close()
    return str(to_sql(compilation, dialect="duckdb", as_of=tiny_tpch.AS_OF))


def materialize(connection, table: str, sql: str) -> None:
    connection.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS {sql}")


def test_twelve_segments_same_members_as_segl(most_ordered):
    shape, folder, connection = most_ordered
    materialize(connection, "segl12", segl_sql(folder / "tpch.seg"))
    materialize(connection, "indep12", independent.twelve_sql(folder, tiny_tpch.AS_OF))
    customers = connection.execute("SELECT count(*) FROM segl12").fetchone()[0]
    assert connection.execute("SELECT count(*) FROM indep12").fetchone()[0] == customers
    for name in hand_written.TWELVE:
        members, differ, nulls = connection.execute(f"""
            SELECT count_if(i."{name}"), count_if(s."{name}" IS DISTINCT FROM i."{name}"),
                   count_if(i."{name}" IS NULL)
            FROM segl12 AS s FULL JOIN indep12 AS i USING (c_custkey)""").fetchone()
        assert (differ, nulls) == (0, 0), f"{shape}: {name}"
        # the data makes every segment select some customers but not all (a vacuous
        # comparison would pass by accident)
        assert 0 < members < customers, f"{shape}: {name} has {members} of {customers}"


def test_twelve_segments_refused_when_buyers_do_not_fill_the_top(few_ordered):
    _, folder, connection = few_ordered
    buyers = connection.execute(f"""
        SELECT count(DISTINCT o_custkey) FROM read_parquet('{folder / "orders.parquet"}')
        WHERE o_orderdate <= DATE '{tiny_tpch.AS_OF}'""").fetchone()[0]
    customers = connection.execute(
        f"SELECT count(*) FROM read_parquet('{folder / 'customer.parquet'}')").fetchone()[0]
    assert buyers * 100 < 20 * customers
    with pytest.raises(duckdb.Error, match="fewer buyers than the top 20%"):
        materialize(connection, "indep12", independent.twelve_sql(folder, tiny_tpch.AS_OF))


@pytest.mark.parametrize("shape", list(SHAPES))
def test_rfm_same_buckets_and_scores_as_segl(shape, request):
    _, folder, connection = request.getfixturevalue(shape)
    materialize(connection, "seglrfm", segl_sql(folder / "tpch_rfm.seg"))
    materialize(connection, "indeprfm", independent.rfm_sql(folder, tiny_tpch.AS_OF))
    differ = connection.execute("""
        SELECT count(*) FROM seglrfm AS s FULL JOIN indeprfm AS i USING (c_custkey)
        WHERE s.rfm IS DISTINCT FROM i.rfm OR s.priority IS DISTINCT FROM i.priority
           OR s.rfm__r IS DISTINCT FROM i.r OR s.rfm__f IS DISTINCT FROM i.f
           OR s.rfm__m IS DISTINCT FROM i.m""").fetchone()[0]
    assert differ == 0, shape
    # every score takes several values (f only two when few ordered: most have 0 orders)
    # and most buckets are used
    for column in ("r", "f", "m"):
        values = connection.execute(
            f"SELECT count(DISTINCT {column}) FROM indeprfm").fetchone()[0]
        assert values >= (2 if column == "f" else 3), f"{shape}: {column}"
    buckets = connection.execute("SELECT count(DISTINCT rfm) FROM indeprfm").fetchone()[0]
    assert buckets >= 4, shape
