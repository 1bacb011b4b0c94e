"""The Polars engine's memory settings (runtime/engines/polars_memory.py): the streaming
engine with smaller morsels for every members query, and the allocator's decay set before
Polars starts, never over the user's own setting. (The memory itself is measured by
bench/polars_memory.py, not here.)"""

from __future__ import annotations

import datetime
import os
import subprocess
import sys

import polars as pl
import pytest
from segl.compiler.api import compile_file, plan_for, select_segments
from segl.runtime import resources
from segl.runtime.engines import engine_module, polars_memory
from segl.runtime.engines import polars as polars_engine

from tests.conftest import ROOT

SHOP = ROOT / "examples/shop/shop.seg"
AS_OF = datetime.date(2026, 6, 30)
FORCED = polars_memory.PassPolicy(min_source_bytes=0, partition_bytes=1, max_partitions=3)

VARIABLE = polars_memory.ALLOCATOR_VARIABLE


@pytest.fixture
def no_setting(monkeypatch):
    monkeypatch.setenv(VARIABLE, "restored after the test")  # (so the delenv is undone)
    monkeypatch.delenv(VARIABLE)
    return monkeypatch


def test_allocator_set_before_polars_starts(no_setting):
    no_setting.delitem(sys.modules, "polars")  # as in a process that has not imported it
    assert polars_memory.prepare_allocator() is True
    assert os.environ[VARIABLE] == polars_memory.ALLOCATOR_SETTING
    assert f"dirty_decay_ms:{polars_memory.DIRTY_DECAY_MS}" in os.environ[VARIABLE]


def test_allocator_left_alone_when_polars_runs(no_setting):
    assert "polars" in sys.modules
    assert polars_memory.prepare_allocator() is False
    assert VARIABLE not in os.environ


def test_allocator_setting_one_arena_and_decay():
    settings = polars_memory.ALLOCATOR_SETTING.split(",")
    assert "narenas:1" in settings  # one arena: a phase reuses the pages the last one freed
    assert f"dirty_decay_ms:{polars_memory.DIRTY_DECAY_MS}" in settings
    assert "muzzy_decay_ms:0" in settings
    assert polars_memory.DIRTY_DECAY_MS == 100  # 0 ms costs about twice the CPU


def test_users_allocator_setting_wins(no_setting):
    no_setting.delitem(sys.modules, "polars")
    no_setting.setenv(VARIABLE, "dirty_decay_ms:0")
    assert polars_memory.prepare_allocator() is False
    assert os.environ[VARIABLE] == "dirty_decay_ms:0"


@pytest.mark.parametrize("how", ["engine_module", "resources"])
def test_allocator_prepared_on_the_way_to_polars(monkeypatch, how):
    calls = []
    monkeypatch.setattr(polars_memory, "prepare_allocator", lambda: calls.append(how))
    if how == "engine_module":
        engine_module("polars")
        engine_module("duckdb")
    else:
        resources.use(resources.Resources(), "duckdb")
        resources.use(resources.Resources(), "polars")
        resources.use(resources.Resources(), "duckdb")
    assert calls == [how]


def test_collect_streaming_morsels_and_engine(monkeypatch):
    seen = {}
    frame = pl.LazyFrame({"k": [3, 1, 2, 1], "v": [1.5, 2.0, None, 4.0]})
    original = pl.LazyFrame.collect

    def recording(self, *args, **kwargs):
        seen["engine"] = kwargs.get("engine")
        seen["morsel"] = os.environ.get("POLARS_IDEAL_MORSEL_SIZE")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(pl.LazyFrame, "collect", recording)
    before = os.environ.get("POLARS_IDEAL_MORSEL_SIZE")
    query = frame.group_by("k").agg(pl.col("v").sum()).sort("k")
    result = polars_memory.collect_streaming(query)
    assert seen == {"engine": "streaming", "morsel": str(polars_memory.MORSEL_ROWS)}
    assert os.environ.get("POLARS_IDEAL_MORSEL_SIZE") == before  # only for that query
    assert result.to_dicts() == original(query).to_dicts()


def test_members_query_collected_by_collect_streaming(tmp_path, monkeypatch):
    pl.DataFrame({"id": [1, 2, 3], "spend": [5.0, 50.0, None]}).write_parquet(
        tmp_path / "c.parquet")
    pl.DataFrame({"cid": [1, 1, 2], "at": [datetime.date(2024, 1, d) for d in (1, 2, 3)]}
                 ).write_parquet(tmp_path / "o.parquet")
    seg = tmp_path / "m.seg"
    seg.write_text('entity c from parquet "c.parquet" key id\n'
                   'events o from parquet "o.parquet" key cid at at\n'
                   "segment big = spend > 10\n"
                   "segment ordered = count(o) >= 2\n")
    compilation = compile_file(str(seg))
    model = compilation.require_ok()
    plan = plan_for(model, select_segments(model, None), None)
    calls = []
    real = polars_engine.collect_streaming
    monkeypatch.setattr(polars_engine, "collect_streaming",
                        lambda frame, rows=None: calls.append(rows) or real(frame, rows))
    frame = polars_engine.run_members(compilation, plan, datetime.date(2024, 2, 1))
    assert calls == [None]  # small sources: one query, the passes' morsel size
    assert frame.to_dicts() == [{"id": 1, "big": False, "ordered": True},
                                {"id": 2, "big": True, "ordered": False},
                                {"id": 3, "big": False, "ordered": False}]


def shop_members(policy: polars_memory.PassPolicy) -> pl.DataFrame:
    compilation = compile_file(str(SHOP))
    model = compilation.require_ok()
    plan = plan_for(model, select_segments(model, None), list(model.kpis) or None)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(polars_engine, "POLICY", policy)
        return polars_engine.run_members(compilation, plan, AS_OF)


def test_final_collect_uses_the_final_morsel_size(monkeypatch):
    """With the passes run alone, each pass is collected with MORSEL_ROWS-row morsels and
    the final query (after the passes) with FINAL_MORSEL_ROWS-row ones."""
    sizes = []
    original = pl.LazyFrame.collect

    def recording(self, *args, **kwargs):
        sizes.append(int(os.environ["POLARS_IDEAL_MORSEL_SIZE"]))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(pl.LazyFrame, "collect", recording)
    shop_members(FORCED)
    assert polars_memory.FINAL_MORSEL_ROWS < polars_memory.MORSEL_ROWS
    assert sizes[-1] == polars_memory.FINAL_MORSEL_ROWS
    assert len(sizes) > 1 and set(sizes[:-1]) == {polars_memory.MORSEL_ROWS}


def test_same_members_with_and_without_the_policies(monkeypatch):
    """One lazy query with main's morsels against the passes alone, in partitions, and a
    final collect in morsels of 997 rows (31 morsels on the example's 30,000 customers, the
    last one short; morsels of 3 rows cost 20 s of the suite)."""
    whole = shop_members(polars_memory.PassPolicy())
    monkeypatch.setattr(polars_engine, "FINAL_MORSEL_ROWS", 997)
    split = shop_members(FORCED)
    assert split.height > 997 * 2
    assert split.schema == whole.schema
    assert split.equals(whole)


CHILD = """
import datetime, os, sys
from segl.compiler.api import compile_file, plan_for, select_segments
from segl.runtime.engines import engine_module
engine = engine_module("polars")  # sets the allocator (or not), then imports Polars
model = (compilation := compile_file(sys.argv[1])).require_ok()
plan = plan_for(model, select_segments(model, None), list(model.kpis) or None)
frame = engine.run_members(compilation, plan, datetime.date.fromisoformat(sys.argv[2]))
frame.write_parquet(sys.argv[3])
print(os.environ["_RJEM_MALLOC_CONF"])
"""


def test_allocator_in_a_fresh_process_and_same_members(tmp_path):
    """A process that starts Polars through segl gets the setting (after Polars' own
    defaults); a user's own value is kept; the members are the same either way."""
    base = {k: v for k, v in os.environ.items() if k != VARIABLE}
    seen = {}
    for name, env in (("ours", base), ("users", base | {VARIABLE: "dirty_decay_ms:0"})):
        out = tmp_path / f"{name}.parquet"
        done = subprocess.run([sys.executable, "-c", CHILD, str(SHOP), AS_OF.isoformat(),
                               str(out)], env=env, capture_output=True, text=True, check=True)
        seen[name] = (done.stdout.strip(), pl.read_parquet(out))
    assert seen["ours"][0].endswith(polars_memory.ALLOCATOR_SETTING)
    assert seen["users"][0].endswith("dirty_decay_ms:0")
    assert "narenas:1" not in seen["users"][0]
    assert seen["ours"][1].equals(seen["users"][1])
    assert seen["ours"][1].equals(shop_members(polars_memory.PassPolicy()))
