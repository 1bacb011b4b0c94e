"""`segl snapshot` (issue 11 item 3): the history table's intervals equal the rule of
docs/time.md applied in plain Python to the memberships at each date; re-running gives the
same bytes; late data repairs the intervals; a failure mid-write leaves the table as it was;
repeated `--as-of` on a one-date command is refused."""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from segl.runtime import history_store
from segl.runtime.cli import main
from segl.runtime.snapshot import snapshot

from .small_shop import MONTH_ENDS, ORDERS, intervals, memberships, write_project


def cli(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def table_rows(path, table="segl_history") -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(
            f'SELECT entity, object, "group", valid_from, valid_to FROM {table} '
            "ORDER BY object, entity, valid_from").fetchall()


def table_bytes(path, tmp_path, name="dump.csv") -> bytes:
    """The table exactly as stored (its own row order), written out as CSV."""
    out = tmp_path / name
    with duckdb.connect(str(path), read_only=True) as connection:
        connection.execute(f"COPY (SELECT * FROM segl_history) TO '{out}' (HEADER)")
        connection.execute(f"COPY (SELECT * FROM segl_history_dates) TO '{out}.d' (HEADER)")
    return out.read_bytes() + (tmp_path / f"{name}.d").read_bytes()


def test_intervals_follow_the_rule(tmp_path):
    seg = write_project(tmp_path)
    history = tmp_path / "history.duckdb"
    result = snapshot(seg, MONTH_ENDS, str(history))
    want = intervals({day: memberships(day) for day in MONTH_ENDS})
    assert table_rows(history) == want
    assert result.rows == len(want)
    # (the data moves people between groups, so the rule is exercised)
    assert any(row[4] is not None for row in want) and any(row[4] is None for row in want)
    with duckdb.connect(str(history), read_only=True) as connection:
        dates = connection.execute("SELECT object, as_of FROM segl_history_dates "
                                   "ORDER BY 1, 2").fetchall()
    assert dates == sorted((o, d) for o in ("active", "level") for d in MONTH_ENDS)


def test_dates_recorded_in_any_order_give_the_same_table(tmp_path):
    seg = write_project(tmp_path)
    all_at_once, piecewise = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    snapshot(seg, MONTH_ENDS, str(all_at_once))
    snapshot(seg, MONTH_ENDS[::2], str(piecewise))
    assert table_rows(piecewise) == intervals(
        {day: memberships(day) for day in MONTH_ENDS[::2]})
    snapshot(seg, MONTH_ENDS[1::2], str(piecewise))  # dates between: intervals split
    assert table_bytes(piecewise, tmp_path, "b.csv") == table_bytes(all_at_once, tmp_path)


def test_rerunning_gives_a_byte_identical_table(tmp_path):
    seg = write_project(tmp_path)
    history = tmp_path / "history.duckdb"
    snapshot(seg, MONTH_ENDS, str(history))
    first = table_bytes(history, tmp_path, "1.csv")
    snapshot(seg, MONTH_ENDS, str(history))
    assert table_bytes(history, tmp_path, "2.csv") == first
    snapshot(seg, MONTH_ENDS[2:4], str(history))
    assert table_bytes(history, tmp_path, "3.csv") == first


def test_late_data_repairs_the_intervals(tmp_path):
    seg = write_project(tmp_path)
    history = tmp_path / "history.duckdb"
    snapshot(seg, MONTH_ENDS, str(history))
    late = [*ORDERS, (6, dt.date(2026, 3, 20)), (4, dt.date(2026, 3, 25))]
    write_project(tmp_path, late)  # orders that arrived after March was recorded
    snapshot(seg, [MONTH_ENDS[2]], str(history))  # recompute March only
    points = {day: memberships(day) for day in MONTH_ENDS}
    points[MONTH_ENDS[2]] = memberships(MONTH_ENDS[2], late)
    assert table_rows(history) == intervals(points)
    assert table_rows(history) != intervals({day: memberships(day) for day in MONTH_ENDS})
    snapshot(seg, MONTH_ENDS, str(history))  # everything again: as if recorded fresh
    fresh = tmp_path / "fresh.duckdb"
    snapshot(seg, MONTH_ENDS, str(fresh))
    assert table_bytes(history, tmp_path, "h.csv") == table_bytes(fresh, tmp_path, "f.csv")


def test_an_entity_that_disappears_closes_its_intervals(tmp_path):
    seg = write_project(tmp_path)
    history = tmp_path / "history.duckdb"
    snapshot(seg, MONTH_ENDS[:3], str(history))
    write_project(tmp_path, [o for o in ORDERS if o[0] != 3], customers=[1, 2, 4, 5, 6])
    snapshot(seg, MONTH_ENDS[3:], str(history))
    rows = [r for r in table_rows(history) if r[0] == 3]
    assert rows and all(r[4] is not None and r[4] <= MONTH_ENDS[3] for r in rows)


@pytest.mark.parametrize("existing", [True, False])
def test_a_failure_mid_write_leaves_the_table_as_it_was(tmp_path, monkeypatch, existing):
    seg = write_project(tmp_path)
    history = tmp_path / "history.duckdb"
    if existing:
        snapshot(seg, MONTH_ENDS[:3], str(history))
        before = table_bytes(history, tmp_path, "before.csv")

    def crash(connection, table):  # after the old rows were deleted, before the new ones
        rows = connection.execute(f"SELECT count(*) FROM {history_store.TARGET}.{table}")
        assert rows.fetchone()[0] == 0
        raise RuntimeError("disk unplugged")

    monkeypatch.setattr(history_store, "_insert_intervals", crash)
    with pytest.raises(RuntimeError, match="disk unplugged"):
        snapshot(seg, MONTH_ENDS, str(history))
    if existing:
        assert table_bytes(history, tmp_path, "after.csv") == before
    else:
        with duckdb.connect(str(history), read_only=True) as connection:
            assert connection.execute("SELECT count(*) FROM information_schema.tables"
                                      ).fetchone()[0] == 0


def test_cli_records_a_range_of_month_ends(tmp_path):
    seg = write_project(tmp_path)
    history = tmp_path / "h.duckdb"
    result = cli("snapshot", str(seg), "--as-of", "2026-01-31..2026-06-30", "--every", "month",
                 "--into", str(history), "--table", "my history")
    assert result.exit_code == 0, result.output
    assert table_rows(history, '"my history"') == intervals(
        {day: memberships(day) for day in MONTH_ENDS})
    assert "6 dates" in result.output


def test_cli_dates_are_checked(tmp_path):
    seg = write_project(tmp_path)
    for args in (["--as-of", "2026-06-30..2026-01-31"], ["--as-of", "2026-13-01"],
                 ["--as-of", "2026-01-31", "--every", "week"]):
        result = cli("snapshot", str(seg), *args, "--into", str(tmp_path / "h.duckdb"))
        assert result.exit_code == 2, (args, result.output)


def test_repeated_as_of_is_refused_by_one_date_commands(tmp_path):
    seg = write_project(tmp_path)
    result = cli("overlap", str(seg), "--as-of", "2026-01-31", "--as-of", "2026-02-28")
    assert result.exit_code == 2
    assert "given 2 times" in result.output and "segl snapshot" in result.output


def test_run_takes_many_dates(tmp_path):
    """`segl run` evaluates a repeated --as-of, a list or a range in one pass."""
    seg = write_project(tmp_path)
    for args in (["--as-of", "2026-01-31", "--as-of", "2026-02-28"],
                 ["--as-of", "2026-01-31,2026-02-28"],
                 ["--as-of", "2026-01-31..2026-02-28", "--every", "month"]):
        out = tmp_path / "m.csv"
        result = cli("run", str(seg), *args, "--out", str(out), "--shape", "wide")
        assert result.exit_code == 0, (args, result.output)
        frame = pl.read_csv(out, try_parse_dates=True)
        assert frame.columns[:2] == ["as_of", "customer_id"]
        assert frame["as_of"].unique().sort().to_list() == [dt.date(2026, 1, 31),
                                                            dt.date(2026, 2, 28)]
        for day in (dt.date(2026, 1, 31), dt.date(2026, 2, 28)):
            truth = memberships(day)
            active = frame.filter(pl.col("as_of") == day).filter(pl.col("active"))
            assert sorted(active["customer_id"]) == sorted(
                e for (e, o), g in truth.items() if o == "active" and g == "member")


def test_snapshot_refuses_personal_members_without_an_allow(tmp_path):
    seg = write_project(tmp_path)
    seg.write_text(seg.read_text().replace("  city text\n", "  city text pii\n")
                   + 'segment in_x = city = "x"\n')
    history = tmp_path / "h.duckdb"
    result = cli("snapshot", str(seg), "--as-of", "2026-01-31", "--into", str(history))
    assert result.exit_code == 2
    assert "error[E504]" in result.output and "`segl snapshot`" in result.output
    assert not history.exists()


def test_bad_history_files_are_named_not_crashed_on(tmp_path):
    seg = write_project(tmp_path)
    garbage = tmp_path / "garbage.duckdb"
    garbage.write_text("not a database")
    other = tmp_path / "other.duckdb"
    with duckdb.connect(str(other)) as connection:
        connection.execute("CREATE TABLE segl_history (a INT)")
        connection.execute("CREATE TABLE segl_history_dates (b INT)")
    folder = tmp_path / "folder"
    folder.mkdir()
    cases = [
        ("snapshot", "--as-of", "2026-01-31", "--into", str(garbage)),
        ("snapshot", "--as-of", "2026-01-31", "--into", str(folder)),
        ("snapshot", "--as-of", "2026-01-31", "--into", str(other)),
        ("history", "--history", str(garbage)),
        ("history", "--history", str(other)),
        ("history", "--history", str(tmp_path / "missing.duckdb")),
        ("transitions", "level", "--from", "2026-01-31", "--history", str(other)),
    ]
    for command, *args in cases:
        result = cli(command, str(seg), *args)
        assert result.exit_code == 2, (command, args, result.output)
        assert result.output.startswith("error: "), result.output
    assert garbage.read_text() == "not a database"
    with duckdb.connect(str(other), read_only=True) as connection:
        assert connection.execute("SELECT count(*) FROM segl_history").fetchone()[0] == 0


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(orders=st.lists(st.tuples(st.integers(1, 6), st.sampled_from(
           [dt.date(2026, m, d) for m in range(1, 7) for d in (1, 15, 28)])), max_size=14),
       late=st.lists(st.tuples(st.integers(1, 6), st.sampled_from(
           [dt.date(2026, m, 10) for m in range(1, 7)])), min_size=1, max_size=4),
       runs=st.permutations(range(6)), cut=st.integers(1, 5), again=st.integers(0, 5))
def test_any_order_of_runs_and_late_data_follow_the_rule(tmp_path_factory, orders, late, runs,
                                                         cut, again):
    folder = tmp_path_factory.mktemp("random")
    seg = write_project(folder, orders)
    history = folder / "history.duckdb"
    first, second = [MONTH_ENDS[i] for i in runs[:cut]], [MONTH_ENDS[i] for i in runs[cut:]]
    snapshot(seg, first, str(history))
    snapshot(seg, second, str(history))
    assert table_rows(history) == intervals({day: memberships(day, orders) for day in MONTH_ENDS})
    write_project(folder, orders + late)
    snapshot(seg, [MONTH_ENDS[again]], str(history))
    points = {day: memberships(day, orders) for day in MONTH_ENDS}
    points[MONTH_ENDS[again]] = memberships(MONTH_ENDS[again], orders + late)
    assert table_rows(history) == intervals(points)
