"""Time every available engine on the bundled examples (run on demand, not a test).

    python bench/engines.py            # from the repository root, with segl[test] installed

For each example and engine: wall-clock seconds of run_members for all segments and
segmentations at as_of 2026-06-30, a first and a second run in the same process (the first
includes starting the engine: the embedded PostgreSQL server is started before timing; the
Spark JVM is not), and whether the members equal DuckDB's.
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

from segl.compiler.plan import plan_for
from segl.runtime.api import load
from segl.runtime.engines import available_engines, run_members

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = [ROOT / "examples/shop/shop.seg", ROOT / "examples/b2b/accounts.seg"]
AS_OF = date(2026, 6, 30)


def main() -> None:
    options: dict[str, dict[str, object]] = {}
    if "postgres" in available_engines():
        from segl.runtime.engines.postgres import embedded_url

        options["postgres"] = {"url": embedded_url()}
    print(f"{'example':<10} {'engine':<11} {'first s':>8} {'second s':>9}  same as duckdb")
    for example in EXAMPLES:
        compilation, connection = load(example)
        model = compilation.require_ok()
        plan = plan_for(model, [*model.segments, *model.segmentations])
        reference = None
        for engine in available_engines():
            seconds = []
            for _ in range(2):
                start = time.perf_counter()
                frame = run_members(engine, compilation, plan, AS_OF, connection=connection,
                                    **options.get(engine, {}))
                seconds.append(time.perf_counter() - start)
            reference = frame if reference is None else reference
            print(f"{example.parent.name:<10} {engine:<11} {seconds[0]:>8.1f} {seconds[1]:>9.1f}"
                  f"  {frame.equals(reference)}", flush=True)


if __name__ == "__main__":
    main()
