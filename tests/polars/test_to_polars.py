"""The Polars backend's own pieces: LIKE patterns, the decimal cast of floats, what it
cannot read (E301 with the .seg position), and that it never goes through Polars' SQL."""

from datetime import date
from decimal import Decimal

import polars as pl
import pytest
from segl.compiler.api import compile_source
from segl.compiler.diagnostics import CompileError
from segl.compiler.plan import plan_for
from segl.compiler.source import SourceFile
from segl.compiler.to_polars import as_sum_decimal, generate_polars, like

from tests.conftest import ROOT

TEXTS = ["abc", "ABC", "a%c", "a_c", "xabcx", "", None, "a\\c", "a\nc", "日本語"]


@pytest.mark.parametrize("pattern", ["%b%", "a%", "%c", "abc", "a_c", "a\\%", "%", "%%", "",
                                     "a%c", "_", "%_%", "a\\c", "a.c", "日%", "(a)", "a_c%"])
def test_like_matches_duckdb(pattern):
    import duckdb

    frame = pl.DataFrame({"t": TEXTS}, schema={"t": pl.String})
    got = frame.select(like(pl.col("t"), pattern)).to_series().to_list()
    connection = duckdb.connect()
    escaped = pattern.replace("'", "''")
    expected = [connection.execute(f"SELECT ?::VARCHAR LIKE '{escaped}'", [t]).fetchone()[0]
                for t in TEXTS]
    assert got == expected


def test_floats_become_decimals_rounding_half_away_from_zero():
    values = [0.5e-9, 2.5e-9, -2.5e-9, 1.25, 0.1 + 0.2, None]
    frame = pl.DataFrame({"x": values}, schema={"x": pl.Float64})
    got = frame.select(as_sum_decimal(pl.col("x"))).to_series().to_list()
    assert got == [Decimal("0.000000001"), Decimal("0.000000003"), Decimal("-0.000000003"),
                   Decimal("1.25"), Decimal("0.3"), None]


def test_a_table_location_is_e301_on_polars():
    source = SourceFile("warehouse.seg", 'entity customer from table "crm.customers" key id\n'
                        'segment all_of_them = id > 0\n')
    compilation = compile_source(source)
    model = compilation.require_ok()
    with pytest.raises(CompileError) as raised:
        generate_polars(plan_for(model), date(2026, 6, 30))
    diagnostic = raised.value.diagnostics[0]
    assert diagnostic.code == "E301"
    assert "polars engine cannot read `customer` from a table location" in diagnostic.message
    assert diagnostic.span is not None and diagnostic.span.line == 1


def test_the_backend_does_not_use_polars_sql():
    text = (ROOT / "compiler/to_polars.py").read_text(encoding="utf-8")
    assert "SQLContext" not in text and "pl.sql" not in text and ".sql(" not in text
