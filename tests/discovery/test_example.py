"""examples/shop/styles.seg: the committed lock file is what `segl discover` finds on the
bundled data (byte for byte), and `run` puts as many customers in each cluster as the fit."""

from __future__ import annotations

import re

from segl.compiler.api import compile_file
from segl.runtime.api import evaluate
from segl.runtime.discover import discover

from tests.conftest import ROOT

STYLES = ROOT / "examples" / "shop" / "styles.seg"
LOCK = STYLES.with_name("styles.clusters.toml")


def test_the_example_compiles_with_its_lock_file():
    compilation = compile_file(STYLES)
    assert compilation.ok, [d.render() for d in compilation.diagnostics]
    buckets = [b.name for b in compilation.model.segmentations["styles"].buckets]
    assert buckets == [*(f"cluster_{i}" for i in range(1, 6)), "no_value"]


def test_discover_reproduces_the_committed_lock_file():
    discovery = discover(str(STYLES), "2026-06-30")
    assert discovery.lock_files == {str(LOCK): LOCK.read_text(encoding="utf-8")}


def test_run_assigns_the_sizes_the_lock_file_records():
    recorded = [int(n) for n in re.findall(r"# (\d+) entities", LOCK.read_text())]
    sizes = evaluate(STYLES, as_of="2026-06-30").buckets["styles"]
    assert [sizes[f"cluster_{i}"] for i in range(1, 6)] == recorded
    assert sizes["no_value"] > 0  # customers who never ordered have no days since an order


def test_the_example_lookalikes_are_a_tenth_of_the_non_promoters():
    evaluation = evaluate(STYLES, as_of="2026-06-30",
                          segments=["promoters", "promoter_lookalikes"])
    others = evaluation.entities - evaluation.sizes["promoters"]
    assert evaluation.sizes["promoter_lookalikes"] == others // 10
