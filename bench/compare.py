"""segl against both hand-written baselines, interleaved, with the machine's noise measured.

    nice -n 10 .venv/bin/python bench/compare.py [--scale 1 10] [--rounds 5]

Issue 15's harness. Where bench/run.py runs each variant's repeats back to back, this one
interleaves them: every round runs each variant of a group once, in alternating order
(A B C, then C B A, ...), after one untimed warm-up round, so slow spells of a shared
machine fall on every variant alike. Each measurement runs in a fresh Python subprocess
on a fresh in-memory DuckDB connection reading the Parquet files (the queries are built
in this process beforehand, so segl's compile time is outside the timings) and records its
wall time, its own CPU time (all threads), its peak RSS, and the other processes' share of
the machine during it (bench/cpu_share.py). Per variant: median, min..max, median CPU and
median other share; per pair: the median of the per-round ratios.

Groups (--groups):
  twelve   bench/tpch.seg: segl's SQL, the plan-shaped baseline (hand_written.py), the
           independent baseline (independent.py); members compared by count and key hash
  rfm      bench/tpch_rfm.seg members (buckets and scores, no KPIs): segl's SQL, independent
  fifty    50 generated segments: segl's SQL in one pass, and one query per segment
  floor*   bench/floor.py: the work any plan for the segments must do (each table scanned and
           grouped once with only the measures needed, no joins between them), several
           queries in one process, their CPU summed; compared with the independent baseline;
           *_combined adds the cheapest combination of the parts into the members (checked)
  startup  CPU time (user + system) of `segl --help`, `segl check`, `segl compile` on
           examples/shop, each a subprocess (getrusage(RUSAGE_CHILDREN))

Results: a table on stdout, everything in bench/results/compare-<timestamp>.json and
bench/results/compare-latest.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))

import cpu_share  # noqa: E402
import floor  # noqa: E402
import hand_written  # noqa: E402
import independent  # noqa: E402
import tpch_data  # noqa: E402

AS_OF = hand_written.AS_OF
SHOP = ROOT / "examples" / "shop"
GENERATED = 50

# name: (group, label)
VARIANTS = {
    "segl12": ("twelve", "segl (to_sql, one query)"),
    "segl12_filter": ("twelve", "segl, aggregates with FILTER (WHERE)"),
    "segl12_prepared": ("twelve", "segl on the prepared layout, sorted files only"),
    "segl12_rollup": ("twelve", "segl on the prepared layout with its daily rollup"),
    "segl12_daily": ("twelve", "segl on the daily rollup, its compacted layer left out"),
    "hand12": ("twelve", "plan-shaped baseline (hand_written.py)"),
    "indep12": ("twelve", "independent baseline (independent.py)"),
    "floor12": ("twelve", "floor: orders, line items per order, customers"),
    "floor12_mapped": ("twelve", "floor, line items mapped to customers"),
    "floor12_combined": ("twelve", "floor (mapped) + the cheapest combination"),
    "seglrfm": ("rfm", "segl (to_sql, members only)"),
    "indeprfm": ("rfm", "independent baseline (independent.py)"),
    "floorrfm": ("rfm", "floor: orders per buyer with r and f, customers"),
    "floorrfm_combined": ("rfm", "floor + the cheapest combination"),
    "seglrfm_ctes": ("rfm", "segl, scores in CTEs joined back (no inline_rankings)"),
    "seglrfm_prepared": ("rfm", "segl on the prepared layout, sorted files only"),
    "seglrfm_rollup": ("rfm", "segl on the prepared layout with its daily rollup"),
    "segl50": ("fifty", f"segl, {GENERATED} segments in one query"),
    "segl50_filter": ("fifty", f"segl, {GENERATED} in one query, aggregates with FILTER"),
    "segl50_prepared": ("fifty", f"segl, {GENERATED} in one query, sorted files only"),
    "segl50_rollup": ("fifty", f"segl, {GENERATED} in one query, daily rollup"),
    "segl50_daily": ("fifty", f"segl, {GENERATED} in one query, daily rollup, not compacted"),
    "segl50_separate": ("fifty", f"segl, one query per segment ({GENERATED})"),
    "hand50": ("fifty", "plan-shaped baseline, one query"),
    "hand50_separate": ("fifty", f"hand-written, {GENERATED} separate queries"),
}
DEFAULT_VARIANTS = ("segl12", "hand12", "indep12", "seglrfm", "indeprfm", "segl50",
                    "segl50_separate")
GROUPS = ("twelve", "rfm", "fifty", "startup")
TITLES = {"twelve": "12 segments (bench/tpch.seg)",
          "rfm": "RFM and priority buckets, r f m scores (bench/tpch_rfm.seg, members only)",
          "fifty": f"{GENERATED} generated segments: one pass vs one query per segment"}
# (numerator, denominator) pairs whose per-round ratio is reported
RATIOS = (("segl12", "indep12"), ("segl12", "hand12"), ("hand12", "indep12"),
          ("segl12_filter", "segl12"), ("segl50_filter", "segl50"),
          ("segl12_prepared", "segl12"), ("segl12_prepared", "indep12"),
          ("seglrfm_prepared", "seglrfm"), ("seglrfm_prepared", "indeprfm"),
          ("segl50_prepared", "segl50"),
          ("segl12_rollup", "segl12"), ("segl12_rollup", "indep12"),
          ("seglrfm_rollup", "seglrfm"), ("seglrfm_rollup", "indeprfm"),
          ("segl50_rollup", "segl50"),
          ("segl12_rollup", "segl12_daily"), ("segl12_daily", "indep12"),
          ("segl50_rollup", "segl50_daily"),
          ("seglrfm", "indeprfm"), ("seglrfm_ctes", "indeprfm"), ("seglrfm", "seglrfm_ctes"),
          ("floor12", "indep12"), ("floor12_mapped", "indep12"), ("segl12", "floor12_mapped"),
          ("floorrfm", "indeprfm"), ("seglrfm", "floorrfm"),
          ("floor12_combined", "indep12"), ("segl12", "floor12_combined"),
          ("floorrfm_combined", "indeprfm"), ("seglrfm", "floorrfm_combined"),
          ("segl50_separate", "segl50"),
          ("hand50_separate", "hand50"), ("segl50", "hand50"))
STARTUP = (("segl --help", ["--help"]),
           ("segl check shop.seg", ["check", "shop.seg"]),
           ("segl compile shop.seg", ["compile", "shop.seg"]))


# ====================================================================== building the SQL
def _segl_sqls(seg: Path, as_of: datetime.date,
               selections: list[list[str] | None], filtered: bool = False,
               inline: bool = True) -> list[str]:
    """segl's SQL for each selection of segments (None: all), compiled as `segl run`
    compiles (column types read from the data). `filtered`: a measure's window and filter
    written `agg(…) FILTER (WHERE …)` instead of `agg(CASE WHEN … END)` (the dialect rule
    `aggregate_filter`, off for DuckDB because it measured slower; issue 15 item 2).
    Without `inline`, scores are CTEs joined back (the rule `inline_rankings` off)."""
    import dataclasses

    from segl.compiler.api import to_sql
    from segl.compiler.backends.sql import dialects
    from segl.runtime.api import load

    compilation, connection = load(str(seg))
    connection.close()
    saved = dialects.RULES["duckdb"]
    if filtered:
        dialects.RULES["duckdb"] = dataclasses.replace(saved, aggregate_filter=True)
    if not inline:
        dialects.RULES["duckdb"] = dataclasses.replace(dialects.RULES["duckdb"],
                                                       inline_rankings=False)
    try:
        return [str(to_sql(compilation, dialect="duckdb", as_of=as_of, segments=selection))
                for selection in selections]
    finally:
        dialects.RULES["duckdb"] = saved


def _segl_sql(seg: Path, as_of: datetime.date, filtered: bool = False,
              inline: bool = True) -> str:
    return _segl_sqls(seg, as_of, [None], filtered, inline)[0]


PREPARE_SECONDS: dict[str, dict] = {}   # data folder -> `segl prepare`'s wall, CPU (if run)


def _segl_prepared_sql(seg: Path, as_of: datetime.date, rollup: bool = False,
                       compacted: bool = True) -> str:
    """segl's SQL reading the prepared layout (`segl prepare`, runtime/prepared.py): the
    events tables sorted by entity key and time (with `rollup`, also the daily rollup of
    runtime/prepared_rollup.py, as `segl run` reads it; without `compacted`, never its
    compacted layer). `segl prepare` runs first, as a
    user runs it (a subprocess: its memory stays out of this process, whose size every
    measurement's child starts from), when the layout is missing or stale; its time is
    reported apart."""
    from segl.compiler.api import plan_for, select_segments, sql_for_plan
    from segl.runtime import prepared, prepared_rollup
    from segl.runtime.api import load

    compilation, connection = load(str(seg))
    connection.close()
    model = compilation.require_ok()
    if set(prepared.overrides(model, seg)) != {t.name for t in prepared.preparable(model)} \
            or prepared_rollup.current(model, seg) != {
                u.name for u in prepared_rollup.units_for(model)}:
        result = run_startup(segl_command(), ["prepare", str(seg)], cwd=seg.parent)
        if "error" in result:
            raise RuntimeError(f"segl prepare {seg}: {result['error']}")
        PREPARE_SECONDS[str(seg.parent)] = result
    sources = prepared.overrides(model, seg)
    rollups = prepared_rollup.rollups(model, seg) if rollup else None
    if rollups and not compacted:
        rollups = {name: dataclasses.replace(source, compacted=(), cut=None)
                   for name, source in rollups.items()}
    # planned as `segl run` plans it: each table's rollup read where it serves
    plan = plan_for(model, select_segments(model, None))
    return sql_for_plan(plan, compilation, "duckdb", as_of, sources=sources, rollups=rollups)


# A measurement's work is a list of (table, query): the worker stores each query's rows in a
# table through DuckDB's relation API, so no statement is assembled from text here.
def _wide(sql: str) -> dict:
    return {"tables": [("result", sql)], "check": {"kind": "wide"}}


def _separate(queries: list[tuple[str, str]]) -> dict:
    return {"tables": [(f"result_{i}", sql) for i, (_, sql) in enumerate(queries)],
            "check": {"kind": "separate", "names": [name for name, _ in queries]}}


def _members_of(sql: str, segment: str) -> str:
    """The keys of one segment's column in segl's wide query, as a sqlglot tree."""
    import sqlglot
    from sqlglot import exp

    query = sqlglot.parse_one(sql, read="duckdb")
    return (exp.select("c_custkey").from_(query.subquery("q"))
            .where(exp.column(segment, quoted=True)).sql("duckdb"))


def build(variant: str, data_dir: Path, as_of: datetime.date) -> dict:
    """The tables a variant's measurement fills and how its members are summarized."""
    if variant in ("segl12_rollup", "segl50_rollup", "seglrfm_rollup", "segl12_daily",
                   "segl50_daily"):
        seg = {"segl12_rollup": "tpch.seg", "segl50_rollup": "segments_50.seg",
               "seglrfm_rollup": "tpch_rfm.seg", "segl12_daily": "tpch.seg",
               "segl50_daily": "segments_50.seg"}[variant]
        sql = _segl_prepared_sql(data_dir / seg, as_of, rollup=True,
                                 compacted=not variant.endswith("_daily"))
        return {"tables": [("result", sql)], "check": {"kind": "rfm", "columns": [
            "c_custkey", "rfm", "priority", "rfm__r", "rfm__f", "rfm__m"]}} \
            if variant == "seglrfm_rollup" else _wide(sql)
    if variant.startswith("floor"):
        part_list = floor.parts({"floor12": "twelve", "floor12_mapped": "twelve_mapped",
                                 "floor12_combined": "twelve_combined", "floorrfm": "rfm",
                                 "floorrfm_combined": "rfm_combined"}[variant], data_dir, as_of)
        check = ({"kind": "wide"} if variant == "floor12_combined" else
                 {"kind": "rfm", "columns": list(independent.RFM_COLUMNS)}
                 if variant == "floorrfm_combined" else {"kind": "floor"})
        return {"tables": part_list, "check": check}
    if variant == "segl12_prepared":
        return _wide(_segl_prepared_sql(data_dir / "tpch.seg", as_of))
    if variant == "segl50_prepared":
        return _wide(_segl_prepared_sql(data_dir / "segments_50.seg", as_of))
    if variant == "seglrfm_prepared":
        return {"tables": [("result", _segl_prepared_sql(data_dir / "tpch_rfm.seg", as_of))],
                "check": {"kind": "rfm", "columns": ["c_custkey", "rfm", "priority", "rfm__r",
                                                      "rfm__f", "rfm__m"]}}
    if variant in ("segl12", "segl12_filter"):
        return _wide(_segl_sql(data_dir / "tpch.seg", as_of,
                               filtered=variant == "segl12_filter"))
    if variant == "hand12":
        return _wide(hand_written.single_pass_sql(data_dir, as_of))
    if variant == "indep12":
        return _wide(independent.twelve_sql(data_dir, as_of))
    if variant in ("seglrfm", "indeprfm", "seglrfm_ctes"):
        segl = variant != "indeprfm"
        sql = (_segl_sql(data_dir / "tpch_rfm.seg", as_of, inline=variant == "seglrfm")
               if segl
               else independent.rfm_sql(data_dir, as_of))
        columns = (("c_custkey", "rfm", "priority", "rfm__r", "rfm__f", "rfm__m") if segl
                   else independent.RFM_COLUMNS)
        return {"tables": [("result", sql)], "check": {"kind": "rfm", "columns": list(columns)}}
    segments = hand_written.generate_segments(GENERATED)
    if variant in ("segl50", "segl50_filter"):
        return _wide(_segl_sql(data_dir / "segments_50.seg", as_of,
                               filtered=variant == "segl50_filter"))
    if variant == "hand50":
        return _wide(hand_written.generated_single_pass_sql(segments, data_dir, as_of))
    if variant == "hand50_separate":
        return _separate(hand_written.generated_separate_sqls(segments, data_dir, as_of))
    if variant == "segl50_separate":
        sqls = _segl_sqls(data_dir / "segments_50.seg", as_of, [[s.name] for s in segments])
        return _separate([(s.name, _members_of(sql, s.name))
                          for s, sql in zip(segments, sqls, strict=True)])
    raise ValueError(f"unknown variant {variant!r}")


def prepare(data_dir: Path) -> None:
    """The .seg files the segl variants compile, next to the Parquet files."""
    for name in ("tpch.seg", "tpch_rfm.seg"):
        shutil.copyfile(BENCH_DIR / name, data_dir / name)
    (data_dir / "segments_50.seg").write_text(
        hand_written.generated_seg_text(hand_written.generate_segments(GENERATED)))


# ====================================================================== worker side
def summarize(connection, check: dict) -> dict:
    """Members as (count, sum of key hashes) per segment; RFM: bucket/score counts + hash."""
    if check["kind"] == "rfm":
        return hand_written.rfm_member_summary(connection, "result", tuple(check["columns"]))
    from sqlglot import exp

    if check["kind"] == "floor":   # no members: the size of each part
        return {table: str(connection.execute(
                    exp.select(exp.func("count", exp.Star())).from_(table).sql("duckdb")
                ).fetchone()[0]) + " rows" for (table,) in connection.execute(
                    "SELECT table_name FROM information_schema.tables").fetchall()}

    if check["kind"] == "separate":
        tables = [(name, f"result_{i}", exp.true()) for i, name in enumerate(check["names"])]
    else:
        tables = [(name, "result", exp.column(name, quoted=True))
                  for name, kind in connection.execute(
                      "SELECT column_name, data_type FROM information_schema.columns "
                      "WHERE table_name = 'result' ORDER BY ordinal_position").fetchall()
                  if kind == "BOOLEAN"]
    key = exp.func("hash", exp.cast(exp.column("c_custkey"), "BIGINT"))
    key_hash = exp.func("coalesce", exp.func("sum", exp.cast(key, "HUGEINT")),
                        exp.Literal.number(0))
    summary = {}
    for name, table, condition in tables:
        query = exp.select(exp.func("count", exp.Star()), key_hash).from_(table).where(condition)
        count, hashed = connection.execute(query.sql("duckdb")).fetchone()
        summary[name] = f"{count} #{hashed}"
    return summary


def worker(spec_path: Path, out: Path) -> None:
    import duckdb

    spec = json.loads(spec_path.read_text())
    try:
        connection = duckdb.connect()
        before = cpu_share.snapshot()
        for table, query in spec["tables"]:
            connection.sql(query).create(table)
        after = cpu_share.snapshot()
        result = cpu_share.measure(before, after)
        if spec.get("summarize"):
            result["members"] = summarize(connection, spec["check"])
        connection.close()
    except Exception as error:   # reported in the table, not fatal
        result = {"error": f"{type(error).__name__}: {error}"}
    out.write_text(json.dumps(result))


# ====================================================================== parent side
def schedule(variants: list[str], rounds: int, warmup: int = 1) -> list[tuple[int, str]]:
    """(round, variant) in run order: warm-up rounds are numbered below 0; rounds alternate
    direction (A B C, C B A, A B C, ...) so no variant always follows the same one."""
    order = []
    for r in range(-warmup, rounds):
        names = variants if (r + warmup) % 2 == 0 else list(reversed(variants))
        order += [(r, name) for name in names]
    return order


def run_measurement(spec: dict, timeout: float) -> dict:
    """One measurement in a fresh subprocess; adds its peak RSS (wait4's rusage)."""
    with tempfile.TemporaryDirectory(prefix="segl-compare-") as scratch:
        spec_path, out = Path(scratch) / "spec.json", Path(scratch) / "out.json"
        spec_path.write_text(json.dumps(spec))
        process = subprocess.Popen([sys.executable, str(Path(__file__).resolve()),
                                    "--worker", str(spec_path), "--out", str(out)])
        timer = threading.Timer(timeout, process.kill)
        timer.start()
        _, status, usage = os.wait4(process.pid, 0)
        timer.cancel()
        process.returncode = os.waitstatus_to_exitcode(status)
        try:
            result = json.loads(out.read_text())
        except (OSError, ValueError):
            result = {"error": f"worker exited with {process.returncode}"
                      + (f" (killed after {timeout:.0f} s)" if process.returncode < 0 else "")}
    result["peak_rss_mib"] = round(usage.ru_maxrss / 1024, 1)
    return result


def run_startup(segl: str, arguments: list[str], cwd: Path = SHOP) -> dict:
    """A `segl` command as a user runs it: wall, user + system CPU of the child, other share."""
    before = cpu_share.snapshot(resource.RUSAGE_CHILDREN)
    completed = subprocess.run([segl, *arguments], cwd=cwd, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, check=False)
    after = cpu_share.snapshot(resource.RUSAGE_CHILDREN)
    result = cpu_share.measure(before, after)
    if completed.returncode != 0:
        result["error"] = f"exit {completed.returncode}"
    return result


def segl_command() -> str:
    beside = Path(sys.executable).parent / "segl"
    return str(beside) if beside.is_file() else (shutil.which("segl") or "segl")


def stats(measurements: list[dict]) -> dict:
    timed = [m for m in measurements if "error" not in m and m.get("round", 0) >= 0]
    if not timed:
        return {}
    walls = [m["wall"] for m in timed]
    shares = [m["busy_other_pct"] for m in timed if m.get("busy_other_pct") is not None]
    median = statistics.median(walls)
    return {"n": len(timed), "median": median, "min": min(walls), "max": max(walls),
            "spread_pct": 100 * (max(walls) - min(walls)) / median if median else None,
            "cpu_median": statistics.median(m["cpu"] for m in timed),
            "busy_other_median": statistics.median(shares) if shares else None,
            "busy_other_max": max(shares) if shares else None,
            "peak_rss_mib": max((m.get("peak_rss_mib") or 0) for m in timed) or None}


def paired_ratios(a: list[dict], b: list[dict]) -> dict | None:
    """Per round a/b of wall time (the same round ran both, close together) and of CPU."""
    by_round = {m["round"]: m for m in b if "error" not in m and m["round"] >= 0}
    walls, cpus = [], []
    for m in a:
        other = by_round.get(m["round"])
        if other and "error" not in m and m["round"] >= 0 and other["wall"] > 0:
            walls.append(m["wall"] / other["wall"])
            if other["cpu"] > 0:
                cpus.append(m["cpu"] / other["cpu"])
    if not walls:
        return None
    return {"wall_median": statistics.median(walls), "wall_min": min(walls),
            "wall_max": max(walls), "cpu_median": statistics.median(cpus) if cpus else None}


def agreement(entry: dict) -> dict[str, str]:
    """Whether variants of a group selected the same members (from the warm-up run)."""
    members = {name: next((m["members"] for m in runs if "members" in m), None)
               for name, runs in entry["measurements"].items()}
    checks = {}
    for a, b in (("segl12", "indep12"), ("segl12", "hand12"), ("seglrfm", "indeprfm"),
                 ("seglrfm", "seglrfm_ctes"),
                 ("segl50", "segl50_separate"), ("segl50", "hand50"),
                 ("segl50", "hand50_separate"), ("segl12", "segl12_filter"),
                 ("segl50", "segl50_filter"), ("segl12", "segl12_prepared"),
                 ("seglrfm", "seglrfm_prepared"), ("segl50", "segl50_prepared"),
                 ("segl12", "segl12_rollup"), ("seglrfm", "seglrfm_rollup"),
                 ("segl50", "segl50_rollup"), ("segl12_daily", "segl12_rollup"),
                 ("segl12_rollup", "indep12"), ("seglrfm_rollup", "indeprfm"),
                 ("segl50_daily", "segl50_rollup"), ("segl12", "floor12_combined"),
                 ("seglrfm", "floorrfm_combined")):
        if members.get(a) is None or members.get(b) is None:
            continue
        x = {k.strip('"'): v for k, v in members[a].items()}
        y = {k.strip('"'): v for k, v in members[b].items()}
        differ = sorted(k for k in set(x) | set(y) if x.get(k) != y.get(k))
        checks[f"{a} vs {b}"] = "same" if not differ else "DIFFER: " + ", ".join(differ[:6])
    return checks


def run_scale(scale: float, variants: list[str], args) -> dict:
    data_dir = tpch_data.generate(scale, args.data_root)
    prepare(data_dir)
    entry: dict = {"scale_factor": scale, "name": tpch_data.scale_name(scale),
                   "data_dir": str(data_dir), "measurements": {}, "compile_seconds": {}}
    for group in ("twelve", "rfm", "fifty"):
        names = [v for v in variants if VARIANTS[v][0] == group]
        if not names or group not in args.groups:
            continue
        specs = {}
        for name in names:
            started = time.perf_counter()
            specs[name] = build(name, data_dir, args.as_of)
            entry["compile_seconds"][name] = round(time.perf_counter() - started, 3)
        for rnd, name in schedule(names, args.rounds, args.warmup):
            spec = specs[name] | {"summarize": rnd == -args.warmup}
            result = run_measurement(spec, args.timeout) | {"round": rnd}
            entry["measurements"].setdefault(name, []).append(result)
            print(f"[{entry['name']}] round {rnd:>2} {name:<16} "
                  + (result["error"][:80] if "error" in result else
                     f"{result['wall']:.3f} s, CPU {result['cpu']:.3f} s, other "
                     f"{result['busy_other_pct']}%"), file=sys.stderr, flush=True)
    entry["prepare_seconds"] = PREPARE_SECONDS.get(str(data_dir))
    entry["stats"] = {name: stats(runs) for name, runs in entry["measurements"].items()}
    entry["ratios"] = {f"{a}/{b}": r for a, b in RATIOS
                       if (r := paired_ratios(entry["measurements"].get(a, []),
                                              entry["measurements"].get(b, [])))}
    entry["agreement"] = agreement(entry)
    return entry


def run_startup_group(args) -> dict:
    import startup

    startup.compile_bytecode()  # (as an installation has it; see bench/startup.py)
    segl = segl_command()
    measurements: dict[str, list] = {}
    for rnd, label in schedule([label for label, _ in STARTUP], args.rounds, args.warmup):
        arguments = dict(STARTUP)[label]
        result = run_startup(segl, arguments) | {"round": rnd}
        measurements.setdefault(label, []).append(result)
    return {"measurements": measurements,
            "stats": {label: stats(runs) for label, runs in measurements.items()}}


# ====================================================================== rendering
def _s(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if value < 10 else f"{value:.2f}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}%"


HEADER = (f"  {'':<44} {'median':>8} {'min..max':>15} {'spread':>7} {'CPU':>8} "
          f"{'other':>6} {'peak RSS':>9}")


def _row(label: str, s: dict) -> str:
    if not s:
        return f"  {label:<44} {'n/a':>8}"
    rss = f"{s['peak_rss_mib']:,.0f} MiB" if s.get("peak_rss_mib") else "-"
    return (f"  {label:<44} {_s(s['median']):>8} {_s(s['min']) + '..' + _s(s['max']):>15} "
            f"{_pct(s['spread_pct']):>7} {_s(s['cpu_median']):>8} "
            f"{_pct(s['busy_other_median']):>6} {rss:>9}")


def render_scale(entry: dict, args) -> str:
    lines = [f"TPC-H {entry['name'].upper()}, as_of {args.as_of}: {args.rounds} rounds "
             f"interleaved after {args.warmup} warm-up; seconds (median, min..max, spread = "
             f"(max - min) / median); CPU = median user + system of the run; other = median "
             f"share of the machine used by other processes during the run"]
    for group in ("twelve", "rfm", "fifty"):
        names = [n for n in VARIANTS if VARIANTS[n][0] == group and n in entry["stats"]]
        if not names:
            continue
        lines += ["", TITLES[group], HEADER]
        lines += [_row(VARIANTS[n][1], entry["stats"][n]) for n in names]
        ratios = [(k, r) for k, r in entry["ratios"].items() if k.split("/")[0] in names]
        for key, r in ratios:
            cpu = f", CPU {r['cpu_median']:.2f}x" if r.get("cpu_median") else ""
            lines.append(f"  ratio {key:<38} {r['wall_median']:.2f}x wall (per round "
                         f"{r['wall_min']:.2f}..{r['wall_max']:.2f}){cpu}")
    compiled = [f"{n} {s:.2f} s" for n, s in entry["compile_seconds"].items()
                if n.startswith("segl")]
    if compiled:
        lines.append("\n  segl's SQL compiled before the runs (outside the timings): "
                     + ", ".join(compiled))
    if entry.get("prepare_seconds") is not None:
        done = entry["prepare_seconds"]
        lines.append(f"  segl prepare (events tables sorted by entity key and time, and "
                     f"the daily rollup, written once, outside the timings): "
                     f"{done['wall']:.2f} s wall, CPU {done['cpu']:.2f} s, "
                     f"other {done['busy_other_pct']}%")
    lines += ["", "agreement (members per segment: count and key hash; RFM: bucket and score "
                  "counts, hash over every customer):"]
    lines += [f"  {check:<36} {verdict}" for check, verdict in entry["agreement"].items()]
    return "\n".join(lines)


def render_startup(entry: dict, args) -> str:
    lines = [f"start-up on examples/shop: {args.rounds} rounds interleaved; the command's "
             f"user + system CPU (RUSAGE_CHILDREN) and wall time, seconds",
             f"  {'':<44} {'CPU':>8} {'wall':>8} {'wall min..max':>15} {'other':>6}"]
    for label, s in entry["stats"].items():
        if not s:
            lines.append(f"  {label:<44} {'n/a':>8}")
            continue
        lines.append(f"  {label:<44} {_s(s['cpu_median']):>8} {_s(s['median']):>8} "
                     f"{_s(s['min']) + '..' + _s(s['max']):>15} "
                     f"{_pct(s['busy_other_median']):>6}")
    return "\n".join(lines)


# ====================================================================== main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, nargs="+", default=[1.0])
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds (5)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed rounds first (1)")
    parser.add_argument("--groups", nargs="+", choices=GROUPS, default=list(GROUPS))
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS),
                        default=list(DEFAULT_VARIANTS))
    parser.add_argument("--as-of", type=datetime.date.fromisoformat, default=AS_OF)
    parser.add_argument("--timeout", type=float, default=1800,
                        help="seconds before a measurement is killed (1800)")
    parser.add_argument("--data-root", type=Path, default=tpch_data.DATA_ROOT)
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.out)
        return 0
    if args.warmup < 1:
        parser.error("--warmup must be at least 1 (the warm-up run checks the members)")

    import duckdb
    report = {"started": datetime.datetime.now().isoformat(timespec="seconds"),
              "argv": sys.argv[1:], "cpus": os.cpu_count(), "duckdb": duckdb.__version__,
              "python": sys.version.split()[0], "rounds": args.rounds, "warmup": args.warmup,
              "as_of": args.as_of.isoformat(), "scales": [], "startup": None}
    outputs = []
    if "startup" in args.groups:
        report["startup"] = run_startup_group(args)
        outputs.append(render_startup(report["startup"], args))
    for scale in args.scale:
        entry = run_scale(scale, args.variants, args)
        report["scales"].append(entry)
        outputs.append(render_scale(entry, args))
        print("\n" + outputs[-1] + "\n", file=sys.stderr, flush=True)

    results = BENCH_DIR / "results"
    results.mkdir(parents=True, exist_ok=True)
    path = results / f"compare-{datetime.datetime.now():%Y%m%d-%H%M%S}.json"
    text = json.dumps(report, indent=2, default=str) + "\n"
    path.write_text(text)
    (results / "compare-latest.json").write_text(text)
    print(f"segl vs baselines, {report['started']}; DuckDB {report['duckdb']}, Python "
          f"{report['python']}, {report['cpus']} CPUs\n")
    print("\n\n".join(outputs))
    print(f"\nresults: {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
