"""Run a plan on Polars: the lazy query compiled by `compiler/to_polars.py`, collected."""

from __future__ import annotations

import datetime

import polars
from segl.compiler.api import Compilation, Plan, polars_query

from ..bad_data import explain_failure
from ..errors import DataError
from .loading import tables_read


def run_members(compilation: Compilation, plan: Plan, as_of: datetime.date) -> polars.DataFrame:
    """One row per entity, ordered by key: the key, one Boolean column per segment, one
    text column per segmentation (the bucket name), the score columns (`rfm__r`) and the
    KPI components: the columns of the DuckDB query, with the same names, in its order.
    Raises CompileError for what Polars cannot express, DataError when the data cannot be
    read."""
    try:
        query = polars_query(plan, as_of)
        frame = query.frame.collect()
    except (polars.exceptions.PolarsError, polars.exceptions.PanicException, OSError) as exc:
        # (A damaged Parquet page can make Polars panic: a BaseException, caught here too.)
        tables = [plan.model.table(name) for name in tables_read(plan)]
        raise DataError(explain_failure(tables, exc, "polars")) from None
    # (by exact name: select() would read a segment named `*` as every column)
    return polars.DataFrame([frame.get_column(name) for name in query.columns])
