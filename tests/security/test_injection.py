"""No text from a `.seg` file, a `-p` value, a path or the data's own column names runs as SQL.

Each attack carries a statement that leaves a trace when it runs (a table `pwned` appears,
or the table `victim` disappears). Where it helps, a test first shows that the trace does
appear when the attack's text reaches the database as SQL (so the test can fail), then that
segl's path leaves none and gives the members a plain Python computation expects.
"""

from __future__ import annotations

import csv
import itertools

import duckdb
import pytest
from click.testing import CliRunner
from segl.compiler.api import compile_file, to_sql
from segl.compiler.backends.sql.text import comment_text
from segl.compiler.syntax.names import parse_table_name
from segl.runtime.api import evaluate
from segl.runtime.cli import main
from segl.runtime.engines import available

from tests.conftest import parse_back

AS_OF = "2026-06-30"
CITIES = {1: "Amsterdam", 2: "Utrecht", 3: "Amsterdam", 4: None}
CUSTOMERS = {"customers": [{"customer_id": k, "city": v} for k, v in CITIES.items()]}
# A value that ends a `--` comment line and runs a statement after it, if spliced.
ATTACK = "x\nCREATE TABLE pwned AS SELECT 1 AS a; --"
DROP = "x\n DROP TABLE victim; --"  # the same, destroying instead of creating


def duckdb_has(connection, table: str) -> bool:
    return connection.execute("SELECT count(*) FROM information_schema.tables "
                              "WHERE table_name = ?", [table]).fetchone()[0] > 0


def victim_database(tmp_path) -> str:
    path = str(tmp_path / "victim.duckdb")
    with duckdb.connect(path) as connection:
        connection.execute("CREATE TABLE victim AS SELECT 42 AS answer")
    return path


def victim_alive(path: str) -> bool:
    with duckdb.connect(path, read_only=True) as connection:
        return duckdb_has(connection, "victim") and not duckdb_has(connection, "pwned")


# ---------------------------------------------------------------- parameters


PARAM_SEG = """
param town = "Amsterdam"
entity customer from parquet "data/customers.parquet", table "public.injection_customers"
  key customer_id { customer_id int  city text }
segment here = city = town
"""


def test_the_attack_runs_when_spliced_into_a_comment():
    """The control: the same text, spliced raw into a header line, creates `pwned`."""
    connection = duckdb.connect()
    connection.execute(f"-- params: town={ATTACK}\nSELECT 1")
    assert duckdb_has(connection, "pwned")


@pytest.mark.parametrize("value", [ATTACK, "a */ b", "a\r\nb", "x\u2028y", "tab\there", "\\n"])
def test_a_param_value_stays_on_its_header_line(project, value):
    path = project(PARAM_SEG, CUSTOMERS)
    text = to_sql(compile_file(path, {"town": value}), "duckdb", AS_OF)
    lines = text.splitlines()  # (at every line break Python knows, \u2028 too)
    header = list(itertools.takewhile(lambda line: line.startswith("-- "), lines))
    assert header[1:4] == [f"-- source: {path}", f"-- params: town={comment_text(value)}",
                           "-- dialect: duckdb"]
    assert len(header) == 5 and lines[5].startswith("WITH")
    assert not any("*/" in line for line in header)


@pytest.mark.parametrize("attack", [ATTACK, DROP])
def test_a_param_value_never_runs_on_duckdb(project, tmp_path, attack):
    path = project(PARAM_SEG, CUSTOMERS)
    text = to_sql(compile_file(path, {"town": attack}), "duckdb", AS_OF)
    connection = duckdb.connect()
    connection.execute("CREATE TABLE victim AS SELECT 42 AS answer")
    assert connection.execute(text).fetchall() == [(k, False) for k in CITIES]
    assert duckdb_has(connection, "victim") and not duckdb_has(connection, "pwned")
    database = victim_database(tmp_path)
    evaluation = evaluate(path, AS_OF, params={"town": attack}, database=database)
    assert evaluation.sizes == {"here": 0}
    evaluation.connection.close()
    assert victim_alive(database)
    assert len(parse_back(text, "duckdb")) == 1  # one statement, not two


@pytest.mark.skipif(not available("postgres"), reason="needs the postgres extra")
def test_a_param_value_never_runs_on_postgres(project, postgres_url):
    import psycopg

    path = project(PARAM_SEG, CUSTOMERS)
    text = to_sql(compile_file(path, {"town": ATTACK}), "postgres", AS_OF)
    dropping = to_sql(compile_file(path, {"town": DROP}), "postgres", AS_OF)
    with psycopg.connect(postgres_url, autocommit=True) as pg:
        pg.execute("DROP TABLE IF EXISTS public.injection_customers, pwned")
        pg.execute("CREATE TABLE IF NOT EXISTS victim AS SELECT 42 AS answer")
        pg.execute("CREATE TABLE public.injection_customers (customer_id int, city text)")
        for key, city in CITIES.items():
            pg.execute("INSERT INTO public.injection_customers VALUES (%s, %s)", [key, city])
        pg.execute(dropping)
        assert pg.execute("SELECT to_regclass('victim')").fetchone() == ("victim",)
        # psycopg runs several statements in one call: the trace would appear
        assert pg.execute(text).fetchall() == [(k, False) for k in CITIES]
        assert pg.execute("SELECT to_regclass('pwned')").fetchone() == (None,)
        evaluation = evaluate(path, AS_OF, params={"town": ATTACK}, engine="postgres",
                              engine_options={"url": postgres_url})
        assert evaluation.sizes == {"here": 0}
        assert pg.execute("SELECT to_regclass('pwned')").fetchone() == (None,)
        pg.execute(f"-- params: town={ATTACK}\nSELECT 1")  # the control
        assert pg.execute("SELECT to_regclass('pwned')").fetchone() == ("pwned",)
        pg.execute("DROP TABLE pwned, public.injection_customers")


# ---------------------------------------------------------------- locations


@pytest.mark.parametrize("target", [
    "victim; DROP TABLE victim", "x; DROP TABLE victim", "victim; --",
    "read_parquet('x.parquet')", "(SELECT 1)", "a.b.c.d", "a..b", "a b", "", ".a", "a.",
    "`a", "a.`b`c", "``", "a.` `", "a -- b",
])
def test_a_table_location_that_is_no_table_name_is_an_error(project, tmp_path, target):
    escaped = target.replace("\\", "\\\\").replace('"', '\\"')
    path = project(f'entity customer from table "{escaped}" key customer_id\n'
                   "segment all_of_them = customer_id > 0\n")
    database = victim_database(tmp_path)
    result = CliRunner().invoke(main, ["check", str(path), "--db", database])
    assert result.exit_code == 1
    assert f"{path}:1:22: error[E107]: " in result.output
    assert "not a table name" in result.output
    assert "     |                      ^^^^^" in result.output  # the caret under the location
    assert "hint: write a table as [catalog.]schema.table" in result.output
    assert victim_alive(database)


@pytest.mark.parametrize("target,parts", [
    ("customers", ("customers",)),
    ("crm.customers", ("crm", "customers")),
    ("crm.`web orders`", ("crm", "web orders")),
    ("`my db`.crm.`it's; DROP`", ("my db", "crm", "it's; DROP")),
    ("Crm.Customers", ("Crm", "Customers")),
])
def test_a_table_location_is_read_as_name_parts(target, parts):
    assert parse_table_name(target) == parts


def test_a_quoted_table_location_runs(project, tmp_path):
    database = str(tmp_path / "warehouse.duckdb")
    with duckdb.connect(database) as connection:
        connection.execute("CREATE SCHEMA crm")
        connection.execute('CREATE TABLE crm."web orders" AS SELECT * FROM (VALUES '
                           "(1, 'Amsterdam'), (2, 'Utrecht')) AS t(customer_id, city)")
    path = project('entity customer from table "crm.`web orders`" key customer_id\n'
                   'segment here = city = "Amsterdam"\n')
    evaluation = evaluate(path, AS_OF, database=database)
    assert evaluation.sizes == {"here": 1} and evaluation.entities == 2


def test_a_nul_byte_in_a_path_is_an_error_at_the_location(project, tmp_path):
    path = tmp_path / "nul.seg"
    path.write_bytes(b'entity customer from parquet "data/a\x00b.parquet" key customer_id\n'
                     b"segment all_of_them = customer_id > 0\n")
    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code == 1
    # E005 (issue 9 item 3: a NUL anywhere in a file is refused when it is read), at the NUL
    assert f"{path}:1:37: error[E005]: a location path holds a NUL byte" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


# ---------------------------------------------------------------- names in outputs


OUTPUT_NAMES = ["it's", "x' AS segment, 1 AS _order FROM segl_members; DROP TABLE victim; --",
                'say "hi"', "back\\slash", "50% _off", "Zoë 🚀"]


def test_segment_names_reach_the_long_output_as_values(project, tmp_path):
    segments = "".join(f"segment `{name}` = customer_id > {index}\n"
                       for index, name in enumerate(OUTPUT_NAMES))
    path = project(f'entity customer from parquet "data/customers.parquet" key customer_id\n'
                   f"{segments}", CUSTOMERS)
    database = victim_database(tmp_path)
    out = tmp_path / "members.csv"
    result = CliRunner().invoke(main, ["run", str(path), "--as-of", AS_OF, "--db", database,
                                       "--out", str(out), "--shape", "long"])
    assert result.exit_code == 0, result.output
    with open(out, newline="", encoding="utf-8") as stream:
        rows = {(int(row["customer_id"]), row["segment"]) for row in csv.DictReader(stream)}
    expected = {(key, name) for index, name in enumerate(OUTPUT_NAMES)
                for key in CITIES if key > index}
    assert rows == expected
    assert victim_alive(database)


# ---------------------------------------------------------------- the data's column names


COLUMN = 'q"); DROP TABLE victim; --'


@pytest.mark.parametrize("engine", [e for e in ("duckdb", "sqlite", "postgres", "polars")
                                    if available(e)])
def test_data_column_names_reach_engines_as_identifiers(project, engine, request):
    rows = [{"customer_id": k, COLUMN: "yes" if k % 2 else "no", "it's": k} for k in CITIES]
    path = project(f'entity customer from parquet "data/customers.parquet" key customer_id\n'
                   f'segment odd_and_big = `{COLUMN}` = "yes" and `it\'s` > 1\n',
                   {"customers": rows})
    options = {}
    if engine == "postgres":
        import psycopg

        url = request.getfixturevalue("postgres_url")
        options = {"url": url}
        with psycopg.connect(url, autocommit=True) as pg:
            pg.execute("CREATE TABLE IF NOT EXISTS victim AS SELECT 42 AS answer")
    evaluation = evaluate(path, AS_OF, engine=engine, engine_options=options)
    members = {row[0] for row in evaluation.connection.execute(
        f"SELECT customer_id FROM {evaluation.table} WHERE odd_and_big").fetchall()}
    assert members == {k for k in CITIES if k % 2 and k > 1}
    if engine == "postgres":
        with psycopg.connect(options["url"], autocommit=True) as pg:
            assert pg.execute("SELECT to_regclass('victim')").fetchone() == ("victim",)


def test_a_key_named_like_the_long_outputs_own_columns(project, tmp_path):
    """The long output works in columns whose names hold a backquote, which no name holds:
    a key called `_order` does not collide with them. A key called `segment`, the long
    output's own column, is refused with a way out (it was written as a second column that
    DuckDB renamed `segment_1`)."""
    clash = project('entity customer from parquet "data/customers.parquet" key segment\n'
                    "segment big = true\n",
                    {"customers": [{"segment": k} for k in (1, 2, 3)]})
    refused = CliRunner().invoke(main, ["run", str(clash), "--as-of", AS_OF,
                                        "--out", str(tmp_path / "clash.csv")])
    assert refused.exit_code == 2 and "--shape wide" in refused.output
    assert not (tmp_path / "clash.csv").exists()
    rows = [{"_order": k} for k in (1, 2, 3)]
    path = project('entity customer from parquet "data/customers.parquet" key _order\n'
                   "segment big = _order > 1\n", {"customers": rows})
    out = tmp_path / "members.csv"
    result = CliRunner().invoke(main, ["run", str(path), "--as-of", AS_OF, "--out", str(out)])
    assert result.exit_code == 0, result.output
    with open(out, newline="", encoding="utf-8") as stream:
        assert list(csv.reader(stream))[1:] == [["2", "big"], ["3", "big"]]
