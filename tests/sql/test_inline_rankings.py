"""Rankings computed in their step's SELECT on DuckDB (dialect rule `inline_rankings`): a
window partitioned by whether the ranking admits the entity, its value kept for admitted
entities only, instead of a CTE of the admitted entities joined back by key. Both forms
(and the top-N of `ranking_limit`) run on DuckDB on values with ties and missing values,
`among` and `not`, and must give every entity the same memberships and scores."""

from __future__ import annotations

import dataclasses
import tempfile
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from segl.compiler.api import compile_file, to_sql
from segl.compiler.backends.sql import dialects

SEG = """
entity customer from parquet "customers.parquet" key customer_id {
  customer_id int
  city text
  score float
  visits int
}
segment top_share = top 30% by score among city = "a"
segment not_top = not (top 30% by score among city = "a")
segment bottom_few = bottom 3 by visits
segmentation tiers {
  score s by score higher is better into 4 ntile
  score q by score lower is better into 3 quantile
  score v by visits higher is better into 5 quantile
  high when s >= 3 and q >= 2
  else rest
}
"""
AS_OF = date(2026, 6, 30)


def results(rows, limited: bool, inline: bool) -> tuple[str, list[tuple]]:
    with tempfile.TemporaryDirectory() as folder:
        pl.DataFrame(rows, schema={"customer_id": pl.Int64, "city": pl.String,
                                   "score": pl.Float64, "visits": pl.Int64},
                     orient="row").write_parquet(Path(folder) / "customers.parquet")
        seg = Path(folder) / "ranks.seg"
        seg.write_text(SEG, encoding="utf-8")
        compilation = compile_file(seg)
        assert compilation.ok, compilation.diagnostics
        saved = dialects.RULES["duckdb"]
        dialects.RULES["duckdb"] = dataclasses.replace(saved, ranking_limit=limited,
                                                       inline_rankings=inline)
        try:
            sql = to_sql(compilation, "duckdb", AS_OF)
        finally:
            dialects.RULES["duckdb"] = saved
        connection = duckdb.connect()
        found = connection.sql(sql).fetchall()
        connection.close()
    return sql, found


@settings(max_examples=25, deadline=None)
@given(values=st.lists(st.tuples(st.sampled_from(["a", "b", None]),
                                 st.one_of(st.none(), st.sampled_from([1.0, 2.5, 2.5, 7.0])),
                                 st.one_of(st.none(), st.integers(0, 3))),
                       max_size=25))
def test_inline_windows_give_every_entity_the_same_ranks_and_scores(values):
    rows = [(key, *row) for key, row in enumerate(values, 1)]
    forms = {(limited, inline): results(rows, limited, inline)
             for limited in (False, True) for inline in (False, True)}
    want = forms[(False, False)][1]
    for (limited, inline), (sql, found) in forms.items():
        assert found == want, (limited, inline)
        # an inlined score has no CTE of its own; a top-N (limited) stays a CTE
        assert ("ranked_score" in sql) is not inline
        assert ("ranked_rank" in sql) is (limited or not inline)


def test_duckdb_inlines_and_other_dialects_keep_the_ctes(tmp_path):
    seg = tmp_path / "ranks.seg"
    seg.write_text(SEG.replace('from parquet "customers.parquet"', 'from table "s.customers"'),
                   encoding="utf-8")
    compilation = compile_file(seg)
    assert "ranked_score" not in to_sql(compilation, "duckdb", AS_OF)
    assert "PARTITION BY NOT" in to_sql(compilation, "duckdb", AS_OF)
    for dialect in ("postgres", "sqlite", "snowflake"):
        assert "ranked_score_tiers_s" in to_sql(compilation, dialect, AS_OF)
