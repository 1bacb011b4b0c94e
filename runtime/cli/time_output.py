"""How `segl history` and `segl transitions` print, through the one table module
(`tables.py`): a table on the terminal, or CSV, JSON (`segl-history/1`,
`segl-transitions/1`) and markdown, to stdout or `--out FILE`."""

from __future__ import annotations

from ..changes import History, Transitions
from .tables import Column, Grid, Output, emit

HISTORY_COLUMNS = ("object", "group", "as_of", "size", "entered", "left")
KEY_COLUMNS = ("object", "group", "as_of", "change", "entity")


def _count(value: int | None) -> tuple[object, str]:
    return value, "" if value is None else f"{value:,}"


def render_history(found: History, fmt: str | None, out_path: str | None, keys: bool) -> None:
    sizes = Grid("rows", [Column(name, numeric=name in ("size", "entered", "left"))
                          for name in HISTORY_COLUMNS],
                 title="size per date; entered and left since the date before", keep=3)
    for obj, group, as_of, size, entered, left in found.rows:
        sizes.add(obj, group, as_of, _count(size), _count(entered), _count(left))
    grids = [sizes]
    if keys:
        who = Grid("keys", [Column(name) for name in KEY_COLUMNS], title="who entered and left",
                   keep=3)
        for row in found.keys:
            who.add(*row)
        grids.append(who)
    emit(Output(grids, facts={"format": "segl-history/1", "objects": found.objects,
                              "dates": found.dates},
                primary=1 if keys else 0), fmt, out_path)


def render_transitions(found: Transitions, fmt: str | None, out_path: str | None) -> None:
    long = Grid("rows", [Column("from_group"), Column("to_group"),
                         Column("entities", numeric=True), Column("row_share", numeric=True)],
                displayed=False)
    for source in found.sources:
        for target in found.targets:
            long.add(source, target, found.counts.get((source, target), 0),
                     _share(found, source, target))
    matrix = Grid("matrix", [Column(f"{found.first} \\ {found.last}"),
                             *(Column(name, numeric=True) for name in found.targets),
                             Column("total", numeric=True)],
                  title=f"{found.segmentation}: from {found.first} (rows) to {found.last} "
                        "(columns), entities and share of the row", exported=False)
    for source in found.sources:
        matrix.add(source, *((None, _cell(found, source, t)) for t in found.targets),
                   _count(found.row_total(source)))
    matrix.add("total", *(_count(found.column_total(t)) for t in found.targets),
               _count(sum(found.row_total(s) for s in found.sources)))
    emit(Output([long, matrix], facts={
        "format": "segl-transitions/1", "segmentation": found.segmentation,
        "from": found.first, "to": found.last,
        "from_sizes": {s: found.row_total(s) for s in found.sources},
        "to_sizes": {t: found.column_total(t) for t in found.targets}}), fmt, out_path)


def _share(found: Transitions, source: str, target: str) -> float | None:
    total = found.row_total(source)
    return found.counts.get((source, target), 0) / total if total else None


def _cell(found: Transitions, source: str, target: str) -> str:
    share = _share(found, source, target)
    count = found.counts.get((source, target), 0)
    return f"{count:,}" if share is None else f"{count:,} ({share:.1%})"
