"""Run a plan on Polars: the lazy query compiled by `compiler/to_polars.py`, collected on the
streaming engine (`polars_memory.py`)."""

from __future__ import annotations

import datetime

import polars
from segl.compiler.api import AsOf, Compilation, Plan, polars_query

from ..bad_data import explain_failure
from ..errors import DataError
from .loading import tables_read
from .polars_memory import FINAL_MORSEL_ROWS, POLICY, collect_streaming


def run_members(compilation: Compilation, plan: Plan,
                as_of: datetime.date | AsOf) -> polars.DataFrame:
    """One row per entity, ordered by key: the key, one Boolean column per segment, one
    text column per segmentation (the bucket name), the score columns (`rfm__r`) and the
    KPI components: the columns of the DuckDB query, with the same names, in its order.
    Raises CompileError for what Polars cannot express, DataError when the data cannot be
    read. Many dates (`AsOf.many`): the frames of each date, the date first (`as_of`):
    the Polars backend folds a known date into every window, so it evaluates date by date
    (docs/time.md)."""
    if isinstance(as_of, AsOf):
        if not as_of.dated:
            return run_members(compilation, plan, as_of.value)
        return polars.concat([
            run_members(compilation, plan, day).select(
                polars.lit(day, dtype=polars.Date).alias("as_of"), polars.all())
            for day in as_of.dates])
    try:
        query = polars_query(plan, as_of)  # (raises CompileError before any data is read)
        runner = POLICY.runner(plan)
        if runner is not None:  # large sources: the passes one by one (polars_memory.py)
            query = polars_query(plan, as_of, runner)
        # (runtime/engines/polars_memory.py; after the passes, smaller morsels)
        frame = collect_streaming(query.frame, FINAL_MORSEL_ROWS if runner else None)
    except (polars.exceptions.PolarsError, polars.exceptions.PanicException, OSError) as exc:
        # (A damaged Parquet page can make Polars panic: a BaseException, caught here too.)
        tables = [plan.model.table(name) for name in tables_read(plan)]
        raise DataError(explain_failure(tables, exc, "polars")) from None
    # (by exact name: select() would read a segment named `*` as every column)
    return polars.DataFrame([frame.get_column(name) for name in query.columns])
