"""`segl discover`: fit the `clusters` segmentations and write their lock file."""

from __future__ import annotations

from pathlib import Path

import click

from .console import note, show, table
from .context import as_of_flag, db_option, engine_option, param_option, resolve, target_option
from .exits import reporting


@click.command()
@click.argument("file", required=False, type=click.Path())
@as_of_flag()
@click.option("--k", "k_range", metavar="A..B",
              help="Also fit every k from A to B and print inertia and silhouette per k.")
@click.option("--sample", default=2000, show_default=True,
              help="Entities (a seeded sample) the silhouette is measured on.")
@click.option("--holdout", type=click.FloatRange(1, 50), metavar="PERCENT",
              help="Check each lookalike: hold out this share of its seed segment and count "
                   "how many of them rank in the top by similarity to the rest.")
@param_option
@db_option
@engine_option
@target_option
def discover(file, as_of, k_range, sample, holdout, params, database, engine, target):
    """Fit the clusters segmentations on the data and write their lock file.

    Also fits every lookalike's similarity (`top N% by similarity to SEGMENT on (…)`): the
    seed segment's centroid in z-scores."""
    from ..discover import discover as fit
    from ..discover import parse_k_range, write_lock_files

    with reporting():
        ctx = resolve(file, params, command="discover", as_of=as_of, database=database,
                      engine=engine, target=target)
        bounds = parse_k_range(k_range) if k_range else None
        discovery = fit(ctx.path, ctx.as_of, ctx.params, ctx.database, ctx.engine,
                        ctx.engine_options, bounds, max(sample, 2), holdout)
        for result in discovery.results:
            _show(result, discovery.as_of)
        for lookalike in discovery.lookalikes:
            _show_lookalike(lookalike, discovery.as_of)
        for path, changed in write_lock_files(discovery):
            note(f"{'wrote' if changed else 'unchanged:'} {Path(path).name}")
        if discovery.results:
            _show_kpis(ctx, [result.name for result in discovery.results])


def _show(result, as_of) -> None:
    spec = result.clusters
    if result.candidates:
        choices = table(("k", "right"), ("inertia", "right"), ("silhouette", "right"),
                        title=f"{result.name} · choosing k · silhouette on a sample")
        for candidate in result.candidates:
            marker = " (declared)" if candidate.k == spec.k else ""
            choices.add_row(f"{candidate.k}{marker}", f"{candidate.inertia:,.1f}",
                            f"{candidate.silhouette:.3f}")
        show(choices)
    left_out = f", {result.left_out:,} left out (a missing value)" if result.left_out else ""
    title = (f"{result.name} · {spec.k} clusters · as_of {as_of} · {result.entities:,} "
             f"entities{left_out} · inertia {result.inertia:,.1f} · silhouette "
             f"{result.silhouette:.3f}")
    columns = [("cluster", "left"), ("size", "right"), ("share", "right")]
    columns += [(f"{text} (index)", "right") for text in spec.feature_texts]
    profile = table(*columns, title=title)
    for cluster in result.profiles:
        cells = [f"{m:,.2f} ({'-' if i is None else f'{i:.0f}'})"
                 for m, i in zip(cluster.means, cluster.index, strict=True)]
        profile.add_row(cluster.name, f"{cluster.size:,}", f"{cluster.share:.1%}", *cells)
    profile.add_row("everyone", f"{result.entities:,}", "100.0%",
                    *(f"{m:,.2f} (100)" for m in result.overall))
    show(profile)


def _show_kpis(ctx, names: list[str]) -> None:
    """Every declared KPI per cluster with its index against everyone, assigned with the
    lock file just written (as `segl kpis` shows them): the other half of the profile."""
    from .. import api
    from ..kpi_formats import shown
    from ..kpis import kpi_table

    evaluation = api.evaluate(ctx.path, ctx.as_of, None, ctx.params, ctx.database, kpis=True,
                              engine=ctx.engine, engine_options=ctx.engine_options)
    model = evaluation.compilation.model
    kpis = list(model.kpis)
    if not kpis:
        return
    groups = kpi_table(evaluation, kpis, command="segl discover")
    for name in names:
        grid = table("cluster", ("members", "right"), *((k, "right") for k in kpis),
                     title=f"{name} · KPIs per cluster · value (index vs all = 100)")
        for group in [groups[0], *(g for g in groups if g.name.startswith(f"{name}."))]:
            cells = []
            for kpi in kpis:
                value, index = group.values[kpi], group.index[kpi]
                cell = shown(value, model.kpis[kpi].format)
                cells.append(cell if group.kind == "all" or index is None
                             else f"{cell} ({index:.0f})")
            label = "everyone" if group.kind == "all" else group.name.removeprefix(f"{name}.")
            grid.add_row(label, f"{group.size:,}", *cells)
        show(grid)


def _show_lookalike(lookalike, as_of) -> None:
    similarity = lookalike.similarity
    title = (f"{similarity.key} · as_of {as_of} · {lookalike.members:,} seed members of "
             f"{lookalike.entities:,} entities with every feature")
    profile = table("feature", ("seed members", "right"), ("everyone", "right"),
                    ("index", "right"), title=title)
    for text, seed, everyone in zip(similarity.feature_texts, lookalike.seed_means,
                                    lookalike.overall, strict=True):
        index = "-" if everyone == 0 else f"{100 * seed / everyone:.0f}"
        profile.add_row(text, f"{seed:,.2f}", f"{everyone:,.2f}", index)
    show(profile)
    if lookalike.holdout:
        first = lookalike.holdout[0]
        checks = table(("top", "right"), ("held-out members in it", "right"),
                       ("share", "right"), ("lift", "right"),
                       title=f"holdout: {first.held_out:,} seed members left out of the "
                             "centroid, ranked among the non-members")
        for check in lookalike.holdout:
            checks.add_row(f"{check.percent}%", f"{check.in_top:,}",
                           f"{check.in_top / check.held_out:.1%}", f"{check.lift:.1f}x")
        show(checks)
