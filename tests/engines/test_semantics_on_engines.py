"""Every semantics test case (tests/semantics), run unchanged on every other engine: the
same data, the same `.seg` text, the same expected members. The cases call `evaluate`
through their module; here it evaluates on the engine instead (and loads the members into
DuckDB, as `segl run --engine` does), so a new case joins this suite by itself.
Hypothesis cases run on every engine but Spark (whose per-query start-up makes 25 random
examples take minutes); the engine-agreement properties of test_properties.py cover it.
On an engine they draw ENGINE_EXAMPLES examples, not the 25 of their DuckDB run (the four
cases took 51 s of the suite on three engines; the draws differ from run to run)."""

from __future__ import annotations

import functools
import inspect

import pytest
from hypothesis import settings
from segl.runtime.api import evaluate

from ..semantics import test_semantics as cases
from .conftest import OTHER_ENGINES, QUICK_ENGINES, engine_params


def _case_calls() -> list:
    """(case name, keyword arguments) for every case, one per parameter set."""
    calls = []
    for name, function in sorted(vars(cases).items()):
        if not name.startswith("test_") or not callable(function):
            continue
        parameter_sets = [{}]
        for mark in getattr(function, "pytestmark", []):
            if mark.name == "parametrize":
                names = [n.strip() for n in mark.args[0].split(",")]
                parameter_sets = [dict(zip(names, values if len(names) > 1 else (values,),
                                           strict=True)) for values in mark.args[1]]
        for index, parameters in enumerate(parameter_sets):
            case_id = name if len(parameter_sets) == 1 else f"{name}[{index}]"
            calls.append(pytest.param(name, parameters, id=case_id))
    return calls


CASES = _case_calls()
ENGINE_EXAMPLES = 10


def _is_property(name: str) -> bool:
    return hasattr(getattr(cases, name), "hypothesis")


# (Polars runs these cases, and more, in tests/polars/test_semantics_on_polars.py.)
RUNS = [pytest.param(engine.values[0], *case.values, id=f"{engine.id}-{case.id}")
        for engine in engine_params([e for e in OTHER_ENGINES if e != "polars"])
        for case in CASES
        if engine.values[0] in QUICK_ENGINES or not _is_property(case.values[0])]


@pytest.mark.parametrize("engine,case,parameters", RUNS)
def test_semantics_case_on_engine(case, parameters, engine, engine_options, project,
                                  tmp_path, monkeypatch):
    monkeypatch.setattr(cases, "evaluate", functools.partial(
        evaluate, engine=engine, engine_options=engine_options))
    function = getattr(cases, case)
    if _is_property(case):   # (hypothesis reads a test's settings when it is called)
        monkeypatch.setattr(function, "_hypothesis_internal_use_settings", settings(
            function._hypothesis_internal_use_settings, max_examples=ENGINE_EXAMPLES))
    fixtures = {"project": project, "tmp_path": tmp_path}
    wanted = inspect.signature(function).parameters
    function(**{name: value for name, value in fixtures.items() if name in wanted},
             **parameters)


def test_every_case_is_collected():
    assert len(CASES) >= 12
    assert {"test_month_windows_clamp_at_month_end",
            "test_top_percent_is_deterministic_under_ties"} <= {p.values[0] for p in CASES}
