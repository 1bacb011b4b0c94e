"""--as-of on every command: its help says what the default really is, and a bad value is
told what that command takes (`param` only for `segl compile`)."""

from __future__ import annotations

import importlib

import pytest
from click.testing import CliRunner
from segl.runtime.cli import COMMANDS, main

SEG = """entity customer from parquet "data/customers.parquet" key id {
  id int
}

segment everyone = id > 0
"""


def _command(name: str):
    module, function, _ = COMMANDS[name]
    return getattr(importlib.import_module(f"segl.runtime.cli.{module}"), function)


WITH_AS_OF = sorted(name for name in COMMANDS
                    if any(p.name == "as_of" for p in _command(name).params))


def test_the_commands_that_take_as_of_are_found() -> None:
    assert {"run", "compile", "check", "explain", "kpis", "persona", "report",
            "diff"} <= set(WITH_AS_OF)


@pytest.mark.parametrize("name", WITH_AS_OF)
def test_as_of_help_says_segl_toml_wins_over_today(name: str) -> None:
    (option,) = [p for p in _command(name).params if p.name == "as_of"]
    text = " ".join(option.help.split())
    assert "segl.toml's `as_of` when set, else today" in text
    assert "(default: today)" not in text


@pytest.mark.parametrize("command", ["run", "explain", "kpis", "overlap", "report"])
def test_a_bad_as_of_on_a_data_command_does_not_offer_param(project, command) -> None:
    path = project(SEG, {"customers": [{"id": 1}]})
    args = [command, *(["everyone"] if command == "explain" else []), str(path),
            "--as-of", "2026-13-01"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert "--as-of expects YYYY-MM-DD or `today`, got `2026-13-01`" in result.stderr
    assert "param" not in result.stderr


def test_param_on_a_data_command_says_only_compile_takes_it(project) -> None:
    path = project(SEG, {"customers": [{"id": 1}]})
    result = CliRunner().invoke(main, ["run", str(path), "--as-of", "param"])
    assert result.exit_code == 2
    assert "needs a date (YYYY-MM-DD) or `today` for --as-of" in result.stderr
    assert "only `segl compile` takes it" in result.stderr


def test_compile_still_offers_param(project) -> None:
    path = project(SEG)
    result = CliRunner().invoke(main, ["compile", str(path), "--as-of", "yesterday"])
    assert result.exit_code == 2
    assert "--as-of expects YYYY-MM-DD, `today` or `param`, got `yesterday`" in result.stderr
    assert CliRunner().invoke(main, ["compile", str(path), "--as-of", "param"]).exit_code == 0


def test_a_bad_as_of_in_segl_toml_is_named_as_such(project) -> None:
    path = project(SEG, {"customers": [{"id": 1}]})
    (path.parent / "segl.toml").write_text('[segl]\nas_of = "soon"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["run", str(path)])
    assert result.exit_code == 2
    assert "segl.toml's `as_of` expects YYYY-MM-DD or `today`, got `soon`" in result.stderr


def test_segl_toml_as_of_wins_over_today_and_the_flag_over_both(project) -> None:
    path = project(SEG, {"customers": [{"id": 1}]})
    (path.parent / "segl.toml").write_text('[segl]\nas_of = "2020-02-29"\n', encoding="utf-8")
    assert "as_of 2020-02-29" in CliRunner().invoke(main, ["run", str(path)]).output
    flagged = CliRunner().invoke(main, ["run", str(path), "--as-of", "2021-03-01"])
    assert "as_of 2021-03-01" in flagged.output
