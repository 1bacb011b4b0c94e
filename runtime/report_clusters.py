"""The "Clusters" section of `segl report`: for every fitted `clusters` segmentation, each
cluster's size and share, the mean of every feature and the value of every KPI, each with
its index against everyone (runtime/cluster_profiles.py), so analysts can name the buckets.
Every name and value from the definitions or the data is escaped."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .report_charts import index_color
from .report_html import _anchor, _e, _section, _table, index_value, kpi_value, number

if TYPE_CHECKING:
    from .cluster_profiles import SegmentationProfile
    from .report import ReportData


def clusters_section(data: ReportData) -> tuple[str, str, str]:
    if not data.clusters:
        return "", "", ""
    blocks = [_block(data, found) for found in data.clusters]
    return _section("clusters", "Clusters",
                    "Each cluster of a <code>clusters</code> segmentation as assigned on this "
                    "date: the mean of every feature and every KPI, with its index against "
                    "everyone in a cluster (100 = average). Read them to name the buckets.",
                    "".join(blocks))


def _cell(value: str, raw: object, index: float | None, colour: bool = True) -> str:
    style = f' style="background:{index_color(index)}"' if colour and index is not None else ""
    return (f'<td class="num" data-value="{"" if raw is None else _e(raw)}" data-index="'
            f'{"" if index is None else f"{index:.6f}"}"{style}>{_e(value)} '
            f'<span class="index">{_e(index_value(index))}</span></td>')


def _block(data: ReportData, found: SegmentationProfile) -> str:
    model, spec = data.model, found.clusters
    kpis = list(model.kpis)
    groups = {g.name: g for g in data.kpis}
    overall = groups.get("all")
    head = ["cluster", "label", "entities", "share", *spec.feature_texts, *kpis]
    numeric = set(range(2, len(head)))
    buckets = {b.name: b for b in model.segmentations[found.name].buckets}
    rows = []
    for cluster in found.profiles:
        bucket = buckets.get(cluster.name)
        cells = [_cell("–" if mean != mean else f"{mean:,.2f}", mean, index)
                 for mean, index in zip(cluster.means, cluster.index, strict=True)]
        group = groups.get(f"{found.name}.{cluster.name}")
        for kpi in kpis:
            value = None if group is None else group.values[kpi]
            index = None if group is None else group.index[kpi]
            cells.append(_cell(kpi_value(value, model.kpis[kpi].format), value, index))
        rows.append(
            f'<tr data-bucket="{_e(found.name)}.{_e(cluster.name)}">'
            f'<th scope="row"><code>{_e(cluster.name)}</code></th>'
            f"<td>{_e(bucket.label or '') if bucket else ''}</td>"
            f'<td class="num" data-size="{cluster.size}">{number(cluster.size)}</td>'
            f'<td class="num">{cluster.share:.1%}</td>{"".join(cells)}</tr>')
    everyone = [f'<td class="num">{_e(f"{mean:,.2f}")}</td>' for mean in found.overall]
    everyone += [f'<td class="num">{_e(kpi_value(overall.values[k], model.kpis[k].format))}'
                 "</td>" if overall else '<td class="num">–</td>' for k in kpis]
    rows.append(f'<tr class="all"><th scope="row">everyone in a cluster</th><td></td>'
                f'<td class="num">{number(found.entities)}</td><td class="num">100.0%</td>'
                f'{"".join(everyone)}</tr>')
    fitted = spec.fit
    note = (f"k = {spec.k}, scaled {spec.scaling}, seed {spec.seed}, missing {spec.missing}"
            + ("" if fitted is None else "; centroids from the lock file")
            + ". KPI columns are over every member of the cluster; the last row's KPIs are "
              "over all entities.")
    label = model.segmentations[found.name].label
    return (f'<article class="block" id="{_anchor("clusters", found.name)}">'
            f"<h3><code>{_e(found.name)}</code>{_e(f' · {label}' if label else '')}</h3>"
            f"<p>{_e(note)}</p>"
            + _table(head, rows, numeric, f"Profile of the clusters of {found.name}",
                     "kpi clusters") + "</article>")
