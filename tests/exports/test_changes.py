"""`mode changes` exports (docs/activation.md): who joined and who left since the last export,
against a plain-Python diff of the members kept at each date; from the state segl keeps
beside the target, or from the history table of `segl snapshot`; the same rows on a re-run."""

from __future__ import annotations

import random

import duckdb
import polars as pl
import pytest
from click.testing import CliRunner
from segl.compiler.api import SourceFile, compile_source
from segl.runtime.cli import main
from segl.runtime.exports import run_exports

from .test_exports import HEAD, slot

CHANGES = """
export news from amsterdam {
  traits (email, spend_total)
  require consent opt_in
  purpose "Monthly newsletter"
  mode changes
  to csv "out/news.csv"
}
export flags from amsterdam {
  traits (city)
  mode changes
  to table "crm.flags"
}
"""
D1, D2, D3 = "2026-05-31", "2026-06-30", "2026-07-31"


def customers(seed: int) -> list[dict]:
    """The same 600 keys; city, consent and spend drawn again for each date."""
    rng = random.Random(seed)
    return [{"customer_id": i, "city": rng.choice(["Amsterdam", "Amsterdam", "Utrecht"]),
             "email": f"p{i}@example.nl", "first_name": f"N{i}",
             "opt_in": rng.choice([True, True, False, None]), "spend": i * 0.5}
            for i in range(1, 601)]


OPTOUT = {"2026-05-31": {3, 40}, "2026-06-30": {3, 41, 77}, "2026-07-31": {77}}


def members(rows) -> set[int]:
    return {r["customer_id"] for r in rows if r["city"] == "Amsterdam"
            and slot("global-2026", r["customer_id"]) >= 500}


def kept(rows, optout, consent=True) -> set[int]:
    return {k for k in members(rows) if k not in optout and (
        not consent or next(r for r in rows if r["customer_id"] == k)["opt_in"] is True)}


@pytest.fixture
def shop(project):
    path = project(HEAD + CHANGES, {"customers": customers(1), "optout": [{"customer_id": 0}]})

    def at(day: str, seed: int) -> list[dict]:
        rows = customers(seed)
        data = path.parent / "data"
        pl.DataFrame(rows).write_parquet(data / "customers.parquet")
        pl.DataFrame({"customer_id": sorted(OPTOUT[day])},
                     schema={"customer_id": pl.Int64}).write_parquet(data / "optout.parquet")
        return rows

    return path, at


def export(path, day, *args):
    result = CliRunner().invoke(main, ["export", str(path), "--as-of", day, "--db",
                                       str(path.parent / "w.duckdb"), *args])
    assert result.exit_code == 0, result.output
    return result.output


def written(path) -> dict[int, dict]:
    frame = pl.read_csv(path.parent / "out" / "news.csv", schema_overrides={"email": pl.String})
    return {row["customer_id"]: row for row in frame.iter_rows(named=True)}


def table(path) -> dict[int, str]:
    with duckdb.connect(str(path.parent / "w.duckdb")) as connection:
        return dict(connection.execute("SELECT customer_id, change FROM crm.flags").fetchall())


def diff(before: set[int], now: set[int]) -> dict[int, str]:
    return {**{k: "joined" for k in now - before}, **{k: "left" for k in before - now}}


def test_changes_against_a_plain_python_diff_of_each_date(shop):
    path, at = shop
    first = at(D1, 1)
    export(path, D1)
    news = written(path)
    assert {k: r["change"] for k, r in news.items()} == diff(set(), kept(first, OPTOUT[D1]))
    second = at(D2, 2)
    output = export(path, D2)
    news = written(path)
    expected = diff(kept(first, OPTOUT[D1]), kept(second, OPTOUT[D2]))
    assert {k: r["change"] for k, r in news.items()} == expected
    assert "joined" in expected.values() and "left" in expected.values()
    emails = {r["customer_id"]: r["email"] for r in second}
    for key, row in news.items():  # traits for who joined; nothing but the key for who left
        if row["change"] == "joined":
            assert row["email"] == emails[key] and row["spend_total"] == key * 0.5
        else:
            assert row["email"] is None and row["spend_total"] is None
    assert list(news) == sorted(news)
    assert table(path) == diff(kept(first, OPTOUT[D1], consent=False),
                               kept(second, OPTOUT[D2], consent=False))
    assert f"state {D1}" in output


def test_re_running_a_date_gives_the_same_rows(shop):
    path, at = shop
    at(D1, 1)
    export(path, D1)
    at(D2, 2)
    export(path, D2)
    out = path.parent / "out" / "news.csv"
    second = out.read_bytes()
    flags = table(path)
    export(path, D2)
    assert out.read_bytes() == second and table(path) == flags
    # an earlier date again compares with what came before it (nothing: all joined) ...
    at(D1, 1)
    export(path, D1)
    assert set(written(path)) == kept(customers(1), OPTOUT[D1])
    # ... and leaves the later date's result as it was
    at(D2, 2)
    export(path, D2)
    assert out.read_bytes() == second


def test_the_history_of_segl_snapshot_is_the_baseline_when_present(shop):
    path, at = shop
    history = str(path.parent / "history.duckdb")
    first = at(D1, 1)
    result = CliRunner().invoke(main, ["snapshot", str(path), "--as-of", D1, "--into", history,
                                       "-s", "amsterdam"])
    assert result.exit_code == 0, result.output
    third = at(D3, 3)
    (news, _) = run_exports(str(path), None, D3, database=str(path.parent / "w.duckdb"),
                            history=history)
    assert news.baseline is not None and news.baseline.source == "history"
    assert str(news.baseline.as_of) == D1
    # the history holds membership, less the holdout: consent then is not known
    expected = diff(members(first), kept(third, OPTOUT[D3]))
    assert {k: r["change"] for k, r in written(path).items()} == expected
    assert (news.joined, news.left) == (list(expected.values()).count("joined"),
                                        list(expected.values()).count("left"))


def test_mode_is_checked_at_its_position():
    source = HEAD.replace('suppression from parquet "data/optout.parquet" key customer_id\n', "")
    bad = compile_source(SourceFile("/tmp/x/x.seg", source + 'export e from amsterdam {\n'
                                    '  traits (city)\n  mode sometimes\n  to csv "e.csv"\n}\n'))
    assert [(d.code, d.span.line) for d in bad.errors] == [("E113", source.count("\n") + 3)]
    assert "`mode sometimes` is not a mode" in bad.errors[0].message
    named = compile_source(SourceFile("/tmp/x/x.seg", source + "feature change = 1\n"
                                      'export e from amsterdam {\n  traits (change)\n'
                                      '  mode changes\n  to csv "e.csv"\n}\n'))
    assert [d.code for d in named.errors] == ["E113"]
    assert "writes the column `change`" in named.errors[0].message
