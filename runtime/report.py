"""`segl report`: one self-contained HTML file with the sizes of every segment and bucket, the
KPIs with their index, the overlap of the segments, the persona factsheets, the expectations
and the definitions' source, as of one date.

The file needs no network (CSS inline, charts as inline SVG from report_charts.py, photos as
data URIs) and has no clock in it: the same file, data, as_of and parameters give the same
bytes. Every string from the definitions or the data is escaped."""

from __future__ import annotations

import base64
import mimetypes
import os
import re
import stat
from dataclasses import dataclass
from datetime import date
from html import escape
from importlib import resources
from pathlib import Path

from segl.compiler.api import (
    SEGL_VERSION,
    Kpi,
    Model,
    Persona,
    Span,
    Total,
    is_library_file,
    kpi_outputs,
    profile_outputs,
    require_allowed,
    share_outputs,
)

from .api import Evaluation, evaluate, load
from .expectations import Outcome, Overlap, check_expectations, overlaps
from .explain import condition_text
from .kpis import GroupKpis, kpi_table
from .outputs import write_text_atomically
from .personas import PersonaReport, persona_report
from .report_charts import BAR_COLOR, PALETTE, Bar, bar_chart, heatmap, index_color, stacked_bar

REPORT = "segl report"  # the command named when an output is refused (docs/privacy.md)
PAIR_WIDTH = 580  # a chart beside its table: drawn at about the width it is shown
PHOTO_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
               ".gif": "image/gif", ".webp": "image/webp", ".svg": "image/svg+xml"}


@dataclass
class ReportData:
    """Everything the page shows, measured once."""

    path: str
    evaluation: Evaluation
    kpis: list[GroupKpis]  # empty when the file declares no KPI
    overlaps: list[Overlap]
    personas: list[PersonaReport]
    expectations: list[Outcome]

    @property
    def model(self) -> Model:
        return self.evaluation.compilation.model

    @property
    def as_of(self) -> date:
        return self.evaluation.as_of

    @property
    def entities(self) -> int:
        return self.evaluation.entities


def build_report(path: str, as_of, params: dict[str, str] | None = None,
                 database: str | None = None, engine: str = "duckdb",
                 engine_options: dict[str, object] | None = None) -> ReportData:
    """Evaluate every segment and segmentation (with the KPIs) in one query, then measure
    the overlaps, the expectations and each persona against the same data."""
    compilation, connection = load(path, params, database)
    model = compilation.require_ok()
    # Before measuring anything: KPIs, shares and persona profiles leave in the page.
    require_allowed(model, [
        *kpi_outputs(model, model.kpis, REPORT),
        *share_outputs(model, model.segments, model.segmentations, REPORT),
        *profile_outputs(model, model.personas, REPORT)])
    evaluation = evaluate(path, as_of, None, params, database, connection=connection,
                          kpis=True, compilation=compilation, engine=engine,
                          engine_options=engine_options)
    personas = [persona_report(path, name, evaluation.as_of, params, database, compilation,
                               REPORT, engine, engine_options)
                for name in model.personas]
    measured = model.kpis or evaluation.plan.shares
    return ReportData(path, evaluation,
                      kpi_table(evaluation, command=REPORT) if measured else [],
                      overlaps(evaluation), personas, check_expectations(evaluation))


def write_report(path: str, out: str, as_of, params: dict[str, str] | None = None,
                 database: str | None = None, engine: str = "duckdb",
                 engine_options: dict[str, object] | None = None) -> ReportData:
    data = build_report(path, as_of, params, database, engine, engine_options)
    write_text_atomically(out, render_report(data), _file_mode(out))
    return data


def _file_mode(path: str) -> int:
    """The mode the report should have: the old file's, else what the umask allows (the
    atomic writer's temporary file is private to its owner)."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


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


# ---------------------------------------------------------------- the page


def render_report(data: ReportData) -> str:
    model = data.model
    title = f"Segment report · {data.path} · as of {data.as_of}"
    sections = [_overview(data), _sizes(data), _segmentations(data), _kpis(data),
                _overlap(data), _personas(data), _expectations(data), _definitions(data)]
    toc = "".join(f'<li><a href="#{anchor}">{_e(name)}</a></li>'
                  for anchor, name, _ in sections if name)
    body = "".join(html for _, _, html in sections)
    counts = [plural(len(data.evaluation.segments), "segment")]
    if model.segmentations:
        counts.append(plural(len(model.segmentations), "segmentation"))
    if model.kpis:
        counts.append(plural(len(model.kpis), "KPI"))
    if model.personas:
        counts.append(plural(len(model.personas), "persona"))
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="segl {_e(SEGL_VERSION)}">\n'
        f"<title>{_e(title)}</title>\n<style>\n{_stylesheet()}</style>\n</head>\n<body>\n"
        '<header class="page-header"><div class="wrap">'
        '<p class="eyebrow">segl · segment report</p>'
        f"<h1>{_e(data.path)}</h1>"
        '<dl class="meta">'
        f"<div><dt>as of</dt><dd>{_e(data.as_of.isoformat())}</dd></div>"
        f"<div><dt>{_e(model.entity.name)} entities</dt><dd>{_e(number(data.entities))}</dd>"
        "</div>"
        f"<div><dt>segl</dt><dd>{_e(SEGL_VERSION)}</dd></div>"
        f"<div><dt>contents</dt><dd>{_e(' · '.join(counts))}</dd></div>"
        "</dl></div></header>\n"
        f'<nav class="toc" aria-label="Contents"><div class="wrap"><ol>{toc}</ol></div></nav>\n'
        f'<main class="wrap">\n{body}</main>\n'
        f'<footer class="wrap">Generated by segl {_e(SEGL_VERSION)} from {_e(data.path)} as of '
        f"{_e(data.as_of.isoformat())}. Shares are of all {_e(number(data.entities))} "
        f"{_e(model.entity.name)} entities; a KPI's index is its value in the group divided "
        "by its value over all entities, times 100.</footer>\n"
        "</body>\n</html>\n"
    )


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


def _overview(data: ReportData) -> tuple[str, str, str]:
    model = data.model
    held = sum(1 for o in data.expectations if o.passed)
    cards = [("entities", number(data.entities), f"{model.entity.name} entities"),
             ("segments", str(len(data.evaluation.segments)), "declared"),
             ("segmentations", str(len(model.segmentations)),
              f"{sum(len(s.buckets) for s in model.segmentations.values())} buckets"),
             ("KPIs", str(len(model.kpis)), "per segment and bucket"),
             ("personas", str(len(model.personas)),
              f"{sum(1 for p in data.personas if p.satisfies)} match their segment"
              if data.personas else "none declared"),
             ("expectations", f"{held} / {len(data.expectations)}",
              "none declared" if not data.expectations else
              "hold" if held == len(data.expectations) else "FAIL: see below")]
    failing = held != len(data.expectations)
    html = '<div class="cards">' + "".join(
        f'<div class="card{" bad" if failing and name == "expectations" else ""}">'
        f'<div class="card-name">{_e(name)}</div>'
        f'<div class="card-value">{_e(value)}</div><div class="card-note">{_e(note)}</div></div>'
        for name, value, note in cards) + "</div>"
    return _section("overview", "Overview", "", html)


def _sizes(data: ReportData) -> tuple[str, str, str]:
    model, evaluation = data.model, data.evaluation
    bars, rows = [], []
    for name in evaluation.segments:
        segment = model.segments[name]
        size = evaluation.sizes[name]
        share = percent(size, data.entities)
        bars.append(Bar(name, size, f"{number(size)} · {share}",
                        f"{name}: {number(size)} members, {share} of all"))
        rows.append(
            f'<tr data-segment="{_e(name)}"><th scope="row"><a href="#{_anchor("def", name)}">'
            f"<code>{_e(name)}</code></a></th><td>{_e(segment.label or '')}</td>"
            f"<td>{_e(segment.owner or '')}</td>"
            f'<td class="num" data-size="{size}">{number(size)}</td>'
            f'<td class="num">{share}</td></tr>')
    if not rows:
        return _section("sizes", "Segment sizes", "The file declares no segment.", "")
    chart = bar_chart(bars, f"Members per segment, of {number(data.entities)} entities",
                      width=PAIR_WIDTH)
    html = ('<div class="pair">'
            + _figure(chart, f"Members per segment (share of all {number(data.entities)})")
            + _table(["segment", "label", "owner", "members", "share"], rows, {3, 4},
                     "Members per segment") + "</div>")
    return _section("sizes", "Segment sizes",
                    "Members of each segment in declaration order; segments may overlap.",
                    html)


def _segmentations(data: ReportData) -> tuple[str, str, str]:
    model, evaluation = data.model, data.evaluation
    if not evaluation.segmentations:
        return "", "", ""
    blocks = []
    for name in evaluation.segmentations:
        segmentation = model.segmentations[name]
        counts = evaluation.buckets[name]
        parts, bars, rows = [], [], []
        for index, bucket in enumerate(segmentation.buckets):
            size = counts.get(bucket.name, 0)
            share = percent(size, data.entities)
            color = PALETTE[index % len(PALETTE)]
            shown = bucket.label or bucket.name
            parts.append((shown, size, color))
            bars.append(Bar(bucket.name, size, f"{number(size)} · {share}",
                            f"{name}.{bucket.name}: {number(size)}, {share}", color))
            rule = condition_text(bucket.condition) if bucket.condition else "else"
            rows.append(
                f'<tr data-bucket="{_e(name)}.{_e(bucket.name)}"><th scope="row">'
                f'<span class="swatch" style="background:{color}"></span>'
                f"<code>{_e(bucket.name)}</code></th><td>{_e(bucket.label or '')}</td>"
                f'<td><code class="rule">{highlight(rule)}</code></td>'
                f'<td class="num" data-size="{size}">{number(size)}</td>'
                f'<td class="num">{share}</td></tr>')
        label = f" · {segmentation.label}" if segmentation.label else ""
        blocks.append(
            f'<article class="block" id="{_anchor("segmentation", name)}">'
            f"<h3><code>{_e(name)}</code>{_e(label)}</h3>"
            + _figure(stacked_bar(parts, data.entities, f"{name}: share of entities per bucket"),
                      "Every entity in exactly one bucket: the first whose rule holds.",
                      "stacked")
            + '<div class="pair">'
            + _figure(bar_chart(bars, f"{name}: entities per bucket", width=PAIR_WIDTH),
                      "Entities per bucket")
            + _table(["bucket", "label", "rule", "entities", "share"], rows, {3, 4},
                     f"Buckets of {name}") + "</div></article>")
    return _section("segmentations", "Segmentations",
                    "Each segmentation puts every entity in exactly one bucket.",
                    "".join(blocks))


def _kpis(data: ReportData) -> tuple[str, str, str]:
    model = data.model
    if not data.kpis:
        return "", "", ""
    names = list(model.kpis)
    shares = list(data.evaluation.plan.shares)  # `share of spend_total`: the 80/20 view
    overall = data.kpis[0]
    # Names head the columns (labels can be a sentence); the label is the heading's tooltip
    # and stands beside the name in the definitions above.
    head = ["group", "members", "share", *names, *shares]
    titles = {3 + i: model.kpis[k].label or "" for i, k in enumerate(names)}
    numeric = set(range(1, len(head)))
    additive = {k for k in names if is_additive(model.kpis[k])}

    def row(group: GroupKpis) -> str:
        cells = []
        for kpi in names:
            value, index = group.values[kpi], group.index[kpi]
            raw = "" if value is None else _e(value)
            chip = "" if group.kind == "all" else \
                f' <span class="index">{index_value(index)}</span>'
            style = "" if group.kind == "all" or kpi in additive else \
                f' style="background:{index_color(index)}"'
            cells.append(f'<td class="num" data-kpi="{_e(kpi)}" data-value="{raw}" '
                         f'data-index="{"" if index is None else f"{index:.6f}"}"{style}>'
                         f"{kpi_value(value)}{chip}</td>")
        for share in shares:  # the group's part of everyone's total, in percent
            value, index = group.values[share], group.index[share]
            cells.append(f'<td class="num" data-share="{_e(share)}" data-value='
                         f'"{"" if value is None else _e(value)}" data-index='
                         f'"{"" if index is None else f"{index:.6f}"}">'
                         f'{"–" if index is None else f"{index:.1f}%"}</td>')
        return (f'<tr data-group="{_e(group.name)}" class="{group.kind}">'
                f'<th scope="row" title="{_e(group.label)}"><code>{_e(group.name)}</code></th>'
                f'<td class="num">{number(group.size)}</td>'
                f'<td class="num">{percent(group.size, data.entities)}</td>{"".join(cells)}</tr>')

    segment_rows = [row(overall)] + [row(g) for g in data.kpis if g.kind == "segment"]
    bucket_rows = [row(overall)] + [row(g) for g in data.kpis if g.kind == "bucket"]
    definitions = "".join(
        f'<tr data-kpi="{_e(k)}"><th scope="row"><code>{_e(k)}</code></th>'
        f"<td>{_e(model.kpis[k].label or '')}</td>"
        f'<td><code class="rule">{highlight(_expression_text(model.kpis[k]))}</code></td></tr>'
        for k in names)
    charts = []
    for kpi in names:
        label = model.kpis[kpi].label or kpi
        base = overall.values[kpi]
        reference = None if base is None or kpi in additive else float(base)
        bars = _group_bars(data.kpis[1:], lambda g, k=kpi: g.values[k], kpi_value,
                           lambda g, k=kpi, t=label: f"{g.name} · {t}: {kpi_value(g.values[k])}"
                           f" (index {index_value(g.index[k])})")
        charts.append(_figure(
            bar_chart(bars, f"{label} per segment and bucket", reference,
                      f"all: {kpi_value(base)}", width=PAIR_WIDTH, row=16),
            f"{label} ({kpi}) per segment (blue) and bucket (green)"
            + (f"; a total: all entities together have {kpi_value(base)}." if kpi in additive
               else "; the dashed line is the value over all entities." if reference is not None
               else "; no value over all entities."), heading=label))
    for share in shares:
        bars = _group_bars(data.kpis[1:], lambda g, k=share: g.index[k],
                           lambda v: "–" if v is None else f"{float(v):.1f}%",
                           lambda g, k=share: f"{g.name} holds {index_value(g.index[k])}% "
                           f"of everyone's {k.removeprefix('share of ')}")
        charts.append(_figure(
            bar_chart(bars, f"{share} per segment and bucket", width=PAIR_WIDTH, row=16),
            f"The {share}: the part of all entities' total each group holds (the 80/20 view).",
            heading=share))
    legend = ('<p class="legend-note">Each cell: the value, then its <span class="index">index'
              '</span> against all entities (100 = the same as everyone): '
              '<span class="key up">above 100</span> <span class="key down">below 100</span>. '
              "The index of a sum or a count is the group's share of the total (not coloured)."
              + (" A <em>share of</em> column is the part of all entities' total of a ranking "
                 "expression the group holds." if shares else "") + "</p>")
    html = ((_table(["KPI", "label", "definition"], [definitions], set(),
                    "KPI definitions", "kpi-defs") if names else "")
            + "<h3>KPIs per segment</h3>" + legend
            + _table(head, segment_rows, numeric, "KPIs per segment with index", "kpi", titles)
            + ("<h3>KPIs per bucket</h3>"
               + _table(head, bucket_rows, numeric, "KPIs per bucket with index", "kpi", titles)
               if any(g.kind == "bucket" for g in data.kpis) else "")
            + "<h3>KPI charts</h3>" + f'<div class="grid">{"".join(charts)}</div>')
    return _section("kpis", "KPIs",
                    "Measured over each group's members; ratios are ratios of sums.", html)


def _group_bars(groups: list[GroupKpis], value_of, shown_of, tooltip_of) -> list[Bar]:
    """One bar per segment and bucket, under a heading row per segmentation."""
    bars: list[Bar] = []
    heading = ""
    for group in groups:
        section = "segments" if group.kind == "segment" else group.name.split(".")[0]
        if section != heading:
            bars.append(Bar(section, None, "", "", heading=True))
            heading = section
        value = value_of(group)
        shown = group.name if group.kind == "segment" else group.name.split(".", 1)[1]
        bars.append(Bar(shown, None if value is None else float(value), shown_of(value),
                        tooltip_of(group), "#0f766e" if group.kind == "bucket" else BAR_COLOR))
    return bars


def is_additive(kpi: Kpi) -> bool:
    """A sum or a count adds up over groups: its index is the group's share of the total, not
    a comparison with the average, so it is neither coloured nor drawn against everyone."""
    return isinstance(kpi.expr, Total) and kpi.expr.func in ("sum", "count")


def _expression_text(kpi: Kpi) -> str:
    return re.sub(r"\s+", " ", kpi.expr.span.text).strip() if kpi.expr.span else ""


def _overlap(data: ReportData) -> tuple[str, str, str]:
    names = data.evaluation.segments
    if len(names) < 2:
        return "", "", ""
    position = {name: i for i, name in enumerate(names)}
    matrix: dict[tuple[int, int], Overlap] = {}
    for pair in data.overlaps:
        a, b = position[pair.first], position[pair.second]
        matrix[(a, b)] = matrix[(b, a)] = pair
    sizes = [data.evaluation.sizes[n] for n in names]

    def value(row: int, column: int) -> float:
        return 1.0 if row == column else matrix[(row, column)].jaccard

    def tooltip(row: int, column: int) -> str:
        if row == column:
            return f"{names[row]}: {number(sizes[row])} members"
        pair = matrix[(row, column)]
        return (f"{names[row]} & {names[column]}: {number(pair.both)} in both, "
                f"{number(pair.either)} in either, Jaccard {pair.jaccard:.3f}")

    chart = heatmap(names, value, tooltip, "Overlap of the segments (Jaccard index)",
                    "Jaccard (in both / in either)")
    ranked = sorted(data.overlaps, key=lambda p: (-p.jaccard, p.first, p.second))

    def pair_row(pair: Overlap) -> str:
        return (f'<tr data-pair="{_e(pair.first)}|{_e(pair.second)}">'
                f"<td><code>{_e(pair.first)}</code></td><td><code>{_e(pair.second)}</code></td>"
                f'<td class="num">{number(pair.both)}</td>'
                f'<td class="num">{number(pair.either)}</td>'
                f'<td class="num">{pair.jaccard:.3f}</td></tr>')

    head = ["segment", "segment", "in both", "in either", "Jaccard"]
    top = ranked[:15]
    html = (_figure(chart, "Pairwise overlap: darker cells share more members; hover a cell "
                    "for the counts.", "heatmap")
            + "<h3>Most alike pairs</h3>"
            + _table(head, [pair_row(p) for p in top], {2, 3, 4}, "Most overlapping pairs")
            + f"<details><summary>All {number(len(ranked))} pairs</summary>"
            + _table(head, [pair_row(p) for p in ranked], {2, 3, 4}, "Every pair") + "</details>")
    return _section("overlap", "Overlap",
                    "Members in both segments and the Jaccard index (in both / in either) "
                    "for every pair of segments.", html)


def _personas(data: ReportData) -> tuple[str, str, str]:
    if not data.personas:
        return "", "", ""
    cards = [_persona_card(data, report) for report in data.personas]
    return _section("personas", "Personas",
                    "Each persona next to its segment's measured profile, and whether its own "
                    "profile satisfies the segment.", "".join(cards))


def photo_uri(persona: Persona) -> str | None:
    """The persona's photo as a data URI, read relative to the file that declares it; None
    when there is no photo or the file is missing."""
    photo = persona.text.get("photo")
    if not isinstance(photo, str):
        return None
    base = persona.span.source.directory if persona.span else Path.cwd()
    path = (base / photo) if not Path(photo).is_absolute() else Path(photo)
    mime = PHOTO_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0]
    if not path.is_file() or not mime or not mime.startswith("image/"):
        return None
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _persona_card(data: ReportData, report: PersonaReport) -> str:
    persona = report.persona
    model = data.model
    title = persona.label or persona.name
    uri = photo_uri(persona)
    if uri:
        avatar = f'<img class="avatar" src="{_e(uri)}" alt="{_e("Photo of " + title)}">'
    else:
        initials = (re.findall(r"[^\W\d_]", title) or ["?"])[0].upper()
        avatar = f'<div class="avatar initials" aria-hidden="true">{_e(initials)}</div>'
    missing_photo = ""
    if isinstance(persona.text.get("photo"), str) and not uri:
        missing_photo = (f'<p class="note">photo <code>{_e(persona.text["photo"])}</code> '
                         "not found</p>")
    facts = []
    for field_ in ("description", "occupation", "goals", "challenges", "channels"):
        if field_ in persona.text:
            value = persona.text[field_]
            shown = ", ".join(value) if isinstance(value, tuple) else str(value)
            facts.append(f"<dt>{_e(field_)}</dt><dd>{_e(shown)}</dd>")
    quote = persona.text.get("quote")
    quote_html = f"<blockquote>{_e(quote)}</blockquote>" if quote else ""
    verdict_class = {True: "pass", False: "fail", None: "unknown"}[report.satisfies]
    verdict = {True: "satisfies", False: "does not satisfy",
               None: "cannot be fully checked against"}[report.satisfies]
    checks = "".join(
        f'<li class="{ {True: "pass", False: "fail", None: "unknown"}[c.result] }">'
        f'<span class="mark">{ {True: "pass", False: "FAIL", None: "?"}[c.result] }</span> '
        f'<code>{highlight(c.condition)}</code>'
        + (f' <span class="note">(the profile does not give {_e(", ".join(c.needs))})</span>'
           if c.needs else "") + "</li>"
        for c in report.checks)
    profile_rows = [
        f"<tr><th scope=\"row\"><code>{_e(attribute)}</code></th><td>{_e(value.value)}</td>"
        f"<td>{_e(report.profile_in_data.get(attribute, '(a feature)'))}</td></tr>"
        for attribute, value in persona.profile.items()]
    kpi_rows = []
    if report.kpis is not None:
        for kpi, value in report.kpis.values.items():
            if kpi not in model.kpis:  # a `share of …` column of the KPI table
                continue
            index = report.kpis.index[kpi]
            color = "transparent" if is_additive(model.kpis[kpi]) else index_color(index)
            kpi_rows.append(
                f'<tr><th scope="row">{_e(model.kpis[kpi].label or kpi)}</th>'
                f'<td class="num">{kpi_value(value)}</td>'
                f'<td class="num" style="background:{color}">{index_value(index)}</td></tr>')
    share = percent(report.segment_size, report.entities)
    measured = (
        f'<p class="measured"><strong>{number(report.segment_size)}</strong> members '
        f"({share} of {number(report.entities)}). "
        f"<strong>{number(report.resembling)}</strong> entities resemble the profile "
        f"(same values; numbers within 10%), {number(report.resembling_in_segment)} of them "
        "in the segment.</p>")
    return (
        f'<article class="block persona" id="{_anchor("persona", persona.name)}">'
        f'<div class="persona-head">{avatar}<div><h3>{_e(title)}</h3>'
        f'<p class="subtle">persona <code>{_e(persona.name)}</code> of segment '
        f'<a href="#{_anchor("def", persona.segment)}"><code>{_e(persona.segment)}</code></a>'
        f"</p></div></div>"
        '<div class="persona-body"><div class="persona-text">'
        f"{quote_html}<dl class=\"facts\">{''.join(facts)}</dl>{missing_photo}</div>"
        '<div class="persona-data">'
        f'<p class="verdict {verdict_class}">The profile {verdict} '
        f"<code>{_e(persona.segment)}</code></p><ul class=\"checks\">{checks}</ul>"
        f"{measured}"
        + _table(["attribute", "persona", "segment members"], profile_rows, set(),
                 "Persona profile against the segment's members")
        + (_table(["KPI", "segment", "index"], kpi_rows, {1, 2}, "KPIs of the segment")
           if kpi_rows else "")
        + "</div></div></article>")


def _expectations(data: ReportData) -> tuple[str, str, str]:
    if not data.expectations:
        return "", "", ""
    rows = [
        f'<tr class="{"pass" if o.passed else "fail"}"><th scope="row"><code>{_e(o.segment)}'
        f"</code></th><td><code>expect {_e(o.expectation.describe())}</code></td>"
        f"<td class=\"num\">{_e(o.actual)}</td>"
        f'<td><span class="badge {"pass" if o.passed else "fail"}">'
        f'{"holds" if o.passed else "fails"}</span></td>'
        f"<td>{_e(where(o.expectation.span))}</td></tr>"
        for o in data.expectations]
    held = sum(1 for o in data.expectations if o.passed)
    return _section("expectations", "Expectations",
                    f"{held} of {len(data.expectations)} expectations hold.",
                    _table(["segment", "expectation", "measured", "result", "declared at"],
                           rows, {2}, "Expectations"))


def _definitions(data: ReportData) -> tuple[str, str, str]:
    model = data.model
    blocks = []
    for name in data.evaluation.segments:
        segment = model.segments[name]
        meta = []
        if segment.label:
            meta.append(f"<dt>label</dt><dd>{_e(segment.label)}</dd>")
        if segment.description:
            meta.append(f"<dt>description</dt><dd>{_e(segment.description)}</dd>")
        if segment.owner:
            meta.append(f"<dt>owner</dt><dd>{_e(segment.owner)}</dd>")
        if segment.tags:
            meta.append(f"<dt>tags</dt><dd>{_e(', '.join(segment.tags))}</dd>")
        blocks.append(_source_block("def", name, "segment", segment.span, meta))
    for name in data.evaluation.segmentations:
        segmentation = model.segmentations[name]
        meta = [f"<dt>label</dt><dd>{_e(segmentation.label)}</dd>"] if segmentation.label \
            else []
        blocks.append(_source_block("def", name, "segmentation", segmentation.span, meta))
    for name, kpi in model.kpis.items():
        blocks.append(_source_block("def-kpi", name, "kpi", kpi.span, []))
    for name, persona in model.personas.items():
        blocks.append(_source_block("def-persona", name, "persona", persona.span, []))
    return _section("definitions", "Definitions",
                    "The source of every segment, segmentation, KPI and persona, as written.",
                    '<div class="defs">' + "".join(blocks) + "</div>")


def _source_block(kind: str, name: str, noun: str, span: Span | None, meta: list[str]) -> str:
    source = span.text if span else ""
    return (f'<article class="def" id="{_anchor(kind, name)}" data-{noun}="{_e(name)}">'
            f'<div class="def-head"><span class="kind">{_e(noun)}</span> '
            f'<code class="name">{_e(name)}</code><span class="where">{_e(where(span))}</span>'
            f"</div>" + (f'<dl class="facts">{"".join(meta)}</dl>' if meta else "")
            + f'<pre class="seg"><code>{highlight(source)}</code></pre></article>')
