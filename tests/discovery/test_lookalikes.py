"""Lookalikes: `top N% by similarity to SEED on (…) [among …]` ranks by nearness to the seed
segment's centroid in z-scores, fitted by `segl discover` into the lock file; `--holdout`
checks how well the rest of the seed finds a held-out part."""

from __future__ import annotations

import re

import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner
from segl.compiler.api import compile_file, format_source
from segl.runtime.api import evaluate
from segl.runtime.cli import main
from segl.runtime.discover import discover

from .helpers import AS_OF, CUSTOMER_SCHEMA, HEAD, ORDER_SCHEMA, expected, shop

LOOK = ("segment big_spenders = spend > 1500\n"
        "segment lookalikes = top 10% by similarity to big_spenders on (income, n_orders) "
        "among not big_spenders\n")
KEY = "similarity to big_spenders on (income, n_orders)"


@pytest.fixture
def look_seg(project):
    customers, orders = shop(400, seed=3)
    path = project(HEAD + LOOK, {"customers": customers, "orders": orders},
                   {"customers": CUSTOMER_SCHEMA, "orders": ORDER_SCHEMA})
    return path, customers, orders


def run_cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_without_a_fit_the_similarity_is_a_positioned_e112(look_seg):
    path = look_seg[0]
    (problem,) = compile_file(path).errors
    assert problem.code == "E114" and "similarity to `big_spenders` is not fitted" in \
        problem.message
    assert problem.span.text.startswith("similarity to big_spenders on (")


def test_discover_fits_the_seed_centroid_in_z_scores(look_seg):
    path, customers, orders = look_seg
    (lookalike,) = discover(str(path), AS_OF).lookalikes
    values = expected(customers, orders)
    rows = {key: (v["styles"][0], v["styles"][2], v["styles"][3]) for key, v in values.items()}
    complete = {k: r for k, r in rows.items() if r[0] is not None}
    x = np.array([[float(r[0]), float(r[1])] for r in complete.values()])
    seed = np.array([float(r[2]) > 1500 for r in complete.values()])
    z = (x - x.mean(axis=0)) / x.std(axis=0)
    assert lookalike.fit.centroid == pytest.approx(tuple(z[seed].mean(axis=0)), abs=1e-9)
    assert lookalike.members == int(seed.sum()) and lookalike.entities == len(complete)


def test_run_ranks_the_non_members_by_similarity(look_seg):
    path = look_seg[0]
    result = run_cli("discover", path, "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    text = path.with_name("test.clusters.toml").read_text()
    assert f'["{KEY}"]' in text and re.search(r"^centroid = \[.*\]$", text, re.MULTILINE)
    evaluation = evaluate(path, as_of=AS_OF)
    # the members read through DuckDB's relation API into Polars (no SQL text; nulls are in
    # neither filter, as in SQL's WHERE), once the evaluation's last execute() has run to its
    # end (DuckDB refuses a relation while a result is unfinished)
    evaluation.connection.complete()
    members = evaluation.connection.table(evaluation.table).pl()
    eligible = members.filter(~pl.col("big_spenders")).height
    customers = look_seg[1]
    with_income = sum(1 for c in customers if c["income"] is not None)
    assert evaluation.sizes["lookalikes"] > 0
    assert evaluation.sizes["lookalikes"] <= eligible // 10
    assert evaluation.sizes["lookalikes"] >= (eligible - (len(customers) - with_income)) // 10
    assert members["lookalikes"].sum() == evaluation.sizes["lookalikes"]
    assert members.filter(pl.col("big_spenders") & pl.col("lookalikes")).height == 0


def test_holdout_reports_how_many_held_out_members_rank_in_the_top(look_seg):
    path = look_seg[0]
    result = run_cli("discover", path, "--as-of", AS_OF, "--holdout", "25")
    assert result.exit_code == 0, result.output
    rows = re.findall(r"│\s+(\d+)%\s+│\s+(\d+)\s+│\s+([\d.]+)%\s+│\s+([\d.]+)x\s+│",
                      result.stdout)
    assert [r[0] for r in rows] == ["1", "5", "10", "20"]
    counts = [int(r[1]) for r in rows]
    assert counts == sorted(counts) and counts[-1] > 0
    again = run_cli("discover", path, "--as-of", AS_OF, "--holdout", "25")
    assert again.stdout == result.stdout
    (lookalike,) = discover(str(path), AS_OF, holdout=25).lookalikes
    assert [h.in_top for h in lookalike.holdout] == counts
    assert lookalike.holdout[-1].lift > 1, "the seed's rest finds its held-out part"


def test_a_changed_feature_list_needs_a_new_fit(look_seg):
    path = look_seg[0]
    run_cli("discover", path, "--as-of", AS_OF)
    path.write_text(path.read_text().replace("(income, n_orders)", "(income, spend)"))
    errors = compile_file(path).errors
    assert [d.code for d in errors] == ["E114"] and "holds no `similarity to big_spenders on " \
        "(income, spend)`" in errors[0].message


def test_an_unknown_seed_is_e101(project):
    path = project(HEAD + "segment l = top 10% by similarity to nobody on (n_orders)\n")
    errors = compile_file(path).errors
    assert [d.code for d in errors] == ["E101"] and "unknown segment `nobody`" in \
        errors[0].message


def test_fmt_keeps_the_similarity():
    text = HEAD + LOOK.replace("(income, n_orders)", "(income,n_orders)")
    formatted = format_source(text, "x.seg")
    assert "top 10% by similarity to big_spenders on (income, n_orders) among not " \
        "big_spenders" in formatted
    assert format_source(formatted, "x.seg") == formatted


def test_editors_see_the_seed_segment_and_the_features(look_seg):
    from segl.compiler.api import symbol_index

    path = look_seg[0]
    run_cli("discover", path, "--as-of", AS_OF)
    index = symbol_index(compile_file(path))
    uses = [o.key.name for found in index.occurrences.values() for o in found]
    assert uses.count("big_spenders") == 3  # its definition, the seed, `among not …`
    assert uses.count("income") >= 2


def test_kpis_show_no_share_of_a_similarity(look_seg):
    from segl.compiler.api import plan_for

    path = look_seg[0]
    run_cli("discover", path, "--as-of", AS_OF)
    model = compile_file(path).require_ok()
    plan = plan_for(model, None, [], shares=True)
    assert not [name for name in plan.shares if "similarity" in name or "n_orders" in name]
