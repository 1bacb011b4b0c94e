"""What else the machine did during a measurement: the other processes' share of the CPUs.

A measurement takes a `Snapshot` before and after: the machine's busy CPU time from
/proc/stat (every process, all CPUs) and the measured process's own user + system time
(`getrusage`, all its threads; or its children's, for a command run as a subprocess).
The other processes' share is

    (machine busy seconds - own CPU seconds) / (CPUs x wall seconds)

in percent of the whole machine: 0 on an idle machine, 50 when other work kept one of two
CPUs busy throughout. /proc/stat counts in clock ticks (usually 10 ms), so a measurement
shorter than a few tenths of a second gets a coarse share.
"""

from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass
from pathlib import Path

PROC_STAT = Path("/proc/stat")
# /proc/stat's cpu line: user nice system idle iowait irq softirq steal guest guest_nice;
# guest time is already counted in user (and guest_nice in nice)
IDLE_FIELDS = (3, 4)
COUNTED_FIELDS = 8


@dataclass(frozen=True)
class Snapshot:
    wall: float            # perf_counter seconds
    busy: float | None     # machine busy CPU seconds (None: no /proc/stat)
    own: float             # the measured process's (or its children's) CPU seconds


def machine_busy_seconds(stat_text: str | None = None) -> float | None:
    """Busy CPU seconds of all CPUs since boot, from /proc/stat's aggregate `cpu` line."""
    if stat_text is None:
        try:
            stat_text = PROC_STAT.read_text()
        except OSError:
            return None
    for line in stat_text.splitlines():
        fields = line.split()
        if fields and fields[0] == "cpu":
            ticks = [int(x) for x in fields[1:1 + COUNTED_FIELDS]]
            busy = sum(t for i, t in enumerate(ticks) if i not in IDLE_FIELDS)
            return busy / os.sysconf("SC_CLK_TCK")
    return None


def own_cpu_seconds(who: int = resource.RUSAGE_SELF) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def snapshot(who: int = resource.RUSAGE_SELF) -> Snapshot:
    return Snapshot(time.perf_counter(), machine_busy_seconds(), own_cpu_seconds(who))


def other_share(before: Snapshot, after: Snapshot, cpus: int | None = None) -> float | None:
    """Percent of the machine's CPU capacity other processes used between two snapshots."""
    wall = after.wall - before.wall
    if before.busy is None or after.busy is None or wall <= 0:
        return None
    cpus = cpus or os.cpu_count() or 1
    other = (after.busy - before.busy) - (after.own - before.own)
    return max(0.0, min(100.0, 100 * other / (cpus * wall)))


def measure(before: Snapshot, after: Snapshot) -> dict:
    """One measurement's wall time, own CPU time and the other processes' share."""
    share = other_share(before, after)
    return {"wall": after.wall - before.wall, "cpu": after.own - before.own,
            "busy_other_pct": None if share is None else round(share, 1)}
