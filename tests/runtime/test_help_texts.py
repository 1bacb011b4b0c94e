"""Help texts (issue 16 item 4): every command and every option of `segl`, enumerated from
the group (a new one is checked too), says what it does, its default and its units, in the
same words everywhere: `--out` (never `--output`), dates as YYYY-MM-DD, and no "default:
today" where segl.toml's `as_of` wins."""

from __future__ import annotations

import click
import pytest
from segl.runtime.cli import main

CONTEXT = click.Context(main)
NAMES = main.list_commands(CONTEXT)
NUMBER_UNITS = ("rows", "pairs", "values", "keys", "entities", "characters", "percent",
                "threads")


def _options(name: str) -> list[click.Option]:
    command = main.get_command(CONTEXT, name)
    return [p for p in command.params if isinstance(p, click.Option) and not p.hidden]


def test_the_group_lists_every_command_module() -> None:
    assert len(NAMES) >= 20 and "run" in NAMES  # (the enumeration is not empty)


@pytest.mark.parametrize("name", NAMES)
def test_every_command_and_option_says_what_it_does(name: str) -> None:
    command = main.get_command(CONTEXT, name)
    assert command.help and len(command.help.split()) >= 5, name
    for option in _options(name):
        assert option.help and len(option.help.split()) >= 3, (name, option.opts)


@pytest.mark.parametrize("name", NAMES)
def test_every_option_that_takes_a_value_states_its_default(name: str) -> None:
    for option in _options(name):
        if option.is_flag or option.required:
            continue
        assert option.show_default or "default" in option.help.lower(), (name, option.opts,
                                                                         option.help)


@pytest.mark.parametrize("name", NAMES)
def test_numbers_say_their_unit(name: str) -> None:
    for option in _options(name):
        if isinstance(option.type, (click.types.IntParamType, click.types.FloatParamType)):
            text = f"{option.help} {option.metavar or ''}".lower()
            assert any(unit in text for unit in NUMBER_UNITS), (name, option.opts, text)


@pytest.mark.parametrize("name", NAMES)
def test_one_spelling_for_files_and_dates(name: str) -> None:
    for option in _options(name):
        assert "--output" not in option.opts, name  # (the old spelling is hidden)
        help_text = option.help or ""
        if "DATE" in (option.metavar or ""):
            assert "YYYY-MM-DD" in help_text, (name, option.opts, help_text)
        if "default: today" in help_text.replace("(", "").lower() or "else today" in help_text:
            assert "segl.toml" in help_text, (name, option.opts, help_text)
        if "--out" in option.opts:
            assert "stdout" in help_text or option.show_default, (name, help_text)


def test_the_table_options_read_alike() -> None:
    formats = {name: next((o.help for o in _options(name) if "--format" in o.opts
                           and "markdown" in (o.help or "") and "table" in o.type.choices),
                          None) for name in NAMES}
    tabled = {name: text for name, text in formats.items() if text}
    assert {"kpis", "history", "experiment", "test", "check", "ls"} <= set(tabled)
    for name, text in tabled.items():
        assert text.startswith("table (for people), csv, json or markdown (default: from "
                               "--out's extension"), name
