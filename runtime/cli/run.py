"""`segl run`: evaluate segments on an engine; print sizes, members, or write them."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

import click

from ..errors import UsageError
from ..outputs import FORMATS
from .console import console, note, status, table
from .context import (
    TABLE_FORMATS,
    db_option,
    engine_option,
    out_flag,
    param_option,
    resolve,
    resources_options,
    target_option,
)
from .exits import reporting
from .run_dates import dates_flags, many_dates, print_date_sizes

if TYPE_CHECKING:
    from ..api import Evaluation
    from .tables import Output


@click.command()
@click.argument("file", required=False, type=click.Path())
@dates_flags
@click.option("--segment", "-s", "segments", multiple=True, metavar="NAME",
              help="Only these segments (or segmentations; repeatable; default: all).")
@out_flag("Write the members to this file, atomically; `-` writes them to stdout "
          "(default: print the sizes only).")
@click.option("--format", "fmt", type=click.Choice(["table", *FORMATS]),
              help="Output format (default: from --out's extension, csv for `--out -`; "
                   "`table` prints members). csv, parquet or json without --out write the "
                   "members to stdout.")
@click.option("--shape", type=click.Choice(["long", "wide"]), default="long", show_default=True,
              help="long: one row per (key, segment); wide: key + one column per segment.")
@click.option("--traits", "traits", multiple=True, metavar="NAME,…|all",
              help="Add these features' values (typed) to the members: comma-separated "
                   "names, or `all` (default: none).")
@click.option("--limit", default=20, show_default=True,
              help="Rows of members printed by --format table.")
@click.option("--sizes-format", "sizes_fmt", type=click.Choice(TABLE_FORMATS),
              help="The sizes as table (for people), csv, json or markdown (default: from "
                   "--sizes-out's extension .csv/.json/.md/.txt, else table; CSV for `-`).")
@click.option("--sizes-out", "sizes_out", type=click.Path(), metavar="PATH",
              help="Write the sizes to this file (atomically) instead of the terminal; `-` "
                   "is stdout (default: stdout, or stderr when the members go to stdout).")
@param_option
@db_option
@engine_option
@target_option
@resources_options
def run(file, as_of, every, segments, out_path, fmt, shape, traits, limit, sizes_fmt, sizes_out,
        params, database, engine, target, threads, memory_limit, temp_dir):
    """Evaluate segments (on DuckDB, or --engine E) and write their members."""
    from segl.compiler.api import member_outputs, require_allowed, trait_outputs

    from .. import api
    from ..expectations import check_expectations
    from ..outputs import format_for, write_atomically
    from .tables import emit, output_format

    with reporting():
        days = many_dates(as_of, every, api.today())
        ctx = resolve(file, params, command="run", as_of=None if days else
                      (as_of[0] if as_of else None), database=database,
                      engine=engine, target=target,
                      limits=(threads, memory_limit, temp_dir))
        if out_path == "-":  # stdout, as csv unless --format says otherwise
            out_path, fmt = None, fmt or "csv"
        to_stdout = fmt in FORMATS and not out_path
        if to_stdout and fmt == "parquet" and sys.stdout.isatty():
            raise UsageError("Parquet is binary: write it to a file (--out FILE) or pipe it")
        if out_path:
            try:
                fmt = format_for(out_path, fmt)
            except ValueError as exc:
                raise UsageError(str(exc)) from None
        sizes_fmt = output_format(sizes_fmt, sizes_out)
        if sizes_out == "-" and (to_stdout or (fmt == "table" and not out_path)):
            raise UsageError("the members go to stdout: write the sizes to a file "
                             "(--sizes-out FILE), or the members (--out FILE)")
        # members printed as a table after sizes in another format: the sizes to stderr
        sizes_on_stdout_too = fmt == "table" and not out_path and sizes_fmt != "table"
        names = trait_names(traits)
        if shape == "long" and "segment" in names:
            raise UsageError("a feature called `segment` cannot be a column of the long shape, "
                             "which has a `segment` column: use --shape wide")
        with status("Compiling and reading sources…") as progress:
            progress.update("Evaluating segments…")
            if days:  # many dates in one pass
                from ..multi_date import evaluate_dates

                evaluation = evaluate_dates(ctx.path, days, list(segments), ctx.params,
                                            ctx.database, engine=ctx.engine,
                                            engine_options=ctx.engine_options, traits=names)
            else:
                evaluation = api.evaluate(ctx.path, ctx.as_of, list(segments), ctx.params,
                                          ctx.database, engine=ctx.engine,
                                          engine_options=ctx.engine_options, traits=names)
            if out_path or fmt in ("table", *FORMATS):
                model = evaluation.compilation.model
                command = "segl run --out" if out_path else f"segl run --format {fmt}"
                require_allowed(model, [*member_outputs(
                    model, [*evaluation.segments, *evaluation.segmentations], command,
                    "or write the others only: `segl run --segment NAME …`"),
                    *trait_outputs(model, evaluation.traits, f"{command} --traits",
                                   "or leave this feature out of --traits")])
            if out_path:
                progress.update(f"Writing {out_path}…")
                write_atomically(evaluation.connection, evaluation_query(evaluation, shape),
                                 out_path, fmt)
        if to_stdout:  # the members alone on stdout, so that they pipe; the sizes on stderr
            write_members_to_stdout(evaluation, shape, fmt)
        if days:  # (sizes per date: printed as tables)
            print_date_sizes(evaluation, sys.stderr if to_stdout or sizes_on_stdout_too
                             else None)
        else:
            emit(sizes_output(evaluation), sizes_fmt, sizes_out,
                 sys.stderr if to_stdout or sizes_on_stdout_too else None)
        for outcome in ([] if days else check_expectations(evaluation)):
            if not outcome.passed:
                sys.stderr.write(f"warning: expectation failed: {outcome.message()}\n")
        if fmt == "table" and not out_path:
            print_members(evaluation, shape, limit)
        if out_path:
            note(f"wrote {out_path} ({fmt}, {shape})")


def trait_names(values: tuple[str, ...]) -> list[str]:
    """`--traits a,b --traits c` → [a, b, c] (`all` stays, the compiler expands it)."""
    names = [name.strip() for value in values for name in value.split(",")]
    if any(not name for name in names):
        raise UsageError("--traits takes feature names separated by commas, or `all`")
    return list(dict.fromkeys(names))


def evaluation_query(evaluation: Evaluation, shape: str):
    from ..outputs import members_query

    return members_query(evaluation.table, evaluation.key, evaluation.segments, shape,
                         evaluation.segmentations, evaluation.scores, evaluation.traits,
                         dated=hasattr(evaluation, "dates"))


def write_members_to_stdout(evaluation: Evaluation, shape: str, fmt: str) -> None:
    from ..outputs import write_to_stream

    try:
        write_to_stream(evaluation.connection, evaluation_query(evaluation, shape), fmt,
                        sys.stdout.buffer)
    except BrokenPipeError:  # the reader stopped early (`| head`): not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # no second error when Python flushes at exit


def sizes_output(evaluation: Evaluation) -> Output:
    """The sizes of the segments and buckets: a table each (as `segl run` always printed
    them), and for CSV and JSON one long grid (`segment`, `bucket`, `label`, `members`,
    `share`; the bucket empty for a segment)."""
    from .tables import Column, Grid, Output

    model = evaluation.compilation.model
    total = evaluation.entities

    def counted(size: int) -> tuple[tuple[object, str], tuple[object, str]]:
        share = size / total if total else 0.0
        return (size, f"{size:,}"), (share, f"{share:.1%}")

    data = Grid("sizes", [Column("segment"), Column("bucket"), Column("label"),
                          Column("members", numeric=True), Column("share", numeric=True)],
                displayed=False)
    segments = Grid("segments", [Column("segment"), Column("label"),
                                 Column("members", numeric=True),
                                 Column("share", numeric=True)],
                    title=f"{evaluation.compilation.path} · as_of {evaluation.as_of} · "
                          f"{total:,} {model.entity.name} entities", exported=False)
    for name in evaluation.segments:
        label = model.segments[name].label or ""
        segments.add(name, label, *counted(evaluation.sizes[name]))
        data.add(name, None, label, *counted(evaluation.sizes[name]))
    grids = [data, segments] if evaluation.segments else [data]
    for name in evaluation.segmentations:
        segmentation = model.segmentations[name]
        buckets = Grid(name, [Column("bucket"), Column("label"),
                              Column("entities", numeric=True), Column("share", numeric=True)],
                       title=f"segmentation {name}" + (f" · {segmentation.label}"
                                                       if segmentation.label else ""),
                       exported=False)
        for bucket in segmentation.buckets:
            size = evaluation.buckets[name].get(bucket.name, 0)
            buckets.add(bucket.name, bucket.label or "", *counted(size))
            data.add(name, bucket.name, bucket.label or "", *counted(size))
        grids.append(buckets)
    return Output(grids, facts={"file": str(evaluation.compilation.path),
                                "as_of": evaluation.as_of, "entity": model.entity.name,
                                "entities": total})


def print_members(evaluation: Evaluation, shape: str, limit: int) -> None:
    from sqlglot import exp

    from .. import sql

    query = evaluation_query(evaluation, shape)
    connection = evaluation.connection
    total = sql.fetch_one(connection, sql.select(sql.count_all(),
                                                 source=sql.subquery(query.copy())))[0]
    cursor = sql.execute(connection, sql.select(exp.Star(), source=sql.subquery(query))
                         .limit(int(limit), copy=False))
    rows = cursor.fetchall()
    members = table(*(d[0] for d in cursor.description), title="members")
    for row in rows:
        members.add_row(*("" if v is None else str(v) for v in row))
    out = console()
    out.print(members)
    if total > limit:
        out.print(f"… {total - limit:,} more rows; write them all with --out FILE")
