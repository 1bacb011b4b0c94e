"""Shared fixtures: the repository root, and tiny projects written to a temp folder."""

from __future__ import annotations

import os
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


# The Spark engine's JVM in the tests runs short queries on a few rows: only the C1 JIT
# compiler and the serial collector (the JVM's defaults, C2 and parallel GC threads, spent
# 40-55% more CPU on the semantics cases, measured with its /proc times). Java flags change
# neither Spark's plans nor its results; a PYSPARK_SUBMIT_ARGS of one's own wins.
os.environ.setdefault(
    "PYSPARK_SUBMIT_ARGS",
    "--driver-java-options '-XX:TieredStopAtLevel=1 -XX:+UseSerialGC' pyspark-shell")

# Tests that start the Spark engine (an `engine`, `target` … parameter "spark"; a `dialect`
# "spark" only compiles) share one xdist group: with `--dist loadgroup` (pyproject's addopts)
# they run in one worker, so the suite starts one JVM, not one per worker (a local session's
# start and its first queries' JIT cost about 30 s of CPU).
SPARK_GROUP = "spark"


@pytest.hookimpl(tryfirst=True)  # (before xdist's hook, which reads the group marks)
def pytest_collection_modifyitems(config, items):
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and any(
                value == "spark" for name, value in callspec.params.items() if name != "dialect"):
            item.add_marker(pytest.mark.xdist_group(SPARK_GROUP))


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
