"""A source column with no type (every value missing: a Parquet column of Polars' Null type)
crashed the engines whose members cross into DuckDB (Polars: DuckDB's Arrow reader refuses
Polars' Null arrays; SQLite: NULL is no type to cast to). The export, and the run, give the
same rows on every embedded engine as on DuckDB."""

from __future__ import annotations

import random

import polars as pl
import pytest
from click.testing import CliRunner
from segl.runtime.cli import main

from .test_exports import EXPORTS, HEAD

ENGINES = ["duckdb", "polars", "sqlite"]


@pytest.fixture
def untyped_shop(tmp_path, monkeypatch):
    rng = random.Random(3)
    (tmp_path / "data").mkdir()
    pl.DataFrame(
        [{"customer_id": i, "city": rng.choice(["Amsterdam", "Utrecht"]),
          "email": f"p{i}@example.nl", "first_name": f"N{i}",
          "opt_in": rng.choice([True, False, None]), "spend": None} for i in range(1, 400)],
        schema={"customer_id": pl.Int64, "city": pl.Utf8, "email": pl.Utf8,
                "first_name": pl.Utf8, "opt_in": pl.Boolean, "spend": pl.Null},
    ).write_parquet(tmp_path / "data/customers.parquet")
    pl.DataFrame({"customer_id": [1, 38]}).write_parquet(tmp_path / "data/optout.parquet")
    (tmp_path / "shop.seg").write_text(HEAD + EXPORTS, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_an_untyped_column_exports_alike_on_every_embedded_engine(untyped_shop):
    written = {}
    for engine in ENGINES:
        done = CliRunner().invoke(main, ["export", "newsletter", "files", "shop.seg",
                                         "--as-of", "2026-06-30", "--engine", engine])
        assert done.exit_code == 0, (engine, done.output)
        csv = (untyped_shop / "out/newsletter.csv").read_text(encoding="utf-8")
        frame = pl.read_parquet(untyped_shop / "out/files.parquet")
        written[engine] = (csv, frame.sort("customer_id").rows())
    assert written["polars"] == written["duckdb"] == written["sqlite"]
    csv, rows = written["duckdb"]
    assert csv.splitlines()[0] == "customer_id,email,first_name,spend_total"
    assert rows and all(row[-1] is None for row in rows)  # spend_total: every value missing


@pytest.mark.parametrize("engine", ENGINES)
def test_an_untyped_column_runs(untyped_shop, engine):
    done = CliRunner().invoke(main, ["run", "shop.seg", "--as-of", "2026-06-30", "--engine",
                                     engine, "--traits", "spend_total", "--out", "m.csv"])
    assert done.exit_code == 0, done.output
    lines = (untyped_shop / "m.csv").read_text(encoding="utf-8").splitlines()
    assert len(lines) > 100 and "spend_total" in lines[0]
