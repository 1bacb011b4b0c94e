"""How a many-dates plan (`AsOf.many`) evaluates each pass at every date, for `segl compile
--show plan` (text and JSON): the time segments of a pass whose measures combine (its cuts,
its windows, each date's segment bounds, running totals or the join of segment rows to the
dates; `segments.py`), or why a pass joins every event to each date it is visible at.
`describe.py` calls these; the SQL backend builds the same decisions (`segmented_for`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from .logical import Aggregation
from .physical import PhysicalPlan, TimeTest
from .segments import SegmentedPass, combines, segmented_for, unfold_partials

TestText = Callable[[TimeTest], str]


def for_dates(physical: PhysicalPlan) -> PhysicalPlan:
    """The physical plan the SQL backend translates: for many dates, a `through` table
    whose measures combine is segmented joined to its via table, not totalled per join
    key first (`unfold_partials`)."""
    from .physical import physical_plan

    if not physical.as_of.dated:
        return physical
    unfolded = unfold_partials(physical.plan, physical.as_of)
    return physical if unfolded is physical.plan else physical_plan(unfolded, physical.as_of)


def _range(first: int, past: int, cuts: tuple[date, ...]) -> str:
    """Segments [first, past) as positions and as the time they cover."""
    if first >= past:
        return "none"
    start = "the start" if first == 0 else cuts[first - 1].isoformat()
    return f"[{first}, {past}) = {start} .. before {cuts[past - 1].isoformat()}"


def _why_joined(physical: PhysicalPlan, aggregation: Aggregation) -> str:
    """Why a pass of a many-dates plan is not built from segment rows."""
    events = physical.plan.model.events
    if aggregation.correlated:
        return "correlated: not built for many dates (E301)"
    if aggregation.fold_into:
        return f"finished in the pass over {aggregation.fold_into}, at each of its dates"
    planned = physical.pass_for(aggregation.name)
    if not events[aggregation.table].time_column:
        return "no time column: every row seen at every date (the pass crossed with the dates)"
    how = "every event joined to each date it is visible at (its cap), grouped per " \
          "(entity, as_of)"
    if aggregation.partial:
        return f"partial totals per join key joined to the dates; {how}"
    if planned.folded:
        return f"{how}: it finishes the partials of {', '.join(planned.folded)}"
    other = next((m_ for m_ in planned.grouped if not combines(m_, True)), None)
    if other is not None:
        func = f"{other.aggregate.func}{' distinct' if other.aggregate.distinct else ''}"
        return f"{how}: {other.name} ({func}) does not combine from segments"
    return how


def dates_lines(physical: PhysicalPlan, aggregation: Aggregation,
                test_text: TestText) -> list[str]:
    """The lines under a pass saying how it is evaluated at each date (none for one date)."""
    if not physical.as_of.dated:
        return []
    segmented = segmented_for(physical, aggregation)
    if segmented is None:
        return [f"  dates: {_why_joined(physical, aggregation)}"]
    cuts = segmented.cuts
    lines = ["  dates: segment rows: each event aggregated once into its (entity, time "
             f"segment); {len(cuts)} cuts (segment 0 lies before the first, segment i from "
             "the i-th to before the next): "
             + ", ".join(cut.isoformat() for cut in cuts)]
    if segmented.via_table:
        lines.append(f"    a row counts at a date only while its {segmented.via_table} row is "
                     "visible too (second position: the via row's time)")
    if segmented.since:
        lines.append(f"    rows before {cuts[segmented.since - 1].isoformat()} are read by "
                     "no measure at any date: left out")
    for index, tests in enumerate(_windows(physical, segmented)):
        names = [m_.name for m_, w in zip(segmented.measures, segmented.window_of,
                                          strict=True) if w == index]
        bounds = " and ".join(test_text(t) for t in tests) or "every row up to the cap"
        lines.append(f"    window {index} ({bounds}): {', '.join(names)}")
    lines.append("    combined: " + (
        "running totals per entity over its segment rows, each date reading the entity's "
        "last segment row before its cap" if segmented.running else
        "segment rows joined to the dates they are visible at, grouped per (entity, as_of), "
        "each measure summing (min, max) the segments inside its window"))
    for span in segmented.dates:
        windows = "; ".join(f"window {index} {_range(first, past, cuts)}"
                            for index, (first, past) in enumerate(span.windows))
        lines.append(f"    {span.day.isoformat()}: segments {_range(0, span.upto, cuts)}; "
                     f"{windows}")
    return lines


def _windows(physical: PhysicalPlan, segmented: SegmentedPass) -> list[tuple[TimeTest, ...]]:
    """The pass's distinct window tests, in `window_of`'s numbering."""
    found: list[tuple[TimeTest, ...]] = []
    for measure in segmented.measures:
        tests = physical.condition(measure).window
        if tests not in found:
            found.append(tests)
    return found


def dates_json(physical: PhysicalPlan, aggregation: Aggregation,
               test_json: Callable[[TimeTest], dict]) -> dict:
    """The same as data: `{"dates": {...}}` to add to a pass's JSON (empty for one date)."""
    if not physical.as_of.dated:
        return {}
    segmented = segmented_for(physical, aggregation)
    if segmented is None:
        return {"dates": {"segmented": False, "how": _why_joined(physical, aggregation)}}
    return {"dates": {
        "segmented": True,
        "cuts": [cut.isoformat() for cut in segmented.cuts],
        "via": segmented.via_table,
        "since": segmented.since,
        "running": segmented.running,
        "windows": [{"tests": [test_json(t) for t in tests],
                     "measures": [m_.name for m_, w in zip(
                         segmented.measures, segmented.window_of, strict=True) if w == index]}
                    for index, tests in enumerate(_windows(physical, segmented))],
        "per_date": [{"date": span.day.isoformat(), "upto": span.upto, "start": span.start,
                      "windows": [list(window) for window in span.windows]}
                     for span in segmented.dates],
    }}
