"""`segl profile [FILE] SOURCE[.COLUMN]`: what a source's columns hold."""

from __future__ import annotations

import click

from ..errors import UsageError
from .context import (
    db_option,
    param_option,
    parse_params,
    resources_options,
    single_file,
    use_resources,
)
from .exits import reporting
from .tables import Column, Grid, Output, emit, format_option, out_option


def _shown(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _share(part: int, whole: int) -> tuple[float, str]:
    share = part / whole if whole else 0.0
    return share, f"{share:.1%}"


@click.command()
@click.argument("names", nargs=-1, required=True, metavar="[FILE] SOURCE[.COLUMN]")
@click.option("--limit", default=None, type=click.IntRange(min=0),
              help="Values listed: the commonest first (default: 3 per column for a SOURCE, "
                   "20 for a SOURCE.COLUMN).")
@format_option
@out_option
@param_option
@db_option
@resources_options
def profile(names, limit, fmt, out_path, params, database, threads, memory_limit, temp_dir):
    """What a source's columns hold: distinct values with counts, ranges, missing share.

    SOURCE: one row per column (rows, missing, distinct, range, commonest values).
    SOURCE.COLUMN: that column's values with their counts. FILE defaults to segl.toml's
    `entry`. A personal column (`pii`, `sensitive`, or a lookup joined through one) shows
    counts only, never its values or range (docs/privacy.md)."""
    from ..profile import profile as profile_source

    with reporting():
        if len(names) > 2:
            raise UsageError("expected [FILE] SOURCE[.COLUMN]")
        file, name = (None, names[0]) if len(names) == 1 else names
        path, project = single_file(file)
        use_resources(project, (threads, memory_limit, temp_dir))
        one = "." in name
        columns = profile_source(path, name, parse_params(params, project),
                                 database or project.database,
                                 limit if limit is not None else (20 if one else 3))
        emit(column_output(columns[0]) if one else source_output(columns), fmt, out_path)


def source_output(columns) -> Output:
    first = columns[0]
    grid = Grid("columns", [
        Column("column"), Column("type"), Column("missing", numeric=True),
        Column("missing_share", "missing %", numeric=True),
        Column("distinct", numeric=True), Column("min"), Column("max"),
        Column("values", "commonest values"), Column("personal")],
        title=f"{first.table} · {first.rows:,} rows")
    for c in columns:
        values = "(personal: counts only)" if c.personal else ", ".join(
            f"{_shown(v)} ({n:,})" for v, n in c.values)
        grid.add(c.column, c.type, (c.missing, f"{c.missing:,}"),
                 _share(c.missing, c.rows), (c.distinct, f"{c.distinct:,}"),
                 (c.minimum, "" if c.minimum is None else _shown(c.minimum)),
                 (c.maximum, "" if c.maximum is None else _shown(c.maximum)),
                 ([{"value": v, "rows": n} for v, n in c.values], values),
                 (c.personal, c.personal or ""))
    return Output([grid])


def column_output(c) -> Output:
    facts = {"source": c.table, "column": c.column, "type": c.type, "rows": c.rows,
             "missing": c.missing, "missing_share": c.missing_share, "distinct": c.distinct,
             "min": c.minimum, "max": c.maximum, "personal": c.personal}
    lines = [f"{c.table}.{c.column} ({c.type}) · {c.rows:,} rows · "
             f"{c.missing:,} missing ({c.missing_share:.1%}) · {c.distinct:,} distinct"]
    if c.minimum is not None or c.maximum is not None:
        lines.append(f"range: {_shown(c.minimum)} .. {_shown(c.maximum)}")
    if c.personal:
        lines.append(f"personal data ({c.personal}): counts only, its values are not shown")
    grid = Grid("values", [Column("value"), Column("rows", numeric=True),
                           Column("share", numeric=True)], displayed=not c.personal)
    for value, rows in c.values:
        grid.add((value, _shown(value)), (rows, f"{rows:,}"), _share(rows, c.rows))
    shown = sum(rows for _, rows in c.values)
    others = c.rows - c.missing - shown
    if others > 0:
        grid.notes.append(f"… {others:,} rows hold {c.distinct - len(c.values):,} other values")
    return Output([grid], lines, facts)  # (a personal column's grid is empty)
