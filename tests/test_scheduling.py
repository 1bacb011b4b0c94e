"""The suite's xdist work units (tests/conftest.py): the Spark tests in one unit, the modules
that share an expensive module-scoped fixture in one unit each, every other test alone."""

from __future__ import annotations

import re

from .conftest import ROOT, SHARED_SETUP_MODULES, SPARK_GROUP, scheduling_unit


def test_each_shared_setup_module_exists_and_has_a_module_fixture():
    for module in SHARED_SETUP_MODULES:
        path = ROOT / module
        assert path.is_file(), module
        assert re.search(r'@pytest\.fixture\(scope="module"\)', path.read_text()), module


def test_units():
    assert scheduling_unit("tests/engines/test_agreement.py::test_x[spark]") == SPARK_GROUP
    assert scheduling_unit("tests/time/test_multi_date.py::test_y[spark-True]") == SPARK_GROUP
    assert scheduling_unit("tests/time/test_multi_date.py::test_y[long]") == \
        "tests/time/test_multi_date.py"
    assert scheduling_unit("tests/time/test_report_time.py::test_z") == \
        "tests/time/test_report_time.py"
    alone = "tests/engines/test_agreement.py::test_x[duckdb]"
    assert scheduling_unit(alone) == alone
    assert scheduling_unit("tests/x.py::test_sparkle[sparkling]") != SPARK_GROUP
