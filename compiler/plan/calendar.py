"""Calendar windows (`in this month`, `in last quarter`, `in each of the last 3 months`) and
the period before a rolling window (`in previous 90 days`): their first and last days for a
known as_of, the rule every engine follows.

- A period is a calendar month, quarter (January, April, July, October) or year. The period
  holding as_of is "this" period: `in this quarter` runs from its first day through as_of.
- `in last month` is the whole calendar month before as_of's month; `in each of the last N
  months` looks at each of the N whole months before as_of's month (as_of's own month, not
  over yet, is not one of them).
- `in previous N units` is the N units before the last N units:
  `as_of - 2N units < date(t) <= as_of - N units` (month steps clamp to the month's end).
"""

from __future__ import annotations

from datetime import date

from .as_of import shift_date

PERIOD_MONTHS = {"month": 1, "quarter": 3, "year": 12}


def period_start(as_of: date, months: int, back: int) -> date:
    """The first day of the period `back` periods before the one holding as_of."""
    index = as_of.year * 12 + as_of.month - 1
    index -= index % months if months != 12 else as_of.month - 1
    return shift_date(date(index // 12, index % 12 + 1, 1), -back * months, "month")


def period_days(as_of: date, months: int, back: int) -> tuple[date, date | None]:
    """The first day of the period and the first day after it (None: up to as_of)."""
    start = period_start(as_of, months, back)
    if back == 0:
        return start, None
    return start, shift_date(start, months, "month")
