"""`segl report`: the HTML holds every segment, bucket and KPI of the shop example with the
numbers `evaluate` and `kpi_table` give, escapes what users write, needs no network, and is
the same bytes each time."""

from __future__ import annotations

import base64
import html
import re
from datetime import date
from html.parser import HTMLParser

import pytest
from click.testing import CliRunner
from segl.runtime.api import evaluate
from segl.runtime.cli import main
from segl.runtime.kpis import kpi_table
from segl.runtime.report import KEYWORDS, build_report, highlight, photo_uri, render_report

from tests.conftest import ROOT

SHOP = ROOT / "examples/shop/shop.seg"
AS_OF = "2026-06-30"


class Cells(HTMLParser):
    """The data-* attributes of the report's rows and cells, by kind."""

    def __init__(self) -> None:
        super().__init__()
        self.segments: dict[str, int] = {}
        self.buckets: dict[str, int] = {}
        self.kpis: dict[tuple[str, str], tuple[str, str]] = {}  # (group, kpi) -> value, index
        self.definitions: set[str] = set()
        self._row: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "tr":
            self._row = found
        elif tag == "td" and "data-size" in found:
            if "data-segment" in self._row:
                self.segments[self._row["data-segment"]] = int(found["data-size"])
            if "data-bucket" in self._row:
                self.buckets[self._row["data-bucket"]] = int(found["data-size"])
        elif tag == "td" and "data-group" in self._row and \
                ("data-kpi" in found or "data-share" in found):
            key = (self._row["data-group"], found.get("data-kpi") or found["data-share"])
            self.kpis[key] = (found["data-value"], found["data-index"])
        elif tag == "article" and "data-segment" in found:
            self.definitions.add(found["data-segment"])


@pytest.fixture(scope="module")
def shop_report():
    data = build_report(str(SHOP), AS_OF)
    page = render_report(data)
    cells = Cells()
    cells.feed(page)
    return data, page, cells


def test_every_segment_and_bucket_has_the_size_evaluate_gives(shop_report):
    _, page, cells = shop_report
    evaluation = evaluate(str(SHOP), AS_OF)  # an evaluation of its own, not the report's
    assert cells.segments == evaluation.sizes
    expected = {f"{name}.{bucket}": size for name, buckets in evaluation.buckets.items()
                for bucket, size in buckets.items()}
    assert cells.buckets == expected
    assert len(cells.buckets) == 22  # lifecycle: 6, rfm: 5, spend_deciles: 11
    assert cells.buckets["spend_deciles.no_value"] == 0  # an empty bucket is shown too
    assert f"{evaluation.entities:,}" in page


def test_every_kpi_of_every_group_equals_kpi_table(shop_report):
    _, _, cells = shop_report
    groups = kpi_table(evaluate(str(SHOP), AS_OF, kpis=True))
    assert len(groups) == 1 + 32 + 22
    columns = [*groups[0].values]
    model = shop_report[0].model
    # every KPI, then the 80/20 shares of top_20pct's spend_total and top_100's spend_1y
    assert columns == [*model.kpis, "share of spend_total", "share of spend_1y"]
    for group in groups:
        for kpi, value in group.values.items():
            shown_value, shown_index = cells.kpis[(group.name, kpi)]
            assert shown_value == ("" if value is None else str(value)), (group.name, kpi)
            index = group.index[kpi]
            assert shown_index == ("" if index is None else f"{index:.6f}"), (group.name, kpi)
    assert len(cells.kpis) == len(groups) * len(columns)


def test_definitions_show_each_segments_source_label_and_owner(shop_report):
    data, page, cells = shop_report
    model = data.model
    assert cells.definitions == set(model.segments)
    for segment in model.segments.values():
        assert highlight(segment.span.text) in page
    young_urban = model.segments["young_urban"]
    assert f"<dd>{young_urban.owner}</dd>" in page
    assert f"<dd>{html.escape(young_urban.description)}</dd>" in page


def test_the_page_has_the_header_overlap_personas_and_expectations(shop_report):
    data, page, _ = shop_report
    assert "<h1>" + str(SHOP) + "</h1>" in page
    assert f"<dd>{AS_OF}</dd>" in page and "segl 0.1.0" in page
    # the most alike pair, as `segl overlap` ranks it
    assert '<tr data-pair="randstad|big_cities">' in page and "0.638" in page
    assert page.count('class="cell"') == 32 * 32
    assert "Lisa, the sustainable millennial" in page
    assert "The profile satisfies <code>young_urban</code>" in page
    assert page.count('class="badge pass"') == len(data.expectations) == 3


def test_the_page_needs_no_network(shop_report):
    _, page, _ = shop_report
    for pattern in (r"<link\b", r"<script\b[^>]*\bsrc=", r"\bsrc=\"(?!data:)", r"@import",
                    r"url\((?!data:)"):
        assert not re.search(pattern, page), pattern
    addresses = set(re.findall(r"https?://[^\s\"'<>)]+", page))
    assert addresses <= {"http://www.w3.org/2000/svg"}


def test_two_runs_write_the_same_bytes(shop_report, tmp_path):
    """The fixture's page and one written by `segl report` from a fresh evaluation."""
    _, page, _ = shop_report
    out = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["report", str(SHOP), "--as-of", AS_OF, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == page.encode("utf-8")
    assert out.stat().st_mode & 0o044  # readable by others as the umask allows, not 0600
    assert not list(tmp_path.glob(".*.tmp"))


HOSTILE = """entity customer from parquet "data/customers.parquet" key id {
  id int
  city text
}

segment delft "<script>alert('label')</script>" {
  description "Tom & Jerry's <b>shop</b>"
  owner "\\"><img src=x onerror=alert(1)>"
  where city = "<Delft>"
}
segment others = not delft

kpi people "<i>People</i>" = count(id)

persona ann "Ann <3" for delft {
  quote "</blockquote><script>alert('quote')</script>"
  photo "ann.png"
  city "<Delft>"
}
"""
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQ"
                       "DwAEhQGAhKmMIQAAAABJRU5ErkJggg==")


def test_every_user_string_is_escaped(project, tmp_path):
    path = project(HOSTILE, {"customers": [{"id": 1, "city": "<Delft>"},
                                           {"id": 2, "city": "Delft"}]})
    page = render_report(build_report(str(path), date(2026, 6, 30)))
    assert "<script" not in page and "<img src=x" not in page and "<b>shop" not in page
    assert "<i>People" not in page and "</blockquote><script" not in page
    assert "&lt;script&gt;alert(&#x27;label&#x27;)&lt;/script&gt;" in page
    assert "Tom &amp; Jerry&#x27;s &lt;b&gt;shop&lt;/b&gt;" in page
    assert "&lt;i&gt;People&lt;/i&gt;" in page
    cells = Cells()
    cells.feed(page)
    assert cells.segments == {"delft": 1, "others": 1}


def test_a_persona_photo_is_embedded_as_a_data_uri_when_the_file_exists(project, tmp_path):
    path = project(HOSTILE, {"customers": [{"id": 1, "city": "<Delft>"}]})
    page = render_report(build_report(str(path), date(2026, 6, 30)))
    assert "photo <code>ann.png</code> not found" in page
    (tmp_path / "ann.png").write_bytes(PNG)
    data = build_report(str(path), date(2026, 6, 30))
    uri = "data:image/png;base64," + base64.b64encode(PNG).decode("ascii")
    assert photo_uri(data.model.personas["ann"]) == uri
    page = render_report(data)
    assert f'<img class="avatar" src="{uri}"' in page and "not found" not in page


def test_highlighting_keeps_the_text_and_marks_keywords():
    source = 'segment a "A <b>" = x >= 4 and y in ("p") # why\n  and not z'
    marked = highlight(source)
    assert html.unescape(re.sub(r"<[^>]+>", "", marked)) == source
    assert '<span class="k">segment</span>' in marked
    assert '<span class="s">&quot;A &lt;b&gt;&quot;</span>' in marked
    assert '<span class="c"># why</span>' in marked and '<span class="n">4</span>' in marked


@pytest.mark.parametrize(("arguments", "code", "message"), [
    (["missing.seg"], 1, "cannot read `missing.seg`"),
    ([str(SHOP), "--as-of", "2026-13-01"], 2, "--as-of expects YYYY-MM-DD"),
    ([str(SHOP), "--as-of", "param"], 2, "needs a date"),
    ([str(SHOP), "--param", "oops"], 2, "--param expects NAME=VALUE"),
])
def test_bad_input_is_reported_not_a_traceback(arguments, code, message, tmp_path):
    out = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["report", *arguments, "--out", str(out)])
    assert result.exit_code == code, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert not out.exists()


def test_out_naming_a_folder_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(main, ["report", str(SHOP), "--as-of", AS_OF,
                                       "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "is a folder" in result.stderr


def test_a_data_error_names_the_table(project):
    path = project(HOSTILE, {})  # no data/customers.parquet
    result = CliRunner().invoke(main, ["report", str(path), "--as-of", AS_OF,
                                       "--out", str(path.parent / "r.html")])
    assert result.exit_code == 2
    assert "data error" in result.stderr and "customer" in result.stderr


def test_every_highlighted_keyword_is_a_word_of_the_grammar():
    grammar = "\n".join(line for line in (ROOT / "grammar/seg.lark").read_text().splitlines()
                        if not line.lstrip().startswith("//"))
    words = set(re.findall(r"[a-z_]+", grammar))
    for word in KEYWORDS:  # `days`: the grammar's TIME_UNIT is /(day|week|month|year)s?/
        assert word in words or word.removesuffix("s") in words, word


FAILING = """entity customer from parquet "data/customers.parquet" key id {
  id int
  city text
}

segment delft {
  where city = "Delft"
  expect size >= 5
}

persona bob "Bob" for delft {
  city "Utrecht"
}
"""


def test_a_failing_persona_and_expectation_are_shown_as_failures(project):
    path = project(FAILING, {"customers": [{"id": 1, "city": "Delft"},
                                           {"id": 2, "city": "Utrecht"}]})
    page = render_report(build_report(str(path), date(2026, 6, 30)))
    assert '<p class="verdict fail">The profile does not satisfy <code>delft</code>' in page
    assert ('<li class="fail"><span class="mark">FAIL</span> <code>city = '
            '<span class="s">&quot;Delft&quot;</span></code></li>') in page
    assert '<span class="badge fail">fails</span>' in page
    assert '<div class="card bad">' in page and "0 / 1" in page
