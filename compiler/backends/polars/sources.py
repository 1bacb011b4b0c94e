"""How Polars reads a source: lazily, CSV columns typed as the model says, names selected
exactly (a backquoted `.seg` name may look like a regular expression to `pl.col`)."""

from __future__ import annotations

import glob

import polars as pl
import polars.selectors as cs

from ... import ir
from ... import model as m

T = ir.Type

# segl types as Polars types, for columns read from CSV (typed by DuckDB's sniffer, whose
# types the model records) and for typed missing values.
POLARS_TYPES: dict[T, pl.DataType] = {
    T.INT: pl.Int64(), T.DECIMAL: pl.Decimal(38, 9), T.FLOAT: pl.Float64(), T.TEXT: pl.String(),
    T.BOOL: pl.Boolean(), T.DATE: pl.Date(), T.TIMESTAMP: pl.Datetime("us"),
}
# Float sums and averages are exact decimals: DuckDB's DECIMAL(38, 9).


def qualified(table: str, column: str) -> str:
    """A column's name in the row frames of an aggregation (tables joined side by side).
    A backquote is in no name the language accepts, so no two pairs give the same name
    (with a dot, table `a.b` column `c` and table `a` column `b.c` would)."""
    return f"{table}`{column}"


def column_named(name: str) -> pl.Expr:
    """A column by its exact name. pl.col reads `*` as every column and `^…$` as a regular
    expression, and a backquoted name in a .seg file may be either: such a name is selected
    by name instead."""
    if name == "*" or (name.startswith("^") and name.endswith("$")):
        return cs.by_name(name).as_expr()
    return pl.col(name)


def scan_source(table: m.Table) -> pl.LazyFrame | None:
    """The table's first file location, lazily (None when it has none Polars reads); CSV
    columns get the model's types. (The runtime also scans one source alone to name the
    one that cannot be read.)"""
    for location in table.locations:
        path = location.path or location.target
        if location.kind == "parquet":
            return pl.scan_parquet(path)
        if location.kind == "csv":
            frame = pl.scan_csv(path, separator=csv_separator(path), try_parse_dates=True,
                                infer_schema_length=10_000)
            casts = {c.name: POLARS_TYPES[c.type] for c in table.columns
                     if c.type in POLARS_TYPES}
            schema = frame.collect_schema()
            return frame.with_columns([column_named(name).cast(kind) for name, kind in
                                       casts.items() if name in schema])
    return None


# The separators DuckDB's CSV sniffer chooses from. Polars has no sniffer: without the
# separator a `;`-separated file (common where `,` is the decimal comma) reads as one column.
CSV_SEPARATORS = (",", ";", "\t", "|")


def csv_separator(path: str) -> str:
    """The separator a CSV file's header line uses most (`,` when it uses none)."""
    files = sorted(glob.glob(path)) or [path]
    try:
        with open(files[0], encoding="utf-8", errors="replace", newline="") as stream:
            header = stream.readline()
    except OSError:
        return ","  # Polars' own error names the file
    return max(CSV_SEPARATORS, key=lambda separator: (header.count(separator),
                                                       -CSV_SEPARATORS.index(separator)))

