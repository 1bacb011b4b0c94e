"""Every IR node kind and every physical-plan node kind has its translator method in every
backend (dispatched by the node's type name), and a printed form in the plan listing; the
tables the plan says a query reads are the tables its SQL reads."""

import dataclasses

import pytest
from segl.compiler import ir
from segl.compiler.api import AsOf, SourceOverride, compile_file, plan_for, query_for_plan
from segl.compiler.api import tables_read as plan_tables_read
from segl.compiler.backends.polars.generator import PolarsGenerator
from segl.compiler.backends.sql.generator import SqlGenerator
from segl.compiler.plan import describe, physical
from sqlglot import exp

from tests.conftest import ROOT

BACKENDS = [SqlGenerator, PolarsGenerator]


def _kinds(module, base) -> list[type]:
    return [kind for kind in vars(module).values()
            if isinstance(kind, type) and issubclass(kind, base) and kind is not base]


IR_KINDS = _kinds(ir, ir.Expr)
PLAN_KINDS = [physical.TimeTest, physical.Bound, physical.Condition, physical.Prefilter]


def test_the_kinds_are_found():
    assert len(IR_KINDS) >= 20 and ir.Aggregate in IR_KINDS and ir.Ref in IR_KINDS
    # every node of the physical plan that a backend translates is listed above
    translated = {kind for kind in vars(physical).values() if dataclasses.is_dataclass(kind)
                  and isinstance(kind, type) and kind.__module__ == physical.__name__}
    translated -= {physical.Pass, physical.Read, physical.PhysicalPlan}
    assert translated == set(PLAN_KINDS)


@pytest.mark.parametrize("backend", BACKENDS, ids=lambda b: b.__name__)
def test_every_ir_kind_has_a_value_method(backend):
    missing = [kind.__name__ for kind in IR_KINDS
               if not hasattr(backend, f"value_{kind.__name__}")]
    assert not missing


@pytest.mark.parametrize("backend", BACKENDS, ids=lambda b: b.__name__)
def test_every_plan_kind_has_a_plan_method(backend):
    missing = [kind.__name__ for kind in PLAN_KINDS
               if not hasattr(backend, f"plan_{kind.__name__}")]
    assert not missing


def test_every_ir_kind_prints_in_the_plan_listing():
    assert set(IR_KINDS) <= set(describe._TEXT)


SEG_FILES = [*sorted((ROOT / "examples").glob("*/*.seg")), ROOT / "bench/tpch.seg",
             ROOT / "bench/tpch_rfm.seg",
             *sorted(p for p in (ROOT / "tests/plan/features").glob("*.seg"))]


@pytest.mark.parametrize("path", SEG_FILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_tables_read_are_the_tables_the_sql_reads(path):
    compilation = compile_file(path)
    model = compilation.model
    if model is None or not compilation.ok:
        pytest.skip("needs its data to compile")
    names = [[name] for name in model.segments] + [None]
    for chosen in names:
        plan = plan_for(model, chosen)
        marker = "segl_source__"
        sources = {t.name: SourceOverride("table", marker + t.name) for t in model.tables}
        query = query_for_plan(plan, "duckdb", AsOf.parse("2026-06-30"), sources)
        in_sql = {t.name[len(marker):] for t in query.find_all(exp.Table)
                  if t.name.startswith(marker)}
        read = plan_tables_read(plan)
        assert read == [t.name for t in model.tables if t.name in in_sql], chosen
    assert plan_tables_read(compilation) == plan_tables_read(plan_for(model))


BACKEND_FILES = sorted((ROOT / "compiler/backends").glob("*/*.py"))


@pytest.mark.parametrize("path", BACKEND_FILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_backends_leave_the_decisions_to_the_plan(path):
    """Calendar arithmetic, window bounds, prefilters and hoisting are the plan's: a backend
    that computes one again (or reads another backend's internals) would drift from it."""
    text = path.read_text(encoding="utf-8")
    for decided in ("shift_date", "lookup_expressions", "aggregate.window", "window_start",
                    "fold_into ==", "timedelta("):
        assert decided not in text, decided
    other = "polars" if path.parent.name == "sql" else "sql"
    assert f"backends.{other}" not in text and f"..{other}" not in text
