"""HTML building blocks of `segl report`: number formats, escaping, the `.seg` syntax
highlighting of the definitions, and the section, figure and table shells."""

from __future__ import annotations

import re
from html import escape
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from segl.compiler.api import (
    Span,
    is_library_file,
    lexicon,
)

if TYPE_CHECKING:
    from .kpi_formats import Display

# ---------------------------------------------------------------- formatting


def number(value: int) -> str:
    return f"{value:,}"


def plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def percent(part: int, whole: int) -> str:
    return f"{part / whole:.1%}" if whole else "–"


def kpi_value(value: object, fmt: str | Display | None = None) -> str:
    """As `segl kpis` prints it: two decimals (`format percent`: 15.6%), `–` for a missing
    value (e.g. 0 / 0)."""
    from .kpi_formats import shown

    return shown(value, fmt)


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

# Words highlighted as keywords: every word of the language (the lexicon) but the column
# types, tags and location kinds of a source's block, which read as the table's description.
_PLAIN_KINDS = frozenset((lexicon.WordKind.TYPE, lexicon.WordKind.TAG, lexicon.WordKind.LOCATION))
KEYWORDS = frozenset(w.text for w in lexicon.WORDS if w.kind not in _PLAIN_KINDS)
_CLASSES = {lexicon.LexemeKind.COMMENT: "c", lexicon.LexemeKind.STRING: "s",
            lexicon.LexemeKind.NUMBER: "n", lexicon.LexemeKind.DATE: "n",
            lexicon.LexemeKind.TIMESTAMP: "n"}
_NUMERIC = frozenset((lexicon.LexemeKind.NUMBER, lexicon.LexemeKind.DATE,
                      lexicon.LexemeKind.TIMESTAMP))


def highlight(source: str) -> str:
    """`.seg` text as escaped HTML with spans for comments, strings, numbers and keywords,
    cut by the lexicon's scanner (a `#` in a string or a backquoted name is no comment)."""
    out: list[str] = []
    position = 0
    lexemes = list(lexicon.scan(source))
    for i, lexeme in enumerate(lexemes):
        if lexeme.start < position:  # a `%` already shown with its number
            continue
        out.append(_e(source[position:lexeme.start]))  # the whitespace between
        end = lexeme.end
        following = lexemes[i + 1] if i + 1 < len(lexemes) else None
        if lexeme.kind in _NUMERIC and following is not None and following.text == "%" \
                and following.start == end:
            end = following.end  # `30%` is one number
        text = source[lexeme.start:end]
        css = _CLASSES.get(lexeme.kind)
        if lexeme.kind is lexicon.LexemeKind.WORD and text in KEYWORDS:
            css = "k"
        out.append(f'<span class="{css}">{_e(text)}</span>' if css else _e(text))
        position = end
    out.append(_e(source[position:]))
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
