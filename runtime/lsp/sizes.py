"""Segment and bucket sizes for hover: the project evaluated at its `as_of`, computed the
first time a size is asked for, in a worker thread, and kept until a loaded text changes.

Only a project with a `segl.toml` has sizes: that file says which as_of, parameters and
database `segl run` uses, so the size shown is the size `segl run` prints.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from dataclasses import dataclass, field
from datetime import date

from segl.compiler.api import CompileError

from .. import api
from ..engines import duckdb as duckdb_engine
from ..errors import DataError, UsageError
from .workspace import Analysis


@dataclass(frozen=True)
class Sizes:
    as_of: date
    entity: str
    entities: int
    segments: dict[str, int] = field(default_factory=dict)
    buckets: dict[str, dict[str, int]] = field(default_factory=dict)
    problem: str | None = None  # why there are no sizes


class SizeCache:
    def __init__(self) -> None:
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=1,
                                                           thread_name_prefix="segl-sizes")
        self._jobs: dict[tuple, concurrent.futures.Future[Sizes]] = {}

    async def get(self, analysis: Analysis, wait: float) -> Sizes | None:
        """The sizes for this compilation, waiting at most `wait` seconds for them (None:
        not ready yet, or the project has no segl.toml or does not compile)."""
        project = analysis.project
        if project.root is None or not analysis.compilation.ok:
            return None
        key = (analysis.entry, analysis.digest(), project.as_of, tuple(project.params.items()),
               project.database)
        job = self._jobs.get(key)
        if job is None:
            self._jobs = {k: v for k, v in self._jobs.items() if k[0] != analysis.entry}
            job = self._jobs[key] = self._pool.submit(_evaluate, analysis)
        try:
            return await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(job)), wait)
        except TimeoutError:
            return None

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _evaluate(analysis: Analysis) -> Sizes:
    project = analysis.project
    when = project.as_of if project.as_of not in ("today", "param") else None
    model = analysis.compilation.model
    try:
        # read-only, like the server's own connection: DuckDB shares one open database
        # within a process only when both connections open it alike
        connection = duckdb_engine.connect(project.database, read_only=True)
        evaluation = api.evaluate(analysis.entry, when, None, project.params, project.database,
                                  connection, compilation=analysis.compilation)
    except (CompileError, DataError, UsageError) as exc:
        return Sizes(date.today(), model.entity.name if model else "", 0,
                     problem=str(exc).splitlines()[0])
    except Exception as exc:  # a database error: hover shows it rather than failing
        return Sizes(date.today(), model.entity.name if model else "", 0,
                     problem=f"{type(exc).__name__}: {str(exc).splitlines()[0]}")
    try:
        return Sizes(evaluation.as_of, model.entity.name, evaluation.entities,
                     dict(evaluation.sizes), evaluation.buckets)
    finally:
        evaluation.connection.close()
