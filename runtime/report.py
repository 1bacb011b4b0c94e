"""`segl report`: one self-contained HTML file with the sizes of every segment and bucket, the
KPIs with their index, the overlap of the segments, the persona factsheets, the expectations
and the definitions' source, as of one date.

The file needs no network (CSS inline, charts as inline SVG from report_charts.py, photos as
data URIs) and has no clock in it: the same file, data, as_of and parameters give the same
bytes. Every string from the definitions or the data is escaped."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from segl.compiler.api import (
    SEGL_VERSION,
    Model,
    kpi_outputs,
    profile_outputs,
    require_allowed,
    share_outputs,
)

from .api import Evaluation, evaluate, load
from .atomic_files import write_text_atomically
from .cluster_profiles import SegmentationProfile, assigned_profiles
from .errors import UsageError
from .expectations import Outcome, Overlap, check_expectations, overlaps
from .experiments import Readout, readout
from .kpis import GroupKpis, kpi_table
from .personas import PersonaReport, persona_report
from .report_clusters import clusters_section
from .report_html import KEYWORDS as KEYWORDS
from .report_html import _e, _stylesheet, number, plural
from .report_html import highlight as highlight
from .report_readouts import readouts_section
from .report_sections import (
    _definitions,
    _expectations,
    _kpis,
    _overlap,
    _overview,
    _personas,
    _segmentations,
    _sizes,
)
from .report_sections import photo_uri as photo_uri
from .report_time import TimeData, build_time, time_section

if TYPE_CHECKING:
    from .changes import Source

REPORT = "segl report"  # the command named when an output is refused (docs/privacy.md)


@dataclass
class ReportData:
    """Everything the page shows, measured once."""

    path: str
    evaluation: Evaluation
    kpis: list[GroupKpis]  # empty when the file declares no KPI
    overlaps: list[Overlap]
    personas: list[PersonaReport]
    expectations: list[Outcome]
    currency: str | None = None  # segl.toml's symbol for `format currency` KPIs
    time: TimeData | None = None  # the "Over time" section, for a range or a history
    readouts: list[Readout] = field(default_factory=list)  # one per experiment
    clusters: list[SegmentationProfile] = field(default_factory=list)  # fitted `clusters`

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
                 engine_options: dict[str, object] | None = None,
                 currency: str | None = None,
                 over_time: Source | None = None,
                 time_kpis: list[str] | None = None,
                 experiment_kpis: list[str] | None = None) -> ReportData:
    """Evaluate every segment and segmentation (with the KPIs) in one query, then measure
    the overlaps, the expectations and each persona against the same data, and read out
    each experiment (`experiment_kpis`: `[EXPERIMENT:]KPI`, the KPIs of its readout).
    `over_time`: the dates (evaluated or recorded) of the "Over time" section
    (report_time.py), which follows the KPIs `time_kpis` (default: all)."""
    compilation, connection = load(path, params, database)
    model = compilation.require_ok()
    kpis_of = readout_kpis(model, experiment_kpis or [])
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
    readouts = [readout(path, name, kpis_of[name], evaluation.as_of, params, database, engine,
                        engine_options, command=REPORT) for name in model.experiments]
    data = ReportData(path, evaluation,
                      kpi_table(evaluation, command=REPORT) if measured else [],
                      overlaps(evaluation), personas, check_expectations(evaluation),
                      currency, readouts=readouts,
                      clusters=assigned_profiles(evaluation, REPORT, engine, engine_options))
    if over_time is not None:
        data.time = build_time(path, model, over_time, params, database, engine,
                               engine_options, time_kpis)
    return data


def readout_kpis(model: Model, specs: list[str]) -> dict[str, list[str]]:
    """Each experiment's readout KPIs: those it declares (`kpis (…)`), then those of
    `[EXPERIMENT:]KPI` (without a name: every experiment's), in order, once each."""
    found: dict[str, list[str]] = {name: list(e.kpis) for name, e in model.experiments.items()}
    for spec in specs:
        name, _, kpi = spec.rpartition(":")
        if not kpi:
            raise UsageError(f"--experiment-kpi `{spec}` names no KPI: [EXPERIMENT:]KPI")
        if not model.experiments:
            raise UsageError("--experiment-kpi: the file declares no experiment")
        if name and name not in model.experiments:
            raise UsageError(f"--experiment-kpi `{spec}`: unknown experiment `{name}`")
        for experiment in [name] if name else model.experiments:
            if kpi not in found[experiment]:
                found[experiment].append(kpi)
    return found


def write_report(path: str, out: str, as_of, params: dict[str, str] | None = None,
                 database: str | None = None, engine: str = "duckdb",
                 engine_options: dict[str, object] | None = None,
                 currency: str | None = None,
                 over_time: Source | None = None,
                 time_kpis: list[str] | None = None,
                 experiment_kpis: list[str] | None = None) -> ReportData:
    data = build_report(path, as_of, params, database, engine, engine_options, currency,
                        over_time, time_kpis, experiment_kpis)
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


# ---------------------------------------------------------------- the page


def render_report(data: ReportData) -> str:
    model = data.model
    title = f"Segment report · {data.path} · as of {data.as_of}"
    sections = [_overview(data), _sizes(data), _segmentations(data), clusters_section(data),
                _kpis(data), time_section(model, data.time),
                readouts_section(data.readouts), _overlap(data), _personas(data),
                _expectations(data), _definitions(data)]
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
