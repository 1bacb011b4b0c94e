"""Charts of `segl report` as inline SVG, drawn here rather than by a JavaScript library: the
file opens without a network, and the same data gives the same bytes. Every mark carries a
<title> (the browser's tooltip; read by screen readers), and every chart sits beside a table
with the same numbers.

Coordinates are rounded to one decimal so the output does not depend on float noise."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

# Categorical colours for the buckets of a segmentation (colour-blind safe, Okabe-Ito based).
PALETTE = ("#2563eb", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#06b6d4", "#ec4899",
           "#84cc16", "#64748b", "#a16207", "#0f766e", "#be123c")
BAR_COLOR = "#2563eb"
CHAR_WIDTH = 6.6  # average width of a 12px sans-serif character, to size label columns


def _n(value: float) -> str:
    """A coordinate: one decimal, no trailing `.0`."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


@dataclass(frozen=True)
class Bar:
    label: str  # shown left of the bar
    value: float | None  # None: no value (drawn as a gap, shown as –)
    shown: str  # the value as text, right of the bar
    tooltip: str
    color: str = BAR_COLOR
    heading: bool = False  # a row that only names the group of bars below it


def bar_chart(bars: Sequence[Bar], title: str, reference: float | None = None,
              reference_label: str = "", width: int = 760, row: int = 20) -> str:
    """Horizontal bars, one per row, with an optional dashed reference line (e.g. the value
    over every entity). Negative values grow left from zero."""
    bar_height, top = round(row * 0.65), 8 + (16 if reference is not None else 0)
    label_width = min(230, max(60, max((len(b.label) for b in bars), default=0) * CHAR_WIDTH)) + 12
    value_width = max(40, max((len(b.shown) for b in bars), default=0) * CHAR_WIDTH) + 10
    plot_left, plot_width = label_width, width - label_width - value_width
    values = [b.value for b in bars if b.value is not None]
    if reference is not None:
        values.append(reference)
    low, high = min([0.0, *values]), max([0.0, *values])
    span = (high - low) or 1.0

    def x(value: float) -> float:
        return plot_left + (value - low) / span * plot_width

    height = top + row * len(bars) + 8
    parts = [_svg_open(width, height, title)]
    zero = x(0.0)
    for index, bar in enumerate(bars):
        y = top + index * row
        middle = y + row / 2
        label_class = "chart-heading" if bar.heading else "chart-label"
        parts.append(f'<text class="{label_class}" x="{_n(label_width - 8)}" y="{_n(middle)}" '
                     f'text-anchor="end" dominant-baseline="central">{escape(bar.label)}</text>')
        if bar.heading:
            continue
        if bar.value is not None:
            left, right = sorted((zero, x(bar.value)))
            parts.append(
                f'<rect class="bar" x="{_n(left)}" y="{_n(y + (row - bar_height) / 2)}" '
                f'width="{_n(max(right - left, 0.5))}" height="{bar_height}" rx="2" '
                f'fill="{bar.color}"><title>{escape(bar.tooltip)}</title></rect>')
            text_x = right + 5
        else:
            text_x = zero + 5
        parts.append(f'<text class="chart-value" x="{_n(text_x)}" y="{_n(middle)}" '
                     f'dominant-baseline="central">{escape(bar.shown)}</text>')
    parts.append(f'<line class="axis" x1="{_n(zero)}" x2="{_n(zero)}" y1="{top - 2}" '
                 f'y2="{_n(height - 6)}"/>')
    if reference is not None:
        at = x(reference)
        parts.append(f'<line class="reference" x1="{_n(at)}" x2="{_n(at)}" y1="{top - 4}" '
                     f'y2="{_n(height - 6)}"><title>{escape(reference_label)}</title></line>')
        parts.append(f'<text class="reference-label" x="{_n(at)}" y="{top - 8}" '
                     f'text-anchor="middle">{escape(reference_label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def stacked_bar(parts: Sequence[tuple[str, int, str]], total: int, title: str,
                width: int = 760) -> str:
    """One bar split into its parts (name, count, colour), e.g. the buckets of a
    segmentation, each part as wide as its share; a legend below."""
    height, bar_height = 34, 26
    out = [_svg_open(width, height, title)]
    x = 0.0
    for name, count, color in parts:
        part_width = count / total * width if total else 0.0
        share = count / total if total else 0.0
        out.append(f'<rect class="part" x="{_n(x)}" y="0" width="{_n(part_width)}" '
                   f'height="{bar_height}" fill="{color}"><title>{escape(name)}: '
                   f'{count:,} ({share:.1%})</title></rect>')
        if part_width > 44:
            out.append(f'<text class="part-label" x="{_n(x + part_width / 2)}" '
                       f'y="{_n(bar_height / 2)}" text-anchor="middle" '
                       f'dominant-baseline="central">{share:.0%}</text>')
        x += part_width
    out.append("</svg>")
    return "".join(out)


def heatmap(names: Sequence[str], value: Callable[[int, int], float],
            tooltip: Callable[[int, int], str], title: str, legend: str,
            columns: Sequence[str] | None = None) -> str:
    """A matrix of shares (0..1) as coloured cells, `names` down the left and `columns`
    (default: the same names) along the top; darker is more."""
    columns = names if columns is None else columns
    count = max(len(names), len(columns))
    cell = max(10.0, min(22.0, 620 / max(count, 1)))
    label_width = min(220, max((len(n) for n in [*names, *columns]), default=0)
                      * CHAR_WIDTH) + 10
    top = label_width * 0.72 + 10  # the names along the top are turned 45 degrees
    grid = cell * len(names)
    legend_height = 44
    width = label_width + cell * len(columns) + label_width * 0.72 + 10
    height = top + grid + legend_height
    out = [_svg_open(width, height, title)]
    for index, name in enumerate(names):
        y = top + index * cell + cell / 2
        out.append(f'<text class="chart-label" x="{_n(label_width - 6)}" y="{_n(y)}" '
                   f'text-anchor="end" dominant-baseline="central">{escape(name)}</text>')
    for index, name in enumerate(columns):
        x = label_width + index * cell + cell / 2
        out.append(f'<text class="chart-label" x="{_n(x)}" y="{_n(top - 6)}" '
                   f'transform="rotate(-45 {_n(x)} {_n(top - 6)})">{escape(name)}</text>')
    for row in range(len(names)):
        for column in range(len(columns)):
            share = value(row, column)
            out.append(f'<rect class="cell" x="{_n(label_width + column * cell)}" '
                       f'y="{_n(top + row * cell)}" width="{_n(cell - 1)}" '
                       f'height="{_n(cell - 1)}" fill="{share_color(share)}">'
                       f'<title>{escape(tooltip(row, column))}</title></rect>')
    legend_y = top + grid + 14
    out.append(f'<text class="chart-label" x="{_n(label_width)}" y="{_n(legend_y + 6)}" '
               f'dominant-baseline="central">{escape(legend)}</text>')
    steps = (0.0, 0.1, 0.25, 0.5, 0.75, 1.0)
    start = label_width + len(legend) * CHAR_WIDTH + 12
    for index, step in enumerate(steps):
        x = start + index * 46
        out.append(f'<rect class="legend" x="{_n(x)}" y="{_n(legend_y)}" width="14" '
                   f'height="12" fill="{share_color(step)}"><title>{step:g}</title></rect>')
        out.append(f'<text class="chart-value" x="{_n(x + 18)}" y="{_n(legend_y + 6)}" '
                   f'dominant-baseline="central">{step:g}</text>')
    out.append("</svg>")
    return "".join(out)


def line_chart(labels: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]],
               title: str, shown: Callable[[float], str], width: int = 760,
               height: int = 240) -> str:
    """One line per series over the same x labels (dates), a point and tooltip at each
    value, a legend under the plot; a missing value breaks the line."""
    left, right, top, bottom = 70, 16, 12, 34
    legend_rows = math.ceil(len(series) / 4)
    plot_width, plot_height = width - left - right, height - top - bottom
    values = [v for _, points in series for v in points if v is not None]
    low, high = min([0.0, *values]), max([0.0, *values])
    span = (high - low) or 1.0
    step = plot_width / max(len(labels) - 1, 1)

    def x(index: int) -> float:
        return left + (index * step if len(labels) > 1 else plot_width / 2)

    def y(value: float) -> float:
        return top + plot_height - (value - low) / span * plot_height

    out = [_svg_open(width, height + legend_rows * 18, title)]
    for tick in (low, (low + high) / 2, high):
        out.append(f'<line class="grid" x1="{left}" x2="{_n(left + plot_width)}" '
                   f'y1="{_n(y(tick))}" y2="{_n(y(tick))}" stroke="#e5e7eb"/>'
                   f'<text class="chart-value" x="{left - 6}" y="{_n(y(tick))}" '
                   f'text-anchor="end" dominant-baseline="central">{escape(shown(tick))}</text>')
    every = max(1, math.ceil(len(labels) / 8))
    for index, label in enumerate(labels):
        if index % every == 0 or index == len(labels) - 1:
            out.append(f'<text class="chart-label" x="{_n(x(index))}" '
                       f'y="{_n(top + plot_height + 16)}" text-anchor="middle">'
                       f'{escape(label)}</text>')
    for number_, (name, points) in enumerate(series):
        color = PALETTE[number_ % len(PALETTE)]
        runs: list[list[str]] = [[]]
        for index, value in enumerate(points):
            if value is None:
                runs.append([])
            else:
                runs[-1].append(f"{_n(x(index))},{_n(y(value))}")
        for run in runs:
            if len(run) > 1:
                out.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" '
                           f'points="{" ".join(run)}"/>')
        for index, value in enumerate(points):
            if value is not None:
                out.append(f'<circle cx="{_n(x(index))}" cy="{_n(y(value))}" r="3" '
                           f'fill="{color}"><title>{escape(name)} · {escape(labels[index])}: '
                           f'{escape(shown(value))}</title></circle>')
        lx = left + (number_ % 4) * (plot_width / 4)
        ly = height + (number_ // 4) * 18
        out.append(f'<rect x="{_n(lx)}" y="{_n(ly - 9)}" width="12" height="3" '
                   f'fill="{color}"/><text class="chart-label" x="{_n(lx + 16)}" '
                   f'y="{_n(ly - 7)}" dominant-baseline="central">{escape(name)}</text>')
    out.append("</svg>")
    return "".join(out)


def share_color(share: float) -> str:
    """White (0) to deep blue (1), on a square-root scale so small overlaps still show."""
    t = math.sqrt(min(max(share, 0.0), 1.0))
    low, high = (247, 249, 252), (30, 64, 175)
    r, g, b = (round(a + (z - a) * t) for a, z in zip(low, high, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


def index_color(index: float | None) -> str:
    """A cell background for a KPI index: neutral at 100, green above, orange below,
    stronger the further from 100 (on a log scale, capped at a factor of 3)."""
    if index is None or index <= 0:
        return "transparent" if index is None else "#fde1c7"
    strength = min(abs(math.log(index / 100)) / math.log(3), 1.0)
    base = (22, 163, 74) if index >= 100 else (234, 88, 12)
    alpha = round(strength * 0.32, 2)
    return f"rgba({base[0]},{base[1]},{base[2]},{alpha})"


def _svg_open(width: float, height: float, title: str) -> str:
    return (f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" role="img" '
            f'viewBox="0 0 {_n(width)} {_n(height)}" width="{_n(width)}" '
            f'height="{_n(height)}" preserveAspectRatio="xMinYMin meet">'
            f'<title>{escape(title)}</title>')
