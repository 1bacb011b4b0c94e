"""Start-up cost of `segl` commands (issue 15 item 5): the CPU time (user + system) of each
command as a fresh process, the median of several runs, the commands interleaved so that
a noisy neighbour weighs on all alike. The load average beside each figure says how busy the
machine was. Run on demand; never part of the test suite (tests/runtime/test_import_budget.py
pins what `segl check` imports instead).

    .venv/bin/python bench/startup.py [--runs 7] [--segl PATH_TO_SEGL]

`--segl` compares another installation (e.g. the main branch's venv) with the same files.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHOP = ROOT / "examples" / "shop" / "shop.seg"

COMMANDS = {
    "segl --help": ["--help"],
    "segl check (shop)": ["check", str(SHOP)],
    "segl check --no-data (shop)": ["check", "--no-data", str(SHOP)],
    "segl compile (shop)": ["compile", str(SHOP)],
    "segl ls (shop)": ["ls", str(SHOP)],
}


def compile_bytecode() -> None:
    """Write segl's bytecode (`__pycache__`) first, as an installation has it: where
    PYTHONDONTWRITEBYTECODE is set (this project's machine), every start would otherwise
    compile segl's modules from source, about 0.3 s that no user pays."""
    subprocess.run([sys.executable, "-m", "compileall", "-q",
                    *(str(ROOT / d) for d in ("segl", "grammar", "compiler", "runtime"))],
                   check=False, stdout=subprocess.DEVNULL)


def cpu_seconds(command: list[str]) -> float:
    """User + system CPU time of one command run as a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
                   cwd=ROOT)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--segl", default=str(Path(sys.executable).parent / "segl"))
    parser.add_argument("--source", action="store_true",
                        help="do not write bytecode first (measure compiling from source too)")
    args = parser.parse_args()
    if not args.source:
        compile_bytecode()
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    loads: list[float] = []
    for _ in range(args.runs):
        for name, arguments in COMMANDS.items():  # interleaved: A B C … A B C …
            times[name].append(cpu_seconds([args.segl, *arguments]))
        loads.append(os.getloadavg()[0])
    print(f"{args.segl}: median CPU of {args.runs} runs (load average "
          f"{min(loads):.1f}–{max(loads):.1f} on {os.cpu_count()} cores)")
    for name, values in times.items():
        print(f"  {name:<32} {statistics.median(values):6.3f} s   "
              f"(min {min(values):.3f}, max {max(values):.3f})")


if __name__ == "__main__":
    main()
