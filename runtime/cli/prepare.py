"""`segl prepare [FILE] [--clear]`: the data's layout for fast runs (runtime/prepared.py)."""

from __future__ import annotations

import os

import click

from .context import param_option, parse_params, resources_options, single_file, use_resources
from .exits import reporting


@click.command()
@click.argument("file", required=False)
@click.option("--clear", is_flag=True,
              help="Remove the prepared layout instead (runs read the sources as declared).")
@click.option("--rebuild", is_flag=True,
              help="Rebuild the daily rollups instead of adding only appended files.")
@param_option
@resources_options
def prepare(file, clear, rebuild, params, threads, memory_limit, temp_dir):
    """Store the events tables sorted by entity key and time, for faster runs.

    Each events table read from Parquet or CSV files is written once as Parquet sorted by
    its entity key (or the key it reaches the entity through), then by time, in row groups
    sized for the engine's threads, to `.segl-prepared/` beside segl.toml (else beside
    FILE). `run`, `kpis`, `report` and the other commands that evaluate on DuckDB read it
    while the source files are unchanged (same size and modification time), and the
    sources as declared otherwise. Running it again rewrites only the tables whose files
    changed; writes are atomic.

    It also stores a daily rollup per events table (a table reached through another per
    the entity it reaches): the partial counts, sums, minima and maxima the measures need
    per entity and day, which runs add up instead of reading that table's events. When a
    table's glob only gained files, only the new rows are rolled up (--rebuild: all of
    them)."""
    from .. import prepared, prepared_rollup
    from ..api import load
    from .console import count, note

    with reporting():
        path, project = single_file(file)
        if clear:
            removed = prepared.clear(path)
            note(f"removed {prepared.folder_for(path)}" if removed
                 else "no prepared layout to remove")
            return
        chosen = use_resources(project, (threads, memory_limit, temp_dir))
        compilation, connection = load(path, parse_params(params, project), project.database)
        model = compilation.require_ok()
        done = prepared.prepare(model, path, connection,
                                chosen.threads or os.cpu_count() or 1)
        rolled = prepared_rollup.prepare_rollups(model, path, connection, rebuild)
        connection.close()
        for item in rolled:
            if item.how == "unused":
                note(f"rollup of {item.name}: {item.rows:,} rows, not under half of the "
                     "table's: runs read the table")
                continue
            note(f"rollup of {item.name}: {item.how}, {count(item.parts, 'part')}"
                 + (f", {item.rows:,} new rows" if item.how != "kept" else "")
                 + ("; its daily rows over half the table's: runs read its compacted layer"
                    if item.read == "compacted" else ""))
        if not done:
            note("nothing to prepare: no events table is read from Parquet or CSV files")
            return
        for item in done:
            how = "kept (sources unchanged)" if item.reused else "wrote"
            note(f"{item.table}: {how} {os.path.relpath(item.path)}: {item.rows:,} rows "
                 f"ordered by {', '.join(item.order)}, row groups of {item.row_group_size:,}")
        note(f"prepared {count(len(done), 'table')} in {prepared.folder_for(path)}")
