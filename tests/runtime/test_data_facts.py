"""`segl check`'s kept data facts (runtime/data_facts.py, issue 15 item 5): a second check of
unchanged Parquet files reads no data and starts no DuckDB; anything that may change what
the data says, or any doubt, is a miss. Reads are counted by DuckDBSchemas' calls (one per
source read through DuckDB) and connections by the DuckDB engine's `connect`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time

import polars as pl
import pytest
from click.testing import CliRunner
from segl.runtime import data_facts
from segl.runtime.cli import main
from segl.runtime.engines import duckdb as duckdb_engine
from segl.runtime.sources import DuckDBSchemas

from tests.conftest import ROOT

SEG = """
entity customer from parquet "data/customers.parquet" key customer_id {
  customer_id int
  age int
}
events orders from parquet "data/orders_*.parquet" key customer_id at ordered_at {
  amount float
}
lookup tiers from parquet "data/tiers.parquet" key tier for customer.age {
  label text
}
segment buyers {
  where count(orders) >= 1
}
"""


def customers(n: int = 3, duplicate: bool = False) -> pl.DataFrame:
    keys = list(range(1, n + 1)) + ([1] if duplicate else [])
    return pl.DataFrame({"customer_id": keys, "age": [30] * len(keys)})


def orders(month: int) -> pl.DataFrame:
    return pl.DataFrame({"customer_id": [1, 2], "amount": [10.0, 20.5],
                         "ordered_at": pl.Series([f"2026-0{month}-01 10:00:00"] * 2)
                         .str.to_datetime()})


@pytest.fixture
def shop(tmp_path, monkeypatch):
    """A project of three Parquet sources (one a glob), the cache on in tmp_path/cache and
    no file counted as fresh; returns the .seg path."""
    monkeypatch.delenv("SEGL_NO_DATA_CACHE", raising=False)
    monkeypatch.setenv("SEGL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(data_facts, "FRESH_NS", 0)
    data = tmp_path / "data"
    data.mkdir()
    customers().write_parquet(data / "customers.parquet")
    orders(1).write_parquet(data / "orders_1.parquet")
    pl.DataFrame({"tier": [30], "label": ["thirties"]}).write_parquet(data / "tiers.parquet")
    seg = tmp_path / "shop.seg"
    seg.write_text(textwrap.dedent(SEG).lstrip(), encoding="utf-8")
    return seg


@pytest.fixture
def reads(monkeypatch):
    """The sources read through DuckDB and the connections started, as they happen."""
    seen: dict[str, list[str]] = {"tables": [], "connections": []}
    read, connect = DuckDBSchemas.__call__, duckdb_engine.connect

    def counted_read(self, table):
        seen["tables"].append(table.name)
        return read(self, table)

    def counted_connect(*args, **kwargs):
        seen["connections"].append("duckdb")
        return connect(*args, **kwargs)

    monkeypatch.setattr(DuckDBSchemas, "__call__", counted_read)
    monkeypatch.setattr(duckdb_engine, "connect", counted_connect)
    return seen


def check(seg, *options: str) -> int:
    result = CliRunner().invoke(main, ["check", *options, str(seg)], catch_exceptions=False)
    return result.exit_code


def entries(seg) -> list[str]:
    folder = seg.parent / "cache" / data_facts.FOLDER
    return sorted(os.listdir(folder)) if folder.exists() else []


def twice(seg, reads, *options: str) -> list[str]:
    """The tables the second of two checks read."""
    assert check(seg, *options) == 0
    reads["tables"].clear()
    reads["connections"].clear()
    assert check(seg, *options) == 0
    return sorted(reads["tables"])


def test_a_second_check_reads_no_data_and_starts_no_duckdb(shop, reads):
    assert check(shop) == 0
    assert sorted(reads["tables"]) == ["customer", "orders", "tiers"]
    assert len(entries(shop)) == 3
    reads["tables"].clear()
    reads["connections"].clear()
    assert check(shop) == 0
    assert reads == {"tables": [], "connections": []}


def test_a_kept_entry_holds_the_columns_and_the_checked_keys(shop):
    assert check(shop) == 0
    folder = shop.parent / "cache" / data_facts.FOLDER
    kept = [json.loads((folder / name).read_text()) for name in entries(shop)]
    by_location = {os.path.basename(e["key"]["location"]): e for e in kept}
    customer = by_location["customers.parquet"]
    assert customer["columns"] == [["customer_id", "BIGINT"], ["age", "BIGINT"]]
    assert customer["entity_keys"] == ["customer_id"]
    assert by_location["tiers.parquet"]["lookup_keys"] == ["tier"]
    files = customer["key"]["files"][0]
    assert files[0] == os.path.realpath(shop.parent / "data/customers.parquet")
    assert len(files) == 6 and customer["key"]["segl"] and customer["key"]["duckdb"]
    assert os.stat(folder).st_mode & 0o077 == 0


def test_a_file_of_another_size_is_read_again(shop, reads):
    assert check(shop) == 0
    reads["tables"].clear()
    path = shop.parent / "data/customers.parquet"
    size = os.path.getsize(path)
    customers(40).write_parquet(path)
    assert os.path.getsize(path) != size
    assert check(shop) == 0
    assert reads["tables"] == ["customer"]
    assert len(entries(shop)) == 3  # (the older entry of customers.parquet is gone)


def test_a_file_with_another_mtime_is_read_again(shop, reads):
    assert check(shop) == 0
    reads["tables"].clear()
    path = shop.parent / "data/tiers.parquet"
    status = os.stat(path)
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns - 10**9))
    assert check(shop) == 0
    assert reads["tables"] == ["tiers"]


def test_a_new_file_in_a_glob_is_read_again(shop, reads):
    assert check(shop) == 0
    reads["tables"].clear()
    orders(2).write_parquet(shop.parent / "data/orders_2.parquet")
    assert check(shop) == 0
    assert reads["tables"] == ["orders"]


def test_a_file_added_to_a_glob_while_it_is_read_is_not_kept(shop, monkeypatch):
    read = DuckDBSchemas.__call__

    def adding(self, table):
        found = read(self, table)
        if table.name == "orders":
            orders(2).write_parquet(shop.parent / "data/orders_2.parquet")
        return found

    monkeypatch.setattr(DuckDBSchemas, "__call__", adding)
    assert check(shop) == 0
    kept = [json.loads((shop.parent / "cache" / data_facts.FOLDER / name).read_text())
            for name in entries(shop)]
    assert sorted(os.path.basename(e["key"]["location"]) for e in kept) == \
        ["customers.parquet", "tiers.parquet"]


def test_a_recursive_glob_is_never_kept(shop, reads):
    # (DuckDB's `**` reads files in folders below; Python's glob, which the key lists, not)
    folder = shop.parent / "data" / "more"
    folder.mkdir()
    orders(2).write_parquet(folder / "orders_2.parquet")
    shop.write_text(shop.read_text().replace('"data/orders_*.parquet"',
                                             '"data/**/orders_*.parquet"'))
    assert twice(shop, reads) == ["orders"]
    assert len(entries(shop)) == 2


def test_another_duckdb_or_segl_version_reads_again(shop, reads, monkeypatch):
    assert check(shop) == 0
    reads["tables"].clear()
    monkeypatch.setattr(data_facts, "duckdb_version", lambda: "0.0.1")
    assert check(shop) == 0
    assert len(reads["tables"]) == 3
    reads["tables"].clear()
    monkeypatch.setattr(data_facts, "SEGL_VERSION", "9.9.9")
    assert check(shop) == 0
    assert len(reads["tables"]) == 3


def test_the_duckdb_version_is_read_without_importing_duckdb():
    program = ("import sys\nfrom segl.runtime.data_facts import duckdb_version\n"
               "found = duckdb_version()\nassert 'duckdb' not in sys.modules\n"
               "import duckdb\nassert found == duckdb.__version__, (found, duckdb.__version__)")
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                            cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr


def test_an_unknown_duckdb_version_keeps_and_trusts_nothing(shop, reads, monkeypatch):
    """A version that cannot be read (no metadata folder, or two of them) could hide an
    upgrade: the kept entry is not trusted and nothing is written."""
    assert check(shop) == 0  # kept under the real version
    kept = entries(shop)
    monkeypatch.setattr(data_facts, "duckdb_version", lambda: None)
    for _ in range(2):
        reads["tables"].clear()
        assert check(shop) == 0
        assert len(reads["tables"]) == 3  # every source read again, each time
    assert entries(shop) == kept


def test_two_duckdb_metadata_folders_make_the_version_unknown(tmp_path, monkeypatch):
    package = tmp_path / "duckdb"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (tmp_path / "duckdb-1.4.0.dist-info").mkdir()
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "duckdb", raising=False)  # (find_spec: not the loaded one)
    version = data_facts.duckdb_version  # (kept per process: cleared around each read)
    try:
        version.cache_clear()
        assert version() == "1.4.0"
        (tmp_path / "duckdb-2.0.1.dist-info").mkdir()  # a stale folder beside the new one
        version.cache_clear()
        assert version() is None
    finally:
        version.cache_clear()


@pytest.mark.parametrize("damage", [b"", b"{not json", b'{"key": 1}', b"[1, 2]",
                                    b'{"key": {}, "columns": [], "entity_keys": [], '
                                    b'"lookup_keys": []}', "columns", b"[" * 100_000])
def test_a_corrupt_entry_is_a_miss_not_an_error(shop, reads, damage):
    assert check(shop) == 0
    folder = shop.parent / "cache" / data_facts.FOLDER
    for name in entries(shop):
        if damage == "columns":  # the right key, columns that are not (name, type) pairs
            kept = json.loads((folder / name).read_text())
            kept["columns"] = {"ab": "cd"}
            (folder / name).write_text(json.dumps(kept))
        else:
            (folder / name).write_bytes(damage)
    reads["tables"].clear()
    assert check(shop) == 0
    assert len(reads["tables"]) == 3
    assert twice(shop, reads) == []  # (written again)


def test_an_entry_others_can_write_is_not_read(shop, reads):
    assert check(shop) == 0
    folder = shop.parent / "cache" / data_facts.FOLDER
    for name in entries(shop):
        os.chmod(folder / name, 0o666)
    reads["tables"].clear()
    assert check(shop) == 0
    assert len(reads["tables"]) == 3


def test_a_file_changed_in_the_last_two_seconds_is_not_kept(shop, monkeypatch):
    monkeypatch.setattr(data_facts, "FRESH_NS", 2_000_000_000)
    assert check(shop) == 0  # (the fixture wrote every file a moment ago)
    assert entries(shop) == []
    later = data_facts.time.time_ns() + 3_000_000_000
    monkeypatch.setattr(data_facts, "time", type("Clock", (), {"time_ns": lambda: later}))
    assert check(shop) == 0
    assert len(entries(shop)) == 3


def test_csv_sources_are_never_kept(shop, reads):
    data = shop.parent / "data"
    pl.read_parquet(data / "tiers.parquet").write_csv(data / "tiers.csv")
    shop.write_text(shop.read_text().replace('parquet "data/tiers.parquet"',
                                             'csv "data/tiers.csv"'))
    assert twice(shop, reads) == ["tiers"]
    assert len(entries(shop)) == 2


@pytest.mark.parametrize("bypass", ["option", "environment"])
def test_no_cache_and_the_environment_variable_bypass_it(shop, reads, monkeypatch, bypass):
    options = ("--no-cache",) if bypass == "option" else ()

    def bypassed() -> int:
        if bypass == "environment":
            monkeypatch.setenv("SEGL_NO_DATA_CACHE", "1")
        try:
            return check(shop, *options)
        finally:
            monkeypatch.delenv("SEGL_NO_DATA_CACHE", raising=False)

    assert bypassed() == 0 and bypassed() == 0
    assert len(reads["tables"]) == 6 and entries(shop) == []  # neither read nor written
    assert check(shop) == 0 and len(entries(shop)) == 3  # kept, then bypassed all the same
    reads["tables"].clear()
    assert bypassed() == 0
    assert len(reads["tables"]) == 3


def test_a_database_is_never_cached(shop, reads, tmp_path):
    database = str(tmp_path / "empty.duckdb")
    assert len(twice(shop, reads, "--db", database)) == 3
    assert entries(shop) == []


@pytest.mark.parametrize("problem", ["duplicate key", "declared type", "definition error"])
def test_a_check_with_problems_keeps_nothing(shop, reads, problem):
    data = shop.parent / "data"
    if problem == "duplicate key":
        customers(duplicate=True).write_parquet(data / "customers.parquet")
    elif problem == "declared type":
        shop.write_text(shop.read_text().replace("  age int", "  age date"))
    else:
        shop.write_text(shop.read_text().replace(">= 1", ">= true"))
    assert check(shop) != 0
    assert entries(shop) == []
    reads["tables"].clear()
    assert check(shop) != 0  # (and found again)
    assert len(reads["tables"]) == 3


def test_a_hit_in_a_fresh_process_does_not_import_duckdb(shop):
    env = {**os.environ}
    env.pop("SEGL_NO_DATA_CACHE", None)
    program = ("import sys\nfrom segl.runtime.cli import main\n"
               "try:\n    main(sys.argv[1:])\nexcept SystemExit as exc:\n"
               "    assert not exc.code, exc.code\n"
               "print('duckdb' in sys.modules)\n")
    first = subprocess.run([sys.executable, "-c", program, "check", str(shop)], env=env,
                           capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert first.returncode == 0, first.stderr
    assert first.stdout.split()[-1] == "True"
    assert entries(shop) == []  # (the fixture's files were written less than 2 s ago)
    time.sleep(2.1)
    first = subprocess.run([sys.executable, "-c", program, "check", str(shop)], env=env,
                           capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert first.returncode == 0 and len(entries(shop)) == 3, first.stderr
    second = subprocess.run([sys.executable, "-c", program, "check", str(shop)], env=env,
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert second.returncode == 0, second.stderr
    assert "shop.seg: ok" in second.stdout and second.stdout.split()[-1] == "False"


def test_a_hidden_file_added_to_a_glob_is_read_again(shop, reads):
    # (DuckDB's `*` matches names that start with a dot, Python's glob by default not: the
    # key must list every file DuckDB reads, or a hit keeps facts the new file contradicts)
    tiers = shop.parent / "data" / "tiers"
    tiers.mkdir()
    os.rename(shop.parent / "data/tiers.parquet", tiers / "part-0.parquet")
    shop.write_text(shop.read_text().replace('"data/tiers.parquet"', '"data/tiers/*.parquet"'))
    assert check(shop) == 0
    pl.DataFrame({"tier": [30], "label": ["again"]}).write_parquet(tiers / ".part-1.parquet")
    assert check(shop, "--no-cache") != 0  # (a lookup key repeated: what DuckDB reads)
    assert check(shop) != 0


def test_a_change_to_segls_own_checks_reads_again(shop, reads, monkeypatch, tmp_path):
    # (SEGL_VERSION stays the same between commits: a checkout whose checks of the data
    # changed must not keep what the older checks passed)
    checks = tmp_path / "sources.py"
    checks.write_text("# the checks\n")
    monkeypatch.setattr(data_facts, "CHECK_FILES", (*data_facts.CHECK_FILES, str(checks)))
    assert check(shop) == 0
    reads["tables"].clear()
    assert check(shop) == 0 and reads["tables"] == []
    checks.write_text("# the checks, changed\n")
    assert check(shop) == 0
    assert len(reads["tables"]) == 3


def test_the_check_files_are_segls_modules():
    assert len(data_facts.CHECK_FILES) >= 4
    assert all(os.path.isfile(name) for name in data_facts.CHECK_FILES)


def test_two_sources_on_one_file_keep_both_keys(shop, reads):
    # (one entry per file: the entity's checked key and the lookup's are kept together, not
    # the one written last; else every check ran one of the two key checks again)
    data = shop.parent / "data"
    pl.DataFrame({"customer_id": [1, 2, 3], "age": [30, 40, 50], "tier": [30, 40, 50],
                  "label": ["a", "b", "c"]}).write_parquet(data / "customers.parquet")
    shop.write_text(shop.read_text().replace('"data/tiers.parquet"',
                                             '"data/customers.parquet"'))
    assert check(shop) == 0
    reads["tables"].clear()
    reads["connections"].clear()
    assert check(shop) == 0
    assert reads == {"tables": [], "connections": []}
