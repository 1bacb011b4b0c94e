"""`--format table|csv|json|markdown` and `--out PATH|-` on the tables that came last
(issue 16 item 4): `segl run`'s sizes (`--sizes-format`, `--sizes-out`, since `--format` and
`--out` are the members'), `segl test`'s results and `segl check --data`'s expectations. Each
format is parsed and checked against the runtime's own values."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
from click.testing import CliRunner
from segl.runtime.api import evaluate
from segl.runtime.cli import main

from tests.conftest import ROOT
from tests.runtime.test_language_tests import HEAD, TEST

SHOP = str(ROOT / "examples" / "shop" / "shop.seg")
AS_OF = ["--as-of", "2026-06-30"]
CHOSEN = ["-s", "loyal", "-s", "lapsed", "-s", "lifecycle"]


def _segl(*args: str):
    return CliRunner().invoke(main, list(args), terminal_width=200)


@pytest.fixture(scope="module")
def sizes() -> dict[tuple[str, str | None], int]:
    evaluation = evaluate(SHOP, "2026-06-30", ["loyal", "lapsed", "lifecycle"])
    found: dict[tuple[str, str | None], int] = {
        (name, None): evaluation.sizes[name] for name in evaluation.segments}
    for name in evaluation.segmentations:
        found.update({(name, bucket): n for bucket, n in evaluation.buckets[name].items()})
    found[("", None)] = evaluation.entities
    return found


def _markdown_rows(text: str) -> list[list[str]]:
    return [[c.strip() for c in line.strip("|").split("|")]
            for line in text.splitlines() if line.startswith("| ")]


def test_run_sizes_in_every_format(sizes, tmp_path) -> None:
    entities = sizes[("", None)]
    rows = list(csv.DictReader(io.StringIO(
        _segl("run", SHOP, *AS_OF, *CHOSEN, "--sizes-format", "csv").stdout)))
    assert list(rows[0]) == ["segment", "bucket", "label", "members", "share"]
    assert {(r["segment"], r["bucket"] or None): int(r["members"]) for r in rows} == {
        k: v for k, v in sizes.items() if k[0]}
    for row in rows:
        assert float(row["share"]) == pytest.approx(int(row["members"]) / entities)
    target = tmp_path / "sizes.json"
    result = _segl("run", SHOP, *AS_OF, *CHOSEN, "--sizes-out", str(target))
    assert result.exit_code == 0 and result.stdout == ""
    document = json.loads(target.read_text())
    assert document["entities"] == entities and document["as_of"] == "2026-06-30"
    assert {(r["segment"], r["bucket"]): r["members"] for r in document["sizes"]} == {
        k: v for k, v in sizes.items() if k[0]}
    markdown = _segl("run", SHOP, *AS_OF, *CHOSEN, "--sizes-format", "markdown").stdout
    segments, buckets = markdown.split("**segmentation lifecycle")
    shown = {row[0]: row for row in _markdown_rows(segments)}
    assert shown["loyal"][2] == f"{sizes[('loyal', None)]:,}"
    shown = {row[0]: row for row in _markdown_rows(buckets)}
    assert shown["loyal"][2] == f"{sizes[('lifecycle', 'loyal')]:,}"
    assert shown["at_risk"][3] == f"{sizes[('lifecycle', 'at_risk')] / entities:.1%}"
    table = _segl("run", SHOP, *AS_OF, *CHOSEN).stdout
    assert f"{entities:,} customer entities" in table and "segmentation lifecycle" in table


def test_run_keeps_stdout_for_the_members(sizes, tmp_path) -> None:
    both = _segl("run", SHOP, *AS_OF, "-s", "loyal", "--format", "csv", "--sizes-out", "-")
    assert both.exit_code == 2 and "the members go to stdout" in both.stderr
    split = _segl("run", SHOP, *AS_OF, "-s", "loyal", "--format", "csv",
                  "--sizes-format", "json")
    assert split.exit_code == 0
    assert len(split.stdout.splitlines()) == 1 + sizes[("loyal", None)]  # members alone
    assert json.loads(split.stderr)["sizes"][0]["members"] == sizes[("loyal", None)]
    bad = _segl("run", SHOP, *AS_OF, "--sizes-out", str(tmp_path / "sizes.dat"))
    assert bad.exit_code == 2 and "cannot tell the format" in bad.stderr


def _tests_project(tmp_path):
    from tests.runtime.test_language_tests import run  # writes t.seg (and its data)

    path, _ = run(tmp_path, HEAD + TEST.replace("{name}", "good").replace("{few}", "1, 2")
                  + TEST.replace("{name}", "wrong").replace("{few}", "1"))
    return path


def test_test_results_in_every_format(tmp_path) -> None:
    path = _tests_project(tmp_path)
    lines = _segl("test", str(path))
    assert lines.exit_code == 1
    document = json.loads(_segl("test", str(path), "--format", "json").stdout)
    assert (document["passed"], document["failed"]) == (1, 1)
    results = {t["test"]: t for t in document["tests"]}
    assert results["good"] == {"test": "good", "result": "PASS", "failures": []}
    assert results["wrong"]["result"] == "FAIL"
    assert results["wrong"]["failures"] == [
        line.strip() for line in lines.stderr.splitlines() if line.startswith("  ")]
    target = tmp_path / "tests.csv"
    result = _segl("test", str(path), "--out", str(target))
    assert result.exit_code == 1 and result.stdout == ""
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    assert [(r["test"], r["result"]) for r in rows] == [("good", "PASS"), ("wrong", "FAIL")]
    assert json.loads(rows[1]["failures"]) == results["wrong"]["failures"]
    markdown = _markdown_rows(_segl("test", str(path), "--format", "markdown").stdout)
    assert markdown[0] == ["test", "result", "failures"]
    assert [row[:2] for row in markdown[1:]] == [["good", "PASS"], ["wrong", "FAIL"]]
    table = _segl("test", str(path), "--format", "table").stdout
    assert "1 passed, 1 failed" in table and "wrong" in table


def test_check_data_expectations_in_every_format(tmp_path) -> None:
    from segl.runtime.expectations import check_expectations

    evaluation = evaluate(SHOP, date(2026, 6, 30))
    outcomes = check_expectations(evaluation)
    document = json.loads(_segl("check", SHOP, "--data", *AS_OF, "--format", "json").stdout)
    assert document["hold"] == sum(o.passed for o in outcomes)
    assert [(e["segment"], e["line"], e["holds"], e["actual"])
            for e in document["expectations"]] == [
        (o.segment, o.expectation.span.line, o.passed, o.actual) for o in outcomes]
    target = tmp_path / "expect.md"
    result = _segl("check", SHOP, "--data", *AS_OF, "--out", str(target))
    assert result.stdout == "" and f"{SHOP}: ok" in result.stderr
    rows = _markdown_rows(target.read_text())
    assert rows[0] == ["file", "line", "segment", "expectation", "actual", "holds", "as_of"]
    assert len(rows) == 1 + len(outcomes)
    piped = _segl("check", SHOP, "--data", *AS_OF, "--out", "-")
    assert piped.stdout.splitlines()[0] == "file,line,segment,expectation,actual,holds,as_of"
    refused = _segl("check", SHOP, "--format", "csv")
    assert refused.exit_code == 2 and "add --data" in refused.stderr


@pytest.fixture
def activation(project):
    """A file with a clusters segmentation (its lock file written) and an export."""
    from tests.runtime.test_resources_everywhere import SEG

    rows = [{"customer_id": i, "city": "Delft" if i % 3 else "Leiden", "spend": 20.0 + i % 90,
             "orders": i % 7, "opt_in": i % 2 == 0} for i in range(1, 401)]
    path = project(SEG, {"customers": rows})
    assert _segl("discover", str(path), *AS_OF).exit_code == 0
    return path, rows


def test_export_summary_in_every_format(activation) -> None:
    path, rows = activation
    document = json.loads(_segl("export", str(path), *AS_OF, "--format", "json").stdout)
    (summary,) = document["exports"]
    big = [r for r in rows if r["spend"] > 60]
    assert summary["export"] == "list" and summary["members"] == len(big)
    assert summary["no_consent"] == sum(1 for r in big if not r["opt_in"])
    written = list(csv.DictReader(io.StringIO((path.parent / "out/big.csv").read_text())))
    assert summary["exported"] == len(written)
    piped = list(csv.DictReader(io.StringIO(_segl("export", str(path), *AS_OF,
                                                  "--out", "-").stdout)))
    assert [int(piped[0][k]) for k in ("members", "exported")] == [len(big), len(written)]
    markdown = _markdown_rows(_segl("export", str(path), *AS_OF, "--format", "markdown").stdout)
    assert markdown[0] == ["export", "target", "members", "holdout", "suppressed",
                           "no consent", "exported"]
    assert markdown[1][:3] == ["list", summary["target"], f"{len(big):,}"]


def test_discover_in_every_format(activation, tmp_path) -> None:
    path, rows = activation
    profile = list(csv.DictReader(io.StringIO(
        _segl("discover", str(path), *AS_OF, "--format", "csv").stdout)))
    clusters = {r["cluster"]: int(r["size"]) for r in profile}
    assert set(clusters) == {"cluster_1", "cluster_2", "everyone"}
    assert clusters["cluster_1"] + clusters["cluster_2"] == clusters["everyone"] == len(rows)
    assert len(profile) == 3 * 2  # each cluster (and everyone) times each feature
    target = tmp_path / "fit.json"
    assert _segl("discover", str(path), *AS_OF, "--k", "2..3", "--out", str(target)
                 ).exit_code == 0
    document = json.loads(target.read_text())
    assert [(c["k"], c["declared"]) for c in document["candidates"]] == [(2, True), (3, False)]
    assert {(r["cluster"], r["feature"]) for r in document["clusters"]} == {
        (r["cluster"], r["feature"]) for r in profile}
    markdown = _segl("discover", str(path), *AS_OF, "--format", "markdown").stdout
    assert "**styles · 2 clusters · as_of 2026-06-30" in markdown
    shown = {row[0]: row for row in _markdown_rows(markdown)}
    assert shown["cluster_1"][1] == f"{clusters['cluster_1']:,}"
