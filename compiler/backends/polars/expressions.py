"""IR expressions -> Polars expressions: one `value_<Node>` method per IR node kind, each
giving DuckDB's result (see docs/engines.md for where the defaults differ)."""

from __future__ import annotations

import operator
from datetime import date, datetime, time
from decimal import Decimal
from fractions import Fraction

import polars as pl

from ... import catalogue, ir
from ... import model as m
from ...codes import Code
from ...diagnostics import Diagnostic, error
from ...plan import Plan
from ...plan.ranking import RankFunc, Ranking
from ...slots import slot
from .numeric import all_of, balanced, like
from .sources import POLARS_TYPES, column_named, qualified

T = ir.Type
ENGINE = "polars"
_OFFSET_UNITS = {"day": "d", "week": "w", "month": "mo", "year": "y"}


class PolarsExpressions:
    """Translates the IR of one plan for a fixed as_of date."""

    def __init__(self, plan: Plan, as_of: date) -> None:
        self.plan = plan
        self.model: m.Model = plan.model
        self.as_of = as_of
        self.errors: list[Diagnostic] = []
        # inside an aggregation: columns are qualified `table.column` in the row frame
        self.scope_table: str | None = None
        self.defaulted_measures = {m.name for a in plan.aggregations for m in a.measures
                                   if m.empty is not None}
        # lookup-only expressions computed in a lookup's frame -> the column holding them
        self.lookup_values: dict[ir.Expr, pl.Expr] = {}

    def value(self, node: ir.Expr) -> pl.Expr:
        if node in self.lookup_values:
            return self.lookup_values[node]
        return getattr(self, "value_" + type(node).__name__)(node)

    def column_ref(self, table: str, column: str) -> pl.Expr:
        if self.scope_table is not None:
            return column_named(qualified(table, column))
        return column_named(self.plan.row_name(column) if table == self.model.entity.name
                            else column)

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

    def value_SegmentationRef(self, node: ir.SegmentationRef) -> pl.Expr:
        return column_named(node.name)  # the bucket column the plan computed

    def value_Not(self, node: ir.Not) -> pl.Expr:
        return ~self.value(node.operand)  # null stays null

    def value_Negate(self, node: ir.Negate) -> pl.Expr:
        return -self.value(node.operand)

    def value_Logic(self, node: ir.Logic) -> pl.Expr:
        # Polars' & and | are Kleene logic, as SQL: null and false is false.
        parts = [self.value(o) for o in node.operands]
        return all_of(parts) if node.op == "and" else balanced(parts, operator.or_)

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
        # (`as_of ± n units` is a date already: the physical plan folds it)
        # Polars' calendar offsets clamp to the month's end, as every SQL engine does.
        return self.value(node.value).dt.offset_by(f"{node.amount}{_OFFSET_UNITS[node.unit]}")

    def value_Slot(self, node: ir.Slot) -> pl.Expr:
        # Polars has no md5: segl computes the slot (compiler/slots.py) per key
        salt = node.salt
        return self.value(node.key).map_elements(
            lambda key: slot(salt, key), return_dtype=pl.Int64, skip_nulls=True)

    def value_Func(self, node: ir.Func) -> pl.Expr:
        args = [self.value(a) for a in node.args]
        name = node.name
        if name == "score_code":
            # the digits of every score, e.g. "545"; missing when any score is
            return pl.concat_str([a.cast(pl.String) for a in args])
        return catalogue.scalar(name).polars(self, args, node)

    def unsupported(self, node: ir.Expr, what: str) -> None:
        self.errors.append(error(Code.E301, f"the {ENGINE} engine cannot evaluate {what}",
                                 node.span, "run it with --engine duckdb"))

    def plan_Ranking(self, ranking: Ranking, frame: pl.LazyFrame) -> pl.LazyFrame:
        """The admitted entities only (filter, then rank): their key as `_key`, their
        position in the ranking's ordering and, when needed, how many were ranked."""
        if ranking.admits is not None:
            frame = frame.filter(self.value(ranking.admits))
        order = [self.value(key.expr) for key in ranking.order]
        descending = [key.descending for key in ranking.order]
        if ranking.partition:
            return self._partitioned_ranking(ranking, frame, order, descending)
        if ranking.func is RankFunc.RANK:
            position = order[0].rank("min", descending=descending[0])
        else:
            position = pl.arg_sort_by(order, descending=descending, nulls_last=True) \
                .arg_sort() + 1
        position = position.cast(pl.Int64)
        if ranking.func is RankFunc.NTILE:
            # DuckDB's ntile: the first `large` bins hold one entity more
            scored = pl.len().cast(pl.Int64)
            index = position - 1
            bins = pl.min_horizontal(pl.lit(ranking.node.bins, dtype=pl.Int64), scored)
            size = scored // bins
            large = scored - bins * size
            small_from = large * (size + 1)
            position = pl.when(index < small_from).then(1 + index // (size + 1)) \
                .otherwise(1 + large + (index - small_from) // pl.max_horizontal(size, 1))
        columns = [column_named(self.plan.row_key).alias("_key"),
                   position.alias(f"_{ranking.name}_position")]
        if ranking.counted:
            columns.append(pl.len().cast(pl.Int64).alias(f"_{ranking.name}_count"))
        return frame.select(columns)

    def _partitioned_ranking(self, ranking: Ranking, frame: pl.LazyFrame, order: list[pl.Expr],
                             descending: list[bool]) -> pl.LazyFrame:
        """row_number by the ordering and the count, within each value of the partition
        (a missing value is a partition of its own, as in SQL)."""
        names = [f"_order_{i}" for i in range(len(order))]
        parts = [f"_part_{i}" for i in range(len(ranking.partition))]
        frame = frame.with_columns([o.alias(n) for o, n in zip(order, names, strict=True)]
                                   + [self.value(p).alias(n) for p, n in
                                      zip(ranking.partition, parts, strict=True)])
        frame = frame.sort([*parts, *names], descending=[False] * len(parts) + descending,
                           nulls_last=True)
        position = (pl.int_range(pl.len(), dtype=pl.Int64) + 1).over(parts)
        return frame.select(column_named(self.plan.row_key).alias("_key"),
                            position.alias(f"_{ranking.name}_position"),
                            pl.len().cast(pl.Int64).over(parts).alias(f"_{ranking.name}_count"))

    def value_StratifiedSlot(self, node: ir.StratifiedSlot) -> pl.Expr:
        """floor(10000 * (position - 1) / count), as the SQL backend computes it."""
        position, count = self.ranking_of(node)
        return ((10_000 * (position - 1)) // count).cast(pl.Int64)

    def ranking_of(self, node: ir.Rank | ir.Score | ir.StratifiedSlot
                   ) -> tuple[pl.Expr, pl.Expr]:
        """The position and count columns of the ranking computing `node`."""
        if not hasattr(self, "_rankings"):
            self._rankings = {r.node: r for r in self.physical.rankings}
        name = self._rankings[node].name
        return column_named(f"_{name}_position"), column_named(f"_{name}_count")

    def value_Rank(self, node: ir.Rank) -> pl.Expr:
        """A member when ranked with position r <= N (r * 100 <= P * n)."""
        position, count = self.ranking_of(node)
        amount = Fraction(str(node.amount.value))
        if node.percent:
            # r * 100 <= P * n, in integers: r * 100 * q <= p * n for P = p / q
            return position * (100 * amount.denominator) <= count * amount.numerator
        return position <= int(amount)

    def value_ClusterValue(self, node: ir.ClusterValue) -> pl.Expr:
        """(The planner makes each one a column; unplanned, it is its arithmetic.)"""
        return self.value(node.value)

    def value_Score(self, node: ir.Score) -> pl.Expr:
        """Bins 1..N, N the best, as DuckDB computes them (see the SQL backend's
        value_Score); an entity that is not ranked (no value) gets none."""
        if node.method == "ntile":
            return self.ranking_of(node)[0]
        if node.method == "quantile":
            # 1 + floor(N * (rank - 1) / n), rank 1 the worst value, ties share a rank
            rank, scored = self.ranking_of(node)
            return ((node.bins * (rank - 1)) // scored + 1).cast(pl.Int32)
        by = self.value(node.by)
        score = pl.lit(1, dtype=pl.Int32)
        for threshold in node.thresholds:
            limit = self.value(threshold)
            reached = by >= limit if node.higher_is_better else by <= limit
            score = score + reached.cast(pl.Int32)
        return pl.when(by.is_null()).then(None).otherwise(score)

    def value_Total(self, node: ir.Total) -> pl.Expr:
        self.unsupported(node, "a KPI total")
        return pl.lit(None)

    def value_Aggregate(self, node: ir.Aggregate) -> pl.Expr:
        raise AssertionError("aggregates are planned as measures")


