"""Event sequences computed in plain Python straight from docs/language.md#sequences, one
event at a time (no window functions, no instants; a sorted list and bisection find the
nearest event after or before one): the independent answer the engines must give."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import date, datetime, timedelta


def visible(times: list, as_of: date) -> list:
    """Events up to the end of as_of (later ones, and missing times, are invisible)."""
    return [t for t in times if t is not None and _day(t) <= as_of]


def sequence(kind: str, first: list, then: list, within: int | None, as_of: date
             ) -> tuple[int, object]:
    """(count, last) for one entity: `kind` is "then", "then no" or "then first"; `first`
    and `then` the times of the two steps' events (one entry per event); `within` days."""
    first, then = visible(first, as_of), visible(then, as_of)

    def in_window(start, end) -> bool:
        return within is None or _day(end) <= _day(start) + timedelta(days=within)

    ordered = sorted(then)

    def followed(a) -> bool:
        """A second-step event strictly after `a`, within the window: the nearest one after
        it is, if any is (the window only bounds how late)."""
        index = bisect_right(ordered, a)
        return index < len(ordered) and in_window(a, ordered[index])

    matched = []
    if kind == "then":
        matched = [a for a in first if followed(a)]
    elif kind == "then no":
        matched = [a for a in first
                   if (within is None or _day(a) + timedelta(days=within) <= as_of)
                   and not followed(a)]
    elif kind == "then first":
        # a second-step event that is the first one after some first-step event: no other
        # second-step event strictly between them, so that event is at or after the
        # latest second-step event strictly before this one
        matched = []
        for b in then:
            index = bisect_left(ordered, b)
            before = ordered[index - 1] if index else None
            if any(a < b and in_window(a, b) and (before is None or before <= a)
                   for a in first):
                matched.append(b)
    else:
        raise ValueError(kind)
    return len(matched), max(matched, default=None)


def _day(t) -> date:
    return t.date() if isinstance(t, datetime) else t
