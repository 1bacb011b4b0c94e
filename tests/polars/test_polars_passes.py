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
from segl.runtime.locations import source_bytes

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
    assert source_bytes(plan) == (tmp_path / "c.parquet").stat().st_size


def test_through_tables_most_frequent_and_first_last_partitioned(tmp_path, monkeypatch,
                                                                 passes_seen):
    """What the examples' segments do not reach: a table reached through another (partial
    aggregates per order, finished per customer), most_frequent, first and last, a lookup
    off an events table, a ranking over every customer, on generated data with ties."""
    import random

    rng = random.Random(15)
    customers = 60
    pl.DataFrame({"id": range(customers), "region": [rng.choice("NSEW") for _ in
                                                      range(customers)]}
                 ).write_parquet(tmp_path / "c.parquet")
    orders = pl.DataFrame({
        "order_id": range(400), "cid": [rng.randrange(customers + 3) for _ in range(400)],
        "at": [date(2026, 1, 1) + (date(2026, 6, 1) - date(2026, 1, 1)) * rng.random()
               for _ in range(400)],
        "channel": [rng.choice(["web", "app", "store", None]) for _ in range(400)]})
    orders.write_parquet(tmp_path / "o.parquet")
    pl.DataFrame({"oid": [rng.randrange(410) for _ in range(1500)],
                  "sku": [rng.randrange(12) for _ in range(1500)],
                  "qty": [rng.choice([1, 2, 3, None]) for _ in range(1500)],
                  "shipped": [date(2026, 1, 1) + (date(2026, 7, 1) - date(2026, 1, 1))
                              * rng.random() for _ in range(1500)]}
                 ).write_parquet(tmp_path / "l.parquet")
    pl.DataFrame({"sku": range(12), "kind": [rng.choice(["a", "b"]) for _ in range(12)]}
                 ).write_parquet(tmp_path / "p.parquet")
    seg = tmp_path / "m.seg"
    seg.write_text(
        'entity c from parquet "c.parquet" key id\n'
        'events o from parquet "o.parquet" key cid at at\n'
        'events l from parquet "l.parquet" through o on oid = order_id at shipped\n'
        'lookup p from parquet "p.parquet" key sku for l.sku\n'
        'feature fav = most_frequent(o.channel)\n'
        'feature first_ch = first(o.channel)\n'
        'feature last_ch = last(o.channel) in last 60 days\n'
        'feature qty_a = sum(l.qty where p.kind = "a") in last 90 days\n'
        'feature lines = count(l)\n'
        'segment web_fan = fav = "web"\n'
        'segment app_first = first_ch = "app" and not (last_ch = "app")\n'
        'segment bulk = qty_a >= 6\n'
        'segment many_lines = top 25% by lines\n')
    whole, _ = members(seg, monkeypatch, PassPolicy())
    split, _ = members(seg, monkeypatch, FORCED)
    assert split.equals(whole)
    assert whole.select(pl.exclude("id").sum()).row(0) != (0, 0, 0, 0)  # not all empty
    assert len(passes_seen) >= 4  # orders, most_frequent, the line items' two passes
