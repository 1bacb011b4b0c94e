"""Many dates in one pass (issue 11 item 2): 12 month-ends in one query against 12 runs.

    nice -n 10 .venv/bin/python bench/multi_date.py [--scale 1] [--rounds 3] [--files tpch.seg]

For each `.seg` file (bench/tpch.seg, the 12 segments; bench/tpch_rfm.seg, RFM and priority
buckets with their scores) and the 12 month-ends 1997-08-31 .. 1998-07-31 (TPC-H's last
order is 1998-08-02), three variants:

  one_date   segl's query at the last date alone (the cost of one date)
  one_pass   segl's query over the 12 dates (`AsOf.many`: partial aggregates per entity
             and time segment combined per date where the measures combine, else a
             `_dates` CTE joined to the pass on its cap; docs/time.md)
  staged     what `segl run --as-of RANGE` runs on DuckDB (runtime/engines/duckdb_staged.py):
             each segmented pass's rows per (entity, time segment) into an attached
             in-memory database once, then the rest of the one-pass query one batch of
             dates at a time (`--batches N`: the 12 dates in N batch queries; default 12,
             one date each), in one transaction
  separate   segl's query at each date, 12 queries one after the other on one connection
  hand       the hand-written multi-date query (bench/multi_date_hand.py): the 12 dates in
             one DuckDB statement as an analyst writes it, independently of segl's plan
  rollup     a lower bound (bench/multi_date_floor.py): the per (customer, day) roll-up of
             every event the 12 dates read, alone; any design that rolls events up per
             entity and day (issue 11's suggestion) pays at least this
  ranks      another lower bound (bench/multi_date_floor.py): the rankings each date needs
             apart, on stand-in values, alone

Interleaved as bench/compare.py does (a warm-up round, then rounds in alternating order),
each measurement a fresh Python subprocess on a fresh in-memory DuckDB connection reading
the Parquet files (queries built beforehand: compile time is outside the timings); wall,
own CPU (all threads), peak RSS and the other processes' share of the machine
(bench/cpu_share.py). The warm-up round also checks that one_pass and separate give the
same rows at every date (per date: row count and the sum of a hash of every row), and
that hand gives the same rows as one_pass.

The `.seg` file is written into a scratch folder with links to the Parquet files (never
into the data folder, which may be shared and read-only, e.g. /tmp/tpch).

Results: a table on stdout, everything in bench/results/multi-date-latest.json.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import cpu_share  # noqa: E402
import multi_date_floor  # noqa: E402
import multi_date_hand  # noqa: E402
import tpch_data  # noqa: E402

FILES = ("tpch.seg", "tpch_rfm.seg")
VARIANTS = ("one_date", "one_pass", "staged", "separate", "hand", "rollup", "ranks")
DATED = ("one_pass", "staged", "hand")
LAST = datetime.date(1998, 7, 31)


def month_ends(last: datetime.date = LAST, count: int = 12) -> list[datetime.date]:
    """The `count` month-ends up to `last` (itself a month-end), oldest first."""
    found = []
    first_of_next = (last + datetime.timedelta(days=1))
    for _ in range(count):
        day = first_of_next - datetime.timedelta(days=1)
        found.append(day)
        first_of_next = day.replace(day=1)
    return sorted(found)


def queries(seg: Path, dates: list[datetime.date], data_dir: Path,
            batches: int = 12, slices: int | None = None) -> dict[str, list[str]]:
    """Each variant's queries as DuckDB SQL (segl's made by sqlglot from its trees; the
    hand-written one filled by bench/sql_fill.py). `staged`: statements run in order, the
    last ones filling the table `result_0`."""
    from segl.compiler.api import AsOf, plan_for, query_for_plan, staged_query
    from segl.runtime.api import load
    from segl.runtime.engines import duckdb_staged

    compilation, connection = load(str(seg))
    connection.close()
    model = compilation.require_ok()
    plan = plan_for(model, [*model.segments, *model.segmentations])

    def text(as_of) -> str:
        return query_for_plan(plan, "duckdb", as_of).sql(dialect="duckdb")

    size = -(-len(dates) // max(1, batches))  # dates per batch
    staged = staged_query(plan, "duckdb", AsOf.many(dates), size,
                          slices=duckdb_staged.STAGED_SLICES if slices is None else slices)
    script = [duckdb_staged.attach(staged.database),
              *duckdb_staged.statements(staged, "result_0"),
              duckdb_staged.members_view(staged, "result_0")]
    return {"one_date": [text(AsOf("date", dates[-1]))],
            "one_pass": [text(AsOf.many(dates))],
            "staged": [statement.sql(dialect="duckdb") for statement in script],
            "separate": [text(AsOf("date", day)) for day in dates],
            "hand": [multi_date_hand.BUILDERS[seg.name](data_dir, dates)],
            "rollup": [multi_date_floor.BUILDERS[seg.name](data_dir, dates)],
            "ranks": [multi_date_floor.RANKS[seg.name](data_dir, dates)]}


# ====================================================================== worker side
def summary(connection, tables: list[str], dated: bool,
            dates: list[str]) -> dict[str, list]:
    """Per date: (rows, sum of a hash of every row's columns but the date)."""
    from sqlglot import exp

    found = {}
    for index, table in enumerate(tables):
        columns = [row[0] for row in connection.execute(
            exp.select("column_name").from_("information_schema.columns").where(
                exp.column("table_name").eq(exp.Literal.string(table))).order_by(
                "ordinal_position").sql("duckdb")).fetchall()]
        columns = list(dict.fromkeys(columns))  # (staged: the view and its table both)
        values = [exp.column(c, quoted=True) for c in columns if c != "as_of"]
        row_hash = exp.func("coalesce", exp.func("sum", exp.cast(
            exp.func("hash", *values), "HUGEINT")), exp.Literal.number(0))
        select = exp.select(exp.func("count", exp.Star()), row_hash).from_(table)
        if dated:
            select = select.select(exp.cast(exp.column("as_of"), "VARCHAR")).group_by(
                exp.column("as_of"))
            for rows, hashed, day in connection.execute(select.sql("duckdb")).fetchall():
                found[day] = [rows, str(hashed)]
        else:
            [(rows, hashed)] = connection.execute(select.sql("duckdb")).fetchall()
            found[dates[index]] = [rows, str(hashed)]
    return found


def worker(spec_path: Path, out: Path) -> None:
    import duckdb

    spec = json.loads(spec_path.read_text())
    try:
        connection = duckdb.connect()
        script = spec.get("script", False)
        tables = ["result_0"] if script else [f"result_{i}" for i in range(len(spec["queries"]))]
        before = cpu_share.snapshot()
        if script:
            for statement in spec["queries"]:
                connection.execute(statement)
        else:
            for table, query in zip(tables, spec["queries"], strict=True):
                connection.sql(query).create(table)
        after = cpu_share.snapshot()
        result = cpu_share.measure(before, after)
        if spec.get("check"):
            result["summary"] = summary(connection, tables, spec["dated"], spec["dates"])
        connection.close()
    except Exception as error:   # reported in the table, not fatal
        result = {"error": f"{type(error).__name__}: {error}"}
    out.write_text(json.dumps(result))


# ====================================================================== parent side
def run_measurement(spec: dict, timeout: float) -> dict:
    """One measurement in a fresh subprocess; adds its peak RSS (wait4's rusage)."""
    with tempfile.TemporaryDirectory(prefix="segl-multidate-") as scratch:
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


def stats(runs: list[dict]) -> dict:
    timed = [r for r in runs if "error" not in r and r["round"] >= 0]
    if not timed:
        return {}
    shares = [r["busy_other_pct"] for r in timed if r.get("busy_other_pct") is not None]
    return {"n": len(timed), "wall_median": statistics.median(r["wall"] for r in timed),
            "cpu_median": statistics.median(r["cpu"] for r in timed),
            "busy_other_median": statistics.median(shares) if shares else None,
            "peak_rss_mib": max(r["peak_rss_mib"] for r in timed)}


def ratio(runs: dict[str, list[dict]], a: str, b: str, key: str) -> float | None:
    """The median over rounds of a/b (the same round ran both, close together)."""
    by_round = {r["round"]: r for r in runs[b] if "error" not in r and r["round"] >= 0}
    found = [r[key] / by_round[r["round"]][key] for r in runs[a]
             if "error" not in r and r["round"] in by_round and by_round[r["round"]][key] > 0]
    return statistics.median(found) if found else None


def run_file(seg: Path, dates: list[datetime.date], rounds: int, timeout: float,
             data_dir: Path, batches: int = 12, variants: tuple[str, ...] = VARIANTS,
             slices: int | None = None) -> dict:
    built = queries(seg, dates, data_dir, batches, slices)
    texts = [d.isoformat() for d in dates]
    runs: dict[str, list[dict]] = {v: [] for v in variants}
    for r in range(-1, rounds):
        order = variants if (r + 1) % 2 == 0 else tuple(reversed(variants))
        for variant in order:
            spec = {"queries": built[variant], "dated": variant in DATED,
                    "script": variant == "staged",
                    "dates": texts if variant != "one_date" else texts[-1:],
                    "check": r < 0 and variant not in ("one_date", "rollup", "ranks")}
            result = run_measurement(spec, timeout)
            result["round"] = r
            runs[variant].append(result)
            print(f"  {seg.name} round {r} {variant}: {result.get('wall', 0):.2f} s wall, "
                  f"{result.get('cpu', 0):.2f} s CPU, other {result.get('busy_other_pct')}% "
                  f"{result.get('error', '')}", file=sys.stderr)
    def summary_of(variant: str) -> dict | None:
        return next((r.get("summary") for r in runs.get(variant, ()) if "summary" in r),
                    None)

    together = summary_of("one_pass")
    same = together is not None and together == summary_of("separate")
    hand_same = together is not None and together == summary_of("hand")
    staged_same = together is not None and together == summary_of("staged")
    pairs = [(a, b) for a, b in (("one_pass", "one_date"), ("staged", "one_date"),
                                 ("separate", "one_date"), ("hand", "one_date"),
                                 ("rollup", "one_date"), ("ranks", "one_date"),
                                 ("staged", "one_pass"), ("one_pass", "separate"),
                                 ("one_pass", "hand")) if a in runs and b in runs]
    return {"file": seg.name, "dates": texts, "runs": runs, "same_rows": same,
            "hand_same_rows": hand_same, "staged_same_rows": staged_same,
            "batches": batches, "variants": list(variants),
            "stats": {v: stats(runs[v]) for v in variants},
            "ratios": {f"{a}/{b} {key}": ratio(runs, a, b, key)
                       for a, b in pairs for key in ("wall", "cpu", "peak_rss_mib")}}


def render(entry: dict) -> str:
    lines = [f"{entry['file']}: 12 month-ends {entry['dates'][0]}..{entry['dates'][-1]}; "
             f"one pass and separate runs give the same rows: {entry['same_rows']}; "
             f"the hand-written query gives one pass's rows: {entry['hand_same_rows']}; "
             f"staged ({entry['batches']} batches) gives one pass's rows: "
             f"{entry['staged_same_rows']}",
             "| variant | wall (median) | CPU (median) | peak RSS | others' CPU share |",
             "| --- | ---: | ---: | ---: | ---: |"]
    for variant in entry["variants"]:
        s = entry["stats"][variant]
        if not s:
            lines.append(f"| {variant} | failed | | | |")
            continue
        share = s["busy_other_median"]
        lines.append(f"| {variant} | {s['wall_median']:.2f} s | {s['cpu_median']:.2f} s | "
                     f"{s['peak_rss_mib']:.0f} MiB | "
                     f"{'-' if share is None else format(share, '.0f') + ' %'} |")
    for name, value in entry["ratios"].items():
        lines.append(f"- {name}: {'-' if value is None else format(value, '.2f')}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--files", nargs="+", choices=FILES, default=list(FILES))
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--data-root", type=Path, default=tpch_data.DATA_ROOT)
    parser.add_argument("--batches", type=int, default=12,
                        help="the staged variant's batch queries (the 12 dates split evenly)")
    parser.add_argument("--slices", type=int, default=None,
                        help="the staged variant's entity slices per stage (default: segl's)")
    parser.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS))
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.out)
        return 0
    data_dir = tpch_data.generate(args.scale, args.data_root)
    dates = month_ends()
    results = []
    scratch = Path(tempfile.mkdtemp(prefix="segl-multidate-seg-"))
    for table in tpch_data.TABLES:
        (scratch / f"{table}.parquet").symlink_to((data_dir / f"{table}.parquet").resolve())
    for name in args.files:
        seg = scratch / name
        seg.write_text((BENCH_DIR / name).read_text())
        entry = run_file(seg, dates, args.rounds, args.timeout, data_dir, args.batches,
                         tuple(v for v in VARIANTS if v in args.variants), args.slices)
        entry["scale"] = args.scale
        entry["cpus"] = os.cpu_count()
        entry["loadavg"] = os.getloadavg()
        results.append(entry)
        print(render(entry))
    shutil.rmtree(scratch, ignore_errors=True)
    folder = BENCH_DIR / "results"
    folder.mkdir(exist_ok=True)
    (folder / "multi-date-latest.json").write_text(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
