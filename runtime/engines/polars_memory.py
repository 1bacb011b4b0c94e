"""How the Polars engine keeps its peak memory down (issue 15 item 6; bench/polars_memory.py).

segl's Polars query already reads only the columns and row groups it needs (projection and
predicate pushdown into the Parquet scans), aggregates line items per order before joining
them to orders, and collects once. What is left is the engine's own working memory:

- `collect_streaming` runs the query on Polars' streaming engine by name (not whatever
  `auto` picks: the in-memory engine peaks about 20% higher on the benchmark) with morsels of
  `MORSEL_ROWS` rows instead of Polars' 100,000, so fewer rows are in flight between the
  Parquet readers, the joins and the grouped passes at any time; the final collect (the
  query after the grouped passes, when they run alone) with `FINAL_MORSEL_ROWS`: once the
  passes are collected it peaks highest, and its rows are per entity;
- `prepare_allocator` asks Polars' allocator (jemalloc) to hand freed pages back to the
  system after `DIRTY_DECAY_MS` and at once from the muzzy state, instead of the 500 ms and
  1 s Polars' own `__init__` sets, and to keep one arena (`narenas:1`) instead of four per
  CPU: the query runs in a dozen phases, and memory one phase freed is otherwise
  still resident (or held by another thread's arena) while the next one allocates.
  Polars' `__init__` appends `_RJEM_MALLOC_CONF` to its own defaults (later settings win)
  and jemalloc reads the result once, when Polars starts: it is set only while Polars is
  not imported yet and the user has not set the variable themselves. Shorter still (0 ms)
  saves 15-25 MiB more at TPC-H SF1 but about doubles the CPU; 100 ms and one arena cost
  no measurable CPU.

- `PassPolicy.runner` runs the grouped passes one at a time when the sources are large:
  Polars' streaming `group_by` keeps the rows of keys it has not pre-aggregated until its
  input ends (pola-rs/polars#22285), about every row when entities have a few events each,
  so one query holding every pass peaks at the sum of their inputs. Run alone, a pass is
  also split into K partitions of its key (`hash(key) % K`) when its input (rows counted
  first, times the width of the columns its aggregates read) exceeds `partition_bytes`:
  each partition decodes the pass's columns again (CPU) and holds a K-th of the rows
  (`compiler/backends/polars/passes.py` says why the groups are the same).

None changes a result: the output is sorted by key, every sum and average is exact, and a
partitioned pass computes each group from the same rows.
This module does not import Polars until a query is collected.
"""

from __future__ import annotations

import math
import os
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..locations import source_bytes

if TYPE_CHECKING:
    import polars
    from segl.compiler.api import GroupedPass, PassRunner, Plan

MORSEL_ROWS = 50_000
# the final collect (entity rows, lookups, the passes' results joined, rankings) peaks
# highest once the passes run alone; its inputs are per entity, so smaller morsels cost
# little CPU there (bench/README.md, "Polars memory")
FINAL_MORSEL_ROWS = 10_000
DIRTY_DECAY_MS = 100
ALLOCATOR_VARIABLE = "_RJEM_MALLOC_CONF"   # jemalloc as Polars links it (prefix `_rjem_`)
# one arena: freed pages of one thread's phase are reused by the next phase's threads
# instead of each thread's arena holding its own
ALLOCATOR_SETTING = f"narenas:1,dirty_decay_ms:{DIRTY_DECAY_MS},muzzy_decay_ms:0"


def prepare_allocator() -> bool:
    """Set the allocator's decay before Polars starts; True when it was set now. Nothing
    when Polars is already imported (too late) or the variable is already set (the user's)."""
    if "polars" in sys.modules or ALLOCATOR_VARIABLE in os.environ:
        return False
    os.environ[ALLOCATOR_VARIABLE] = ALLOCATOR_SETTING
    return True


def collect_streaming(frame: polars.LazyFrame, morsel_rows: int | None = None
                      ) -> polars.DataFrame:
    """The query's rows, from Polars' streaming engine with morsels of `morsel_rows` rows
    (`MORSEL_ROWS` when not given)."""
    import polars

    with polars.Config(streaming_chunk_size=morsel_rows or MORSEL_ROWS):
        return frame.collect(engine="streaming")


@dataclass(frozen=True)
class PassPolicy:
    """When the passes run one by one, and in how many partitions (bench/polars_memory.py)."""

    # below this much source data (the files the plan reads) the query stays one lazy
    # query: the passes' inputs are small and every separate collect has a fixed cost
    min_source_bytes: int = 64 << 20
    # a pass whose grouped input is larger is split so that each partition holds about this
    partition_bytes: int = 32 << 20
    # each partition decodes the pass's columns again: the CPU this costs is capped
    max_partitions: int = 4

    def partitions(self, rows: int, row_bytes: int) -> int:
        return max(1, min(self.max_partitions, math.ceil(rows * row_bytes /
                                                         self.partition_bytes)))

    def runner(self, plan: Plan) -> PassRunner | None:
        """How `run_members` runs the passes of `plan`: None (one lazy query) when its
        sources are small."""
        if source_bytes(plan) < self.min_source_bytes:
            return None
        return lambda grouped: run_pass(grouped, self)


POLICY = PassPolicy()
# bytes per row Polars holds for a column of each kind (strings: the view and some text)
_WIDTHS = {"Boolean": 1, "Int8": 1, "UInt8": 1, "Int16": 2, "UInt16": 2, "Int32": 4,
           "UInt32": 4, "Float32": 4, "Date": 4, "Int128": 16, "UInt128": 16, "Decimal": 16,
           "String": 24, "Binary": 24}


def row_bytes(schema: polars.Schema) -> int:
    return sum(_WIDTHS.get(type(kind).__name__, 8) for kind in schema.dtypes())


def run_pass(grouped: GroupedPass, policy: PassPolicy = POLICY) -> polars.LazyFrame:
    """One grouped pass, collected on its own (in partitions when its input is large);
    its rows as a lazy frame for the rest of the query to read."""
    import polars

    inputs = grouped.rows.select(grouped.inputs)
    rows = collect_streaming(inputs.select(polars.len())).item()
    count = policy.partitions(rows, row_bytes(inputs.collect_schema()))
    if count == 1:
        return collect_streaming(grouped.result()).lazy()
    parts = [collect_streaming(grouped.partition(index, count)) for index in range(count)]
    return polars.concat(parts, how="vertical").lazy()
