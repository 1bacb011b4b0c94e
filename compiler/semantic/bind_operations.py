"""Binding an expression's operations: operators, conditions, case, rank, similarity,
windows, function calls and aggregates (by the catalogue)."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from pathlib import Path

from .. import catalogue, ir
from .. import model as m
from ..catalogue import AGGREGATES, SCALAR_FUNCTIONS
from ..codes import Code
from ..diagnostics import did_you_mean
from ..syntax import nodes as n
from ..syntax.format_expressions import SUM
from ..syntax.format_expressions import expr as format_expr
from ..syntax.limits import duration_problem
from . import clusters, correlation
from .bind_names import _Scope
from .bind_sequences import bind_sequence


class OperationBinding:
    """Mixed into the resolver (resolve.py): the `expr_*` methods of operations."""

    def expr_Unary(self, node: n.Unary, scope: _Scope) -> ir.Expr | None:
        operand = self.expr(node.operand, scope)
        if operand is None:
            return None
        if node.op == "not":
            return ir.Not(operand, span=node.span)
        return ir.Negate(operand, span=node.span)

    def expr_Binary(self, node: n.Binary, scope: _Scope) -> ir.Expr | None:
        if node.op in ("+", "-") and isinstance(node.right, n.Duration):
            value = self.expr(node.left, scope)
            if value is None:
                return None
            amount = node.right.amount if node.op == "+" else -node.right.amount
            return ir.DateShift(value, amount, node.right.unit, span=node.span)
        if node.op == "+" and isinstance(node.left, n.Duration):
            value = self.expr(node.right, scope)
            if value is None:
                return None
            return ir.DateShift(value, node.left.amount, node.left.unit, span=node.span)
        left = self.expr(node.left, scope)
        right = self.expr(node.right, scope)
        if left is None or right is None:
            return None
        if node.op in ("+", "-", "*", "/"):
            return ir.Arith(node.op, left, right, span=node.span)
        if node.op in ("=", "!=") and not self.bucket_literals(left, right):
            return None
        return ir.Compare(node.op, left, right, span=node.span)

    def expr_Logic(self, node: n.Logic, scope: _Scope) -> ir.Expr | None:
        resolved = self.exprs(node.operands, scope)
        if resolved is None:
            return None
        operands: list[ir.Expr] = []
        for operand in resolved:  # `a and (b and c)` is one chain for every later stage
            if isinstance(operand, ir.Logic) and operand.op == node.op:
                operands.extend(operand.operands)
            else:
                operands.append(operand)
        return ir.Logic(node.op, tuple(operands), span=node.span)

    def expr_Between(self, node: n.Between, scope: _Scope) -> ir.Expr | None:
        parts = self.exprs((node.value, node.low, node.high), scope)
        return ir.Between(*parts, span=node.span) if parts else None

    def expr_InList(self, node: n.InList, scope: _Scope) -> ir.Expr | None:
        value = self.expr(node.value, scope)
        if isinstance(value, ir.SegmentationRef):
            return self.bucket_list(value, node)
        items = self.exprs(node.items, scope)
        if value is None or items is None:
            return None
        return ir.InList(value, items, node.negated, span=node.span)

    def expr_TextMatch(self, node: n.TextMatch, scope: _Scope) -> ir.Expr | None:
        parts = self.exprs((node.value, node.pattern), scope)
        return ir.TextMatch(node.op, *parts, span=node.span) if parts else None

    def expr_IsMissing(self, node: n.IsMissing, scope: _Scope) -> ir.Expr | None:
        value = self.expr(node.value, scope)
        return ir.IsMissing(value, node.negated, span=node.span) if value is not None else None

    def expr_Case(self, node: n.Case, scope: _Scope) -> ir.Expr | None:
        whens = []
        for condition, value in node.whens:
            parts = self.exprs((condition, value), scope)
            if parts is None:
                return None
            whens.append(parts)
        otherwise = None
        if node.otherwise is not None:
            otherwise = self.expr(node.otherwise, scope)
            if otherwise is None:
                return None
        return ir.Case(tuple(whens), otherwise, span=node.span)

    def expr_Rank(self, node: n.Rank, scope: _Scope) -> ir.Expr | None:
        if scope.table is not None:
            self.error(Code.E108, "`top`/`bottom` ranks entities; it cannot be used inside an "
                       "aggregate", node.span)
            return None
        by = self.expr(node.by, scope)
        among = self.expr(node.among, scope) if node.among is not None else None
        if by is None or (node.among is not None and among is None):
            return None
        amount = self.literal(node.amount)
        value = node.amount.value
        if node.percent and not (0 < value <= 100):
            self.error(Code.E002, "a percentage must be above 0 and at most 100", node.amount.span)
            return None
        if not node.percent and not isinstance(value, int):
            self.error(Code.E002, "`top N` needs a whole number", node.amount.span,
                       "for a share write `top 2.5%`")
            return None
        return ir.Rank(node.direction, amount, node.percent, by, among, type=ir.Type.BOOL,
                       span=node.span)

    def expr_Similarity(self, node: n.Similarity, scope: _Scope) -> ir.Expr | None:
        """`similarity to SEED on (…)`: minus the squared distance to the seed segment's
        centroid fitted by `segl discover` (E114 without a current lock file)."""
        if scope.table is not None:
            self.error(Code.E108, "`similarity` ranks entities; it cannot be used inside an "
                       "aggregate", node.span)
            return None
        seed, seed_bucket = node.seed.text, None
        if node.bucket is not None:  # `similarity to styles is cluster_2`: a bucket's members
            if self.bucket_of(node.seed, node.bucket) is None:
                return None
            seed_bucket = (seed, node.bucket.text)
            seed = f"{seed} is {node.bucket.text}"
        elif seed not in self.segment_decls:
            if seed not in self.failed_names:
                self.error(Code.E101, f"unknown segment `{seed}`", node.seed.span,
                           did_you_mean(seed, self.segment_decls))
            return None
        elif self.resolve_segment(seed) is None:
            return None
        features = [self.expr(feature, _Scope()) for feature in node.features]
        if any(f is None for f in features):
            return None
        texts = tuple(format_expr(f, SUM) for f in node.features)
        if len(set(texts)) != len(texts):
            self.error(Code.E102, "a feature is listed twice", node.span)
            return None
        key = clusters.similarity_key(seed, texts)
        similarity = m.Similarity(key, seed, tuple(f for f in features if f is not None), texts,
                                  clusters.similarity_fingerprint(seed, texts),
                                  clusters.lock_path_for(node.span.path), span=node.span,
                                  seed_bucket=seed_bucket)
        fit, problem = clusters.read_similarity(similarity)
        self.similarities[key] = dataclasses.replace(similarity, fit=fit)
        if fit is None:
            entry = Path(self.files[-1].source.path).name if self.files else "FILE"
            self.error(Code.E114, problem or "", node.span,
                       f"run `segl discover {entry}` and commit "
                       f"`{Path(similarity.lock_path).name}` with the change")
            return None
        column = "similar_" + similarity.fingerprint[:8]
        return clusters.similarity_value(column, similarity, fit)

    def expr_Windowed(self, node: n.Windowed, scope: _Scope) -> ir.Expr | None:
        if scope.kpi:  # the window applies per entity, before the group's total
            windowed = self.expr_Windowed(node, _Scope())
            return self.kpi_total(windowed) if isinstance(windowed, ir.Aggregate) else windowed
        aggregate = self.expr_Call(node.call, scope)
        if aggregate is None:
            return None
        if not isinstance(aggregate, ir.Aggregate):
            self.error(Code.E111, f"a window applies to an aggregate; `{node.call.function.text}` "
                       "is not one", node.window.span,
                       "e.g. `count(orders) in last 90 days`")
            return None
        table = self.tables[aggregate.table]
        if table.time_column is None:
            self.error(Code.E111, f"`{aggregate.table}` has no time column, so it has no window",
                       node.window.span,
                       f"declare one: `events {aggregate.table} … at <time column>`")
            return None
        entity_date = correlation.entity_date_name(node.window, self.params)
        if entity_date is not None and (entity_date.name.text in self.feature_decls
                                        or self.tables[self.entity_decl.name.text]
                                        .column(entity_date.name.text)):
            value = self.expr(entity_date, _Scope())
            if value is None:
                return None
            time = ir.Column(table.name, table.time_column,
                             type=table.column(table.time_column).type
                             if table.column(table.time_column) else ir.Type.ANY,
                             span=entity_date.span)
            return dataclasses.replace(correlation.windowed_filter(node.window, aggregate, time,
                                                                   value), span=node.span)
        if isinstance(node.window, n.WindowEach):
            return correlation.each_period(self, node, aggregate)
        window = self.window(node.window)
        if window is None:
            return None
        return ir.Aggregate(aggregate.func, aggregate.table, aggregate.arg, aggregate.filter,
                            window, aggregate.distinct, aggregate.params, span=node.span)

    def window(self, node: n.Window) -> ir.Window | None:
        if isinstance(node, n.WindowLast):
            amount = node.amount
            if isinstance(amount, n.Ident):
                param = self.params.get(amount.text)
                if param is None:
                    self.error(Code.E111, f"`{amount.text}` is not a whole-number parameter",
                               amount.span, did_you_mean(amount.text, self.params) or
                               "a window length is a number or a whole-number parameter")
                    return None
                if param.value.type is not ir.Type.INT:
                    self.error(Code.E111, f"parameter `{amount.text}` is "
                               f"{param.value.type.with_article}; a window length needs a whole "
                               "number", amount.span)
                    return None
                amount = param.value.value
                problem = duration_problem(int(amount), node.unit)
                if problem:
                    self.error(Code.E111, f"parameter `{node.amount.text}`"
                               f": {problem}", node.amount.span,
                               "a window is at most 1,000 years long")
                    return None
            if amount <= 0:
                self.error(Code.E111, "a window must be at least 1 " + node.unit, node.span)
                return None
            return ir.WindowLast(int(amount), node.unit)
        if isinstance(node, n.WindowPeriod):
            months = correlation.period_months(self, node.unit, node)
            return ir.WindowPeriod(months, node.back) if months else None
        if isinstance(node, n.WindowPrevious):
            if node.amount <= 0:
                self.error(Code.E111, "a window must be at least 1 " + node.unit, node.span)
                return None
            return ir.WindowPrevious(node.amount, node.unit)
        if isinstance(node, n.WindowSince):
            start = self.date_value(node.start)
            return ir.WindowRange(start, None) if start else None
        if isinstance(node, n.WindowBefore):
            end = self.date_value(node.end)
            if end == date.min:
                self.error(Code.E111, "nothing is before 0001-01-01: the window is empty",
                           node.span, "write a later date")
                return None
            # `before D` excludes D itself: the last included day is D - 1.
            return ir.WindowRange(None, date.fromordinal(end.toordinal() - 1)) if end else None
        start = self.date_value(node.start)
        end = self.date_value(node.end)
        if start is None or end is None:
            return None
        if end < start:
            self.error(Code.E111, f"the window ends ({end}) before it starts ({start})", node.span)
            return None
        if end == date.max:  # up to the last date there is: no end (whose next day is none)
            return ir.WindowRange(start, None)
        return ir.WindowRange(start, end)

    def date_value(self, node: n.Literal | n.NameRef) -> date | None:
        if isinstance(node, n.Literal):
            return node.value if node.kind == "date" else None
        param = self.params.get(node.name.text)
        if param is not None and param.value.type is not ir.Type.DATE:
            self.error(Code.E111, f"parameter `{node.name.text}` is "
                       f"{param.value.type.with_article}; a window needs a date", node.span)
            return None
        if param is None:
            self.error(Code.E111, f"`{node.name.text}` is not a date parameter", node.span,
                       did_you_mean(node.name.text, self.params) or
                       "write a date (YYYY-MM-DD) or the name of a date parameter")
            return None
        return param.value.value

    def expr_Call(self, node: n.Call, scope: _Scope) -> ir.Expr | None:
        name = node.function.text
        if name in AGGREGATES:
            return self.aggregate(node, scope)
        if node.sequence is not None:
            self.error(Code.E125, f"a sequence is counted with `count(…)` or dated with "
                       f"`last(…)`, not `{name}(…)`", node.function.span)
            return None
        if node.distinct or node.filter is not None:
            self.error(Code.E108, f"`{name}` is not an aggregate: `distinct` and `where` only "
                       f"apply to {', '.join(AGGREGATES)}", node.span)
            return None
        function = SCALAR_FUNCTIONS.get(name)
        if function is None:
            self.error(Code.E109, f"unknown function `{name}`", node.function.span,
                       did_you_mean(name, [*SCALAR_FUNCTIONS, *AGGREGATES]) or
                       "see docs/language.md#functions for the list")
            return None
        count = len(node.args)
        if count < function.min_args or (function.max_args >= 0 and count > function.max_args):
            expected = str(function.min_args) if function.min_args == function.max_args else \
                f"{function.min_args} or more" if function.max_args < 0 else \
                f"{function.min_args} to {function.max_args}"
            self.error(Code.E110, f"`{name}` takes {expected} argument(s), got {count}", node.span,
                       f"{name}: {function.summary}")
            return None
        args = self.exprs(node.args, scope)
        if args is None:
            return None
        if name == "days_since":
            return ir.Func("days_between", (args[0], ir.AsOf(type=ir.Type.DATE)), span=node.span)
        return ir.Func(name, args, span=node.span)

    def aggregate(self, node: n.Call, scope: _Scope) -> ir.Expr | None:
        if node.sequence is not None:
            return bind_sequence(self, node, scope)
        if scope.kpi:
            return self.kpi_aggregate(node)
        name = node.function.text
        if scope.table is not None:
            self.error(Code.E108, f"`{name}` cannot be nested inside another aggregate", node.span)
            return None
        entry = catalogue.aggregate(name)
        if len(node.args) != 1 + len(entry.params):
            wanted = "one argument" if not entry.params else f"{1 + len(entry.params)} arguments"
            example = ", ".join(["orders.amount", *(p.name for p in entry.params)])
            self.error(Code.E110, f"`{name}` takes {wanted}, got {len(node.args)}", node.span,
                       f"e.g. `{name}({example})`" if name != "count" else
                       "e.g. `count(orders)` or `count(distinct orders.product_id)`")
            return None
        arg = node.args[0]
        params = self.aggregate_params(entry, node)
        if params is None:
            return None
        table_name = self.aggregated_table(arg, node.filter)
        if table_name is None:
            self.error(Code.E108, f"cannot tell which related table `{name}` aggregates",
                       arg.span, "name the table: `count(orders)`, `sum(orders.amount)`")
            return None
        if table_name in self.broken:
            return None
        inner = _Scope(table=table_name)
        value: ir.Expr | None = None
        if isinstance(arg, n.NameRef) and arg.name.text == table_name:
            if name != "count":
                self.error(Code.E108,
                           f"`{name}` needs a column, e.g. `{name}({table_name}.amount)`",
                           arg.span)
                return None
            if node.distinct:
                self.error(Code.E108, "`count(distinct …)` needs a column",
                           arg.span, f"e.g. `count(distinct {table_name}.product_id)`")
                return None
        else:
            value = self.expr(arg, inner)
            if value is None:
                return None
        if node.distinct and name != "count":
            self.error(Code.E108, "`distinct` only applies to count", node.span)
            return None
        condition = None
        if node.filter is not None:
            condition = self.expr(node.filter, inner)
            if condition is None:
                return None
        if entry.needs_time and self.tables[table_name].time_column is None:
            self.error(Code.E108, f"`{name}` orders by time, and `{table_name}` has no time column",
                       node.span, f"declare one: `events {table_name} … at <time column>`")
            return None
        return ir.Aggregate(name, table_name, value, condition, None, node.distinct,
                            params, span=node.span)

    def aggregate_params(self, entry: catalogue.AggregateFunction, node: n.Call
                         ) -> tuple[ir.Literal, ...] | None:
        """The constant arguments after an aggregate's value: number literals in range."""
        params = []
        for spec, arg in zip(entry.params, node.args[1:], strict=True):
            value = arg.value if isinstance(arg, n.Literal) and arg.kind == "number" \
                else None
            if value is None or not spec.admits(float(value)):
                self.error(Code.E110, f"`{spec.name}` of `{entry.name}` must be "
                           f"{spec.describe()}", arg.span,
                           f"e.g. `{entry.name}(orders.amount, 0.9)`")
                return None
            params.append(ir.Literal(Decimal(str(value)), type=ir.Type.DECIMAL))
        return tuple(params)

    def aggregated_table(self, arg: n.Expr, condition: n.Expr | None = None) -> str | None:
        """The events table an aggregate runs over: named directly or by its columns (of
        the argument; when they name the table another is reached through, also of the
        condition: `min(orders.o_orderdate where part.p_brand = "X")` runs over lineitem)."""
        if isinstance(arg, n.NameRef) and arg.name.text in self.events_decls:
            return arg.name.text
        found = self.tables_named(arg)
        if len(found) == 1 and condition is not None:
            through = [table for table in self.tables_named(condition) if table != found[0]
                       and isinstance(self.events_decls[table].link, n.ThroughLink)
                       and self.events_decls[table].link.via.text == found[0]]
            if len(through) == 1:
                return through[0]
        return self.one_table(found)

    def tables_named(self, expr: n.Expr) -> list[str]:
        """The events tables whose columns (or whose lookups' columns) `expr` names."""
        found: list[str] = []
        for sub in _walk_ast(expr):
            if isinstance(sub, n.QualifiedRef):
                table = sub.table.text
                if table in self.lookup_decls:
                    table = self.root_table(table)
                if table in self.events_decls and table not in found:
                    found.append(table)
        return found

    def one_table(self, found: list[str]) -> str | None:
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            # lineitem through orders: orders' columns may appear in an aggregate over lineitem
            for table in found:
                decl = self.events_decls[table]
                others = set(found) - {table}
                if isinstance(decl.link, n.ThroughLink) and others == {decl.link.via.text}:
                    return table
        return None


def _walk_ast(node):
    yield node
    if isinstance(node, n.Node):
        for value in vars(node).values():
            if isinstance(value, n.Expr):
                yield from _walk_ast(value)
            elif isinstance(value, tuple):
                for item in value:
                    if isinstance(item, n.Expr):
                        yield from _walk_ast(item)
                    elif isinstance(item, tuple):
                        for sub in item:
                            yield from _walk_ast(sub)
