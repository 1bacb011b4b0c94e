"""Correlated windows: `sum(orders.amount) since signup_date`, `count(orders) before
first_view`: a window whose date is the entity's own value (a feature or a column of the
entity), not one date for everyone. It becomes a condition on the events table's time
column, joined to the aggregate's `where`: `since D` keeps rows on day D or later,
`before D` rows before day D (a timestamp is compared with midnight of D). A missing D
admits no row. The planner joins the entity's value to the rows (`plan/correlation.py`)."""

from __future__ import annotations

from .. import ir
from ..codes import Code
from ..syntax import nodes as n


def entity_date_name(window: n.Window, params: dict) -> n.NameRef | None:
    """The name of a `since`/`before` window that is no parameter: the entity's value."""
    if isinstance(window, n.WindowSince):
        value = window.start
    elif isinstance(window, n.WindowBefore):
        value = window.end
    else:
        return None
    if isinstance(value, n.NameRef) and value.name.text not in params:
        return value
    return None


def windowed_filter(window: n.Window, aggregate: ir.Aggregate, table: ir.Column,
                    value: ir.Expr) -> ir.Aggregate:
    """The aggregate with the correlated window as one more condition of its `where`."""
    op = ir.CompareOp.GE if isinstance(window, n.WindowSince) else ir.CompareOp.LT
    test = ir.Compare(op, table, value, span=window.span)
    condition: ir.Expr = test
    if aggregate.filter is not None:
        condition = ir.Logic(ir.LogicOp.AND, (aggregate.filter, test), span=aggregate.span)
    return ir.Aggregate(aggregate.func, aggregate.table, aggregate.arg, condition, None,
                        aggregate.distinct, aggregate.params, span=aggregate.span)


# ---- calendar windows (`plan/calendar.py` has their days)
PERIODS = {"month": 1, "quarter": 3, "year": 12}
MAX_EACH = 36  # `in each of the last N months`: N aggregates, one per period


def period_months(resolver, unit: str, node: n.Node) -> int | None:
    """A calendar window's unit as months (E111 for any other unit)."""
    months = PERIODS.get(unit)
    if months is None:
        resolver.error(Code.E111, f"`{unit}` is not a calendar period", node.span,
                       "calendar windows are by month, quarter or year; for days write "
                       "`in last 7 days`")
    return months


def each_period(resolver, node: n.Windowed, aggregate: ir.Aggregate) -> ir.Expr | None:
    """`AGG in each of the last N months`: the smallest of the aggregate over each of the N
    whole periods before as_of's (`least`), so `count(orders) in each of the last 3 months
    > 0` is an order in every one of them."""
    window = node.window
    assert isinstance(window, n.WindowEach)
    months = period_months(resolver, window.unit, window)
    if months is None:
        return None
    if not 1 <= window.amount <= MAX_EACH:
        resolver.error(Code.E111, f"`in each of the last N {window.unit}s` takes 1 to "
                       f"{MAX_EACH} periods", window.span)
        return None
    parts = tuple(ir.Aggregate(aggregate.func, aggregate.table, aggregate.arg, aggregate.filter,
                               ir.WindowPeriod(months, back), aggregate.distinct,
                               aggregate.params, type=aggregate.type, span=node.span)
                  for back in range(1, window.amount + 1))
    if len(parts) == 1:
        return parts[0]
    return ir.Func("least", parts, span=node.span)
