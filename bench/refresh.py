"""The daily rollup's refresh against a rebuild (issue 15 item 3), on TPC-H split by month.

    nice -n 10 .venv/bin/python bench/refresh.py [--scale 1] [--data-root bench/data]

Writes `orders/` and `lineitem/` (one Parquet file per month: orders by order date, line
items by ship date) and `tpch.seg` reading them through globs into `<data>/monthly/`, with
the last month held back; runs `segl prepare` (the full build: sorted copies and rollup, a
subprocess whose CPU time is measured by bench/cpu_share.py), adds the last month's files,
refreshes the rollup (only the new files rolled up) and rebuilds it, each in this process
(wall and process CPU time), checks that a run gives the same members either way, and
runs `segl prepare` once more (the rollup kept; the sorted copies, which are rewritten
whole when a source changes, rewritten).
"""

from __future__ import annotations

import argparse
import datetime
import json
import shutil
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import tpch_data  # noqa: E402
from compare import run_startup, segl_command  # noqa: E402

AS_OF = datetime.date(1998, 8, 2)


def split(data_dir: Path, target: Path) -> list[tuple[str, Path]]:
    """Month files of orders and line items; returns the last month's (held back)."""
    import polars as pl

    for name in ("customer", "nation", "region", "part"):
        shutil.copyfile(data_dir / f"{name}.parquet", target / f"{name}.parquet")
    held: list[tuple[str, Path]] = []
    for table, column in (("orders", "o_orderdate"), ("lineitem", "l_shipdate")):
        folder = target / table
        folder.mkdir(exist_ok=True)
        frame = pl.read_parquet(data_dir / f"{table}.parquet").with_columns(
            pl.col(column).dt.strftime("%Y-%m").alias("_month"))
        months = sorted(frame["_month"].unique().to_list())
        for month in months:
            rows = frame.filter(pl.col("_month") == month).drop("_month")
            path = folder / f"{month}.parquet"
            if month == months[-1]:
                path = target / f".held-{table}-{month}.parquet"
                held.append((table, path))
            rows.write_parquet(path)
    return held


def members(seg: Path) -> dict[str, int]:
    from segl.runtime.api import evaluate

    evaluation = evaluate(str(seg), as_of=AS_OF)
    sizes = dict(evaluation.sizes)
    evaluation.connection.close()
    return sizes


def rollups(seg: Path, rebuild: bool) -> dict[str, float]:
    """The rollup alone refreshed (or rebuilt) in this process: wall and CPU time."""
    import time

    from segl.runtime import prepared_rollup
    from segl.runtime.api import load

    compilation, connection = load(str(seg))
    started, cpu = time.perf_counter(), time.process_time()
    prepared_rollup.prepare_rollups(compilation.require_ok(), seg, connection, rebuild)
    done = {"wall": time.perf_counter() - started, "cpu": time.process_time() - cpu}
    connection.close()
    return done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1)
    parser.add_argument("--data-root", type=Path, default=tpch_data.DATA_ROOT)
    args = parser.parse_args()
    data_dir = tpch_data.generate(args.scale, args.data_root)
    target = data_dir / "monthly"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir()
    held = split(data_dir, target)
    seg = target / "tpch.seg"
    seg.write_text((BENCH_DIR / "tpch.seg").read_text().replace(
        '"orders.parquet"', '"orders/*.parquet"').replace(
        '"lineitem.parquet"', '"lineitem/*.parquet"'))
    segl = segl_command()
    report: dict[str, object] = {"scale": args.scale}
    report["full"] = run_startup(segl, ["prepare", str(seg)], cwd=target)
    for table, path in held:
        path.rename(target / table / path.name.split("-", 2)[2])
    report["rollup refresh"] = rollups(seg, rebuild=False)
    refreshed = members(seg)
    report["rollup rebuild"] = rollups(seg, rebuild=True)
    report["same_members"] = refreshed == members(seg)
    report["sorted copies"] = run_startup(segl, ["prepare", str(seg)], cwd=target)
    listing = json.loads((target / ".segl-prepared" / "rollups.json").read_text())
    report["rollup_rows"] = {name: item["rows"] for name, item in listing["rollups"].items()}
    for step in ("full", "rollup refresh", "rollup rebuild", "sorted copies"):
        done = report[step]
        print(f"{step:<15} {done['wall']:7.2f} s wall, CPU {done['cpu']:6.2f} s"
              + (f", other {done['busy_other_pct']}%" if "busy_other_pct" in done else "")
              + (f" ({done['error']})" if "error" in done else ""))
    print(f"members after the refresh = after the rebuild: {report['same_members']}")
    (BENCH_DIR / "results").mkdir(exist_ok=True)
    (BENCH_DIR / "results" / "refresh-latest.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
