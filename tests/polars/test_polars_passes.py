"""The grouped passes run one by one and in key partitions (runtime/engines/polars_memory.py,
compiler/backends/polars/passes.py): the same members, buckets, scores and KPI components as
the one lazy query, for every example (aggregates with windows, first/last, most_frequent,
tables reached through others, sequences, correlated passes, rankings and scores). The
examples are small, so the policy is forced: every pass runs alone, in three partitions."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from segl.compiler.api import compile_file, plan_for, select_segments
from segl.runtime.engines import polars as polars_engine
from segl.runtime.engines import polars_memory
from segl.runtime.engines.polars_memory import PassPolicy

from tests.conftest import EXAMPLES, ROOT

AS_OF = date(2026, 6, 30)
SHOP = ROOT / "examples/shop"
FORCED = PassPolicy(min_source_bytes=0, partition_bytes=1, max_partitions=3)


def members(path, monkeypatch, policy: PassPolicy) -> tuple[pl.DataFrame, bool]:
    """The members frame, and whether the plan has a grouped pass."""
    compilation = compile_file(str(path))
    model = compilation.require_ok()
    plan = plan_for(model, select_segments(model, None), list(model.kpis) or None)
    monkeypatch.setattr(polars_engine, "POLICY", policy)
    return polars_engine.run_members(compilation, plan, AS_OF), bool(plan.aggregations)


@pytest.fixture
def passes_seen(monkeypatch):
    """The key and partition count of every pass the runner ran."""
    seen: list[tuple[str, int]] = []
    real = polars_memory.run_pass

    def recording(grouped, policy=polars_memory.POLICY):
        seen.append((grouped.key, policy.max_partitions))
        return real(grouped, policy)

    monkeypatch.setattr(polars_memory, "run_pass", recording)
    return seen


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_partitioned_passes_give_the_same_members(path, monkeypatch, passes_seen):
    whole, grouped = members(path, monkeypatch, PassPolicy())  # small: one lazy query
    assert passes_seen == []
    split, _ = members(path, monkeypatch, FORCED)
    assert split.schema == whole.schema
    assert split.equals(whole), path.name
    keys = {key for key, _ in passes_seen}
    assert keys or not grouped, "no pass ran alone"
    if path == SHOP / "shop.seg":  # the passes over events tables ran alone
        assert any(key.startswith("orders`") for key in keys) and len(passes_seen) >= 4
    if path == SHOP / "sequences.seg":  # and the sequences' passes
        assert keys == {"_key"}


def test_a_partition_holds_every_row_of_its_keys():
    from segl.compiler.backends.polars.passes import GroupedPass

    rows = pl.LazyFrame({"k": [1, 2, 2, None, 3, 3, 3, 7], "v": [1, 2, 3, 4, 5, 6, 7, 8]})
    grouped = GroupedPass(rows, "k", lambda r: r.group_by("k").agg(pl.col("v").sum()), ("k", "v"))
    parts = [grouped.partition(index, 3).collect() for index in range(3)]
    together = pl.concat(parts).sort("k", nulls_last=True)
    assert together.equals(grouped.result().collect().sort("k", nulls_last=True))
    assert sum(part.height for part in parts) == 5  # each key (null too) in one partition


def test_partitions_from_the_input_size(tmp_path):
    policy = PassPolicy(partition_bytes=1000, max_partitions=4)
    assert policy.partitions(0, 62) == 1
    assert policy.partitions(16, 62) == 1
    assert policy.partitions(17, 62) == 2
    assert policy.partitions(10**9, 62) == 4  # the CPU cap
    assert polars_memory.row_bytes(pl.Schema({"k": pl.Int64, "d": pl.Decimal(15, 2),
                                              "b": pl.Boolean})) == 25


def test_small_sources_stay_one_query(tmp_path):
    pl.DataFrame({"id": [1, 2]}).write_parquet(tmp_path / "c.parquet")
    seg = tmp_path / "m.seg"
    seg.write_text('entity c from parquet "c.parquet" key id\nsegment all = id > 0\n')
    model = compile_file(str(seg)).require_ok()
    plan = plan_for(model, select_segments(model, None), None)
    assert PassPolicy().runner(plan) is None
    assert PassPolicy(min_source_bytes=0).runner(plan) is not None
    assert polars_memory.source_bytes(plan) == (tmp_path / "c.parquet").stat().st_size
