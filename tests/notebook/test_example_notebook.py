"""`examples/notebook.ipynb` executed in a real kernel (nbclient + ipykernel, from the test
dependencies) from the `examples/` folder, as a user runs it; every cell's output is checked
against the runtime's own functions called here, not only that the notebook runs."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
import segl

from tests.conftest import ROOT

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOK = ROOT / "examples" / "notebook.ipynb"
SHOP = str(ROOT / "examples" / "shop" / "shop.seg")
AS_OF = "2026-06-30"  # examples/shop/segl.toml


class _Tables(HTMLParser):
    """The text of every table cell, row by row (unescaped), and the captions."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.captions: list[str] = []
        self._cell: list[str] | None = None
        self._caption: list[str] | None = None

    def handle_starttag(self, tag, attrs) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "caption":
            self._caption = []

    def handle_endtag(self, tag) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None
        elif tag == "caption" and self._caption is not None:
            self.captions.append("".join(self._caption))
            self._caption = None

    def handle_data(self, data) -> None:
        for part in (self._cell, self._caption):
            if part is not None:
                part.append(data)


def _tables(page: str) -> _Tables:
    parser = _Tables()
    parser.feed(page)
    return parser


@pytest.fixture(scope="module")
def outputs() -> dict[str, list]:
    """Each code cell's source -> its outputs, after running the notebook in a kernel."""
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    return {cell.source: cell.outputs for cell in notebook.cells if cell.cell_type == "code"}


def _output(outputs: dict[str, list], starts: str) -> dict:
    (source,) = [s for s in outputs if s.startswith(starts)]
    assert not [o for o in outputs[source] if o.output_type == "error"], outputs[source]
    (result,) = [o for o in outputs[source] if o.output_type in ("execute_result", "stream")]
    return result


def test_the_committed_notebook_has_no_outputs() -> None:
    """Outputs are made by running it; committed ones would go stale and bloat diffs."""
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    assert all(not c.get("outputs") and not c.get("execution_count")
               for c in notebook.cells if c.cell_type == "code")


def test_no_cell_fails(outputs) -> None:
    errors = [o for cell in outputs.values() for o in cell if o.output_type == "error"]
    assert not errors, errors
    assert all(outputs.values())  # every code cell shows something


def test_version_and_project(outputs) -> None:
    assert _output(outputs, "import segl")["data"]["text/plain"] == repr(segl.__version__)
    project = _output(outputs, "project = segl.load")["data"]["text/plain"]
    assert f"as_of {AS_OF}" in project  # segl.toml's, not today


def test_sizes_equal_an_evaluation(outputs) -> None:
    from segl.runtime.api import evaluate

    evaluation = evaluate(SHOP, AS_OF, ["loyal", "lapsed", "rfm"])
    page = _tables(_output(outputs, "result = project.run")["data"]["text/html"])
    shown = {row[0]: row[3] for row in page.rows[1:]}
    assert shown["loyal"] == f"{evaluation.sizes['loyal']:,}"
    assert shown["lapsed"] == f"{evaluation.sizes['lapsed']:,}"
    for bucket, size in evaluation.buckets["rfm"].items():
        assert shown[f"rfm.{bucket}"] == f"{size:,}"
    counts = _tables(_output(outputs, "result.wide.group_by")["data"]["text/html"])
    by_bucket = {row[0].strip('"'): row[1] for row in counts.rows if len(row) == 2}
    assert {b: int(by_bucket[b]) for b in evaluation.buckets["rfm"] if b in by_bucket} == \
        {b: n for b, n in evaluation.buckets["rfm"].items() if n}


def test_members_head_are_loyal_members(outputs) -> None:
    from segl.runtime import sql
    from segl.runtime.api import evaluate

    evaluation = evaluate(SHOP, AS_OF, ["loyal"])
    keys = [row[0] for row in sql.fetch_all(evaluation.connection, sql.select(
        sql.col(evaluation.key), source=sql.table_ref(evaluation.table)).where(
        sql.col("loyal")).order_by(sql.col(evaluation.key)).limit(5))]
    text = _output(outputs, "result.members.head")["data"]["text/plain"]
    lines = [line for line in text.splitlines() if "loyal" in line]
    assert [int(line.split()[1]) for line in lines] == keys


def test_kpis_equal_the_kpi_table(outputs) -> None:
    from segl.runtime.api import evaluate
    from segl.runtime.kpis import kpi_table

    evaluation = evaluate(SHOP, AS_OF, ["loyal", "lapsed"], kpis=True)
    groups = {g.name: g for g in kpi_table(evaluation, ["revenue", "aov", "conversion"])}
    page = _tables(_output(outputs, "kpis = project.kpis")["data"]["text/html"])
    header, *rows = page.rows
    assert header == ["group", "members", "share", "revenue", "aov", "conversion"]
    for row in rows:
        group = groups[row[0]]
        assert row[1] == f"{group.size:,}"
        revenue = f"{float(group.values['revenue']):,.2f}"
        assert row[3].startswith(revenue)
        if group.kind != "all":
            assert row[3].endswith(f"({group.index['revenue']:.0f})")


def test_funnel_ends_at_the_segment_size(outputs) -> None:
    from segl.runtime.api import evaluate

    size = evaluate(SHOP, AS_OF, ["lapsed"]).sizes["lapsed"]
    page = _tables(_output(outputs, 'project.explain("lapsed")')["data"]["text/html"])
    header, *steps = page.rows
    assert header[:4] == ["#", "condition", "pass alone", "remaining"]
    assert [s[1] for s in steps] == ["orders_total > 0", "days_since_last_order > lapsed_days"]
    assert steps[-1][3] == f"{size:,}"


def test_persona_and_sql(outputs) -> None:
    persona = _output(outputs, 'project.persona("lisa")')["data"]
    assert "satisfies young_urban" in persona["text/plain"]
    page = _tables(persona["text/html"])
    assert ["age", "30", "median 30"] in page.rows
    text = _output(outputs, "print(project.sql")["text"]
    assert text.startswith("-- segl ") and "-- dialect: snowflake" in text
    assert f"-- as_of: {AS_OF}" in text
