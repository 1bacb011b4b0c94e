"""Plan -> Polars: one lazy query (scans, joins, `group_by().agg()`, `pl.when`), built from
the plan directly, never through Polars' SQL interface.

Mirrors `to_sql.py`, whose semantics it must reproduce exactly: one method per IR node kind
(`value_<Node>`), the same aggregation passes (one grouped pass per events table, partial
aggregates of a `through` table folded into the pass over the table it is reached through,
lookup-only expressions computed once per lookup row), and the same rules for windows,
zeros, nulls, ranking, scores and exact arithmetic. Where the engines differ by default the
expression written here is what makes Polars agree with DuckDB:

- float values are summed and averaged as DECIMAL(38, 9) after rounding each value half
  away from zero (Polars' own cast rounds half to even);
- `/` divides as doubles with x / 0 missing (what DuckDB does with its decimal division);
- `top`/`bottom` number the entities in one total order (eligible first, value, key);
- ntile and quantile scores are computed with DuckDB's integer formulas.

A construct Polars cannot express raises CompileError (E301) at the `.seg` position.
"""

from __future__ import annotations

import glob
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction

import polars as pl
import polars.selectors as cs

from . import ir
from . import model as m
from .codes import Code
from .diagnostics import CompileError, Diagnostic, error
from .plan import Aggregation, Computed, Measure, Plan, feature_table_name
from .to_sql import _lookup_expressions, shift_date

T = ir.Type
ENGINE = "polars"

# segl types as Polars types, for columns read from CSV (typed by DuckDB's sniffer, whose
# types the model records) and for typed missing values.
POLARS_TYPES: dict[T, pl.DataType] = {
    T.INT: pl.Int64(), T.DECIMAL: pl.Decimal(38, 9), T.FLOAT: pl.Float64(), T.TEXT: pl.String(),
    T.BOOL: pl.Boolean(), T.DATE: pl.Date(), T.TIMESTAMP: pl.Datetime("us"),
}
# Float sums and averages are exact decimals: DuckDB's DECIMAL(38, 9).
SUM_DECIMAL = pl.Decimal(38, 9)
_NANO = Decimal("0.000000001")
_OFFSET_UNITS = {"day": "d", "week": "w", "month": "mo", "year": "y"}
_COMBINE = {"count": "sum", "sum": "sum", "min": "min", "max": "max"}
_REGEX_META = set("\\.+*?()|[]{}^$")


@dataclass(frozen=True)
class PolarsQuery:
    """The compiled query: `frame` is lazy; collecting it returns one row per entity,
    ordered by key, with the same columns (names and order) as the SQL query."""

    frame: pl.LazyFrame
    columns: tuple[str, ...]


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


def generate_polars(plan: Plan, as_of: date) -> PolarsQuery:
    """The whole plan as one lazy Polars query, for a fixed as_of date."""
    return PolarsGenerator(plan, as_of).query()


class PolarsGenerator:
    def __init__(self, plan: Plan, as_of: date) -> None:
        self.plan = plan
        self.model = plan.model
        self.as_of = as_of
        self.errors: list[Diagnostic] = []
        # inside an aggregation: columns are qualified `table.column` in the row frame
        self.scope_table: str | None = None
        self.defaulted_measures = {m.name for a in plan.aggregations for m in a.measures
                                   if m.empty is not None}
        # lookup-only expressions computed in a lookup's frame -> the column holding them
        self.lookup_values: dict[ir.Expr, pl.Expr] = {}
        self.schemas: dict[str, pl.Schema] = {}

    # ---------------------------------------------------------------- the query
    def query(self) -> PolarsQuery:
        partials = {a.table: self.pre_aggregation(a) for a in self.plan.aggregations
                    if a.partial}
        grouped = {a.table: self.aggregation(a, partials) for a in self.plan.aggregations}
        frame = self.base(grouped)
        for step in self.plan.steps:
            frame = frame.with_columns([self.column_value(c).alias(c.name)
                                        for c in step.columns])
        key = self.plan.key
        outputs = [column_named(key)]
        outputs += [column_named(name) for name in (*self.plan.outputs, *self.plan.segmentations)]
        outputs += [column_named(computed).alias(output)
                    for output, computed in self.plan.score_outputs]
        outputs += [column_named(name) for name in self.plan.kpi_components]
        if self.errors:
            raise CompileError(sorted(self.errors, key=lambda d: d.span.start if d.span else 0))
        final = frame.select(outputs).sort(column_named(key))
        columns = (key, *self.plan.outputs, *self.plan.segmentations,
                   *(output for output, _ in self.plan.score_outputs),
                   *self.plan.kpi_components)
        return PolarsQuery(final, columns)

    def column_value(self, column: Computed) -> pl.Expr:
        if column.kind in ("segment", "rank"):
            # Membership is true or false, never null: a null predicate does not admit.
            return self.value(column.expr).fill_null(False)
        return self.value(column.expr)

    # ---------------------------------------------------------------- sources
    def scan(self, table: m.Table) -> pl.LazyFrame:
        """The table's first file location, lazily; CSV columns get the model's types."""
        frame = scan_source(table)
        if frame is not None:
            return frame
        kinds = sorted({loc.kind for loc in table.locations})
        if any(f"`{table.name}` from a" in d.message for d in self.errors):
            return pl.LazyFrame()  # reported once per source
        self.errors.append(error(
            Code.E301, f"the {ENGINE} engine cannot read `{table.name}` from a "
            f"{' or '.join(kinds)} location",
            table.locations[0].span if table.locations else table.span,
            "add a parquet or csv location for it, or run with --engine duckdb"))
        return pl.LazyFrame()

    def schema(self, table: m.Table) -> pl.Schema:
        if table.name not in self.schemas:
            try:
                self.schemas[table.name] = self.scan(table).collect_schema()
            except pl.exceptions.PolarsError:
                self.schemas[table.name] = pl.Schema()
        return self.schemas[table.name]

    def read(self, table: m.Table, columns: list[str], rename=None) -> pl.LazyFrame:
        """Only the given columns of a table, renamed by `rename(column)`."""
        available = self.schema(table)
        names = [c for c in dict.fromkeys(columns) if c in available or not available]
        for name in names:
            kind = available.get(name)
            if isinstance(kind, pl.Datetime) and kind.time_zone and not any(
                    f"`{table.name}.{name}`" in d.message for d in self.errors):
                # DuckDB converts with its session time zone; Polars would refuse to compare.
                self.errors.append(error(
                    Code.E301, f"the {ENGINE} engine cannot compare `{table.name}.{name}`, a "
                    f"timestamp with time zone {kind.time_zone}, with segl's plain timestamps",
                    table.locations[0].span if table.locations else table.span,
                    "store naive timestamps in the business time zone, or run with "
                    "--engine duckdb"))
        return self.scan(table).select([column_named(c).alias(rename(c) if rename else c)
                                        for c in names])

    # ---------------------------------------------------------------- the entity row
    def base(self, grouped: dict[str, list[pl.LazyFrame]]) -> pl.LazyFrame:
        entity = self.model.entity
        owners = [self.model.lookups[name].owner_column or "" for name in self.plan.lookups
                  if self.model.lookups[name].owner == entity.name]
        frame = self.read(entity, [*self.plan.entity_columns, *owners])
        frame = self.join_lookups(frame, self.plan.lookups, [],
                                  lambda table, column: column if table == entity.name
                                  else feature_table_name(table, column))
        keep = [column_named(c) for c in self.plan.entity_columns]
        keep += [column_named(feature_table_name(lookup, column))
                 for lookup, column in self.plan.lookup_columns]
        frame = frame.select(keep)
        key = self.plan.key
        for aggregation in self.plan.aggregations:
            for result in grouped[aggregation.table]:
                frame = self.left_join(frame, result, column_named(key),
                                       pl.col("_key")).drop("_key")
        defaults = []
        for aggregation in self.plan.aggregations:
            for measure in aggregation.measures:
                if measure.empty is not None:
                    defaults.append(column_named(measure.name).fill_null(self.value(measure.empty)))
        return frame.with_columns(defaults) if defaults else frame

    def left_join(self, left: pl.LazyFrame, right: pl.LazyFrame, left_on: pl.Expr,
                  right_on: pl.Expr, how: str = "left") -> pl.LazyFrame:
        """A SQL join: null keys match nothing; integer keys of different widths match by
        value (Polars joins only keys of one type)."""
        left_type = left.select(left_on).collect_schema().dtypes()[0]
        right_type = right.select(right_on).collect_schema().dtypes()[0]
        if left_type != right_type:
            common = pl.Int64 if left_type.is_integer() and right_type.is_integer() \
                else left_type
            left_on, right_on = left_on.cast(common), right_on.cast(common)
        return left.join(right, left_on=left_on, right_on=right_on, how=how,
                         coalesce=False, maintain_order="none")  # the result is sorted by key

    def join_lookups(self, frame: pl.LazyFrame, lookups: tuple[str, ...],
                     measures: list[Measure], naming) -> pl.LazyFrame:
        """LEFT JOIN each lookup, its columns named `naming(lookup, column)`. An expression of
        the measures that reads one lookup's columns only (`part.p_type like "%BRASS%"`) is
        computed in that lookup's frame, once per lookup row instead of once per event row."""
        precomputed = _lookup_expressions(measures, set(lookups))
        self.lookup_values = {}
        needed = self.columns_read(measures)
        for name in lookups:
            lookup = self.model.lookups[name]
            columns = [lookup.key or ""]
            columns += [column for table, column in needed if table == name]
            columns += [column for table, column in self.plan.lookup_columns if table == name]
            columns += [other.owner_column or "" for other in self.model.lookups.values()
                        if other.owner == name and other.name in lookups]
            right = self.read(lookup, columns, lambda column, name=name: naming(name, column))
            mine = [(expr, alias) for expr, (owner, alias) in precomputed.items() if owner == name]
            if mine:
                saved, self.scope_table = self.scope_table, name
                right = right.with_columns([self.value(expr).alias(alias) for expr, alias in mine])
                self.scope_table = saved
                for expr, alias in mine:
                    self.lookup_values[expr] = column_named(alias)
            owner_column = naming(lookup.owner or "", lookup.owner_column or "")
            frame = self.left_join(frame, right, column_named(owner_column),
                                   column_named(naming(name, lookup.key or "")))
        return frame

    def columns_read(self, measures: list[Measure]) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        for measure in measures:
            for part in (measure.aggregate.arg, measure.aggregate.filter):
                if part is not None:
                    for node in part.walk():
                        if isinstance(node, ir.Column) and (node.table, node.name) not in found:
                            found.append((node.table, node.name))
        return found

    # ---------------------------------------------------------------- aggregations
    def event_rows(self, table: m.Table, lookups: tuple[str, ...],
                   measures: list[Measure], extra: tuple[str, ...] = ()
                   ) -> tuple[pl.LazyFrame, pl.Expr]:
        """The events table (joined through its via table and to its lookups), every row
        after as_of removed, columns qualified; returns the frame and the entity key."""
        needed = self.columns_read(measures)
        own = [column for t, column in needed if t == table.name]
        keys = [table.entity_key, table.time_column, table.through_column, *extra]
        frame = self.read(table, [*(k for k in keys if k), *own,
                                  *self.lookup_owner_columns(table.name, lookups)],
                          lambda column: qualified(table.name, column))
        if table.time_column:
            frame = frame.filter(self.before_upper(table))
        key = column_named(qualified(table.name, table.entity_key or ""))
        if table.through:
            via = self.model.events[table.through]
            via_columns = [via.entity_key, via.time_column, table.through_via_column]
            via_columns += [column for t, column in needed if t == via.name]
            via_columns += self.lookup_owner_columns(via.name, lookups)
            right = self.read(via, [c for c in via_columns if c],
                              lambda column: qualified(via.name, column))
            if via.time_column:
                right = right.filter(self.before_upper(via))
            frame = self.left_join(
                frame, right, column_named(qualified(table.name, table.through_column or "")),
                column_named(qualified(via.name, table.through_via_column or "")), how="inner")
            key = column_named(qualified(via.name, via.entity_key or ""))
        frame = self.join_lookups(frame, lookups, measures, qualified)
        return frame, key

    def lookup_owner_columns(self, table: str, lookups: tuple[str, ...]) -> list[str]:
        return [self.model.lookups[name].owner_column or "" for name in lookups
                if self.model.lookups[name].owner == table]

    def aggregation(self, aggregation: Aggregation,
                    partials: dict[str, pl.LazyFrame]) -> list[pl.LazyFrame]:
        """Frames of `_key` and measure columns for the entity row to LEFT JOIN: the one
        grouped pass, plus one frame per most_frequent measure."""
        table = self.model.events[aggregation.table]
        self.scope_table = table.name
        results: list[pl.LazyFrame] = []
        grouped = [m for m in aggregation.measures if m.aggregate.func != "most_frequent"]
        folded = [a for a in self.plan.aggregations if a.fold_into == table.name]
        if aggregation.fold_into:
            pass  # finished inside the pass over the table it is reached through
        elif grouped and aggregation.partial:
            results.append(self.finish_partial(aggregation, table, partials[table.name]))
        elif grouped:
            via_columns = tuple(self.model.events[a.table].through_via_column or ""
                                for a in folded)
            rows, key = self.event_rows(table, aggregation.lookups, grouped, via_columns)
            if not folded:
                prefilter = self.prefilter(table, grouped)
                if prefilter is not None:
                    rows = rows.filter(prefilter)
            combined: list[pl.Expr] = []
            for other in folded:
                via_column = self.model.events[other.table].through_via_column or ""
                rows = self.left_join(rows, partials[other.table],
                                      column_named(qualified(table.name, via_column)),
                                      pl.col("_via"))
                for measure in other.measures:
                    total = getattr(column_named(measure.name), _COMBINE[measure.aggregate.func])()
                    combined.append(total.alias(measure.name))
            parts = [self.measure(table, measure) for measure in grouped]
            rows = rows.with_columns([c for inputs, _ in parts for c in inputs])
            aggregates = [aggregate.alias(m.name) for m, (_, aggregate) in zip(grouped, parts,
                                                                               strict=True)]
            results.append(rows.group_by(key.alias("_key")).agg([*aggregates, *combined]))
        for measure in aggregation.measures:
            if measure.aggregate.func == "most_frequent":
                results.append(self.most_frequent(table, measure, aggregation.lookups))
        self.scope_table = None
        return results

    def pre_aggregation(self, aggregation: Aggregation) -> pl.LazyFrame:
        """Partial results per join key of a table reached through another (count, sum,
        min, max): far fewer rows to join than the table itself."""
        table = self.model.events[aggregation.table]
        self.scope_table = table.name
        measures = list(aggregation.measures)
        needed = self.columns_read(measures)
        own = [column for t, column in needed if t == table.name]
        frame = self.read(table, [c for c in (table.through_column, table.time_column) if c]
                          + own + self.lookup_owner_columns(table.name, aggregation.lookups),
                          lambda column: qualified(table.name, column))
        frame = self.join_lookups(frame, aggregation.lookups, measures, qualified)
        conditions = []
        if table.time_column:
            conditions.append(self.before_upper(table))
        prefilter = self.prefilter(table, measures)
        if prefilter is not None:
            conditions.append(prefilter)
        if conditions:
            frame = frame.filter(pl.all_horizontal(conditions))
        join_key = column_named(qualified(table.name, table.through_column or "")).alias("_via")
        parts = [self.measure(table, measure) for measure in measures]
        frame = frame.with_columns([c for inputs, _ in parts for c in inputs])
        result = frame.group_by(join_key).agg(
            [aggregate.alias(m.name) for m, (_, aggregate) in zip(measures, parts, strict=True)])
        self.scope_table = None
        return result

    def finish_partial(self, aggregation: Aggregation, table: m.Table,
                       partial: pl.LazyFrame) -> pl.LazyFrame:
        """Join the partial results to the table they are reached through; add them up."""
        via = self.model.events[table.through or ""]
        right = self.read(via, [c for c in (via.entity_key, via.time_column,
                                            table.through_via_column) if c],
                          lambda column: qualified(via.name, column))
        if via.time_column:
            right = right.filter(self.before_upper(via))
        rows = self.left_join(partial, right, pl.col("_via"),
                              column_named(qualified(via.name, table.through_via_column or "")),
                              how="inner")
        totals = [getattr(column_named(m.name), _COMBINE[m.aggregate.func])().alias(m.name)
                  for m in aggregation.measures]
        return rows.group_by(column_named(qualified(via.name, via.entity_key or "")).alias("_key")
                             ).agg(totals)

    def prefilter(self, table: m.Table, measures: list[Measure]) -> pl.Expr | None:
        """Rows no measure can use, left out before aggregating (see to_sql.prefilter)."""
        conditions = [self.measure_condition(table, m) for m in measures]
        if any(c is None for c in conditions):
            return None
        starts = [self.window_start(m.aggregate.window) for m in measures]
        parts: list[pl.Expr] = []
        if table.time_column and all(s is not None for s in starts):
            parts.append(self.time_column(table) >= self.bound(table, min(starts)))
            if all(m.aggregate.filter is None and isinstance(m.aggregate.window, ir.WindowLast)
                   for m in measures):
                return parts[0]
        unique: dict[str, pl.Expr] = {}
        for condition in conditions:
            unique.setdefault(str(condition), condition)
        parts.append(pl.any_horizontal(list(unique.values())) if len(unique) > 1
                     else next(iter(unique.values())))
        return pl.all_horizontal(parts) if len(parts) > 1 else parts[0]

    def window_start(self, window: ir.Window | None) -> date | None:
        if isinstance(window, ir.WindowLast):
            return shift_date(self.as_of, -window.amount, window.unit) + timedelta(days=1)
        return window.start if isinstance(window, ir.WindowRange) else None

    def time_column(self, table: m.Table) -> pl.Expr:
        return column_named(qualified(table.name, table.time_column or ""))

    def bound(self, table: m.Table, value: date) -> pl.Expr:
        """A date bound for a time column: a date literal for a date column, midnight for a
        timestamp column."""
        info = table.column(table.time_column or "")
        if info is not None and info.type is T.TIMESTAMP:
            return pl.lit(datetime.combine(value, time()))
        return pl.lit(value)

    def before_upper(self, table: m.Table) -> pl.Expr:
        """time < as_of + 1 day: events after the as_of date are invisible."""
        return self.time_column(table) < self.bound(table, self.as_of + timedelta(days=1))

    def window_condition(self, table: m.Table, window: ir.Window | None) -> pl.Expr | None:
        if window is None or not table.time_column:
            return None
        t = self.time_column(table)
        if isinstance(window, ir.WindowLast):
            return t >= self.bound(table, self.window_start(window))
        parts = []
        if window.start is not None:
            parts.append(t >= self.bound(table, window.start))
        if window.end is not None:
            parts.append(t < self.bound(table, window.end + timedelta(days=1)))
        return _all(parts) if parts else None

    def measure_condition(self, table: m.Table, measure: Measure,
                          require_value: bool = False) -> pl.Expr | None:
        agg = measure.aggregate
        parts: list[pl.Expr] = []
        if agg.filter is not None:
            parts.append(self.value(agg.filter))
        window = self.window_condition(table, agg.window)
        if window is not None:
            parts.append(window)
        if require_value and agg.arg is not None:
            parts.append(self.value(agg.arg).is_not_null())
        return _all(parts) if parts else None

    def measure(self, table: m.Table, measure: Measure) -> tuple[list[pl.Expr], pl.Expr]:
        """One aggregate: the columns to add to the rows before grouping, and the expression
        inside `group_by().agg()`. Each measure's input is one column holding the value on
        the rows its condition admits (a null condition does not) and null elsewhere, so the
        aggregate is a plain `sum()`, `count()`, `min()`… (Polars' fast path per group)."""
        agg = measure.aggregate
        column = f"_in_{measure.name}"
        if agg.func in ("first", "last"):
            condition = self.measure_condition(table, measure, require_value=True)
            value = self.value(agg.arg)
            descending = agg.func == "last"
            order = [self.time_column(table), value]
            if condition is not None:
                value, order = value.filter(condition), [o.filter(condition) for o in order]
            # earliest (latest) time, then the smallest (largest) value
            return [], value.sort_by(order, descending=descending).first()
        condition = self.measure_condition(table, measure)
        if agg.func == "count" and agg.arg is None:
            if condition is None:
                return [], pl.len().cast(pl.Int64)
            return [condition.fill_null(False).alias(column)], \
                column_named(column).sum().cast(pl.Int64)
        value = self.value(agg.arg)
        if agg.func in ("sum", "avg") and agg.arg.type in (T.FLOAT, T.ANY):
            value = as_sum_decimal(value)
        elif agg.func == "sum" and agg.arg.type is T.INT:
            value = value.cast(pl.Int128)  # DuckDB's HUGEINT: a sum never overflows
        if condition is not None:
            value = pl.when(condition).then(value)
        inputs, admitted = [value.alias(column)], column_named(column)
        if agg.func == "count":
            if agg.distinct:
                present = admitted.null_count().gt(0).cast(pl.Int64)
                return inputs, admitted.n_unique().cast(pl.Int64) - present
            return inputs, admitted.count().cast(pl.Int64)
        if agg.func == "avg":
            return inputs, average(admitted, agg.arg.type in (T.FLOAT, T.ANY, T.DECIMAL))
        return inputs, getattr(admitted, agg.func)()

    def most_frequent(self, table: m.Table, measure: Measure,
                      lookups: tuple[str, ...]) -> pl.LazyFrame:
        """The value on most rows per entity; among equally frequent values the smallest."""
        agg = measure.aggregate
        rows, key = self.event_rows(table, lookups, [measure])
        self.scope_table = table.name
        condition = self.measure_condition(table, measure, require_value=True)
        if condition is not None:
            rows = rows.filter(condition)
        counted = rows.group_by([key.alias("_key"), self.value(agg.arg).alias("_value")]).agg(
            pl.len().alias("_rows"))
        return counted.group_by("_key").agg(
            pl.col("_value").sort_by(["_rows", "_value"], descending=[True, False]).first()
            .alias(measure.name))

    # ---------------------------------------------------------------- expressions
    def value(self, node: ir.Expr) -> pl.Expr:
        if node in self.lookup_values:
            return self.lookup_values[node]
        return getattr(self, "value_" + type(node).__name__)(node)

    def column_ref(self, table: str, column: str) -> pl.Expr:
        if self.scope_table is not None:
            return column_named(qualified(table, column))
        return column_named(column)

    def value_Literal(self, node: ir.Literal) -> pl.Expr:
        v = node.value
        if v is None:
            return pl.lit(None, dtype=POLARS_TYPES.get(node.type))
        if isinstance(v, bool):
            return pl.lit(v, dtype=pl.Boolean)
        if isinstance(v, int) and node.type in (T.INT, T.ANY):
            # DuckDB's integer literals are INTEGER when they fit (a `case` of literals
            # stays INTEGER), BIGINT otherwise
            return pl.lit(v, dtype=pl.Int32 if -2**31 <= v < 2**31 else pl.Int64)
        if isinstance(v, (int, Decimal)) and node.type is T.DECIMAL:
            text = Decimal(v)
            scale = max(0, -text.as_tuple().exponent)
            return pl.lit(text, dtype=pl.Decimal(38, scale))
        if isinstance(v, (int, Decimal)) and node.type is T.FLOAT:
            return pl.lit(float(v), dtype=pl.Float64)
        if node.type is T.TIMESTAMP and isinstance(v, date) and not isinstance(v, datetime):
            return pl.lit(datetime.combine(v, time()), dtype=pl.Datetime("us"))
        if isinstance(v, datetime):
            return pl.lit(v, dtype=pl.Datetime("us"))
        if isinstance(v, date):
            return pl.lit(v, dtype=pl.Date)
        if isinstance(v, str):
            return pl.lit(v, dtype=pl.String)
        return pl.lit(v)

    def value_AsOf(self, node: ir.AsOf) -> pl.Expr:
        return pl.lit(self.as_of, dtype=pl.Date)

    def value_Column(self, node: ir.Column) -> pl.Expr:
        return self.column_ref(node.table, node.name)

    def value_Ref(self, node: ir.Ref) -> pl.Expr:
        return column_named(node.name)

    def value_FeatureRef(self, node: ir.FeatureRef) -> pl.Expr:
        return column_named(node.name)

    def value_SegmentRef(self, node: ir.SegmentRef) -> pl.Expr:
        return column_named(node.name)

    def value_Not(self, node: ir.Not) -> pl.Expr:
        return ~self.value(node.operand)  # null stays null

    def value_Negate(self, node: ir.Negate) -> pl.Expr:
        return -self.value(node.operand)

    def value_Logic(self, node: ir.Logic) -> pl.Expr:
        # Polars' & and | are Kleene logic, as SQL: null and false is false.
        parts = [self.value(o) for o in node.operands]
        result = parts[0]
        for part in parts[1:]:
            result = (result & part) if node.op == "and" else (result | part)
        return result

    def value_Arith(self, node: ir.Arith) -> pl.Expr:
        left, right = self.value(node.left), self.value(node.right)
        if node.op == "/":
            # Exact division as DuckDB does it: doubles (each decimal rounded to the
            # nearest), never integer division; x / 0 is missing.
            denominator = pl.when(right != 0).then(right.cast(pl.Float64))
            return left.cast(pl.Float64) / denominator
        if node.op == "+":
            return left + right
        if node.op == "-":
            return left - right
        return left * right

    def aligned(self, *nodes: ir.Expr) -> list[pl.Expr]:
        """Values for a comparison; a date compared with a timestamp is its midnight."""
        values = [self.value(n) for n in nodes]
        if any(n.type is T.TIMESTAMP for n in nodes):
            values = [v.cast(pl.Datetime("us")) if n.type is T.DATE else v
                      for n, v in zip(nodes, values, strict=True)]
        return values

    def value_Compare(self, node: ir.Compare) -> pl.Expr:
        left, right = self.aligned(node.left, node.right)
        return {"=": left.__eq__, "!=": left.__ne__, "<": left.__lt__, "<=": left.__le__,
                ">": left.__gt__, ">=": left.__ge__}[node.op](right)

    def value_Between(self, node: ir.Between) -> pl.Expr:
        value, low, high = self.aligned(node.value, node.low, node.high)
        return (value >= low) & (value <= high)

    def value_InList(self, node: ir.InList) -> pl.Expr:
        value, *items = self.aligned(node.value, *node.items)
        # SQL IN is an `or` of equalities: missing unless one is true.
        found = items[0].__eq__(value)
        for item in items[1:]:
            found = found | (value == item)
        return ~found if node.negated else found

    def value_TextMatch(self, node: ir.TextMatch) -> pl.Expr:
        value = self.value(node.value)
        pattern = node.pattern
        literal = isinstance(pattern, ir.Literal) and isinstance(pattern.value, str)
        if node.op == "like":
            if literal:
                return like(value, str(pattern.value))
            # a pattern per row: escape it, then translate its wildcards
            regex = (self.value(pattern).str.escape_regex().str.replace_all("%", ".*",
                                                                             literal=True)
                     .str.replace_all("_", ".", literal=True))
            return value.str.contains(pl.concat_str([pl.lit("^(?s:"), regex, pl.lit(")$")]))
        needle = pl.lit(str(pattern.value), dtype=pl.String) if literal else self.value(pattern)
        if node.op == "contains":
            return value.str.contains(needle, literal=True)
        if node.op == "starts_with":
            return value.str.starts_with(needle)
        return value.str.ends_with(needle)

    def value_IsMissing(self, node: ir.IsMissing) -> pl.Expr:
        value = self.value(node.value)
        return value.is_not_null() if node.negated else value.is_null()

    def value_Case(self, node: ir.Case) -> pl.Expr:
        # a null condition is not true: the next branch is tried
        (first_condition, first_value), *rest = node.whens
        chain = pl.when(self.value(first_condition)).then(self.value(first_value))
        for condition, value in rest:
            chain = chain.when(self.value(condition)).then(self.value(value))
        if node.otherwise is None:
            return chain.otherwise(pl.lit(None, dtype=POLARS_TYPES.get(node.type)))
        return chain.otherwise(self.value(node.otherwise))

    def value_DateShift(self, node: ir.DateShift) -> pl.Expr:
        if isinstance(node.value, ir.AsOf):
            return pl.lit(shift_date(self.as_of, node.amount, node.unit), dtype=pl.Date)
        # Polars' calendar offsets clamp to the month's end, as every SQL engine does.
        return self.value(node.value).dt.offset_by(f"{node.amount}{_OFFSET_UNITS[node.unit]}")

    def value_Func(self, node: ir.Func) -> pl.Expr:
        args = [self.value(a) for a in node.args]
        name = node.name
        if name == "days_between":
            return (args[1].cast(pl.Date) - args[0].cast(pl.Date)).dt.total_days() \
                .cast(pl.Int64)
        if name in ("months_between", "years_between"):
            return calendar_difference(args[0], args[1], name == "years_between")
        if name == "date":
            return args[0].cast(pl.Date)
        if name == "year":
            return args[0].dt.year().cast(pl.Int64)
        if name == "month":
            return args[0].dt.month().cast(pl.Int64)
        if name == "score_code":
            # the digits of every score, e.g. "545"; missing when any score is
            return pl.concat_str([a.cast(pl.String) for a in args])
        if name == "coalesce":
            return pl.coalesce(args)
        if name in ("least", "greatest"):
            # missing if any argument is missing (Polars' horizontal min skips nulls)
            pick = pl.min_horizontal(args) if name == "least" else pl.max_horizontal(args)
            return pl.when(pl.any_horizontal([a.is_null() for a in args])).then(None) \
                .otherwise(pick)
        if name == "lower":
            return args[0].str.to_lowercase()
        if name == "upper":
            return args[0].str.to_uppercase()
        if name == "length":
            return args[0].str.len_chars().cast(pl.Int64)
        if name == "abs":
            return args[0].abs()
        if name == "round":
            decimals = node.args[1].value if len(node.args) > 1 else 0
            if node.args[0].type is T.INT:
                return args[0]
            return args[0].round(int(decimals), mode="half_away_from_zero")
        self.unsupported(node, f"the function `{name}`")
        return pl.lit(None)

    def unsupported(self, node: ir.Expr, what: str) -> None:
        self.errors.append(error(Code.E301, f"the {ENGINE} engine cannot evaluate {what}",
                                 node.span, "run it with --engine duckdb"))

    def value_Rank(self, node: ir.Rank) -> pl.Expr:
        """One ordering of all entities: the eligible first, by value, ties by key; an
        eligible entity is a member when its row number r has r <= N (r * 100 <= P * n)."""
        by = self.value(node.by)
        eligible = by.is_not_null()
        if node.among is not None:
            eligible = eligible & self.value(node.among).fill_null(False)
        row_number = pl.arg_sort_by(
            [~eligible, by, column_named(self.plan.key)],
            descending=[False, node.direction == "top", False], nulls_last=True,
        ).arg_sort().cast(pl.Int64) + 1
        amount = Fraction(str(node.amount.value))
        if node.percent:
            # r * 100 <= P * n, in integers: r * 100 * q <= p * n for P = p / q
            within = row_number * (100 * amount.denominator) <= \
                eligible.sum().cast(pl.Int64) * amount.numerator
        else:
            within = row_number <= int(amount)
        return eligible & within

    def value_Score(self, node: ir.Score) -> pl.Expr:
        """Bins 1..N, N the best, as DuckDB computes them (see to_sql.value_Score)."""
        by = self.value(node.by)
        missing = by.is_null()
        if node.method == "thresholds":
            score = pl.lit(1, dtype=pl.Int32)
            for threshold in node.thresholds:
                limit = self.value(threshold)
                reached = by >= limit if node.higher_is_better else by <= limit
                score = score + reached.cast(pl.Int32)
            return pl.when(missing).then(None).otherwise(score)
        scored = missing.not_().sum().cast(pl.Int64)  # n: the entities with a value
        if node.method == "ntile":
            # worst first, equal values by key descending (the smaller key scores better)
            order = pl.arg_sort_by(
                [missing, by, column_named(self.plan.key)],
                descending=[False, not node.higher_is_better, True], nulls_last=True)
            index = order.arg_sort().cast(pl.Int64)  # 0-based row in the partition
            bins = pl.min_horizontal(pl.lit(node.bins, dtype=pl.Int64), scored)
            size = scored // bins
            large = scored - bins * size
            small_from = large * (size + 1)
            ntile = pl.when(index < small_from).then(1 + index // (size + 1)) \
                .otherwise(1 + large + (index - small_from) // pl.max_horizontal(size, 1))
            return pl.when(missing).then(None).otherwise(ntile)
        # quantile: 1 + floor(N * (rank - 1) / n), rank 1 the worst value, ties share a rank
        rank = by.rank("min", descending=not node.higher_is_better).cast(pl.Int64)
        quantile = (node.bins * (rank - 1)) // scored + 1
        return pl.when(missing).then(None).otherwise(quantile.cast(pl.Int32))

    def value_Total(self, node: ir.Total) -> pl.Expr:
        self.unsupported(node, "a KPI total")
        return pl.lit(None)

    def value_Aggregate(self, node: ir.Aggregate) -> pl.Expr:
        raise AssertionError("aggregates are planned as measures")


def as_sum_decimal(value: pl.Expr) -> pl.Expr:
    """A float as DECIMAL(38, 9) the way DuckDB casts it: scaled by 10^9 and rounded half
    away from zero (Polars' cast would round half to even)."""
    nanos = (value.cast(pl.Float64) * 1e9).round(0, mode="half_away_from_zero")
    return nanos.cast(pl.Int128).cast(SUM_DECIMAL) * pl.lit(_NANO, dtype=pl.Decimal(38, 9))


def average(value: pl.Expr, decimal: bool) -> pl.Expr:
    """avg as DuckDB returns it: a double, the sum divided by the count of values (a
    decimal sum is divided with 18 decimals first, so the double is the nearest to the
    exact quotient, as DuckDB's extended-precision division gives in all but rare cases)."""
    total = value.sum()
    count = pl.when(value.count() > 0).then(value.count())  # missing without values
    if decimal:
        return (total.cast(pl.Decimal(38, 18)) / count.cast(pl.Decimal(38, 0))).cast(pl.Float64)
    return total.cast(pl.Float64) / count.cast(pl.Float64)


def calendar_difference(start: pl.Expr, end: pl.Expr, years: bool) -> pl.Expr:
    """Whole months or years from start to end, counted like an age."""
    start, end = start.cast(pl.Date), end.cast(pl.Date)

    def part(value: pl.Expr, kind: str) -> pl.Expr:
        return getattr(value.dt, kind)().cast(pl.Int64)

    if years:
        whole = part(end, "year") - part(start, "year")
        end_key = part(end, "month") * 100 + part(end, "day")
        start_key = part(start, "month") * 100 + part(start, "day")
    else:
        whole = (part(end, "year") * 12 + part(end, "month")) - \
            (part(start, "year") * 12 + part(start, "month"))
        end_key, start_key = part(end, "day"), part(start, "day")
    return whole - (end_key < start_key).cast(pl.Int64)


def like(value: pl.Expr, pattern: str) -> pl.Expr:
    """SQL LIKE with a literal pattern: the common shapes (`%x%`, `x%`, `%x`, `x`) as plain
    string tests, anything else as a regular expression."""
    core = pattern.strip("%")
    if not core or "%" in core or "_" in core:
        return value.str.contains(like_regex(pattern))
    leading, trailing = pattern.startswith("%"), pattern.endswith("%")
    if leading and trailing:
        return value.str.contains(core, literal=True)
    if trailing:
        return value.str.starts_with(core)
    if leading:
        return value.str.ends_with(core)
    return value == pl.lit(core, dtype=pl.String)


def like_regex(pattern: str) -> str:
    """SQL LIKE as an anchored regular expression: % any run, _ one character, the rest
    literal (no escape character, as DuckDB's LIKE without ESCAPE)."""
    parts = []
    for char in pattern:
        if char == "%":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        elif char in _REGEX_META:
            parts.append("\\" + char)
        else:
            parts.append(char)
    return "^(?s:" + "".join(parts) + ")$"


def _all(parts: list[pl.Expr]) -> pl.Expr:
    result = parts[0]
    for part in parts[1:]:
        result = result & part
    return result

