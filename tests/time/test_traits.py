"""`segl run --traits` (issue 11 item 1): feature values out, typed, on every output shape and
through the Python API; checked against the plain-Python oracle of the shop example, across
engines, and under the personal-data rules (docs/privacy.md)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from segl.compiler.api import SourceFile, compile_source, format_source
from segl.runtime.api import evaluate
from segl.runtime.cli import main

from ..end_to_end.test_examples_oracle import EXAMPLES, oracle, oracle_members

SHOP = EXAMPLES / "shop" / "shop.seg"
AS_OF = dt.date(2026, 6, 30)
TRAITS = ["orders_1y", "spend_total", "last_order", "days_since_last_order"]


@pytest.fixture(scope="module")
def shop_traits() -> pl.DataFrame:
    evaluation = evaluate(SHOP, AS_OF, ["loyal", "lifecycle"], traits=TRAITS)
    return evaluation.members("wide")


def test_trait_values_equal_the_oracle(shop_traits):
    found = oracle("shop/shop.seg", AS_OF)
    oracle_members("shop/shop.seg", AS_OF)  # computes every feature of every entity
    want = {c.customer_id: c for c in found.entities}
    assert shop_traits.height == len(want)
    differ = []
    for row in shop_traits.iter_rows(named=True):
        c = want[row["customer_id"]]
        for name in TRAITS:
            got, expected = row[name], getattr(c, name)
            if name == "spend_total":
                same = abs(float(got) - float(expected)) < 1e-6
            else:
                same = got == expected
            if not same:
                differ.append((row["customer_id"], name, got, expected))
    assert not differ, differ[:5]
    assert shop_traits["orders_1y"].sum() > 0  # (the data makes the comparison meaningful)


def test_traits_keep_their_types(shop_traits):
    schema = shop_traits.schema
    assert schema["orders_1y"].is_integer()
    assert schema["spend_total"].is_numeric()
    assert schema["last_order"] == pl.Datetime("us")
    assert schema["days_since_last_order"].is_integer()
    assert schema["loyal"] == pl.Boolean and schema["lifecycle"] == pl.String


def test_long_shape_carries_the_traits_on_every_row(shop_traits):
    long = evaluate(SHOP, AS_OF, ["loyal", "lifecycle"], traits=TRAITS).members("long")
    assert long.columns == ["customer_id", "segment", *TRAITS]
    joined = long.join(shop_traits.select("customer_id", *TRAITS), on="customer_id",
                       suffix="_wide")
    assert joined.height == long.height
    for name in TRAITS:
        assert joined[name].equals(joined[f"{name}_wide"], null_equal=True)
    loyal = set(shop_traits.filter(pl.col("loyal"))["customer_id"])
    assert set(long.filter(pl.col("segment") == "loyal")["customer_id"]) == loyal


def test_all_means_every_feature_in_declaration_order():
    evaluation = evaluate(SHOP, AS_OF, ["loyal"], traits=["all"])
    features = list(evaluation.compilation.model.features)
    assert evaluation.traits == features
    assert evaluation.members("wide").columns == ["customer_id", "loyal", *features]


def test_without_traits_the_output_is_unchanged():
    evaluation = evaluate(SHOP, AS_OF, ["loyal"])
    assert evaluation.traits == []
    assert evaluation.members("wide").columns == ["customer_id", "loyal"]


@pytest.mark.parametrize("engine", ["polars", "sqlite"])
def test_traits_agree_across_engines(engine, shop_traits):
    other = evaluate(SHOP, AS_OF, ["loyal", "lifecycle"], traits=TRAITS, engine=engine)
    frame = other.members("wide")
    assert frame.schema == shop_traits.schema
    assert frame.equals(shop_traits, null_equal=True)


def cli(*args: str, cwd: Path | None = None):
    runner = CliRunner()
    return runner.invoke(main, list(args), catch_exceptions=False)


def test_cli_writes_typed_traits_to_parquet(tmp_path, shop_traits):
    out = tmp_path / "members.parquet"
    result = cli("run", str(SHOP), "--as-of", str(AS_OF), "-s", "loyal", "-s", "lifecycle",
                 "--traits", "orders_1y,spend_total", "--traits", "last_order",
                 "--traits", "days_since_last_order", "--shape", "wide", "--out", str(out))
    assert result.exit_code == 0, result.output
    written = pl.read_parquet(out)
    assert written.columns == ["customer_id", "loyal", "lifecycle", *TRAITS]
    assert written["orders_1y"].dtype.is_integer()
    assert written["last_order"].dtype == pl.Datetime("us")
    assert written.select(TRAITS).equals(shop_traits.select(TRAITS), null_equal=True)


def test_cli_refuses_a_personal_feature_without_an_allow(tmp_path):
    out = tmp_path / "members.csv"
    out.write_text("previous\n")
    result = cli("run", str(SHOP), "-s", "loyal", "--traits", "orders_1y,age", "--out", str(out))
    assert result.exit_code == 2, result.output
    assert "error[E504]" in result.output
    assert "would output the values of feature `age`" in result.output
    assert "`birth_date` (pii)" in result.output
    assert "declare why and what in feature `age`" in result.output
    assert out.read_text() == "previous\n"


def test_cli_outputs_a_personal_feature_it_allows(tmp_path):
    data = EXAMPLES / "shop" / "data"
    seg = tmp_path / "ages.seg"
    seg.write_text(
        f'entity customer from parquet "{data}/customers.parquet" key customer_id {{\n'
        "  customer_id int\n  birth_date date pii\n}\n"
        'feature age = years_between(birth_date, as_of) purpose "Age-appropriate offers" '
        "allow (birth_date)\n"
        "feature born = birth_date\n"
        "segment everyone = customer_id > 0\n")
    out = tmp_path / "ages.csv"
    ok = cli("run", str(seg), "--as-of", str(AS_OF), "--traits", "age", "--shape", "wide",
             "--out", str(out))
    assert ok.exit_code == 0, ok.output
    assert pl.read_csv(out).columns == ["customer_id", "everyone", "age"]
    refused = cli("run", str(seg), "--as-of", str(AS_OF), "--traits", "all", "--format", "csv")
    assert refused.exit_code == 2
    assert "feature `born`" in refused.output and "feature `age`" not in refused.output


def test_cli_unknown_trait_says_what_it_meant():
    result = cli("run", str(SHOP), "-s", "loyal", "--traits", "orders1y", "--format", "csv")
    assert result.exit_code != 0
    assert "unknown feature `orders1y`" in result.output
    assert "orders_1y" in result.output


def test_feature_purpose_and_allow_parse_and_format():
    text = ('entity c from parquet "c.parquet" key id {\n  id int\n  born date pii\n}\n\n'
            'feature age = years_between(born, as_of)\n  purpose "Age-appropriate offers"\n'
            "  allow (born)\n")
    compilation = compile_source(SourceFile("t.seg", text))
    assert compilation.ok, [d.message for d in compilation.diagnostics]
    feature = compilation.model.features["age"]
    assert feature.purpose == "Age-appropriate offers"
    assert [(a.table, a.column) for a in feature.allow] == [("c", "born")]
    assert format_source(text) == text
    without = text.replace('  purpose "Age-appropriate offers"\n', "")
    bad = compile_source(SourceFile("t.seg", without))
    assert any(d.code.name == "E502" for d in bad.diagnostics)
