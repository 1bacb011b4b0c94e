"""The physical plan of one small file per feature, as text and as JSON, against a snapshot
(`SEGL_UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/plan` rewrites them: review the diff).
A change in a decision the backends translate (a bound, a prefilter, a hoisted expression,
a fold, the tables read) shows here before it shows in any SQL."""

import json
import os
from datetime import date
from pathlib import Path

import pytest
from segl.compiler.api import AsOf, compile_file, describe_plan, plan_for

HERE = Path(__file__).parent
FEATURES = sorted(p.stem for p in (HERE / "features").glob("*.seg") if p.stem != "sources")
AS_OF = {"calendar": ["2026-03-31", "param"],
         "periods": ["2026-03-31", "param"], "window": ["2026-06-30", "today"],
         "through": ["2026-06-30", "param"]}


def _plan(feature: str):
    compilation = compile_file(HERE / "features" / f"{feature}.seg")
    model = compilation.require_ok()
    kpis = list(model.kpis)
    return plan_for(model, None, kpis, shares=bool(kpis))


def _check(name: str, text: str) -> None:
    path = HERE / "snapshots" / name
    if os.environ.get("SEGL_UPDATE_SNAPSHOTS"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no snapshot {path}: run with SEGL_UPDATE_SNAPSHOTS=1"
    assert text == path.read_text(encoding="utf-8"), f"plan changed: {name}"


@pytest.mark.parametrize("feature", FEATURES)
def test_plan_text_and_json_match_the_snapshots(feature):
    plan = _plan(feature)
    for as_of in AS_OF.get(feature, ["2026-06-30"]):
        suffix = "" if as_of[0].isdigit() else f".{as_of}"
        text = describe_plan(plan, as_of)
        as_json = describe_plan(plan, as_of, "json")
        assert json.loads(as_json)["as_of"] == as_of
        _check(f"{feature}{suffix}.txt", text)
        _check(f"{feature}{suffix}.json", as_json)


# Many dates (issue 11): windows cut between the dates and fixed ranges, a through table
# (segmented joined to its via table), no window (running totals per entity).
MANY_DATES = [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31)]


@pytest.mark.parametrize("feature", ["window", "through", "rfm"])
def test_many_dates_plan_matches_the_snapshots(feature):
    """Each pass's time segments at three month-ends: the cuts, each window's measures,
    each date's segment bounds, running totals or the join to the dates."""
    plan = _plan(feature)
    as_of = AsOf.many(MANY_DATES)
    _check(f"{feature}.dates.txt", describe_plan(plan, as_of))
    _check(f"{feature}.dates.json", describe_plan(plan, as_of, "json"))


def test_every_feature_has_a_file():
    assert set(FEATURES) >= {"prefilter", "window", "lookup", "through", "rfm", "tiers",
                             "calendar", "kpis"}


def test_segl_compile_show_plan_prints_the_snapshot_and_json():
    from click.testing import CliRunner
    from segl.runtime.cli import main

    path = HERE / "features" / "window.seg"
    runner = CliRunner()
    text = runner.invoke(main, ["compile", str(path), "--show", "plan", "--as-of",
                                "2026-06-30"])
    assert text.exit_code == 0, text.output
    assert text.output == (HERE / "snapshots" / "window.txt").read_text(encoding="utf-8")
    as_json = runner.invoke(main, ["compile", str(path), "--show", "plan", "--as-of",
                                   "2026-06-30", "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.output)
    assert [p["table"] for p in data["passes"]] == ["orders"]
    assert [r["table"] for r in data["reads"]] == ["customer", "orders"]
    refused = runner.invoke(main, ["compile", str(path), "--format", "json"])
    assert refused.exit_code == 2 and "--show plan" in refused.output
