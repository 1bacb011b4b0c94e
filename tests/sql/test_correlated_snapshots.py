"""Golden SQL of correlated aggregates (examples/shop/after_first_purchase.seg) in every
dialect: a pass over orders after base (a window since the signup date), one after step 1
(after the first purchase and the last web visit), each joined to the per-entity CTE it
reads. `SEGL_UPDATE_SNAPSHOTS=1` rewrites them; each must parse back in its dialect."""

import os

import pytest
from segl.compiler.api import compile_file, to_sql

from tests.conftest import ROOT, parse_back

from .test_snapshots import DIALECTS, SNAPSHOTS, UPDATE

ENTRY = "examples/shop/after_first_purchase.seg"


@pytest.fixture(scope="module")
def compilation():
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        return compile_file(ENTRY)
    finally:
        os.chdir(cwd)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_correlated_snapshot(dialect, compilation, monkeypatch):
    monkeypatch.chdir(ROOT)
    sql = to_sql(compilation, dialect, "2026-06-30", file_paths="relative")
    path = SNAPSHOTS / "shop" / f"correlated.{dialect}.sql"
    if UPDATE:
        path.write_text(sql, encoding="utf-8")
    assert path.exists(), f"no snapshot {path}; create it with SEGL_UPDATE_SNAPSHOTS=1"
    assert sql == path.read_text(encoding="utf-8")
    assert parse_back(sql, dialect)
    assert "segl_context" in sql and "pass_1" in sql
