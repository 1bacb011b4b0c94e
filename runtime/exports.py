"""`segl export [NAME…]`: each export's members written to its target (docs/activation.md).

The export's segment is evaluated (on any engine) with the holdout, and with the export's
traits and consent as per-member values (probe KPIs, as `segl persona` reads features).
A member is left out, and counted, in this order: in the holdout, in the suppression list,
without consent (consent not true: false or missing). The rest are written ordered by key:
files atomically (a temporary file renamed into place: a reader never sees half a file, a
failure keeps the old one), a `table` target in one transaction on the DuckDB database
(`--db`), created or replaced. The same data and as_of give the same rows, so re-running
an export is idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from segl.compiler.api import (
    Export,
    Kpi,
    Total,
    did_you_mean,
    export_output,
    location_relation,
    require_allowed,
)
from sqlglot import exp

from . import sql
from .api import evaluate, load
from .errors import UsageError
from .outputs import atomic_path

PROBE = "_readout_export_"  # + a value's index: a probe KPI carrying per-member values
_COPY = {"csv": {"FORMAT": "csv", "HEADER": True}, "parquet": {"FORMAT": "parquet"},
         "jsonl": {"FORMAT": "json"}}
HOLDOUT = "holdout"


@dataclass(frozen=True)
class ExportResult:
    name: str
    target: str
    members: int  # of the segment
    holdout: int  # left out: in the holdout
    suppressed: int  # left out: in the suppression list
    no_consent: int  # left out: consent not true
    exported: int


def run_exports(path: str, names: list[str] | None, as_of: date, params=None, database=None,
                engine: str = "duckdb", engine_options=None,
                command: str = "segl export") -> list[ExportResult]:
    compilation, connection = load(path, params, database)
    model = compilation.require_ok()
    if not model.exports:
        raise UsageError(f"`{path}` declares no export")
    for name in names or ():
        if name not in model.exports:
            hint = did_you_mean(name, model.exports)
            raise UsageError(f"unknown export `{name}`" + (f" ({hint})" if hint else ""))
    chosen = [model.exports[name] for name in (names or model.exports)]
    require_allowed(model, [export_output(model, e, command) for e in chosen])
    results = []
    for export in chosen:
        results.append(_run(path, compilation, connection, export, as_of, params, database,
                            engine, engine_options))
    return results


def _run(path, compilation, connection, export: Export, as_of, params, database, engine,
         engine_options) -> ExportResult:
    model = compilation.model
    values = [*export.traits, *((export.consent,) if export.consent else ())]
    probes = {f"{PROBE}{i}": Kpi(f"{PROBE}{i}", None,
                                 Total("max", value.expr, type=value.expr.type))
              for i, value in enumerate(values)}
    probe_model = replace(model, kpis=probes)
    segments = [export.segment] + ([HOLDOUT] if model.holdout else [])
    evaluation = evaluate(path, as_of, list(dict.fromkeys(segments)), params, database,
                          kpis=True, compilation=replace(compilation, model=probe_model),
                          connection=connection, engine=engine, engine_options=engine_options)
    columns = {kpi: total.value.name for kpi, total in evaluation.plan.kpis}
    key = model.entity.key or ""
    source = sql.table_ref(evaluation.table)
    member = sql.col(export.segment)
    held = sql.col(HOLDOUT) if model.holdout else exp.false()
    suppressed = _suppressed(model, key)
    consent = exp.Is(this=sql.col(columns[f"{PROBE}{len(export.traits)}"]),
                     expression=exp.true()) if export.consent else exp.true()
    not_held = exp.and_(member.copy(), exp.not_(held.copy()))
    not_suppressed = exp.and_(not_held.copy(), exp.not_(suppressed.copy()))
    counts = sql.fetch_one(evaluation.connection, sql.select(
        sql.count_where(member.copy()),
        sql.count_where(exp.and_(member.copy(), held.copy())),
        sql.count_where(exp.and_(not_held.copy(), suppressed.copy())),
        sql.count_where(exp.and_(not_suppressed.copy(), exp.not_(consent.copy()))),
        sql.count_where(exp.and_(not_suppressed.copy(), consent.copy())),
        source=source.copy()))
    outputs = [sql.col(key)] + [
        sql.aliased(sql.col(columns[f"{PROBE}{i}"]), trait.name)
        for i, trait in enumerate(export.traits) if trait.name != key]
    rows = sql.select(*outputs, source=source).where(
        exp.and_(not_suppressed, consent), copy=False).order_by(sql.col(key), copy=False)
    _write(evaluation.connection, export, rows)
    members, holdout, suppressed_count, no_consent, exported = counts
    target = export.target
    shown = f"{target.format} {target.target}"
    return ExportResult(export.name, shown, members, holdout, suppressed_count, no_consent,
                        exported)


def _suppressed(model, key: str) -> exp.Expression:
    """`key IN (the suppression list's keys)`, or false without a list."""
    suppression = model.suppression
    if suppression is None:
        return exp.false()
    lists = [sql.select(sql.col(suppression.key), source=location_relation(location))
             for location in suppression.locations]
    union = lists[0]
    for other in lists[1:]:
        union = exp.union(union, other, distinct=True)
    return exp.In(this=sql.col(key), query=sql.subquery(union))


def _write(connection, export: Export, rows: exp.Select) -> None:
    target = export.target
    if target.format == "table":
        *schema, _ = target.table
        sql.execute(connection, exp.Transaction())
        try:
            if schema:
                sql.execute(connection, exp.Create(this=sql.table_ref(*schema), kind="SCHEMA",
                                                   exists=True))
            sql.execute(connection, exp.Create(this=sql.table_ref(*target.table), kind="TABLE",
                                               expression=rows, replace=True))
            sql.execute(connection, exp.Commit())
        except BaseException:
            sql.execute(connection, exp.Rollback())
            raise
        return
    assert target.path is not None
    with atomic_path(target.path) as temp:
        sql.execute(connection, sql.copy_to(rows, temp, _COPY[target.format]))
