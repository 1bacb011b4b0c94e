"""`top`/`bottom` ranks as a top-N on DuckDB (dialect rule `ranking_limit`): the members'
keys sorted and cut after N or floor(P * count / 100), instead of a row_number window with
the count beside it. Both forms run on DuckDB against a plain-Python rule, on values with
ties and missing values, fractional percentages and `among`."""

from __future__ import annotations

import dataclasses
import math
import tempfile
from datetime import date
from fractions import Fraction
from pathlib import Path

import duckdb
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from segl.compiler.api import compile_file, to_sql
from segl.compiler.backends.sql import dialects

SEG = """
entity customer from parquet "customers.parquet" key customer_id {
  customer_id int
  city text
  score float
}
segment top_share = top PERCENT% by score
segment bottom_share = bottom PERCENT% by score among city = "a"
segment top_few = top COUNT by score
segment bottom_few = bottom COUNT by score among city = "a"
"""
SEGMENTS = ("top_share", "bottom_share", "top_few", "bottom_few")
AS_OF = date(2026, 6, 30)


def expected(rows: list[tuple[int, str, float | None]], percent: str, count: int
             ) -> dict[str, list[int]]:
    """segl's rule: rank the entities whose value is present (and that meet `among`) by
    value (descending for top), ties by key ascending; a member when position <= N, or
    position * 100 <= P * (number ranked)."""
    def ranked(top: bool, among: bool) -> list[int]:
        admitted = [(s, k) for k, c, s in rows if s is not None and (not among or c == "a")]
        admitted.sort(key=lambda sk: ((-sk[0] if top else sk[0]), sk[1]))
        return [k for _, k in admitted]

    share = Fraction(percent)
    result = {}
    for name, top, among, by_share in (("top_share", True, False, True),
                                       ("bottom_share", False, True, True),
                                       ("top_few", True, False, False),
                                       ("bottom_few", False, True, False)):
        keys = ranked(top, among)
        cut = math.floor(share * len(keys) / 100) if by_share else count
        result[name] = sorted(keys[:cut])
    return result


def members(rows, percent: str, count: int, limited: bool) -> dict[str, list[int]]:
    with tempfile.TemporaryDirectory() as folder:
        pl.DataFrame(rows, schema={"customer_id": pl.Int64, "city": pl.String,
                                   "score": pl.Float64}, orient="row").write_parquet(
            Path(folder) / "customers.parquet")
        seg = Path(folder) / "top.seg"
        seg.write_text(SEG.replace("PERCENT", percent).replace("COUNT", str(count)),
                       encoding="utf-8")
        compilation = compile_file(seg)
        assert compilation.ok, compilation.diagnostics
        saved = dialects.RULES["duckdb"]
        dialects.RULES["duckdb"] = dataclasses.replace(saved, ranking_limit=limited)
        try:
            sql = to_sql(compilation, "duckdb", AS_OF)
        finally:
            dialects.RULES["duckdb"] = saved
        assert ("LIMIT" in sql) is limited and ("ROW_NUMBER" in sql) is not limited
        connection = duckdb.connect()
        result = connection.sql(sql)
        names = result.columns
        rows_out = result.fetchall()
        connection.close()
    return {name: sorted(r[0] for r in rows_out if r[names.index(name)]) for name in SEGMENTS}


@settings(max_examples=20, deadline=None)
@given(
    values=st.lists(st.tuples(st.sampled_from(["a", "b"]),
                              st.one_of(st.none(), st.sampled_from([1.0, 2.5, 2.5, 7.0]))),
                    max_size=25),
    percent=st.sampled_from(["2.5", "20", "33.3", "50", "100"]),
    count=st.integers(1, 6),
)
def test_top_n_and_window_select_the_same_members_as_the_rule(values, percent, count):
    rows = [(key, city, score) for key, (city, score) in enumerate(values, 1)]
    want = expected(rows, percent, count)
    assert members(rows, percent, count, limited=True) == want
    assert members(rows, percent, count, limited=False) == want


@pytest.mark.parametrize("dialect", ["postgres", "snowflake", "sqlite"])
def test_other_dialects_keep_the_window(dialect, tmp_path):
    seg = tmp_path / "top.seg"
    (tmp_path / "customers.parquet").write_bytes(b"")
    seg.write_text(SEG.replace("PERCENT", "20").replace("COUNT", "3").replace(
        'from parquet "customers.parquet"', 'from table "s.customers"'), encoding="utf-8")
    sql = to_sql(compile_file(seg), dialect, AS_OF)
    assert "ROW_NUMBER" in sql and "LIMIT" not in sql


def test_the_cut_is_the_floor_of_the_share_on_both_sides_of_a_whole_number():
    # 20% of 99 is 19.8: 19 members; 2.5% of 120 is 3 exactly, 2.5% of 119 is 2.975: 2
    for size, percent, cut in ((99, "20", 19), (120, "2.5", 3), (119, "2.5", 2)):
        rows = [(key, "a", float(key % 7)) for key in range(1, size + 1)]
        found = members(rows, percent, 1, limited=True)
        assert len(found["top_share"]) == cut
        assert found == expected(rows, percent, 1)
