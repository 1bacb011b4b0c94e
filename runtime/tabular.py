"""Rows out as a table (printed), CSV, JSON or markdown, to stdout or a file written
atomically: the output of `segl history` and `segl transitions`."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Sequence
from datetime import date

from .outputs import write_text_atomically

FORMATS = ("table", "csv", "json", "markdown")


def cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def as_csv(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([cell(v) for v in row] for row in rows)
    return out.getvalue()


def as_json(document: object) -> str:
    return json.dumps(document, indent=2, default=cell, ensure_ascii=False) + "\n"


def as_markdown(columns: Sequence[str], rows: Sequence[Sequence[object]],
                right: Sequence[bool] = ()) -> str:
    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")

    aligns = [("---:" if index < len(right) and right[index] else "---")
              for index in range(len(columns))]
    lines = ["| " + " | ".join(escape(c) for c in columns) + " |",
             "| " + " | ".join(aligns) + " |"]
    lines += ["| " + " | ".join(escape(cell(v)) for v in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def emit(text: str, out_path: str | None) -> None:
    """`text` to the file `out_path` (atomically), or to stdout for None or `-`."""
    if out_path and out_path != "-":
        write_text_atomically(out_path, text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
