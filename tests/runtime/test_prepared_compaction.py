"""The compacted layer of the daily rollup (runtime/rollup_compaction.py, compiler/backends/
plan/compaction.py): a run at an as_of whose every bound is on or after the cut reads one
folded row per entity and the daily rows after it, any other reads every day, and both
select the same members with the same feature values as a run over the events; a refresh
recomputes the compaction, giving what a rebuild gives."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from segl.compiler.api import AsOf, plan_for, rollup_units
from segl.runtime import prepared, prepared_rollup, rollup_compaction
from segl.runtime.api import load

from .test_prepared_rollup import FEATURES, append, both, prepare, write_project

START = dt.date(2024, 1, 1)
MARGIN = 30  # days, instead of a year: the data span two years
# how far back the longest window of each rollup reaches from as_of ("in last 90 days" is
# day >= as_of - 89): spend_90 of orders, red_items of line items (60 days)
ORDERS, ITEMS = ("orders",), ("items", "orders")
REACH = {ORDERS: 89, ITEMS: 59}


def long_data(days: int = 700) -> tuple[list[list[tuple]], list[list[tuple]]]:
    """Two batches of orders and line items over `days` days (the second the last 60)."""
    orders, items = [[], []], [[], []]
    oid = 0
    for cid in range(1, 8):
        for step in range(cid * 12):
            oid += 1
            day = START + dt.timedelta(days=(cid * 11 + step * 29) % days)
            batch = 0 if day < START + dt.timedelta(days=days - 60) else 1
            orders[batch].append((oid, cid, day, round(10.5 + (oid * 37) % 90, 2)))
            for line in range(oid % 3):
                ship = day + dt.timedelta(days=line * 3)
                items[batch].append((oid, 1 + (oid + line) % 3, 1 + line, ship))
    return orders, items


def listed(entry: Path) -> dict[tuple[str, ...], dict]:
    """Every rollup of the layout, by the tables it reads (the test model has two: of
    orders, and of line items through their orders)."""
    data = json.loads((prepared.folder_for(entry) / "rollups.json").read_text())
    return {tuple(item["tables"]): item for item in data["rollups"].values()}


def compactions(entry: Path) -> dict[tuple[str, ...], dict]:
    return {tables: item["compaction"] for tables, item in listed(entry).items()}


def small_layers(patch: pytest.MonkeyPatch) -> None:
    """A cut a month before the longest window; every rollup read (the sparse test data
    has about one order per customer and day, too few to pass USEFUL_SHARE)."""
    patch.setattr(rollup_compaction, "MARGIN_DAYS", MARGIN)
    patch.setattr(prepared_rollup, "USEFUL_SHARE", 10.0)


def last_days(orders: list[list[tuple]], items: list[list[tuple]]
              ) -> dict[tuple[str, ...], dt.date]:
    """Each rollup's last day: of an order; of a line item or its order, the later."""
    by_order = {row[0]: row[2] for batch in orders for row in batch}
    return {ORDERS: max(by_order.values()),
            ITEMS: max(max(row[3], by_order[row[0]]) for batch in items for row in batch)}


def cuts_by_rule(lasts: dict[tuple[str, ...], dt.date]) -> dict[tuple[str, ...], dt.date]:
    return {tables: last - dt.timedelta(days=REACH[tables] + MARGIN)
            for tables, last in lasts.items()}


@pytest.fixture(scope="module")
def compacted(tmp_path_factory) -> tuple[Path, dict[tuple[str, ...], dt.date]]:
    patch = pytest.MonkeyPatch()
    small_layers(patch)
    orders, items = long_data()
    entry = write_project(tmp_path_factory.mktemp("compaction") / "p", orders, items)
    prepare(entry)
    patch.undo()
    return entry, last_days(orders, items)


def test_the_cut_is_the_last_day_minus_the_longest_window_minus_the_margin(compacted):
    entry, lasts = compacted
    found = compactions(entry)
    assert {tables: item["cut"] for tables, item in found.items()} == {
        tables: cut.isoformat() for tables, cut in cuts_by_rule(lasts).items()}
    assert all(item["folded"] > 0 and len(item["parts"]) == 2 for item in found.values())


@pytest.mark.parametrize("before", [-30, 0, 10, 29, 30, 31, 33, 34, 45, 200, 650])
def test_members_and_values_are_the_same_on_both_sides_of_the_cut(compacted, before):
    entry, lasts = compacted
    as_of = max(lasts.values()) - dt.timedelta(days=before)
    (with_sql, with_rows), (_, without_rows) = both(entry, as_of)
    assert "rollup-orders" in with_sql and "rollup-items" in with_sql
    found = listed(entry)
    read = 0
    for tables, cut in cuts_by_rule(lasts).items():
        # the compacted layer exactly when the longest window starts on or after the cut
        compact, recent = found[tables]["compaction"]["parts"]
        daily = all(part in with_sql for part in found[tables]["parts"])
        if compact in with_sql or recent in with_sql or daily:
            read += 1
            uses = as_of - dt.timedelta(days=REACH[tables]) >= cut
            assert (compact in with_sql, recent in with_sql, daily) == (uses, uses, not uses)
    assert read == 2
    assert with_rows == without_rows


def test_a_longer_window_reaching_before_the_cut_reads_every_day(compacted):
    entry, lasts = compacted
    tables = ITEMS
    last = lasts[tables]

    def reach(entry: Path) -> dt.timedelta:
        model = load(str(entry))[0].require_ok()
        plan = plan_for(model, None, [], traits=["red_items", "qty_14"])
        [unit] = [u for u in rollup_units(plan, AsOf("param")) if u.tables == tables]
        return last - unit.earliest(last)

    assert reach(entry) == dt.timedelta(days=59)
    # the same partials (a window is not part of one), 400 days instead of 60: the rollup
    # made for the 60 days serves it, but from its daily rows, at every as_of
    other = entry.with_name("longer.seg")
    other.write_text(entry.read_text().replace("in last 60 days", "in last 400 days"))
    try:
        assert reach(other) == dt.timedelta(days=399)
        item = listed(entry)[tables]
        for as_of in (last, last + dt.timedelta(days=30)):
            (with_sql, with_rows), (_, without_rows) = both(other, as_of)
            assert with_rows == without_rows
            assert all(part in with_sql for part in item["parts"])
            assert not any(part in with_sql for part in item["compaction"]["parts"])
    finally:
        other.unlink()


def test_a_refresh_recomputes_the_compaction_as_a_rebuild_gives_it(tmp_path, monkeypatch):
    small_layers(monkeypatch)
    orders, items = long_data()
    entry = write_project(tmp_path / "p", orders[:1], items[:1])
    prepare(entry)
    first = compactions(entry)
    append(tmp_path / "p", "orders", 1, orders[1])
    append(tmp_path / "p", "items", 1, items[1])
    assert {r.how for r in prepare(entry)} == {"refreshed"}
    refreshed = compactions(entry)
    # the last day moved on
    assert all(refreshed[tables]["cut"] > first[tables]["cut"] for tables in first)
    cuts = cuts_by_rule(last_days(orders, items))
    assert {tables: item["cut"] for tables, item in refreshed.items()} == {
        tables: cut.isoformat() for tables, cut in cuts.items()}
    last = max(last_days(orders, items).values())
    dates = [last, last - dt.timedelta(days=20), last - dt.timedelta(days=300)]
    after_refresh = [both(entry, day) for day in dates]
    assert {r.how for r in prepare(entry, rebuild=True)} == {"wrote"}
    rebuilt = compactions(entry)
    assert {t: (r["cut"], r["folded"]) for t, r in rebuilt.items()} == {
        t: (r["cut"], r["folded"]) for t, r in refreshed.items()}
    for day, ((with_sql, with_rows), (_, without_rows)) in zip(dates, after_refresh,
                                                               strict=True):
        assert with_rows == without_rows
        assert ("compact" in with_sql) == (day > last - dt.timedelta(days=300))
        assert both(entry, day)[0][1] == with_rows


def test_a_rollup_too_big_by_itself_is_read_only_compacted(tmp_path, monkeypatch):
    # about one order per customer and day: a rollup of orders alone (no line-item
    # measures here) holds as many rows as the events (not read, USEFUL_SHARE), its
    # compacted layer a fraction (read)
    monkeypatch.setattr(rollup_compaction, "MARGIN_DAYS", MARGIN)
    orders, items = long_data()
    entry = write_project(tmp_path / "p", orders, items)
    entry.write_text("".join(line for line in entry.read_text().splitlines(keepends=True)
                             if "red_items" not in line and "qty_14" not in line))
    assert {(r.how, r.read) for r in prepare(entry, share=None)} == {("wrote", "compacted")}
    from click.testing import CliRunner
    from segl.runtime.cli import main

    output = CliRunner().invoke(main, ["prepare", str(entry)]).output
    assert "rollup of orders: kept, 1 part; its daily rows over half the table's: runs " \
           "read its compacted layer" in output
    assert all(item["useful"] is False and item["compaction"]["useful"]
               for item in listed(entry).values())
    last = max(last_days(orders, items).values())
    for before, read in ((0, True), (200, False)):
        (with_sql, with_rows), (_, without_rows) = both(
            entry, last - dt.timedelta(days=before),
            [f for f in FEATURES if f not in ("red_items", "qty_14")])
        assert with_rows == without_rows
        assert ("rollup-orders" in with_sql) == read
        assert ("compact" in with_sql) == read
