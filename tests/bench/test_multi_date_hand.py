"""The hand-written multi-date baseline (bench/multi_date_hand.py) selects segl's members at
every one of 12 month-ends (segl's one pass, `AsOf.many`), on small generated TPC-H-shaped
data (tests/bench/tiny_tpch.py): every row (as_of, customer, flags or buckets and scores)
in both directions, and each column varies across the rows (no vacuous comparison)."""

from __future__ import annotations

import datetime
import shutil
import sys
from pathlib import Path

import duckdb
import pytest

from tests.bench import tiny_tpch

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import multi_date  # noqa: E402
import multi_date_hand  # noqa: E402

DATES = multi_date.month_ends(datetime.date(1998, 7, 31))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tiny_tpch.write(tmp_path_factory.mktemp("multi_date"), buyer_share=0.67)
    for name in multi_date_hand.BUILDERS:
        shutil.copyfile(BENCH / name, folder / name)
    connection = duckdb.connect()
    yield folder, connection
    connection.close()


@pytest.mark.parametrize("name", sorted(multi_date_hand.BUILDERS))
def test_hand_written_equals_segl_at_every_date(tiny, name):
    folder, connection = tiny
    segl = multi_date.queries(folder / name, DATES, folder)
    connection.sql(segl["one_pass"][0]).create(f"segl_{name[:-4]}")
    connection.sql(segl["hand"][0]).create(f"hand_{name[:-4]}")
    segl_table, hand_table = f"segl_{name[:-4]}", f"hand_{name[:-4]}"
    for left, right in ((segl_table, hand_table), (hand_table, segl_table)):
        extra = connection.execute(
            f"SELECT count(*) FROM (SELECT * FROM {left} EXCEPT ALL SELECT * FROM {right})"
        ).fetchall()[0][0]
        assert extra == 0, f"{name}: {extra} rows of {left} are not in {right}"
    dates = connection.execute(f"SELECT count(DISTINCT as_of) FROM {hand_table}").fetchall()
    assert dates == [(12,)]
    columns = [row[0] for row in connection.sql(f"DESCRIBE {hand_table}").fetchall()]
    for column in columns[2:]:
        values = connection.execute(
            f'SELECT count(DISTINCT "{column}") FROM {hand_table}').fetchall()[0][0]
        assert values > 1, f"{name}: {column} is constant, the comparison proves little"


def test_dates_must_be_consecutive_month_ends(tiny):
    folder, _ = tiny
    with pytest.raises(ValueError, match="month-end"):
        multi_date_hand.twelve_sql(folder, [datetime.date(1998, 7, 30)])
    with pytest.raises(ValueError, match="consecutive"):
        multi_date_hand.rfm_sql(folder, [datetime.date(1998, 5, 31), datetime.date(1998, 7, 31)])
