"""--threads, --memory-limit and --temp-dir on every command that opens an engine (issue 16):
the commands are enumerated from the `segl` group, so a new command without them fails here;
the few without them are shown to open no DuckDB connection at all; and on the commands that
got them last, the settings reach every connection they open."""

from __future__ import annotations

import shutil

import click
import duckdb
import pytest
from click.testing import CliRunner
from segl.runtime import resources
from segl.runtime.cli import main
from segl.runtime.resources import Resources

from tests.conftest import ROOT

RESOURCE_OPTIONS = {"--threads", "--memory-limit", "--temp-dir"}
# Commands that never open an engine (checked below): they compile, lint, format or write files.
NO_ENGINE = {"compile", "ls", "lint", "fmt", "init"}
SHOP = ROOT / "examples" / "shop"
SEG = """
entity customer from parquet "data/customers.parquet" key customer_id {
  customer_id int
  city text
  spend float
  orders int
  opt_in bool consent
}
segment everyone = true
segment big = spend > 60
feature spend_value = spend
feature order_count = orders
segmentation styles = clusters 2 on (spend_value, order_count) scaled zscore seed 7
experiment mail on everyone salt "exp-1" { control 50% variant 50% }
export list from big {
  traits (city, spend_value)
  require consent opt_in
  to csv "out/big.csv"
}
"""


def _options(name: str) -> set[str]:
    command = main.get_command(click.Context(main), name)
    return {option for parameter in command.params for option in parameter.opts}


def test_every_command_that_opens_an_engine_takes_the_resource_options() -> None:
    names = main.list_commands(click.Context(main))
    assert set(names) >= NO_ENGINE
    missing = {name: sorted(RESOURCE_OPTIONS - _options(name))
               for name in names if name not in NO_ENGINE}
    assert {name: gone for name, gone in missing.items() if gone} == {}


def test_the_commands_without_them_open_no_engine(tmp_path, monkeypatch) -> None:
    opened: list[tuple] = []

    def refuse(*args, **kwargs):
        opened.append(args)
        raise AssertionError("a connection was opened")

    monkeypatch.setattr(duckdb, "connect", refuse)
    copy = tmp_path / "shop.seg"
    shutil.copy(SHOP / "shop.seg", copy)
    runs = {"compile": [str(SHOP / "shop.seg")], "ls": [str(SHOP / "shop.seg")],
            "lint": [str(SHOP / "shop.seg")], "fmt": [str(copy)],
            "init": [str(tmp_path / "new")]}
    assert set(runs) == NO_ENGINE
    for name, args in runs.items():
        result = CliRunner().invoke(main, [name, *args])
        assert result.exception is None or isinstance(result.exception, SystemExit), \
            (name, result.output)
    assert opened == []


@pytest.fixture
def settings(monkeypatch):
    """The settings of every DuckDB connection opened, as DuckDB reports them."""
    seen: list[tuple[int, str, str]] = []
    real = duckdb.connect

    def spy(*args, **kwargs):
        connection = real(*args, **kwargs)
        seen.append(tuple(connection.execute("SELECT current_setting(?)", [name]).fetchone()[0]
                          for name in ("threads", "memory_limit", "temp_directory")))
        return connection

    monkeypatch.setattr(duckdb, "connect", spy)
    yield seen
    resources.use(Resources())


@pytest.fixture
def shop(project):
    rows = [{"customer_id": i, "city": "Delft" if i % 3 else "Leiden", "spend": 20.0 + i % 90,
             "orders": i % 7, "opt_in": i % 2 == 0} for i in range(1, 401)]
    path = project(SEG, {"customers": rows})
    discovered = CliRunner().invoke(main, ["discover", str(path), "--as-of", "2026-06-30"])
    assert discovered.exit_code == 0, discovered.output  # the lock file the others need
    return path


COMMANDS = {
    "profile": lambda seg, tmp: ["profile", str(seg), "customer"],
    "snapshot": lambda seg, tmp: ["snapshot", str(seg), "--as-of", "2026-06-30", "--into",
                                  str(tmp / "h.duckdb")],
    "history": lambda seg, tmp: ["history", str(seg), "--from", "2026-05-31", "--to",
                                 "2026-06-30"],
    "transitions": lambda seg, tmp: ["transitions", str(seg), "styles", "--from",
                                     "2026-05-31", "--to", "2026-06-30"],
    "export": lambda seg, tmp: ["export", str(seg), "--as-of", "2026-06-30"],
    "experiment": lambda seg, tmp: ["experiment", str(seg), "mail", "--kpi", "big",
                                    "--as-of", "2026-06-30"],
    "discover": lambda seg, tmp: ["discover", str(seg), "--as-of", "2026-06-30"],
}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_settings_reach_every_connection(name, shop, settings, tmp_path) -> None:
    spill = tmp_path / "spill"
    result = CliRunner().invoke(main, [*COMMANDS[name](shop, tmp_path), "--threads", "1",
                                       "--memory-limit", "256MB", "--temp-dir", str(spill)])
    assert result.exit_code == 0, result.output
    assert settings and set(settings) == {(1, "244.1 MiB", str(spill))}


def test_segl_toml_applies_to_them_too(shop, settings, tmp_path, monkeypatch) -> None:
    (shop.parent / "segl.toml").write_text(
        f'[segl]\nentry = ["{shop.name}"]\nas_of = "2026-06-30"\nthreads = 1\n'
        'memory_limit = "1GiB"\n', encoding="utf-8")
    monkeypatch.chdir(shop.parent)
    result = CliRunner().invoke(main, ["experiment", "mail", "--kpi", "big"])
    assert result.exit_code == 0, result.output
    assert {(threads, limit) for threads, limit, _ in settings} == {(1, "1.0 GiB")}
    result = CliRunner().invoke(main, ["profile", "customer", "--threads", "2"])
    assert result.exit_code == 0, result.output
    assert settings[-1][:2] == (2, "1.0 GiB")  # the option wins, the file's other key stays
