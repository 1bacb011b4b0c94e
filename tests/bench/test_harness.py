"""The interleaved harness's arithmetic (bench/compare.py, bench/cpu_share.py): the run order,
the other processes' CPU share, the per-round ratios and the member agreement."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import compare  # noqa: E402
import cpu_share  # noqa: E402

STAT = """cpu  {user} 0 {system} {idle} {iowait} 0 0 0 0 0
cpu0 1 2 3 4 5 6 7 8 9 10
intr 12345
"""


def test_schedule_interleaves_and_alternates_direction():
    order = compare.schedule(["a", "b", "c"], rounds=3, warmup=1)
    assert order == [(-1, "a"), (-1, "b"), (-1, "c"),
                     (0, "c"), (0, "b"), (0, "a"),
                     (1, "a"), (1, "b"), (1, "c"),
                     (2, "c"), (2, "b"), (2, "a")]
    assert Counter(name for r, name in order if r >= 0) == {"a": 3, "b": 3, "c": 3}


def test_machine_busy_counts_all_but_idle_and_iowait():
    ticks = cpu_share.os.sysconf("SC_CLK_TCK")
    busy = cpu_share.machine_busy_seconds(STAT.format(user=300, system=100, idle=5000,
                                                      iowait=700))
    assert busy == pytest.approx(400 / ticks)
    assert cpu_share.machine_busy_seconds("intr 1\n") is None


@pytest.mark.parametrize(("busy", "own", "share"), [
    (2.0, 2.0, 0.0),       # only the measured process ran
    (3.0, 2.0, 25.0),      # one more CPU-second over 2 s on 2 CPUs
    (4.0, 0.0, 100.0),     # others kept both CPUs busy
    (1.0, 2.0, 0.0),       # tick rounding below own time: clamped at 0
])
def test_other_share(busy, own, share):
    before = cpu_share.Snapshot(wall=10.0, busy=100.0, own=5.0)
    after = cpu_share.Snapshot(wall=12.0, busy=100.0 + busy, own=5.0 + own)
    assert cpu_share.other_share(before, after, cpus=2) == pytest.approx(share)
    measured = cpu_share.measure(before, after)
    assert measured["wall"] == pytest.approx(2.0) and measured["cpu"] == pytest.approx(own)


def test_other_share_unknown_without_proc_stat():
    before = cpu_share.Snapshot(wall=1.0, busy=None, own=0.0)
    assert cpu_share.other_share(before, cpu_share.Snapshot(2.0, None, 1.0)) is None


def test_snapshot_sees_own_cpu_time():
    before = cpu_share.snapshot()
    sum(i * i for i in range(300_000))
    after = cpu_share.snapshot()
    assert after.own > before.own and after.wall > before.wall


def test_paired_ratios_pair_by_round_and_skip_warmup_and_errors():
    a = [{"round": -1, "wall": 100.0, "cpu": 1.0}, {"round": 0, "wall": 2.0, "cpu": 2.0},
         {"round": 1, "wall": 3.0, "cpu": 3.0}, {"round": 2, "error": "x"}]
    b = [{"round": -1, "wall": 1.0, "cpu": 1.0}, {"round": 1, "wall": 1.0, "cpu": 1.0},
         {"round": 0, "wall": 1.0, "cpu": 2.0}, {"round": 2, "wall": 1.0, "cpu": 1.0}]
    ratios = compare.paired_ratios(a, b)
    assert ratios["wall_median"] == pytest.approx(2.5)
    assert (ratios["wall_min"], ratios["wall_max"]) == (2.0, 3.0)
    assert ratios["cpu_median"] == pytest.approx(2.0)
    assert compare.stats(a)["n"] == 2


def test_agreement_names_differing_segments():
    entry = {"measurements": {
        "segl12": [{"round": -1, "members": {'"x"': "3 #1", "y": "2 #5"}}],
        "indep12": [{"round": -1, "members": {"x": "3 #1", "y": "2 #6"}}],
        "hand12": [{"round": -1, "members": {"x": "3 #1", "y": "2 #5"}}]}}
    assert compare.agreement(entry) == {"segl12 vs indep12": "DIFFER: y",
                                        "segl12 vs hand12": "same"}
