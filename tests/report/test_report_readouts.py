"""The experiments section of `segl report` (docs/report.md): each experiment's arms, sizes
and sample-ratio check, and the readout of the KPIs given for it, against an independent
assignment (hashlib) and scipy; names and labels escaped; a mismatch flagged."""

from __future__ import annotations

import html
import re

import pytest
from click.testing import CliRunner
from scipy import stats
from segl.runtime.cli import main
from segl.runtime.experiment_report import shown

from ..experiments.test_readout import ARMS, SEG, _rows, arm_of

LABELLED = SEG.replace('experiment mail on', 'experiment mail "<b>Spring</b> & co" on') + \
    'experiment skewed on big salt "exp-1" { control 20% variant_a 40% variant_b 40% }\n'


@pytest.fixture
def shop(project):
    rows = _rows(range(1, 6_001))
    return project(LABELLED, {"customers": rows}), rows


def report(path, *args) -> tuple[int, str]:
    out = path.parent / "report.html"
    result = CliRunner().invoke(main, ["report", str(path), "--as-of", "2026-06-30",
                                       "--out", str(out), *args])
    return result.exit_code, out.read_text() if out.exists() else result.output


def section(page: str, name: str) -> str:
    """The part of the experiments section about one experiment."""
    start = page.index(f'<h3 id="experiment-{name}">')
    end = page.find("<h3 ", start + 1)
    stop = page.index("</section>", start)
    return page[start:stop if end < 0 else min(end, stop)]


def cells(fragment: str) -> list[list[str]]:
    return [[html.unescape(re.sub(r"<[^>]+>", "", c)) for c in
             re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)]
            for row in re.findall(r"<tr>(.*?)</tr>", fragment)]


def test_the_report_reads_out_each_experiment_against_scipy(shop):
    path, rows = shop
    code, page = report(path, "--experiment-kpi", "mail:spend_value", "--experiment-kpi", "big")
    assert code == 0, page
    mail = section(page, "mail")
    sizes = {arm: sum(1 for r in rows if arm_of(r["customer_id"]) == arm) for arm, _ in ARMS}
    arm_table = {row[0]: row for row in cells(mail) if len(row) == 4 and row[0] in sizes}
    assert {arm: int(row[2].replace(",", "")) for arm, row in arm_table.items()} == sizes
    spend = {arm: [r["spend"] for r in rows if arm_of(r["customer_id"]) == arm
                   and r["spend"] is not None] for arm, _ in ARMS}
    kpi_rows = {(row[0], row[1]): row for row in cells(mail) if len(row) == 9}
    for arm in ("variant_a", "variant_b"):
        row = kpi_rows[("spend_value (mean)", arm)]
        difference = sum(spend[arm]) / len(spend[arm]) - \
            sum(spend["control"]) / len(spend["control"])
        p_value = stats.ttest_ind(spend[arm], spend["control"], equal_var=False).pvalue
        assert row[4] == shown(difference) and row[6] == shown(p_value, "p")
        assert "welch" in row[8].lower()
    big = {arm: [r["spend"] is not None and r["spend"] > 60 for r in rows
                 if arm_of(r["customer_id"]) == arm] for arm, _ in ARMS}
    row = kpi_rows[("big (rate)", "variant_a")]
    assert row[4] == shown(sum(big["variant_a"]) / len(big["variant_a"])
                           - sum(big["control"]) / len(big["control"]))
    # `big` was given without an experiment: every experiment reads it out
    assert ["big (rate)", "variant_b"] in [row[:2] for row in cells(section(page, "skewed"))]


def test_names_and_labels_are_escaped_and_a_mismatch_is_flagged(shop):
    path, _ = shop
    code, page = report(path)
    assert code == 0, page
    assert "&lt;b&gt;Spring&lt;/b&gt; &amp; co" in page and "<b>Spring" not in page
    # members of `big` are not split as declared: variant_a's lift puts more of them in it
    assert "SAMPLE-RATIO MISMATCH" in section(page, "skewed")
    assert "SAMPLE-RATIO MISMATCH" not in section(page, "mail")
    assert "No KPI given for this experiment" in section(page, "mail")
    assert '<a href="#experiments">Experiments</a>' in page


@pytest.mark.parametrize(("spec", "message"), [("nosuch:big", "unknown experiment `nosuch`"),
                                               ("mail:", "names no KPI"),
                                               ("mail:nothing", "neither a feature")])
def test_a_bad_experiment_kpi_is_a_usage_error(shop, spec, message):
    path, _ = shop
    code, output = report(path, "--experiment-kpi", spec)
    assert code == 2 and message in output
    assert not (path.parent / "report.html").exists()
