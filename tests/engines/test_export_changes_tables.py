"""`mode changes` to a PostgreSQL, SQLite, Spark or ClickHouse table (docs/activation.md): at
each date the table holds who joined (with the traits) and who left (the key only) since the
last export, against a plain-Python diff of the members kept at each date; the state lives in
the warehouse beside the table; a failed write of the table or of the state changes neither,
and the re-run writes the same rows."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from segl.runtime import export_clickhouse, export_tables
from segl.runtime.errors import DataError
from segl.runtime.export_changes import STATE_TABLE
from segl.runtime.exports import run_exports
from sqlglot import exp

from .conftest import engine_params
from .test_export_tables import SEG, slot, warehouse  # noqa: F401 (a fixture)

CHANGES = SEG.replace('  to table "crm_SCHEMA', '  mode changes\n  to table "crm_SCHEMA')
D1, D2, D3 = "2026-05-31", "2026-06-30", "2026-07-31"


def data(seed: int) -> tuple[list[dict], list[dict]]:
    """The same 300 keys; city, consent and spend drawn again for each date."""
    rng = random.Random(seed)
    rows = [{"customer_id": i, "city": rng.choice(["Amsterdam", "Amsterdam", "Utrecht"]),
             "email": f"p{i}@example.nl", "opt_in": rng.choice([True, True, False, None]),
             "spend": Decimal(rng.randrange(0, 10_000)) / 100} for i in range(1, 301)]
    return rows, [{"customer_id": i} for i in range(seed, 301, 29)]


def kept(rows: list[dict], optout: list[dict]) -> dict[int, tuple]:
    """Key -> (city, spend, email) of the members written, computed in Python."""
    out = {o["customer_id"] for o in optout}
    return {r["customer_id"]: (r["city"], float(r["spend"]), r["email"]) for r in rows
            if r["city"] == "Amsterdam" and slot("global-2026", r["customer_id"]) >= 500
            and r["customer_id"] not in out and r["opt_in"] is True}


def diff(before: dict[int, tuple], now: dict[int, tuple]) -> list[tuple]:
    joined = [(k, "joined", *now[k]) for k in now if k not in before]
    left = [(k, "left", None, None, None) for k in before if k not in now]
    return sorted(joined + left)


def table(warehouse) -> list[tuple] | None:  # noqa: F811
    found = warehouse.raw("amsterdam")
    if found is None:
        return None
    return sorted((k, change, city, None if spend is None else float(spend), email)
                  for k, change, city, spend, email in found)


@pytest.mark.parametrize("engine", engine_params(["postgres", "sqlite", "spark", "clickhouse"]))
def test_changes_to_a_warehouse_table_against_a_python_diff(project, engine, warehouse,  # noqa: F811
                                                            monkeypatch):
    schema = warehouse.schema.removeprefix("crm_")
    states: dict[str, dict[int, tuple]] = {}

    def at(day: str, seed: int) -> str:
        rows, optout = data(seed)
        path = project(CHANGES.replace("SCHEMA", schema),
                       {"customers": rows, "optout": optout})
        states[day] = kept(rows, optout)
        return str(path)

    def export(path: str, day: str):
        (result,) = run_exports(path, None, day, engine=engine,
                                engine_options=warehouse.options)
        return result

    first = export(at(D1, 1), D1)  # no baseline: everyone kept joins
    assert (first.baseline.source, first.joined, first.left) == ("none", len(states[D1]), 0)
    assert table(warehouse) == diff({}, states[D1])
    assert warehouse.raw("amsterdam" + STATE_TABLE) is not None  # beside the table

    path = at(D2, 2)
    assert diff(states[D1], states[D2]) != diff({}, states[D2])
    # the table's write fails half-way: the table and the state stay as they were
    if engine == "clickhouse":  # ClickHouse's query fails after some rows
        real_rows = export_clickhouse.rows_from

        def broken(path):
            return real_rows(path).where(exp.EQ(this=exp.func(
                "throwIf", exp.GT(this=exp.column("customer_id"),
                                  expression=exp.Literal.number(150))),
                expression=exp.Literal.number(0)))

        monkeypatch.setattr(export_clickhouse, "rows_from", broken)
    elif engine == "spark":
        real = export_tables.sql.spark_sql

        def failing(session, statement):
            if statement.args.get("expression") is not None:
                raise OSError("disk full")
            return real(session, statement)

        monkeypatch.setattr(export_tables.sql, "spark_sql", failing)
    else:
        def failing(cursor):
            yield cursor.fetchmany(10)
            raise OSError("connection lost")

        monkeypatch.setattr(export_tables, "batches", failing)
    with pytest.raises(DataError if engine == "clickhouse" else OSError):
        export(path, D2)
    monkeypatch.undo()
    assert table(warehouse) == diff({}, states[D1])

    second = export(path, D2)  # compared with D1's state, which the failure left
    assert (second.baseline.source, str(second.baseline.as_of)) == ("state", D1)
    assert table(warehouse) == diff(states[D1], states[D2])
    if engine == "spark":  # (the rest is the same code on every warehouse; Spark is slow)
        return

    # the state's write fails after the table's: a re-run writes the same rows
    real_write = export_tables.write_table

    def state_fails(connection, parts, *args, **kwargs):
        if parts[-1].endswith(STATE_TABLE):
            raise OSError("state lost")
        return real_write(connection, parts, *args, **kwargs)

    monkeypatch.setattr(export_tables, "write_table", state_fails)
    with pytest.raises(OSError):
        export(path, D2)
    monkeypatch.undo()
    again = export(path, D2)
    assert (again.joined, again.left) == (second.joined, second.left)
    assert table(warehouse) == diff(states[D1], states[D2])

    third = export(at(D3, 3), D3)
    assert str(third.baseline.as_of) == D2
    assert table(warehouse) == diff(states[D2], states[D3])
