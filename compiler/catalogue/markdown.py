"""docs/language.md's tables of scalar functions and aggregates, generated from the entries
(tests/catalogue checks the file is current; `SEGL_UPDATE_SNAPSHOTS=1 pytest tests/catalogue`
rewrites the tables between their markers)."""

from __future__ import annotations

from .aggregates import AGGREGATES
from .entries import Empty
from .scalars import SCALARS

SCALAR_MARKERS = ("<!-- catalogue: scalar functions -->", "<!-- /catalogue -->")
AGGREGATE_MARKERS = ("<!-- catalogue: aggregates -->", "<!-- /catalogue -->")


def scalar_table() -> str:
    lines = ["| function | arguments | result | meaning |", "|---|---|---|---|"]
    lines += [f"| {f.usage} | {f.args_doc} | {f.result_doc} | {f.meaning} |" for f in SCALARS]
    return "\n".join(lines)


def aggregate_table() -> str:
    lines = ["| aggregate | value | no rows |", "|---|---|---|"]
    for a in AGGREGATES:
        empty = "0" if a.empty is Empty.ZERO else "missing"
        lines += [f"| {usage} | {value} | {empty} |"
                  for usage, value in ((a.usage, a.value_doc), *a.more_rows)]
    return "\n".join(lines)


def with_tables(text: str) -> str:
    """`text` (docs/language.md) with both generated tables replaced by the current ones."""
    for (start, end), table in ((SCALAR_MARKERS, scalar_table()),
                                (AGGREGATE_MARKERS, aggregate_table())):
        head, found, rest = text.partition(start)
        if not found:
            raise ValueError(f"docs/language.md has no {start}")
        _, found, tail = rest.partition(end)
        if not found:
            raise ValueError(f"docs/language.md has no {end} after {start}")
        text = f"{head}{start}\n{table}\n{end}{tail}"
    return text
