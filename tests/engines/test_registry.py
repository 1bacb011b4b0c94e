"""The engine registry, a missing extra's message, and `segl run --engine`."""

from __future__ import annotations

import importlib.util

import polars as pl
import pytest
from click.testing import CliRunner
from segl.runtime import engines
from segl.runtime.cli import main
from segl.runtime.errors import UsageError

from ..conftest import ROOT


def test_registry_names_every_engine_with_its_extra():
    assert list(engines.ENGINES) == ["duckdb", "polars", "postgres", "sqlite", "clickhouse",
                                     "spark"]
    assert engines.ENGINES["spark"].install_hint == "pip install 'segl[spark]'"
    assert all(engine.description for engine in engines.ENGINES.values())


def test_every_registered_engine_runs_in_the_test_suite():
    """The test extra installs every engine: none is silently left out of the differential
    tests (polars joins them once its backend is part of segl)."""
    missing = {name: engines.missing_requirement(name) for name in engines.ENGINES
               if not engines.available(name)}
    assert all("not part of this version" in why for why in missing.values()), missing
    assert {"duckdb", "sqlite", "postgres", "clickhouse", "spark"} <= set(
        engines.available_engines())


def test_a_missing_extra_names_the_pip_command(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "pyspark" else real(name, *a))
    with pytest.raises(UsageError, match=r"pip install 'segl\[spark\]'"):
        engines.engine_module("spark")


def test_an_unknown_engine_is_a_value_error():
    with pytest.raises(ValueError, match="engines are: duckdb, polars"):
        engines.engine_module("oracle")


def test_segl_run_on_sqlite_writes_what_duckdb_writes(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT / "examples/b2b")
    runner = CliRunner()
    for engine in ("duckdb", "sqlite"):
        result = runner.invoke(main, ["run", "--engine", engine, "--as-of", "2026-06-30",
                                      "--shape", "wide", "--out",
                                      str(tmp_path / f"{engine}.parquet")])
        assert result.exit_code == 0, result.output
    duckdb = pl.read_parquet(tmp_path / "duckdb.parquet")
    sqlite = pl.read_parquet(tmp_path / "sqlite.parquet")
    assert duckdb.height > 0 and sqlite.equals(duckdb)


@pytest.mark.parametrize("arguments,message", [
    (["--engine", "oracle"], "unknown engine `oracle`"),
    (["--engine", "sqlite", "--target", "x"], "--target is for postgres and spark"),
    (["--engine", "postgres", "--target", "mysql://x"], "a postgresql:// URL"),
])
def test_engine_usage_errors(arguments, message, monkeypatch):
    monkeypatch.chdir(ROOT / "examples/b2b")
    result = CliRunner().invoke(main, ["run", *arguments])
    assert result.exit_code == 2
    assert message in result.output


def test_an_unreachable_postgres_url_is_a_data_error(monkeypatch):
    monkeypatch.chdir(ROOT / "examples/b2b")
    result = CliRunner().invoke(main, ["run", "--engine", "postgres", "--target",
                                       "postgresql://nobody:secret@127.0.0.1:1/none"])
    assert result.exit_code == 2
    assert "cannot connect to PostgreSQL at postgresql://nobody@127.0.0.1:1/none" in \
        result.output
    assert "secret" not in result.output


def test_run_members_passes_only_the_options_an_adapter_takes(monkeypatch):
    calls = []

    def strict(compilation, plan, as_of):
        calls.append((compilation, plan, as_of))
        return "strict"

    def flexible(compilation, plan, as_of, **options):
        return options

    for function, expected in ((strict, "strict"), (flexible, {"connection": 1, "url": 2})):
        monkeypatch.setattr(engines, "engine_module",
                            lambda name, f=function: type("M", (), {"run_members": f}))
        assert engines.run_members("x", "c", "p", "d", connection=1, url=2) == expected
    assert calls == [("c", "p", "d")]
