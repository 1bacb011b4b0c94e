"""Where the CPU goes: DuckDB's operator profile of segl's SQL and of the baselines.

    nice -n 10 .venv/bin/python bench/profile_ops.py [--scale 10] [--threads 1] [--runs 3] \
        [--variants segl12 indep12 seglrfm indeprfm]

Issue 15 item 2 asks why segl's SQL costs what it does next to the independent baseline
(bench/independent.py). bench/compare.py gives CPU times; this gives their breakdown. Each
variant (the names of bench/compare.py, built by its `build`) runs `--runs` times, in turn
(A B A B), each in a fresh Python subprocess on a fresh in-memory DuckDB connection with
DuckDB's profiler on (`enable_profiling = 'no_output'`, read back through the Python API),
and the run with the median CPU time is shown: its operator tree (every operator of at
least `--min-ms`, with its rows, the file it reads, its join type and condition), then the
operator time summed by operator type, beside the process's own CPU time and the other
processes' share of the machine (bench/cpu_share.py).

Operator times are DuckDB's own (summed over threads); at `--threads 1` they add up to
nearly the whole CPU time and vary least on a shared machine, so compare variants at one
thread, and their CPU times at the default threads with bench/compare.py.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import compare  # noqa: E402
import cpu_share  # noqa: E402
import tpch_data  # noqa: E402

DETAILS = ("Filename(s)", "Join Type", "Conditions", "Groups", "Aggregates", "CTE Name")


def worker(spec_path: Path, out: Path) -> None:
    """One run: the variant's tables filled with profiling on; CPU and the profile saved."""
    import duckdb

    spec = json.loads(spec_path.read_text())
    config = {"threads": spec["threads"]} if spec.get("threads") else {}
    connection = duckdb.connect(config=config)
    connection.execute("PRAGMA enable_profiling = 'no_output'")
    profiles = []
    before = cpu_share.snapshot()
    for table, query in spec["tables"]:
        connection.sql(query).create(table)
        profiles.append(json.loads(connection.get_profiling_information(format="json")))
    result = cpu_share.measure(before, cpu_share.snapshot())
    connection.close()
    out.write_text(json.dumps(result | {"profiles": profiles}))


def run_once(spec: dict) -> dict:
    with tempfile.TemporaryDirectory(prefix="segl-profile-") as scratch:
        spec_path, out = Path(scratch) / "spec.json", Path(scratch) / "out.json"
        spec_path.write_text(json.dumps(spec))
        subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker",
                        str(spec_path), "--out", str(out)], check=True)
        return json.loads(out.read_text())


def operators(node: dict, depth: int = 0):
    """(depth, operator) for every operator of a profile tree, parents first."""
    yield depth, node
    for child in node.get("children", []):
        yield from operators(child, depth + 1)


def detail(node: dict) -> str:
    info = node.get("extra_info") or {}
    parts = []
    for key in DETAILS:
        value = info.get(key)
        if value:
            text = " ".join(str(value).split())
            if key == "Filename(s)":
                text = Path(text).name
            parts.append(text if len(text) < 70 else text[:67] + "...")
    return "  ".join(parts)


def render(name: str, run: dict, min_seconds: float) -> list[str]:
    lines = [f"{name}: CPU {run['cpu']:.3f} s, wall {run['wall']:.3f} s, "
             f"other {run['busy_other_pct']}%"]
    by_type: Counter[str] = Counter()
    for profile in run["profiles"]:
        for root in profile.get("operator", []):
            for depth, node in operators(root):
                seconds = node.get("timing") or 0.0
                by_type[node.get("name", "?")] += seconds
                if seconds >= min_seconds:
                    rows = node.get("operator_cardinality", node.get("intermediate_rows"))
                    rows_text = f"{rows:>11,}" if isinstance(rows, int) else f"{'':>11}"
                    lines.append(f"  {seconds:7.3f} s {rows_text}  {'  ' * depth}"
                                 f"{node.get('name', '?')}  {detail(node)}".rstrip())
    lines.append("  by operator: " + ", ".join(
        f"{kind} {seconds:.2f}" for kind, seconds in by_type.most_common() if seconds >= 0.005))
    lines.append(f"  operators in all: {sum(by_type.values()):.3f} s")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--threads", type=int, default=None,
                        help="DuckDB threads (default: DuckDB's, all CPUs)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--variants", nargs="+", choices=list(compare.VARIANTS),
                        default=["segl12", "indep12", "seglrfm", "indeprfm"])
    parser.add_argument("--min-ms", type=float, default=20.0,
                        help="show operators of at least this many milliseconds (20)")
    parser.add_argument("--data-root", type=Path, default=tpch_data.DATA_ROOT)
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.out)
        return 0
    data_dir = tpch_data.generate(args.scale, args.data_root)
    compare.prepare(data_dir)
    specs = {name: {"tables": compare.build(name, data_dir, compare.AS_OF)["tables"],
                    "threads": args.threads} for name in args.variants}
    runs: dict[str, list[dict]] = {name: [] for name in args.variants}
    for rnd, name in compare.schedule(args.variants, args.runs, warmup=0):
        runs[name].append(run_once(specs[name]))
        print(f"run {rnd} {name}: CPU {runs[name][-1]['cpu']:.3f} s", file=sys.stderr)
    print(f"TPC-H {tpch_data.scale_name(args.scale).upper()}, as_of {compare.AS_OF}, "
          f"threads {args.threads or 'default'}; the run of median CPU of {args.runs}; "
          f"operator times in seconds (DuckDB's profiler, summed over threads)")
    for name in args.variants:
        ordered = sorted(runs[name], key=lambda r: r["cpu"])
        median = ordered[(len(ordered) - 1) // 2]
        cpus = [r["cpu"] for r in runs[name]]
        print()
        print("\n".join(render(f"{name} ({compare.VARIANTS[name][1]}), CPU median "
                               f"{statistics.median(cpus):.3f} s of {len(cpus)}; shown",
                               median, args.min_ms / 1000)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
