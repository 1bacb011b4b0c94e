"""The sections of `segl report`: overview, sizes, segmentations, KPIs, overlap, personas,
expectations and definitions, each `(anchor, title, html)` from the measured ReportData."""

from __future__ import annotations

import base64
import mimetypes
import re
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from segl.compiler.api import (
    Kpi,
    Persona,
    Span,
    Total,
)

from .expectations import Overlap
from .explain import condition_text
from .kpi_formats import display
from .kpis import GroupKpis
from .personas import PersonaReport
from .report_charts import BAR_COLOR, PALETTE, Bar, bar_chart, heatmap, index_color, stacked_bar
from .report_html import (
    _anchor,
    _e,
    _figure,
    _section,
    _table,
    highlight,
    index_value,
    kpi_value,
    number,
    percent,
    where,
)

if TYPE_CHECKING:
    from .report import ReportData

PAIR_WIDTH = 580  # a chart beside its table: drawn at about the width it is shown
PHOTO_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
               ".gif": "image/gif", ".webp": "image/webp", ".svg": "image/svg+xml"}


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
                         f"{kpi_value(value, display(model.kpis[kpi], data.currency))}{chip}</td>")
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
        shown = partial(kpi_value, fmt=display(model.kpis[kpi], data.currency))
        bars = _group_bars(data.kpis[1:], lambda g, k=kpi: g.values[k], shown,
                           lambda g, k=kpi, t=label, s=shown: f"{g.name} · {t}: {s(g.values[k])}"
                           f" (index {index_value(g.index[k])})")
        charts.append(_figure(
            bar_chart(bars, f"{label} per segment and bucket", reference,
                      f"all: {shown(base)}", width=PAIR_WIDTH, row=16),
            f"{label} ({kpi}) per segment (blue) and bucket (green)"
            + (f"; a total: all entities together have {shown(base)}." if kpi in additive
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
                f'<td class="num">{kpi_value(value, display(model.kpis[kpi], data.currency))}</td>'
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
        f'<a href="#{_anchor("def", persona.segment)}"><code>{_e(persona.target)}</code></a>'
        f"</p></div></div>"
        '<div class="persona-body"><div class="persona-text">'
        f"{quote_html}<dl class=\"facts\">{''.join(facts)}</dl>{missing_photo}</div>"
        '<div class="persona-data">'
        f'<p class="verdict {verdict_class}">The profile {verdict} '
        f"<code>{_e(persona.target)}</code></p><ul class=\"checks\">{checks}</ul>"
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
