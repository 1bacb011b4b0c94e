"""`segl experiment NAME --kpi K…`: the readout of an experiment (docs/experiments.md).

Per arm its size and each KPI; per arm against control the difference, its 95% confidence
interval, the p-value and the minimum detectable effect (`experiment_stats.py`); the arm
sizes against their shares (sample-ratio mismatch). A KPI is a feature (a number: a mean,
Welch's t-test; true/false: a rate, the two-proportion z-test) or a segment (a rate: the
share of the arm's members in it). Missing values are left out of a KPI and counted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date

from segl.compiler.api import (
    Experiment,
    FeatureRef,
    Kpi,
    Output,
    Owner,
    SegmentRef,
    Total,
    Type,
    did_you_mean,
    permit_of,
    require_allowed,
)
from sqlglot import exp

from . import sql
from .api import evaluate, load
from .errors import UsageError
from .experiment_stats import (
    Comparison,
    Sample,
    SampleRatio,
    compare_means,
    compare_rates,
    mean_sample,
    rate_sample,
    sample_ratio,
)

REPORT_COMMAND = "segl report"  # (a report shows an experiment without KPIs too)
PROBE = "_readout_"  # + a feature: a probe KPI carrying its per-member values
RATE, MEAN = "rate", "mean"


@dataclass(frozen=True)
class ArmSize:
    name: str
    share: float  # declared, of the segment
    size: int


@dataclass(frozen=True)
class KpiRow:
    kpi: str
    kind: str  # RATE | MEAN
    arm: str
    sample: Sample
    missing: int
    comparison: Comparison | None  # None for control


@dataclass(frozen=True)
class Readout:
    experiment: Experiment
    as_of: date
    arms: list[ArmSize]
    ratio: SampleRatio
    rows: list[KpiRow]

    @property
    def control(self) -> str:
        return self.arms[0].name if self.arms else ""


def readout(path: str, name: str, kpis: list[str], as_of: date, params=None, database=None,
            engine: str = "duckdb", engine_options=None,
            command: str = "segl experiment") -> Readout:
    compilation, connection = load(path, params, database)
    model = compilation.require_ok()
    experiment = model.experiments.get(name)
    if experiment is None:
        raise UsageError(f"unknown experiment `{name}`" + _suggest(name, model.experiments)
                         if model.experiments else f"`{path}` declares no experiment")
    kpis = kpis or list(experiment.kpis)  # (none given: those the experiment declares)
    if not kpis and command != REPORT_COMMAND:
        raise UsageError(f"name at least one KPI: --kpi FEATURE_OR_SEGMENT (or declare "
                         f"`kpis (…)` in experiment `{name}`)")
    kinds = {kpi: _kind(model, kpi) for kpi in kpis}
    values = tuple(FeatureRef(k, type=model.features[k].type) if k in model.features else
                   SegmentRef(k, type=Type.BOOL) for k in kpis)
    require_allowed(model, [Output(permit_of(model, Owner.SEGMENTATION, name),
                                   "KPI values per arm", values, command)])
    probes = {f"{PROBE}{k}": Kpi(f"{PROBE}{k}", None,
                                 Total("max", FeatureRef(k, type=model.features[k].type),
                                       type=model.features[k].type))
              for k in kpis if k in model.features}
    probe_model = replace(model, kpis=probes)
    segments = [k for k in kpis if k in model.segments]
    evaluation = evaluate(path, as_of, [name, *dict.fromkeys(segments)], params, database,
                          kpis=bool(probes), compilation=replace(compilation, model=probe_model),
                          connection=connection, engine=engine, engine_options=engine_options)
    columns = {kpi: total.value.name for kpi, total in evaluation.plan.kpis}
    selected = [sql.col(name)] + [sql.col(columns[f"{PROBE}{k}"]) if k in model.features
                                  else sql.col(k) for k in kpis]
    query = sql.select(*selected, source=sql.table_ref(evaluation.table)).where(
        exp.NEQ(this=sql.col(name), expression=sql.text("outside")), copy=False)
    rows = sql.fetch_all(evaluation.connection, query)
    by_arm: dict[str, list[tuple]] = {arm.name: [] for arm in experiment.arms}
    for row in rows:
        by_arm[row[0]].append(row[1:])
    arms = [ArmSize(arm.name, arm.share, len(by_arm[arm.name])) for arm in experiment.arms]
    ratio = sample_ratio([a.size for a in arms], [a.share for a in arms])
    result: list[KpiRow] = []
    for index, kpi in enumerate(kpis):
        samples = {arm: _sample([r[index] for r in members], kinds[kpi])
                   for arm, members in by_arm.items()}
        control = samples[arms[0].name][0]
        for arm in arms:
            sample, missing = samples[arm.name]
            comparison = None
            if arm is not arms[0]:
                compare = compare_rates if kinds[kpi] == RATE else compare_means
                comparison = compare(control, sample)
            result.append(KpiRow(kpi, kinds[kpi], arm.name, sample, missing, comparison))
    return Readout(experiment, evaluation.as_of, arms, ratio, result)


def _kind(model, kpi: str) -> str:
    if kpi in model.segments:
        return RATE
    feature = model.features.get(kpi)
    if feature is None:
        raise UsageError(f"`{kpi}` is neither a feature nor a segment"
                         + _suggest(kpi, [*model.features, *model.segments])
                         + "; a readout KPI is a value per member")
    if feature.type is Type.BOOL:
        return RATE
    if feature.type.is_numeric:
        return MEAN
    raise UsageError(f"feature `{kpi}` is {feature.type.with_article}: a readout KPI is a "
                     "number (a mean) or true/false (a rate)")


def _suggest(name: str, candidates) -> str:
    hint = did_you_mean(name, candidates)
    return f" ({hint})" if hint else ""


def _sample(values: list[object], kind: str) -> tuple[Sample, int]:
    present = [v for v in values if v is not None]
    missing = len(values) - len(present)
    if kind == RATE:
        return rate_sample(sum(1 for v in present if v), len(present)), missing
    return mean_sample([float(v) for v in present]), missing  # (Decimal too)


def finite(value: float) -> float | None:
    return None if value is None or math.isnan(value) else value
