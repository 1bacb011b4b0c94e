"""The dates of a command over time (`segl snapshot`, `segl history`): `--as-of` given once
or more, each a date, `today`, or a range `D1..D2` stepped by `--every` (docs/time.md).

A range starts at D1 and steps by whole units from it (not from the previous date), so a
month step never drifts: D1 shifted by k months clamps to the month's end as every engine
does (`shift_date`). When D1 is the last day of its month, every month or quarter step is
the last day of its month too: `2025-06-30..2026-05-31 --every month` is 12 month-ends."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from segl.compiler.api import as_of_problem, shift_date

from .errors import UsageError


class Every(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"

    def step(self, start: date, count: int) -> date:
        """The `count`th date from `start`: a month-end start keeps to month-ends."""
        if self in (Every.DAY, Every.WEEK):
            return shift_date(start, count, self.value)
        months = count * (3 if self is Every.QUARTER else 1)
        if month_end(start):  # from the first of the next month, back one day
            return shift_date(shift_date(shift_date(start, 1, "day"), months, "month"), -1,
                              "day")
        return shift_date(start, months, "month")


# More dates than this in one command is a mistake (a day step over decades), not a request.
MAX_DATES = 1000


def month_end(day: date) -> bool:
    return shift_date(day, 1, "day").day == 1


def dates(values: list[str], every: Every | None, today: date) -> list[date]:
    """The distinct dates `--as-of` names, sorted. Raises UsageError."""
    if not values:
        raise UsageError("give the dates with --as-of DATE (repeatable) or --as-of D1..D2 "
                         "--every month|week|day|quarter")
    found: set[date] = set()
    ranged = False
    for value in values:
        if ".." in value:
            first, _, last = value.partition("..")
            start, end = parse_date(first, today), parse_date(last, today)
            if end < start:
                raise UsageError(f"--as-of {value}: the range ends before it starts")
            ranged = True
            step = every or Every.MONTH
            count = 0
            while (day := step.step(start, count)) <= end:
                found.add(day)
                count += 1
                if len(found) > MAX_DATES:
                    break
        else:
            found.add(parse_date(value, today))
        if len(found) > MAX_DATES:
            raise UsageError(f"--as-of names more than {MAX_DATES} dates: use a longer "
                             "--every step or a shorter range")
    if every is not None and not ranged:
        raise UsageError("--every steps through a range: --as-of D1..D2 --every "
                         f"{every.value}")
    return sorted(found)


def parse_date(text: str, today: date) -> date:
    text = text.strip()
    if text == "today":
        return today
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--as-of takes dates as YYYY-MM-DD, `today` or D1..D2, not "
                         f"`{text}`") from None
    problem = as_of_problem(day)
    if problem:
        raise UsageError(f"--as-of {text}: {problem}")
    return day
