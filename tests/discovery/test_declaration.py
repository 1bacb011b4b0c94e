"""`segmentation x = clusters K on (…) scaled S seed N [missing M]`: parsed, formatted,
resolved against its lock file; a missing, stale or damaged lock file is a positioned E114."""

from __future__ import annotations

import pytest
from segl.compiler.api import compile_file, format_source
from segl.compiler.model import ClusterFit
from segl.compiler.semantic.clusters import fingerprint, lock_path_for, read_fit

from .helpers import HEAD, simple_fit, write_lock

DECLARATION = ("segmentation styles = clusters 3 on (n_orders, spend, age / 10) scaled zscore "
               "seed 42")


def codes(compilation):
    return [d.code for d in compilation.errors]


def test_without_a_lock_file_the_declaration_is_a_positioned_error(project):
    path = project(HEAD + DECLARATION + "\n")
    compilation = compile_file(path)
    (problem,) = compilation.errors
    assert problem.code == "E114"
    assert "no lock file `test.clusters.toml`" in problem.message
    assert problem.span.line == HEAD.count("\n") and problem.span.column == 1
    rendered = problem.render()
    assert "segl discover test.seg" in rendered and "^^^" in rendered


def test_with_its_lock_file_the_buckets_are_the_clusters(project):
    path = project(HEAD + DECLARATION + "\n")
    write_lock(path, {"styles": simple_fit(3, 3)})
    compilation = compile_file(path)
    assert compilation.ok, [d.render() for d in compilation.diagnostics]
    segmentation = compilation.model.segmentations["styles"]
    assert [b.name for b in segmentation.buckets] == ["cluster_1", "cluster_2", "cluster_3",
                                                      "no_value"]
    assert segmentation.clusters.fit == simple_fit(3, 3)
    assert segmentation.clusters.feature_texts == ("n_orders", "spend", "age / 10")


def test_missing_mean_has_no_no_value_bucket(project):
    path = project(HEAD + DECLARATION + " missing mean\n")
    write_lock(path, {"styles": simple_fit(3, 3)})
    buckets = compile_file(path).model.segmentations["styles"].buckets
    assert [b.name for b in buckets] == ["cluster_1", "cluster_2", "cluster_3"]
    assert buckets[-1].condition is None


@pytest.mark.parametrize("change", [
    ("clusters 3", "clusters 4"), ("seed 42", "seed 7"), ("zscore", "minmax"),
    ("age / 10", "age / 5"), ("seed 42", "seed 42 missing mean")])
def test_a_changed_declaration_makes_the_lock_file_stale(project, change):
    path = project(HEAD + DECLARATION + "\n")
    write_lock(path, {"styles": simple_fit(3, 3)})
    path.write_text(path.read_text().replace(*change))
    compilation = compile_file(path)
    assert codes(compilation) == ["E114"]
    assert "is stale" in compilation.errors[0].message


def test_reformatting_keeps_the_lock_file_current(project):
    path = project(HEAD + DECLARATION.replace("age / 10", "age/10").replace(", ", " ,") + "\n")
    write_lock(path, {"styles": simple_fit(3, 3)})
    path.write_text(format_source(path.read_text(), str(path)))
    assert "(n_orders, spend, age / 10)" in path.read_text()
    assert compile_file(path).ok


@pytest.mark.parametrize("text, message", [
    ("not toml [", "not valid TOML"),
    ("[other]\nfingerprint = \"x\"\n", "holds no `styles`"),
])
def test_an_unreadable_lock_file_is_e112(project, text, message):
    path = project(HEAD + DECLARATION + "\n")
    (path.parent / "test.clusters.toml").write_text(text)
    compilation = compile_file(path)
    assert codes(compilation) == ["E114"] and message in compilation.errors[0].message


def test_a_damaged_centroid_line_is_e112(project):
    path = project(HEAD + DECLARATION + "\n")
    lock = write_lock(path, {"styles": simple_fit(3, 3)})
    lock.write_text(lock.read_text().replace("cluster_2 = [1.0, 1.0, 1.0]",
                                             "cluster_2 = [1.0, 1.0]"))
    compilation = compile_file(path)
    assert codes(compilation) == ["E114"]
    assert "`cluster_2` is not a list of 3 finite numbers" in compilation.errors[0].message


def test_the_lock_file_reads_back_exactly(project):
    path = project(HEAD + DECLARATION + "\n")
    fit = ClusterFit((1.5, 0.1 + 0.2, -3e-07), (2.0, 1e20, 0.3333333333333333), (1.0, 2.0, 3.0),
                     ((0.1, -0.2, 1e-300), (5.5, 6.25, -7.0), (1 / 3, 2 / 3, -1 / 7)))
    lock = write_lock(path, {"styles": fit})
    text = lock.read_text()
    assert text.count("\ncluster_") == 3  # one line per centroid
    spec = compile_file(path).model.segmentations["styles"].clusters
    assert read_fit(str(lock), "styles", spec) == (fit, None)
    assert lock_path_for(str(path)) == str(lock)


def test_the_fingerprint_covers_each_part_of_the_declaration():
    base = fingerprint(3, ("a", "b"), "zscore", 42, "drop")
    assert base == fingerprint(3, ("a", "b"), "zscore", 42, "drop")
    others = {fingerprint(4, ("a", "b"), "zscore", 42, "drop"),
              fingerprint(3, ("b", "a"), "zscore", 42, "drop"),
              fingerprint(3, ("a", "b"), "minmax", 42, "drop"),
              fingerprint(3, ("a", "b"), "zscore", 43, "drop"),
              fingerprint(3, ("a", "b"), "zscore", 42, "mean")}
    assert base not in others and len(others) == 5


@pytest.mark.parametrize("declaration, code, message", [
    ("clusters 1 on (n_orders) scaled zscore seed 1", "E002", "2 to 50 clusters"),
    ("clusters 3 on (n_orders) scaled log seed 1", "E002", "unknown scaling `log`"),
    ("clusters 3 on (n_orders) scaled none seed 1 missing zero", "E002",
     "unknown missing rule `zero`"),
    ("clusters 3 on (n_orders, n_orders) scaled none seed 1", "E102", "listed twice"),
    ("clusters 3 on (n_ordrs) scaled none seed 1", "E101", "unknown name `n_ordrs`"),
])
def test_bad_declarations_are_refused_where_they_are_wrong(project, declaration, code, message):
    path = project(HEAD + f"segmentation styles = {declaration}\n")
    errors = compile_file(path).errors
    assert [d.code for d in errors] == [code] and message in errors[0].message


def test_features_must_be_numbers(project):
    path = project(HEAD.replace("income float", "income float\n  city text") +
                   "segmentation styles = clusters 2 on (n_orders, city) scaled none seed 1\n")
    errors = compile_file(path).errors
    assert "E201" in [d.code for d in errors]
    assert any("a number" in d.message and d.span.text == "city" for d in errors)


def test_fmt_prints_the_canonical_declaration():
    text = HEAD + "segmentation styles=clusters 3 on (n_orders,spend)\n  scaled none seed 7 " \
        "missing mean\n"
    formatted = format_source(text, "x.seg")
    assert ("segmentation styles = clusters 3 on (n_orders, spend) scaled none seed 7 "
            "missing mean\n") in formatted
    assert format_source(formatted, "x.seg") == formatted


def test_words_like_mean_and_none_stay_free_for_names(project):
    path = project(HEAD + "feature mean = spend / 2\nfeature none = n_orders\n"
                   "segmentation styles = clusters 2 on (mean, none) scaled none seed 1 "
                   "missing mean\n")
    assert codes(compile_file(path)) == ["E114"]


def test_editors_see_the_features_and_the_buckets(project):
    from segl.compiler.api import symbol_index

    path = project(HEAD + DECLARATION + "\n")
    write_lock(path, {"styles": simple_fit(3, 3)})
    index = symbol_index(compile_file(path))
    names = {(key.space.value, key.name) for key in index.symbols}
    assert {("bucket", "cluster_1"), ("bucket", "cluster_3"), ("bucket", "no_value")} <= names
    uses = [o for found in index.occurrences.values() for o in found
            if o.key.name == "n_orders"]
    assert len(uses) == 2, "the definition and the use in `on (…)`"
