"""The name index (compiler/semantic/symbols.py): definitions, references, outlines and renames.

The index binds names on its own walk of the AST; the first tests hold it to the resolver,
reference by reference, on every example and benchmark file. The others count names with a
plain regular expression over the files' text rather than with segl's own scanner.
"""

import re
from pathlib import Path

import pytest
from segl.compiler import ir
from segl.compiler.api import (
    RenameRefused,
    Space,
    SymbolKey,
    SymbolKind,
    compile_file,
    compile_source,
    symbol_index,
)
from segl.compiler.source import SourceFile
from segl.runtime.api import load

from tests.conftest import ROOT

ENTRIES = [ROOT / "examples/shop/shop.seg", ROOT / "examples/shop/segmentation_values.seg",
           ROOT / "examples/b2b/accounts.seg",
           ROOT / "examples/analyst-repo/project.seg", ROOT / "bench/tpch.seg",
           ROOT / "bench/tpch_rfm.seg"]


def resolver_bindings(model):
    """(span, key) of every name the resolver bound, read from the typed model."""
    roots = [*(f.expr for f in model.features.values()),
             *(c for s in model.segments.values() for c in s.conditions),
             *(b.condition for s in model.segmentations.values() for b in s.buckets
               if b.condition is not None and not s.tiers),
             *(score.by for s in model.segmentations.values() for score in s.scores),
             *(k.expr for k in model.kpis.values())]
    for root in roots:
        for node in root.walk():
            span = node.span
            if span is None:
                continue
            if isinstance(node, ir.Column):
                # `t.c` is bound at the column's name, `c` at itself
                yield span.source.span(span.end - 1, span.end), SymbolKey(
                    Space.COLUMN, node.name, node.table)
            elif isinstance(node, (ir.FeatureRef, ir.SegmentRef, ir.SegmentationRef)):
                yield span, SymbolKey(Space.GLOBAL, node.name)
            elif isinstance(node, ir.Score) and span.text.strip("`") == node.name:
                yield span, SymbolKey(Space.SCORE, node.name, node.segmentation)
            elif isinstance(node, ir.Score):  # `rfm.r`: the score at its name
                yield span.source.span(span.end - len(node.name), span.end), SymbolKey(
                    Space.SCORE, node.name, node.segmentation)
            elif isinstance(node, (ir.Compare, ir.InList)):
                # `rfm is champions`, `rfm in (champions, …)`: bucket names, where bare
                ref, names = ((node.left, (node.right,)) if isinstance(node, ir.Compare)
                              else (node.value, node.items))
                if isinstance(ref, ir.SegmentationRef):
                    for item in names:
                        if item.span is not None and item.span.text == item.value:
                            yield item.span, SymbolKey(Space.BUCKET, item.value, ref.name)
            elif isinstance(node, ir.Literal) and span.text.strip("`") in model.params:
                yield span, SymbolKey(Space.GLOBAL, span.text.strip("`"))


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_index_binds_every_name_as_the_resolver_does(entry):
    compilation = compile_file(entry)
    assert compilation.ok
    index = symbol_index(compilation)
    bindings = list(resolver_bindings(compilation.model))
    assert len(bindings) > 20
    for span, key in bindings:
        found = index.at(span.path, span.start)
        assert found is not None and found.key == key, f"{span}: {span.text}"


def test_with_column_types_from_the_data_the_index_still_agrees():
    compilation, _ = load(ROOT / "examples/shop/shop.seg")
    index = symbol_index(compilation)
    for span, key in resolver_bindings(compilation.model):
        assert index.at(span.path, span.start).key == key, f"{span}: {span.text}"
    # a column the files do not declare is known from the data, with its type
    undeclared = index.symbol(SymbolKey(Space.COLUMN, "household_size", "customer"))
    assert undeclared is not None and undeclared.type == "int"


def code_words(text: str) -> list[tuple[int, str]]:
    """(offset, word) of every word outside comments and strings."""
    code = re.sub(r'"(?:\\.|[^"\\\n])*"|#[^\n]*', lambda m: " " * len(m.group()), text)
    return [(m.start(), m.group()) for m in re.finditer(r"[A-Za-z_][A-Za-z0-9_]*", code)]


def test_references_are_every_place_the_name_is_written_across_files():
    compilation = compile_file(ROOT / "examples/shop/shop.seg")
    index = symbol_index(compilation)
    expected = sorted((str(Path(f.source.path).resolve()), offset)
                      for f in compilation.files
                      for offset, word in code_words(f.source.text) if word == "orders_1y")
    occurrences = index.references(SymbolKey(Space.GLOBAL, "orders_1y"))
    assert sorted((str(Path(o.path).resolve()), o.span.start) for o in occurrences) == expected
    assert len({o.path for o in occurrences}) == 2  # defined in features.seg, used in shop.seg
    (definition,) = [o for o in occurrences if o.is_definition]
    features = (ROOT / "examples/shop/features.seg").read_text()
    line = features[:features.index("feature orders_1y")].count("\n") + 1
    assert Path(definition.path).name == "features.seg" and definition.span.line == line


def test_columns_bind_to_their_table_inside_aggregates():
    compilation = compile_file(ROOT / "examples/shop/shop.seg")
    index = symbol_index(compilation)
    status = index.references(SymbolKey(Space.COLUMN, "status", "orders"))
    assert status and all(o.span.text == "status" for o in status)
    definition = index.symbol(SymbolKey(Space.COLUMN, "status", "orders"))
    assert Path(definition.name_span.path).name == "sources.seg"
    assert definition.type == "text"


def test_a_sequence_binds_both_steps_and_their_columns():
    compilation = compile_file(ROOT / "examples/shop/sequences.seg")
    index = symbol_index(compilation)
    bindings = list(resolver_bindings(compilation.model))
    assert bindings
    for span, key in bindings:  # the columns of both steps' `where`, the features
        found = index.at(span.path, span.start)
        assert found is not None and found.key == key, f"{span}: {span.text}"
    text = (ROOT / "examples/shop/sequences.seg").read_text()
    written = [o for o in index.references(SymbolKey(Space.GLOBAL, "orders"))
               if Path(o.path).name == "sequences.seg"]
    # `then no orders`, `then orders`, `then first orders` (and the KPI's): every one
    assert len(written) == text.count(" orders within")
    pages = index.references(SymbolKey(Space.COLUMN, "page", "web_events"))
    assert [o.span.text for o in pages if Path(o.path).name == "sequences.seg"] == ["page"] * 2


def test_outline_lists_declarations_with_their_members(project):
    path = project("""
        entity customer from parquet "c.parquet" key id {
          id int
          city text
        }
        events orders from parquet "o.parquet" key id at t
        feature n = count(orders)
        segmentation life {
          score r by n higher is better into 3 ntile
          active when r >= 2
          else others
        }
        segmentation deciles = tiers by n higher is better into 4 ntile
        """)
    index = symbol_index(compile_file(path))
    outline = [(s.kind, s.name) for s in index.declared_in(path)]
    assert outline == [(SymbolKind.ENTITY, "customer"), (SymbolKind.EVENTS, "orders"),
                       (SymbolKind.FEATURE, "n"), (SymbolKind.SEGMENTATION, "life"),
                       (SymbolKind.SEGMENTATION, "deciles")]
    members = index.members(SymbolKey(Space.GLOBAL, "life"))
    assert [(s.kind, s.name) for s in members] == [
        (SymbolKind.SCORE, "r"), (SymbolKind.BUCKET, "active"), (SymbolKind.BUCKET, "others")]
    tiers = [s.name for s in index.members(SymbolKey(Space.GLOBAL, "deciles"))]
    assert tiers == ["tier", "tier_1", "tier_2", "tier_3", "tier_4", "no_value"]  # score, bins
    assert [s.name for s in index.columns("customer")] == ["id", "city"]
    assert [s.name for s in index.columns("orders")] == ["id", "t"]  # named by the declaration


BROKEN = """
entity customer from parquet "c.parquet" key id {
  id int
  city text
}
feature twice = city_count * 2
feature city_count = count(
segment dutch = city = "Delft" and unknown_thing > 1
segment dutch_twice = dutch and twice > 2
"""


def test_a_file_with_errors_still_has_an_index_for_what_parsed():
    compilation = compile_source(SourceFile("broken.seg", BROKEN))
    assert {d.code for d in compilation.errors} == {"E001", "E101"}
    index = symbol_index(compilation)
    uses = index.references(SymbolKey(Space.GLOBAL, "dutch"))
    assert [o.span.line for o in uses] == [8, 9]
    # `twice` is rejected by the resolver (it uses the feature that did not parse) but is
    # still defined and referenced
    assert len(index.references(SymbolKey(Space.GLOBAL, "twice"))) == 2
    assert index.symbol(SymbolKey(Space.GLOBAL, "city_count")) is None


HOSTILE = """
entity customer from parquet "c.parquet" key id {
  id int
  `order date` date
}
feature `🎯 big spenders` "Spenders; DROP TABLE x" = 1
segment `top` = `🎯 big spenders` > 0 and `order date` is present
segment s = `top`
"""


def test_backquoted_and_hostile_names_are_indexed_as_written():
    source = SourceFile("hostile.seg", HOSTILE)
    index = symbol_index(compile_source(source))
    goal = SymbolKey(Space.GLOBAL, "🎯 big spenders")
    spans = [o.span.text for o in index.references(goal)]
    assert spans == ["`🎯 big spenders`", "`🎯 big spenders`"]
    offset = HOSTILE.index("`top`") + 2
    assert index.at("hostile.seg", offset).key == SymbolKey(Space.GLOBAL, "top")
    assert index.at("hostile.seg", HOSTILE.index("`order date` is") + 3).key == SymbolKey(
        Space.COLUMN, "order date", "customer")


def renamed(files: dict[Path, str], edits) -> dict[Path, str]:
    """Apply edits back to front, per file."""
    out = dict(files)
    for edit in sorted(edits, key=lambda e: e.span.start, reverse=True):
        path = Path(edit.span.path).resolve()
        text = out[path]
        out[path] = text[:edit.span.start] + edit.text + text[edit.span.end:]
    return out


def write_shop_copy(tmp_path) -> Path:
    for name in ("shop.seg", "features.seg", "sources.seg"):
        (tmp_path / name).write_text((ROOT / "examples/shop" / name).read_text())
    return tmp_path / "shop.seg"


@pytest.mark.parametrize("new_name", ["paid_orders_last_year", "days", "paid orders 🎯"])
def test_a_rename_changes_every_file_and_still_compiles(tmp_path, new_name):
    entry = write_shop_copy(tmp_path)
    compilation = compile_file(entry)
    index = symbol_index(compilation)
    edits = index.rename(SymbolKey(Space.GLOBAL, "orders_1y"), new_name)
    files = {Path(f.source.path).resolve(): f.source.text for f in compilation.files}
    for path, text in renamed(files, edits).items():
        path.write_text(text)
    after = compile_file(entry)
    assert after.ok, [d.render() for d in after.diagnostics]
    assert "orders_1y" not in after.model.features and new_name in after.model.features
    texts = "".join(p.read_text() for p in files)
    assert sum(1 for _, w in code_words(texts) if w == "orders_1y") == 0
    assert len(edits) == sum(1 for _, w in code_words("".join(files.values()))
                             if w == "orders_1y")


def test_renaming_a_bucket_renames_the_tests_that_expect_it(project):
    path = project("""
        entity customer from parquet "c.parquet" key id {
          id int
          age int
        }
        segmentation life {
          young when age < 30
          else others
        }
        test t {
          rows customer (id, age) { (1, 20) }
          expect life.young = (1)
        }
        """)
    index = symbol_index(compile_file(path))
    edits = index.rename(SymbolKey(Space.BUCKET, "young", "life"), "juniors")
    assert [e.span.line for e in edits] == [6, 11]
    assert {e.text for e in edits} == {"juniors"}


@pytest.mark.parametrize(("key", "new_name", "reason"), [
    (SymbolKey(Space.GLOBAL, "orders_1y"), "spend_1y", "already the name of a feature"),
    (SymbolKey(Space.GLOBAL, "orders_1y"), "loyal", "already the name of a segment"),
    (SymbolKey(Space.GLOBAL, "orders_1y"), "city", "a column of `customer`"),
    (SymbolKey(Space.GLOBAL, "loyal_orders"), "amount", "a column of `orders`"),
    (SymbolKey(Space.GLOBAL, "orders_1y"), "a`b", "not a valid name"),
    (SymbolKey(Space.GLOBAL, "orders_1y"), "two\nlines", "not a valid name"),
    (SymbolKey(Space.GLOBAL, "orders_1y"), " padded", "not a valid name"),
    (SymbolKey(Space.COLUMN, "amount", "orders"), "total", "its name is the data's"),
    (SymbolKey(Space.FUNCTION, "count"), "tally", "built-in function"),
    (SymbolKey(Space.GLOBAL, "nobody"), "x", "not defined"),
    (SymbolKey(Space.BUCKET, "tier_1", "spend_deciles"), "best", "made by its declaration"),
])
def test_a_rename_that_would_break_the_files_is_refused(key, new_name, reason):
    index = symbol_index(compile_file(ROOT / "examples/shop/shop.seg"))
    with pytest.raises(RenameRefused, match=re.escape(reason)):
        index.rename(key, new_name)


def test_names_of_the_standard_library_are_not_renamed(project):
    path = project("""
        import std.rfm
        entity customer from parquet "c.parquet" key id
        """)
    index = symbol_index(compile_file(path))
    library = [s for s in index.globals() if s.kind is SymbolKind.SEGMENTATION]
    assert library, "std.rfm declares a segmentation"
    with pytest.raises(RenameRefused, match="standard library"):
        index.rename(library[0].key, "mine")


def test_a_persona_and_a_lookalike_of_a_bucket_reference_the_segmentation_and_the_bucket(
        project):
    path = project("""
        entity customer from parquet "c.parquet" key id {
          id int
          age int
        }
        segmentation life {
          young when age < 30
          else others
        }
        persona yara for life is young {
          age 25
        }
        segment like_young = top 10% by similarity to life is young on (age)
        """)
    index = symbol_index(compile_file(path))
    young = [(o.span.line, o.span.text) for o in
             index.references(SymbolKey(Space.BUCKET, "young", "life"))]
    assert young == [(6, "young"), (9, "young"), (12, "young")]
    life = [o.span.line for o in index.references(SymbolKey(Space.GLOBAL, "life"))]
    assert life == [5, 9, 12]
    edits = index.rename(SymbolKey(Space.BUCKET, "young", "life"), "juniors")
    assert [e.span.line for e in edits] == [6, 9, 12]
