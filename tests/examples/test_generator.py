"""The bundled example data is exactly what the seeded generator makes."""

import importlib.util

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tests.conftest import ROOT


def _generator():
    spec = importlib.util.spec_from_file_location("generate", ROOT / "examples/generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("dataset", ["shop", "b2b"])
def test_bundled_data_is_reproduced_by_the_generator(dataset, tmp_path):
    generate = _generator()
    if dataset == "shop":
        generate.generate_shop(tmp_path, seed=7, customers=30000)
    else:
        generate.generate_b2b(tmp_path, seed=7, accounts=2000)
    bundled = sorted((ROOT / "examples" / dataset / "data").glob("*.parquet"))
    assert [p.name for p in bundled] == sorted(p.name for p in tmp_path.glob("*.parquet"))
    for path in bundled:
        assert_frame_equal(pl.read_parquet(tmp_path / path.name), pl.read_parquet(path))


def test_another_seed_gives_other_data(tmp_path):
    generate = _generator()
    generate.generate_b2b(tmp_path / "a", seed=1, accounts=200)
    generate.generate_b2b(tmp_path / "b", seed=2, accounts=200)
    first = pl.read_parquet(tmp_path / "a/invoices.parquet")
    assert not first.equals(pl.read_parquet(tmp_path / "b/invoices.parquet"))
