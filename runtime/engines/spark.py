"""Run a plan on Apache Spark through pyspark: a local session by default (`local[2]`), or
any Spark master given as `master=` (`spark://host:7077`, `yarn`, …).

Spark reads Parquet itself (parquet.`/path`): sources declared as Parquet are read where they
are; any other source (CSV, a DuckDB table) is first written to a Parquet file by DuckDB,
with the types DuckDB reads it with. The session runs in UTC. On a cluster the paths must be
readable by every executor (a shared file system or object store).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import warnings
from datetime import date
from pathlib import Path

import polars as pl
from segl.compiler.api import Compilation, Plan

from .. import sql
from ..errors import UsageError
from .loading import (
    duckdb_connection,
    duckdb_output_types,
    engine_query,
    members_frame,
    parquet_sources,
    read_sources,
    result_order,
)

DIALECT = "spark"
# Spark settings segl relies on: timestamps without a zone read and compare in UTC.
CONFIG = {
    "spark.sql.session.timeZone": "UTC",
    "spark.ui.enabled": "false",
    "spark.sql.shuffle.partitions": "2",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.memory": "1g",
}

_sessions: dict[str, object] = {}
_lock = threading.Lock()


def session(master: str | None = None):
    """This process's Spark session, created on first use."""
    from pyspark.sql import SparkSession

    master = master or os.environ.get("SEGL_SPARK_MASTER") or "local[2]"
    with _lock:
        if master not in _sessions:
            builder = SparkSession.builder.master(master).appName("segl")
            for name, value in CONFIG.items():
                builder = builder.config(name, value)
            with warnings.catch_warnings():
                # (pyspark warns about pandas versions; segl does not use pandas)
                warnings.simplefilter("ignore", FutureWarning)
                try:
                    spark = builder.getOrCreate()
                except Exception as exc:  # pyspark raises several kinds when Java is missing
                    if shutil.which("java") or os.environ.get("JAVA_HOME"):
                        raise
                    raise UsageError("the spark engine needs Java 17 or later: install it or "
                                     "set JAVA_HOME") from exc
            spark.sparkContext.setLogLevel("ERROR")
            _sessions[master] = spark
        return _sessions[master]


def run_members(compilation: Compilation, plan: Plan, as_of: date,
                **options: object) -> pl.DataFrame:
    """Options: `master` (a Spark master URL; default local[2]), `connection` / `database`
    (DuckDB, reads sources that are not Parquet)."""
    reader = duckdb_connection(options)
    kpis = bool(options.get("kpis"))  # the KPI query instead of the members
    sources = read_sources(plan, reader, DIALECT)
    spark = session(options.get("master"))  # type: ignore[arg-type]
    with tempfile.TemporaryDirectory(prefix="segl-spark-") as folder:
        overrides = parquet_sources(reader, sources, Path(folder))
        query = engine_query(plan, DIALECT, as_of, overrides, kpis=kpis)
        rows = sql.spark_sql(spark, query).collect()
    return members_frame(rows, duckdb_output_types(plan, as_of, reader, kpis),
                         result_order(plan, kpis, as_of))

