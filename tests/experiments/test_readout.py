"""`segl experiment`: the readout's numbers against scipy and an independent assignment
(hashlib), its formats, sample-ratio mismatch, and its refusals."""

from __future__ import annotations

import hashlib
import json
import math
import random

import pytest
from click.testing import CliRunner
from scipy import stats
from segl.runtime.cli import main
from segl.runtime.experiment_stats import sample_ratio
from segl.runtime.experiments import readout

ARMS = (("control", 20), ("variant_a", 40), ("variant_b", 40))


def slot(salt: str, key: object) -> int:
    return int(hashlib.md5(f"{salt}:{key}".encode()).hexdigest()[:8], 16) % 10_000


def arm_of(key: int) -> str:
    value, low = slot("exp-1", key), 0
    for arm, percent in ARMS:
        if low <= value < low + percent * 100:
            return arm
        low += percent * 100
    raise AssertionError


SEG = """
entity customer from parquet "data/customers.parquet" key customer_id {
  customer_id int
  spend float
  opened bool
  email text pii
}
segment everyone = true
segment big = spend > 60
feature spend_value = spend
feature did_open = opened
feature email_length = length(email)
feature label = "x"
experiment mail on everyone salt "exp-1" { control 20% variant_a 40% variant_b 40% }
"""


def _rows(keys) -> list[dict]:
    rng = random.Random(5)
    rows = []
    for key in keys:
        lift = {"control": 0.0, "variant_a": 3.0, "variant_b": 0.5}[arm_of(key)]
        spend = None if rng.random() < 0.02 else round(rng.gauss(50 + lift, 15), 2)
        rows.append({"customer_id": key, "spend": spend,
                     "opened": rng.random() < 0.25 + lift / 40, "email": f"u{key}@x.nl"})
    return rows


@pytest.fixture
def shop(project):
    rows = _rows(range(1, 6_001))
    return project(SEG, {"customers": rows}), rows


def test_means_match_welch_t_test_in_scipy(shop):
    path, rows = shop
    result = readout(str(path), "mail", ["spend_value"], "2026-06-30")
    values = {arm: [r["spend"] for r in rows if arm_of(r["customer_id"]) == arm
                    and r["spend"] is not None] for arm, _ in ARMS}
    by_arm = {row.arm: row for row in result.rows}
    for arm, _ in ARMS:
        assert by_arm[arm].sample.n == len(values[arm])
        assert by_arm[arm].sample.mean == pytest.approx(sum(values[arm]) / len(values[arm]))
        assert by_arm[arm].missing == sum(1 for r in rows if arm_of(r["customer_id"]) == arm
                                          and r["spend"] is None)
    for arm in ("variant_a", "variant_b"):
        test = stats.ttest_ind(values[arm], values["control"], equal_var=False)
        comparison = by_arm[arm].comparison
        assert comparison.test == "Welch's t-test"
        assert comparison.statistic == pytest.approx(test.statistic, rel=1e-9)
        assert comparison.p_value == pytest.approx(test.pvalue, rel=1e-7)
        interval = test.confidence_interval(0.95)
        assert (comparison.low, comparison.high) == pytest.approx(
            (interval.low, interval.high), rel=1e-7)


def test_rates_match_a_two_proportion_z_test(shop):
    path, rows = shop
    result = readout(str(path), "mail", ["did_open", "big"], "2026-06-30")
    for kpi, value in (("did_open", lambda r: r["opened"]),
                       ("big", lambda r: r["spend"] is not None and r["spend"] > 60)):
        counts = {arm: [value(r) for r in rows if arm_of(r["customer_id"]) == arm]
                  for arm, _ in ARMS}
        by_arm = {row.arm: row for row in result.rows if row.kpi == kpi}
        nc, xc = len(counts["control"]), sum(counts["control"])
        for arm in ("variant_a", "variant_b"):
            nt, xt = len(counts[arm]), sum(counts[arm])
            pc, pt = xc / nc, xt / nt
            pooled = (xc + xt) / (nc + nt)
            z = (pt - pc) / math.sqrt(pooled * (1 - pooled) * (1 / nc + 1 / nt))
            comparison = by_arm[arm].comparison
            assert comparison.test == "two-proportion z-test"
            assert comparison.statistic == pytest.approx(z, rel=1e-9)
            assert comparison.p_value == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-7)
            half = stats.norm.ppf(0.975) * math.sqrt(pc * (1 - pc) / nc + pt * (1 - pt) / nt)
            assert comparison.low == pytest.approx(pt - pc - half, rel=1e-9)
            mde = (stats.norm.ppf(0.975) + stats.norm.ppf(0.8)) * math.sqrt(
                pc * (1 - pc) * (1 / nc + 1 / nt))
            assert comparison.mde == pytest.approx(mde, rel=1e-9)


@pytest.mark.parametrize("sizes", [[100, 200, 200], [130, 180, 190], [10, 5, 40], [0, 9, 1]])
def test_sample_ratio_matches_scipy_chisquare(sizes):
    shares = [0.2, 0.4, 0.4]
    total = sum(sizes)
    expected = stats.chisquare(sizes, [total * s for s in shares])
    ratio = sample_ratio(sizes, shares)
    assert ratio.chi_square == pytest.approx(expected.statistic, rel=1e-9)
    assert ratio.p_value == pytest.approx(expected.pvalue, rel=1e-7, abs=1e-300)


def test_a_skewed_split_is_flagged_and_fails(project):
    keys = [k for k in range(1, 40_000) if arm_of(k) == "control"][:1_000]
    keys += [k for k in range(1, 40_000) if arm_of(k) != "control"][:1_000]
    path = project(SEG, {"customers": _rows(keys)})
    result = CliRunner().invoke(main, ["experiment", "mail", str(path), "--kpi", "did_open",
                                       "--as-of", "2026-06-30"])
    assert result.exit_code == 1, result.output
    assert "SAMPLE-RATIO MISMATCH" in result.output


def test_formats_and_out(shop, tmp_path):
    path, _ = shop
    runner = CliRunner()
    result = runner.invoke(main, ["experiment", str(path), "mail", "--kpi", "spend_value",
                                  "--kpi", "big", "--format", "json", "--as-of", "2026-06-30"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["format"] == "segl-experiment/1"
    assert [a["arm"] for a in document["arms"]] == ["control", "variant_a", "variant_b"]
    assert {k["kpi"] for k in document["kpis"]} == {"spend_value", "big"}
    out = tmp_path / "readout.csv"
    result = runner.invoke(main, ["experiment", "mail", str(path), "--kpi", "big",
                                  "--out", str(out), "--as-of", "2026-06-30"])
    assert result.exit_code == 0, result.output
    lines = out.read_text().splitlines()
    assert lines[0].startswith("kpi,kind,arm,n,missing,value,difference,ci_low")
    assert len(lines) == 4
    result = runner.invoke(main, ["experiment", "mail", str(path), "--kpi", "big",
                                  "--format", "markdown", "--as-of", "2026-06-30"])
    assert "| big (rate) | variant_a |" in result.output
    lines = result.output.splitlines()
    assert lines[0] == "**mail on " + document["segment"] + " · as_of 2026-06-30**"
    assert any(line.startswith("no sample-ratio mismatch (chi-square") for line in lines)
    result = runner.invoke(main, ["experiment", "mail", str(path), "--kpi", "big",
                                  "--as-of", "2026-06-30"], terminal_width=200)
    assert "95% CI" in result.output and "p-value" in result.output
    assert "no sample-ratio mismatch" in result.output
    dash = runner.invoke(main, ["experiment", "mail", str(path), "--kpi", "big",
                                "--as-of", "2026-06-30", "--out", "-"])  # a pipe: CSV
    assert dash.output.splitlines()[0].startswith("kpi,kind,arm,n,missing,value")
    unknown = runner.invoke(main, ["experiment", "mail", str(path), "--kpi", "big",
                                   "--as-of", "2026-06-30", "--out", str(tmp_path / "r.dat")])
    assert unknown.exit_code == 2 and "cannot tell the format" in unknown.output


@pytest.mark.parametrize(("args", "message"), [
    (["experiment", "nope", "--kpi", "big"], "unknown experiment `nope`"),
    (["experiment", "mail", "--kpi", "nothing"], "neither a feature nor a segment"),
    (["experiment", "mail", "--kpi", "label"], "a readout KPI is a number"),
    (["experiment", "mail"], "name at least one KPI"),
    (["experiment", "mail", "--kpi", "email_length"], "E504"),
])
def test_refusals_exit_2(shop, args, message):
    path, _ = shop
    result = CliRunner().invoke(main, [*args[:2], str(path), *args[2:], "--as-of",
                                       "2026-06-30"])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "@x.nl" not in result.output


@pytest.mark.parametrize("engine", ["polars", "sqlite", "clickhouse"])
def test_the_readout_is_the_same_on_other_engines(shop, engine):
    path, _ = shop
    reference = readout(str(path), "mail", ["spend_value", "did_open"], "2026-06-30")
    other = readout(str(path), "mail", ["spend_value", "did_open"], "2026-06-30",
                    engine=engine)
    assert other.arms == reference.arms
    for mine, theirs in zip(other.rows, reference.rows, strict=True):
        assert (mine.kpi, mine.arm, mine.sample.n, mine.missing) == \
            (theirs.kpi, theirs.arm, theirs.sample.n, theirs.missing)
        assert mine.sample.mean == pytest.approx(theirs.sample.mean, rel=1e-12)
