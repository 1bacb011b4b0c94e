"""How `segl export` runs on DuckDB (docs/activation.md): straight from the compiled query,
nothing materialised first; the entity key checked in the counting pass; another engine's
members (loaded into DuckDB) give the same bytes."""

from __future__ import annotations

import polars as pl
import pytest
from click.testing import CliRunner
from segl.runtime import exports as exports_module
from segl.runtime import sql
from segl.runtime.cli import main

from .test_exports import AS_OF, expected


def test_duckdb_writes_straight_from_the_query_without_a_members_table(shop, monkeypatch):
    path, rows, optout = shop

    def refused(*args, **kwargs):
        raise AssertionError("an export on DuckDB materialises no members table")

    monkeypatch.setattr(sql, "create_table_as", refused)
    results = {r.name: r for r in exports_module.run_exports(str(path), ["newsletter", "files"],
                                                             AS_OF)}
    consenting = expected(rows, optout)
    assert results["newsletter"].exported == len(consenting)
    written = pl.read_parquet(path.parent / "out" / "files.parquet")
    assert written["customer_id"].to_list() == consenting
    assert written.columns == ["customer_id", "city", "spend_total"]


def test_a_duplicate_key_fails_before_anything_is_written(project):
    rows = [{"customer_id": i % 40, "city": "Amsterdam", "email": f"p{i}@x.nl",
             "first_name": "N", "opt_in": True, "spend": 1.5} for i in range(50)]
    from .test_exports import EXPORTS, HEAD

    path = project(HEAD + EXPORTS, {"customers": rows, "optout": [{"customer_id": -1}]})
    result = CliRunner().invoke(main, ["export", "files", str(path), "--as-of", AS_OF])
    assert result.exit_code == 2, result.output
    assert "`customer_id` has 10 duplicate value(s)" in result.output
    assert not (path.parent / "out" / "files.parquet").exists()


@pytest.fixture
def valued_shop(project):
    """The shop with a spend per customer (an all-missing column has no type to load)."""
    from .test_exports import EXPORTS, HEAD

    rows = [{"customer_id": i, "city": ["Amsterdam", "Utrecht"][i % 2],
             "email": f"person{i}@example.nl", "first_name": f"N{i}",
             "opt_in": [True, False, None][i % 3], "spend": i * 1.25} for i in range(1, 801)]
    return project(HEAD + EXPORTS, {"customers": rows, "optout": [{"customer_id": 7}]})


@pytest.mark.parametrize("engine", ["polars", "sqlite"])
def test_another_engine_writes_the_same_bytes(valued_shop, engine):
    path = valued_shop
    out = path.parent / "out"
    exports_module.run_exports(str(path), ["newsletter", "lines"], AS_OF)
    on_duckdb = {name: (out / name).read_bytes() for name in ("newsletter.csv", "lines.jsonl")}
    for name in on_duckdb:
        (out / name).unlink()
    results = exports_module.run_exports(str(path), ["newsletter", "lines"], AS_OF,
                                         engine=engine)
    assert {name: (out / name).read_bytes() for name in on_duckdb} == on_duckdb
    assert results[0].exported == on_duckdb["newsletter.csv"].count(b"\n") - 1
