"""`segl.load(...)`: a project on one `.seg` file, resolved from segl.toml and the arguments
by the same function as every command's options (`cli/context.resolve`), so a notebook and
`segl run` evaluate the same file, parameters, as_of, database and engine. Each call compiles
the file again, so an edited file is picked up without reloading anything."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING

from ..errors import UsageError
from ..kpi_formats import display
from .results import FunnelView, KpiTable, PersonaView, Result

if TYPE_CHECKING:
    from segl.compiler.api import Compilation

    from ..cli.context import Context


def _params(params: dict[str, object] | None) -> tuple[str, ...]:
    """`params=` as the command line's `-p NAME=VALUE` (booleans as segl.toml writes them)."""
    return tuple(f"{name}={str(value).lower() if isinstance(value, bool) else value}"
                 for name, value in (params or {}).items())


def _as_of(value: date | str | None) -> str | None:
    return value.isoformat() if isinstance(value, date) else value


def load(path: str | None = None, *, params: dict[str, object] | None = None,
         as_of: date | str | None = None, database: str | None = None,
         engine: str = "duckdb", target: str | None = None) -> Project:
    from ..cli.context import resolve

    context = resolve(path, _params(params), command="run", as_of=_as_of(as_of),
                      database=database, engine=engine, target=target)
    return Project(context)


@dataclass(frozen=True)
class Project:
    """One entry file with its resolved defaults (`context`: path, params, as_of, database,
    engine). Every method takes `as_of=` and `engine=` to override them for one call."""

    context: Context

    @property
    def path(self) -> str:
        return self.context.path

    @property
    def as_of(self) -> str:
        return self.context.as_of

    @property
    def params(self) -> dict[str, str]:
        return dict(self.context.params)

    def _with(self, as_of: date | str | None, engine: str | None) -> Context:
        from ..cli.context import engine_options, evaluation_date

        ctx = self.context
        if as_of is not None:
            ctx = replace(ctx, as_of=evaluation_date(_as_of(as_of), ctx.project, "run"))
        if engine is not None and engine != ctx.engine:
            ctx = replace(ctx, engine=engine, engine_options=engine_options(engine, None))
        return ctx

    def compile(self) -> Compilation:
        """The compilation with the data's column types (`.diagnostics`, `.model`);
        raises DataError when a source cannot be read."""
        from .. import api

        compilation, _ = api.load(self.path, self.context.params, self.context.database)
        return compilation

    def run(self, *, as_of: date | str | None = None, segments: list[str] | None = None,
            engine: str | None = None) -> Result:
        """Evaluate every (or the chosen) segment and segmentation, as `segl run`."""
        from .. import api

        ctx = self._with(as_of, engine)
        evaluation = api.evaluate(ctx.path, ctx.as_of, _names(segments), ctx.params,
                                  ctx.database, engine=ctx.engine,
                                  engine_options=ctx.engine_options)
        return Result(evaluation)

    def kpis(self, *, as_of: date | str | None = None, segments: list[str] | None = None,
             kpis: list[str] | None = None, engine: str | None = None) -> KpiTable:
        """KPIs per segment and bucket with their index, as `segl kpis`."""
        from segl.compiler.api import did_you_mean

        from .. import api
        from ..kpis import kpi_table

        ctx = self._with(as_of, engine)
        evaluation = api.evaluate(ctx.path, ctx.as_of, _names(segments), ctx.params,
                                  ctx.database, kpis=True, engine=ctx.engine,
                                  engine_options=ctx.engine_options)
        model = evaluation.compilation.model
        shares = [] if kpis else list(evaluation.plan.shares)
        if not model.kpis and not shares:
            raise UsageError(f"{ctx.path} declares no `kpi` (and no segment ranks by a number)")
        unknown = [k for k in kpis or () if k not in model.kpis]
        if unknown:
            hint = did_you_mean(unknown[0], model.kpis)
            raise UsageError(f"unknown KPI `{unknown[0]}`" + (f"; {hint}" if hint else ""))
        shown = list(kpis or model.kpis)
        groups = kpi_table(evaluation, [*shown, *shares], "Project.kpis")
        return KpiTable.of(groups, evaluation.entities, shown, shares,
                           {k: model.kpis[k].label or "" for k in shown},
                           {k: display(model.kpis[k], ctx.project.currency) for k in shown},
                           f"KPIs · as_of {evaluation.as_of} · value (index vs all = 100)")

    def explain(self, segment: str, *, as_of: date | str | None = None,
                engine: str | None = None) -> FunnelView:
        """The per-condition funnel of `segment`, as `segl explain`."""
        from ..api import resolve_as_of
        from ..explain import explain

        ctx = self._with(as_of, engine)
        funnel = explain(ctx.path, segment, ctx.as_of, ctx.params, ctx.database, ctx.engine,
                         ctx.engine_options)
        return FunnelView(funnel, resolve_as_of(ctx.as_of))

    def persona(self, name: str, *, as_of: date | str | None = None,
                engine: str | None = None) -> PersonaView:
        """Persona `name` checked against its segment and the data, as `segl persona`."""
        from ..personas import persona_report

        ctx = self._with(as_of, engine)
        report = persona_report(ctx.path, name, ctx.as_of, ctx.params, ctx.database,
                                command="Project.persona", engine=ctx.engine,
                                engine_options=ctx.engine_options)
        model = self.compile().require_ok()
        return PersonaView(report, {k: v.label or k for k, v in model.kpis.items()},
                           {k: display(v, ctx.project.currency)
                            for k, v in model.kpis.items()})

    def sql(self, dialect: str | None = None, *, segments: list[str] | None = None,
            as_of: date | str | None = None, kpis: bool = False) -> str:
        """The SQL `segl compile` prints: for `dialect` (default segl.toml's), the chosen
        segments, as_of a date, `today` (the engine's current date) or `param`."""
        from segl.compiler.api import (
            AsOf,
            kpi_sql_for_plan,
            plan_for,
            select_segments,
            sql_for_plan,
        )
        from segl.compiler.api import compile_file as compile_definitions

        from ..cli.context import as_of_option, check_dialect

        ctx = self.context
        compilation = compile_definitions(ctx.path, ctx.params)
        model = compilation.require_ok()
        if kpis and not model.kpis:
            raise UsageError(f"{ctx.path} declares no `kpi`")
        plan = plan_for(model, select_segments(model, _names(segments)),
                        list(model.kpis) if kpis else None, shares=kpis)
        when = AsOf.parse(as_of_option(_as_of(as_of) or ctx.as_of, ctx.project))
        generate = kpi_sql_for_plan if kpis else sql_for_plan
        return generate(plan, compilation, check_dialect(dialect or ctx.project.dialect),
                        when, file_paths="relative")

    def __repr__(self) -> str:
        return f"<segl Project {self.path} · as_of {self.as_of} · engine {self.context.engine}>"


def _names(segments: list[str] | str | None) -> list[str] | None:
    if isinstance(segments, str):  # a single name, not its letters
        return [segments]
    return list(segments) if segments else None
