"""Every example evaluated on DuckDB and on Polars: the same members table, value for value
and type for type (members per segment, buckets, scores and KPI components), at two as_of
dates; and `segl run --engine polars` writes the same file as `segl run`."""

from datetime import date

import polars as pl
import pytest
from click.testing import CliRunner
from segl.runtime.api import evaluate
from segl.runtime.cli import main

from tests.conftest import EXAMPLES, ROOT

AS_OFS = [date(2026, 6, 30), date(2025, 12, 31)]


def members_table(evaluation) -> tuple[list, list]:
    connection = evaluation.connection
    columns = connection.execute(f"DESCRIBE {evaluation.table}").fetchall()
    rows = connection.execute(f"SELECT * FROM {evaluation.table} ORDER BY 1").fetchall()
    return [(name, kind) for name, kind, *_ in columns], rows


@pytest.mark.parametrize("as_of", AS_OFS, ids=str)
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_example_members_are_the_same_on_polars(path, as_of):
    on_duckdb = evaluate(path, as_of=as_of, kpis=True)
    on_polars = evaluate(path, as_of=as_of, kpis=True, engine="polars")
    duck_columns, duck_rows = members_table(on_duckdb)
    polars_columns, polars_rows = members_table(on_polars)
    assert polars_columns == duck_columns
    assert len(polars_rows) == on_duckdb.entities
    assert on_polars.sizes == on_duckdb.sizes
    assert on_polars.buckets == on_duckdb.buckets
    for index, (name, _) in enumerate(duck_columns):
        differ = [(d[0], d[index], p[index]) for d, p in zip(duck_rows, polars_rows, strict=True)
                  if d[index] != p[index]]
        assert not differ, f"{name}: {len(differ)} entities differ, e.g. {differ[:3]}"


def test_the_examples_exercise_segments_buckets_and_scores():
    # so that the comparison above compares something
    evaluation = evaluate(ROOT / "examples/shop/shop.seg", as_of=AS_OFS[0], engine="polars")
    assert len(evaluation.segments) >= 30
    assert evaluation.segmentations == ["lifecycle", "rfm", "spend_deciles"]
    assert evaluation.scores == ["rfm__r", "rfm__f", "rfm__m", "spend_deciles__tier"]
    assert all(size > 0 for size in evaluation.sizes.values())


@pytest.mark.parametrize("shape", ["wide", "long"])
def test_segl_run_engine_polars_writes_the_same_file(tmp_path, shape):
    shop = str(ROOT / "examples/shop/shop.seg")
    written = {}
    for engine in ("duckdb", "polars"):
        out = tmp_path / f"{engine}.parquet"
        result = CliRunner().invoke(main, ["run", shop, "--as-of", "2026-06-30", "--engine",
                                           engine, "--out", str(out), "--shape", shape],
                                    catch_exceptions=False)
        assert result.exit_code == 0, result.output
        written[engine] = pl.read_parquet(out)
    assert written["polars"].schema == written["duckdb"].schema
    assert written["polars"].equals(written["duckdb"])
    assert written["polars"].height >= 30_000  # every customer (wide), or every membership


def test_segl_run_rejects_an_unknown_engine():
    result = CliRunner().invoke(main, ["run", str(ROOT / "examples/shop/shop.seg"),
                                       "--engine", "sparkle"])
    assert result.exit_code == 2
    assert "sparkle" in result.output


def test_evaluate_rejects_an_unknown_engine():
    with pytest.raises(ValueError, match="unknown engine `sparkle`"):
        evaluate(ROOT / "examples/b2b/accounts.seg", as_of=AS_OFS[0], engine="sparkle")
