"""`segl discover`: fit the `clusters` segmentations and write their lock file."""

from __future__ import annotations

from pathlib import Path

import click

from .console import note
from .context import (
    as_of_flag,
    db_option,
    engine_option,
    format_option,
    out_option,
    param_option,
    resolve,
    resources_options,
    target_option,
)
from .exits import reporting
from .tables import Column, Grid, Output, emit, output_format


@click.command()
@click.argument("file", required=False, type=click.Path())
@as_of_flag()
@format_option
@out_option
@click.option("--k", "k_range", metavar="A..B",
              help="Also fit every k from A to B and print inertia and silhouette per k "
                   "(default: only the declared k).")
@click.option("--sample", default=2000, show_default=True,
              help="Entities (a seeded sample) the silhouette is measured on.")
@click.option("--holdout", type=click.FloatRange(1, 50), metavar="PERCENT",
              help="Check each lookalike: hold out this share of its seed segment and count "
                   "how many of them rank in the top by similarity to the rest (1 to 50; "
                   "default: no check).")
@param_option
@db_option
@engine_option
@target_option
@resources_options
def discover(file, as_of, fmt, out_path, k_range, sample, holdout, params, database, engine, target,
             threads, memory_limit, temp_dir):
    """Fit the clusters segmentations on the data and write their lock file.

    Also fits every lookalike's similarity (`top N% by similarity to SEGMENT on (…)`): the
    seed segment's centroid in z-scores. Prints each fit as tables, or with --format/--out
    as csv (the clusters' profiles, one row per cluster and feature), json or markdown."""
    from ..discover import discover as fit
    from ..discover import parse_k_range, write_lock_files

    with reporting():
        fmt = output_format(fmt, out_path)
        ctx = resolve(file, params, command="discover", as_of=as_of, database=database,
                      engine=engine, target=target, limits=(threads, memory_limit, temp_dir))
        bounds = parse_k_range(k_range) if k_range else None
        discovery = fit(ctx.path, ctx.as_of, ctx.params, ctx.database, ctx.engine,
                        ctx.engine_options, bounds, max(sample, 2), holdout)
        emit(discovery_output(discovery), fmt, out_path)
        for path, changed in write_lock_files(discovery):
            note(f"{'wrote' if changed else 'unchanged:'} {Path(path).name}")
        if discovery.results and fmt == "table" and not out_path:
            grids = kpi_grids(ctx, [result.name for result in discovery.results])
            if grids:
                emit(Output(grids), fmt, None)


def kpi_grids(ctx, names: list[str]) -> list[Grid]:
    """Every declared KPI per cluster with its index against everyone, assigned with the
    lock file just written (as `segl kpis` computes them): the other half of the profile."""
    from .. import api
    from ..kpi_formats import shown
    from ..kpis import kpi_table

    evaluation = api.evaluate(ctx.path, ctx.as_of, None, ctx.params, ctx.database, kpis=True,
                              engine=ctx.engine, engine_options=ctx.engine_options)
    model = evaluation.compilation.model
    kpis = list(model.kpis)
    if not kpis:
        return []
    groups = kpi_table(evaluation, kpis, command="segl discover")
    grids = []
    for name in names:
        grid = Grid("", [Column("cluster"), Column("members", numeric=True),
                         *(Column(k, numeric=True) for k in kpis)],
                    title=f"{name} · KPIs per cluster · value (index vs all = 100)",
                    exported=False)
        for group in [groups[0], *(g for g in groups if g.name.startswith(f"{name}."))]:
            cells = []
            for kpi in kpis:
                value, index = group.values[kpi], group.index[kpi]
                cell = shown(value, model.kpis[kpi].format)
                if group.kind != "all" and index is not None:
                    cell += f" ({index:.0f})"
                cells.append((None, cell))
            label = "everyone" if group.kind == "all" else group.name.removeprefix(f"{name}.")
            grid.add(label, (None, f"{group.size:,}"), *cells)
        grids.append(grid)
    return grids


def discovery_output(discovery) -> Output:
    """Each clusters segmentation: the k candidates (with --k) and a profile of its clusters
    (size, share, each feature's mean and index); each lookalike: its seed's feature means,
    and the holdout check. Table and markdown print them as tables of their own; CSV is the
    clusters' profiles in long form (one row per cluster and feature), JSON all of it."""
    as_of = discovery.as_of
    long = Grid("clusters", [Column("segmentation"), Column("cluster"),
                             Column("size", numeric=True), Column("share", numeric=True),
                             Column("feature"), Column("mean", numeric=True),
                             Column("index", numeric=True)], displayed=False)
    choices = Grid("candidates", [Column("segmentation"), Column("k", numeric=True),
                                  Column("inertia", numeric=True),
                                  Column("silhouette", numeric=True),
                                  Column("declared")], displayed=False)
    seeds = Grid("lookalikes", [Column("lookalike"), Column("feature"),
                                Column("seed_mean", numeric=True),
                                Column("everyone_mean", numeric=True),
                                Column("index", numeric=True)], displayed=False)
    checks = Grid("holdout", [Column("lookalike"), Column("top_percent", numeric=True),
                              Column("held_out", numeric=True), Column("in_top", numeric=True),
                              Column("lift", numeric=True)], displayed=False)
    shown: list[Grid] = []
    for result in discovery.results:
        shown += _clusters(result, as_of, long, choices)
    for lookalike in discovery.lookalikes:
        shown += _lookalike(lookalike, as_of, seeds, checks)
    return Output([long, choices, seeds, checks, *shown], facts={"as_of": as_of})


def _clusters(result, as_of, long: Grid, choices: Grid) -> list[Grid]:
    spec = result.clusters
    grids = []
    if result.candidates:
        table = Grid("", [Column("k", numeric=True), Column("inertia", numeric=True),
                          Column("silhouette", numeric=True)],
                     title=f"{result.name} · choosing k · silhouette on a sample",
                     exported=False)
        for candidate in result.candidates:
            marker = " (declared)" if candidate.k == spec.k else ""
            table.add((None, f"{candidate.k}{marker}"), (None, f"{candidate.inertia:,.1f}"),
                      (None, f"{candidate.silhouette:.3f}"))
            choices.add(result.name, candidate.k, candidate.inertia, candidate.silhouette,
                        candidate.k == spec.k)
        grids.append(table)
    left_out = f", {result.left_out:,} left out (a missing value)" if result.left_out else ""
    profile = Grid("", [Column("cluster"), Column("size", numeric=True),
                        Column("share", numeric=True),
                        *(Column(f"{text} (index)", numeric=True)
                          for text in spec.feature_texts)],
                   title=f"{result.name} · {spec.k} clusters · as_of {as_of} · "
                         f"{result.entities:,} entities{left_out} · inertia "
                         f"{result.inertia:,.1f} · silhouette {result.silhouette:.3f}",
                   exported=False)
    for cluster in result.profiles:
        cells = [(None, f"{m:,.2f} ({'-' if i is None else f'{i:.0f}'})")
                 for m, i in zip(cluster.means, cluster.index, strict=True)]
        profile.add(cluster.name, (None, f"{cluster.size:,}"), (None, f"{cluster.share:.1%}"),
                    *cells)
        for text, mean, index in zip(spec.feature_texts, cluster.means, cluster.index,
                                     strict=True):
            long.add(result.name, cluster.name, cluster.size, cluster.share, text, mean, index)
    profile.add("everyone", (None, f"{result.entities:,}"), (None, "100.0%"),
                *((None, f"{m:,.2f} (100)") for m in result.overall))
    for text, mean in zip(spec.feature_texts, result.overall, strict=True):
        long.add(result.name, "everyone", result.entities, 1.0, text, mean, 100.0)
    return [*grids, profile]


def _lookalike(lookalike, as_of, seeds: Grid, checks: Grid) -> list[Grid]:
    similarity = lookalike.similarity
    profile = Grid("", [Column("feature"), Column("seed members", numeric=True),
                        Column("everyone", numeric=True), Column("index", numeric=True)],
                   title=f"{similarity.key} · as_of {as_of} · {lookalike.members:,} seed "
                         f"members of {lookalike.entities:,} entities with every feature",
                   exported=False)
    for text, seed, everyone in zip(similarity.feature_texts, lookalike.seed_means,
                                    lookalike.overall, strict=True):
        index = None if everyone == 0 else 100 * seed / everyone
        profile.add(text, (None, f"{seed:,.2f}"), (None, f"{everyone:,.2f}"),
                    (None, "-" if index is None else f"{index:.0f}"))
        seeds.add(similarity.key, text, seed, everyone, index)
    grids = [profile]
    if lookalike.holdout:
        first = lookalike.holdout[0]
        table = Grid("", [Column("top", numeric=True),
                          Column("held-out members in it", numeric=True),
                          Column("share", numeric=True), Column("lift", numeric=True)],
                     title=f"holdout: {first.held_out:,} seed members left out of the "
                           "centroid, ranked among the non-members", exported=False)
        for check in lookalike.holdout:
            table.add((None, f"{check.percent}%"), (None, f"{check.in_top:,}"),
                      (None, f"{check.in_top / check.held_out:.1%}"),
                      (None, f"{check.lift:.1f}x"))
            checks.add(similarity.key, check.percent, check.held_out, check.in_top, check.lift)
        grids.append(table)
    return grids
