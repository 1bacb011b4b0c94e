"""`segl export [NAME…]`: each export's members written to its target (docs/activation.md).

The export's segment is compiled with the holdout, and with the export's traits and consent
as per-member values (probe KPIs, as `segl persona` reads features). A member is left out,
and counted, in this order: in the holdout, in the suppression list, without consent
(consent not true: false or missing). The rest are written ordered by key.

On DuckDB (the default engine) nothing is materialised first: one light pass over the
compiled query checks the entity key and takes the counts (DuckDB reads only the columns the
flags need; an integer key is checked with a bitmap between its bounds, read by a pass over
the key alone, instead of `count(DISTINCT key)`: runtime/key_check.py), then one
`COPY (query WHERE …) TO` (or `CREATE TABLE … AS`) writes the rows straight from it; the
COPY's own row count must equal the count of the first pass. On another engine the members
(with the values) are computed there and loaded into DuckDB as for every command, and the
rows are written from that table. Files are atomic (a temporary file renamed into place),
tables transactional (runtime/export_tables.py). The same data and as_of give the same rows,
so re-running an export is idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from segl.compiler.api import (
    AsOf,
    Export,
    ExportMode,
    Kpi,
    Total,
    did_you_mean,
    export_output,
    location_relation,
    plan_for,
    query_for_plan,
    require_allowed,
    select_segments,
)
from sqlglot import exp

from . import export_changes, key_check, sql
from .api import evaluate, load, resolve_as_of, tables_read
from .atomic_files import atomic_path
from .bad_data import named_data_errors
from .errors import DataError, UsageError
from .export_tables import table_problem, write_table
from .sources import check_lookup_keys, raise_key_problems

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
    exported: int  # kept now (a changes export writes who of them joined, and who left)
    joined: int | None = None  # `mode changes`: rows written for members who joined
    left: int | None = None  # `mode changes`: rows written for keys that left
    baseline: export_changes.Baseline | None = None  # `mode changes`: compared with


@dataclass(frozen=True)
class Rows:
    """An export's members as a FROM item (the compiled query, or the members table) and
    the trees that select, filter and count them."""

    connection: object  # the DuckDB connection the trees run on
    source: exp.Expression
    key: str
    member: exp.Expression
    held: exp.Expression
    suppressed: exp.Expression
    consent: exp.Expression
    outputs: list[exp.Expression]

    def counts(self) -> list[exp.Expression]:
        """members, holdout, suppressed, no consent, exported."""
        not_held = exp.and_(self.member.copy(), exp.not_(self.held.copy()))
        kept = exp.and_(not_held.copy(), exp.not_(self.suppressed.copy()))
        return [sql.count_where(self.member.copy()),
                sql.count_where(exp.and_(self.member.copy(), self.held.copy())),
                sql.count_where(exp.and_(not_held.copy(), self.suppressed.copy())),
                sql.count_where(exp.and_(kept.copy(), exp.not_(self.consent.copy()))),
                sql.count_where(exp.and_(kept, self.consent.copy()))]

    def exported(self) -> exp.Select:
        """The rows written: key and traits of the members kept, ordered by key."""
        kept = exp.and_(self.member.copy(), exp.not_(self.held.copy()),
                        exp.not_(self.suppressed.copy()), self.consent.copy())
        return sql.select(*(o.copy() for o in self.outputs), source=self.source.copy()).where(
            kept, copy=False).order_by(sql.col(self.key), copy=False)


def run_exports(path: str, names: list[str] | None, as_of: date | str, params=None,
                database=None, engine: str = "duckdb", engine_options=None,
                command: str = "segl export", history: str | None = None,
                history_table: str | None = None) -> list[ExportResult]:
    """Run the named exports (default: all) at as_of. `history`, `history_table`: the
    history of `segl snapshot` a `mode changes` export compares with, when it has the
    segment recorded before as_of (runtime/export_changes.py)."""
    when = resolve_as_of(as_of)
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
    options = dict(engine_options or {})
    tables = [e for e in chosen if e.target.format == "table"]
    problem = table_problem(engine, options, any(e.mode is ExportMode.MERGE for e in tables)) \
        if tables else None
    if problem:
        raise UsageError(problem)
    results = []
    for export in chosen:
        results.append(_run(path, compilation, connection, export, when, params, database,
                            engine, options, (history, history_table)))
    return results


def _run(path, compilation, connection, export: Export, as_of, params, database, engine,
         engine_options, history) -> ExportResult:
    model = compilation.model
    values = [*export.traits, *((export.consent,) if export.consent else ())]
    probes = {f"{PROBE}{i}": Kpi(f"{PROBE}{i}", None,
                                 Total("max", value.expr, type=value.expr.type))
              for i, value in enumerate(values)}
    probe_model = replace(model, kpis=probes)
    segments = list(dict.fromkeys([export.segment] + ([HOLDOUT] if model.holdout else [])))
    if engine == "duckdb":
        plan = plan_for(probe_model, select_segments(probe_model, segments), list(probes),
                        shares=True, traits=[])
        query = query_for_plan(plan, "duckdb", AsOf("date", as_of))
        query.set("order", None)  # (the written rows are ordered; the counts need no order)
        rows = _rows(model, export, connection, sql.subquery(query, "members"), plan.kpis)
        with named_data_errors(lambda: tables_read(plan)):
            check_lookup_keys(connection, model, plan.lookups + plan.event_lookups)
            bounds = sql.fetch_one(connection, key_check.bounds_query(rows.key, rows.source))
            missing, duplicates, *counts = sql.fetch_one(connection, sql.select(
                *key_check.key_counts(rows.key, bounds), *rows.counts(),
                source=rows.source.copy()))
            raise_key_problems(model, missing, duplicates)
            if export.mode is ExportMode.CHANGES:
                return _changes(connection, export, rows, counts, as_of, engine,
                                engine_options, history)
            written = _write(connection, export, rows.exported(), engine, engine_options,
                             rows.key)
    else:
        # (a SQLite file or chdb folder is where a table goes: not what the engine reads)
        evaluation = evaluate(path, as_of, segments, params, database, kpis=True,
                              compilation=replace(compilation, model=probe_model),
                              connection=connection, engine=engine,
                              engine_options={k: v for k, v in engine_options.items()
                                              if k not in ("sqlite_path", "chdb_path")})
        rows = _rows(model, export, evaluation.connection, sql.table_ref(evaluation.table),
                     evaluation.plan.kpis)
        counts = list(sql.fetch_one(rows.connection, sql.select(*rows.counts(),
                                                                source=rows.source.copy())))
        if export.mode is ExportMode.CHANGES:
            return _changes(rows.connection, export, rows, counts, as_of, engine,
                            engine_options, history)
        written = _write(evaluation.connection, export, rows.exported(), engine,
                         engine_options, rows.key)
    members, holdout, suppressed, no_consent, exported = (int(c) for c in counts)
    if written is not None and written != exported:
        raise DataError([f"export `{export.name}`: {written:,} rows were written but "
                         f"{exported:,} counted: did the data change while it ran?"])
    target = export.target
    return ExportResult(export.name, f"{target.format} {target.target}", members, holdout,
                        suppressed, no_consent, exported)


def _changes(connection, export: Export, rows: Rows, counts, as_of: date, engine: str,
             engine_options: dict, history) -> ExportResult:
    """A `mode changes` export: who joined and who left since the baseline, written; then
    the keys kept now recorded as the state of as_of."""
    held = sql.select(sql.col(rows.key), source=rows.source.copy()).where(rows.held.copy())
    key_type = {row[0]: row[1] for row in sql.fetch_all(connection, sql.describe(
        rows.exported()))}[rows.key] if export.target.format == "table" else "VARCHAR"
    baseline = export_changes.load_baseline(connection, export, as_of, held, *history,
                                            engine, engine_options, key_type)
    traits = [t.name for t in export.traits if t.name != rows.key]
    query = export_changes.changes(rows.exported(), rows.key, traits)
    joined, left = export_changes.count_changes(connection, query)
    written = _write(connection, export, query, engine, engine_options, rows.key)
    if written is not None and written != joined + left:
        raise DataError([f"export `{export.name}`: {written:,} rows were written but "
                         f"{joined + left:,} counted: did the data change while it ran?"])
    export_changes.record_state(connection, export, as_of, rows.exported(), rows.key, engine,
                                engine_options)
    members, holdout, suppressed, no_consent, exported = (int(c) for c in counts)
    target = export.target
    return ExportResult(export.name, f"{target.format} {target.target}", members, holdout,
                        suppressed, no_consent, exported, joined, left, baseline)


def _rows(model, export: Export, connection, source: exp.Expression, kpis) -> Rows:
    columns = {kpi: total.value.name for kpi, total in kpis}
    key = model.entity.key or ""
    consent = exp.Is(this=sql.col(columns[f"{PROBE}{len(export.traits)}"]),
                     expression=exp.true()) if export.consent else exp.true()
    outputs = [sql.col(key)] + [
        sql.aliased(sql.col(columns[f"{PROBE}{i}"]), trait.name)
        for i, trait in enumerate(export.traits) if trait.name != key]
    return Rows(connection, source, key, sql.col(export.segment),
                sql.col(HOLDOUT) if model.holdout else exp.false(), _suppressed(model, key),
                consent, outputs)


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


def _write(connection, export: Export, rows: exp.Select, engine: str,
           engine_options: dict, key: str) -> int | None:
    """Write the rows to the export's target; the number of rows a file received (None
    for a table)."""
    target = export.target
    if target.format == "table":
        merge_key = key if export.mode is ExportMode.MERGE else None
        write_table(connection, target.table, rows, engine, engine_options, merge_key)
        return None
    assert target.path is not None
    with atomic_path(target.path) as temp:
        result = sql.fetch_one(connection, sql.copy_to(rows, temp, _COPY[target.format]))
    return int(result[0]) if result else None
