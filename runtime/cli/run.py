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


@click.command()
@click.argument("file", required=False, type=click.Path())
@dates_flags
@click.option("--segment", "-s", "segments", multiple=True,
              help="Only these segments (or segmentations).")
@out_flag("Write members to this file; `-` writes them to stdout.")
@click.option("--format", "fmt", type=click.Choice(["table", *FORMATS]),
              help="Output format (default: from --out's extension, csv for `--out -`; "
                   "`table` prints members). csv, parquet or json without --out write the "
                   "members to stdout.")
@click.option("--shape", type=click.Choice(["long", "wide"]), default="long",
              help="long: one row per (key, segment); wide: key + one column per segment.")
@click.option("--traits", "traits", multiple=True, metavar="NAME,…|all",
              help="Add these features' values (typed) to the members: comma-separated "
                   "names, or `all`.")
@click.option("--limit", default=20, show_default=True, help="Rows printed by --format table.")
@param_option
@db_option
@engine_option
@target_option
@resources_options
def run(file, as_of, every, segments, out_path, fmt, shape, traits, limit, params, database,
        engine, target, threads, memory_limit, temp_dir):
    """Evaluate segments (on DuckDB, or --engine E) and write their members."""
    from segl.compiler.api import member_outputs, require_allowed, trait_outputs

    from .. import api
    from ..expectations import check_expectations
    from ..outputs import format_for, write_atomically

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
        if days:
            print_date_sizes(evaluation, sys.stderr if to_stdout else None)
        else:
            print_sizes(evaluation, sys.stderr if to_stdout else None)
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


def print_sizes(evaluation: Evaluation, stream=None) -> None:
    """The sizes of the segments and buckets, on stdout (or `stream`)."""
    out = console(stream)
    model = evaluation.compilation.model
    sizes = table("segment", "label", ("members", "right"), ("share", "right"),
                  title=f"{evaluation.compilation.path} · as_of {evaluation.as_of} · "
                        f"{evaluation.entities:,} {model.entity.name} entities")
    for name in evaluation.segments:
        size = evaluation.sizes[name]
        share = size / evaluation.entities if evaluation.entities else 0.0
        sizes.add_row(name, model.segments[name].label or "", f"{size:,}", f"{share:.1%}")
    if evaluation.segments:
        out.print(sizes)
    for name in evaluation.segmentations:
        segmentation = model.segmentations[name]
        title = f"segmentation {name}" + (f" · {segmentation.label}" if segmentation.label else "")
        buckets = table("bucket", "label", ("entities", "right"), ("share", "right"),
                        title=title)
        for bucket in segmentation.buckets:
            size = evaluation.buckets[name].get(bucket.name, 0)
            share = size / evaluation.entities if evaluation.entities else 0.0
            buckets.add_row(bucket.name, bucket.label or "", f"{size:,}", f"{share:.1%}")
        out.print(buckets)


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
