"""segl benchmark on TPC-H: hand-written DuckDB SQL vs segl, one pass vs one query per segment.

    python bench/run.py [--scale 1 10] [--repeat 3]

For each scale factor (data generated on first use by bench/tpch_data.py) it prints
a table of wall times, ratios and peak memory, then the compile speed of a
generated 1,000-segment file, and writes everything to bench/results/*.json.

Every variant runs in a fresh Python subprocess (its peak resident set size is
read from the kernel's rusage for that child, via os.wait4), and every timed run
uses a fresh in-memory DuckDB connection reading the Parquet files directly and
materializes its result the same way: the query fills a table through DuckDB's relation
api (`connection.sql(query).create(table)`; no statement is assembled from text). A timing
is the best of --repeat runs (the median is in the JSON too).

Variants:
  hand12            hand-written single pass, the twelve segments of bench/tpch.seg (baseline)
  segl12            segl: to_sql() of bench/tpch.seg, run exactly like the baseline
  segl12_evaluate   segl: evaluate() end to end (compile + run + member counts)
  hand12_separate   the twelve segments as twelve hand-written queries
  indep12           the independent hand-written baseline (independent.py; bench/compare.py
                    interleaves it with segl12 and hand12)
  hand50            50 generated segments, hand-written single pass
  segl50            50 generated segments, segl to_sql(), one query
  hand50_separate   50 generated segments, one hand-written query each
  segl50_separate   50 generated segments, segl's SQL for each segment alone, 50 queries
  idle              python + duckdb imported and connected, nothing run (memory floor)
  compile1000       segl compile_file + to_sql of 1,000 generated segments (no execution)
  rfm_hand          bench/tpch_rfm.seg by hand: one pass giving every customer's RFM scores and
                    buckets of two segmentations, then the KPIs per bucket and overall (baseline)
  rfm_segl_sql      segl's SQL for the same (members query + KPI query), run like rfm_hand
  rfm_segl          segl: evaluate(kpis=True) + kpi_table() end to end
  polars12          segl's Polars backend: the lazy query of bench/tpch.seg built from the plan
                    and collected (compile outside the timings); compare with segl12
  polars12_evaluate segl: evaluate(engine="polars") end to end (members loaded into DuckDB)
  polars50          50 generated segments on the Polars backend
  rfm_polars        bench/tpch_rfm.seg on the Polars backend: scores, buckets, KPI components
  rfm_polars_evaluate  evaluate(kpis=True, engine="polars") + kpi_table() end to end
  idle_polars       python + duckdb + polars imported, nothing run (memory floor)
  polars12_one, polars50_one, rfm_polars_one  the same as polars12, polars50, rfm_polars with
                    every grouped pass inside one lazy query (no pass run alone or partitioned:
                    the Polars engine before issue 15 item 6's pass runner)
  polars12_before, polars50_before, rfm_polars_before  the same with the memory settings of
                    main before the final-morsel and one-arena change (MAIN_POLARS_SETTINGS)
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
sys.path.insert(0, str(BENCH_DIR))

import hand_written  # noqa: E402
import independent  # noqa: E402
import sqlglot  # noqa: E402
import tpch_data  # noqa: E402
from sql_fill import count_rows, create_table, parquet  # noqa: E402
from sqlglot import exp  # noqa: E402

AS_OF = hand_written.AS_OF
SEG_12 = "tpch.seg"
SEG_50 = "segments_50.seg"
SEG_COMPILE = "segments_{n}.seg"
SEG_RFM = "tpch_rfm.seg"

SCALE_VARIANTS = ("idle", "hand12", "segl12", "segl12_evaluate", "hand12_separate", "indep12",
                  "polars12", "polars12_evaluate",
                  "hand50", "segl50", "hand50_separate", "segl50_separate", "polars50",
                  "rfm_hand", "rfm_segl_sql", "rfm_segl", "rfm_polars", "rfm_polars_evaluate",
                  "idle_polars", "polars12_one", "polars50_one", "rfm_polars_one",
                  "polars12_before", "polars50_before", "rfm_polars_before")
ALL_VARIANTS = (*SCALE_VARIANTS, "compile1000")
LABELS = {
    "idle": "python + duckdb, idle (memory floor)",
    "hand12": "hand-written, one pass (baseline)",
    "segl12": "segl, one pass (to_sql, run as baseline)",
    "segl12_evaluate": "segl evaluate() end to end",
    "hand12_separate": "hand-written, 12 separate queries",
    "indep12": "independent baseline (independent.py)",
    "hand50": "hand-written, one pass (baseline)",
    "segl50": "segl, one pass (to_sql)",
    "hand50_separate": "hand-written, 50 separate queries",
    "segl50_separate": "segl, one query per segment (50)",
    "rfm_hand": "hand-written, one pass + KPIs (baseline)",
    "rfm_segl_sql": "segl SQL (members + KPIs, run as baseline)",
    "rfm_segl": "segl evaluate(kpis=True) + kpi_table()",
    "polars12": "segl on Polars (plan -> lazy query)",
    "polars12_evaluate": "segl evaluate(engine=polars) end to end",
    "polars50": "segl on Polars (plan -> lazy query)",
    "rfm_polars": "segl on Polars (members + KPI components)",
    "rfm_polars_evaluate": "evaluate(kpis, engine=polars) + kpi_table()",
    "idle_polars": "python + duckdb + polars, idle (memory floor)",
    "polars12_one": "segl on Polars, one lazy query (no pass runner)",
    "polars50_one": "segl on Polars, one lazy query (no pass runner)",
    "rfm_polars_one": "segl on Polars, one lazy query (no pass runner)",
    "polars12_before": "segl on Polars, main's memory settings",
    "polars50_before": "segl on Polars, main's memory settings",
    "rfm_polars_before": "segl on Polars, main's memory settings",
}
# The Polars engine's memory settings on main before the final-morsel and one-arena change
# (the `_before` variants; runtime/engines/polars_memory.py has the shipping ones)
MAIN_POLARS_SETTINGS = {"allocator": "dirty_decay_ms:100,muzzy_decay_ms:0",
                        "final_morsel_rows": None}
# bench-only: the final collect's morsel rows for the plain Polars variants (ablations)
FINAL_MORSEL_VARIABLE = "SEGL_BENCH_FINAL_MORSEL_ROWS"
# segl on DuckDB against segl on Polars: the target of issue 4 (Polars within 1.5x)
POLARS_PAIRS = (("segl12", "polars12"), ("segl12_evaluate", "polars12_evaluate"),
                ("segl50", "polars50"), ("rfm_segl_sql", "rfm_polars"),
                ("rfm_segl", "rfm_polars_evaluate"))
RFM_COLUMNS_HAND = ("c_custkey", "rfm", "priority", "r", "f", "m")
RFM_COLUMNS_SEGL = ("c_custkey", "rfm", "priority", "rfm__r", "rfm__f", "rfm__m")


# ====================================================================== worker side
def _import_segl():
    """segl's compiler and runtime APIs; tries the repository root and src/ when the
    package is not installed in the environment."""
    try:
        import segl  # noqa: F401
    except ImportError:
        for candidate in (ROOT / "src", ROOT):
            if (candidate / "segl").is_dir():
                sys.path.insert(0, str(candidate))
                break
    from segl.compiler.api import compile_file, to_sql
    return compile_file, to_sql


def _segl_sql(seg_path: Path, as_of: datetime.date) -> tuple[str, float]:
    """Compile as `segl run` does: column types read from the data (an undeclared column of
    unknown type would be summed as a decimal to be safe, a cast the data makes needless)."""
    _import_segl()
    from segl.compiler.api import to_sql
    from segl.runtime.api import load

    started = time.perf_counter()
    compilation, connection = load(str(seg_path))
    connection.close()
    if not getattr(compilation, "ok", True):
        diagnostics = getattr(compilation, "diagnostics", [])
        raise RuntimeError(f"{seg_path.name} does not check: "
                           + "; ".join(str(x) for x in list(diagnostics)[:5]))
    sql = to_sql(compilation, dialect="duckdb", as_of=as_of)
    return str(sql), time.perf_counter() - started


def _materialize(sql: str, table: str = "result") -> list[tuple[str, str]]:
    """The work that stores `sql`'s rows in table `table`: a (table, query) pair, run
    through DuckDB's relation API (no `CREATE ... AS` text is assembled)."""
    return [(table, sql.strip().rstrip(";").strip())]


def _timed_runs(tables: list[tuple[str, str]], repeat: int, sizes_of) -> dict:
    """Fill each (table, query) `repeat` times, each time on a fresh in-memory connection."""
    import duckdb

    times, cpu, sizes = [], [], None
    for i in range(repeat):
        connection = duckdb.connect()
        started, cpu_started = time.perf_counter(), time.process_time()
        for table, query in tables:
            create_table(connection, table, query)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
        if i == repeat - 1:
            sizes = sizes_of(connection)
        connection.close()
    return {"times": times, "cpu_times": cpu, "sizes": sizes}


def _wide_sizes(connection) -> dict:
    return hand_written.member_counts_wide(connection, "result")


def _separate_sizes(names):
    def sizes_of(connection):
        return {name: count_rows(connection, f"result_{i}") for i, name in enumerate(names)}
    return sizes_of


def _separate_statements(queries) -> list[tuple[str, str]]:
    return [(f"result_{i}", sql) for i, (_, sql) in enumerate(queries)]


def _segl_rfm_sql(seg_path: Path,
                  as_of: datetime.date) -> tuple[list[tuple[str, str]], float]:
    """The statements evaluate(kpis=True) + kpi_table() run, without running them: the
    members query (as evaluate builds it) and the KPI query kpi_table builds over it
    (captured by handing kpi_table a connection that records the query and answers zeros)."""
    _import_segl()
    from segl.compiler.api import AsOf, select_segments, sql_for_plan
    from segl.compiler.plan import plan_for
    from segl.runtime.api import Evaluation, load
    from segl.runtime.engines.duckdb import MEMBERS_TABLE
    from segl.runtime.kpis import kpi_table

    class Recorder:
        def __init__(self):
            self.queries = []

        def execute(self, query, *args):
            self.queries.append(query)
            return self

        def fetchone(self):
            return (0,) * 100_000

        def fetchall(self):
            return []

    started = time.perf_counter()
    compilation, connection = load(str(seg_path))
    connection.close()
    model = compilation.require_ok()
    plan = plan_for(model, select_segments(model, None), list(model.kpis))
    sql = sql_for_plan(plan, compilation, "duckdb", AsOf("date", as_of), pretty=False)
    recorder = Recorder()
    kpi_table(Evaluation(compilation, plan, sql, as_of, recorder, MEMBERS_TABLE, plan.key,
                         [], 0, {}, list(plan.segmentations), {}))
    statements = [(MEMBERS_TABLE, str(sql)), *(("segl_kpis", q) for q in recorder.queries)]
    return statements, time.perf_counter() - started


def _polars_runs(seg_path: Path, as_of: datetime.date, repeat: int, rfm: bool) -> dict:
    """The Polars backend alone: compile and plan (outside the timings, as for segl12), then
    each run builds the lazy query from the plan and collects it, as `run_members` does."""
    _import_segl()
    from segl.runtime.engines import engine_module

    # as segl imports its Polars engine (its allocator setting comes before Polars starts)
    run_members = engine_module("polars").run_members
    import duckdb
    import polars
    from segl.compiler.api import select_segments
    from segl.compiler.plan import plan_for
    from segl.runtime import data_facts
    from segl.runtime.engines.duckdb import load_members

    started = time.perf_counter()
    # (compiled as evaluate(engine="polars") compiles: with the kept data facts, DuckDB
    # started only when they are missing)
    compilation, _ = data_facts.load(str(seg_path))
    model = compilation.require_ok()
    plan = plan_for(model, select_segments(model, None), list(model.kpis) if rfm else None)
    compile_seconds = time.perf_counter() - started
    times, cpu, frame = [], [], None
    for _ in range(repeat):
        frame = None
        started, cpu_started = time.perf_counter(), time.process_time()
        frame = run_members(compilation, plan, as_of)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
    if rfm:
        connection = duckdb.connect()
        load_members(connection, frame, plan.key, list(plan.outputs), list(plan.segmentations))
        sizes = hand_written.rfm_member_summary(connection, "segl_members", RFM_COLUMNS_SEGL)
        connection.close()
    else:
        sizes = {name: int(frame[name].sum()) for name in plan.outputs}
    return {"times": times, "cpu_times": cpu, "sizes": sizes, "compile_seconds": compile_seconds,
            "polars": polars.__version__}


def _polars_settings(variant: str) -> None:
    """The Polars engine's memory settings for `variant`, before Polars starts: `_before`,
    main's (MAIN_POLARS_SETTINGS); `_one`, every pass inside the one query."""
    if variant.endswith("_before"):
        assert "polars" not in sys.modules, "the allocator is read when Polars starts"
        # (a value already set is the user's: prepare_allocator leaves it alone)
        os.environ["_RJEM_MALLOC_CONF"] = MAIN_POLARS_SETTINGS["allocator"]
    _import_segl()
    from segl.runtime.engines import engine_module

    polars_engine = engine_module("polars")  # (sets the allocator, then imports Polars)
    from segl.runtime.engines.polars_memory import PassPolicy

    if variant.endswith("_one"):  # every pass inside the one query, whatever the size
        polars_engine.POLICY = PassPolicy(min_source_bytes=sys.maxsize)
    if variant.endswith("_before"):
        polars_engine.FINAL_MORSEL_ROWS = MAIN_POLARS_SETTINGS["final_morsel_rows"]
    elif os.environ.get(FINAL_MORSEL_VARIABLE):
        polars_engine.FINAL_MORSEL_ROWS = int(os.environ[FINAL_MORSEL_VARIABLE])
    print(f"{variant}: {os.environ.get('_RJEM_MALLOC_CONF')}, final morsel "
          f"{polars_engine.FINAL_MORSEL_ROWS}", file=sys.stderr)


def _rfm_sizes(table: str, columns: tuple[str, ...]):
    def sizes_of(connection):
        return hand_written.rfm_member_summary(connection, table, columns)
    return sizes_of


def worker(variant: str, data_dir: Path, repeat: int, as_of: datetime.date,
           generated: int, compile_segments: int) -> dict:
    import duckdb

    info: dict = {"variant": variant, "duckdb": duckdb.__version__}
    if variant == "idle":
        connection = duckdb.connect()
        connection.execute("SELECT 42").fetchall()
        connection.close()
        return info | {"times": []}
    if variant == "hand12":
        statements = _materialize(hand_written.single_pass_sql(data_dir, as_of))
        return info | _timed_runs(statements, repeat, _wide_sizes)
    if variant == "indep12":
        statements = _materialize(independent.twelve_sql(data_dir, as_of))
        return info | _timed_runs(statements, repeat, _wide_sizes)
    if variant == "hand12_separate":
        queries = hand_written.separate_sqls(data_dir, as_of)
        return info | _timed_runs(_separate_statements(queries), repeat,
                                  _separate_sizes([n for n, _ in queries]))
    if variant in ("hand50", "hand50_separate"):
        segments = hand_written.generate_segments(generated)
        if variant == "hand50":
            statements = _materialize(
                hand_written.generated_single_pass_sql(segments, data_dir, as_of))
            return info | _timed_runs(statements, repeat, _wide_sizes)
        queries = hand_written.generated_separate_sqls(segments, data_dir, as_of)
        return info | _timed_runs(_separate_statements(queries), repeat,
                                  _separate_sizes([n for n, _ in queries]))
    if variant == "segl50_separate":
        # What a tool that evaluates one segment at a time costs: segl's own SQL for each
        # segment alone, fifty queries.
        from segl.compiler.api import to_sql
        from segl.runtime.api import load

        compilation, connection = load(str(data_dir / SEG_50))
        connection.close()
        names = list(compilation.model.segments)
        key = compilation.model.entity.key
        queries = []
        for name in names:
            sql = to_sql(compilation, dialect="duckdb", as_of=as_of, segments=[name])
            member = (exp.select(exp.column(key, quoted=True))
                      .from_(sqlglot.parse_one(str(sql), read="duckdb").subquery("q"))
                      .where(exp.column(name, quoted=True)))
            queries.append((name, member.sql("duckdb")))
        return info | _timed_runs(_separate_statements(queries), repeat,
                                  _separate_sizes(names))
    if variant in ("segl12", "segl50"):
        seg_path = data_dir / (SEG_12 if variant == "segl12" else SEG_50)
        sql, compile_seconds = _segl_sql(seg_path, as_of)
        os.chdir(seg_path.parent)        # in case the SQL names files relative to the .seg
        result = _timed_runs(_materialize(sql), repeat, _wide_sizes)
        return info | result | {"compile_seconds": compile_seconds, "sql_chars": len(sql)}
    if variant == "segl12_evaluate":
        _import_segl()
        from segl.runtime.api import evaluate
        seg_path = data_dir / SEG_12
        times, cpu, sizes = [], [], None
        for _ in range(repeat):
            started, cpu_started = time.perf_counter(), time.process_time()
            result = evaluate(str(seg_path), as_of=as_of, segments=None, params={})
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
            sizes = {str(k): int(v) for k, v in dict(result.sizes).items()}
            connection = getattr(result, "connection", None)
            if connection is not None:
                connection.close()
            del result
        return info | {"times": times, "cpu_times": cpu, "sizes": sizes}
    if variant == "rfm_hand":
        result = _timed_runs(hand_written.rfm_statements(data_dir, as_of), repeat,
                             _rfm_sizes(hand_written.RFM_MEMBERS, RFM_COLUMNS_HAND))
        # KPIs from one more run (outside the timings): the timed runs' connections are gone.
        import duckdb
        connection = duckdb.connect()
        for table, query in hand_written.rfm_statements(data_dir, as_of):
            create_table(connection, table, query)
        kpis = hand_written.rfm_hand_kpis(connection)
        connection.close()
        return info | result | {"kpis": kpis}
    if variant == "rfm_segl_sql":
        statements, compile_seconds = _segl_rfm_sql(data_dir / SEG_RFM, as_of)
        os.chdir(data_dir)
        result = _timed_runs(statements, repeat, _rfm_sizes("segl_members", RFM_COLUMNS_SEGL))
        return info | result | {"compile_seconds": compile_seconds,
                                "sql_chars": sum(len(q) for _, q in statements)}
    if variant == "rfm_segl":
        _import_segl()
        from segl.runtime.api import evaluate
        from segl.runtime.kpis import kpi_table
        seg_path = data_dir / SEG_RFM
        times, cpu, sizes, kpis = [], [], None, None
        for i in range(repeat):
            started, cpu_started = time.perf_counter(), time.process_time()
            evaluation = evaluate(str(seg_path), as_of=as_of, kpis=True)
            groups = kpi_table(evaluation)
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
            if i == repeat - 1:
                sizes = hand_written.rfm_member_summary(
                    evaluation.connection, evaluation.table, RFM_COLUMNS_SEGL)
                kpis = hand_written.rfm_segl_kpis(groups)
            evaluation.connection.close()
            del evaluation, groups
        return info | {"times": times, "cpu_times": cpu, "sizes": sizes, "kpis": kpis}
    if variant == "idle_polars":
        import polars
        connection = duckdb.connect()
        connection.execute("SELECT 42").fetchall()
        polars.DataFrame({"x": [1]}).sum()
        return info | {"times": []}
    base = variant.removesuffix("_one").removesuffix("_before")
    if base in ("polars12", "polars50", "rfm_polars"):
        _polars_settings(variant)
        return info | _polars_runs(data_dir / {"polars12": SEG_12, "polars50": SEG_50,
                                               "rfm_polars": SEG_RFM}[base],
                                   as_of, repeat, rfm=base == "rfm_polars")
    if variant in ("polars12_evaluate", "rfm_polars_evaluate"):
        _polars_settings(variant)  # (as `segl run` does: the allocator before Polars starts)
        import polars
        from segl.runtime.api import evaluate
        from segl.runtime.kpis import kpi_table
        rfm = variant == "rfm_polars_evaluate"
        seg_path = data_dir / (SEG_RFM if rfm else SEG_12)
        times, cpu, sizes, kpis = [], [], None, None
        for i in range(repeat):
            started, cpu_started = time.perf_counter(), time.process_time()
            evaluation = evaluate(str(seg_path), as_of=as_of, kpis=rfm, engine="polars")
            groups = kpi_table(evaluation) if rfm else None
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
            if i == repeat - 1:
                if rfm:
                    sizes = hand_written.rfm_member_summary(
                        evaluation.connection, evaluation.table, RFM_COLUMNS_SEGL)
                    kpis = hand_written.rfm_segl_kpis(groups)
                else:
                    sizes = {str(k): int(v) for k, v in dict(evaluation.sizes).items()}
            evaluation.connection.close()
            del evaluation, groups
        return info | {"times": times, "cpu_times": cpu, "sizes": sizes, "kpis": kpis,
                       "polars": polars.__version__}
    if variant == "compile1000":
        compile_file, to_sql = _import_segl()
        seg_path = data_dir / SEG_COMPILE.format(n=compile_segments)
        check_times, sql_times, sql_chars = [], [], 0
        for _ in range(repeat):
            started = time.perf_counter()
            compilation = compile_file(str(seg_path))
            checked = time.perf_counter()
            if not getattr(compilation, "ok", True):
                diagnostics = list(getattr(compilation, "diagnostics", []))
                raise RuntimeError(f"{seg_path.name} does not check: "
                                   + "; ".join(str(x) for x in diagnostics[:5]))
            sql = str(to_sql(compilation, dialect="duckdb", as_of=as_of))
            done = time.perf_counter()
            check_times.append(checked - started)
            sql_times.append(done - checked)
            sql_chars = len(sql)
        return info | {"times": [a + b for a, b in zip(check_times, sql_times, strict=True)],
                       "check_times": check_times, "to_sql_times": sql_times,
                       "segments": compile_segments, "sql_chars": sql_chars}
    raise ValueError(f"unknown variant {variant!r}")


def worker_main(args) -> int:
    try:
        result = worker(args.worker, args.data_dir.resolve(), args.repeat, args.as_of,
                        args.generated, args.compile_segments)
    except BaseException as error:  # reported in the table, not fatal
        traceback.print_exc()
        result = {"variant": args.worker, "error": f"{type(error).__name__}: {error}"}
    Path(args.out).write_text(json.dumps(result, default=str))
    return 0


# ====================================================================== parent side
def run_variant(variant: str, data_dir: Path, args) -> dict:
    """Run one variant in a fresh subprocess; add its peak RSS (from wait4's rusage)."""
    with tempfile.TemporaryDirectory(prefix="segl-bench-") as scratch:
        out = Path(scratch) / "result.json"
        command = [sys.executable, str(Path(__file__).resolve()), "--worker", variant,
                   "--data-dir", str(data_dir), "--repeat", str(args.repeat),
                   "--as-of", args.as_of.isoformat(), "--generated", str(args.generated),
                   "--compile-segments", str(args.compile_segments), "--out", str(out)]
        load_before = os.getloadavg()[0]
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, stdout=sys.stderr)
        timed_out = False
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - started > args.timeout and not timed_out:
                timed_out = True
                os.kill(process.pid, signal.SIGKILL)
            time.sleep(0.02)
        process.returncode = os.waitstatus_to_exitcode(status)
        try:
            result = json.loads(out.read_text())
        except (OSError, ValueError):
            reason = (f"timed out after {args.timeout:.0f} s" if timed_out
                      else f"worker exited with {process.returncode}")
            result = {"variant": variant, "error": reason}
    result["peak_rss_mib"] = usage.ru_maxrss / 1024           # Linux: KiB
    result["wall_seconds"] = time.perf_counter() - started
    # The 1-minute load average before and after: other work on the machine skews timings.
    result["load_average"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    times = result.get("times") or []
    if times:
        result["best"] = min(times)
        result["median"] = statistics.median(times)
        if result.get("cpu_times"):
            result["best_cpu"] = result["cpu_times"][times.index(min(times))]
    return result


def prepare(data_dir: Path, args) -> None:
    """The .seg files a scale factor's variants read, next to its Parquet files."""
    shutil.copyfile(BENCH_DIR / SEG_12, data_dir / SEG_12)
    shutil.copyfile(BENCH_DIR / SEG_RFM, data_dir / SEG_RFM)
    segments = hand_written.generate_segments(args.generated)
    (data_dir / SEG_50).write_text(hand_written.generated_seg_text(segments))


def prepare_compile(data_dir: Path, args) -> Path:
    path = data_dir / SEG_COMPILE.format(n=args.compile_segments)
    segments = hand_written.generate_segments(args.compile_segments, seed=1000)
    path.write_text(hand_written.generated_seg_text(segments))
    return path


def table_sizes(data_dir: Path) -> dict:
    import duckdb

    connection = duckdb.connect()
    sizes = {}
    for table in ("customer", "orders", "lineitem"):
        sizes[table] = count_rows(connection, exp.select("*").from_(parquet(data_dir, table)))
    connection.close()
    return sizes


def compare_sizes(reference: dict | None, other: dict | None) -> list[str]:
    """Segments whose member counts differ (or are missing) in `other`."""
    if not reference or not other:
        return []
    other = {str(k).strip('"'): v for k, v in other.items()}
    return [f"{name}: {count} vs {other.get(name)}" for name, count in reference.items()
            if other.get(name) != count]


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.3f} s" if value < 10 else f"{value:.2f} s"


def _row(label: str, result: dict | None, baseline: dict | None) -> str:
    if result is None:
        return f"  {label:<42} {'(not run)':>10}"
    rss = f"{result['peak_rss_mib']:,.0f} MiB" if result.get("peak_rss_mib") else "-"
    if "error" in result:
        return f"  {label:<42} {'n/a':>10} {'':>8} {rss:>11} {'':>10}   {result['error'][:70]}"
    best = result.get("best")
    ratio = ""
    if best and baseline and baseline.get("best"):
        ratio = f"{best / baseline['best']:.2f}x"
    cpu = _seconds(result.get("best_cpu")) if result.get("best_cpu") is not None else ""
    return f"  {label:<42} {_seconds(best):>10} {ratio:>8} {rss:>11} {cpu:>10}"


def render_scale(entry: dict, repeat: int) -> str:
    v = entry["variants"]
    rows = entry["rows"]
    generation = entry.get("generation") or {}
    lines = [
        f"TPC-H {entry['name'].upper()}: {rows['customer']:,} customers, "
        f"{rows['orders']:,} orders, {rows['lineitem']:,} line items; as_of {entry['as_of']}; "
        f"best of {repeat}",
    ]
    if generation:
        lines.append(f"  data: {generation.get('bytes', 0) / 2**20:,.0f} MiB Parquet, generated "
                     f"in {generation.get('seconds', float('nan')):.1f} s "
                     f"({generation.get('generator', 'tpchgen-cli')})")
    header = f"  {'':<42} {'time':>10} {'ratio':>8} {'peak RSS':>11} {'CPU time':>10}"
    sections = [
        ("12 segments (bench/tpch.seg)", ("hand12", "segl12", "segl12_evaluate", "indep12",
                                          "hand12_separate", "polars12", "polars12_evaluate"),
         "hand12"),
        (f"{entry['generated']} generated segments", ("hand50", "segl50", "hand50_separate",
                                                         "segl50_separate", "polars50"),
         "hand50"),
        ("RFM scores, 2 segmentations, 4 KPIs per bucket (bench/tpch_rfm.seg)",
         ("rfm_hand", "rfm_segl_sql", "rfm_segl", "rfm_polars", "rfm_polars_evaluate"),
         "rfm_hand"),
    ]
    for title, names, baseline in sections:
        names = [n for n in names if n in entry["requested"]]
        if not names:
            continue
        lines += ["", title, header]
        for name in names:
            label = LABELS[name].replace("50", str(entry["generated"]))
            lines.append(_row(label, v.get(name), v.get(baseline)))
    if "idle" in v:
        lines += ["", _row(LABELS["idle"], v["idle"], None)]
    if "idle_polars" in v:
        lines.append(_row(LABELS["idle_polars"], v["idle_polars"], None))
    pairs = [(a, b) for a, b in POLARS_PAIRS if (v.get(a) or {}).get("best")
             and (v.get(b) or {}).get("best")]
    if pairs:
        lines += ["", "Polars against DuckDB, both running segl (time ratio; peak RSS):"]
        for a, b in pairs:
            lines.append(f"  {LABELS[b]:<42} {v[b]['best'] / v[a]['best']:>5.2f}x of "
                         f"{a}; {v[b]['peak_rss_mib']:,.0f} MiB vs "
                         f"{v[a]['peak_rss_mib']:,.0f} MiB")
    compile_seconds = {n: v[n].get("compile_seconds")
                       for n in ("segl12", "segl50", "rfm_segl_sql", "polars12", "polars50",
                                 "rfm_polars")
                       if n in v and v[n].get("compile_seconds") is not None}
    if compile_seconds:
        lines.append("  segl compile (check + to_sql), outside the timings: " + ", ".join(
            f"{n} {s * 1000:.0f} ms" for n, s in compile_seconds.items()))
    loads = [x for r in v.values() for x in r.get("load_average", [])]
    if loads:
        lines.append(f"  machine load (1-minute average) around the runs: {min(loads):.2f} to "
                     f"{max(loads):.2f} on {os.cpu_count()} CPUs")
    lines += ["", "agreement (member counts per segment; RFM: every customer's buckets and "
                  "scores, every KPI):"]
    for check, problems in entry["checks"].items():
        lines.append(f"  {check:<42} " + ("same" if problems == [] else
                                           "not compared" if problems is None else
                                           f"DIFFER: {'; '.join(problems[:4])}"))
    return "\n".join(lines)


def render_compile(result: dict) -> str:
    if "error" in result:
        return f"compile speed: n/a ({result['error'][:100]})"
    check = min(result["check_times"])
    sql = min(result["to_sql_times"])
    return (f"compile speed: {result['segments']:,} generated segments checked in "
            f"{check:.3f} s and compiled to DuckDB SQL in {sql:.3f} s: {result['best']:.3f} s "
            f"in all ({result['segments'] / result['best']:,.0f} segments/s, "
            f"{result['sql_chars']:,} characters of SQL), peak RSS "
            f"{result['peak_rss_mib']:,.0f} MiB")


def machine() -> dict:
    memory = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    commit = None
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True, check=True).stdout.strip()
    import duckdb
    return {"platform": platform.platform(), "python": platform.python_version(),
            "cpus": os.cpu_count(), "memory_gib": memory, "duckdb": duckdb.__version__,
            "commit": commit}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, nargs="+", default=[1.0],
                        help="TPC-H scale factors (default: 1)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per variant (3)")
    parser.add_argument("--variants", nargs="+", choices=ALL_VARIANTS, default=ALL_VARIANTS,
                        metavar="VARIANT", help=f"subset to run: {' '.join(ALL_VARIANTS)}")
    parser.add_argument("--no-segl", action="store_true", help="hand-written variants only")
    parser.add_argument("--as-of", type=datetime.date.fromisoformat, default=AS_OF)
    parser.add_argument("--generated", type=int, default=50,
                        help="generated segments for the one-pass vs separate comparison (50)")
    parser.add_argument("--compile-segments", type=int, default=1000,
                        help="generated segments for the compile-speed test (1000)")
    parser.add_argument("--timeout", type=float, default=3600,
                        help="seconds before a variant's subprocess is killed (3600)")
    parser.add_argument("--data-root", type=Path, default=tpch_data.DATA_ROOT)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker_main(args)

    variants = [v for v in args.variants
                if not (args.no_segl and ("segl" in v or "polars" in v))]
    if args.no_segl and "compile1000" in variants:
        variants.remove("compile1000")
    report = {"started": datetime.datetime.now().isoformat(timespec="seconds"),
              "machine": machine(), "repeat": args.repeat, "as_of": args.as_of.isoformat(),
              "scales": [], "compile": None}
    outputs = []
    for scale in args.scale:
        data_dir = tpch_data.generate(scale, args.data_root)
        prepare(data_dir, args)
        entry = {"scale_factor": scale, "name": tpch_data.scale_name(scale),
                 "data_dir": str(data_dir), "as_of": args.as_of.isoformat(),
                 "generation": tpch_data.read_manifest(data_dir), "rows": table_sizes(data_dir),
                 "generated": args.generated,
                 "requested": [v for v in SCALE_VARIANTS if v in variants], "variants": {}}
        for variant in entry["requested"]:
            print(f"[{entry['name']}] {variant} ...", file=sys.stderr, flush=True)
            result = run_variant(variant, data_dir, args)
            entry["variants"][variant] = result
            print(f"[{entry['name']}] {variant}: "
                  + (result["error"] if "error" in result else
                     f"best {_seconds(result.get('best'))}, peak RSS "
                     f"{result['peak_rss_mib']:,.0f} MiB"), file=sys.stderr, flush=True)
        v = entry["variants"]
        sizes = {name: (v.get(name) or {}).get("sizes") for name in SCALE_VARIANTS}
        entry["checks"] = {}
        for check, (a, b) in {
            "hand one pass vs 12 separate queries": ("hand12", "hand12_separate"),
            "hand one pass vs segl one pass": ("hand12", "segl12"),
            "hand one pass vs segl evaluate()": ("hand12", "segl12_evaluate"),
            "hand one pass vs independent baseline": ("hand12", "indep12"),
            f"{args.generated} generated: hand one pass vs separate": ("hand50", "hand50_separate"),
            f"{args.generated} generated: hand one pass vs segl separate":
                ("hand50", "segl50_separate"),
            f"{args.generated} generated: hand one pass vs segl": ("hand50", "segl50"),
            "RFM hand vs segl SQL: buckets, scores": ("rfm_hand", "rfm_segl_sql"),
            "RFM hand vs evaluate: buckets, scores": ("rfm_hand", "rfm_segl"),
            "RFM hand vs kpi_table: KPIs": ("rfm_hand", "rfm_segl"),
            "hand one pass vs segl on Polars": ("hand12", "polars12"),
            "hand one pass vs evaluate(engine=polars)": ("hand12", "polars12_evaluate"),
            f"{args.generated} generated: hand one pass vs Polars": ("hand50", "polars50"),
            "RFM hand vs Polars: buckets, scores": ("rfm_hand", "rfm_polars"),
            "RFM hand vs evaluate(polars): buckets, scores": ("rfm_hand", "rfm_polars_evaluate"),
            "RFM hand vs kpi_table(polars): KPIs": ("rfm_hand", "rfm_polars_evaluate"),
        }.items():
            if a in entry["requested"] and b in entry["requested"]:
                if check.endswith(": KPIs"):
                    ka, kb = ((v.get(n) or {}).get("kpis") for n in (a, b))
                    entry["checks"][check] = (hand_written.compare_rfm_kpis(ka, kb)
                                              if ka and kb else None)
                    continue
                entry["checks"][check] = (compare_sizes(sizes[a], sizes[b])
                                          if sizes[a] and sizes[b] else None)
        report["scales"].append(entry)
        outputs.append(render_scale(entry, args.repeat))
        print("\n" + outputs[-1] + "\n", file=sys.stderr, flush=True)

    if "compile1000" in variants:
        data_dir = tpch_data.generate(args.scale[0], args.data_root)
        prepare_compile(data_dir, args)
        print("[compile] ...", file=sys.stderr, flush=True)
        report["compile"] = run_variant("compile1000", data_dir, args)
        outputs.append(render_compile(report["compile"]))

    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = RESULTS_DIR / f"run-{stamp}.json"
    text = json.dumps(report, indent=2, default=str) + "\n"
    path.write_text(text)
    (RESULTS_DIR / "latest.json").write_text(text)
    m = report["machine"]
    print(f"segl benchmark, {report['started']}; DuckDB {m['duckdb']}, Python {m['python']}, "
          f"{m['cpus']} CPUs, {m['memory_gib']} GiB\n")
    print("\n\n".join(outputs))
    print(f"\nresults: {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
