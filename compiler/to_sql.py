"""Plan -> SQL: sqlglot expression trees for any dialect, then pretty, stable text.

One method per IR node kind (`value_<Node>` for values, `cond_<Node>` for conditions where
the two differ). Dialect differences come from `dialects.RULES`, nowhere else. A construct
the dialect cannot express raises CompileError (E301) at the `.seg` position.
"""

from __future__ import annotations

import os
import re
from calendar import monthrange
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from sqlglot import exp

from . import ir
from . import model as m
from .codes import Code
from .diagnostics import CompileError, Diagnostic, error
from .dialects import RESERVED_WORDS, DialectRules, like_match, rules_for
from .plan import Aggregation, Measure, Plan, feature_table_name
from .version import SEGL_VERSION

T = ir.Type
_SAFE_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


# sqlglot's builders copy their arguments by default; every tree here is built fresh, so
# copying only costs time (a third of the generation time of a large file).
def _alias(expression: exp.Expression, alias, **options) -> exp.Expression:
    # a name is always an identifier of ours: sqlglot's own choice of quoting would leave
    # `Café` bare (and PostgreSQL would fold it to `café`)
    if isinstance(alias, str):
        alias = ident(alias)
    return exp.alias_(expression, alias, copy=False, **options)


def _cast(expression: exp.Expression, to) -> exp.Cast:
    return exp.cast(expression, to, copy=False)


def _and(*expressions: exp.Expression) -> exp.Expression:
    return exp.and_(*expressions, copy=False)


def _or(*expressions: exp.Expression) -> exp.Expression:
    return exp.or_(*expressions, copy=False)


@dataclass(frozen=True)
class AsOf:
    """How the evaluation date appears in SQL: a literal date, the engine's current date,
    or a named query parameter `as_of` bound when the query runs."""

    mode: str  # "date" | "today" | "param"
    value: date | None = None

    @classmethod
    def parse(cls, text: str) -> AsOf:
        if text == "today":
            return cls("today")
        if text == "param":
            return cls("param")
        return cls("date", date.fromisoformat(text))

    def __str__(self) -> str:
        return self.value.isoformat() if self.mode == "date" and self.value else self.mode


def shift_date(value: date, amount: int, unit: str) -> date:
    """Calendar arithmetic as every engine does it: month and year steps clamp to month end."""
    if unit == "day":
        return value + timedelta(days=amount)
    if unit == "week":
        return value + timedelta(weeks=amount)
    months = amount * (12 if unit == "year" else 1)
    index = value.year * 12 + value.month - 1 + months
    year, month = divmod(index, 12)
    day = min(value.day, monthrange(year, month + 1)[1])
    return date(year, month + 1, day)


def ident(name: str) -> exp.Identifier:
    quoted = not _SAFE_NAME.match(name) or name in RESERVED_WORDS
    return exp.to_identifier(name, quoted=quoted)


def col(name: str, table: str | None = None) -> exp.Column:
    return exp.Column(this=ident(name), table=ident(table) if table else None)


def table_ref(*parts: str) -> exp.Table:
    """A table or CTE by its name's parts (`catalog, schema, table`, or fewer), each an
    identifier: a name is never parsed as SQL."""
    *prefix, name = parts
    catalog, schema = ([None, None] + [ident(p) for p in prefix])[-2:]
    return exp.Table(this=ident(name), db=schema, catalog=catalog)


def cte_alias(name: str) -> exp.TableAlias:
    """The name of a CTE for `with_` (which would parse a plain string as SQL)."""
    return exp.TableAlias(this=ident(name))


def generate_sql(
    plan: Plan,
    dialect: str = "duckdb",
    as_of: AsOf | None = None,
    file_paths: str = "absolute",
    header: dict[str, str] | None = None,
    pretty: bool = True,
    sources: Mapping[str, SourceOverride] | None = None,
) -> str:
    """The whole plan as one query, with a header comment naming version, source and as_of.

    `sources` reads the named tables from other locations than the declared ones: an engine
    that cannot read the declared files loads them into its own tables and names them here."""
    query = members_query(plan, dialect, as_of or AsOf("today"), file_paths, sources)
    return sql_header(dialect, as_of, header) + query.sql(dialect=dialect, pretty=pretty) + "\n"


def members_query(plan: Plan, dialect: str, as_of: AsOf, file_paths: str = "absolute",
                  sources: Mapping[str, SourceOverride] | None = None) -> exp.Select:
    """The plan's query as a sqlglot tree, for a caller that runs it (no header)."""
    return SqlGenerator(plan, dialect, as_of, file_paths, sources).query()


def sql_header(dialect: str, as_of: AsOf | None, header: dict[str, str] | None) -> str:
    """The comment lines above every generated query: version, source, dialect, as_of.
    Values (a path, parameter values) are user text: each is escaped onto its one line."""
    lines = [f"-- segl {SEGL_VERSION}"]
    for key, value in (header or {}).items():
        lines.append(f"-- {comment_text(key)}: {comment_text(value)}")
    lines.append(f"-- dialect: {comment_text(dialect)}")
    lines.append(f"-- as_of: {as_of or 'today'}")
    return "\n".join(lines) + "\n"


_COMMENT_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def comment_text(value: str) -> str:
    """`value` as text that stays inside a `--` comment line (and would inside `/* */`):
    a backslash is doubled, a character that is not printable (a newline, any line or
    paragraph separator, a control character) becomes its escape, and `*/` becomes `*\\/`.
    Printable text, the common case, is unchanged."""
    if value.isprintable() and "\\" not in value and "*/" not in value:
        return value
    escaped = "".join(
        _COMMENT_ESCAPES.get(c) or (c if c.isprintable() else
                                    f"\\x{ord(c):02x}" if ord(c) < 0x100 else
                                    f"\\u{ord(c):04x}" if ord(c) < 0x10000 else
                                    f"\\U{ord(c):08x}")
        for c in value)
    return escaped.replace("*/", "*\\/")


@dataclass(frozen=True)
class SourceOverride:
    """Where an engine reads one source instead of its declared locations: `kind` is
    "table" (target: one table name in the engine, an identifier, not SQL) or a file kind
    the dialect reads ("parquet", target: a path)."""

    kind: str
    target: str


class SqlGenerator:
    def __init__(self, plan: Plan, dialect: str, as_of: AsOf, file_paths: str,
                 sources: Mapping[str, SourceOverride] | None = None) -> None:
        self.plan = plan
        self.sources = dict(sources or {})
        self.model = plan.model
        self.dialect = dialect
        self.rules: DialectRules = rules_for(dialect)
        self.as_of = as_of
        self.file_paths = file_paths
        self.errors: list[Diagnostic] = []
        self.scope_table: str | None = None  # inside an aggregation: qualify columns
        self.row_aliases: dict[tuple[str, str], str] | None = None
        self.defaulted_measures = {m.name for a in plan.aggregations for m in a.measures
                                   if m.empty is not None}
        self.computed = {c.name: c for step in plan.steps for c in step.columns}
        # lookup-only expressions computed in a lookup's subquery -> the column holding them
        self.lookup_values: dict[ir.Expr, exp.Expression] = {}

    # ---------------------------------------------------------------- the query
    def query(self) -> exp.Select:
        ctes: list[tuple[str, exp.Expression]] = []
        for aggregation in self.plan.aggregations:
            if aggregation.partial:
                ctes.append(self.pre_aggregation(aggregation))
        for aggregation in self.plan.aggregations:
            ctes.extend(self.aggregation(aggregation))
        previous = "base"
        ctes.append(("base", self.base()))
        for index, step in enumerate(self.plan.steps, 1):
            name = f"step_{index}"
            select = exp.select(exp.Star()).from_(table_ref(previous), copy=False)
            for column in step.columns:
                _project(select, self.column_value(column), column.name)
            ctes.append((name, select))
            previous = name
        outputs = [col(self.plan.key)] + [
            col(name) for name in (*self.plan.outputs, *self.plan.segmentations)
        ] + [_alias(col(computed), ident(output)) for output, computed in self.plan.score_outputs
             ] + [col(name) for name in self.plan.kpi_components]
        final = exp.select(*outputs).from_(table_ref(previous), copy=False).order_by(
            col(self.plan.key), copy=False)
        for name, cte in ctes:
            final = final.with_(cte_alias(name), as_=cte, copy=False)
        self.check_names(final)
        if self.errors:
            raise CompileError(sorted(self.errors, key=lambda d: d.span.start if d.span else 0))
        return final

    def check_names(self, query: exp.Expression) -> None:
        """E301 for names the dialect cannot hold apart: two names alike in the bytes an
        engine keeps of a name (PostgreSQL: 63; a long name alone is cut the same way
        everywhere, and works), or a name with a `.` where a dot splits a quoted name."""
        limit, dotted = self.rules.name_bytes, self.rules.dotted_names
        unusable = self.rules.unusable_names
        if limit is None and dotted and not unusable:
            return
        by_cut: dict[str, set[str]] = {}
        problems: list[tuple[str, str]] = []  # (name, message)
        for identifier in query.find_all(exp.Identifier):
            name = identifier.this
            by_cut.setdefault(_cut(name, limit) if limit else name, set()).add(name)
            if not dotted and "." in name:
                problems.append((name, f"the {self.dialect} dialect reads the `.` in `{name}` "
                                       "as a separator of names, even quoted"))
            if name.casefold() in unusable:
                problems.append((name, f"the {self.dialect} dialect reads a column named "
                                       f"`{name}` as the value {name.lower()}"))
        for names in by_cut.values():
            if len(names) > 1:
                first, second = sorted(names)[:2]
                problems.append((second, f"the {self.dialect} dialect keeps the first {limit} "
                                         f"bytes of a name, so `{first}` and `{second}` would "
                                         "be one name there"))
        # Where to point: the definition of that name (a column: its table), else the
        # definition whose name the derived name holds (agg_orders: orders).
        definitions = [(o.name, o.span) for o in (
            *self.model.tables, *self.model.features.values(), *self.model.segments.values(),
            *self.model.segmentations.values(), *self.model.kpis.values())]
        exact = {c.name: t.span for t in self.model.tables for c in t.columns}
        exact.update((c, self.model.entity.span) for c in self.plan.entity_columns)
        exact.update((c, self.model.table(t).span) for t, c in self.plan.lookup_columns)
        for aggregation in self.plan.aggregations:
            exact.update((column, self.model.table(table).span)
                         for table, column in self.columns_in(list(aggregation.measures)))
        exact.update(definitions)
        owners = sorted(definitions, key=lambda pair: -len(pair[0]))
        reported = set()
        for name, message in problems:
            span = exact.get(name) or next((s for owner, s in owners if owner in name), None)
            kind = "dot" if "." in name and not dotted else \
                "value" if name.casefold() in unusable else "bytes"
            if (span, kind) in reported:
                continue  # one error per definition (agg_x.y is x.y's name too)
            reported.add((span, kind))
            hint = {"dot": "rename it without a dot", "value": "rename it",
                    "bytes": f"shorten the name to {limit} bytes (UTF-8) or fewer"}[kind]
            self.errors.append(error(Code.E301, message, span, hint))

    def column_value(self, column) -> exp.Expression:
        if column.kind in ("segment", "rank"):
            # Membership is true or false, never null: a null predicate does not admit.
            condition = self.cond(column.expr)
            if self.rules.boolean_values:
                return exp.Coalesce(this=condition, expressions=[exp.false()])
            return exp.Case(ifs=[exp.If(this=condition, true=exp.Literal.number(1))],
                            default=exp.Literal.number(0))
        return self.value(column.expr)

    # ---------------------------------------------------------------- sources
    def source(self, table: m.Table) -> exp.Expression:
        override = self.sources.get(table.name)
        if override is not None:
            if override.kind == "table":
                return table_ref(override.target)
            if override.kind in self.rules.file_kinds and self.rules.file_reader:
                return self.rules.file_reader(override.kind, override.target)
            raise ValueError(f"the {self.dialect} dialect cannot read {override.kind} files")
        for location in table.locations:
            if location.kind == "table":
                return table_ref(*(location.table or (table.name,)))
            if location.kind in self.rules.file_kinds and self.rules.file_reader:
                path = location.path or location.target
                if self.file_paths == "relative":
                    path = os.path.relpath(path)
                return self.rules.file_reader(location.kind, path)
        kinds = sorted({loc.kind for loc in table.locations})
        if any(d.message.endswith(f"`{table.name}` from a {' or '.join(kinds)} file")
               for d in self.errors):
            return table_ref(table.name)
        self.errors.append(error(
            Code.E301, f"the {self.dialect} dialect cannot read `{table.name}` from a "
            f"{' or '.join(kinds)} file", table.locations[0].span if table.locations else
            table.span,
            f"add a warehouse location: from {table.locations[0].kind} "
            f'"{table.locations[0].target}", '
            f'table "schema.{table.name}"' if table.locations else "",
        ))
        return table_ref(table.name)

    def aliased_source(self, table: m.Table) -> exp.Expression:
        return table_function(self.source(table), table.name)

    def base(self) -> exp.Select:
        entity = self.model.entity
        select = exp.select(*(col(c, entity.name) for c in self.plan.entity_columns))
        select = select.from_(self.aliased_source(entity), copy=False)
        select = self.join_lookups(select, self.plan.lookups)
        for lookup, column in self.plan.lookup_columns:
            _project(select, col(column, lookup), feature_table_name(lookup, column))
        for aggregation in self.plan.aggregations:
            for measure in aggregation.measures:
                cte = self.measure_cte(aggregation, measure)
                value: exp.Expression = col(measure.name, cte)
                if measure.empty is not None:
                    value = exp.Coalesce(this=value, expressions=[self.value(measure.empty)])
                _project(select, value, measure.name)
            for cte in self.aggregation_ctes(aggregation):
                select = select.join(
                    table_ref(cte), join_type="left",
                    on=exp.EQ(this=col("_key", cte), expression=col(self.plan.key, entity.name)),
                    copy=False,
                )
        return select

    # ---------------------------------------------------------------- aggregations
    def aggregation_ctes(self, aggregation: Aggregation) -> list[str]:
        if aggregation.fold_into:
            return []
        names = []
        if any(m.aggregate.func != "most_frequent" for m in aggregation.measures):
            names.append(aggregation.cte_name)
        names.extend(f"{aggregation.cte_name}_{m.name}" for m in aggregation.measures
                     if m.aggregate.func == "most_frequent")
        return names

    def measure_cte(self, aggregation: Aggregation, measure: Measure) -> str:
        if aggregation.fold_into:
            return f"agg_{aggregation.fold_into}"
        if measure.aggregate.func == "most_frequent":
            return f"{aggregation.cte_name}_{measure.name}"
        return aggregation.cte_name

    def aggregation(self, aggregation: Aggregation) -> list[tuple[str, exp.Expression]]:
        table = self.model.events[aggregation.table]
        self.scope_table = table.name
        ctes: list[tuple[str, exp.Expression]] = []
        grouped = [m for m in aggregation.measures if m.aggregate.func != "most_frequent"]
        ordered = [m for m in grouped if m.aggregate.func in ("first", "last")]
        folded = [a for a in self.plan.aggregations if a.fold_into == table.name]
        if aggregation.fold_into:
            pass  # finished inside the pass over the table it is reached through
        elif grouped and aggregation.partial:
            ctes.append(self.finish_partial(aggregation, table))
        elif grouped:
            rows, key = self.event_rows(table, aggregation.lookups, grouped)
            prefilter = self.prefilter(table, grouped) if not folded else None
            if prefilter is not None:
                rows = rows.where(prefilter, append=True, copy=False)
            for other in folded:
                rows = rows.join(
                    _alias(table_ref(f"pre_{other.table}"), f"pre_{other.table}",
                           table=True),
                    join_type="left", copy=False,
                    on=exp.EQ(this=col("_via", f"pre_{other.table}"), expression=col(
                        self.model.events[other.table].through_via_column or "", table.name)),
                )
            if ordered:
                # first/last: number each entity's rows by time in a subquery, pick row 1.
                needed = self.columns_in(grouped)
                inner = self._number_rows(rows, key, needed, ordered, table)
                self.row_aliases = {pair: f"{pair[0]}__{pair[1]}" for pair in needed}
                key_expr: exp.Expression = col("_key", "numbered")
                select = exp.select(key_expr).from_(inner.subquery("numbered"))
            else:
                key_expr = key
                select = _with_projection(rows, _alias(key, "_key"))
            for measure in grouped:
                _project(select, self.measure(table, measure), measure.name)
            for other in folded:
                for measure in other.measures:
                    total = self.combined(measure, col(measure.name, f"pre_{other.table}"))
                    _project(select, total, measure.name)
            ctes.append((aggregation.cte_name, select.group_by(key_expr.copy())))
            self.row_aliases = None
        for measure in aggregation.measures:
            if measure.aggregate.func == "most_frequent":
                ctes.append((f"{aggregation.cte_name}_{measure.name}",
                             self.most_frequent(table, measure, aggregation.lookups)))
        self.scope_table = None
        return ctes

    def pre_aggregation(self, aggregation: Aggregation) -> tuple[str, exp.Expression]:
        """Partial results per join key of a table reached through another (count, sum,
        min, max): far fewer rows to join than the table itself."""
        table = self.model.events[aggregation.table]
        self.scope_table = table.name
        rows = exp.select().from_(self.aliased_source(table), copy=False)
        rows = self.join_lookups(rows, aggregation.lookups, list(aggregation.measures))
        conditions = []
        if table.time_column:
            conditions.append(self.before_upper(table, table.time_column))
        prefilter = self.prefilter(table, list(aggregation.measures))
        if prefilter is not None:
            conditions.append(prefilter)
        if conditions:
            rows = rows.where(_and(*conditions), copy=False)
        join_key = col(table.through_column or "", table.name)
        rows.set("expressions", [_alias(join_key, "_via")])
        for measure in aggregation.measures:
            _project(rows, self.measure(table, measure), measure.name)
        self.scope_table = None
        return f"pre_{table.name}", rows.group_by(join_key.copy(), copy=False)

    def finish_partial(self, aggregation: Aggregation, table: m.Table) -> tuple[str, exp.Select]:
        """Join the partial results to the table they are reached through; add them up."""
        via = self.model.events[table.through or ""]
        pre = f"pre_{table.name}"
        finish = exp.select(_alias(col(via.entity_key or "", via.name), "_key"))
        finish = finish.from_(_alias(table_ref(pre), pre, table=True), copy=False)
        finish = finish.join(
            self.aliased_source(via), join_type="inner", copy=False,
            on=exp.EQ(this=col("_via", pre),
                      expression=col(table.through_via_column or "", via.name)),
        )
        if via.time_column:
            finish = finish.where(self.before_upper(via, via.time_column), copy=False)
        for measure in aggregation.measures:
            _project(finish, self.combined(measure, col(measure.name, pre)), measure.name)
        finish = finish.group_by(col(via.entity_key or "", via.name), copy=False)
        return aggregation.cte_name, finish

    def combined(self, measure: Measure, partial: exp.Expression) -> exp.Expression:
        """Partial results added up to one per entity."""
        total = _COMBINE[measure.aggregate.func](this=partial)
        agg = measure.aggregate
        if agg.func == "sum" and agg.arg is not None and agg.arg.type is not T.INT:
            return self.exact_total(total)
        return total

    def prefilter(self, table: m.Table, measures: list[Measure]) -> exp.Expression | None:
        """Rows no measure can use, left out before aggregating: when every measure has a
        condition, a row must meet one of them; when every measure has a window, the row's
        time must lie in their span (which also lets the engine skip whole file blocks)."""
        conditions = [self.measure_condition(table, m) for m in measures]
        if any(c is None for c in conditions):
            return None
        parts: list[exp.Expression] = []
        starts = [self.window_start(m.aggregate.window) for m in measures]
        if table.time_column and all(s is not None for s in starts):
            parts.append(exp.GTE(this=self.column_ref(table.name, table.time_column),
                                 expression=self.bound(table, table.time_column, 0, "day",
                                                       min(starts))))
            # With windows that only look back and no filters, the span says it all.
            if all(m.aggregate.filter is None and isinstance(m.aggregate.window, ir.WindowLast)
                   for m in measures):
                return parts[0]
        unique = list({c.sql(): c for c in conditions}.values())
        parts.append(unique[0] if len(unique) == 1 else _or(*unique))
        return _and(*parts)

    def window_start(self, window: ir.Window | None) -> date | None:
        """The first day a window covers, when it is known at compile time."""
        if window is None or self.as_of.mode != "date":
            return window.start if isinstance(window, ir.WindowRange) else None
        if isinstance(window, ir.WindowLast):
            return shift_date(self.as_of.value, -window.amount, window.unit) + timedelta(days=1)
        return window.start

    def _number_rows(self, rows, key, needed, ordered, table) -> exp.Select:
        """SELECT key AS _key, <needed columns as table__column>, ROW_NUMBER() … FROM rows."""
        projections = [_alias(key, "_key")]
        for table_name, column in needed:
            alias = ident(f"{table_name}__{column}")
            projections.append(_alias(col(column, table_name), alias))
        for measure in ordered:
            projections.append(_alias(self.row_number(table, measure, key),
                                          ident(f"_rn_{measure.name}")))
        return _with_projection(rows, *projections)

    def columns_in(self, measures: list[Measure]) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        table = self.model.events[measures[0].aggregate.table]
        if table.time_column:
            found.append((table.name, table.time_column))
        for measure in measures:
            for part in (measure.aggregate.arg, measure.aggregate.filter):
                if part is None:
                    continue
                for node in part.walk():
                    if isinstance(node, ir.Column) and (node.table, node.name) not in found:
                        found.append((node.table, node.name))
        return found

    def event_rows(self, table: m.Table, lookups: tuple[str, ...],
                   measures: list[Measure]) -> tuple[exp.Select, exp.Expression]:
        """FROM the events table (joined through its via table and to its lookups), with
        every row after as_of removed; returns the select and the entity-key expression."""
        select = exp.select().from_(self.aliased_source(table))
        caps: list[exp.Expression] = []
        if table.time_column:
            caps.append(self.before_upper(table, table.time_column))
        key: exp.Expression = col(table.entity_key or "", table.name)
        if table.through:
            via = self.model.events[table.through]
            select = select.join(
                self.aliased_source(via), join_type="inner",
                on=exp.EQ(this=col(table.through_column or "", table.name),
                          expression=col(table.through_via_column or "", via.name)),
            )
            if via.time_column:
                caps.append(self.before_upper(via, via.time_column))
            key = col(via.entity_key or "", via.name)
        select = self.join_lookups(select, lookups, measures)
        if caps:
            select = select.where(_and(*caps))
        return select, key

    def join_lookups(self, select: exp.Select, lookups: tuple[str, ...],
                     measures: list[Measure] = ()) -> exp.Select:
        """LEFT JOIN each lookup. An expression of the measures that reads one lookup's
        columns only (`part.p_type like "%BRASS%"`) is computed in that lookup's subquery,
        once per lookup row instead of once per event row."""
        precomputed = _lookup_expressions(measures, set(lookups))
        self.lookup_values = {}  # valid for the rows this join builds, and only for them
        for name in lookups:
            lookup = self.model.lookups[name]
            source = self.aliased_source(lookup)
            mine = [(expr, alias) for expr, (owner, alias) in precomputed.items() if owner == name]
            if mine:
                saved, self.scope_table = self.scope_table, name
                inner = exp.select(exp.Star()).from_(self.aliased_source(lookup), copy=False)
                for expr, alias in mine:
                    _project(inner, self.value(expr), alias)
                    self.lookup_values[expr] = col(alias, name)
                self.scope_table = saved
                source = inner.subquery(ident(name))
            select = select.join(
                source, join_type="left", copy=False,
                on=exp.EQ(this=col(lookup.owner_column or "", lookup.owner),
                          expression=col(lookup.key or "", lookup.name)),
            )
        return select

    def before_upper(self, table: m.Table, column: str) -> exp.Expression:
        """time < as_of + 1 day: events after the as_of date are invisible."""
        return exp.LT(this=col(column, table.name),
                      expression=self.bound(table, column, 1, "day", None))

    def time_type(self, table: m.Table, column: str) -> T:
        info = table.column(column)
        return info.type if info else T.ANY

    def bound(self, table: m.Table, column: str, amount: int, unit: str,
              base: date | None, plus_day: bool = False) -> exp.Expression:
        """A date bound for a time column: `as_of + amount unit` (or a fixed date)."""
        # A date bound for a date column, a timestamp for a timestamp column. For a column of
        # unknown type, a date: engines promote it to a timestamp when they need to, while a
        # timestamp bound would make them cast every value of a date column.
        as_date = self.time_type(table, column) in (T.DATE, T.ANY)
        if base is not None or self.as_of.mode == "date":
            value = base if base is not None else shift_date(self.as_of.value, amount, unit)
            if plus_day:
                value = value + timedelta(days=1)
            if as_date:
                return self.to_date(exp.Literal.string(value.isoformat()))
            return self.to_timestamp(exp.Literal.string(f"{value.isoformat()} 00:00:00"))
        result = _date_add(self.as_of_expr(), amount, unit)
        if plus_day:
            result = _date_add(result, 1, "day")
        return result if as_date else self.to_timestamp(result)

    def window_condition(self, table: m.Table, window: ir.Window | None) -> exp.Expression | None:
        if window is None or not table.time_column:
            return None
        t = self.column_ref(table.name, table.time_column)
        if isinstance(window, ir.WindowLast):
            lower = self.bound(table, table.time_column, -window.amount, window.unit, None,
                               plus_day=True)
            return exp.GTE(this=t, expression=lower)
        parts: list[exp.Expression] = []
        if window.start is not None:
            parts.append(exp.GTE(this=t, expression=self.bound(
                table, table.time_column, 0, "day", window.start)))
        if window.end is not None:
            parts.append(exp.LT(this=t, expression=self.bound(
                table, table.time_column, 0, "day", window.end, plus_day=True)))
        return _and(*parts) if parts else None

    def measure_condition(self, table: m.Table, measure: Measure,
                          require_value: bool = False) -> exp.Expression | None:
        agg = measure.aggregate
        parts: list[exp.Expression] = []
        if agg.filter is not None:
            parts.append(self.cond(agg.filter))
        window = self.window_condition(table, agg.window)
        if window is not None:
            parts.append(window)
        if require_value and agg.arg is not None:
            parts.append(exp.Not(this=exp.Is(this=self.value(agg.arg), expression=exp.Null())))
        return _and(*parts) if parts else None

    def measure(self, table: m.Table, measure: Measure) -> exp.Expression:
        agg = measure.aggregate
        if agg.func in ("first", "last"):
            condition = exp.EQ(this=col(f"_rn_{measure.name}", "numbered"),
                               expression=exp.Literal.number(1))
            inner = self.measure_condition(table, measure, require_value=True)
            if inner is not None:
                condition = _and(condition, inner)
            return exp.Max(this=_case_when(condition, self.value(agg.arg)))
        condition = self.measure_condition(table, measure)
        if agg.func == "count":
            if agg.arg is None:
                if condition is None:
                    return exp.Count(this=exp.Star())
                return exp.Count(this=_case_when(condition, exp.Literal.number(1)))
            value = self.value(agg.arg)
            if condition is not None:
                value = _case_when(condition, value)
            if agg.distinct:
                value = exp.Distinct(expressions=[value])
            return exp.Count(this=value)
        value = self.value(agg.arg)
        if agg.func in ("sum", "avg") and agg.arg.type in (T.FLOAT, T.ANY):
            # Exact, order-independent totals on every engine and every run: add floats as
            # DECIMAL(38, 9) (each value rounded to 9 decimals first).
            value = _cast(value, exp.DataType.build("DECIMAL(38, 9)"))
        if condition is not None:
            value = _case_when(condition, value)
        functions = {"sum": exp.Sum, "avg": exp.Avg, "min": exp.Min, "max": exp.Max}
        result = functions[agg.func](this=value)
        if agg.func in ("sum", "avg") and agg.arg.type is not T.INT:
            return self.exact_total(result)
        return result

    def exact_total(self, total: exp.Expression) -> exp.Expression:
        if self.rules.exact_decimals:
            return total
        return exp.Round(this=total, decimals=exp.Literal.number(9))

    def row_number(self, table: m.Table, measure: Measure, key: exp.Expression) -> exp.Expression:
        """Row 1 is the earliest (first) or latest (last) qualifying row; ties by value."""
        agg = measure.aggregate
        condition = self.measure_condition(table, measure, require_value=True)
        order = []
        if condition is not None:
            order.append(exp.Ordered(this=exp.Case(
                ifs=[exp.If(this=condition, true=exp.Literal.number(0))],
                default=exp.Literal.number(1))))
        descending = agg.func == "last"
        time = col(table.time_column or "", table.name)
        order.append(exp.Ordered(this=time, desc=descending))
        order.append(exp.Ordered(this=self.value(agg.arg), desc=descending))
        return exp.Window(this=exp.RowNumber(), partition_by=[key.copy()],
                          order=exp.Order(expressions=order))

    def most_frequent(self, table: m.Table, measure: Measure,
                      lookups: tuple[str, ...]) -> exp.Select:
        agg = measure.aggregate
        rows, key = self.event_rows(table, lookups, [measure])
        self.scope_table = table.name
        condition = self.measure_condition(table, measure, require_value=True)
        counted = _with_projection(rows, _alias(key, "_key"),
                                   _alias(self.value(agg.arg), "_value"))
        if condition is not None:
            counted = counted.where(condition, append=True)
        counted = counted.group_by(key.copy(), self.value(agg.arg))
        rank = exp.Window(
            this=exp.RowNumber(), partition_by=[key.copy()],
            order=exp.Order(expressions=[
                exp.Ordered(this=exp.Count(this=exp.Star()), desc=True),
                exp.Ordered(this=self.value(agg.arg)),
            ]),
        )
        counted = counted.select(_alias(rank, "_rn"), append=True)
        return (exp.select(col("_key"), _alias(col("_value"), ident(measure.name)))
                .from_(counted.subquery("counted"))
                .where(exp.EQ(this=col("_rn"), expression=exp.Literal.number(1))))

    # ---------------------------------------------------------------- expressions
    def column_ref(self, table: str, column: str) -> exp.Expression:
        if self.row_aliases is not None and (table, column) in self.row_aliases:
            return col(self.row_aliases[(table, column)], "numbered")
        if self.scope_table is not None:
            return col(column, table)
        return col(column)

    def as_of_expr(self) -> exp.Expression:
        if self.as_of.mode == "date":
            return self.to_date(exp.Literal.string(self.as_of.value.isoformat()))
        if self.as_of.mode == "today":
            return self.to_date(exp.CurrentDate())
        if self.rules.as_of_parameter:
            return self.to_date(exp.var(self.rules.as_of_parameter))
        return self.to_date(exp.Placeholder(this="as_of"))

    def value(self, node: ir.Expr) -> exp.Expression:
        if node in self.lookup_values:
            return self.lookup_values[node].copy()
        method = getattr(self, "value_" + type(node).__name__)
        result = method(node)
        if not self.rules.boolean_values and _is_condition(node):
            # Engines without booleans carry conditions as 1 / 0 / null.
            return exp.Case(ifs=[exp.If(this=result, true=exp.Literal.number(1)),
                                 exp.If(this=exp.Not(this=result.copy()),
                                        true=exp.Literal.number(0))])
        return result

    def cond(self, node: ir.Expr) -> exp.Expression:
        if _is_condition(node) and node not in self.lookup_values:
            return getattr(self, "value_" + type(node).__name__)(node)
        value = self.value(node)
        if not self.rules.boolean_values:
            return exp.EQ(this=value, expression=exp.Literal.number(1))
        return value

    def value_Literal(self, node: ir.Literal) -> exp.Expression:
        v = node.value
        if v is None:
            return exp.Null()
        if isinstance(v, bool):
            if not self.rules.boolean_values:
                return exp.Literal.number(1 if v else 0)
            return exp.true() if v else exp.false()
        if node.type is T.DATE:
            return self.to_date(exp.Literal.string(v.isoformat()))
        if node.type is T.TIMESTAMP:
            return self.to_timestamp(exp.Literal.string(v.isoformat(sep=" ")))
        if node.type is T.TEXT:
            return exp.Literal.string(v)
        return exp.Literal.number(str(v))

    def value_AsOf(self, node: ir.AsOf) -> exp.Expression:
        return self.as_of_expr()

    def value_Column(self, node: ir.Column) -> exp.Expression:
        return self.column_ref(node.table, node.name)

    def value_Ref(self, node: ir.Ref) -> exp.Expression:
        return col(node.name)

    def value_Not(self, node: ir.Not) -> exp.Expression:
        return exp.Not(this=_paren(self.cond(node.operand), 3))

    def value_Negate(self, node: ir.Negate) -> exp.Expression:
        return exp.Neg(this=_paren(self.value(node.operand), 7))

    def value_Logic(self, node: ir.Logic) -> exp.Expression:
        level = 2 if node.op == "and" else 1
        parts = [_paren(self.cond(o), level) for o in node.operands]
        return _and(*parts) if node.op == "and" else _or(*parts)

    def value_Arith(self, node: ir.Arith) -> exp.Expression:
        level = 6 if node.op in ("*", "/") else 5
        left = _paren(self.value(node.left), level)
        right = _paren(self.value(node.right), level, right=True)
        if node.op == "/":
            # Exact division on every engine: never integer division, x / 0 is missing.
            numerator = _cast(left, exp.DataType.build("DOUBLE")) \
                if node.type is T.FLOAT else _cast(left, exp.DataType.build("DECIMAL(38, 10)"))
            denominator = exp.Nullif(this=right, expression=exp.Literal.number(0))
            return exp.Div(this=numerator, expression=denominator)
        kinds = {"+": exp.Add, "-": exp.Sub, "*": exp.Mul}
        return kinds[node.op](this=left, expression=right)

    def value_Compare(self, node: ir.Compare) -> exp.Expression:
        kinds = {"=": exp.EQ, "!=": exp.NEQ, "<": exp.LT, "<=": exp.LTE, ">": exp.GT,
                 ">=": exp.GTE}
        left, right = self.aligned(node.left, node.right)
        return kinds[node.op](this=_paren(left, 5), expression=_paren(right, 5))

    def aligned(self, *nodes: ir.Expr) -> list[exp.Expression]:
        """Values for a comparison; a date compared with a timestamp becomes a timestamp
        (midnight) explicitly, as strict engines (BigQuery) require."""
        values = [self.value(n) for n in nodes]
        if any(n.type is T.TIMESTAMP for n in nodes):
            values = [self.to_timestamp(v) if n.type is T.DATE else v
                      for n, v in zip(nodes, values, strict=True)]
        return values

    def value_Between(self, node: ir.Between) -> exp.Expression:
        value, low, high = self.aligned(node.value, node.low, node.high)
        return exp.Between(this=_paren(value, 5), low=_paren(low, 5), high=_paren(high, 5))

    def value_InList(self, node: ir.InList) -> exp.Expression:
        value, *items = self.aligned(node.value, *node.items)
        result = exp.In(this=_paren(value, 5), expressions=items)
        return exp.Not(this=result) if node.negated else result

    def value_TextMatch(self, node: ir.TextMatch) -> exp.Expression:
        value = _paren(self.value(node.value), 5)
        pattern = node.pattern
        if node.op == "like":
            return like_match(self.rules, value, self.value(pattern))
        # (`[` too: a character class in T-SQL's LIKE)
        if isinstance(pattern, ir.Literal) and not re.search(r"[%_\\\[]", str(pattern.value)):
            text = str(pattern.value)
            wrapped = {"contains": f"%{text}%", "starts_with": f"{text}%",
                       "ends_with": f"%{text}"}[node.op]
            return like_match(self.rules, value, exp.Literal.string(wrapped))
        needle = self.value(pattern)
        if node.op == "contains":
            return exp.GT(this=exp.StrPosition(this=value, substr=needle),
                          expression=exp.Literal.number(0))
        length = exp.Length(this=needle.copy())
        if node.op == "starts_with":
            return exp.EQ(this=exp.Substring(this=value, start=exp.Literal.number(1),
                                             length=length), expression=needle)
        start = exp.Add(this=exp.Sub(this=exp.Length(this=value.copy()), expression=length),
                        expression=exp.Literal.number(1))
        return _and(
            exp.GTE(this=exp.Length(this=value.copy()), expression=length.copy()),
            exp.EQ(this=exp.Substring(this=value, start=start), expression=needle),
        )

    def value_IsMissing(self, node: ir.IsMissing) -> exp.Expression:
        test = exp.Is(this=_paren(self.value(node.value), 5), expression=exp.Null())
        return exp.Not(this=test) if node.negated else test

    def value_Case(self, node: ir.Case) -> exp.Expression:
        return exp.Case(
            ifs=[exp.If(this=self.cond(c), true=self.value(v)) for c, v in node.whens],
            default=self.value(node.otherwise) if node.otherwise is not None else None,
        )

    def value_DateShift(self, node: ir.DateShift) -> exp.Expression:
        if isinstance(node.value, ir.AsOf) and self.as_of.mode == "date":
            shifted = shift_date(self.as_of.value, node.amount, node.unit)
            return self.to_date(exp.Literal.string(shifted.isoformat()))
        shifted = _date_add(self.value(node.value), node.amount, node.unit)
        # Some engines return a timestamp for date + interval: keep the declared type.
        return self.to_date(shifted) if node.type is T.DATE else shifted

    def value_Func(self, node: ir.Func) -> exp.Expression:
        args = [self.value(a) for a in node.args]
        name = node.name
        if name == "days_between":
            return exp.DateDiff(this=self.to_date(args[1]), expression=self.to_date(args[0]),
                                unit=exp.var("DAY"))
        if name in ("months_between", "years_between"):
            return _calendar_difference(args[0], args[1], name == "years_between",
                                        self.date_part, self.to_date)
        if name == "date":
            return self.to_date(args[0])
        if name == "year":
            return self.date_part("YEAR", args[0])
        if name == "month":
            return self.date_part("MONTH", args[0])
        if name == "score_code":
            # the digits of every score, e.g. "545"; missing when any score is
            any_missing = _or(*(exp.Is(this=a.copy(), expression=exp.Null()) for a in args))
            digits = exp.Concat(expressions=[_cast(a, "TEXT") for a in args])
            return exp.Case(ifs=[exp.If(this=any_missing, true=exp.Null())], default=digits)
        if name == "coalesce":
            return exp.Coalesce(this=args[0], expressions=args[1:])
        if name in ("least", "greatest"):
            # Missing if any argument is missing, on every engine (some skip nulls).
            kind = exp.Least if name == "least" else exp.Greatest
            any_missing = _or(*(exp.Is(this=a.copy(), expression=exp.Null()) for a in args))
            return exp.Case(ifs=[exp.If(this=any_missing, true=exp.Null())],
                            default=kind(this=args[0], expressions=args[1:]))
        if name in ("upper", "lower") and self.rules.case_functions:
            function = self.rules.case_functions[0 if name == "upper" else 1]
            return exp.Anonymous(this=function, expressions=[args[0]])
        simple = {"lower": exp.Lower, "upper": exp.Upper, "length": exp.Length, "abs": exp.Abs}
        if name in simple:
            return simple[name](this=args[0])
        if name == "round":
            return exp.Round(this=args[0], decimals=args[1] if len(args) > 1 else None)
        raise AssertionError(f"no SQL for function {name}")

    def to_date(self, value: exp.Expression) -> exp.Expression:
        return _cast(value, self.rule_type(self.rules.date_type, "DATE"))

    def rule_type(self, name: str, default: str) -> str | exp.DataType:
        # a dialect's own type name is parsed in that dialect; the standard one is not (in
        # BigQuery, TIMESTAMP would be read as a timestamp with a time zone)
        return default if name == default else exp.DataType.build(name, dialect=self.dialect)

    def to_timestamp(self, value: exp.Expression) -> exp.Expression:
        return _cast(value, self.rule_type(self.rules.timestamp_type, "TIMESTAMP"))

    def date_part(self, unit: str, value: exp.Expression) -> exp.Expression:
        if self.rules.date_part is not None:
            return self.rules.date_part(unit, value)
        return {"YEAR": exp.Year, "MONTH": exp.Month, "DAY": exp.Day}[unit](this=value)

    def value_Rank(self, node: ir.Rank) -> exp.Expression:
        by = self.value(node.by)
        amount = exp.Literal.number(str(node.amount.value))
        if node.among is None and self.never_missing(node.by):
            # Every entity is ranked: order by value and key; the count is the number of
            # entities (a window count over all rows would stall the engine's threads).
            order = exp.Order(expressions=[
                exp.Ordered(this=by, desc=node.direction == "top"),
                exp.Ordered(this=col(self.plan.key)),
            ])
            row_number = exp.Window(this=exp.RowNumber(), order=order)
            if not node.percent:
                return exp.LTE(this=row_number, expression=amount)
            entities = exp.select(exp.Count(this=exp.Star())).from_(
                self.aliased_source(self.model.entity), copy=False)
            return exp.LTE(this=exp.Mul(this=row_number, expression=exp.Literal.number(100)),
                           expression=exp.Mul(this=amount, expression=entities.subquery()))
        eligible = exp.Not(this=exp.Is(this=_paren(by, 5), expression=exp.Null()))
        if node.among is not None:
            among = self.cond(node.among)
            if self.rules.boolean_values:
                among = exp.Coalesce(this=among, expressions=[exp.false()])
            eligible = _and(eligible, among)
        # One ordering of all entities: the eligible first, by value, ties by key.
        ineligible_last = exp.Case(ifs=[exp.If(this=eligible.copy(),
                                               true=exp.Literal.number(0))],
                                   default=exp.Literal.number(1))
        order = exp.Order(expressions=[
            # (missing values are ineligible, so already last: no NULLS clause is needed)
            exp.Ordered(this=ineligible_last),
            exp.Ordered(this=by.copy(), desc=node.direction == "top"),
            exp.Ordered(this=col(self.plan.key)),
        ])
        row_number = exp.Window(this=exp.RowNumber(), order=order.copy())
        if node.percent:
            # The number of eligible entities, over the same ordering and the whole frame.
            eligible_count = exp.Window(
                this=exp.Sum(this=exp.Case(
                    ifs=[exp.If(this=eligible.copy(), true=exp.Literal.number(1))],
                    default=exp.Literal.number(0))),
                order=order,
                spec=exp.WindowSpec(kind="ROWS", start="UNBOUNDED", start_side="PRECEDING",
                                    end="UNBOUNDED", end_side="FOLLOWING"),
            )
            within = exp.LTE(this=exp.Mul(this=row_number, expression=exp.Literal.number(100)),
                             expression=exp.Mul(this=amount, expression=eligible_count))
        else:
            within = exp.LTE(this=row_number, expression=amount)
        return _and(eligible, within)

    def value_Score(self, node: ir.Score) -> exp.Expression:
        """Bins 1..N, N the best. ntile: equal-sized bins, ties split by key (the smaller key
        gets the better score); quantile: bins by rank, ties share a bin; thresholds: fixed
        cut points. Entities whose value is missing get no score."""
        by = self.value(node.by)
        missing = exp.Is(this=_paren(by.copy(), 5), expression=exp.Null())
        if node.method == "thresholds":
            compare = exp.GTE if node.higher_is_better else exp.LTE
            score: exp.Expression = exp.Literal.number(1)
            for threshold in node.thresholds:
                reached = exp.Case(ifs=[exp.If(this=compare(this=_paren(by.copy(), 5),
                                                            expression=self.value(threshold)),
                                               true=exp.Literal.number(1))],
                                   default=exp.Literal.number(0))
                score = exp.Add(this=score, expression=reached)
        else:
            partition = [exp.Case(ifs=[exp.If(this=missing.copy(), true=exp.Literal.number(1))],
                                  default=exp.Literal.number(0))]
            # worst first, so that the best values get the highest bin
            worst_first = exp.Ordered(this=by.copy(), desc=not node.higher_is_better)
            if node.method == "ntile":
                order = exp.Order(expressions=[worst_first,
                                               exp.Ordered(this=col(self.plan.key), desc=True)])
                score = exp.Window(this=exp.Ntile(this=exp.Literal.number(node.bins)),
                                   partition_by=partition, order=order)
            else:
                rank = exp.Window(this=exp.Rank(), partition_by=partition,
                                  order=exp.Order(expressions=[worst_first]))
                size = exp.Window(this=exp.Count(this=exp.Star()),
                                  partition_by=[p.copy() for p in partition])
                share = exp.Div(
                    this=_cast(exp.Mul(this=exp.Literal.number(node.bins),
                                       expression=exp.Paren(this=exp.Sub(
                                           this=rank, expression=exp.Literal.number(1)))),
                               "DOUBLE"),
                    expression=size)
                score = exp.Add(this=_cast(exp.Floor(this=share), "INT"),
                                expression=exp.Literal.number(1))
        return exp.Case(ifs=[exp.If(this=missing, true=exp.Null())], default=score)

    def never_missing(self, node: ir.Expr) -> bool:
        """True when the value is present for every entity: a count or sum (0 without
        rows), a segment or rank, or arithmetic and features built only from those."""
        if isinstance(node, ir.Literal):
            return node.value is not None
        if isinstance(node, ir.Ref):
            if node.name in self.defaulted_measures:
                return True
            computed = self.computed.get(node.name)
            if computed is None:
                return False
            return computed.kind != "feature" or self.never_missing(computed.expr)
        if isinstance(node, ir.Arith):
            return node.op != "/" and self.never_missing(node.left) and \
                self.never_missing(node.right)
        if isinstance(node, ir.Negate):
            return self.never_missing(node.operand)
        return False

    def value_Total(self, node: ir.Total) -> exp.Expression:
        """A KPI's aggregate over a group of rows (the query groups them)."""
        kinds = {"sum": exp.Sum, "count": exp.Count, "avg": exp.Avg, "min": exp.Min,
                 "max": exp.Max}
        return kinds[node.func](this=self.value(node.value))

    def value_FeatureRef(self, node: ir.FeatureRef) -> exp.Expression:
        return col(node.name)

    def value_SegmentRef(self, node: ir.SegmentRef) -> exp.Expression:
        return col(node.name)


# How partial results per join key add up to a result per entity.
_COMBINE = {"count": exp.Sum, "sum": exp.Sum, "min": exp.Min, "max": exp.Max}

def _lookup_expressions(measures, lookups: set[str]) -> dict[ir.Expr, tuple[str, str]]:
    """The largest sub-expressions of the measures that read columns of one lookup only
    (and are more than a bare column): {expression: (lookup, alias)}."""
    found: dict[ir.Expr, tuple[str, str]] = {}

    def tables(node: ir.Expr) -> set[str]:
        return {n.table for n in node.walk() if isinstance(n, ir.Column)}

    def visit(node: ir.Expr) -> None:
        if isinstance(node, ir.Aggregate):
            for part in (node.arg, node.filter):
                if part is not None:
                    visit(part)
            return
        owners = tables(node)
        if (len(owners) == 1 and owners <= lookups and not isinstance(node, ir.Column)
                and not any(isinstance(n, ir.AsOf) for n in node.walk())):
            if node not in found:
                found[node] = (next(iter(owners)), f"_lookup_{len(found) + 1}")
            return
        for child in node.children():
            visit(child)

    for measure in measures:
        visit(measure.aggregate)
    return found


_CONDITIONS = (ir.Not, ir.Logic, ir.Compare, ir.Between, ir.InList, ir.TextMatch,
               ir.IsMissing, ir.Rank)


def _cut(name: str, limit: int) -> str:
    """`name` cut to `limit` bytes of UTF-8, at a character boundary (as PostgreSQL does)."""
    data = name.encode()
    if len(data) <= limit:
        return name
    return data[:limit].decode(errors="ignore")


def _is_condition(node: ir.Expr) -> bool:
    return isinstance(node, _CONDITIONS)


_PRECEDENCE: tuple[tuple[type, int], ...] = (
    (exp.Or, 1), (exp.And, 2), (exp.Not, 3),
    (exp.EQ, 4), (exp.NEQ, 4), (exp.LT, 4), (exp.LTE, 4), (exp.GT, 4), (exp.GTE, 4),
    (exp.Between, 4), (exp.In, 4), (exp.Like, 4), (exp.Glob, 4), (exp.Is, 4),
    (exp.Add, 5), (exp.Sub, 5), (exp.Mul, 6), (exp.Div, 6), (exp.Neg, 7),
)


def _level(node: exp.Expression) -> int:
    for kind, level in _PRECEDENCE:
        if type(node) is kind:
            return level
    return 9  # atoms, function calls, CASE, casts


def _paren(node: exp.Expression, parent_level: int = 8, right: bool = False) -> exp.Expression:
    """Parenthesise `node` only where SQL precedence needs it under a parent operator."""
    level = _level(node)
    if level < parent_level or (right and level == parent_level and parent_level in (5, 6)):
        return exp.Paren(this=node)
    return node


def _project(select: exp.Select, value: exp.Expression, name: str) -> None:
    """Add `value AS name` to a SELECT in place. (sqlglot's builder re-parents every existing
    projection on each call, which made a thousand segments quadratic.)"""
    select.append("expressions", _alias(value, ident(name)))


def _case_when(condition: exp.Expression, value: exp.Expression) -> exp.Expression:
    return exp.Case(ifs=[exp.If(this=condition, true=value)])


def _date_add(value: exp.Expression, amount: int, unit: str) -> exp.Expression:
    return exp.DateAdd(this=value, expression=exp.Literal.number(amount),
                       unit=exp.var(unit.upper()))


def _calendar_difference(start: exp.Expression, end: exp.Expression, years: bool,
                         date_part: Callable[[str, exp.Expression], exp.Expression],
                         to_date: Callable[[exp.Expression], exp.Expression]):
    """Whole months or years from start to end, counted like an age: the count goes up on
    the day of the month (or the date in the year) that start fell on."""
    def part(kind, value):
        unit = {exp.Year: "YEAR", exp.Month: "MONTH", exp.Day: "DAY"}[kind]
        return date_part(unit, to_date(value.copy()))

    if years:
        whole = exp.Sub(this=part(exp.Year, end), expression=part(exp.Year, start))
        end_key = exp.Add(this=exp.Mul(this=part(exp.Month, end),
                                       expression=exp.Literal.number(100)),
                          expression=part(exp.Day, end))
        start_key = exp.Add(this=exp.Mul(this=part(exp.Month, start),
                                         expression=exp.Literal.number(100)),
                            expression=part(exp.Day, start))
    else:
        whole = exp.Sub(
            this=exp.Add(this=exp.Mul(this=part(exp.Year, end), expression=exp.Literal.number(12)),
                         expression=part(exp.Month, end)),
            # parenthesised: a - (b + c); sqlglot prints the tree as built
            expression=exp.Paren(this=exp.Add(this=exp.Mul(this=part(exp.Year, start),
                                                            expression=exp.Literal.number(12)),
                                               expression=part(exp.Month, start))),
        )
        end_key, start_key = part(exp.Day, end), part(exp.Day, start)
    not_yet = exp.Case(ifs=[exp.If(this=exp.LT(this=end_key, expression=start_key),
                                   true=exp.Literal.number(1))], default=exp.Literal.number(0))
    return exp.Sub(this=exp.Paren(this=whole), expression=not_yet)


def _with_projection(select: exp.Select, *projections: exp.Expression) -> exp.Select:
    copy = select.copy()
    copy.set("expressions", list(projections))
    return copy


def table_function(source: exp.Expression, alias: str) -> exp.Expression:
    """`read_parquet('…') AS orders`: a table-valued function with a table alias."""
    if isinstance(source, exp.Table):
        return _alias(source, ident(alias), table=True)
    return exp.Table(this=source, alias=exp.TableAlias(this=ident(alias)))

