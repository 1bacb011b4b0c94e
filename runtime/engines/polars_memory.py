"""How the Polars engine keeps its peak memory down (issue 15 item 6; bench/polars_memory.py).

segl's Polars query already reads only the columns and row groups it needs (projection and
predicate pushdown into the Parquet scans), aggregates line items per order before joining
them to orders, and collects once. What is left is the engine's own working memory:

- `collect_streaming` runs the query on Polars' streaming engine by name (not whatever
  `auto` picks: the in-memory engine peaks about 20% higher on the benchmark) with morsels of
  `MORSEL_ROWS` rows instead of Polars' 100,000, so fewer rows are in flight between the
  Parquet readers, the joins and the grouped passes at any time;
- `prepare_allocator` asks Polars' allocator (jemalloc) to hand freed pages back to the
  system after `DIRTY_DECAY_MS` and at once from the muzzy state, instead of the 500 ms and
  1 s Polars' own `__init__` sets: the query runs in a dozen phases, and memory one phase
  freed is otherwise still resident while the next one allocates. Polars' `__init__` appends
  `_RJEM_MALLOC_CONF` to its own defaults (later settings win) and jemalloc reads the result
  once, when Polars starts: it is set only while Polars is not imported yet and the user has
  not set the variable themselves. Shorter still (0 ms) saves more memory but costs about a
  third more CPU; 100 ms costs no measurable CPU.

Neither changes a result: the output is sorted by key and every sum and average is exact.
This module does not import Polars until a query is collected.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars

MORSEL_ROWS = 50_000
DIRTY_DECAY_MS = 100
ALLOCATOR_VARIABLE = "_RJEM_MALLOC_CONF"   # jemalloc as Polars links it (prefix `_rjem_`)
ALLOCATOR_SETTING = f"dirty_decay_ms:{DIRTY_DECAY_MS},muzzy_decay_ms:0"


def prepare_allocator() -> bool:
    """Set the allocator's decay before Polars starts; True when it was set now. Nothing
    when Polars is already imported (too late) or the variable is already set (the user's)."""
    if "polars" in sys.modules or ALLOCATOR_VARIABLE in os.environ:
        return False
    os.environ[ALLOCATOR_VARIABLE] = ALLOCATOR_SETTING
    return True


def collect_streaming(frame: polars.LazyFrame) -> polars.DataFrame:
    """The query's rows, from Polars' streaming engine with `MORSEL_ROWS`-row morsels."""
    import polars

    with polars.Config(streaming_chunk_size=MORSEL_ROWS):
        return frame.collect(engine="streaming")
