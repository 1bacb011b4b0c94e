"""Many dates on SQLite (issue 11): the example shop's month-ends, three ways.

    nice -n 10 .venv/bin/python bench/sqlite_dates.py [--dates 6 12] [--rounds 2]
        [--variants by_date separate one_pass] [--seg examples/shop/shop.seg]

Every segment and segmentation of the file at the last N month-ends up to 2026-06-30:

  by_date           what `segl run --engine sqlite --as-of RANGE` does: the sources loaded
                    into one in-memory SQLite database once, then the one-date query at
                    each date (runtime/engines/sqlite.py)
  separate          N runs `--as-of D` one after the other: each loads the sources into a
                    fresh SQLite database and runs the one-date query
  one_pass          the sources loaded once, then the one query over every date
                    (`AsOf.many`, what `segl compile -d sqlite --as-of RANGE` prints): its
                    running-total passes grouped by (key, date) (dialect rule
                    `group_running`), so SQLite indexes them for the join into `base`
  one_pass_ungrouped
                    one_pass without that GROUP BY (what the SQLite engine ran before):
                    SQLite scans each such pass for every (entity, date) row

Each measurement is a fresh Python subprocess (compilation outside the timing; the DuckDB
reader and the loading inside, as a run pays them), variants interleaved in alternating
order; own CPU time, wall, peak RSS and the other processes' share of the machine
(bench/cpu_share.py). The first round checks that every variant gives `separate`'s rows at
each date (row count and a hash of the rows). Results: a table on stdout and
bench/results/sqlite-dates-latest.json.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import cpu_share  # noqa: E402
from sqlglot import exp  # noqa: E402

VARIANTS = ("by_date", "separate", "one_pass", "one_pass_ungrouped")
DEFAULT_VARIANTS = ("by_date", "separate", "one_pass")
LAST = datetime.date(2026, 6, 30)


def month_ends(count: int, last: datetime.date = LAST) -> list[datetime.date]:
    found, first_of_next = [], last + datetime.timedelta(days=1)
    for _ in range(count):
        day = first_of_next - datetime.timedelta(days=1)
        found.append(day)
        first_of_next = day.replace(day=1)
    return sorted(found)


# ====================================================================== worker side
def ungrouped(query):
    """`query` with the GROUP BY of every running-total `__dated` CTE taken out."""
    query = query.copy()
    for cte in query.args["with_"].expressions:
        if cte.alias.endswith("__dated") and "_running" in {
                s.alias for s in cte.this.find_all(exp.Subquery)}:
            cte.this.set("group", None)
    return query


def run_variant(variant: str, seg: str, dates: list[datetime.date]) -> tuple[dict, dict]:
    import polars as pl
    from segl.compiler.api import AsOf, SourceOverride
    from segl.compiler.plan import plan_for
    from segl.runtime import sql
    from segl.runtime.api import load
    from segl.runtime.engines import run_members
    from segl.runtime.engines import sqlite as engine
    from segl.runtime.engines.loading import (
        duckdb_output_types,
        engine_query,
        members_frame,
        read_sources,
        result_order,
        tables_read,
    )

    compilation, connection = load(seg)
    model = compilation.require_ok()
    plan = plan_for(model, [*model.segments, *model.segmentations])
    many = AsOf.many(dates)
    query = None
    if variant.startswith("one_pass"):
        names = {name: SourceOverride("table", engine.table_name(name))
                 for name in tables_read(plan)}
        query = engine_query(plan, "sqlite", many, names)
        if variant == "one_pass_ungrouped":
            query = ungrouped(query)
        types = duckdb_output_types(plan, many, connection)
    before = cpu_share.snapshot()
    if variant == "by_date":
        frames = [run_members("sqlite", compilation, plan, many, connection=connection)]
    elif variant == "separate":
        frames = [run_members("sqlite", compilation, plan, day, connection=connection)
                  .select(pl.lit(day, dtype=pl.Date).alias("as_of"), pl.all())
                  for day in dates]
    else:
        lite = engine.connect()
        for source in read_sources(plan, connection, "sqlite"):
            engine.load_table(lite, connection, source)
        rows = sql.fetch_all(lite, query, dialect="sqlite")
        lite.close()
        frames = [members_frame(rows, types, result_order(plan, False, many))]
    after = cpu_share.snapshot()
    frame = pl.concat(frames)
    summary = {str(day): [part.height, str(part.drop("as_of").hash_rows().sum())]
               for (day,), part in frame.partition_by("as_of", as_dict=True).items()}
    return cpu_share.measure(before, after), summary


def worker(spec_path: Path, out: Path) -> None:
    spec = json.loads(spec_path.read_text())
    try:
        dates = [datetime.date.fromisoformat(d) for d in spec["dates"]]
        result, summary = run_variant(spec["variant"], spec["seg"], dates)
        if spec.get("check"):
            result["summary"] = summary
    except Exception as error:  # reported in the table, not fatal
        result = {"error": f"{type(error).__name__}: {error}"}
    out.write_text(json.dumps(result))


# ====================================================================== parent side
def run_measurement(spec: dict, timeout: float) -> dict:
    """One measurement in a fresh subprocess; adds its peak RSS (wait4's rusage)."""
    with tempfile.TemporaryDirectory(prefix="segl-sqlitedates-") as scratch:
        spec_path, out = Path(scratch) / "spec.json", Path(scratch) / "out.json"
        spec_path.write_text(json.dumps(spec))
        process = subprocess.Popen([sys.executable, str(Path(__file__).resolve()),
                                    "--worker", str(spec_path), "--out", str(out)])
        timer = threading.Timer(timeout, process.kill)
        timer.start()
        _, status, usage = os.wait4(process.pid, 0)
        timer.cancel()
        try:
            result = json.loads(out.read_text())
        except (OSError, ValueError):
            result = {"error": f"worker exited with {os.waitstatus_to_exitcode(status)}"}
    result["peak_rss_mib"] = round(usage.ru_maxrss / 1024, 1)
    return result


def run_count(seg: str, count: int, variants: list[str], rounds: int,
              timeout: float) -> dict:
    dates = [d.isoformat() for d in month_ends(count)]
    runs: dict[str, list[dict]] = {v: [] for v in variants}
    for r in range(rounds):
        order = variants if r % 2 == 0 else list(reversed(variants))
        for variant in order:
            result = run_measurement({"variant": variant, "seg": seg, "dates": dates,
                                      "check": r == 0}, timeout)
            result["round"] = r
            runs[variant].append(result)
            print(f"  {count} dates round {r} {variant}: {result.get('wall', 0):.2f} s wall, "
                  f"{result.get('cpu', 0):.2f} s CPU, other {result.get('busy_other_pct')}% "
                  f"{result.get('error', '')}", file=sys.stderr)
    reference = next((r["summary"] for r in runs.get("separate", []) if "summary" in r), None)
    same = {v: next((r["summary"] for r in runs[v] if "summary" in r), None) == reference
            for v in variants} if reference is not None else {}
    stats = {}
    for variant in variants:
        timed = [r for r in runs[variant] if "error" not in r]
        shares = [r["busy_other_pct"] for r in timed if r.get("busy_other_pct") is not None]
        stats[variant] = {} if not timed else {
            "n": len(timed), "cpu_median": statistics.median(r["cpu"] for r in timed),
            "wall_median": statistics.median(r["wall"] for r in timed),
            "peak_rss_mib": max(r["peak_rss_mib"] for r in timed),
            "busy_other_median": statistics.median(shares) if shares else None}
    return {"dates": dates, "runs": runs, "same_rows_as_separate": same, "stats": stats}


def render(entry: dict) -> str:
    lines = [f"{len(entry['dates'])} month-ends {entry['dates'][0]}..{entry['dates'][-1]}; "
             f"same rows as separate runs: {entry['same_rows_as_separate']}",
             "| variant | CPU (median) | wall (median) | peak RSS | others' CPU share |",
             "| --- | ---: | ---: | ---: | ---: |"]
    for variant, s in entry["stats"].items():
        if not s:
            lines.append(f"| {variant} | failed | | | |")
            continue
        share = s["busy_other_median"]
        lines.append(f"| {variant} | {s['cpu_median']:.2f} s | {s['wall_median']:.2f} s | "
                     f"{s['peak_rss_mib']:.0f} MiB | "
                     f"{'-' if share is None else format(share, '.0f') + ' %'} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seg", default=str(BENCH_DIR.parent / "examples/shop/shop.seg"))
    parser.add_argument("--dates", type=int, nargs="+", default=[6, 12])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--variants", nargs="+", choices=VARIANTS,
                        default=list(DEFAULT_VARIANTS))
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.out)
        return 0
    results = []
    for count in args.dates:
        entry = run_count(args.seg, count, args.variants, args.rounds, args.timeout)
        entry["cpus"], entry["loadavg"] = os.cpu_count(), os.getloadavg()
        results.append(entry)
        print(render(entry))
    folder = BENCH_DIR / "results"
    folder.mkdir(exist_ok=True)
    (folder / "sqlite-dates-latest.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
