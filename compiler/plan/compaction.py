"""The compacted layer of a daily rollup (issue 15 item 3): rows whose days all fall before
a cut C are folded into one row per entity (partials combined; its day the entity's last
day before C), so a run whose every day bound is on or after C adds up one old row per
entity and the daily rows from C on, instead of every daily row.

This module evaluates a plan's day bounds (`physical.Bound`) for an as_of known when the
query is built, exactly as the SQL does (`shift_date`), and decides whether a set of
bounds admits the compacted layer. `segl prepare` chooses C (runtime/rollup_compaction.py):
the data's last day, minus the longest reach of the unit's bounds back from as_of, minus a
margin.

Why the compacted rows give the same totals when every bound B >= C: each of them stands
for rows whose every day (their own and their order's) is < C <= B, so the as_of cut
admits all of them and so does its folded row (day < C); a window's lower bound L >= C
refuses all of them and the folded row alike; an upper bound U >= C admits all of them.
Any bound before C (an earlier as_of, a longer window, a fixed date) reads the full
daily rollup.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from .as_of import shift_date
from .physical import Bound


def bound_date(bound: Bound, as_of: date) -> date:
    """The day a bound stands for at `as_of` (plan_Bound's SQL, evaluated here)."""
    if bound.fixed is not None:
        return bound.fixed
    start = as_of
    if bound.truncate:
        start = date(as_of.year, (as_of.month - 1) // bound.truncate * bound.truncate + 1, 1)
    result = shift_date(start, bound.amount, str(bound.unit))
    return result + timedelta(days=1) if bound.plus_day else result


def earliest(bounds: Iterable[Bound], as_of: date) -> date:
    """The earliest day any of `bounds` stands for at `as_of` (as_of itself when none)."""
    return min((bound_date(bound, as_of) for bound in bounds), default=as_of)


def admits(bounds: Iterable[Bound], as_of: date | None, cut: date | None) -> bool:
    """Whether a run at `as_of` may read the compacted layer cut at `cut`: every bound on
    or after the cut (an as_of unknown when the query is built never does)."""
    if as_of is None or cut is None:
        return False
    return all(bound_date(bound, as_of) >= cut for bound in bounds)
