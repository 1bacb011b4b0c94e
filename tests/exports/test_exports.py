"""`segl export` (docs/activation.md): consent as a compile-time error at the export's
position; members without consent, in the holdout or in the suppression list never reach a
file or a table (checked against an independent computation over the data); atomic,
transactional and idempotent writes."""

from __future__ import annotations

import hashlib
import json

import duckdb
import polars as pl
import pytest
from click.testing import CliRunner
from segl.compiler.api import SourceFile, compile_source
from segl.runtime import exports as exports_module
from segl.runtime.cli import main

HEAD = """
entity customer from parquet "data/customers.parquet" key customer_id {
  customer_id int
  city text
  email text pii
  first_name text pii
  opt_in bool consent
  spend decimal
}
feature spend_total = spend
segment amsterdam = city = "Amsterdam"
holdout 5% salt "global-2026"
suppression from parquet "data/optout.parquet" key customer_id
"""
EXPORTS = """
export newsletter from amsterdam {
  traits (email, first_name, spend_total)
  require consent opt_in
  purpose "Monthly newsletter"
  via "email"
  to csv "out/newsletter.csv"
}
export lines from amsterdam {
  traits (email)
  require consent opt_in
  purpose "Monthly newsletter"
  to jsonl "out/lines.jsonl"
}
export files from amsterdam {
  traits (city, spend_total)
  require consent opt_in
  to parquet "out/files.parquet"
}
export crm from amsterdam {
  traits (city, spend_total)
  to table "crm.amsterdam"
}
"""
AS_OF = "2026-06-30"


def slot(salt: str, key: object) -> int:
    return int(hashlib.md5(f"{salt}:{key}".encode()).hexdigest()[:8], 16) % 10_000


def expected(rows, optout, consent: bool = True) -> list[int]:
    return sorted(r["customer_id"] for r in rows if r["city"] == "Amsterdam"
                  and slot("global-2026", r["customer_id"]) >= 500
                  and r["customer_id"] not in optout and (r["opt_in"] is True or not consent))


def run(path, *args):
    result = CliRunner().invoke(main, ["export", *args, str(path), "--as-of", AS_OF,
                                       "--db", str(path.parent / "warehouse.duckdb")])
    assert result.exit_code == 0, result.output
    return result.output


def test_only_consenting_members_outside_holdout_and_suppression_are_written(shop):
    path, rows, optout = shop
    output = run(path)
    out = path.parent / "out"
    consenting = expected(rows, optout)
    newsletter = pl.read_csv(out / "newsletter.csv")
    assert newsletter.columns == ["customer_id", "email", "first_name", "spend_total"]
    assert newsletter["customer_id"].to_list() == consenting
    lines = [json.loads(line) for line in (out / "lines.jsonl").read_text().splitlines()]
    assert [line["customer_id"] for line in lines] == consenting
    assert pl.read_parquet(out / "files.parquet")["customer_id"].to_list() == consenting
    refused = {r["email"] for r in rows if r["customer_id"] not in set(consenting)}
    text = (out / "newsletter.csv").read_text() + (out / "lines.jsonl").read_text()
    assert not [email for email in refused if email + "," in text or email + '"' in text]
    with duckdb.connect(str(path.parent / "warehouse.duckdb")) as connection:
        table = [r[0] for r in connection.execute(
            "SELECT customer_id FROM crm.amsterdam ORDER BY 1").fetchall()]
    assert table == expected(rows, optout, consent=False)
    assert "newsletter" in output and "crm.amsterdam" in output


def test_the_summary_counts_every_member_left_out(shop):
    path, rows, optout = shop
    results = {r.name: r for r in exports_module.run_exports(str(path), None, AS_OF)}
    members = [r for r in rows if r["city"] == "Amsterdam"]
    held = [r for r in members if slot("global-2026", r["customer_id"]) < 500]
    suppressed = [r for r in members if r not in held and r["customer_id"] in optout]
    consenting = expected(rows, optout)
    for name in ("newsletter", "lines", "files"):
        result = results[name]
        assert (result.members, result.holdout, result.suppressed, result.exported) == \
            (len(members), len(held), len(suppressed), len(consenting))
        assert result.no_consent == len(members) - len(held) - len(suppressed) - len(consenting)
    assert results["crm"].no_consent == 0


def test_re_running_gives_the_same_bytes(shop):
    path, _, _ = shop
    run(path)
    out = path.parent / "out"
    first = {name: (out / name).read_bytes() for name in
             ("newsletter.csv", "lines.jsonl", "files.parquet")}
    run(path)
    assert {name: (out / name).read_bytes() for name in first} == first
    run(path, "crm")
    with duckdb.connect(str(path.parent / "warehouse.duckdb")) as connection:
        assert connection.execute("SELECT count(*) FROM crm.amsterdam").fetchone()[0] > 0


def test_a_failed_write_keeps_the_previous_file(shop, monkeypatch):
    path, _, _ = shop
    run(path, "newsletter")
    target = path.parent / "out" / "newsletter.csv"
    before = target.read_bytes()

    def failing(*args, **kwargs):
        raise duckdb.IOException('could not write: {"errno": "28"}')

    monkeypatch.setattr(exports_module.sql, "copy_to", failing)
    result = CliRunner().invoke(main, ["export", "newsletter", str(path), "--as-of", AS_OF])
    assert result.exit_code == 2, result.output
    assert "unchanged" in result.output
    assert target.read_bytes() == before
    assert [p.name for p in target.parent.iterdir()] == ["newsletter.csv"]


def test_a_failed_table_write_rolls_back(shop, monkeypatch):
    path, _, _ = shop
    database = path.parent / "warehouse.duckdb"
    run(path, "crm")
    with duckdb.connect(str(database)) as connection:
        before = connection.execute("SELECT * FROM crm.amsterdam ORDER BY 1").fetchall()
        connection.execute("CREATE TABLE crm.other AS SELECT 1 AS x")
    calls = []
    real = exports_module.sql.execute

    def failing(connection, statement, *args, **kwargs):
        calls.append(type(statement).__name__)
        if type(statement).__name__ == "Create" and statement.kind == "TABLE" and \
                statement.this.name == "amsterdam":
            real(connection, statement, *args, **kwargs)  # replaced, then the commit fails
            raise duckdb.IOException("disk full")
        return real(connection, statement, *args, **kwargs)

    monkeypatch.setattr(exports_module.sql, "execute", failing)
    result = CliRunner().invoke(main, ["export", "crm", str(path), "--as-of", "2020-01-01",
                                       "--db", str(database)])
    assert result.exit_code != 0
    assert "Rollback" in calls
    monkeypatch.undo()
    with duckdb.connect(str(database)) as connection:
        assert connection.execute("SELECT * FROM crm.amsterdam ORDER BY 1").fetchall() == before


def _check(text: str):
    return compile_source(SourceFile("/tmp/x/x.seg", HEAD.replace(
        'suppression from parquet "data/optout.parquet" key customer_id\n', "") + text))


@pytest.mark.parametrize(("text", "code", "message"), [
    ('export e from amsterdam {\n  traits (email)\n  purpose "Mail"\n  to csv "e.csv"\n}',
     "E505", "carries personal data (`email`) but requires no consent"),
    ('export e from amsterdam {\n  traits (city)\n  via "email"\n  to csv "e.csv"\n}',
     "E505", 'goes to channel "email" but requires no consent'),
    ('export e from amsterdam {\n  traits (first_name)\n  require consent opt_in\n'
     '  to csv "e.csv"\n}', "E505", "without a purpose"),
    ('export e from amsterdam {\n  traits (city)\n  to csv "../e.csv"\n}', "E113",
     "inside its file's folder"),
    ('export e from amsterdam {\n  traits (city)\n  to csv "/etc/e.csv"\n}', "E113",
     "inside its file's folder"),
    ('export e from amsterdam {\n  traits (city)\n}', "E113", "has no target"),
    ('export e from amsterdam {\n  traits (city)\n  require consent city\n  to csv "e.csv"\n}',
     "E201", "consent is true or false"),
    ('export e from amsterdam {\n  traits (town)\n  to csv "e.csv"\n}', "E101",
     "neither a column"),
])
def test_misdeclared_exports_fail_at_their_position(text, code, message):
    compilation = _check(text)
    assert [d.code for d in compilation.errors] == [code]
    diagnostic = compilation.errors[0]
    assert message in diagnostic.message
    first_line = HEAD.count("\n")  # the export starts on the line after the head
    assert first_line <= diagnostic.span.line <= first_line + text.count("\n")
    if code == "E505":
        assert diagnostic.span.text == "e" and diagnostic.span.line == first_line
        assert diagnostic.span.column == 8


def test_an_export_without_consent_fails_segl_check(project):
    path = project(HEAD.replace('suppression from parquet "data/optout.parquet" key '
                                'customer_id\n', "") +
                   'export e from amsterdam {\n  traits (email)\n  purpose "Mail"\n'
                   '  to csv "e.csv"\n}\n')
    result = CliRunner().invoke(main, ["check", "--no-data", str(path)])
    assert result.exit_code == 1
    assert ":12:8: error[E505]" in result.output
