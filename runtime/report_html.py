"""HTML building blocks of `segl report`: number formats, escaping, the `.seg` syntax
highlighting of the definitions, and the section, figure and table shells."""

from __future__ import annotations

import re
from html import escape
from importlib import resources
from pathlib import Path

from segl.compiler.api import (
    Span,
    is_library_file,
)

# ---------------------------------------------------------------- formatting


def number(value: int) -> str:
    return f"{value:,}"


def plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def percent(part: int, whole: int) -> str:
    return f"{part / whole:.1%}" if whole else "–"


def kpi_value(value: object) -> str:
    """As `segl kpis` prints it: two decimals, `–` for a missing value (e.g. 0 / 0)."""
    return "–" if value is None else f"{float(value):,.2f}"


def index_value(index: float | None) -> str:
    return "–" if index is None else f"{index:.0f}"


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _anchor(kind: str, name: str) -> str:
    return f"{kind}-" + re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def where(span: Span | None) -> str:
    """`file:line` of a declaration; segl's own library files by their import name."""
    if span is None:
        return ""
    if is_library_file(span.path):
        return f"std.{Path(span.path).stem}:{span.line}"
    return f"{span.path}:{span.line}"


# ---------------------------------------------------------------- syntax highlighting

# The words of the grammar (grammar/seg.lark) that read as keywords; a test keeps them in it.
KEYWORDS = frozenset(("allow", "among", "and", "as_of", "at", "before", "better", "between", "by",
    "case", "contains", "description", "else", "end", "ends", "entity", "events", "expect",
    "extends", "false", "feature", "for", "from", "import", "in", "into", "is", "key", "kpi",
    "like", "lookup", "missing", "not", "ntile", "on", "or", "overlap", "owner", "param",
    "persona", "present", "purpose", "quantile", "rows", "score", "segment", "segmentation",
    "share", "since", "size", "starts", "tags", "test", "then", "thresholds", "through", "to",
    "true", "when", "where", "with", "higher", "lower", "last", "top", "bottom", "day", "days",
    "week", "weeks", "month", "months", "year", "years"))
_TOKEN = re.compile(r'(?P<comment>#[^\n]*)|(?P<string>"(?:[^"\\\n]|\\.)*")'
                    r"|(?P<number>\d[\d\-:T.]*%?)|(?P<word>[A-Za-z_][A-Za-z0-9_]*)"
                    r"|(?P<other>.)", re.DOTALL)


def highlight(source: str) -> str:
    """`.seg` text as escaped HTML with spans for comments, strings, numbers and keywords."""
    out = []
    for match in _TOKEN.finditer(source):
        kind, text = match.lastgroup, match.group()
        if kind == "word" and text in KEYWORDS:
            out.append(f'<span class="k">{_e(text)}</span>')
        elif kind in ("comment", "string", "number"):
            out.append(f'<span class="{kind[0]}">{_e(text)}</span>')
        else:
            out.append(_e(text))
    return "".join(out)


def _stylesheet() -> str:
    return resources.files("segl.runtime").joinpath("templates/report.css").read_text("utf-8")


def _section(anchor: str, title: str, intro: str, content: str) -> tuple[str, str, str]:
    html = (f'<section id="{anchor}"><h2>{_e(title)}</h2>'
            + (f'<p class="intro">{intro}</p>' if intro else "") + content + "</section>\n")
    return anchor, title, html


def _figure(chart: str, caption: str, extra_class: str = "", heading: str = "") -> str:
    top = f'<h4 class="chart-title">{_e(heading)}</h4>' if heading else ""
    return (f'<figure class="chart-figure {extra_class}">{top}{chart}'
            f"<figcaption>{_e(caption)}</figcaption></figure>")


def _table(head: list[str], rows: list[str], numeric: set[int], caption: str = "",
           extra_class: str = "", titles: dict[int, str] | None = None) -> str:
    """`titles`: a tooltip for some column headings (a KPI's label over its name)."""
    titles = titles or {}
    cells = "".join(f'<th scope="col"{" class=num" if i in numeric else ""}'
                    + (f' title="{_e(titles[i])}"' if titles.get(i) else "")
                    + f">{_e(h).replace('_', '_<wbr>')}</th>"
                    for i, h in enumerate(head))
    caption_html = f"<caption>{_e(caption)}</caption>" if caption else ""
    return (f'<div class="table-wrap"><table class="{extra_class}">{caption_html}'
            f"<thead><tr>{cells}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>")
