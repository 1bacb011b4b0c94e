"""How `segl history` and `segl transitions` print: a table on the terminal, or CSV, JSON
(`segl-history/1`, `segl-transitions/1`) and markdown, to stdout or `--out FILE`."""

from __future__ import annotations

from ..changes import History, Transitions
from ..tabular import as_csv, as_json, as_markdown, cell, emit
from .console import show, table

HISTORY_COLUMNS = ("object", "group", "as_of", "size", "entered", "left")
KEY_COLUMNS = ("object", "group", "as_of", "change", "entity")


def render_history(found: History, fmt: str, out_path: str | None, keys: bool) -> None:
    if fmt == "json":
        document = {"format": "segl-history/1", "objects": found.objects,
                    "dates": found.dates,
                    "rows": [dict(zip(HISTORY_COLUMNS, row, strict=True)) for row in found.rows]}
        if keys:
            document["keys"] = [dict(zip(KEY_COLUMNS, row, strict=True)) for row in found.keys]
        emit(as_json(document), out_path)
    elif fmt == "csv":
        emit(as_csv(KEY_COLUMNS, found.keys) if keys else as_csv(HISTORY_COLUMNS, found.rows),
             out_path)
    elif fmt == "markdown":
        text = as_markdown(HISTORY_COLUMNS, found.rows, (False, False, False, True, True, True))
        if keys:
            text += "\n" + as_markdown(KEY_COLUMNS, found.keys)
        emit(text, out_path)
    else:
        sizes = table("object", "group", "as_of", ("size", "right"), ("entered", "right"),
                      ("left", "right"), title="size per date; entered and left since the "
                                                "date before")
        for row in found.rows:
            sizes.add_row(*(f"{v:,}" if isinstance(v, int) else cell(v) for v in row))
        show(sizes)
        if keys:
            who = table(*KEY_COLUMNS, title="who entered and left")
            for row in found.keys:
                who.add_row(*(cell(v) for v in row))
            show(who)


def render_transitions(found: Transitions, fmt: str, out_path: str | None) -> None:
    long = [(s, t, found.counts.get((s, t), 0), _share(found, s, t))
            for s in found.sources for t in found.targets]
    if fmt == "json":
        emit(as_json({
            "format": "segl-transitions/1", "segmentation": found.segmentation,
            "from": found.first, "to": found.last,
            "rows": [{"from_group": s, "to_group": t, "entities": n, "row_share": share}
                     for s, t, n, share in long],
            "from_sizes": {s: found.row_total(s) for s in found.sources},
            "to_sizes": {t: found.column_total(t) for t in found.targets}}), out_path)
        return
    if fmt == "csv":
        emit(as_csv(("from_group", "to_group", "entities", "row_share"),
                    [(s, t, n, "" if share is None else f"{share:.6f}")
                     for s, t, n, share in long]), out_path)
        return
    head = (f"{found.first} \\ {found.last}", *found.targets, "total")
    rows = [(s, *(_cell(found, s, t) for t in found.targets), f"{found.row_total(s):,}")
            for s in found.sources]
    rows.append(("total", *(f"{found.column_total(t):,}" for t in found.targets),
                 f"{sum(found.row_total(s) for s in found.sources):,}"))
    if fmt == "markdown":
        emit(f"**{found.segmentation}**: from {found.first} (rows) to {found.last} "
             "(columns); entities, and the share of the row\n\n"
             + as_markdown(head, rows, (False, *([True] * (len(head) - 1)))), out_path)
        return
    matrix = table(head[0], *((name, "right") for name in head[1:]),
                   title=f"{found.segmentation}: from {found.first} (rows) to {found.last} "
                         "(columns), entities and share of the row")
    for row in rows:
        matrix.add_row(*row)
    show(matrix)


def _share(found: Transitions, source: str, target: str) -> float | None:
    total = found.row_total(source)
    return found.counts.get((source, target), 0) / total if total else None


def _cell(found: Transitions, source: str, target: str) -> str:
    share = _share(found, source, target)
    count = found.counts.get((source, target), 0)
    return f"{count:,}" if share is None else f"{count:,} ({share:.1%})"
