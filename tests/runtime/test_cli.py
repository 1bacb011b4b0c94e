"""The `segl` command as a user runs it: exit codes, messages, files written."""

import json

import duckdb
import polars as pl
import pytest
from click.testing import CliRunner
from segl.runtime.cli import main

from tests.conftest import ROOT

SHOP = str(ROOT / "examples/shop/shop.seg")


def segl(*args, cwd=None):
    runner = CliRunner()
    if cwd is None:
        return runner.invoke(main, list(args), catch_exceptions=False)
    with runner.isolated_filesystem(temp_dir=cwd):
        return runner.invoke(main, list(args), catch_exceptions=False)


SMALL = """
entity customer from parquet "data/customers.parquet" key customer_id {
  customer_id int
  city text
}
events orders from parquet "data/orders.parquet" key customer_id at ordered_at {
  ordered_at timestamp
  amount float
}
feature orders_total = count(orders)
segment buyers "Buyers" = orders_total > 0
segment amsterdam = city = "Amsterdam"
"""
CUSTOMERS = [{"customer_id": 1, "city": "Amsterdam"}, {"customer_id": 2, "city": "Utrecht"},
             {"customer_id": 3, "city": "Amsterdam"}]
ORDERS = [{"customer_id": 1, "ordered_at": "2026-01-01 10:00:00", "amount": 5.0}]
SCHEMAS = {"orders": {"customer_id": pl.Int64, "ordered_at": pl.Datetime, "amount": pl.Float64}}


@pytest.fixture
def small(project):
    orders = [{**o, "ordered_at": pl.Series([o["ordered_at"]]).str.to_datetime()[0]}
              for o in ORDERS]
    return project(SMALL, {"customers": CUSTOMERS, "orders": orders}, SCHEMAS)


def test_check_ok():
    result = segl("check", SHOP)
    assert result.exit_code == 0, result.output
    assert "ok (32 segments" in result.output


def test_check_reports_definition_errors_with_position_and_exit_1(small):
    small.write_text(small.read_text() + 'segment typo = orders_totl > 1\n')
    result = segl("check", str(small))
    assert result.exit_code == 1
    assert f"{small}:12:16: error[E101]: unknown name `orders_totl`" in result.stderr
    assert "did you mean `orders_total`?" in result.stderr
    assert "^^^^^^^^^^^" in result.stderr


def test_missing_data_file_is_a_data_error_naming_the_table(small):
    (small.parent / "data/orders.parquet").unlink()
    result = segl("run", str(small), "--as-of", "2026-06-30")
    assert result.exit_code == 2
    assert "data error:" in result.stderr
    assert "events `orders`: no file `data/orders.parquet`" in result.stderr


def test_declared_column_missing_from_data_names_table_and_column(small):
    small.write_text(small.read_text().replace("  city text", "  city text\n  segment_code text"))
    result = segl("run", str(small), "--as-of", "2026-06-30")
    assert result.exit_code == 2
    assert "entity `customer`: column `segment_code` is declared but the data has no such " \
           "column" in result.stderr


def test_type_mismatch_names_table_and_column(small):
    small.write_text(small.read_text().replace("  city text", "  city int"))
    result = segl("run", str(small), "--as-of", "2026-06-30")
    assert result.exit_code == 2
    assert "entity `customer`: column `city` is declared int but is VARCHAR in the data" \
        in result.stderr


def test_duplicate_entity_keys_are_a_data_error(small, project):
    pl.DataFrame([*CUSTOMERS, CUSTOMERS[0]]).write_parquet(small.parent / "data/customers.parquet")
    result = segl("run", str(small), "--as-of", "2026-06-30")
    assert result.exit_code == 2
    assert "key column `customer_id` has 1 duplicate value(s)" in result.stderr


@pytest.mark.parametrize("fmt", ["csv", "parquet", "json"])
def test_run_writes_long_members(small, tmp_path, fmt):
    out = tmp_path / f"members.{fmt}"
    result = segl("run", str(small), "--as-of", "2026-06-30", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    if fmt == "json":
        rows = [tuple(r.values()) for r in json.loads(out.read_text())]
    else:
        reader = "read_csv" if fmt == "csv" else "read_parquet"
        rows = duckdb.sql(f"SELECT * FROM {reader}('{out}')").fetchall()
    assert rows == [(1, "buyers"), (1, "amsterdam"), (3, "amsterdam")]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_run_writes_wide_members_and_prints_sizes(small, tmp_path):
    out = tmp_path / "wide.parquet"
    result = segl("run", str(small), "--as-of", "2026-06-30", "--out", str(out),
                  "--shape", "wide")
    assert result.exit_code == 0
    assert duckdb.sql(f"SELECT * FROM '{out}'").fetchall() == [
        (1, True, True), (2, False, False), (3, False, True)]
    assert "buyers" in result.output and "33.3%" in result.output


def test_a_failed_run_leaves_the_previous_output_intact(small, tmp_path):
    out = tmp_path / "members.csv"
    out.write_text("previous\n")
    (small.parent / "data/orders.parquet").unlink()
    result = segl("run", str(small), "--as-of", "2026-06-30", "--out", str(out))
    assert result.exit_code == 2
    assert out.read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_run_selected_segments_and_table_format(small):
    result = segl("run", str(small), "--as-of", "2026-06-30", "-s", "amsterdam",
                  "--format", "table")
    assert result.exit_code == 0
    assert "amsterdam" in result.output and "buyers" not in result.output


def test_unknown_segment_suggests_a_name(small):
    result = segl("run", str(small), "--as-of", "2026-06-30", "-s", "buyer")
    assert result.exit_code == 1
    assert "unknown segment `buyer`" in result.stderr and "did you mean `buyers`?" in result.stderr


def test_usage_errors_exit_2(small):
    assert segl("run", str(small), "--as-of", "30-06-2026").exit_code == 2
    assert segl("run", str(small), "--param", "nope=1").exit_code == 2
    assert segl("run", str(small), "--out", "members.txt").exit_code == 2


def test_compile_for_a_dialect_and_as_of_modes(small):
    result = segl("compile", str(small), "--dialect", "duckdb", "--as-of", "2026-06-30")
    assert result.exit_code == 0
    assert result.output.startswith("-- segl ")
    assert "-- as_of: 2026-06-30" in result.output
    assert "CAST('2026-07-01 00:00:00' AS TIMESTAMP)" in result.output
    today = segl("compile", str(small), "--as-of", "today").output
    assert "CURRENT_DATE" in today
    param = segl("compile", str(small), "--dialect", "snowflake", "--as-of", "param")
    # a parquet-only source cannot be read by Snowflake: an error at the declaration
    assert param.exit_code == 1
    assert "error[E301]: the snowflake dialect cannot read `customer` from a parquet file" \
        in param.stderr


def test_compile_param_mode_uses_a_named_parameter():
    result = segl("compile", SHOP, "--dialect", "snowflake", "--as-of", "param", "-s", "loyal")
    assert result.exit_code == 0
    assert "CAST(:as_of AS DATE)" in result.output


def test_compile_show_plan(small):
    result = segl("compile", str(small), "--show", "plan")
    assert "aggregate orders (one pass, 1 measures)" in result.output


def test_explain_funnel_ends_at_the_segment_size():
    result = segl("explain", "young_urban", SHOP, "--as-of", "2026-06-30")
    assert result.exit_code == 0, result.stderr
    assert "age between 25 and 35" in result.output
    assert 'lifestyle = "urban professional"' in result.output
    run = segl("run", SHOP, "--as-of", "2026-06-30", "-s", "young_urban")
    size = next(line for line in run.output.splitlines() if "young_urban" in line).split("│")[3]
    last = next(line for line in result.output.splitlines() if line.startswith("│ 3"))
    assert size.strip() in last


def test_ls_lists_objects_and_dependencies():
    result = segl("ls", SHOP)
    assert result.exit_code == 0
    assert "young_loyal" in result.output and "young_urban, loyal, lapsed" in result.output


def test_init_scaffolds_a_project_that_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert segl("init", "demo").exit_code == 0
    monkeypatch.chdir(tmp_path / "demo")
    result = segl("run")
    assert result.exit_code == 0, result.stderr
    assert "active" in result.output and "big_spenders" in result.output
    assert segl("init", ".").exit_code == 2  # never overwrites


def test_project_file_supplies_defaults(monkeypatch):
    monkeypatch.chdir(ROOT / "examples/shop")
    result = segl("run", "-s", "loyal")
    assert result.exit_code == 0
    assert "as_of 2026-06-30" in result.output
    assert "4,691" in result.output


def test_duplicate_lookup_keys_are_a_data_error(project):
    path = project("""
entity customer from parquet "data/customers.parquet" key customer_id
lookup city from parquet "data/cities.parquet" key city_id for customer.city_id
segment north = city.region = "north"
""", {"customers": [{"customer_id": 1, "city_id": 1}],
      "cities": [{"city_id": 1, "region": "north"}, {"city_id": 1, "region": "south"}]})
    result = segl("run", str(path), "--as-of", "2026-06-30")
    assert result.exit_code == 2
    assert "lookup `city`: key column `city_id` has 1 duplicate value(s)" in result.stderr


def test_unknown_dialect_is_a_usage_error(small):
    result = segl("compile", str(small), "--dialect", "nosuch")
    assert result.exit_code == 2
    assert "unknown dialect `nosuch`" in result.stderr


def test_compile_prints_each_error_once(small):
    small.write_text(small.read_text() + "segment typo = orders_totl > 1\n")
    result = segl("compile", str(small))
    assert result.exit_code == 1
    assert result.stderr.count("error[E101]") == 1


def test_explain_needs_a_date(small):
    assert segl("explain", "buyers", str(small), "--as-of", "param").exit_code == 2


def test_table_sources_are_read_from_a_duckdb_database(tmp_path):
    database = tmp_path / "shop.duckdb"
    connection = duckdb.connect(str(database))
    connection.execute("CREATE SCHEMA crm")
    connection.execute("CREATE TABLE crm.customers AS SELECT * FROM (VALUES (1, 'Delft'), "
                       "(2, 'Utrecht')) AS t(customer_id, city)")
    connection.close()
    seg = tmp_path / "db.seg"
    seg.write_text('entity customer from table "crm.customers" key customer_id\n'
                   'segment delft = city = "Delft"\n')
    out = tmp_path / "members.csv"
    result = segl("run", str(seg), "--db", str(database), "--as-of", "2026-06-30",
                  "--out", str(out))
    assert result.exit_code == 0, result.stderr
    assert out.read_text() == "customer_id,segment\n1,delft\n"
    missing = segl("run", str(seg), "--as-of", "2026-06-30")
    assert missing.exit_code == 2
    assert "table `crm.customers` cannot be read" in missing.stderr


def test_explain_of_a_segmentation_points_to_run():
    result = segl("explain", "lifecycle", SHOP, "--as-of", "2026-06-30")
    assert result.exit_code == 2
    assert "`lifecycle` is a segmentation: `segl run -s lifecycle`" in result.stderr


def test_ls_lists_every_kind_of_declaration():
    result = segl("ls", SHOP)
    for row in ("segmentation (6 buckets)", "kpi", "persona", "test"):
        assert row in result.output
    assert "lisa" in result.output and "young_urban" in result.output
