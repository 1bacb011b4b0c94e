"""The report's "Over time" section (`segl report --as-of D1..D2 --every month`, or
`--history TARGET`; docs/time.md): each segment's and bucket's size per date with who
entered and left since the date before (`changes.history`), the KPIs per date
(`kpi_trend`), and each segmentation's moves between buckets from the first date to the
last (`changes.transitions`), as line charts, tables and heatmaps. Every number is one those
commands give for the same dates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from segl.compiler.api import Model, did_you_mean

from .changes import NO_LONGER, NOT_YET, History, Source, Transitions, over_time
from .errors import UsageError
from .kpi_formats import shown as kpi_shown
from .kpi_trend import KpiPoint, kpi_trend
from .report_charts import heatmap, line_chart
from .report_html import _e, _figure, _section, number

MAX_LINES = 10  # series in one line chart (the table beside it holds all)


@dataclass
class TimeData:
    dates: list[date]
    history: History
    kpis: list[KpiPoint]
    transitions: list[Transitions]
    recorded: str | None  # the history target read, or None: evaluated


def build_time(path: str, model: Model, source: Source, params=None, database=None,
               engine: str = "duckdb", engine_options=None,
               chosen: list[str] | None = None) -> TimeData:
    """Sizes, changes and transitions from `source` (dates evaluated or recorded), and the
    KPIs (`chosen`, default all) evaluated at the same dates. Raises UsageError for an
    unknown KPI."""
    unknown = [name for name in chosen or () if name not in model.kpis]
    if unknown:
        hint = did_you_mean(unknown[0], model.kpis)
        raise UsageError(f"unknown KPI `{unknown[0]}`" + (f"; {hint}" if hint else ""))
    names = list(chosen or model.kpis)
    found, moves = over_time(path, source, params, database, engine, engine_options)
    days = found.dates
    kpis = kpi_trend(path, days, None, names, params, database, engine,
                     engine_options) if names and days else []
    return TimeData(days, found, kpis, moves, source.into)


def time_section(model: Model, data: TimeData | None) -> tuple[str, str, str]:
    if data is None or not data.dates:
        return "", "", ""
    labels = [d.isoformat() for d in data.dates]
    parts = [_sizes_over_time(model, data, labels), _kpis_over_time(model, data, labels)]
    parts += [_transition_matrix(t) for t in data.transitions]
    source = (f"recorded in <code>{_e(data.recorded)}</code>" if data.recorded
              else "each evaluated as <code>segl run --as-of</code> does")
    intro = (f"{number(len(labels))} dates from {_e(labels[0])} to {_e(labels[-1])}, {source}. "
             "Entered and left count the change since the date before.")
    return _section("over-time", "Over time", intro, "".join(parts))


def _cell(size: int, entered: int | None, left: int | None) -> str:
    data = f' data-size="{size}"'
    change = ""
    if entered is not None and left is not None:
        data += f' data-entered="{entered}" data-left="{left}"'
        change = f' <span class="change">(+{number(entered)} −{number(left)})</span>'
    return f'<td class="num"{data}>{number(size)}{change}</td>'


def _sizes_over_time(model: Model, data: TimeData, labels: list[str]) -> str:
    by_key = {(o, g, d): (s, e, lf) for o, g, d, s, e, lf in data.history.rows}
    groups = list(dict.fromkeys((o, g) for o, g, *_ in data.history.rows))
    rows = []
    for obj, group in groups:
        name = obj if obj in model.segments else f"{obj}.{group}"
        cells = "".join(_cell(*by_key[(obj, group, d)]) if (obj, group, d) in by_key
                        else "<td></td>" for d in data.dates)
        rows.append(f'<tr data-time-object="{_e(obj)}" data-time-group="{_e(group)}">'
                    f'<th scope="row"><code>{_e(name)}</code></th>{cells}</tr>')
    segments = [o for o, _ in groups if o in model.segments]
    sizes = {o: [by_key[(o, g, d)][0] if (o, g, d) in by_key else None for d in data.dates]
             for o, g in groups if o in model.segments}

    def change(name: str) -> int:
        known = [v for v in sizes[name] if v is not None]
        return max(known) - min(known) if known else 0

    # the segments that changed most (stable order among equals: declaration order)
    drawn = sorted(segments, key=lambda o: -change(o))[:MAX_LINES]
    series = [(o, [None if v is None else float(v) for v in sizes[o]])
              for o in segments if o in drawn]
    chart = (_figure(line_chart(labels, series, "Members per segment over time",
                                lambda v: number(round(v))),
                     "Members of each segment at each date"
                     + (f" (the {MAX_LINES} that changed most; the table holds all)"
                        if len(segments) > MAX_LINES else ""))
             if series else "")
    head = "".join(f'<th scope="col" class="num">{_e(label)}</th>' for label in labels)
    table = (f'<div class="table-wrap"><table class="over-time"><caption>Size per date '
             f"(entered, left since the date before)</caption><thead><tr>"
             f'<th scope="col">segment or bucket</th>{head}</tr></thead><tbody>'
             f"{''.join(rows)}</tbody></table></div>")
    return "<h3>Sizes</h3>" + chart + table


def _kpis_over_time(model: Model, data: TimeData, labels: list[str]) -> str:
    if not data.kpis:
        return ""
    values = {(p.kpi, p.group, p.as_of): p for p in data.kpis}
    groups = list(dict.fromkeys(p.group for p in data.kpis))
    out = ["<h3>KPIs</h3>"]
    for name in dict.fromkeys(p.kpi for p in data.kpis):
        kpi = model.kpis[name]
        fmt = kpi.format
        lines = [g for g in groups if g == "all" or "." not in g][:MAX_LINES]
        series = [(group, [_number(values.get((name, group, d))) for d in data.dates])
                  for group in lines]
        chart = line_chart(labels, series, f"{name} over time",
                           lambda v, fmt=fmt: kpi_shown(v, fmt))
        rows = []
        for group in groups:
            cells = "".join(_kpi_cell(values.get((name, group, d)), fmt) for d in data.dates)
            rows.append(f'<tr data-time-kpi="{_e(name)}" data-time-group="{_e(group)}">'
                        f'<th scope="row"><code>{_e(group)}</code></th>{cells}</tr>')
        head = "".join(f'<th scope="col" class="num">{_e(label)}</th>' for label in labels)
        out.append(_figure(chart, f"{kpi.label or name}: everyone and each segment",
                           heading=name)
                   + f'<details><summary>{_e(name)} per group and date</summary>'
                   + '<div class="table-wrap"><table class="over-time"><thead><tr>'
                   + f'<th scope="col">group</th>{head}</tr></thead><tbody>{"".join(rows)}'
                   + "</tbody></table></div></details>")
    return "".join(out)


def _number(point: KpiPoint | None) -> float | None:
    if point is None or point.value is None:
        return None
    try:
        return float(point.value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _kpi_cell(point: KpiPoint | None, fmt: str | None) -> str:
    if point is None:
        return "<td></td>"
    return (f'<td class="num" data-value="{_e(point.value)}">'
            f"{_e(kpi_shown(point.value, fmt))}</td>")


def _transition_matrix(found: Transitions) -> str:
    sources: Sequence[str] = found.sources
    targets: Sequence[str] = found.targets

    def share(row: int, column: int) -> float:
        total = found.row_total(sources[row])
        return found.counts.get((sources[row], targets[column]), 0) / total if total else 0.0

    def tooltip(row: int, column: int) -> str:
        count = found.counts.get((sources[row], targets[column]), 0)
        return (f"{sources[row]} → {targets[column]}: {number(count)} "
                f"({share(row, column):.1%} of {sources[row]})")

    chart = heatmap(list(sources), share, tooltip,
                    f"{found.segmentation}: moves from {found.first} to {found.last}",
                    "share of the row", columns=list(targets))
    head = "".join(f'<th scope="col" class="num">{_e(t)}</th>' for t in targets)
    rows = "".join(
        f'<tr data-from="{_e(s)}"><th scope="row">{_e(s)}</th>' + "".join(
            f'<td class="num" data-to="{_e(t)}" data-count="{found.counts.get((s, t), 0)}">'
            f"{number(found.counts.get((s, t), 0))}</td>" for t in targets) + "</tr>"
        for s in sources)
    return (f'<h3 data-transitions="{_e(found.segmentation)}">Moves between the buckets of '
            f"<code>{_e(found.segmentation)}</code></h3>"
            + _figure(chart, f"Rows: the bucket at {found.first} (and {NOT_YET}); columns: "
                             f"the bucket at {found.last} (and {NO_LONGER}); darker is a "
                             "larger share of the row.", "heatmap")
            + '<div class="table-wrap"><table class="over-time"><thead><tr>'
            + f'<th scope="col">from \\ to</th>{head}</tr></thead><tbody>{rows}</tbody>'
            + "</table></div>")
