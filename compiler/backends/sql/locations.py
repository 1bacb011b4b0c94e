"""Where a declared location is read from, as a FROM-clause item in any dialect: the one
place the runtime's own queries (exports' suppression lists, the prepared layout, engine
loading) turn a `Location` into SQL."""

from __future__ import annotations

from sqlglot import exp

from ... import model as m
from .dialects import rules_for
from .trees import table_function, table_ref


def location_relation(location: m.Location, dialect: str = "duckdb",
                      alias: str | None = None) -> exp.Expression:
    """A FROM-clause item reading one declared location in a dialect, `AS alias` when
    given: the table by its name's parts, or the dialect's file reader with the path as a
    string literal (DuckDB: `read_parquet('…')`). Raises ValueError for a location the
    compiler refused (E107) or a file kind the dialect does not read."""
    rules = rules_for(dialect)
    if location.kind == "table":
        if not location.table:
            raise ValueError(f"`{location.target}` is not a table name")
        source: exp.Expression = table_ref(*location.table)
    elif location.path is None or rules.file_reader is None or \
            location.kind not in rules.file_kinds:
        raise ValueError(f"the {dialect} dialect cannot read this {location.kind} location")
    else:
        source = rules.file_reader(location.kind, location.path)
    return table_function(source, alias) if alias else source
