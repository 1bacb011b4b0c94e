"""`segl history` and `segl transitions` (issue 11 item 4): 12 month-ends of the shop against
plain Python over the same files; reading a recorded history gives what evaluating gives;
transitions add up to both dates' bucket sizes; the output formats agree."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json

import pytest
from click.testing import CliRunner
from segl.runtime.changes import NO_LONGER, NOT_YET
from segl.runtime.cli import main
from segl.runtime.snapshot import snapshot

from .shop_history import groups_at, history_rows
from .small_shop import MONTH_ENDS, ORDERS, memberships, write_project
from .test_traits import SHOP

MONTH_ENDS_12 = [dt.date(2025, 7, 31), dt.date(2025, 8, 31), dt.date(2025, 9, 30),
                 dt.date(2025, 10, 31), dt.date(2025, 11, 30), dt.date(2025, 12, 31),
                 dt.date(2026, 1, 31), dt.date(2026, 2, 28), dt.date(2026, 3, 31),
                 dt.date(2026, 4, 30), dt.date(2026, 5, 31), dt.date(2026, 6, 30)]
LIFECYCLE = ["new", "loyal", "at_risk", "lapsed", "one_off", "prospect"]
GROUPS = {"loyal": ["member"], "lapsed": ["member"], "one_time_buyers": ["member"],
          "lifecycle": LIFECYCLE}


def cli(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def as_rows(document: dict) -> list[tuple]:
    return [(r["object"], r["group"], dt.date.fromisoformat(r["as_of"]), r["size"],
             r["entered"], r["left"]) for r in document["rows"]]


@pytest.fixture(scope="module")
def shop_history() -> dict:
    args = ["history", str(SHOP), *(a for s in GROUPS for a in ("-s", s)),
            "--from", "2025-07-31", "--to", "2026-06-30", "--every", "month",
            "--format", "json", "--keys"]
    result = cli(*args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_history_of_12_month_ends_equals_plain_python(shop_history):
    assert [dt.date.fromisoformat(d) for d in shop_history["dates"]] == MONTH_ENDS_12
    assert as_rows(shop_history) == history_rows(MONTH_ENDS_12, GROUPS)
    sizes = [r[3] for r in as_rows(shop_history) if r[0] == "loyal"]
    assert len(set(sizes)) > 1  # (membership does change over the year)


def test_history_keys_are_who_entered_and_left(shop_history):
    keys = shop_history["keys"]
    for before, day in itertools.pairwise(MONTH_ENDS_12):
        was, now = set(groups_at(before)["loyal"]), set(groups_at(day)["loyal"])
        got: dict[str, set] = {}
        for k in keys:
            if k["object"] == "loyal" and k["as_of"] == day.isoformat():
                got.setdefault(k["change"], set()).add(k["entity"])
        assert got.get("entered", set()) == now - was
        assert got.get("left", set()) == was - now


def test_history_read_from_a_snapshot_equals_evaluating(tmp_path):
    seg = write_project(tmp_path)
    history = tmp_path / "h.duckdb"
    snapshot(seg, MONTH_ENDS, str(history))
    evaluated = cli("history", str(seg), "--from", "2026-01-31", "--to", "2026-06-30",
                    "--format", "json", "--keys")
    recorded = cli("history", str(seg), "--history", str(history), "--format", "json",
                   "--keys")
    assert evaluated.exit_code == 0 and recorded.exit_code == 0, recorded.output
    assert json.loads(recorded.stdout) == json.loads(evaluated.stdout)
    window = cli("history", str(seg), "--history", str(history), "--from", "2026-03-01",
                 "--to", "2026-05-31", "--format", "json")
    assert json.loads(window.stdout)["dates"] == ["2026-03-31", "2026-04-30", "2026-05-31"]


def test_history_formats_agree(tmp_path):
    seg = write_project(tmp_path)
    base = ["history", str(seg), "--from", "2026-01-31", "--to", "2026-06-30"]
    document = json.loads(cli(*base, "--format", "json").stdout)
    out = tmp_path / "h.csv"
    assert cli(*base, "--format", "csv", "--out", str(out)).exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [(r["object"], r["group"], r["as_of"], int(r["size"])) for r in rows] == [
        (r["object"], r["group"], r["as_of"], r["size"]) for r in document["rows"]]
    by_extension = tmp_path / "h.json"
    assert cli(*base, "--out", str(by_extension)).exit_code == 0
    assert json.loads(by_extension.read_text()) == document
    assert cli(*base, "--out", str(tmp_path / "h.dat")).exit_code == 2  # which format?
    text = tmp_path / "h.txt"  # the table, as plain text
    assert cli(*base, "--out", str(text)).exit_code == 0
    assert "active" in text.read_text() and "\x1b" not in text.read_text()
    markdown = cli(*base, "--format", "markdown").stdout.splitlines()
    assert markdown[0] == "**size per date; entered and left since the date before**"
    table = [line for line in markdown if line.startswith("|")]
    assert table[0] == "| object | group | as_of | size | entered | left |"
    assert table[1] == "|---|---|---|---:|---:|---:|"
    assert len(table) == len(document["rows"]) + 2
    sizes = {(r["object"], r["group"], r["as_of"]): r["size"] for r in document["rows"]}
    for line in table[2:]:
        obj, group, as_of, size = (c.strip() for c in line.strip("|").split("|")[:4])
        assert int(size.replace(",", "")) == sizes[(obj, group, as_of)]
    assert "active" in cli(*base).stdout
    piped = cli(*base, "--out", "-")  # a pipe: CSV
    assert piped.stdout.splitlines()[0] == "object,group,as_of,size,entered,left"


def transitions_json(*args: str) -> dict:
    result = cli("transitions", *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_transitions_add_up_to_both_dates_bucket_sizes():
    first, last = dt.date(2026, 3, 31), dt.date(2026, 6, 30)
    found = transitions_json(str(SHOP), "lifecycle", "--from", str(first), "--to", str(last))
    before, after = groups_at(first)["lifecycle"], groups_at(last)["lifecycle"]
    for bucket in LIFECYCLE:
        assert found["from_sizes"][bucket] == sum(1 for g in before.values() if g == bucket)
        assert found["to_sizes"][bucket] == sum(1 for g in after.values() if g == bucket)
    for row in found["rows"]:
        if row["from_group"] in LIFECYCLE and row["to_group"] in LIFECYCLE:
            want = sum(1 for e, g in before.items()
                       if g == row["from_group"] and after.get(e) == row["to_group"])
            assert row["entities"] == want, row
            total = found["from_sizes"][row["from_group"]]
            assert row["row_share"] == pytest.approx(want / total)
    assert found["from_sizes"][NOT_YET] == 0 and found["to_sizes"][NO_LONGER] == 0


def test_transitions_formats_agree(tmp_path):
    seg = write_project(tmp_path)
    base = ["transitions", str(seg), "level", "--from", "2026-01-31", "--to", "2026-06-30"]
    document = json.loads(cli(*base, "--format", "json").stdout)
    assert document["format"] == "segl-transitions/1" and "matrix" not in document
    out = tmp_path / "t.csv"
    assert cli(*base, "--out", str(out)).exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [(r["from_group"], r["to_group"], int(r["entities"])) for r in rows] == [
        (r["from_group"], r["to_group"], r["entities"]) for r in document["rows"]]
    for row, want in zip(rows, document["rows"], strict=True):
        assert (row["row_share"] == "" if want["row_share"] is None
                else float(row["row_share"]) == pytest.approx(want["row_share"]))
    markdown = cli(*base, "--format", "markdown").stdout.splitlines()
    assert markdown[0].startswith("**level: from 2026-01-31 (rows) to 2026-06-30")
    table = [line for line in markdown if line.startswith("|")]
    targets = list(document["to_sizes"])
    assert table[0] == "| 2026-01-31 \\\\ 2026-06-30 | " + " | ".join(targets) + " | total |"
    total = [c.strip() for c in table[-1].strip("|").split("|")]
    assert total[0] == "total"
    assert [int(c.replace(",", "")) for c in total[1:-1]] == list(document["to_sizes"].values())
    printed = cli(*base).stdout
    assert "level: from 2026-01-31 (rows)" in printed and "total" in printed


def test_transitions_count_entities_that_appear_and_disappear(tmp_path):
    seg = write_project(tmp_path, customers=[1, 2, 3, 4, 5])
    history = tmp_path / "h.duckdb"
    snapshot(seg, MONTH_ENDS[:2], str(history))
    write_project(tmp_path, [o for o in ORDERS if o[0] != 5] + [(6, dt.date(2026, 3, 1))],
                  customers=[1, 2, 3, 4, 6])
    snapshot(seg, MONTH_ENDS[2:], str(history))
    found = transitions_json(str(seg), "level", "--history", str(history),
                             "--from", "2026-01-31", "--to", "2026-06-30")
    counts = {(r["from_group"], r["to_group"]): r["entities"] for r in found["rows"]}
    assert counts[(NOT_YET, "starter")] == 1  # customer 6
    assert counts[("none", NO_LONGER)] == 1  # customer 5, no order yet in January
    assert sum(found["from_sizes"].values()) == sum(found["to_sizes"].values()) == 6
    first = memberships(MONTH_ENDS[0], customers=[1, 2, 3, 4, 5])
    assert found["from_sizes"]["none"] == sum(1 for (c, o), g in first.items()
                                              if o == "level" and g == "none")


def test_transitions_need_a_segmentation_and_recorded_dates(tmp_path):
    seg = write_project(tmp_path)
    result = cli("transitions", str(seg), "active", "--from", "2026-01-31", "--to",
                 "2026-06-30")
    assert result.exit_code == 2 and "is a segment" in result.output
    history = tmp_path / "h.duckdb"
    snapshot(seg, MONTH_ENDS[:2], str(history))
    result = cli("transitions", str(seg), "level", "--history", str(history), "--from",
                 "2026-01-31", "--to", "2026-06-30")
    assert result.exit_code == 2 and "2026-06-30" in result.output
