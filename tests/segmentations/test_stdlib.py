"""`import std.rfm`: the named RFM groups of segl's standard library."""

from datetime import date

from segl.compiler.api import compile_source
from segl.compiler.semantic.loading import STDLIB
from segl.compiler.source import SourceFile
from segl.compiler.syntax.formatter import format_source
from segl.runtime.api import evaluate

from tests.conftest import ROOT

# The grid of docs/language.md: the group of each (recency score, frequency score).
GRID = {
    "champions": lambda r, f: r == 5 and f >= 4,
    "loyal": lambda r, f: 3 <= r <= 4 and f >= 4,
    "cant_lose": lambda r, f: r <= 2 and f == 5,
    "at_risk": lambda r, f: r <= 2 and 3 <= f <= 4,
    "lost": lambda r, f: r == 1 and f == 1,
    "hibernating": lambda r, f: r <= 2 and f <= 2,
    "need_attention": lambda r, f: r == 3 and f == 3,
    "about_to_sleep": lambda r, f: r == 3 and f <= 2,
    "potential_loyalists": lambda r, f: r >= 4 and 2 <= f <= 3,
    "promising": lambda r, f: r == 4 and f == 1,
    "new": lambda r, f: r == 5 and f == 1,
}

USES_STD = f"""
import "{ROOT / "examples/shop/features.seg"}"
import std.rfm

feature rfm_recency = days_since_last_order
feature rfm_frequency = orders_total
feature rfm_monetary = spend_total
"""


def group_of(r, f) -> str:
    if r is None:
        return "others"
    return next(name for name, rule in GRID.items() if rule(r, f))


def test_every_customer_is_in_the_group_of_its_scores(tmp_path):
    seg = tmp_path / "std.seg"
    seg.write_text(USES_STD)
    evaluation = evaluate(seg, as_of=date(2026, 6, 30), segments=["rfm"])
    rows = evaluation.connection.execute(
        f"SELECT rfm, rfm__r, rfm__f FROM {evaluation.table}").fetchall()
    assert [row for row in rows if row[0] != group_of(row[1], row[2])] == []
    # every score combination occurs in the grid exactly once (the first match)
    for r in range(1, 6):
        for f in range(1, 6):
            assert sum(1 for rule in GRID.values() if rule(r, f)) >= 1
    assert {row[0] for row in rows} == {*GRID, "others"}


def test_library_warnings_are_not_shown_but_the_users_are():
    compilation = compile_source(SourceFile(str(ROOT / "x.seg"), USES_STD))
    assert compilation.ok
    assert compilation.diagnostics == []  # std.rfm's 12 buckets would otherwise be W202


def test_an_unknown_library_file_suggests_one():
    compilation = compile_source(SourceFile("x.seg", "import std.rmf\n"))
    (error,) = [d for d in compilation.errors if d.code == "E104"]
    assert error.message == "no standard library file `std.rmf`"
    assert error.hints == ("did you mean `std.rfm`?",)


def test_library_files_are_canonical():
    for path in STDLIB.glob("*.seg"):
        text = path.read_text()
        assert format_source(text, str(path)) == text
