"""Start-up cost of `segl` commands (issue 15 item 5): the CPU time (user + system) of each
command as a fresh process, the median of several runs, the commands interleaved so that
a noisy neighbour weighs on all alike, and the share of the machine other processes used
meanwhile (bench/cpu_share.py). Run on demand; never part of the test suite
(tests/runtime/test_import_budget.py pins what `segl check` imports instead).

`segl check` is measured twice: as a user's second check runs it, with the data's facts kept
by the warm-up run (runtime/data_facts.py), and with them bypassed (`SEGL_NO_DATA_CACHE=1`),
reading every source through DuckDB as a first check does.

    .venv/bin/python bench/startup.py [--runs 7] [--segl PATH_TO_SEGL ...]

`--segl` (repeatable) compares installations with the same files, interleaved (A B A B):
e.g. a wrapper running another checkout's code (bench/README.md shows one).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cpu_share import other_share, snapshot

ROOT = Path(__file__).resolve().parent.parent
SHOP = ROOT / "examples" / "shop" / "shop.seg"

# The commands run with the data facts cache bypassed (runtime/data_facts.py): the
# environment variable, which an installation without the cache ignores.
UNCACHED = {"segl check, no data facts kept (shop)"}

COMMANDS = {
    "segl --help": ["--help"],
    "segl check (shop)": ["check", str(SHOP)],
    "segl check, no data facts kept (shop)": ["check", str(SHOP)],
    "segl check --no-data (shop)": ["check", "--no-data", str(SHOP)],
    "segl compile (shop)": ["compile", str(SHOP)],
    "segl ls (shop)": ["ls", str(SHOP)],
    "segl lint (shop)": ["lint", str(SHOP)],
    "segl fmt --check (shop)": ["fmt", "--check", str(SHOP)],
}


def compile_bytecode() -> None:
    """Write segl's bytecode (`__pycache__`) first, as an installation has it: where
    PYTHONDONTWRITEBYTECODE is set (this project's machine), every start would otherwise
    compile segl's modules from source, about 0.3 s that no user pays."""
    subprocess.run([sys.executable, "-m", "compileall", "-q",
                    *(str(ROOT / d) for d in ("segl", "grammar", "compiler", "runtime"))],
                   check=False, stdout=subprocess.DEVNULL)


def cpu_seconds(command: list[str], uncached: bool = False) -> tuple[float, float | None]:
    """User + system CPU time of one command run as a fresh process, and the share of the
    machine (percent) other processes used while it ran."""
    env = {**os.environ, "SEGL_NO_DATA_CACHE": "1"} if uncached else None
    before = snapshot(resource.RUSAGE_CHILDREN)
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
                   cwd=ROOT, env=env)
    after = snapshot(resource.RUSAGE_CHILDREN)
    return after.own - before.own, other_share(before, after)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--segl", action="append",
                        help="a segl executable (repeatable; default: this venv's)")
    parser.add_argument("--source", action="store_true",
                        help="do not write bytecode first (measure compiling from source too)")
    args = parser.parse_args()
    installs = args.segl or [str(Path(sys.executable).parent / "segl")]
    if not args.source:
        compile_bytecode()
    for install in installs:  # a first run of each writes its caches (the built grammar,
        # the dataclass code, the data facts)
        subprocess.run([install, "check", str(SHOP)], capture_output=True, check=False,
                       cwd=ROOT)
    times = {(i, name): [] for i in installs for name in COMMANDS}
    shares: list[float] = []
    loads: list[float] = []
    for _ in range(args.runs):
        for name, arguments in COMMANDS.items():  # interleaved: A B C … A B C …
            for install in installs:
                seconds, share = cpu_seconds([install, *arguments], name in UNCACHED)
                times[(install, name)].append(seconds)
                if share is not None:
                    shares.append(share)
        loads.append(os.getloadavg()[0])
    other = f", other processes {statistics.median(shares):.0f}% of the machine (median)" \
        if shares else ""
    print(f"median CPU of {args.runs} runs, interleaved (load average "
          f"{min(loads):.1f}–{max(loads):.1f} on {os.cpu_count()} cores{other})")
    for install in installs:
        print(f"{install}:")
        for name in COMMANDS:
            values = times[(install, name)]
            print(f"  {name:<38} {statistics.median(values):6.3f} s   "
                  f"(min {min(values):.3f}, max {max(values):.3f})")


if __name__ == "__main__":
    main()
