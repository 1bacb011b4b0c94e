"""Resource controls (issue 15 item 4): --threads, --memory-limit, --temp-dir and the same
keys in segl.toml reach the engine; bad values are usage errors, never tracebacks."""

from __future__ import annotations

import os
import sys

import duckdb
import pytest
from click.testing import CliRunner
from segl.runtime import resources
from segl.runtime.cli import main
from segl.runtime.engines import duckdb as duckdb_engine
from segl.runtime.errors import UsageError
from segl.runtime.project import load_project
from segl.runtime.resources import Resources

from tests.conftest import ROOT

SHOP = ROOT / "examples/shop"
SETTINGS = ("threads", "memory_limit", "temp_directory")


@pytest.fixture
def connections(monkeypatch):
    """The settings of every DuckDB connection segl opens, as DuckDB reports them."""
    seen: list[dict[str, str]] = []
    real = duckdb.connect

    def spy(*args, **kwargs):
        connection = real(*args, **kwargs)
        seen.append({name: connection.execute(
            "SELECT current_setting(?)", [name]).fetchone()[0] for name in SETTINGS})
        return connection

    monkeypatch.setattr(duckdb_engine.duckdb, "connect", spy)
    yield seen
    resources.use(Resources())


def segl(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def default_threads() -> int:
    return duckdb.connect().execute("SELECT current_setting('threads')").fetchone()[0]


@pytest.mark.parametrize("command", [
    ["run", str(SHOP / "shop.seg"), "--as-of", "2026-06-30"],
    ["kpis", str(SHOP / "shop.seg"), "--as-of", "2026-06-30"],
    ["check", str(SHOP / "shop.seg")],
])
def test_the_options_reach_every_connection_of_a_command(command, connections, tmp_path):
    spill = tmp_path / "spill"
    result = segl(*command, "--threads", "1", "--memory-limit", "256MB",
                  "--temp-dir", str(spill))
    assert result.exit_code == 0, result.output
    assert connections
    for settings in connections:
        assert settings["threads"] == 1
        assert settings["memory_limit"] == "244.1 MiB"  # 256 MB, as DuckDB prints it
        assert settings["temp_directory"] == str(spill)


def test_segl_toml_keys_apply_and_the_options_win(connections, tmp_path, monkeypatch):
    project = tmp_path / "project"
    project.mkdir()
    (project / "segl.toml").write_text(
        f'[segl]\nentry = ["{SHOP / "shop.seg"}"]\nas_of = "2026-06-30"\nthreads = 1\n'
        'memory_limit = "1GiB"\ntemp_dir = "spill"\n', encoding="utf-8")
    monkeypatch.chdir(project)
    assert segl("run").exit_code == 0
    from_toml = connections[-1]
    assert segl("run", "--memory-limit", "512MiB").exit_code == 0
    overridden = connections[-1]
    # a later command without the project starts from the engine's defaults again
    monkeypatch.chdir(tmp_path)
    assert segl("run", str(SHOP / "shop.seg"), "--as-of", "2026-06-30").exit_code == 0
    fresh = connections[-1]
    assert from_toml == {"threads": 1, "memory_limit": "1.0 GiB",
                         "temp_directory": str(project / "spill")}  # relative to segl.toml
    assert overridden["memory_limit"] == "512.0 MiB" and overridden["threads"] == 1
    assert fresh["threads"] == default_threads()
    assert fresh["temp_directory"] != str(project / "spill")


@pytest.mark.parametrize("option,value,message", [
    ("--threads", "0", "1 to 4096 threads"),
    ("--threads", "two", "whole number"),
    ("--threads", "-3", "whole number"),
    ("--memory-limit", "lots", "a size such as 256MB"),
    ("--memory-limit", "0MB", "more than 0"),
    ("--memory-limit", "256", "a size such as 256MB"),  # no unit: ambiguous
])
def test_bad_values_are_usage_errors(option, value, message):
    result = segl("run", str(SHOP / "shop.seg"), "--as-of", "2026-06-30", option, value)
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_a_temp_dir_that_is_a_file_is_a_usage_error(tmp_path):
    file = tmp_path / "file"
    file.write_text("x", encoding="utf-8")
    result = segl("run", str(SHOP / "shop.seg"), "--as-of", "2026-06-30", "--temp-dir",
                  str(file))
    assert result.exit_code == 2 and "is a file, not a folder" in result.output


@pytest.mark.parametrize("line,message", [
    ("threads = 0", "`threads` expects 1 to 4096"),
    ('threads = "many"', "`threads` expects a whole number"),
    ("threads = true", "`threads` expects a whole number"),
    ("memory_limit = 256", "`memory_limit` expects a size"),
    ('memory_limit = "256 potatoes"', "`memory_limit` expects a size"),
    ("temp_dir = 3", "`temp_dir` expects a folder"),
])
def test_bad_segl_toml_values_are_usage_errors(tmp_path, line, message):
    path = tmp_path / "segl.toml"
    path.write_text(f"[segl]\n{line}\n", encoding="utf-8")
    with pytest.raises(UsageError, match=message):
        load_project(path)


def test_polars_gets_its_thread_count_before_it_starts(monkeypatch):
    monkeypatch.setenv("POLARS_MAX_THREADS", "7")
    monkeypatch.delitem(sys.modules, "polars")  # as in a fresh `segl run --engine polars`
    resources.use(Resources(threads=3), "polars")
    assert os.environ["POLARS_MAX_THREADS"] == "3"
    resources.use(Resources())


def test_polars_already_running_is_said(capsys):
    import polars

    wanted = polars.thread_pool_size() + 1
    resources.use(Resources(threads=wanted), "polars")
    assert "Polars already runs with" in capsys.readouterr().err
    resources.use(Resources())


def test_settings_an_engine_does_not_take_are_said(capsys):
    resources.use(Resources(threads=2, memory_limit="1GB", temp_dir="/tmp/x"), "sqlite")
    err = capsys.readouterr().err
    assert "--threads, --memory-limit, --temp-dir not applied to the sqlite engine" in err
    resources.use(Resources(memory_limit="1GB"), "polars")
    assert "--memory-limit not applied to the polars engine" in capsys.readouterr().err
    resources.use(Resources())
