"""The SQL of examples/shop/sequences.seg for every dialect segl generates, as snapshots
(byte-identical unless a change is deliberate: SEGL_UPDATE_SNAPSHOTS=1), each parsed back
in its own dialect; the window functions and scans it is made of."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from segl.compiler.api import compile_file, to_sql
from sqlglot import exp

from tests.conftest import ROOT, parse_back
from tests.sql.test_snapshots import DIALECTS

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("SEGL_UPDATE_SNAPSHOTS") == "1"
EXAMPLE = Path("examples/shop/sequences.seg")


@pytest.fixture(scope="module")
def compilation():
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        return compile_file(EXAMPLE)
    finally:
        os.chdir(cwd)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_snapshot(dialect, compilation, monkeypatch):
    monkeypatch.chdir(ROOT)
    sql = to_sql(compilation, dialect, "2026-06-30", file_paths="relative")
    path = SNAPSHOTS / f"{dialect}.sql"
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(sql, encoding="utf-8")
    assert sql == path.read_text(encoding="utf-8")
    (statement,) = parse_back(sql, dialect)
    windows = list(statement.find_all(exp.Window))
    # per pattern the segments use: the next second-step instant (`then no`), or the two
    # latest earlier instants (`then first`)
    assert len(windows) == 1 + 2
    assert all(w.args["spec"].args["kind"] == "ROWS" for w in windows)


def test_no_stale_snapshots():
    assert {p.stem for p in SNAPSHOTS.glob("*.sql")} <= set(DIALECTS)
