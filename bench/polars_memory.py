"""Peak memory of segl on Polars against segl on DuckDB (issue 15 item 6), interleaved.

Each measurement is one run of one variant of `bench/run.py` (`segl12`, `polars12`, `segl50`,
`polars50`, `rfm_segl_sql`, `rfm_polars`) in a fresh Python subprocess, so its peak RSS (the
kernel's `ru_maxrss` for that child, from `os.wait4`) is that run's alone. The variants are
interleaved round by round (A B C D, A B C D, ...), and every measurement records the share
of the machine other processes used meanwhile (`bench/cpu_share.py`), as the machine is
shared. Time is reported as CPU time (user + system of the worker, all threads) of the
query itself; compile and planning run in the worker before it, outside the timing.

    .venv/bin/python bench/polars_memory.py --scale 1 --rounds 3

(`--pairs twelve_evaluate rfm_evaluate`: the same end to end, `evaluate()` on each engine,
as `segl run` calls it: compile, key checks, the query, the members table in DuckDB; a
Polars run opens DuckDB only after its query when the data facts are kept: its first run on
these files keeps them in the user's cache folder, so only that run opens DuckDB first; the
Polars-only variants compile the same way)

prints per variant the median peak RSS and query CPU over the rounds, and per pair
Polars / DuckDB for both; `--one-query` adds, in every round, the Polars variant with every
grouped pass inside one lazy query (`polars12_one`…: the engine before the pass runner of
`runtime/engines/polars_memory.py`), and its ratios as "before"; `--before` adds the Polars
variant with the memory settings of main before the final-morsel and one-arena change
(`polars12_before`…: bench/run.py's MAIN_POLARS_SETTINGS, set in its worker before Polars
starts; the shipping default is the new one); `--wide` adds the fifty group (50 generated
segments) to `--pairs`; `--floors` measures the idle floors (`idle`: python + duckdb;
`idle_polars`: python + duckdb + polars) in the same rounds and reports each ratio also
above them: (Polars peak - its floor) / (DuckDB peak - its floor). Checks that every
engine and setting gives the same member count per segment; writes everything to
`bench/results/polars-memory-<timestamp>.json`.

    nice -n 10 .venv/bin/python bench/polars_memory.py --scale 1 --rounds 3 \
        --pairs twelve fifty rfm --before --wide --floors --data-root /work/data
"""

from __future__ import annotations

import argparse
import datetime
import json
import resource
import statistics
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import cpu_share  # noqa: E402
import run  # noqa: E402
import tpch_data  # noqa: E402

PAIRS = {"twelve": ("segl12", "polars12"), "fifty": ("segl50", "polars50"),
         "rfm": ("rfm_segl_sql", "rfm_polars"),
         # end to end, as `segl run` does: evaluate(), compile and key checks included
         "twelve_evaluate": ("segl12_evaluate", "polars12_evaluate"),
         "rfm_evaluate": ("rfm_segl", "rfm_polars_evaluate")}
TARGET = 1.2   # issue 15 item 6: Polars' peak memory within 1.2x of DuckDB's
FLOORS = ("idle", "idle_polars")   # python + duckdb; python + duckdb + polars (nothing run)


def measure(variant: str, data_dir: Path, args) -> dict:
    """One run of `variant` in a fresh subprocess, with the other processes' CPU share."""
    before = cpu_share.snapshot(resource.RUSAGE_CHILDREN)
    result = run.run_variant(variant, data_dir, args)
    after = cpu_share.snapshot(resource.RUSAGE_CHILDREN)
    shares = cpu_share.measure(before, after)
    return {"variant": variant, "peak_rss_mib": result["peak_rss_mib"],
            "cpu": result.get("best_cpu"), "wall": result.get("best"),
            "process_cpu": shares["cpu"], "busy_other_pct": shares["busy_other_pct"],
            "sizes": result.get("sizes"), "error": result.get("error")}


def summary(runs: list[dict]) -> dict:
    ok = [r for r in runs if not r.get("error")]
    if not ok:
        return {"error": runs[0].get("error") if runs else "no run"}
    timed = [r for r in ok if r["cpu"] is not None]   # (an idle floor runs no query)
    return {"peak_rss_mib": statistics.median(r["peak_rss_mib"] for r in ok),
            "cpu": statistics.median(r["cpu"] for r in timed) if timed else None,
            "wall": statistics.median(r["wall"] for r in timed) if timed else None,
            "busy_other_pct": [r["busy_other_pct"] for r in ok], "runs": len(ok)}


def above_floors(polars_peak: float, duck_peak: float, floors: dict) -> float | None:
    """(Polars peak - python+duckdb+polars floor) / (DuckDB peak - python+duckdb floor)."""
    duck_floor, polars_floor = (floors.get(v, {}).get("peak_rss_mib") for v in FLOORS)
    if duck_floor is None or polars_floor is None or duck_peak <= duck_floor:
        return None
    return (polars_peak - polars_floor) / (duck_peak - duck_floor)


def _cpu(s: dict) -> str:
    return "" if s["cpu"] is None else f"query CPU {s['cpu']:6.2f} s  wall {s['wall']:6.2f} s  "


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="TPC-H scale factor (1)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (3)")
    parser.add_argument("--pairs", nargs="+", choices=sorted(PAIRS), default=["twelve", "fifty"],
                        help="workloads: twelve (bench/tpch.seg), fifty (50 generated), rfm")
    parser.add_argument("--data-root", type=Path, default=tpch_data.DATA_ROOT)
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--one-query", action="store_true",
                        help="also run each Polars variant as one lazy query (before)")
    parser.add_argument("--before", action="store_true",
                        help="also run each Polars variant with main's memory settings")
    parser.add_argument("--wide", action="store_true",
                        help="add the fifty group (50 generated segments) to --pairs")
    parser.add_argument("--floors", action="store_true",
                        help="measure the idle floors and report ratios above them")
    args = parser.parse_args(argv)
    if args.wide and "fifty" not in args.pairs:
        args.pairs.append("fifty")
    # what run.run_variant and run.prepare read
    args.repeat, args.as_of, args.generated, args.compile_segments = 1, run.AS_OF, 50, 1000

    data_dir = tpch_data.generate(args.scale, args.data_root)
    run.prepare(data_dir, args)
    suffixes = [suffix for suffix, wanted in (("_one", args.one_query),
                                               ("_before", args.before)) if wanted]
    variants = [*(FLOORS if args.floors else ()),
                *(v for pair in args.pairs
                  for v in (*PAIRS[pair], *(PAIRS[pair][1] + suffix for suffix in suffixes)))]
    runs: dict[str, list[dict]] = {v: [] for v in variants}
    for index in range(args.rounds):
        for variant in variants:
            result = measure(variant, data_dir, args)
            runs[variant].append(result)
            print(f"round {index + 1} {variant:17s} "
                  + (result["error"] or f"peak {result['peak_rss_mib']:7,.0f} MiB  "
                     + ("" if result["cpu"] is None else
                        f"query CPU {result['cpu']:6.2f} s  wall {result['wall']:6.2f} s  ")
                     + f"others {result['busy_other_pct']}%"), file=sys.stderr, flush=True)

    report = {"started": datetime.datetime.now().isoformat(timespec="seconds"),
              "scale": args.scale, "rounds": args.rounds, "machine": run.machine(),
              "runs": runs, "summary": {v: summary(runs[v]) for v in variants}, "pairs": {}}
    lines = [f"SF{args.scale:g}, {args.rounds} interleaved rounds, medians "
             f"(others' CPU share per round in brackets)"]
    for variant in variants:
        s = report["summary"][variant]
        lines.append(f"  {variant:17s} " + (s.get("error") or (
            f"peak RSS {s['peak_rss_mib']:7,.0f} MiB  {_cpu(s)}others {s['busy_other_pct']}")))
    for pair in args.pairs:
        duck, polars = (report["summary"][v] for v in PAIRS[pair])
        if "error" in duck or "error" in polars:
            continue
        sizes = [r["sizes"] for v in (*PAIRS[pair], *(PAIRS[pair][1] + x for x in suffixes))
                 for r in runs.get(v, []) if r.get("sizes")]
        same = all(s == sizes[0] for s in sizes)
        memory = polars["peak_rss_mib"] / duck["peak_rss_mib"]
        report["pairs"][pair] = {"memory_ratio": memory, "cpu_ratio": polars["cpu"] / duck["cpu"],
                                 "wall_ratio": polars["wall"] / duck["wall"],
                                 "same_members": same}
        one = report["summary"].get(PAIRS[pair][1] + "_one", {})
        if "peak_rss_mib" in one:
            report["pairs"][pair] |= {"one_query_memory_ratio": one["peak_rss_mib"]
                                      / duck["peak_rss_mib"],
                                      "one_query_cpu_ratio": one["cpu"] / duck["cpu"]}
            lines.append(f"  {pair} as one query (before): Polars / DuckDB peak RSS "
                         f"{one['peak_rss_mib'] / duck['peak_rss_mib']:.2f}x, query CPU "
                         f"{one['cpu'] / duck['cpu']:.2f}x")
        floored = above_floors(polars["peak_rss_mib"], duck["peak_rss_mib"], report["summary"])
        report["pairs"][pair]["memory_ratio_above_floors"] = floored
        main = report["summary"].get(PAIRS[pair][1] + "_before", {})
        if "peak_rss_mib" in main:
            main_floored = above_floors(main["peak_rss_mib"], duck["peak_rss_mib"],
                                        report["summary"])
            report["pairs"][pair] |= {
                "before_memory_ratio": main["peak_rss_mib"] / duck["peak_rss_mib"],
                "before_memory_ratio_above_floors": main_floored,
                "before_cpu_ratio": main["cpu"] / duck["cpu"]}
            lines.append(f"  {pair} with main's settings (before): Polars / DuckDB peak RSS "
                         f"{main['peak_rss_mib'] / duck['peak_rss_mib']:.2f}x"
                         + ("" if main_floored is None else
                            f" ({main_floored:.2f}x above idle floors)")
                         + f", query CPU {main['cpu'] / duck['cpu']:.2f}x")
        lines.append(f"  {pair}: Polars / DuckDB peak RSS {memory:.2f}x "
                     + ("" if floored is None else f"({floored:.2f}x above idle floors) ")
                     + f"({'within' if memory <= TARGET else 'above'} {TARGET}x), query CPU "
                     f"{polars['cpu'] / duck['cpu']:.2f}x, "
                     f"wall {polars['wall'] / duck['wall']:.2f}x; "
                     f"member counts {'the same' if same else 'DIFFER'}")
    print("\n".join(lines))
    results = BENCH_DIR / "results"
    results.mkdir(exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    (results / f"polars-memory-{stamp}.json").write_text(json.dumps(report, indent=1,
                                                                    default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
