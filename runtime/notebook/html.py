"""HTML for Jupyter (`_repr_html_`): small tables, every text escaped. Values come from the
data and names and labels from `.seg` files, which are untrusted: nothing reaches the page
without `html.escape`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

STYLE = ("border-collapse:collapse;font-variant-numeric:tabular-nums;"
         "margin:0.25em 0 0.75em 0")
_CELL = "padding:2px 8px;border-bottom:1px solid #ddd;"


def e(value: object) -> str:
    """Any value as escaped HTML text (None as empty)."""
    return "" if value is None else escape(str(value), quote=True)


def table(columns: Sequence[str], rows: Iterable[Sequence[object]], *,
          caption: str = "", numeric: Iterable[int] = (), titles: Sequence[str] = ()) -> str:
    """A table; `numeric`: the indexes of right-aligned columns; `titles`: a tooltip per
    column (a KPI's label)."""
    right = set(numeric)
    head = "".join(
        f'<th style="{_CELL}text-align:{"right" if i in right else "left"}"'
        + (f' title="{e(titles[i])}"' if i < len(titles) and titles[i] else "")
        + f">{e(name)}</th>" for i, name in enumerate(columns))
    body = "".join(
        "<tr>" + "".join(
            f'<td style="{_CELL}text-align:{"right" if i in right else "left"}">{e(v)}</td>'
            for i, v in enumerate(row)) + "</tr>" for row in rows)
    title = f'<caption style="text-align:left;font-weight:bold">{e(caption)}</caption>' \
        if caption else ""
    return (f'<table class="segl" style="{STYLE}">{title}<thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table>")


def paragraph(text: str) -> str:
    return f'<p style="margin:0.2em 0">{e(text)}</p>'


def block(*parts: str) -> str:
    return '<div class="segl">' + "".join(parts) + "</div>"
