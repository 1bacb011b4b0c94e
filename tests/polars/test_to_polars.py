"""The Polars backend's own pieces: LIKE patterns, the decimal cast of floats, what it
cannot read (E301 with the .seg position), and that it never goes through Polars' SQL."""

from datetime import date
from decimal import Decimal

import polars as pl
import pytest
from segl.compiler.api import compile_source
from segl.compiler.backends.polars.generator import generate_polars
from segl.compiler.backends.polars.numeric import as_sum_decimal, like
from segl.compiler.diagnostics import CompileError
from segl.compiler.plan import plan_for
from segl.compiler.source import SourceFile

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
    assert len(raised.value.diagnostics) == 1  # once, however often the source is read
    diagnostic = raised.value.diagnostics[0]
    assert diagnostic.code == "E301"
    assert "polars engine cannot read `customer` from a table location" in diagnostic.message
    assert diagnostic.span is not None and diagnostic.span.line == 1


def test_the_backend_does_not_use_polars_sql():
    files = sorted((ROOT / "compiler/backends/polars").glob("*.py"))
    assert len(files) >= 5
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert "SQLContext" not in text and "pl.sql" not in text and ".sql(" not in text, path


def test_csv_sources_through_tables_and_lookups_agree(tmp_path):
    """CSV files (typed as DuckDB's sniffer types them), a lookup chain off the entity, a
    lookup off an events table and a table reached `through` another, on both engines."""
    from segl.runtime.api import evaluate

    data = tmp_path / "data"
    data.mkdir()
    (data / "customers.csv").write_text(
        "id,city,joined\n1,AMS,2024-01-31\n2,UTR,2024-02-29\n3,,2025-12-31\n4,XXX,\n")
    (data / "cities.csv").write_text("code,name,country\nAMS,Amsterdam,NL\nUTR,Utrecht,NL\n")
    (data / "countries.csv").write_text("iso,label\nNL,Netherlands\n")
    (data / "orders.csv").write_text(
        "order_id,customer,placed,amount\n10,1,2026-06-30 23:59:59,10.5\n"
        "11,1,2026-07-01 00:00:00,1\n12,2,2026-05-31 12:00:00,0.1\n"
        "13,2,2026-06-01 00:00:00,0.2\n14,9,2026-01-01 00:00:00,5\n")
    (data / "lines.csv").write_text(
        "order_id,sku,qty\n10,A,2\n10,B,1\n11,A,7\n12,B,3\n13,A,1\n99,A,4\n")
    (data / "products.csv").write_text("sku,brand\nA,Acme\nB,Other\n")
    seg = tmp_path / "csv.seg"
    seg.write_text("""
entity customer from csv "data/customers.csv" key id
lookup city_info from csv "data/cities.csv" key code for customer.city
lookup country from csv "data/countries.csv" key iso for city_info.country
events orders from csv "data/orders.csv" key customer at placed
events lines from csv "data/lines.csv" through orders on order_id = order_id
lookup product from csv "data/products.csv" key sku for lines.sku

segment dutch = country.label = "Netherlands"
segment acme_buyers = sum(lines.qty where product.brand = "Acme") >= 2
segment recent = count(orders) in last 30 days > 0
segment big = sum(orders.amount) > 0.25
segment tenure = months_between(joined, as_of) >= 29
segment top_spender = top 1 by sum(orders.amount)
""")
    for as_of in (date(2026, 6, 30), date(2026, 7, 1)):
        on_duckdb = evaluate(seg, as_of=as_of)
        on_polars = evaluate(seg, as_of=as_of, engine="polars")
        query = f"SELECT * FROM {on_duckdb.table} ORDER BY 1"
        rows = on_duckdb.connection.execute(query).fetchall()
        assert on_polars.connection.execute(query).fetchall() == rows
        assert on_polars.sizes == on_duckdb.sizes
    # at 2026-07-01: customer 2's order of 1 June has left the 30 days; customer 1 (joined
    # 31 January 2024) has 29 whole months, customer 2 (29 February 2024) 28
    assert on_duckdb.sizes == {"dutch": 2, "acme_buyers": 1, "recent": 1, "big": 2,
                               "tenure": 1, "top_spender": 1}


@pytest.mark.parametrize("separator", [",", ";", "\t", "|"])
def test_csv_files_with_any_separator_duckdb_sniffs_agree(tmp_path, separator):
    # Polars has no sniffer: a `;`-separated file (where `,` is the decimal comma) read as
    # one column, and every query over it failed.
    from segl.runtime.api import evaluate

    (tmp_path / "data").mkdir()
    rows = [("id", "city", "score")] + [(str(i), ["Amsterdam", "Den Haag"][i % 2], str(i % 7))
                                         for i in range(1, 40)]
    (tmp_path / "data/customers.csv").write_text(
        "\n".join(separator.join(row) for row in rows) + "\n")
    seg = tmp_path / "t.seg"
    seg.write_text('entity customer from csv "data/customers.csv" key id\n'
                   'segment haag = city = "Den Haag" and score >= 3\n')
    on_duckdb = evaluate(seg, as_of=date(2026, 6, 30))
    on_polars = evaluate(seg, as_of=date(2026, 6, 30), engine="polars")
    expected = sum(1 for _, city, score in rows[1:] if city == "Den Haag" and int(score) >= 3)
    assert on_duckdb.sizes == on_polars.sizes == {"haag": expected}


def test_segl_run_engine_polars_on_a_database_table_is_e301(tmp_path):
    import duckdb
    from click.testing import CliRunner
    from segl.runtime.cli import main

    database = tmp_path / "warehouse.duckdb"
    connection = duckdb.connect(str(database))
    connection.execute("CREATE SCHEMA crm")
    connection.execute("CREATE TABLE crm.accounts AS SELECT range AS id FROM range(5)")
    connection.close()
    seg = tmp_path / "warehouse.seg"
    seg.write_text('entity account from table "crm.accounts" key id\nsegment big = id > 2\n')
    runner = CliRunner()
    on_duckdb = runner.invoke(main, ["run", str(seg), "--db", str(database), "--as-of",
                                     "2026-06-30"])
    assert on_duckdb.exit_code == 0, on_duckdb.output
    on_polars = runner.invoke(main, ["run", str(seg), "--db", str(database), "--as-of",
                                     "2026-06-30", "--engine", "polars"])
    assert on_polars.exit_code == 1
    assert "warehouse.seg:1:21: error[E301]: the polars engine cannot read `account` from a " \
           "table location" in on_polars.output
    assert "--engine duckdb" in on_polars.output


def test_a_timestamp_with_time_zone_is_e301_naming_table_and_column(project):
    from datetime import datetime

    from segl.runtime.api import evaluate

    stamps = pl.Series([datetime(2026, 6, 30, 23)]).dt.replace_time_zone("UTC")
    path = project('entity customer from parquet "data/customers.parquet" key customer_id\n'
                   'events orders from parquet "data/orders.parquet" key customer_id '
                   "at ordered_at\nsegment buyer = count(orders) > 0\n",
                   {"customers": [{"customer_id": 1}],
                    "orders": [{"customer_id": 1, "ordered_at": stamps[0]}]},
                   {"orders": {"customer_id": pl.Int64, "ordered_at": pl.Datetime("us", "UTC")}})
    assert evaluate(path, as_of=date(2026, 6, 30)).sizes == {"buyer": 1}  # DuckDB converts
    with pytest.raises(CompileError) as raised:
        evaluate(path, as_of=date(2026, 6, 30), engine="polars")
    message = raised.value.diagnostics[0].message
    assert "cannot compare `orders.ordered_at`, a timestamp with time zone UTC" in message
