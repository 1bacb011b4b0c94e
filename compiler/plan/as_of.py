"""The evaluation date, and the calendar rules every backend follows.

`AsOf` says how the date reaches a query (a literal date, the engine's current date, a
named parameter bound when the query runs); `shift_date` is calendar arithmetic as every
engine does it. The physical plan resolves every bound it can with these, once.
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum


class AsOfMode(StrEnum):
    DATE = "date"  # a literal date, known at compile time
    TODAY = "today"  # the engine's current date
    PARAM = "param"  # a named query parameter `as_of`
    DATES = "dates"  # many dates in one query: as_of is a column (docs/time.md)


@dataclass(frozen=True)
class AsOf:
    """How the evaluation date appears in a query: a literal date, the engine's current
    date, or a named query parameter `as_of` bound when the query runs."""

    mode: AsOfMode
    value: date | None = None
    dates: tuple[date, ...] = ()  # DATES: every date, ascending, no repeats

    def __post_init__(self) -> None:
        if type(self.mode) is not AsOfMode:
            object.__setattr__(self, "mode", AsOfMode(self.mode))
        if isinstance(self.value, str):  # an ISO date, as callers of the old AsOf passed
            object.__setattr__(self, "value", date.fromisoformat(self.value))
        if self.mode is AsOfMode.DATES:
            if not self.dates:
                raise ValueError("AsOf(dates) needs at least one date")
            object.__setattr__(self, "dates", tuple(sorted(set(self.dates))))

    @classmethod
    def many(cls, dates) -> AsOf:
        """Every date of `dates` in one query: as_of is a column of the result."""
        return cls(AsOfMode.DATES, None, tuple(dates))

    @property
    def dated(self) -> bool:
        """Many dates in one pass: every row of the result is (as_of, entity)."""
        return self.mode is AsOfMode.DATES

    @classmethod
    def parse(cls, text: str) -> AsOf:
        if text == "today":
            return cls(AsOfMode.TODAY)
        if text == "param":
            return cls(AsOfMode.PARAM)
        return cls(AsOfMode.DATE, date.fromisoformat(text))

    @property
    def known(self) -> date | None:
        """The date, when it is known at compile time."""
        return self.value if self.mode is AsOfMode.DATE else None

    def __str__(self) -> str:
        if self.mode is AsOfMode.DATES:
            first, last = self.dates[0].isoformat(), self.dates[-1].isoformat()
            return first if len(self.dates) == 1 else \
                f"{len(self.dates)} dates {first}..{last}"
        return self.value.isoformat() if self.mode is AsOfMode.DATE and self.value \
            else self.mode.value


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

