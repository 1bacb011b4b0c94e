"""The resolver's segmentations: buckets, tiers, clusters, scores, and the holdout and
experiments (segmentations of their own)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from .. import ir
from .. import model as m
from ..codes import Code
from ..source import Span
from ..syntax import nodes as n
from ..syntax.format_expressions import SUM
from ..syntax.format_expressions import expr as format_expr
from . import clusters
from .bind_names import _Scope
from .experiments import HOLDOUT, resolve_experiment, resolve_holdout


class SegmentationResolution:
    """Mixed into the resolver (resolve.py): each segmentation kind and its scores."""

    def resolve_experiments(self, segmentations: dict[str, m.Segmentation]
                            ) -> tuple[m.Holdout | None, dict[str, m.Experiment]]:
        """The holdout (as the segment `holdout`) and each experiment (as a segmentation of
        its name, added to `segmentations`): compiler/semantic/experiments.py."""
        entity = self.tables[self.entity_decl.name.text]
        holdout = None
        if self.holdout_decl is not None:
            resolved = resolve_holdout(self.holdout_decl, entity, self.error)
            if resolved is not None:
                holdout, self.segments[HOLDOUT] = resolved
        experiments = {}
        for decl in self.experiment_decls.values():
            self.check_shadowing(decl.name)
            resolved_experiment = resolve_experiment(decl, entity, self.segments, holdout,
                                                     self.error, self.resolve_feature,
                                                     self.feature_decls)
            if resolved_experiment is not None:
                experiment, segmentations[decl.name.text] = resolved_experiment
                experiments[experiment.name] = experiment
        return holdout, experiments

    def resolve_segmentation(self, decl: n.Segmentation) -> m.Segmentation | None:
        self.check_shadowing(decl.name)
        buckets: list[m.Bucket] = []
        seen: dict[str, Span] = {}
        scores = self.resolve_scores(decl)
        if scores is None:
            return None
        if decl.tiers:
            return self.tiers_segmentation(decl, scores)
        if decl.clusters is not None:
            return self.clusters_segmentation(decl)
        scope = _Scope(local=scores)
        ok = True
        for bucket in (*decl.buckets, decl.otherwise):
            if bucket.name.text in seen:
                self.error(Code.E102, f"bucket `{bucket.name.text}` appears twice in segmentation "
                           f"`{decl.name.text}`", bucket.name.span,
                           "give each bucket its own name")
                ok = False
                continue
            seen[bucket.name.text] = bucket.name.span
            condition = None
            if bucket.condition is not None:
                condition = self.expr(bucket.condition, scope)
                if condition is None:
                    ok = False
                    continue
            buckets.append(m.Bucket(bucket.name.text, bucket.label, condition, bucket.span))
        if not ok:
            return None
        declared = tuple(v for v in scores.values() if isinstance(v, ir.Score))
        purpose, allow = self.permit(decl)
        return m.Segmentation(decl.name.text, decl.label, tuple(buckets), decl.span, declared,
                              purpose=purpose, allow=allow)

    def tiers_segmentation(self, decl: n.Segmentation, scores: dict[str, ir.Expr]
                           ) -> m.Segmentation:
        """`tiers by e … into N method`: bucket tier_i holds the entities scored N + 1 - i,
        so tier_1 is the best; entities with a missing `e` fall into `no_value`."""
        score = scores["tier"]
        assert isinstance(score, ir.Score)
        labels = tier_labels(score)
        buckets = [
            m.Bucket(f"tier_{i}", labels[i - 1],
                     ir.Compare("=", score, ir.Literal(score.bins + 1 - i, type=ir.Type.INT),
                                type=ir.Type.BOOL, span=decl.span), decl.span)
            for i in range(1, score.bins + 1)
        ]
        buckets.append(m.Bucket(decl.otherwise.name.text, "No value", None, decl.span))
        purpose, allow = self.permit(decl)
        return m.Segmentation(decl.name.text, decl.label, tuple(buckets), decl.span, (score,),
                              tiers=True, purpose=purpose, allow=allow)

    def clusters_segmentation(self, decl: n.Segmentation) -> m.Segmentation | None:
        """`clusters K on (…)`: buckets by the nearest centroid of the lock file; without a
        lock file that matches the declaration, E114 (and only the `no_value` bucket, so that
        `segl discover` can still plan the features)."""
        spec = decl.clusters
        assert spec is not None
        name = decl.name.text
        k, seed = spec.k.value, spec.seed.value
        if not 2 <= k <= clusters.MAX_CLUSTERS:
            self.error(Code.E002, f"clusters need 2 to {clusters.MAX_CLUSTERS} clusters",
                       spec.k.span)
            return None
        if not 0 <= seed < 2**32:
            self.error(Code.E002, "a seed is a whole number from 0 to 4294967295", spec.seed.span)
            return None
        features = [self.expr(feature, _Scope()) for feature in spec.features]
        if any(f is None for f in features):
            return None
        # as `segl fmt` writes them: reformatting does not make the lock file stale
        texts = tuple(format_expr(f, SUM) for f in spec.features)
        seen: set[str] = set()
        for text, feature in zip(texts, spec.features, strict=True):
            if text in seen:
                self.error(Code.E102, f"`{text}` is listed twice in clusters `{name}`",
                           feature.span)
                return None
            seen.add(text)
        missing = spec.missing.text if spec.missing else "drop"
        lock_path = clusters.lock_path_for(decl.span.path)
        found = m.Clusters(k, tuple(f for f in features if f is not None), texts,
                           spec.scaling.text, seed, missing,
                           clusters.fingerprint(k, texts, spec.scaling.text, seed, missing),
                           lock_path)
        fit, problem = clusters.read_fit(lock_path, name, found)
        purpose, allow = self.permit(decl)
        if fit is None:
            entry = Path(self.files[-1].source.path).name if self.files else "FILE"
            self.error(Code.E114, problem or "", spec.span,
                       f"run `segl discover {entry}` and commit "
                       f"`{Path(lock_path).name}` with the change")
            # the buckets are known before the fit (a persona or a lookalike may name one, and
            # `segl discover` must compile the file): never chosen, the file does not run
            never = ir.Literal(False, type=ir.Type.BOOL)
            buckets: tuple[m.Bucket, ...] = (
                *(m.Bucket(f"cluster_{i}", None, never, decl.span) for i in range(1, k + 1)),
                m.Bucket(clusters.NO_VALUE, "No value", None, decl.span))
        else:
            found = dataclasses.replace(found, fit=fit)
            buckets = clusters.assignment_buckets(name, found, fit, decl.span)
        return m.Segmentation(name, decl.label, buckets, decl.span, clusters=found,
                              purpose=purpose, allow=allow)

    def resolve_scores(self, decl: n.Segmentation) -> dict[str, ir.Expr] | None:
        """The segmentation's scores, by name, and `scores`: their digits as one text."""
        local: dict[str, ir.Expr] = {}
        ok = True
        for score in decl.scores:
            name = score.name.text
            if name in local or name == "scores":
                self.error(Code.E102, f"score `{name}` is declared twice in segmentation "
                           f"`{decl.name.text}`" if name in local else
                           "`scores` is the name of all the scores together", score.name.span)
                ok = False
                continue
            by = self.expr(score.by, _Scope())
            if by is None:
                ok = False
                continue
            if not 2 <= score.bins <= 100:
                self.error(Code.E002, "a score needs 2 to 100 bins", score.span)
                ok = False
                continue
            values = [t.value for t in score.thresholds]
            if score.method == "thresholds" and len(values) != score.bins - 1:
                self.error(Code.E002, f"{score.bins} bins need {score.bins - 1} thresholds, "
                           f"got {len(values)}", score.span,
                           "thresholds are the cut points between the bins, in ascending order")
                ok = False
                continue
            if values != sorted(values) or len(set(values)) != len(values):
                self.error(Code.E002, "thresholds must be in ascending order", score.span)
                ok = False
                continue
            local[name] = ir.Score(
                decl.name.text, name, by, score.higher_is_better, score.bins, score.method,
                tuple(self.literal(t) for t in score.thresholds), type=ir.Type.INT,
                span=score.span)
        if not ok:
            return None
        if local:
            local["scores"] = ir.Func("score_code", tuple(local.values()), type=ir.Type.TEXT)
        return local


def tier_labels(score: ir.Score) -> list[str]:
    """Labels of tier_1 (best) .. tier_N: the share of ranked entities each holds for ntile
    and quantile ("Top 10%", "10-20%"), the value range for thresholds (">= 1500")."""
    n = score.bins
    if score.method != "thresholds":
        def percent(i: int) -> str:
            return f"{100 * i / n:.1f}".removesuffix(".0")
        return [f"Top {percent(1)}%" if i == 1 else f"{percent(i - 1)}-{percent(i)}%"
                for i in range(1, n + 1)]
    cuts = [str(t.value) for t in score.thresholds]  # ascending, N - 1 of them
    if score.higher_is_better:
        # tier_1: >= the highest cut; tier_N: under the lowest
        bounds = list(reversed(cuts))
        labels = [f">= {bounds[0]}"]
        labels += [f"{bounds[i]} to < {bounds[i - 1]}" for i in range(1, n - 1)]
        return [*labels, f"< {bounds[-1]}"]
    labels = [f"<= {cuts[0]}"]
    labels += [f"> {cuts[i - 1]} to <= {cuts[i]}" for i in range(1, n - 1)]
    return [*labels, f"> {cuts[-1]}"]
