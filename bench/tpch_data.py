"""Generate TPC-H data as Parquet for the benchmark, with tpchgen-cli.

    python bench/tpch_data.py --scale 1 10

writes bench/data/sf{N}/{customer,orders,lineitem,part,nation,region}.parquet
(bench/data/ is gitignored). A scale factor whose files are all present is
skipped. Files are generated into a scratch folder and moved into place only
when tpchgen-cli succeeded, so an interrupted run never leaves a half-written
data set that looks complete. Each data set gets a small ``_generated.json``
recording how long generation took.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
DATA_ROOT = BENCH_DIR / "data"
TABLES = ("customer", "orders", "lineitem", "part", "nation", "region")
MANIFEST = "_generated.json"


def scale_name(scale: float) -> str:
    """1 -> 'sf1', 10.0 -> 'sf10', 0.1 -> 'sf0.1'."""
    value = float(scale)
    return f"sf{int(value)}" if value.is_integer() else f"sf{value:g}"


def data_dir(scale: float, root: Path = DATA_ROOT) -> Path:
    return root / scale_name(scale)


def is_present(directory: Path) -> bool:
    return all((directory / f"{table}.parquet").is_file() for table in TABLES)


def tpchgen_cli() -> str:
    """The tpchgen-cli next to this interpreter (the venv's), else the one on PATH."""
    beside = Path(sys.executable).parent / "tpchgen-cli"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("tpchgen-cli")
    if found is None:
        raise SystemExit("tpchgen-cli not found: pip install tpchgen-cli")
    return found


def read_manifest(directory: Path) -> dict | None:
    try:
        return json.loads((directory / MANIFEST).read_text())
    except (OSError, ValueError):
        return None


def generate(scale: float, root: Path = DATA_ROOT, *, force: bool = False,
             quiet: bool = False) -> Path:
    """Make sure TPC-H data at `scale` exists under root/sf{N}; return that folder."""
    target = data_dir(scale, root)
    if is_present(target) and not force:
        if not quiet:
            print(f"{scale_name(scale)}: present in {target}, skipped", file=sys.stderr)
        return target

    scratch = root / f".{scale_name(scale)}.partial"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    command = [
        tpchgen_cli(), "parquet",
        "--scale-factor", f"{float(scale):g}",
        "--tables", ",".join(TABLES),
        "--output-dir", str(scratch),
        "--no-progress", "--quiet",
    ]
    if not quiet:
        print(f"{scale_name(scale)}: generating ({' '.join(command[1:])})", file=sys.stderr)
    started = time.perf_counter()
    subprocess.run(command, check=True)
    seconds = time.perf_counter() - started

    missing = [t for t in TABLES if not (scratch / f"{t}.parquet").is_file()]
    if missing:
        raise SystemExit(f"tpchgen-cli did not write {', '.join(missing)} in {scratch}")
    target.mkdir(parents=True, exist_ok=True)
    for table in TABLES:
        os.replace(scratch / f"{table}.parquet", target / f"{table}.parquet")
    shutil.rmtree(scratch, ignore_errors=True)

    version = subprocess.run([tpchgen_cli(), "--version"], capture_output=True,
                             text=True).stdout.strip()
    size = sum((target / f"{t}.parquet").stat().st_size for t in TABLES)
    (target / MANIFEST).write_text(json.dumps({
        "scale_factor": float(scale),
        "generator": version,
        "seconds": round(seconds, 2),
        "bytes": size,
        "tables": list(TABLES),
    }, indent=2) + "\n")
    if not quiet:
        print(f"{scale_name(scale)}: {size / 2**20:,.0f} MiB in {seconds:.1f} s -> {target}",
              file=sys.stderr)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, nargs="+", default=[1.0],
                        help="scale factors (default: 1)")
    parser.add_argument("--root", type=Path, default=DATA_ROOT,
                        help=f"where the sf{{N}} folders go (default: {DATA_ROOT})")
    parser.add_argument("--force", action="store_true", help="regenerate even if present")
    args = parser.parse_args(argv)
    for scale in args.scale:
        generate(scale, args.root, force=args.force)
    return 0


if __name__ == "__main__":
    sys.exit(main())
