"""The mutation fuzzer's loop, for the suite and for the long run.

    nice .venv/bin/python -m tests.fuzz.run --inputs 100000 --seed 1 [--crashes DIR] [--progress N]

prints inputs, wall time, and every distinct crash (exception type and the innermost segl
frame) with a reproducer written to DIR; exit 1 when anything crashed.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

from tests.fuzz.harness import exercise, repository_seg_files
from tests.fuzz.mutate import mutants


def corpus() -> list[tuple[str, bytes]]:
    return [(str(path), path.read_bytes()) for path in repository_seg_files()]


def signature(exc: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/tests/" not in f.filename]
    where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"
    return f"{type(exc).__name__} at {where}"


def fuzz(inputs: int, seed: int, crashes: Path | None = None,
         stream=sys.stdout, progress: int = 0) -> Counter[str]:
    """Run `inputs` mutants; the count of each crash signature (empty: no crash). With
    `progress`, a line every `progress` inputs; interrupted (SIGINT), it stops there."""
    found: Counter[str] = Counter()
    seen: set[bytes] = set()
    generator = mutants(corpus(), random.Random(seed))
    started = time.monotonic()
    for index in range(inputs):
        if progress and index and index % progress == 0:
            print(f"{index} inputs, {sum(found.values())} tracebacks, "
                  f"{time.monotonic() - started:.0f} s", file=stream, flush=True)
        path, data, applied = next(generator)
        if data in seen:  # a mutant met before (a deletion of the same token) runs once
            continue
        if len(seen) < 200_000:
            seen.add(data)
        try:
            exercise(data, path)
        except RecursionError as exc:  # (also a BaseException subclass we want to count)
            _record(found, exc, index, path, data, applied, crashes, stream)
        except Exception as exc:
            _record(found, exc, index, path, data, applied, crashes, stream)
    return found


def _record(found, exc, index, path, data, applied, crashes, stream) -> None:
    key = signature(exc)
    found[key] += 1
    if found[key] == 1:
        print(f"crash #{index} ({applied} of {path}): {key}: {str(exc)[:200]}", file=stream)
        if crashes is not None:
            crashes.mkdir(parents=True, exist_ok=True)
            (crashes / f"crash-{index}.seg").write_bytes(data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--inputs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--crashes", type=Path, default=None)
    parser.add_argument("--progress", type=int, default=0, help="a line every N inputs")
    args = parser.parse_args(argv)
    started = time.monotonic()
    found = fuzz(args.inputs, args.seed, args.crashes, progress=args.progress)
    elapsed = time.monotonic() - started
    print(f"{args.inputs} inputs (seed {args.seed}) in {elapsed:.0f} s: "
          f"{sum(found.values())} tracebacks, {len(found)} distinct")
    for key, count in found.most_common():
        print(f"  {count:6d}  {key}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
