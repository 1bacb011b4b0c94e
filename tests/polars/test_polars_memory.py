"""The Polars engine's memory settings (runtime/engines/polars_memory.py): the streaming
engine with smaller morsels for every members query, and the allocator's decay set before
Polars starts, never over the user's own setting. (The memory itself is measured by
bench/polars_memory.py, not here.)"""

from __future__ import annotations

import datetime
import os
import sys

import polars as pl
import pytest
from segl.compiler.api import compile_file, plan_for, select_segments
from segl.runtime import resources
from segl.runtime.engines import engine_module, polars_memory
from segl.runtime.engines import polars as polars_engine

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


def test_users_allocator_setting_wins(no_setting):
    no_setting.delitem(sys.modules, "polars")
    no_setting.setenv(VARIABLE, "narenas:1")
    assert polars_memory.prepare_allocator() is False
    assert os.environ[VARIABLE] == "narenas:1"


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
                        lambda frame: calls.append(1) or real(frame))
    frame = polars_engine.run_members(compilation, plan, datetime.date(2024, 2, 1))
    assert calls == [1]
    assert frame.to_dicts() == [{"id": 1, "big": False, "ordered": True},
                                {"id": 2, "big": True, "ordered": False},
                                {"id": 3, "big": False, "ordered": False}]
