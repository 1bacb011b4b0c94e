"""IR expressions -> sqlglot expressions: one `value_<Node>` method per IR node kind (a
condition where a value is needed, and back, through `value` and `cond`). The dialect's
rules (`dialects.py`) decide every difference between engines."""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlglot import exp

from ... import catalogue, ir
from ... import model as m
from ...diagnostics import Diagnostic
from ...plan import Plan
from ...plan.as_of import AsOf, AsOfMode
from .dialects import DialectRules, like_match, rules_for
from .slots import slot_sql
from .trees import and_, cast, col, date_add, or_, paren

T = ir.Type
AS_OF_COLUMN = "_as_of"  # many dates in one pass: the date of each row (multi_date.py)


class SqlExpressions:
    """Translates the IR of one plan for one dialect and as_of."""

    def __init__(self, plan: Plan, dialect: str, as_of: AsOf) -> None:
        self.plan = plan
        self.model: m.Model = plan.model
        self.dialect = dialect
        self.rules: DialectRules = rules_for(dialect)
        self.as_of = as_of
        self.errors: list[Diagnostic] = []
        self.scope_table: str | None = None  # inside an aggregation: qualify columns
        self.row_aliases: dict[tuple[str, str], str] | None = None
        self.defaulted_measures = {m.name for a in plan.aggregations for m in a.measures
                                   if m.empty is not None}
        self.computed = {c.name: c for step in plan.steps for c in step.columns}
        # lookup-only expressions computed in a lookup's subquery -> the column holding them
        self.lookup_values: dict[ir.Expr, exp.Expression] = {}
        # many dates in one pass (`AsOf.many`): the relation whose `_as_of` column is as_of
        # where the current select reads it (None: the only one, unqualified)
        self.as_of_source: str | None = None

    def column_ref(self, table: str, column: str) -> exp.Expression:
        if self.row_aliases is not None and (table, column) in self.row_aliases:
            return col(self.row_aliases[(table, column)], "numbered")
        if self.scope_table is not None:
            return col(column, table)
        return col(self.plan.row_name(column) if table == self.model.entity.name else column)

    def as_of_expr(self) -> exp.Expression:
        if self.as_of.mode is AsOfMode.DATES:
            if self.row_aliases is not None:
                return col(AS_OF_COLUMN, "numbered")
            return col(AS_OF_COLUMN, self.as_of_source)
        if self.as_of.mode is AsOfMode.DATE:
            return self.to_date(exp.Literal.string(self.as_of.value.isoformat()))
        if self.as_of.mode is AsOfMode.TODAY:
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
        return exp.Not(this=paren(self.cond(node.operand), 3))

    def value_Negate(self, node: ir.Negate) -> exp.Expression:
        return exp.Neg(this=paren(self.value(node.operand), 7))

    def value_Logic(self, node: ir.Logic) -> exp.Expression:
        level = 2 if node.op == "and" else 1
        parts = [paren(self.cond(o), level) for o in node.operands]
        return and_(*parts) if node.op == "and" else or_(*parts)

    def value_Arith(self, node: ir.Arith) -> exp.Expression:
        level = 6 if node.op in ("*", "/") else 5
        left = paren(self.value(node.left), level)
        right = paren(self.value(node.right), level, right=True)
        if node.op == "/" and isinstance(node.right, ir.Literal) \
                and node.right.type is T.FLOAT and node.right.value == 1:
            # a double 1 is never written by a user (their numbers are ints and decimals):
            # the compiler's way to say "x as a double" (compiler/clusters.py)
            return cast(left, exp.DataType.build("DOUBLE"))
        if node.op == "/":
            # Exact division on every engine: never integer division, x / 0 is missing.
            numerator = cast(left, exp.DataType.build("DOUBLE")) \
                if node.type is T.FLOAT else cast(left, exp.DataType.build("DECIMAL(38, 10)"))
            denominator = exp.Nullif(this=right, expression=exp.Literal.number(0))
            return exp.Div(this=numerator, expression=denominator)
        kinds = {"+": exp.Add, "-": exp.Sub, "*": exp.Mul}
        return kinds[node.op](this=left, expression=right)

    def value_Compare(self, node: ir.Compare) -> exp.Expression:
        kinds = {"=": exp.EQ, "!=": exp.NEQ, "<": exp.LT, "<=": exp.LTE, ">": exp.GT,
                 ">=": exp.GTE}
        left, right = self.aligned(node.left, node.right)
        return kinds[node.op](this=paren(left, 5), expression=paren(right, 5))

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
        return exp.Between(this=paren(value, 5), low=paren(low, 5), high=paren(high, 5))

    def value_InList(self, node: ir.InList) -> exp.Expression:
        value, *items = self.aligned(node.value, *node.items)
        result = exp.In(this=paren(value, 5), expressions=items)
        return exp.Not(this=result) if node.negated else result

    def value_TextMatch(self, node: ir.TextMatch) -> exp.Expression:
        value = paren(self.value(node.value), 5)
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
        return and_(
            exp.GTE(this=exp.Length(this=value.copy()), expression=length.copy()),
            exp.EQ(this=exp.Substring(this=value, start=start), expression=needle),
        )

    def value_IsMissing(self, node: ir.IsMissing) -> exp.Expression:
        test = exp.Is(this=paren(self.value(node.value), 5), expression=exp.Null())
        return exp.Not(this=test) if node.negated else test

    def value_Case(self, node: ir.Case) -> exp.Expression:
        return exp.Case(
            ifs=[exp.If(this=self.cond(c), true=self.value(v)) for c, v in node.whens],
            default=self.value(node.otherwise) if node.otherwise is not None else None,
        )

    def value_DateShift(self, node: ir.DateShift) -> exp.Expression:
        # (`as_of ± n units` with as_of known is a date already: the physical plan folds it)
        shifted = date_add(self.value(node.value), node.amount, node.unit)
        # Some engines return a timestamp for date + interval: keep the declared type.
        return self.to_date(shifted) if node.type is T.DATE else shifted

    def value_Func(self, node: ir.Func) -> exp.Expression:
        args = [self.value(a) for a in node.args]
        name = node.name
        if name == "score_code":
            # the digits of every score, e.g. "545"; missing when any score is
            any_missing = or_(*(exp.Is(this=a.copy(), expression=exp.Null()) for a in args))
            digits = exp.Concat(expressions=[cast(a, "TEXT") for a in args])
            return exp.Case(ifs=[exp.If(this=any_missing, true=exp.Null())], default=digits)
        return catalogue.scalar(name).sql_for(self.dialect)(self, args, node)

    def to_date(self, value: exp.Expression) -> exp.Expression:
        return cast(value, self.rule_type(self.rules.date_type, "DATE"))

    def rule_type(self, name: str, default: str) -> str | exp.DataType:
        # a dialect's own type name is parsed in that dialect; the standard one is not (in
        # BigQuery, TIMESTAMP would be read as a timestamp with a time zone)
        return default if name == default else exp.DataType.build(name, dialect=self.dialect)

    def to_timestamp(self, value: exp.Expression) -> exp.Expression:
        return cast(value, self.rule_type(self.rules.timestamp_type, "TIMESTAMP"))

    def date_part(self, unit: str, value: exp.Expression) -> exp.Expression:
        if self.rules.date_part is not None:
            return self.rules.date_part(unit, value)
        return {"YEAR": exp.Year, "MONTH": exp.Month, "DAY": exp.Day}[unit](this=value)


    def value_Total(self, node: ir.Total) -> exp.Expression:
        """A KPI's aggregate over a group of rows (the query groups them)."""
        kinds = {"sum": exp.Sum, "count": exp.Count, "avg": exp.Avg, "min": exp.Min,
                 "max": exp.Max}
        return kinds[node.func](this=self.value(node.value))

    def value_ClusterValue(self, node: ir.ClusterValue) -> exp.Expression:
        """(The planner makes each one a column; unplanned, it is its arithmetic.)"""
        return self.value(node.value)

    def value_Aggregate(self, node: ir.Aggregate) -> exp.Expression:
        raise AssertionError("aggregates are planned as measures")

    def value_FeatureRef(self, node: ir.FeatureRef) -> exp.Expression:
        return col(node.name)

    def value_Slot(self, node: ir.Slot) -> exp.Expression:
        return slot_sql(node.salt, self.value(node.key), self.dialect)

    def value_SegmentRef(self, node: ir.SegmentRef) -> exp.Expression:
        return col(node.name)

    def value_SegmentationRef(self, node: ir.SegmentationRef) -> exp.Expression:
        return col(node.name)  # the bucket column the plan computed (a Ref by then)




_CONDITIONS = (ir.Not, ir.Logic, ir.Compare, ir.Between, ir.InList, ir.TextMatch,
               ir.IsMissing, ir.Rank)



def _is_condition(node: ir.Expr) -> bool:
    return isinstance(node, _CONDITIONS)



def calendar_difference(start: exp.Expression, end: exp.Expression, years: bool,
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

