"""One evaluation per date, each exactly `segl run --as-of D` (docs/time.md): what the KPIs
over a range (`segl kpis`, `segl report`: `kpi_trend.py`) fall back to on Polars, for a file
the one pass refuses (E301) and for a date without any entity. Everything else evaluates its
dates in one pass (`multi_date.py`, `kpi_dates.py`; issue 11 item 2)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import date
from pathlib import Path

import duckdb
from segl.compiler.api import Compilation

from . import api
from .api import Evaluation

Progress = Callable[[str], None] | None


def each_date(path: str | Path, days: Sequence[date], segments: list[str] | None = None,
              params: dict[str, str] | None = None, database: str | None = None,
              engine: str = "duckdb", engine_options: dict[str, object] | None = None,
              kpis: bool = False, progress: Progress = None,
              compilation: Compilation | None = None,
              connection: duckdb.DuckDBPyConnection | None = None) -> Iterator[Evaluation]:
    """The evaluation at each of `days`, in date order, on one compilation and one DuckDB
    connection (given, or loaded here). Each evaluation's members table is replaced by the
    next one's: read it before asking for the next."""
    if compilation is None or connection is None:
        compilation, connection = api.load(path, params, database)
    compilation.require_ok()
    ordered = sorted(days)
    for number, day in enumerate(ordered, 1):
        if progress:
            progress(f"Evaluating as_of {day} ({number} of {len(ordered)})…")
        yield api.evaluate(path, day, segments, compilation=compilation,
                           connection=connection, kpis=kpis, engine=engine,
                           engine_options=engine_options)
