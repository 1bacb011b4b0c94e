"""ClickHouse table targets of `segl export` (`to table "database.name"` with `--engine
clickhouse --target DIR`, docs/activation.md), written through chdb in this process.

The table lives in the chdb database folder DIR (created when missing; ClickHouse's own files,
which `clickhouse local --path DIR` or a later `segl export` reads). The rows are written by
DuckDB to a Parquet file, then `CREATE OR REPLACE TABLE database.name ENGINE = MergeTree
ORDER BY tuple() AS SELECT * FROM file(…, Parquet)`: ClickHouse builds the new table under a
temporary name and exchanges it with the old one atomically only once it is complete (an
Atomic database, the default for `CREATE DATABASE`), so a failed write leaves the table as it
was. `mode merge` is written the same way (ClickHouse has no transactional MERGE): the table
then holds what the merge would leave, but it is a new table (see docs/activation.md).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from sqlglot import exp

from . import sql
from .errors import DataError

DEFAULT_DATABASE = "default"


def rows_from(path: str) -> exp.Select:
    """The rows to write: everything in the Parquet file at `path`."""
    return sql.select(exp.Star(), source=exp.Table(this=exp.Anonymous(
        this="file", expressions=[sql.text(path), exp.var("Parquet")])))


def write(connection, table: tuple[str, ...], rows: exp.Select, engine_options: dict) -> None:
    """Create or replace `table` (database.name; a name alone: the default database) with
    `rows` (a query on the DuckDB `connection`), atomically."""
    from .engines.clickhouse import session

    *schema, name = table
    database = schema[-1] if schema else DEFAULT_DATABASE
    chdb = session(str(engine_options["chdb_path"]))
    with tempfile.TemporaryDirectory(prefix="segl-export-") as folder:
        path = str(Path(folder) / "rows.parquet")
        sql.execute(connection, sql.copy_to(rows, path, {"FORMAT": "parquet"}))
        try:
            sql.chdb_query(chdb, exp.Create(this=sql.table_ref(database), kind="DATABASE",
                                            exists=True), "CSV")
            sql.chdb_query(chdb, exp.Create(
                this=sql.table_ref(database, name), kind="TABLE", replace=True,
                properties=exp.Properties(expressions=[
                    exp.EngineProperty(this=exp.var("MergeTree")),
                    exp.Order(expressions=[exp.Ordered(this=exp.func("tuple"))])]),
                expression=rows_from(path)), "CSV")
        except RuntimeError as exc:  # (chdb's error for a failed statement)
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else "failed"
            raise DataError([f"cannot write table `{database}.{name}` on ClickHouse (left "
                             f"as it was): {reason}"]) from None
