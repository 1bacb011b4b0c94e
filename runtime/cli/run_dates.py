"""`segl run --as-of D1..D2 --every month` (or `--as-of D1,D2,…`, or `--as-of` repeated):
many dates in one run, one pass over each events table (runtime/multi_date.py); the date is
the first column (`as_of`) of the members written, docs/time.md."""

from __future__ import annotations

from datetime import date

import click

from ..errors import UsageError
from .console import console, table

EVERY = ("day", "week", "month", "quarter")


def dates_flags(function):
    """`--as-of DATE|D1..D2|D1,D2,…` (repeatable) and `--every`."""
    function = click.option(
        "--every", type=click.Choice(EVERY),
        help="The step through an --as-of range (default: month); a range starting on a "
             "month's last day keeps to month ends.")(function)
    return click.option(
        "--as-of", "as_of", multiple=True, metavar="DATE|D1..D2|D1,D2,…",
        help="Evaluation date, YYYY-MM-DD or `today` (default: segl.toml's `as_of` when set, "
             "else today); a range "
             "D1..D2 (with --every), a list D1,D2,… or the flag repeated evaluates every "
             "date in one pass, the date first in the output.")(function)


def many_dates(values: tuple[str, ...], every: str | None, today: date) -> list[date] | None:
    """The dates of `--as-of` when it names more than one date written as a range, a list
    or a repeated flag (None: one date, the single-date path). Raises UsageError."""
    from ..timeline import Every, dates

    texts = [part for value in values for part in value.split(",")]
    if every is None and len(texts) <= 1 and not any(".." in text for text in texts):
        return None
    if any(not text.strip() for text in texts):
        raise UsageError("--as-of takes dates separated by commas: D1,D2,…")
    return dates(texts, Every(every) if every else None, today)


def print_date_sizes(evaluation, stream=None) -> None:
    """Entities and members of each segment (and each bucket's entities) per date."""
    from .. import sql

    out = console(stream)
    model = evaluation.compilation.model
    sizes = evaluation.sizes()
    columns = [("as_of", "left"), ("entities", "right"),
               *((name, "right") for name in evaluation.segments)]
    grid = table(*columns, title=f"{evaluation.compilation.path} · {len(evaluation.dates)} "
                                 f"dates · {model.entity.name} entities")
    for day, row in sizes.items():
        grid.add_row(day.isoformat(), f"{row['entities']:,}",
                     *(f"{row[name]:,}" for name in evaluation.segments))
    out.print(grid)
    for name in evaluation.segmentations:
        buckets = [bucket.name for bucket in model.segmentations[name].buckets]
        query = sql.select(sql.col("as_of"), sql.col(name), sql.count_all(),
                           source=sql.table_ref(evaluation.table))
        query = query.group_by(sql.col("as_of"), sql.col(name), copy=False)
        counts = {(row[0], row[1]): int(row[2])
                  for row in sql.fetch_all(evaluation.connection, query)}
        grid = table("as_of", *((bucket, "right") for bucket in buckets),
                     title=f"segmentation {name}")
        for day in evaluation.dates:
            grid.add_row(day.isoformat(), *(f"{counts.get((day, b), 0):,}" for b in buckets))
        out.print(grid)
