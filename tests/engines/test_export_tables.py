"""`to table "schema.name"` on PostgreSQL, SQLite, Spark and ClickHouse (docs/activation.md):
the table holds exactly the members kept (against a plain-Python computation), is replaced on
a re-run, and is left as it was when the write fails half-way (a failure injected into the
rows: in segl's batches, in Spark's table write, inside ClickHouse's own query). `mode merge`
updates the table in place on PostgreSQL and SQLite and swaps it on Spark and ClickHouse."""

from __future__ import annotations

import hashlib
import sqlite3
from decimal import Decimal

import pytest
from segl.runtime import export_clickhouse, export_tables
from segl.runtime.errors import DataError, UsageError
from segl.runtime.exports import run_exports
from sqlglot import exp

from .conftest import engine_params


def _table(schema: str | None, table: str) -> exp.Table:
    return exp.Table(this=exp.to_identifier(table),
                     db=exp.to_identifier(schema) if schema else None)


def _select_all(schema: str | None, table: str, dialect: str) -> str:
    """`SELECT * FROM schema.table`, built as a tree (the names quoted as needed)."""
    return exp.select(exp.Star()).from_(_table(schema, table)).sql(dialect)


def _drop_schema(schema: str, dialect: str) -> str:
    """`DROP SCHEMA IF EXISTS schema CASCADE`, built as a tree (the name quoted as needed)."""
    return exp.Drop(tables=[exp.Table(db=exp.to_identifier(schema))], kind="SCHEMA",
                    exists=True, cascade=True).sql(dialect)

SEG = """
entity customer from parquet "data/customers.parquet" key customer_id {
  customer_id int
  city text
  email text pii
  opt_in bool consent
  spend decimal
}
segment amsterdam = city = "Amsterdam"
holdout 5% salt "global-2026"
suppression from parquet "data/optout.parquet" key customer_id
export crm from amsterdam {
  traits (city, spend, email)
  require consent opt_in
  purpose "CRM flags"
  to table "crm_SCHEMA.amsterdam"
}
"""
AS_OF = "2026-06-30"
WAREHOUSES = ["postgres", "sqlite", "spark", "clickhouse"]


def slot(salt: str, key: object) -> int:
    return int(hashlib.md5(f"{salt}:{key}".encode()).hexdigest()[:8], 16) % 10_000


def shop(project, schema: str, count: int, cents: int = 125):
    rows = [{"customer_id": i, "city": ["Amsterdam", "Utrecht", "Amsterdam"][i % 3],
             "email": f"p{i}@example.nl", "opt_in": [True, None, True, False][i % 4],
             "spend": Decimal(i * cents) / 100} for i in range(1, count + 1)]
    optout = [{"customer_id": i} for i in range(1, count + 1, 13)]
    path = project(SEG.replace("SCHEMA", schema), {"customers": rows, "optout": optout})
    kept = sorted((r["customer_id"], r["city"], float(r["spend"]), r["email"]) for r in rows
                  if r["city"] == "Amsterdam" and slot("global-2026", r["customer_id"]) >= 500
                  and r["customer_id"] % 13 != 1 and r["opt_in"] is True)
    return path, kept


class Warehouse:
    """Reads the table back on one engine, independently of segl's writer."""

    def __init__(self, engine: str, tmp_path, request) -> None:
        self.engine = engine
        self.schema = f"crm_{request.node.name.split('[')[0][-12:].lower()}_{engine}"
        if engine == "postgres":
            self.options = {"url": request.getfixturevalue("postgres_url")}
        elif engine == "sqlite":
            self.options = {"sqlite_path": str(tmp_path / "warehouse.sqlite")}
        elif engine == "clickhouse":
            self.options = {"chdb_path": str(tmp_path / "chdb")}
        else:
            from segl.runtime.engines.spark import session

            self.options = {}
            self.spark = session()
            # (the schema's files in the test's folder, not in the working directory)
            self.spark.sql(_drop_schema(self.schema, "spark"))
            self.spark.sql(exp.Create(
                this=exp.Table(db=exp.to_identifier(self.schema)), kind="SCHEMA",
                properties=exp.Properties(expressions=[exp.LocationProperty(
                    this=exp.Literal.string(str(tmp_path / "spark")))])).sql("spark"))

    def rows(self) -> list[tuple] | None:
        """The table's rows sorted, or None when there is no table."""
        found = self.raw("amsterdam")
        if found is None:
            return None
        return sorted((k, c, float(s), e) for k, c, s, e in found)

    def raw(self, table: str) -> list[tuple] | None:
        """The rows of the schema's `table` as the warehouse gives them (None: no table)."""
        name = f"{self.schema}.{table}"  # (a bound parameter and Spark's catalogue: not SQL)
        if self.engine == "postgres":
            import psycopg

            with psycopg.connect(self.options["url"]) as connection:
                exists = connection.execute("SELECT to_regclass(%s)", [name]).fetchone()[0]
                if exists is None:
                    return None
                return connection.execute(_select_all(self.schema, table, "postgres")).fetchall()
        elif self.engine == "sqlite":
            with sqlite3.connect(self.options["sqlite_path"]) as connection:
                if not connection.execute("SELECT name FROM sqlite_master WHERE name = ?",
                                          [table]).fetchall():
                    return None
                return connection.execute(_select_all(None, table, "sqlite")).fetchall()
        elif self.engine == "clickhouse":
            import io

            import polars as pl
            from segl.runtime.engines.clickhouse import session

            chdb = session(self.options["chdb_path"])
            tables = exp.select(exp.Count(this=exp.Star())).from_(_table("system", "tables")).where(
                exp.and_(exp.EQ(this=exp.column("database"),
                                expression=exp.Literal.string(self.schema)),
                         exp.EQ(this=exp.column("name"), expression=exp.Literal.string(table))))
            if str(chdb.query(tables.sql("clickhouse"), "CSV")).strip() != "1":
                return None
            found = chdb.query(_select_all(self.schema, table, "clickhouse"), "ArrowStream")
            return pl.read_ipc_stream(io.BytesIO(found.bytes())).rows()
        if not self.spark.catalog.tableExists(name):
            return None
        rows = self.spark.sql(_select_all(self.schema, table, "spark")).collect()
        return [tuple(r) for r in rows]

    def close(self) -> None:
        if self.engine == "clickhouse":  # (the process's chdb session back in memory)
            from segl.runtime.engines.clickhouse import session

            session(":memory:")
        elif self.engine == "spark":
            self.spark.sql(_drop_schema(self.schema, "spark"))
        elif self.engine == "postgres":
            import psycopg

            with psycopg.connect(self.options["url"], autocommit=True) as connection:
                connection.execute(_drop_schema(self.schema, "postgres"))


@pytest.fixture
def warehouse(request, tmp_path):
    found = Warehouse(request.getfixturevalue("engine"), tmp_path, request)
    yield found
    found.close()


@pytest.mark.parametrize("engine", engine_params(WAREHOUSES))
def test_the_table_holds_exactly_the_members_kept_and_is_replaced(project, engine, warehouse):
    path, kept = shop(project, warehouse.schema.removeprefix("crm_"), 400)
    assert warehouse.rows() is None
    (result,) = run_exports(str(path), None, AS_OF, engine=engine,
                            engine_options=warehouse.options)
    assert result.exported == len(kept)
    assert warehouse.rows() == kept
    # a re-run replaces the table (not appended to it), also with other rows
    path, fewer = shop(project, warehouse.schema.removeprefix("crm_"), 200)
    run_exports(str(path), None, AS_OF, engine=engine, engine_options=warehouse.options)
    assert warehouse.rows() == fewer != kept


@pytest.mark.parametrize("engine", engine_params(WAREHOUSES))
def test_a_failed_write_leaves_the_table_as_it_was(project, engine, warehouse, monkeypatch):
    path, kept = shop(project, warehouse.schema.removeprefix("crm_"), 400)
    run_exports(str(path), None, AS_OF, engine=engine, engine_options=warehouse.options)
    path, _ = shop(project, warehouse.schema.removeprefix("crm_"), 200)

    if engine == "spark":  # the rows reach Spark as a file: its table write fails
        real = export_tables.sql.spark_sql

        def failing(session, statement):
            if statement.args.get("expression") is not None:
                raise OSError("disk full")
            return real(session, statement)

        monkeypatch.setattr(export_tables.sql, "spark_sql", failing)
    elif engine == "clickhouse":  # ClickHouse's query fails after some rows
        real_rows = export_clickhouse.rows_from

        def failing(path):
            return real_rows(path).where(exp.EQ(this=exp.func(
                "throwIf", exp.GT(this=exp.column("customer_id"),
                                  expression=exp.Literal.number(150))),
                expression=exp.Literal.number(0)))

        monkeypatch.setattr(export_clickhouse, "rows_from", failing)
    else:  # some rows sent, then the connection breaks
        def failing(cursor):
            yield cursor.fetchmany(10)
            raise OSError("connection lost")

        monkeypatch.setattr(export_tables, "batches", failing)
    with pytest.raises(DataError if engine == "clickhouse" else OSError):
        run_exports(str(path), None, AS_OF, engine=engine, engine_options=warehouse.options)
    monkeypatch.undo()
    assert warehouse.rows() == kept
    if engine == "spark":
        assert not warehouse.spark.catalog.tableExists(
            f"{warehouse.schema}.amsterdam{export_tables.STAGING}")


@pytest.mark.parametrize(("engine", "options", "message"), [
    ("sqlite", {}, "--target FILE"),
    ("clickhouse", {}, "--target DIR"),
])
def test_a_table_target_an_engine_cannot_hold_is_refused_first(project, engine, options,
                                                               message):
    path, _ = shop(project, "x", 20)
    with pytest.raises(UsageError, match=message):
        run_exports(str(path), None, AS_OF, engine=engine, engine_options=options)


MERGE_WAREHOUSES = ["postgres", "sqlite", "spark", "clickhouse"]


@pytest.mark.parametrize("engine", engine_params(MERGE_WAREHOUSES))
def test_mode_merge_updates_the_table_in_place(project, engine, warehouse):
    schema = warehouse.schema.removeprefix("crm_")
    merged = SEG.replace('  to table "crm_SCHEMA', '  mode merge\n  to table "crm_SCHEMA')
    path, kept = shop(project, schema, 400)
    path.write_text(merged.replace("SCHEMA", schema))
    run_exports(str(path), None, AS_OF, engine=engine, engine_options=warehouse.options)
    assert warehouse.rows() == kept  # created when missing
    if engine == "postgres":  # a view on the table: a replace would have to drop it
        import psycopg

        with psycopg.connect(warehouse.options["url"], autocommit=True) as connection:
            connection.execute(exp.Create(
                this=_table(warehouse.schema, "watch"), kind="VIEW",
                expression=exp.select("customer_id").from_(
                    _table(warehouse.schema, "amsterdam"))).sql("postgres"))
    path, fewer = shop(project, schema, 200, cents=150)
    path.write_text(merged.replace("SCHEMA", schema))
    # the spend of the members kept in both changes: updated; the others deleted or added
    run_exports(str(path), None, AS_OF, engine=engine, engine_options=warehouse.options)
    assert warehouse.rows() == fewer
    assert {k: s for k, _, s, _ in fewer} != {k: s for k, _, s, _ in kept if k <= 200}
    if engine == "postgres":
        with psycopg.connect(warehouse.options["url"]) as connection:
            watched = connection.execute(exp.select(exp.Count(this=exp.Star())).from_(
                _table(warehouse.schema, "watch")).sql("postgres")).fetchone()[0]
        assert watched == len(fewer)


def test_mode_merge_is_refused_for_files(project):
    path, _ = shop(project, "x", 20)
    path.write_text(path.read_text().replace('  to table "crm_x.amsterdam"',
                                             '  mode merge\n  to csv "x.csv"'))
    with pytest.raises(Exception, match="E113"):
        run_exports(str(path), None, AS_OF)
