"""Shared fixtures: the repository root, and tiny projects written to a temp folder."""

from __future__ import annotations

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
