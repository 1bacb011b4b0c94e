"""How `segl export` runs on DuckDB (docs/activation.md): straight from the compiled query,
nothing materialised first; the entity key checked in the counting pass; another engine's
members (loaded into DuckDB) give the same bytes."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest
from click.testing import CliRunner
from segl.runtime import exports as exports_module
from segl.runtime import sql
from segl.runtime.cli import main
from segl.runtime.errors import DataError

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


def test_mode_merge_on_duckdb_updates_in_place_and_rolls_back_a_failure(valued_shop,
                                                                         monkeypatch):
    path = valued_shop
    path.write_text(path.read_text().replace('  to table "crm.amsterdam"',
                                             '  mode merge\n  to table "crm.amsterdam"'))
    database = str(path.parent / "w.duckdb")

    def table() -> list[tuple]:
        with duckdb.connect(database) as connection:
            return connection.execute("SELECT * FROM crm.amsterdam ORDER BY 1").fetchall()

    (first,) = exports_module.run_exports(str(path), ["crm"], AS_OF, database=database)
    before = table()
    assert len(before) == first.exported
    rows = pl.read_parquet(path.parent / "data" / "customers.parquet")
    rows.with_columns(spend=pl.col("spend") * 2, city=pl.when(pl.col("customer_id") % 10 == 0)
                      .then(pl.lit("Utrecht")).otherwise(pl.col("city"))).write_parquet(
        path.parent / "data" / "customers.parquet")
    real = sql.execute

    def failing(connection, statement, *args, **kwargs):
        if type(statement).__name__ == "Insert":  # after the delete and the update
            raise duckdb.IOException("disk full")
        return real(connection, statement, *args, **kwargs)

    monkeypatch.setattr(sql, "execute", failing)
    with pytest.raises(DataError, match=r"left as it was\): disk full"):
        exports_module.run_exports(str(path), ["crm"], AS_OF, database=database)
    monkeypatch.undo()
    assert table() == before
    (second,) = exports_module.run_exports(str(path), ["crm"], AS_OF, database=database)
    after = table()
    assert len(after) == second.exported < first.exported
    assert {k: float(s) for k, _, s in after} == \
        {k: 2 * float(s) for k, _, s in before if k % 10 != 0}
