"""What the notebook API returns: a run's result, a KPI table, a funnel, a persona. Each
holds Polars DataFrames and renders itself in Jupyter (`_repr_html_`, escaped). Personal
values follow the privacy rules (docs/privacy.md): counts need no allow; members, KPI values
and profile values are asked for through the same checks as the commands that print them."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING

from . import html

if TYPE_CHECKING:
    import polars as pl

    from ..api import Evaluation
    from ..explain import Funnel
    from ..kpi_formats import Display
    from ..kpis import GroupKpis
    from ..personas import PersonaReport


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float, Decimal)) and \
        not isinstance(value, bool) else None


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


class Result:
    """One evaluation (`Project.run`): `sizes` now; `members` (one row per key and segment,
    as `segl run --format csv`) and `wide` (the key and one column per segment) when read,
    after the privacy check of `segl run --format`."""

    def __init__(self, evaluation: Evaluation) -> None:
        self.evaluation = evaluation
        self.as_of = evaluation.as_of
        self.entities = evaluation.entities
        self.segments = list(evaluation.segments)
        self.segmentations = list(evaluation.segmentations)

    @cached_property
    def sizes(self) -> pl.DataFrame:
        """name, kind (segment | bucket), label, members, share: every segment, then every
        bucket of each segmentation as `segmentation.bucket`."""
        import polars as pl

        model = self.evaluation.compilation.model
        rows = [(name, "segment", model.segments[name].label or "",
                 self.evaluation.sizes[name]) for name in self.segments]
        rows += [(f"{name}.{bucket.name}", "bucket", bucket.label or "",
                  self.evaluation.buckets[name].get(bucket.name, 0))
                 for name in self.segmentations
                 for bucket in model.segmentations[name].buckets]
        return pl.DataFrame(
            [(*row, _share(row[3], self.entities)) for row in rows], orient="row",
            schema={"name": pl.String, "kind": pl.String, "label": pl.String,
                    "members": pl.Int64, "share": pl.Float64})

    @cached_property
    def members(self) -> pl.DataFrame:
        """The key and the segment (or `segmentation.bucket`) of each membership."""
        return self._members("long")

    @cached_property
    def wide(self) -> pl.DataFrame:
        """The key, one boolean per segment, the bucket of each segmentation, its scores."""
        return self._members("wide")

    def _members(self, shape: str) -> pl.DataFrame:
        from segl.compiler.api import member_outputs, require_allowed

        from .. import sql
        from ..outputs import members_query

        ev = self.evaluation
        model = ev.compilation.model
        require_allowed(model, member_outputs(
            model, [*ev.segments, *ev.segmentations], "Result.members",
            "or run the others only: `project.run(segments=[…])`"))
        query = members_query(ev.table, ev.key, ev.segments, shape, ev.segmentations,
                              ev.scores)
        return sql.frame(ev.connection, query)

    def to_pandas(self):
        """The sizes as a pandas DataFrame (needs pandas)."""
        return self.sizes.to_pandas()

    def _repr_html_(self) -> str:
        caption = (f"{self.evaluation.compilation.path} · as_of {self.as_of} · "
                   f"{self.entities:,} entities")
        rows = [(name, kind, label, f"{members:,}", f"{share:.1%}")
                for name, kind, label, members, share in self.sizes.iter_rows()]
        return html.block(html.table(["name", "kind", "label", "members", "share"], rows,
                                     caption=caption, numeric=(3, 4)),
                          html.paragraph("Members: .members (long) or .wide"))

    def __repr__(self) -> str:
        return (f"<segl Result as_of {self.as_of}: {len(self.segments)} segments, "
                f"{len(self.segmentations)} segmentations, {self.entities:,} entities>")


@dataclass
class KpiTable:
    """KPIs per group (`Project.kpis`): `frame` has group, kind, label, members, share, each
    KPI's value and its index (`<kpi>_index`, the group's value / everyone's x 100), and
    for a ranking segment the part of everyone's total each group holds (`share of <what it
    ranks by>`, in percent)."""

    frame: pl.DataFrame
    kpis: list[str]
    labels: dict[str, str]
    shares: list[str] = field(default_factory=list)
    formats: dict[str, Display] = field(default_factory=dict)  # KPI -> its display
    caption: str = ""

    @classmethod
    def of(cls, groups: list[GroupKpis], entities: int, kpis: list[str], shares: list[str],
           labels: dict[str, str], formats: dict[str, Display], caption: str) -> KpiTable:
        import polars as pl

        schema: dict[str, type[pl.DataType]] = {
            "group": pl.String, "kind": pl.String, "label": pl.String, "members": pl.Int64,
            "share": pl.Float64}
        for name in kpis:
            schema[name] = pl.Float64
            schema[f"{name}_index"] = pl.Float64
        for name in shares:
            schema[name] = pl.Float64
        rows = []
        for g in groups:
            row = [g.name, g.kind, g.label, g.size, _share(g.size, entities)]
            for name in kpis:
                row += [_number(g.values[name]), _number(g.index[name])]
            row += [_number(g.index[name]) for name in shares]
            rows.append(row)
        frame = pl.DataFrame(rows, orient="row", schema=schema)
        return cls(frame, kpis, labels, shares, formats, caption)

    def to_pandas(self):
        return self.frame.to_pandas()

    def __repr__(self) -> str:
        return f"<segl KpiTable: {', '.join(self.kpis + self.shares)}>\n{self.frame!r}"

    def _repr_html_(self) -> str:
        from ..kpi_formats import shown

        columns = ["group", "members", "share", *self.kpis, *self.shares]
        rows = []
        for record in self.frame.iter_rows(named=True):
            cells = [record["group"], f"{record['members']:,}", f"{record['share']:.1%}"]
            for name in self.kpis:
                cell = shown(record[name], self.formats.get(name))
                index = record[f"{name}_index"]
                if record["kind"] != "all" and index is not None:
                    cell += f" ({index:.0f})"
                cells.append(cell)
            for name in self.shares:
                part = record[name]
                cells.append("–" if part is None else f"{part:.1f}%")
            rows.append(cells)
        titles = ["", "", "", *(self.labels.get(k, "") for k in self.kpis)]
        return html.block(html.table(columns, rows, caption=self.caption,
                                     numeric=range(1, len(columns)), titles=titles))


@dataclass
class FunnelView:
    """The funnel of a segment (`Project.explain`): each condition, the entities passing it
    alone, those remaining after it and every condition above it."""

    funnel: Funnel
    as_of: object

    @cached_property
    def frame(self) -> pl.DataFrame:
        import polars as pl

        entities = self.funnel.entities
        return pl.DataFrame(
            [(i, s.condition, s.passing, s.remaining, _share(s.remaining, entities))
             for i, s in enumerate(self.funnel.steps, 1)], orient="row",
            schema={"step": pl.Int64, "condition": pl.String, "passing": pl.Int64,
                    "remaining": pl.Int64, "share": pl.Float64})

    def to_pandas(self):
        return self.frame.to_pandas()

    def __repr__(self) -> str:
        return f"<segl Funnel of {self.funnel.segment}, as_of {self.as_of}>\n{self.frame!r}"

    def _repr_html_(self) -> str:
        rows = [(step, condition, f"{passing:,}", f"{remaining:,}", f"{share:.1%}")
                for step, condition, passing, remaining, share in self.frame.iter_rows()]
        caption = (f"{self.funnel.segment} · as_of {self.as_of} · "
                   f"{self.funnel.entities:,} entities")
        return html.block(html.table(["#", "condition", "pass alone", "remaining", "share"],
                                     rows, caption=caption, numeric=(0, 2, 3, 4)))


@dataclass
class PersonaView:
    """A persona checked against its segment and the data (`Project.persona`)."""

    report: PersonaReport
    kpi_labels: dict[str, str]
    kpi_formats: dict[str, Display] = field(default_factory=dict)

    @property
    def satisfies(self) -> bool | None:
        return self.report.satisfies

    def __repr__(self) -> str:
        p = self.report.persona
        verdict = {True: "satisfies", False: "does NOT satisfy",
                   None: "cannot be checked fully against"}[self.satisfies]
        return f"<segl Persona {p.name}: {verdict} {p.target}>"

    @cached_property
    def profile(self) -> pl.DataFrame:
        """attribute, the persona's value, the segment members' values summarized."""
        import polars as pl

        p = self.report.persona
        return pl.DataFrame(
            [(a, str(v.value), self.report.profile_in_data.get(a, ""))
             for a, v in p.profile.items()], orient="row",
            schema={"attribute": pl.String, "persona": pl.String, "segment": pl.String})

    def _repr_html_(self) -> str:
        r, p = self.report, self.report.persona
        verdict = {True: "satisfies", False: "does NOT satisfy",
                   None: "cannot be checked fully against"}[r.satisfies]
        texts = [(k, ", ".join(v) if isinstance(v, tuple) else v) for k, v in p.text.items()]
        checks = [({True: "pass", False: "FAIL", None: "?"}[c.result], c.condition)
                  for c in r.checks]
        parts = [html.paragraph(f"{p.label or p.name} · persona of "
                                 f"{'segment ' if p.bucket is None else ''}{p.target}"),
                 html.table(["", ""], texts) if texts else "",
                 html.table(["check", "condition"], checks,
                            caption=f"The profile {verdict} `{p.target}`"),
                 html.paragraph(f"Segment: {r.segment_size:,} members "
                                f"({_share(r.segment_size, r.entities):.1%} of "
                                f"{r.entities:,}); resembling the profile: "
                                f"{r.resembling:,}, {r.resembling_in_segment:,} of them in "
                                "the segment."),
                 html.table(["attribute", "persona", "segment members"],
                            self.profile.iter_rows(), caption="profile")]
        if r.kpis is not None:
            from ..kpi_formats import shown

            rows = [(self.kpi_labels[k], shown(v, self.kpi_formats.get(k)),
                     "–" if r.kpis.index[k] is None else f"{r.kpis.index[k]:.0f}")
                    for k, v in r.kpis.values.items() if k in self.kpi_labels]
            parts.append(html.table(["KPI", "value", "index"], rows, numeric=(1, 2),
                                    caption="KPIs of the segment (index vs all = 100)"))
        return html.block(*parts)
