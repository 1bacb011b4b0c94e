"""Tables that pipe, the one owner of them: what a command prints as a table, written as
`--format table|csv|json|markdown` to stdout or to `--out PATH` (`-` is stdout; without
--format the extension decides, and `-` is CSV). A grid keeps each
cell twice: the raw value (CSV, JSON: numbers as numbers, a missing value as empty/null)
and the text shown to a person (table, markdown: `7,948.12`, `15.6%`). A table wider than
the terminal is folded into several, each repeating the leading columns, instead of
cutting values (`7,948,…`)."""

from __future__ import annotations

import csv
import io
import json
import sys
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from ..errors import UsageError
from .context import format_option as format_option  # (the options live with the others)
from .context import out_option as out_option

_BY_SUFFIX = {".csv": "csv", ".json": "json", ".md": "markdown", ".markdown": "markdown",
              ".txt": "table"}


@dataclass(frozen=True)
class Column:
    name: str  # the CSV header and JSON key
    header: str | None = None  # shown in a table (default: the name)
    numeric: bool = False  # right-aligned
    shown: bool = True  # in table and markdown
    data: bool = True  # in CSV and JSON


@dataclass
class Grid:
    name: str  # the key of this grid in JSON when a command outputs several
    columns: list[Column]
    rows: list[list[tuple[object, str]]] = field(default_factory=list)  # (raw, shown)
    title: str | None = None
    notes: list[str] = field(default_factory=list)  # lines after the table (table, markdown)
    keep: int = 1  # leading columns repeated in each part of a folded table
    limit: int | None = None  # rows shown in table and markdown (CSV and JSON hold all)
    displayed: bool = True  # False: in CSV and JSON only (the command prints it as lines)
    exported: bool = True  # False: in table and markdown only (CSV, JSON hold another grid)

    def add(self, *cells: object | tuple[object, str]) -> None:
        """One row: each cell a raw value (shown as text) or (raw, shown)."""
        self.rows.append([c if isinstance(c, tuple) else (c, _text(c)) for c in cells])


@dataclass
class Output:
    """What a command prints: its grids, text lines before them (table and markdown), and
    scalar facts for JSON. CSV holds one grid: `primary` (counted among the exported
    grids)."""

    grids: list[Grid]
    lines: list[str] = field(default_factory=list)
    facts: dict[str, object] = field(default_factory=dict)
    primary: int = 0


def _text(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _raw(value: object) -> object:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [_raw(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _raw(v) for k, v in value.items()}
    if value is not None and not isinstance(value, (str, int, float, bool)):
        return str(value)  # dates and the like
    return value


def output_format(fmt: str | None, out_path: str | None) -> str:
    """--format, else the --out file's extension (.csv .json .md .markdown .txt); CSV for
    `--out -` (a pipe), a table without --out. An extension it cannot tell is an error."""
    if fmt:
        return fmt
    if not out_path:
        return "table"
    if out_path == "-":
        return "csv"
    found = _BY_SUFFIX.get(Path(out_path).suffix.lower())
    if found is None:
        raise UsageError(f"cannot tell the format of `{out_path}` from its extension: use "
                         "--format table|csv|json|markdown")
    return found


def emit(output: Output, fmt: str | None, out_path: str | None, stream=None) -> None:
    """Render `output` as `fmt` (or what --out's extension says) on stdout (or `stream`, e.g.
    stderr while stdout carries members) or into a file."""
    from .console import note

    fmt = output_format(fmt, out_path)
    to_file = bool(out_path) and out_path != "-"
    stream = stream or sys.stdout
    if fmt == "csv" and not _exported(output):
        raise UsageError("nothing to write as CSV")
    text = {"csv": _csv, "json": _json, "markdown": _markdown}.get(fmt, _table)(
        output, None if to_file else stream)
    if to_file:
        from ..atomic_files import write_text_atomically

        write_text_atomically(out_path, text)
        note(f"wrote {out_path} ({fmt})")
    else:
        stream.write(text)
        stream.flush()


def _exported(output: Output) -> list[Grid]:
    return [g for g in output.grids if g.exported]


def _data_columns(grid: Grid) -> list[int]:
    return [i for i, c in enumerate(grid.columns) if c.data]


def _shown_columns(grid: Grid) -> list[int]:
    return [i for i, c in enumerate(grid.columns) if c.shown]


def _csv(output: Output, stream=None) -> str:
    grid = _exported(output)[output.primary]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    chosen = _data_columns(grid)
    writer.writerow([grid.columns[i].name for i in chosen])
    for row in grid.rows:
        writer.writerow(["" if row[i][0] is None else _csv_value(row[i][0]) for i in chosen])
    return buffer.getvalue()


def _csv_value(value: object) -> object:
    value = _raw(value)
    if isinstance(value, (list, dict)):  # (a profile's commonest values) as JSON text
        return json.dumps(value, ensure_ascii=False)
    return str(value).lower() if isinstance(value, bool) else value


def _records(grid: Grid) -> list[dict[str, object]]:
    chosen = _data_columns(grid)
    return [{grid.columns[i].name: _raw(row[i][0]) for i in chosen} for row in grid.rows]


def _json(output: Output, stream=None) -> str:
    grids = _exported(output)
    if len(grids) == 1 and not output.facts:
        data: object = _records(grids[0])
    else:
        data = {**{k: _raw(v) for k, v in output.facts.items()},
                **{g.name: _records(g) for g in grids}}
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _md_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _markdown(output: Output, stream=None) -> str:
    parts = [_md_cell(line) + "\n" for line in output.lines]
    for grid in (g for g in output.grids if g.displayed):
        chosen = _shown_columns(grid)
        block = [f"**{_md_cell(grid.title)}**\n"] if grid.title else []
        block.append("| " + " | ".join(_md_cell(grid.columns[i].header or grid.columns[i].name)
                                       for i in chosen) + " |")
        block.append("|" + "|".join("---:" if grid.columns[i].numeric else "---"
                                    for i in chosen) + "|")
        shown = grid.rows if grid.limit is None else grid.rows[:grid.limit]
        block += ["| " + " | ".join(_md_cell(row[i][1]) for i in chosen) + " |"
                  for row in shown]
        block += [""] + [_md_cell(n) for n in _notes(grid)] if _notes(grid) else []
        parts.append("\n".join(block) + "\n")
    return "\n".join(parts)


def _notes(grid: Grid) -> list[str]:
    more = len(grid.rows) - grid.limit if grid.limit is not None else 0
    extra = [f"… {more:,} more rows; all of them with --format csv or json"] if more > 0 \
        else []
    return [*grid.notes, *extra]


def _table(output: Output, stream=None) -> str:
    """Rich tables: at the terminal's width on a terminal, else 200 columns (a file, a pipe),
    plain text (no colours) unless on a terminal."""
    from rich.console import Console

    terminal = stream is not None and stream.isatty()
    width = Console(file=stream).width if terminal else 200
    console = Console(file=io.StringIO(), width=width, highlight=False, soft_wrap=True,
                      force_terminal=terminal, color_system="auto" if terminal else None)
    for line in output.lines:
        console.print(line, markup=False)
    for grid in (g for g in output.grids if g.displayed):
        for part in fold(grid, console.width):
            console.print(part)
        for note in _notes(grid):
            console.print(note, markup=False)
    return console.file.getvalue()


_WRAPPED = 24  # the narrowest a text column is made before a table folds


def _width(grid: Grid, index: int, rows: list[list[tuple[object, str]]]) -> int:
    column = grid.columns[index]
    texts = [column.header or column.name, *(row[index][1] for row in rows)]
    return max(len(t) for line in texts for t in line.splitlines() or [""]) + 3  # padding, rule


def fold(grid: Grid, width: int) -> list:
    """The grid as one Rich table, or several when it is wider than `width`: each part
    repeats the first `keep` shown columns and takes as many of the others as fit (numbers
    at their full width, text wrapped to at least `_WRAPPED` characters)."""
    from rich.table import Table
    from rich.text import Text

    rows = grid.rows if grid.limit is None else grid.rows[:grid.limit]
    chosen = _shown_columns(grid)
    kept, rest = chosen[:grid.keep], chosen[grid.keep:]
    # a text column can wrap (to a point); a number cannot: only numbers push columns apart
    widths = {i: _width(grid, i, rows) if grid.columns[i].numeric
              else min(_width(grid, i, rows), _WRAPPED) for i in chosen}
    parts: list[list[int]] = []
    current: list[int] = []
    for index in rest:
        used = 1 + sum(widths[i] for i in (*kept, *current))
        if current and used + widths[index] > width:
            parts.append(current)
            current = []
        current.append(index)
    parts.append(current)
    tables = []
    for number, part in enumerate(parts, 1):
        title = grid.title
        if len(parts) > 1:
            title = f"{title or ''} ({number}/{len(parts)})".strip()
        table = Table(title=Text(title) if title else None)
        for i in (*kept, *part):
            column = grid.columns[i]
            table.add_column(Text(column.header or column.name), overflow="fold",
                             justify="right" if column.numeric else "left")
        for row in rows:  # Text: a value is never read as Rich markup
            table.add_row(*(Text(row[i][1]) for i in (*kept, *part)))
        tables.append(table)
    return tables
