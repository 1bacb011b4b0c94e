"""Correlated windows: `sum(orders.amount) since signup_date`, `count(orders) before
first_view`: a window whose date is the entity's own value (a feature or a column of the
entity), not one date for everyone. It becomes a condition on the events table's time
column, joined to the aggregate's `where`: `since D` keeps rows on day D or later,
`before D` rows before day D (a timestamp is compared with midnight of D). A missing D
admits no row. The planner joins the entity's value to the rows (`plan/correlation.py`)."""

from __future__ import annotations

from .. import ir
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
