"""`segl compile --materialize history -d DIALECT` (issue 11 item 5): the daily refresh
script of the shop per dialect against snapshots (`SEGL_UPDATE_SNAPSHOTS=1` rewrites them),
each parsed back by sqlglot in its own dialect; what it refuses. Running it is
tests/engines/test_history_refresh.py."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from segl.runtime.cli import main

from tests.conftest import ROOT, parse_back

DIALECTS = ["duckdb", "postgres", "sqlite", "spark", "snowflake", "bigquery"]
SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("SEGL_UPDATE_SNAPSHOTS") == "1"
SHOP = "examples/shop/shop.seg"


def compile_history(*args: str):
    return CliRunner().invoke(main, ["compile", SHOP, "--materialize", "history", *args],
                              catch_exceptions=False)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_the_refresh_script_per_dialect(dialect, monkeypatch):
    monkeypatch.chdir(ROOT)
    done = compile_history("-d", dialect, "--segment", "loyal", "--segment", "rfm")
    assert done.exit_code == 0, done.output
    path = SNAPSHOTS / f"history.{dialect}.sql"
    # file locations are absolute in the script; the snapshot holds them from the checkout
    script = done.stdout.replace(str(ROOT) + os.sep, "<checkout>/")
    if UPDATE:
        path.write_text(script, encoding="utf-8")
    assert script == path.read_text(encoding="utf-8")
    statements = parse_back(done.stdout, dialect)
    transaction = dialect != "spark"
    # create 2, members, points, undo 3, close, open, record, drops 2 (+ begin, commit,
    # and a drop before each temporary table)
    assert len(statements) == 12 + (4 if transaction else 0)
    text = done.stdout
    assert ("segl_history_dates" in text and "segl_refresh_points" in text)
    # as_of is a bound parameter, never a date literal of the refresh itself
    assert "2026-06-30" not in text.split("segl_refresh_points")[1]


def test_a_schema_qualified_table(monkeypatch):
    monkeypatch.chdir(ROOT)
    done = compile_history("-d", "snowflake", "--table", "marts.customer_history",
                           "--segment", "loyal")
    assert done.exit_code == 0, done.output
    assert "CREATE TABLE IF NOT EXISTS marts.customer_history (" in done.stdout
    assert "CREATE TABLE IF NOT EXISTS marts.customer_history_dates (" in done.stdout
    assert "'lifecycle'" not in done.stdout


@pytest.mark.parametrize("args,message", [
    (["--as-of", "2026-06-30"], "bound parameter"),
    (["--show", "plan"], "bound parameter"),
    (["--table", "a..b"], "--table takes"),
    (["--table", "a.b.c.d"], "--table takes"),
    (["-d", "no-such-dialect"], "unknown dialect"),
])
def test_refusals(args, message, monkeypatch):
    monkeypatch.chdir(ROOT)
    done = compile_history(*args)
    assert done.exit_code == 2
    assert message in done.output


def test_personal_members_are_refused_without_an_allow(tmp_path):
    from .small_shop import write_project

    seg = write_project(tmp_path)
    seg.write_text(seg.read_text().replace("  city text\n", "  city text pii\n")
                   + 'segment in_x = city = "x"\n')
    done = CliRunner().invoke(main, ["compile", str(seg), "--materialize", "history"])
    assert done.exit_code == 2
    assert "error[E504]" in done.output and "--materialize history" in done.output
    assert "CREATE TABLE" not in done.output
    kept = CliRunner().invoke(main, ["compile", str(seg), "--materialize", "history",
                                     "--segment", "active", "--segment", "level"])
    assert kept.exit_code == 0, kept.output
