"""The compacted layer of a prepared daily rollup (issue 15 item 3;
`compiler/plan/compaction.py` says when a run may read it and why it is exact).

`segl prepare` chooses the cut C = the rollup's last day - the unit's longest reach back
from that day (its longest window, or a fixed bound) - MARGIN_DAYS, and writes two files
beside the daily parts: every entity's rows wholly before C (their own day and their
order's) folded into one row (counts and sums added up, minima and maxima kept; its day
the latest of those days), and the daily rows from C on. A run at an as_of whose every
bound is on or after C reads those two; any other reads the daily parts. The compaction is
recomputed whenever the rollup is written or refreshed (it reads the rollup, not the
events), so it always stands for the parts it is listed with in `rollups.json`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from segl.compiler.api import RollupUnit
from sqlglot import exp

from . import sql

# how far before the reach of the longest window at the data's last day the cut falls: runs
# at an as_of up to this many days before the last day still read the compacted layer
MARGIN_DAYS = 366
KEY, DAY, VIA_DAY = "_key", "_day", "_via_day"

Write = Callable[[exp.Select, str, object], tuple[str, int]]


def compact(connection, unit: RollupUnit, planned: date, paths: list[str], write: Write
            ) -> dict | None:
    """Write the compacted layer of the rollup held in `paths` (its unit planned at as_of
    `planned`: its bounds are dates, their reach back from `planned` the unit's longest);
    its listing entry (`cut`, `parts`, `rows`, `folded`), or None when no row falls
    before the cut."""
    last = sql.fetch_one(connection, exp.select(exp.Max(this=_latest())).from_(
        _reader(paths), copy=False))[0]
    if last is None:
        return None
    reach = max(planned - unit.earliest(planned), timedelta(0))
    cut = last - reach - timedelta(days=MARGIN_DAYS)
    before = exp.LT(this=_latest(), expression=_date(cut))
    old = sql.fetch_one(connection, exp.select(exp.Count(this=exp.Star())).from_(
        _reader(paths), copy=False).where(before.copy(), copy=False))[0]
    if not old:
        return None
    folded = exp.select(
        exp.alias_(exp.column(KEY), KEY),
        exp.alias_(exp.Max(this=_latest()), DAY),
        exp.alias_(exp.Cast(this=exp.Null(), to=exp.DataType.build("DATE")), VIA_DAY),
        *(exp.alias_(_combined(partial.func.name, partial.name), partial.name)
          for part in unit.parts for partial in part.partials),
    ).from_(_reader(paths), copy=False).where(before, copy=False).group_by(
        exp.column(KEY), copy=False)
    recent = exp.select(exp.Star()).from_(_reader(paths), copy=False).where(
        exp.GTE(this=_latest(), expression=_date(cut)), copy=False)
    identity = {"parts": [str(p).rsplit("/", 1)[-1] for p in paths],
                "cut": cut.isoformat()}
    names, rows = [], 0
    for label, query in (("compact", folded), ("recent", recent)):
        name, count = write(query, label, identity)
        names.append(name)
        rows += count
    return {"cut": cut.isoformat(), "parts": names, "rows": rows, "folded": int(old)}


def cut_of(item: dict) -> date | None:
    """The cut of a listing entry's compaction, when it has a valid one."""
    compaction = item.get("compaction")
    if not isinstance(compaction, dict):
        return None
    try:
        return date.fromisoformat(str(compaction.get("cut")))
    except ValueError:
        return None


def _combined(func: str, name: str) -> exp.Expression:
    column = exp.column(name)
    if func == "COUNT":  # a total of counts stays a BIGINT, as COUNT gives it
        return exp.Cast(this=exp.Sum(this=column), to=exp.DataType.build("BIGINT"))
    if func == "SUM":  # totals are decimals: the same type again
        return exp.Sum(this=column)
    return (exp.Min if func == "MIN" else exp.Max)(this=column)


def _latest() -> exp.Expression:
    """A rollup row's latest day: its own, or its order's when that is later."""
    return exp.Coalesce(this=exp.column(VIA_DAY), expressions=[exp.column(DAY)])


def _date(day: date) -> exp.Expression:
    return exp.Cast(this=sql.text(day.isoformat()), to=exp.DataType.build("DATE"))


def _reader(paths: list[str]) -> exp.Expression:
    return exp.Anonymous(this="read_parquet", expressions=[
        exp.Array(expressions=[sql.text(str(p)) for p in paths]),
        exp.EQ(this=exp.var("union_by_name"), expression=exp.true())])
