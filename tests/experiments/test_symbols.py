"""Editors see experiments and exports: their names, arms, and the segments, columns and
features they use are occurrences (renaming a segment renames its uses there too)."""

from __future__ import annotations

from segl.compiler.api import SourceFile, Space, SymbolKey, compile_source, symbol_index

TEXT = """entity customer from table "crm.customers" key customer_id {
  customer_id int
  email text pii
  opt_in bool consent
}
feature reachable = opt_in
segment everyone = true
experiment mail on everyone salt "m-1" { control 50% variant 50% }
export list from everyone {
  traits (email, reachable)
  require consent opt_in
  purpose "Newsletter"
  to csv "out/list.csv"
}
"""


def test_experiment_and_export_names_are_bound():
    compilation = compile_source(SourceFile("/tmp/x.seg", TEXT))
    assert compilation.ok, compilation.errors
    index = symbol_index(compilation)
    names = {s.key.name for s in index.globals()}
    assert {"mail", "list", "everyone"} <= names
    assert len(index.references(SymbolKey(Space.GLOBAL, "everyone", None))) == 3
    assert len(index.references(SymbolKey(Space.GLOBAL, "reachable", None))) == 2
    arms = [s.key.name for s in index.members(SymbolKey(Space.GLOBAL, "mail", None))]
    assert arms == ["control", "variant"]
    edits = index.rename(SymbolKey(Space.GLOBAL, "everyone", None), "all_customers")
    assert len(edits) == 3
