"""runtime/locations.source_bytes: the size of the files a plan reads, by which the engines
decide whether to bound memory in steps (Polars' pass runner, DuckDB's staged dates). A size
that cannot be known counts as large (nothing says it is small); a glob counts the hidden
files DuckDB reads too."""

from __future__ import annotations

import os
import sys

import polars as pl
from segl.compiler.api import compile_file, plan_for, select_segments
from segl.runtime import locations
from segl.runtime.locations import source_bytes


def plan_of(folder, location: str):
    seg = folder / "m.seg"
    seg.write_text(f'entity c from parquet "{location}" key id\nsegment all = id > 0\n')
    model = compile_file(str(seg)).require_ok()
    return plan_for(model, select_segments(model, None), None)


def test_a_glob_counts_every_file_it_reads_hidden_ones_too(tmp_path):
    pl.DataFrame({"id": [1, 2]}).write_parquet(tmp_path / "c_1.parquet")
    pl.DataFrame({"id": [3]}).write_parquet(tmp_path / ".c_2.parquet")  # DuckDB's * reads it
    plan = plan_of(tmp_path, "*.parquet")
    assert source_bytes(plan) == sum(os.path.getsize(tmp_path / name)
                                     for name in ("c_1.parquet", ".c_2.parquet"))


def test_no_file_or_a_vanished_one_counts_as_large(tmp_path, monkeypatch):
    assert source_bytes(plan_of(tmp_path, "missing_*.parquet")) == sys.maxsize
    pl.DataFrame({"id": [1]}).write_parquet(tmp_path / "c.parquet")
    plan = plan_of(tmp_path, "c.parquet")

    def removed(path):
        raise FileNotFoundError(path)

    monkeypatch.setattr(locations.os.path, "getsize", removed)
    assert source_bytes(plan) == sys.maxsize
