"""Shared fixtures: the repository root, and tiny projects written to a temp folder."""

from __future__ import annotations

import os
import re
import textwrap
from pathlib import Path

import polars as pl
import pytest
import sqlglot
from sqlglot import exp

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").rglob("*.seg"))
# The file of each example that holds its segments (the others are imported by it).
EXAMPLE_ENTRIES = [ROOT / "examples/shop/shop.seg", ROOT / "examples/b2b/accounts.seg"]


# `segl check` keeps what it learns from the data in the user's cache folder
# (runtime/data_facts.py): off for the suite, so that no test sees facts another test, or
# an earlier run, kept; tests/runtime/test_data_facts.py turns it on where it tests it.
os.environ["SEGL_NO_DATA_CACHE"] = "1"

# The Spark engine's JVM in the tests runs short queries on a few rows: only the C1 JIT
# compiler and the serial collector (the JVM's defaults, C2 and parallel GC threads, spent
# 40-55% more CPU on the semantics cases, measured with its /proc times). Java flags change
# neither Spark's plans nor its results; a PYSPARK_SUBMIT_ARGS of one's own wins.
os.environ.setdefault(
    "PYSPARK_SUBMIT_ARGS",
    "--driver-java-options '-XX:TieredStopAtLevel=1 -XX:+UseSerialGC' pyspark-shell")

# Tests that start the Spark engine run in one pytest-xdist worker, so the suite starts one
# JVM, not one per worker (a local session's start and first queries cost 13-30 s of CPU). A
# test is Spark's when one of its parameter ids is `spark` (`[spark]`, `[spark-shop]`,
# `[spark-test_x[0]]`, `[spark-True]`…: 71 tests; the few `dialect` ones only compile, and do
# no harm in that worker).
# (xdist's own `--dist loadgroup` cannot do it here: with pytest 9.2 its xdist_group suffix
# on node ids is lost, pytest-dev/pytest-xdist#1386, so the marks group nothing.)
SPARK_ID = re.compile(r"\[(?:.*-)?spark(?:-.*)?\]$")
SPARK_GROUP = "spark"
# Modules whose tests share an expensive module-scoped fixture (an evaluation of the shop at
# several dates, a report, a notebook run in a kernel): each is one unit too, so the fixture
# is built in one worker, not in both (as single-test units, their tests went to either
# worker and each worker built it: 2-9 s each, ~20 s of CPU a run under load). Their Spark
# tests stay in the Spark unit. tests/test_scheduling.py checks that each still exists.
SHARED_SETUP_MODULES = frozenset({
    "tests/time/test_report_time.py",
    "tests/time/test_multi_date.py",
    "tests/time/test_kpi_trend.py",
    "tests/notebook/test_example_notebook.py",
    "tests/report/test_report.py",
})


def scheduling_unit(nodeid: str) -> str:
    """The xdist work unit of a test: the Spark unit, its module's, or its own."""
    if SPARK_ID.search(nodeid):
        return SPARK_GROUP
    module = nodeid.split("::", 1)[0]
    return module if module in SHARED_SETUP_MODULES else nodeid


@pytest.hookimpl(tryfirst=True, optionalhook=True)  # (before xdist's own; optional: -p no:xdist)
def pytest_xdist_make_scheduler(config, log):
    """`-n N` (xdist's `load`): every other test is a unit of its own, as with `load`, but
    for the SHARED_SETUP_MODULES (a unit each); the Spark tests are one unit, the largest,
    so it is handed out first."""
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class SparkInOneWorker(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return scheduling_unit(nodeid)

    return SparkInOneWorker(config, log)


def parse_back(sql: str, dialect: str) -> list[exp.Expression]:
    """Parse generated SQL in its own dialect (segl itself never parses SQL text)."""
    return [e for e in sqlglot.parse(sql, read=dialect) if e is not None]


@pytest.fixture
def project(tmp_path):
    """Write a .seg file and Parquet tables; returns the .seg path.

    tables: {"customers": [{"customer_id": 1, ...}, ...]} -> data/customers.parquet
    schema: optional polars schema per table, for columns that are all null."""

    def write(seg: str, tables: dict[str, list[dict]] | None = None,
              schema: dict[str, dict] | None = None, name: str = "test.seg") -> Path:
        data = tmp_path / "data"
        data.mkdir(exist_ok=True)
        for table, rows in (tables or {}).items():
            frame = pl.DataFrame(rows, schema=(schema or {}).get(table), orient="row"
                                 if rows and not isinstance(rows[0], dict) else None)
            frame.write_parquet(data / f"{table}.parquet")
        path = tmp_path / name
        path.write_text(textwrap.dedent(seg).lstrip(), encoding="utf-8")
        return path

    return write
