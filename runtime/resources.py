"""Resource controls: how many threads, how much memory and which spill folder the queries
segl runs may use (`--threads`, `--memory-limit`, `--temp-dir`, or the same keys in
`segl.toml`). docs/engines.md says what each means on each engine.

DuckDB gets them through the configuration of every connection segl opens (`config=`:
`threads`, `memory_limit`, `temp_directory`; no SQL text). Polars reads
`POLARS_MAX_THREADS` once, when it starts: `use()` sets it while Polars is not imported yet
and warns when Polars already runs with another number. Values are untrusted input:
bad ones are usage errors. This module imports neither DuckDB nor Polars.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from .errors import UsageError

# a size as DuckDB's memory_limit reads it: a number and a unit, 1000s or 1024s
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|tb|kib|mib|gib|tib)\s*$", re.I)
_UNITS = {"b": "B", "kb": "KB", "mb": "MB", "gb": "GB", "tb": "TB", "kib": "KiB", "mib": "MiB",
          "gib": "GiB", "tib": "TiB"}
MAX_THREADS = 4096
# engines that run segl's query themselves and what of these settings reaches them
APPLIED = {"duckdb": ("threads", "memory_limit", "temp_dir"), "polars": ("threads",)}


@dataclass(frozen=True)
class Resources:
    """None: the engine's default."""

    threads: int | None = None
    memory_limit: str | None = None  # normalised: `256MB`, `1.5GiB`
    temp_dir: str | None = None

    def duckdb_config(self) -> dict[str, object]:
        """The settings as DuckDB's connection configuration."""
        config: dict[str, object] = {}
        if self.threads is not None:
            config["threads"] = self.threads
        if self.memory_limit is not None:
            config["memory_limit"] = self.memory_limit
        if self.temp_dir is not None:
            config["temp_directory"] = self.temp_dir
        return config

    def given(self) -> tuple[str, ...]:
        return tuple(name for name in ("threads", "memory_limit", "temp_dir")
                     if getattr(self, name) is not None)


def parse_threads(value: object, source: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not (isinstance(value, int) or (
            isinstance(value, str) and value.strip().isdigit())):
        raise UsageError(f"{source} expects a whole number of threads, got `{value}`")
    threads = int(value)
    if not 1 <= threads <= MAX_THREADS:
        raise UsageError(f"{source} expects 1 to {MAX_THREADS} threads, got {threads}")
    return threads


def parse_memory_limit(value: object, source: str) -> str | None:
    if value is None:
        return None
    match = _SIZE.match(value) if isinstance(value, str) else None
    if match is None:
        raise UsageError(f"{source} expects a size such as 256MB, 4GB or 1.5GiB, got "
                         f"`{value}`")
    amount, unit = match.groups()
    if float(amount) <= 0:
        raise UsageError(f"{source} must be more than 0, got `{value}`")
    return f"{amount}{_UNITS[unit.lower()]}"


def parse_temp_dir(value: object, source: str, root: Path | None = None) -> str | None:
    """A folder (created by the engine when it first spills); relative to `root`."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or "\0" in value:
        raise UsageError(f"{source} expects a folder, got `{value}`")
    path = Path(value).expanduser()
    if root is not None and not path.is_absolute():
        path = root / path
    if path.exists() and not path.is_dir():
        raise UsageError(f"{source}: `{value}` is a file, not a folder")
    return str(path)


_current = Resources()


def use(resources: Resources, engine: str = "duckdb") -> None:
    """The settings every connection segl opens from now on uses (one command, one
    process). Warns on stderr for settings the engine does not take."""
    global _current
    _current = resources
    if engine == "polars":
        from .engines.polars_memory import prepare_allocator
        prepare_allocator()  # its memory setting, read when Polars starts
    if resources.threads is not None and engine == "polars":
        _polars_threads(resources.threads)
    ignored = [name for name in resources.given() if name not in APPLIED.get(engine, ())]
    if ignored:
        names = ", ".join("--" + name.replace("_", "-") for name in ignored)
        sys.stderr.write(f"warning: {names} not applied to the {engine} engine (only to "
                         "the DuckDB connection that receives its members; docs/engines.md)"
                         "\n")


def current() -> Resources:
    return _current


def _polars_threads(threads: int) -> None:
    if "polars" not in sys.modules:
        os.environ["POLARS_MAX_THREADS"] = str(threads)
        return
    import polars

    running = polars.thread_pool_size()
    if running != threads:
        sys.stderr.write(f"warning: Polars already runs with {running} threads: --threads "
                         "applies to DuckDB only (set POLARS_MAX_THREADS before segl starts)\n")
