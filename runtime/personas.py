"""`segl persona NAME`: does the persona's own profile satisfy its segment (and if not, which
condition fails), how many real entities resemble it, and a factsheet of the segment's
measured profile next to the persona's text."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, replace
from decimal import Decimal

from segl.compiler.api import (
    Aggregate,
    Between,
    Column,
    Compare,
    Compilation,
    Expr,
    FeatureRef,
    Func,
    Kpi,
    Literal,
    Model,
    Persona,
    Rank,
    Score,
    Segment,
    SegmentationRef,
    SegmentRef,
    Total,
    Type,
    condition_query,
    kpi_outputs,
    profile_outputs,
    require_allowed,
    transform_children,
)
from sqlglot import exp

from . import sql
from .api import Evaluation, evaluate, load
from .bad_data import named_data_errors
from .engines.duckdb import connect
from .errors import UsageError
from .explain import condition_text, condition_texts
from .kpis import GroupKpis, kpi_table
from .sources import relation

TOLERANCE = Decimal("0.10")  # numbers resemble within 10% of the persona's value
_FEATURE_VALUE = "_persona_feature_"  # + a profile feature: a probe KPI carrying its values


@dataclass
class ConditionCheck:
    condition: str
    result: bool | None  # None: cannot tell from the profile
    needs: list[str]  # what the profile lacks to tell


@dataclass
class PersonaReport:
    persona: Persona
    checks: list[ConditionCheck]
    segment_size: int
    entities: int
    resembling: int  # entities with the profile's values (numbers within the tolerance)
    resembling_in_segment: int
    profile_in_data: dict[str, str]  # attribute -> the segment members' values, summarized
    # (every profile attribute: an entity column or a feature)
    kpis: GroupKpis | None

    @property
    def satisfies(self) -> bool | None:
        results = [c.result for c in self.checks]
        if False in results:
            return False
        return None if None in results else True


def persona_report(path: str, name: str, as_of, params=None, database=None,
                   compilation: Compilation | None = None,
                   command: str = "segl persona", engine: str = "duckdb",
                   engine_options: dict[str, object] | None = None) -> PersonaReport:
    """`compilation`: of `path` with the data's column types (from `load`), when the caller
    has one already (the report checks every persona of a file). The segment, the entities
    resembling the profile and the KPIs are evaluated on `engine`. The profile values and the
    segment's KPIs must be allowed to leave (docs/privacy.md), or CompileError (E504)."""
    if compilation is None:
        compilation, _ = load(path, params, database)
    model = compilation.require_ok()
    if name not in model.personas:
        raise UsageError(f"no persona `{name}` in {path}; personas: "
                         f"{', '.join(model.personas) or 'none'}")
    require_allowed(model, [*profile_outputs(model, [name], command),
                            *kpi_outputs(model, model.kpis, command)])
    persona = model.personas[name]
    group = persona_segment(model, persona)
    model = replace(model, segments={**model.segments, group.name: group})
    checks = check_profile(model, persona, as_of)
    probe = Segment("_persona_resembles", None, None, None, (), None,
                      tuple(_resembles(model, attribute, value)
                            for attribute, value in persona.profile.items()) or
                      (Literal(True, type=Type.BOOL),))
    features = _feature_probes(model, persona)
    probe_model = replace(model, segments={**model.segments, probe.name: probe},
                          kpis={**model.kpis, **features})
    probe_compilation = replace(compilation, model=probe_model)
    evaluation = evaluate(path, as_of, [group.name, probe.name], params, database,
                          kpis=bool(model.kpis or features), compilation=probe_compilation,
                          engine=engine, engine_options=engine_options)
    both = _count(evaluation, exp.and_(sql.col(group.name), sql.col(probe.name)))
    feature_columns = {name[len(_FEATURE_VALUE):]: total.value.name
                       for name, total in evaluation.plan.kpis if name in features}
    # the KPI query totals the file's own KPIs only; the probes are read per member below
    evaluation = replace(evaluation, plan=replace(evaluation.plan, kpis=tuple(
        (name, kpi) for name, kpi in evaluation.plan.kpis if name not in features)))
    kpis = next((g for g in kpi_table(evaluation, list(model.kpis), command)
                 if g.name == group.name), None) if model.kpis else None
    with named_data_errors(lambda: [model.entity]):  # it reads the profile's columns
        profile = _profile_in_data(evaluation, model, persona, group.name)
    for attribute, column in feature_columns.items():
        profile[attribute] = _feature_in_data(evaluation, persona, attribute, column,
                                              group.name)
    return PersonaReport(persona, checks, evaluation.sizes[group.name],
                         evaluation.entities, evaluation.sizes[probe.name], both, profile, kpis)


BUCKET_MEMBERS = "_persona_bucket"  # the members of `persona … for S is B`


def persona_segment(model: Model, persona: Persona) -> Segment:
    """The group the persona gives a face to: its segment, or for `for S is B` a probe
    segment of B's members (condition `S is B`)."""
    if persona.bucket is None:
        return model.segments[persona.segment]
    if BUCKET_MEMBERS in model.segments:
        return model.segments[BUCKET_MEMBERS]
    member = Compare("=", SegmentationRef(persona.segment, type=Type.TEXT),
                     Literal(persona.bucket, type=Type.TEXT), type=Type.BOOL)
    return Segment(BUCKET_MEMBERS, None, None, None, (), None, (member,))


def check_profile(model: Model, persona: Persona, as_of) -> list[ConditionCheck]:
    """Each condition of the persona's segment, with the profile's values put in."""
    connection = connect()  # with the command's resource settings
    checks = []
    segment = persona_segment(model, persona)
    texts = condition_texts(segment) if persona.bucket is None else [persona.target]
    for condition, text in zip(segment.conditions, texts, strict=True):
        needs: list[str] = []
        filled = _fill(model, persona, condition, needs, depth=0)
        result = None
        if not needs:
            condition_sql = condition_query(model, filled, "duckdb", as_of)
            (result,) = sql.fetch_one(connection, sql.select(condition_sql))
        checks.append(ConditionCheck(text, result, sorted(set(needs))))
    connection.close()
    return checks


def _fill(model: Model, persona: Persona, expr: Expr, needs: list[str],
          depth: int) -> Expr:
    """Put the profile's values in; expand features and segments the profile does not give."""
    if depth > 50:
        needs.append("(too deep)")
        return expr

    def visit(node: Expr) -> Expr:
        if isinstance(node, Column) and node.table == model.entity.name:
            if node.name in persona.profile:
                return persona.profile[node.name]
            needs.append(node.name)
            return node
        if isinstance(node, FeatureRef):
            if node.name in persona.profile:
                return persona.profile[node.name]
            return _fill(model, persona, model.features[node.name].expr, needs, depth + 1)
        if isinstance(node, SegmentationRef):  # the persona's bucket, if it gives one
            if node.name in persona.profile:
                return persona.profile[node.name]
            needs.append(node.name)
            return node
        if isinstance(node, SegmentRef):
            predicate = _fill(model, persona, model.segments[node.name].predicate, needs,
                              depth + 1)
            return Func("coalesce", (predicate, Literal(False, type=Type.BOOL)),
                           type=Type.BOOL)
        if isinstance(node, (Aggregate, Rank, Score, Column)):
            needs.append(condition_text(node))
            return node
        return transform_children(node, visit)

    return visit(expr)


def _resembles(model: Model, attribute: str, value: Literal) -> Expr:
    entity = model.entity
    if attribute in model.features:
        subject: Expr = FeatureRef(attribute, type=model.features[attribute].type)
    elif entity.column(attribute) is None and attribute in model.segmentations:
        subject = SegmentationRef(attribute, type=Type.TEXT)
    else:
        subject = Column(entity.name, attribute, type=entity.column(attribute).type)
    if isinstance(value.value, (int, Decimal)) and not isinstance(value.value, bool):
        margin = abs(Decimal(value.value)) * TOLERANCE
        low = Literal(Decimal(value.value) - margin, type=Type.DECIMAL)
        high = Literal(Decimal(value.value) + margin, type=Type.DECIMAL)
        return Between(subject, low, high, type=Type.BOOL)
    return Compare("=", subject, value, type=Type.BOOL)


def _feature_probes(model: Model, persona: Persona) -> dict[str, Kpi]:
    """A KPI per profile attribute that is a feature (not an entity column): its per-entity
    value becomes a column of the members table (the KPI's component), which the factsheet
    summarizes over the segment's members like an entity column."""
    probes = {}
    for attribute in persona.profile:
        if model.entity.column(attribute) is not None:
            continue
        if attribute in model.features or attribute in model.segmentations:
            kind = model.features[attribute].type if attribute in model.features else Type.TEXT
            value = FeatureRef(attribute, type=kind) if attribute in model.features else \
                SegmentationRef(attribute, type=kind)
            probes[f"{_FEATURE_VALUE}{attribute}"] = Kpi(
                f"{_FEATURE_VALUE}{attribute}", None, Total("max", value, type=kind))
    return probes


def _feature_in_data(evaluation: Evaluation, persona: Persona, attribute: str,
                     column: str, members: str) -> str:
    query = sql.select(sql.col(column), source=sql.table_ref(evaluation.table))
    rows = sql.fetch_all(evaluation.connection,
                         query.where(sql.col(members), copy=False))
    return _summary([row[0] for row in rows], persona.profile[attribute])


def _summary(values: list[object], profile_value: Literal) -> str:
    """The members' median (a number) or three most common values with their share."""
    present = [v for v in values if v is not None]
    if not present:
        return "no values"
    number = profile_value.value
    if isinstance(number, (int, Decimal)) and not isinstance(number, bool):
        return f"median {statistics.median(present)}"
    counts: dict[object, int] = {}
    for v in present:
        counts[v] = counts.get(v, 0) + 1
    top = sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))[:3]
    return ", ".join(f"{_shown(v)} {c / len(present):.0%}" for v, c in top)


def _shown(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _profile_in_data(evaluation: Evaluation, model: Model, persona: Persona, members: str
                     ) -> dict[str, str]:
    """For each profile attribute that is an entity column: the segment members' median
    (numbers) or three most common values with their share (text). One read of the entity
    table for all of them."""
    attributes = [a for a in persona.profile if model.entity.column(a) is not None]
    if not attributes:
        return {}
    entity = relation(model.entity.locations[0], alias="e")
    query = sql.select(*(sql.col(a, "e") for a in attributes),
                       source=exp.alias_(sql.table_ref(evaluation.table), "s", table=True))
    query = query.join(entity, join_type="inner", copy=False, on=exp.EQ(
        this=sql.col(model.entity.key, "e"), expression=sql.col(evaluation.key, "s")))
    rows = sql.fetch_all(evaluation.connection,
                         query.where(sql.col(members, "s"), copy=False))
    return {attribute: _summary([row[index] for row in rows], persona.profile[attribute])
            for index, attribute in enumerate(attributes)}


def _count(evaluation: Evaluation, condition: exp.Expression) -> int:
    query = sql.select(sql.count_all(), source=sql.table_ref(evaluation.table))
    (count,) = sql.fetch_one(evaluation.connection, query.where(condition, copy=False))
    return int(count)
