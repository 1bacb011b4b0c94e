"""`segl profile SOURCE[.COLUMN]`: what a source's columns hold, for writing conditions
(`status`, `event_type`, `campaigns.kind`): rows, missing share, distinct values, the range
of numbers and dates, the commonest values. A personal column (docs/privacy.md) is profiled
by counts only (rows, missing, distinct): its values and range never leave, since no object
with a purpose owns a profile (an `allow` belongs to a segment, KPI or persona)."""

from __future__ import annotations

from dataclasses import dataclass, field

from segl.compiler.api import Model, Table, Type, did_you_mean, personal_column
from sqlglot import exp

from . import sql
from .api import load
from .bad_data import named_data_errors
from .errors import UsageError
from .sources import relation

RANGED = (Type.INT, Type.DECIMAL, Type.FLOAT, Type.DATE, Type.TIMESTAMP)
TOP = 3  # the commonest values shown per column in a source's overview


@dataclass
class ColumnProfile:
    table: str
    column: str
    type: str
    personal: str | None  # the tag (`pii`, `sensitive`, `personal through postcode`)
    rows: int
    missing: int
    distinct: int
    minimum: object = None
    maximum: object = None
    values: list[tuple[object, int]] = field(default_factory=list)  # (value, rows), commonest

    @property
    def missing_share(self) -> float:
        return self.missing / self.rows if self.rows else 0.0


def _personal(model: Model, table: str, column: str) -> str | None:
    found = personal_column(model.table, table, column)
    if found is None:
        return None
    if found.tags:
        return ", ".join(found.tags)
    return f"personal through {found.through.table}.{found.through.column}" \
        if found.through is not None else "personal"


def find_source(model: Model, name: str) -> tuple[Table, list[str]]:
    """`SOURCE` or `SOURCE.COLUMN`: the table and the chosen columns (all when none)."""
    source, _, column = name.partition(".")
    table = next((t for t in model.tables if t.name == source), None)
    if table is None:
        names = [t.name for t in model.tables]
        hint = did_you_mean(source, names)
        raise UsageError(f"no source `{source}`" + (f"; {hint}" if hint else
                                                    f"; sources are: {', '.join(names)}"))
    columns = [c.name for c in table.columns]
    if column and column not in columns:
        hint = did_you_mean(column, columns)
        raise UsageError(f"source `{source}` has no column `{column}`" +
                         (f"; {hint}" if hint else f"; columns are: {', '.join(columns)}"))
    return table, [column] if column else columns


def profile(path: str, name: str, params=None, database=None, limit: int = TOP
            ) -> list[ColumnProfile]:
    """Profile `name` (`SOURCE` or `SOURCE.COLUMN`) of the file's sources, read through
    DuckDB: every row of the source (events after any as_of too). `limit`: the commonest
    values kept per column (none for a personal column)."""
    compilation, connection = load(path, params, database)
    model = compilation.require_ok()
    table, columns = find_source(model, name)
    if not table.locations:
        raise UsageError(f"source `{table.name}` has no location to read")
    source = relation(table.locations[0])
    types = {c.name: c.type for c in table.columns}
    personal = {c: _personal(model, table.name, c) for c in columns}
    with named_data_errors(lambda: [table]):
        counts = [sql.count_all()]
        for column in columns:
            ref = sql.col(column)
            counts += [exp.Count(this=ref.copy()),
                       exp.Count(this=exp.Distinct(expressions=[ref.copy()]))]
            if types[column] in RANGED and not personal[column]:
                counts += [exp.Min(this=ref.copy()), exp.Max(this=ref.copy())]
        row = list(sql.fetch_one(connection, sql.select(*counts, source=source)))
        rows = int(row.pop(0))
        found = []
        for column in columns:
            present, distinct = int(row.pop(0)), int(row.pop(0))
            minimum = maximum = None
            if types[column] in RANGED and not personal[column]:
                minimum, maximum = row.pop(0), row.pop(0)
            values = [] if personal[column] or limit <= 0 else \
                _commonest(connection, source, column, limit)
            found.append(ColumnProfile(table.name, column, str(types[column]),
                                       personal[column], rows, rows - present, distinct,
                                       minimum, maximum, values))
    return found


def _commonest(connection, source: exp.Expression, column: str, limit: int
               ) -> list[tuple[object, int]]:
    """The column's present values by how many rows hold them (then by value)."""
    ref = sql.col(column)
    query = sql.select(ref.copy(), sql.aliased(sql.count_all(), "n"), source=source.copy())
    query = query.where(exp.Not(this=exp.Is(this=ref.copy(), expression=exp.Null())),
                        copy=False).group_by(ref.copy(), copy=False)
    query = query.order_by(exp.Ordered(this=sql.col("n"), desc=True), ref.copy(),
                           copy=False).limit(int(limit), copy=False)
    return [(value, int(n)) for value, n in sql.fetch_all(connection, query)]
