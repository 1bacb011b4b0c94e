"""Every command that takes data takes `--engine` and prints (or writes) exactly what it
prints on DuckDB: `check --data`, `explain`, `overlap` (and its CSV), `kpis`, `persona`,
`report` (the HTML bytes), `diff --data` (the JSON) and `test`, on every engine that runs
here.

The project is small and generated here (so that Spark's share of the suite stays short),
and made to exercise what differs between engines: a date window, a ranking (ntile) into
buckets, ratios (KPIs), a text condition, missing values, an empty segment and a persona.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from segl.runtime.cli import main

from tests.engines.conftest import OTHER_ENGINES, engine_params

AS_OF = "2026-06-30"

SOURCES = """\
entity customer from csv "data/customers.csv" key customer_id {
  customer_id int
  age int
  city text
  lifestyle text
}

events orders from csv "data/orders.csv" key customer_id at ordered_at {
  ordered_at date
  amount float
  status text
}

feature orders_total = count(orders where status = "paid")
feature spend_total = sum(orders.amount where status = "paid")
feature spend_90d = sum(orders.amount where status = "paid") in last 90 days
feature last_order = max(orders.ordered_at)
"""

DEFINITIONS = """\
segment buyers "Buyers" {
  where orders_total > 0
  expect size >= 1
}
segment big_spenders {
  where spend_total >= THRESHOLD
    and city = "Amsterdam"
  expect share <= 50%
}
segment young_urban "Young urban" {
  where age between 20 and 35
    and lifestyle = "urban"
  expect overlap with buyers <= 95%
}
segment lapsed {
  where orders_total > 0
    and days_since(last_order) > 90
}
segment recent_spenders {
  where spend_90d > 100
}
segment nobody {
  where age > 500
}
segmentation value "Value" {
  score s by spend_total higher is better into 3 ntile
  top "Top" when s = 3
  middle "Middle" when s = 2
  else rest "Rest"
}
persona ann "Ann, the urban buyer" for young_urban {
  description "Lives in Amsterdam and buys online"
  age 28
  city "Amsterdam"
  lifestyle "urban"
  spend_total 120
}
kpi revenue "Revenue" = sum(orders.amount where status = "paid")
kpi aov "Average order value" = sum(orders.amount where status = "paid") \
/ count(orders where status = "paid")
kpi buyer_rate = sum(case when orders_total > 0 then 1 else 0 end) / count(customer_id)

test spenders {
  rows customer (customer_id, age, city, lifestyle) {
    (1, 30, "Amsterdam", "urban")
    (2, 60, "Utrecht", "rural")
  }
  rows orders (customer_id, ordered_at, amount, status) {
    (1, 2026-06-01, 500.0, "paid")
    (2, 2026-06-01, 20.0, "paid")
  }
  as_of 2026-06-30
  expect big_spenders = (1)
  expect buyers = (1, 2)
}
"""


def _write_project(folder: Path, threshold: int) -> Path:
    rng = random.Random(10)
    data = folder / "data"
    data.mkdir(parents=True)
    cities = ["Amsterdam", "Utrecht", "Rotterdam", ""]
    customers = ["customer_id,age,city,lifestyle"]
    orders = ["customer_id,ordered_at,amount,status"]
    for key in range(1, 81):
        age = "" if key % 17 == 0 else str(rng.randint(16, 80))
        customers.append(f"{key},{age},{rng.choice(cities)},"
                         f"{rng.choice(['urban', 'rural', 'urban'])}")
        for _ in range(rng.randint(0, 5)):
            day = f"2026-{rng.randint(1, 6):02d}-{rng.randint(1, 28):02d}"
            status = rng.choice(["paid", "paid", "refunded"])
            orders.append(f"{key},{day},{rng.randint(5, 400)}.{rng.randint(0, 99):02d},{status}")
    (data / "customers.csv").write_text("\n".join(customers) + "\n")
    (data / "orders.csv").write_text("\n".join(orders) + "\n")
    entry = folder / "small.seg"
    entry.write_text(SOURCES + "\n" + DEFINITIONS.replace("THRESHOLD", str(threshold)))
    return entry


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("commands")
    return {"base": _write_project(root / "base", 300), "head": _write_project(root / "head", 200)}


def commands(project: dict[str, Path], out: Path) -> dict[str, tuple[list[str], Path | None]]:
    """Each command's arguments and the file it writes (compared byte for byte)."""
    base, head = str(project["base"]), str(project["head"])
    return {
        "check": (["check", "--data", base, "--as-of", AS_OF], None),
        "explain": (["explain", "big_spenders", base, "--as-of", AS_OF], None),
        "overlap": (["overlap", base, "--as-of", AS_OF, "--out", str(out / "overlap.csv")],
                    out / "overlap.csv"),
        "kpis": (["kpis", base, "--as-of", AS_OF], None),
        # over time (issue 11 item 6): two dates, one row per date, group and KPI
        "kpis over time": (["kpis", base, "--as-of", "2026-05-31", "--as-of", AS_OF], None),
        "persona": (["persona", "ann", base, "--as-of", AS_OF], None),
        "report": (["report", base, "--as-of", AS_OF, "--out", str(out / "report.html")],
                   out / "report.html"),
        "diff": (["diff", base, head, "--data", "--as-of", AS_OF, "--format", "json"], None),
        "test": (["test", base], None),
    }


# The report keeps each KPI's exact value in a `data-value` attribute. A sum of floating
# point numbers depends on the order they are added in, which differs between engines
# (ClickHouse: 28423.799999997 where DuckDB has 28423.800000000): those are compared to 9
# significant digits; every other byte, the shown values included, must be equal.
_EXACT_VALUE = re.compile(rb'data-value="(-?[0-9.e+-]+)"')


def _rounded(match: re.Match[bytes]) -> bytes:
    return b'data-value="%s"' % format(float(match.group(1)), ".9g").encode()


def _run(arguments: list[str], written: Path | None) -> tuple[int, str, bytes | None]:
    result = CliRunner().invoke(main, arguments)
    content = written.read_bytes() if written else None
    if content is not None and written.suffix == ".html":
        content = _EXACT_VALUE.sub(_rounded, content)
    return result.exit_code, result.stdout, content


@pytest.fixture(scope="module")
def on_duckdb(project, tmp_path_factory) -> dict[str, tuple[int, str, bytes | None]]:
    out = tmp_path_factory.mktemp("duckdb")
    return {name: _run(arguments, written)
            for name, (arguments, written) in commands(project, out).items()}


def test_the_reference_is_not_empty(on_duckdb) -> None:
    code, printed, _ = on_duckdb["check"]
    assert code == 0 and "expectations hold" in printed
    assert on_duckdb["diff"][0] == 1  # the threshold changed: big_spenders widens
    assert "big_spenders" in on_duckdb["diff"][1]
    assert on_duckdb["explain"][1].count("%") >= 2
    assert b"<svg" in on_duckdb["report"][2]
    # the persona's feature `spend_total`: the members' median, read from the members table
    assert "median" in on_duckdb["persona"][1].split("spend_total")[1].split("\n")[0]
    assert "2 passed, 0 failed" not in on_duckdb["test"][1] or on_duckdb["test"][0] == 0


def test_exact_values_are_compared_to_nine_digits() -> None:
    def rounded(text: bytes) -> bytes:
        return _EXACT_VALUE.sub(_rounded, text)

    assert rounded(b'data-value="28423.799999997"') == rounded(b'data-value="28423.800000000"')
    assert rounded(b'data-value="28423.79"') != rounded(b'data-value="28423.80"')


@pytest.mark.parametrize("engine", engine_params(OTHER_ENGINES))
def test_every_data_command_gives_duckdb_s_output(engine, engine_options, project, on_duckdb,
                                                  tmp_path) -> None:
    target = ["--target", str(engine_options["url"])] if "url" in engine_options else []
    for name, (arguments, written) in commands(project, tmp_path).items():
        result = _run([*arguments, "--engine", engine, *target], written)
        assert result == on_duckdb[name], f"segl {name} on {engine}"
