"""`segl prepare` (issue 15 item 3): the events tables written sorted by entity key and time,
read by runs instead of the sources while the sources are unchanged, with the same members.
"""

from __future__ import annotations

import os
import shutil

import duckdb
import pytest
from click.testing import CliRunner
from segl.runtime import prepared
from segl.runtime.api import evaluate, load
from segl.runtime.cli import main

from tests.conftest import ROOT

AS_OF = "2026-06-30"


@pytest.fixture
def shop(tmp_path):
    folder = tmp_path / "shop"
    shutil.copytree(ROOT / "examples" / "shop", folder,
                    ignore=shutil.ignore_patterns(".segl-prepared", "*.duckdb"))
    return folder


def segl(*args: str, cwd) -> object:
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, list(args), catch_exceptions=False)
    finally:
        os.chdir(old)


def members(evaluation) -> list[tuple]:
    rows = evaluation.connection.execute(f'SELECT * FROM "{evaluation.table}"').fetchall()
    return sorted(rows, key=repr)


def test_prepare_writes_sorted_files_and_runs_read_them_with_the_same_members(shop):
    result = segl("prepare", cwd=shop)
    assert result.exit_code == 0, result.output
    folder = shop / prepared.FOLDER
    files = sorted(f for f in folder.glob("*.parquet") if not f.name.startswith("rollup-"))
    assert [f.name.split("-")[0] for f in files] == sorted(
        ["email_events", "orders", "survey_answers", "web_events"])
    connection = duckdb.connect()
    for file in files:   # each file in entity key order, then time
        rows = connection.execute(
            "SELECT * FROM read_parquet(?, file_row_number = true) ORDER BY file_row_number",
            [str(file)]).fetchall()
        keys = [(row[0], row[1]) for row in connection.execute(
            "SELECT customer_id, file_row_number FROM read_parquet(?, file_row_number = true)"
            " ORDER BY file_row_number", [str(file)]).fetchall()]
        assert len(rows) > 1000
        assert [k for k, _ in keys] == sorted(k for k, _ in keys)
    with_layout = evaluate(str(shop / "shop.seg"), as_of=AS_OF)
    without = evaluate(str(shop / "shop.seg"), as_of=AS_OF, prepared=False)
    assert prepared.FOLDER in with_layout.sql and prepared.FOLDER not in without.sql
    assert with_layout.sizes == without.sizes
    assert members(with_layout) == members(without)


def test_a_changed_source_is_read_as_declared_and_prepare_rewrites_only_it(shop):
    assert segl("prepare", cwd=shop).exit_code == 0
    compilation, connection = load(str(shop / "shop.seg"))
    model = compilation.require_ok()
    assert set(prepared.overrides(model, shop / "shop.seg")) == {
        "orders", "web_events", "email_events", "survey_answers"}
    orders = shop / "data" / "orders.parquet"
    stat = orders.stat()
    os.utime(orders, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # "appended to"
    assert "orders" not in prepared.overrides(model, shop / "shop.seg")
    assert "orders.parquet" in evaluate(str(shop / "shop.seg"), as_of=AS_OF).sql
    done = {p.table: p for p in prepared.prepare(model, shop / "shop.seg", connection, 2)}
    assert not done["orders"].reused and done["web_events"].reused
    assert "orders" in prepared.overrides(model, shop / "shop.seg")
    assert len(list((shop / prepared.FOLDER).glob("orders-*.parquet"))) == 1  # old one gone
    connection.close()


def test_clear_removes_the_layout(shop):
    assert segl("prepare", cwd=shop).exit_code == 0
    result = segl("prepare", "--clear", cwd=shop)
    assert result.exit_code == 0 and "removed" in result.output
    assert not (shop / prepared.FOLDER).exists()
    assert prepared.FOLDER not in evaluate(str(shop / "shop.seg"), as_of=AS_OF).sql


def test_a_broken_manifest_means_no_layout(shop):
    folder = shop / prepared.FOLDER
    folder.mkdir()
    (folder / prepared.MANIFEST).write_text("{not json")
    compilation, connection = load(str(shop / "shop.seg"))
    connection.close()
    assert prepared.overrides(compilation.require_ok(), shop / "shop.seg") == {}


def test_a_manifest_cannot_point_outside_its_folder(shop, tmp_path):
    assert segl("prepare", cwd=shop).exit_code == 0
    manifest = shop / prepared.FOLDER / prepared.MANIFEST
    elsewhere = tmp_path / "elsewhere.parquet"
    shutil.copyfile(next((shop / prepared.FOLDER).glob("orders-*.parquet")), elsewhere)
    manifest.write_text(manifest.read_text().replace(
        next((shop / prepared.FOLDER).glob("orders-*.parquet")).name, "../../elsewhere.parquet"))
    compilation, connection = load(str(shop / "shop.seg"))
    connection.close()
    assert "orders" not in prepared.overrides(compilation.require_ok(), shop / "shop.seg")


@pytest.mark.parametrize(("rows", "threads", "size"), [
    (0, 2, prepared.MIN_ROW_GROUP),
    (1_500_000, 2, 187_500),
    (15_000_000, 2, prepared.MAX_ROW_GROUP),
    (15_000_000, 8, 468_750),
    (100_000, 4, prepared.MIN_ROW_GROUP),
])
def test_row_groups_give_every_thread_several(rows, threads, size):
    assert prepared.row_group_size(rows, threads) == size
