"""`clusters` segmentations: the lock file and the assignment (docs/discovery.md).

The lock file (`shop.clusters.toml` next to `shop.seg`) is what `segl discover` found: per
segmentation, the fingerprint of its declaration, the scaling constants and one line per
centroid. Reading it is part of compiling (a missing or stale lock file is E114); writing it
is `lock_text`, which `segl discover` calls. Assignment is plain IR: each scaled feature and
the squared distance to each centroid (`ir.ClusterValue`, one column each), and a bucket per
cluster whose condition says it is the nearest, ties to the lowest cluster number; every
backend compiles it.
"""

from __future__ import annotations

import hashlib
import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import reduce
from pathlib import Path

from .. import ir
from .. import model as m

T = ir.Type
LOCK_SUFFIX = ".clusters.toml"
NO_VALUE = "no_value"  # the bucket of entities with a missing feature (`missing drop`)
MAX_CLUSTERS = 50


def lock_path_for(seg_path: str) -> str:
    """`shop.seg` -> `shop.clusters.toml`, in the same folder."""
    path = Path(seg_path)
    stem = path.name[:-len(".seg")] if path.name.endswith(".seg") else path.name
    return str(path.with_name(stem + LOCK_SUFFIX))


def fingerprint(k: int, feature_texts: Sequence[str], scaling: str, seed: int,
                missing: str) -> str:
    """What makes a fit: the same declaration, the same fingerprint (the lock is stale when
    it differs). Features are compared as `segl fmt` writes them."""
    canonical = "\n".join((f"k={k}", *(f"feature={t}" for t in feature_texts),
                           f"scaled={scaling}", f"seed={seed}", f"missing={missing}"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


# ---------------------------------------------------------------- the lock file

@dataclass(frozen=True)
class LockEntry:
    """One segmentation's section of the lock file, as `segl discover` writes it."""

    name: str
    clusters: m.Clusters
    fit: m.ClusterFit
    as_of: str
    entities: int  # the entities fitted on
    sizes: tuple[int, ...]  # of each cluster, among them


@dataclass(frozen=True)
class SimilarityEntry:
    """A lookalike's section of the lock file."""

    similarity: m.Similarity
    fit: m.SimilarityFit
    as_of: str
    entities: int  # the seed segment's members fitted on

    @property
    def name(self) -> str:
        return self.similarity.key


def lock_text(entries: Sequence[LockEntry | SimilarityEntry], source_name: str) -> str:
    """The lock file: TOML, one section per segmentation (or lookalike) in name order, one
    line per centroid, numbers as the shortest text that reads back as the same double."""
    lines = [f"# Clusters of {source_name}, found by `segl discover`: review changes like code.",
             "# A scaled value is (value - center) / scale; centroids are in the scaled space.",
             "# Do not edit: a changed declaration needs a new `segl discover`."]
    for entry in sorted(entries, key=lambda e: e.name):
        if isinstance(entry, SimilarityEntry):
            lines += _similarity_lines(entry)
            continue
        c, fit = entry.clusters, entry.fit
        lines += ["", f"[{_toml_key(entry.name)}]",
                  f'fingerprint = "{c.fingerprint}"',
                  f"k = {c.k}",
                  f"seed = {c.seed}",
                  f'scaled = "{c.scaling}"',
                  f'missing = "{c.missing}"',
                  f'as_of = "{entry.as_of}"',
                  f"entities = {entry.entities}",
                  "features = [" + ", ".join(_toml_string(t) for t in c.feature_texts) + "]",
                  f"center = {_numbers(fit.center)}",
                  f"scale = {_numbers(fit.scale)}",
                  f"mean = {_numbers(fit.mean)}"]
        for i, (centroid, size) in enumerate(zip(fit.centroids, entry.sizes, strict=True), 1):
            lines.append(f"cluster_{i} = {_numbers(centroid)}  # {size} entities")
    return "\n".join(lines) + "\n"


def _similarity_lines(entry: SimilarityEntry) -> list[str]:
    s, fit = entry.similarity, entry.fit
    return ["", f"[{_toml_key(s.key)}]",
            f'fingerprint = "{s.fingerprint}"',
            f"seed_segment = {_toml_string(s.seed)}",
            'scaled = "zscore"',
            f'as_of = "{entry.as_of}"',
            f"entities = {entry.entities}",
            "features = [" + ", ".join(_toml_string(t) for t in s.feature_texts) + "]",
            f"center = {_numbers(fit.center)}",
            f"scale = {_numbers(fit.scale)}",
            f"centroid = {_numbers(fit.centroid)}"]


def _section(lock_path: str, name: str, fingerprint_: str, what: str
             ) -> tuple[Mapping | None, str | None]:
    """The lock file's section `name` when its fingerprint is `fingerprint_`, or why not."""
    shown = Path(lock_path).name
    try:
        text = Path(lock_path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, f"{what} not fitted yet: there is no lock file `{shown}`"
    except (OSError, UnicodeDecodeError) as exc:
        return None, f"cannot read the lock file `{shown}`: {exc}"
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return None, f"the lock file `{shown}` is not valid TOML: {exc}"
    section = document.get(name)
    if not isinstance(section, Mapping):
        return None, f"the lock file `{shown}` holds no `{name}`: {what} not fitted yet"
    if section.get("fingerprint") != fingerprint_:
        return None, (f"the lock file `{shown}` is stale: the declaration of `{name}` changed "
                      "since `segl discover` fitted it")
    return section, None


def read_similarity(similarity: m.Similarity) -> tuple[m.SimilarityFit | None, str | None]:
    """A lookalike's fit from its lock file, or why there is none (for E114)."""
    section, problem = _section(similarity.lock_path, similarity.key, similarity.fingerprint,
                                f"similarity to `{similarity.seed}` is")
    if section is None:
        return None, problem
    width = len(similarity.features)
    try:
        fit = m.SimilarityFit(_vector(section, "center", width), _vector(section, "scale", width),
                              _vector(section, "centroid", width))
    except ValueError as exc:
        return None, f"the lock file `{Path(similarity.lock_path).name}` is damaged: {exc}"
    if any(s == 0 for s in fit.scale):
        return None, f"the lock file `{Path(similarity.lock_path).name}` is damaged: a scale of 0"
    return fit, None


def similarity_key(seed: str, feature_texts: Sequence[str]) -> str:
    return f"similarity to {seed} on ({', '.join(feature_texts)})"


def similarity_fingerprint(seed: str, feature_texts: Sequence[str]) -> str:
    canonical = "\n".join(("similarity", f"seed={seed}",
                           *(f"feature={t}" for t in feature_texts), "scaled=zscore"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def similarity_value(column: str, similarity: m.Similarity, fit: m.SimilarityFit) -> ir.Expr:
    """Minus the squared distance to the seed's centroid in the scaled space (higher is more
    alike; missing when a feature is), one planned column: what a lookalike ranks by."""
    scaled = [ir.ClusterValue(column, f"z{j + 1}", ir.Arith(
                  "/", _minus(_double(feature), fit.center[j]), _number(fit.scale[j]),
                  type=T.FLOAT,
                  span=feature.span), type=T.FLOAT, span=feature.span)
              for j, feature in enumerate(similarity.features)]
    distance = _squared_distance(scaled, fit.centroid)
    return ir.ClusterValue(column, "similarity", ir.Negate(distance, type=T.FLOAT),
                           type=T.FLOAT, span=similarity.span)


def read_fit(lock_path: str, name: str, clusters: m.Clusters
             ) -> tuple[m.ClusterFit | None, str | None]:
    """The fit of segmentation `name` from its lock file, or why there is none (a message
    for E114)."""
    shown = Path(lock_path).name
    section, problem = _section(lock_path, name, clusters.fingerprint,
                                f"clusters `{name}` are")
    if section is None:
        return None, problem
    width = len(clusters.features)
    try:
        fit = m.ClusterFit(
            _vector(section, "center", width), _vector(section, "scale", width),
            _vector(section, "mean", width),
            tuple(_vector(section, f"cluster_{i}", width) for i in range(1, clusters.k + 1)))
    except ValueError as exc:
        return None, f"the lock file `{shown}` is damaged: {exc}"
    if any(s == 0 for s in fit.scale):
        return None, f"the lock file `{shown}` is damaged: a scale of 0"
    return fit, None


def _vector(section: Mapping, key: str, width: int) -> tuple[float, ...]:
    value = section.get(key)
    if not isinstance(value, list) or len(value) != width or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            for v in value):
        raise ValueError(f"`{key}` is not a list of {width} finite numbers")
    return tuple(float(v) for v in value)


def _numbers(values: Sequence[float]) -> str:
    return "[" + ", ".join(repr(float(v)) for v in values) + "]"


def _toml_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in escaped) + '"'


def _toml_key(name: str) -> str:
    bare = name.replace("_", "").replace("-", "").isalnum() and name.isascii()
    return name if bare else _toml_string(name)


# ---------------------------------------------------------------- assignment

def scaled_features(name: str, clusters: m.Clusters, fit: m.ClusterFit) -> list[ir.Expr]:
    """Each feature in the scaled space: (x - center) / scale, with a missing x replaced by
    the mean under `missing mean` (the division is in doubles on every engine)."""
    scaled = []
    for j, feature in enumerate(clusters.features):
        value = _double(feature)
        if clusters.missing == "mean":
            value = ir.Func("coalesce", (value, _number(fit.mean[j])), type=T.FLOAT,
                            span=feature.span)
        arithmetic = ir.Arith("/", _minus(value, fit.center[j]), _number(fit.scale[j]),
                              type=T.FLOAT, span=feature.span)
        scaled.append(ir.ClusterValue(name, f"z{j + 1}", arithmetic, type=T.FLOAT,
                                      span=feature.span))
    return scaled


def assignment_buckets(name: str, clusters: m.Clusters, fit: m.ClusterFit, span
                       ) -> tuple[m.Bucket, ...]:
    """cluster_1 .. cluster_K: the nearest centroid (squared Euclidean distance in the
    scaled space), ties to the lowest number; `no_value` for a missing feature (`missing
    drop`). Buckets are tried in order, so cluster_i needs only to be no farther than every
    later centroid."""
    scaled = scaled_features(name, clusters, fit)
    distances = [ir.ClusterValue(name, f"d{i}", _squared_distance(scaled, centroid),
                                 type=T.FLOAT, span=span)
                 for i, centroid in enumerate(fit.centroids, 1)]
    buckets = []
    for i, distance in enumerate(distances[:-1], 1):
        tests = tuple(ir.Compare("<=", distance, later, type=T.BOOL, span=span)
                      for later in distances[i:])
        condition = tests[0] if len(tests) == 1 else ir.Logic("and", tests, type=T.BOOL,
                                                               span=span)
        buckets.append(m.Bucket(f"cluster_{i}", None, condition, span))
    last = f"cluster_{clusters.k}"
    if clusters.missing == "mean":
        buckets.append(m.Bucket(last, None, None, span))
    else:
        present = ir.IsMissing(distances[-1], True, type=T.BOOL, span=span)
        buckets += [m.Bucket(last, None, present, span), m.Bucket(NO_VALUE, "No value", None, span)]
    return tuple(buckets)


def _squared_distance(scaled: list[ir.Expr], centroid: Sequence[float]) -> ir.Expr:
    terms = []
    for value, c in zip(scaled, centroid, strict=True):
        difference = _minus(value, c)
        terms.append(ir.Arith("*", difference, difference, type=T.FLOAT))
    return reduce(lambda a, b: ir.Arith("+", a, b, type=T.FLOAT), terms)


def _double(value: ir.Expr) -> ir.Expr:
    """The value as a double before any arithmetic (`x / 1` in doubles, which the SQL
    backend writes as a cast): a decimal or an integer minus the center is then double
    arithmetic, as the fit and `python_assignment` do it, not 38-digit decimal arithmetic,
    which costs most of the assignment's time."""
    if value.type is T.FLOAT:
        return value
    return ir.Arith("/", value, _number(1.0), type=T.FLOAT, span=value.span)


def _minus(value: ir.Expr, c: float) -> ir.Expr:
    """value - c, written with a positive literal (value + 0.5 for c = -0.5)."""
    op = "+" if c < 0 else "-"
    return ir.Arith(op, value, _number(abs(c)), type=T.FLOAT, span=value.span)


def _number(value: float) -> ir.Literal:
    """A double as a literal: its shortest decimal text, which every engine reads back as
    the same double."""
    return ir.Literal(Decimal(repr(float(value))), type=T.FLOAT)


def python_assignment(values: Sequence[float | None], clusters: m.Clusters,
                      fit: m.ClusterFit) -> str:
    """The bucket of one entity, computed in Python exactly as the SQL is written (for
    tests and `segl discover`'s profile): the reference every engine must agree with."""
    scaled = []
    for j, x in enumerate(values):
        if x is None:
            if clusters.missing != "mean":
                return NO_VALUE
            x = fit.mean[j]
        scaled.append((float(x) - fit.center[j]) / fit.scale[j])
    best, best_distance = 0, math.inf
    for i, centroid in enumerate(fit.centroids):
        distance = 0.0
        for z, c in zip(scaled, centroid, strict=True):
            distance += (z - c) * (z - c)
        if distance < best_distance:
            best, best_distance = i, distance
    return f"cluster_{best + 1}"
