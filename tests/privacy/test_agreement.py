"""`segl lint` (L102) and the commands (E504) refuse the same objects, and both agree with
an independent reading of docs/privacy.md over generated projects: which personal columns
each segment reads (directly, through a feature, a lookup or another segment) and what its
`allow` covers."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from segl.compiler.analysis.lint import lint_model
from segl.compiler.api import compile_source
from segl.compiler.source import SourceFile
from segl.runtime.cli import main

SOURCES = """\
entity customer from parquet "{data}/customers.parquet" key customer_id {{
  customer_id int
  email text pii
  postcode text pii
  religion text sensitive
  city text
}}
lookup area from parquet "{data}/areas.parquet" key code for customer.postcode {{
  code text
  region text
}}
events orders from parquet "{data}/orders.parquet" key customer_id at ordered_at {{
  ordered_at timestamp
  amount float
}}
feature mail = lower(email)
"""

# (condition, the personal columns it reads), worked out by hand from the declarations above
ATOMS = [
    ('email ends with ".org"', {"email"}),
    ('mail ends with ".org"', {"email"}),  # through the feature
    ('postcode starts with "1"', {"postcode"}),
    ('area.region = "North"', {"area.region"}),  # a lookup joined through `postcode`
    ("religion is present", {"religion"}),
    ('city = "Utrecht"', set()),
    ("count(orders) > 0", set()),
]
ALLOWABLE = ["email", "postcode", "religion", "area.region"]


def covered(column: str, allow: set[str]) -> bool:
    """docs/privacy.md: allowed by name, or a lookup column through its allowed join column."""
    return column in allow or (column == "area.region" and "postcode" in allow)


@st.composite
def projects(draw):
    """Segments s0..sN: a few atoms, references to earlier segments, and a permit each."""
    segments = []
    for index in range(draw(st.integers(1, 5))):
        atoms = draw(st.lists(st.sampled_from(range(len(ATOMS))), min_size=1, max_size=2))
        refs = draw(st.lists(st.integers(0, index - 1), max_size=2)) if index else []
        op = draw(st.sampled_from(["and", "or"]))
        permit = draw(st.sampled_from(["none", "purpose", "allow"]))
        allow = draw(st.sets(st.sampled_from(ALLOWABLE), min_size=1)) \
            if permit == "allow" else set()
        segments.append((atoms, refs, op, permit, allow))
    return segments


def text_of(segments) -> str:
    out = []
    for index, (atoms, refs, op, permit, allow) in enumerate(segments):
        terms = [ATOMS[a][0] for a in atoms] + [f"s{r}" for r in refs]
        lines = [f"segment s{index} {{"]
        if permit != "none":
            lines.append('  purpose "Campaigns for the customers this segment selects"')
        if allow:
            lines.append(f"  allow ({', '.join(sorted(allow))})")
        lines.append(f"  where {f' {op} '.join(f'({t})' for t in terms)}")
        out.append("\n".join([*lines, "}"]))
    return "\n".join(out) + "\n"


def expected_refusals(segments) -> set[str]:
    """The independent reading: what each segment's members are derived from and its allow
    does not cover; a reference brings what the referenced segment does not cover."""
    uncovered: list[set[str]] = []
    for atoms, refs, _, permit, allow in segments:
        used = set().union(*(ATOMS[a][1] for a in atoms), *(uncovered[r] for r in refs))
        uncovered.append({c for c in used if permit != "allow" or not covered(c, allow)})
    return {f"s{i}" for i, columns in enumerate(uncovered) if columns}


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("agreement")
    pl.DataFrame([{"customer_id": 1, "email": "a@x.org", "postcode": "1000AA",
                   "religion": None, "city": "Utrecht"}]).write_parquet(
        folder / "customers.parquet")
    pl.DataFrame([{"code": "1000AA", "region": "North"}]).write_parquet(folder / "areas.parquet")
    pl.DataFrame([{"customer_id": 1, "ordered_at": datetime(2026, 1, 1), "amount": 1.0}]
                 ).write_parquet(folder / "orders.parquet")
    return folder


def lint_refusals(text: str) -> set[str]:
    compilation = compile_source(SourceFile("gen.seg", text))
    assert compilation.ok, [d.render() for d in compilation.errors]
    return {f.message.split("`")[1] for f in lint_model(compilation.model, compilation.files,
                                                        ["L102"])}


@settings(max_examples=200, deadline=None)
@given(projects())
def test_lint_refuses_what_the_rules_say(segments):
    text = SOURCES.format(data="/nowhere") + text_of(segments)
    assert lint_refusals(text) == expected_refusals(segments)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(projects())
def test_run_out_refuses_what_lint_finds(data, segments):
    text = SOURCES.format(data=data) + text_of(segments)
    path = data / "gen.seg"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["run", str(path), "--as-of", "2026-06-30", "--out",
                                       str(data / "out.csv")], catch_exceptions=False)
    refused = {block.split("`")[3] for block in result.stderr.split("error[E504]: ")[1:]}
    expected = expected_refusals(segments)
    assert refused == expected == lint_refusals(text)
    assert result.exit_code == (2 if expected else 0), result.output
