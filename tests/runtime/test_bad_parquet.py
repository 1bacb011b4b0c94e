"""A damaged Parquet file never yields members: truncated, not Parquet at all, text that is
not UTF-8, a page that does not decode, a page that no longer matches its checksum. Each is a
data error naming the table, the file and (where a page is at fault) the column and row group
or byte, on DuckDB, on Polars (which reads the file itself), on SQLite (whose loader reads it
through DuckDB) and on ClickHouse (which reads Parquet in place)."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest
from segl.runtime import engines
from segl.runtime.api import evaluate
from segl.runtime.errors import DataError

from tests.runtime.bad_files import PARQUET_SEG, assert_run_fails_named, segl

ROWS = 30_000
ENGINES = ["duckdb", "polars", "sqlite",
           pytest.param("clickhouse", marks=pytest.mark.skipif(
               not engines.available("clickhouse"), reason="chdb is not installed"))]
CUSTOMERS = pl.DataFrame({"customer_id": range(1, ROWS + 1),
                          "city": [f"City-{i:05d}" for i in range(ROWS)],
                          "age": [20 + i % 50 for i in range(ROWS)]})


def write(folder, mangle=None, **options):
    (folder / "data").mkdir()
    path = folder / "data/customers.parquet"
    CUSTOMERS.write_parquet(path, **options)
    if mangle:
        path.write_bytes(mangle(bytearray(path.read_bytes())))
    seg = folder / "t.seg"
    seg.write_text(PARQUET_SEG)
    return seg


def chunk(path, column: str) -> tuple[int, int]:
    """Where a column's pages are (its first row group), from the file's own footer."""
    (start, size), = duckdb.connect().execute(
        "SELECT data_page_offset, total_compressed_size FROM parquet_metadata(?) "
        "WHERE path_in_schema = ? AND row_group_id = 0", [str(path), column]).fetchall()
    return start, size


@pytest.mark.parametrize("engine", ENGINES)
def test_a_truncated_file_is_named(tmp_path, engine):
    seg = write(tmp_path, lambda data: data[: len(data) // 2])
    assert_run_fails_named(seg, engine, "entity `customer`: `data/customers.parquet` cannot "
                                        "be read: the file is damaged (")


@pytest.mark.parametrize("engine", ["duckdb", "polars"])
def test_an_empty_file_is_named(tmp_path, engine):
    seg = write(tmp_path, lambda data: b"")
    assert_run_fails_named(seg, engine, "`data/customers.parquet` cannot be read: the file is "
                                        "damaged (")


@pytest.mark.parametrize("engine", ENGINES)
def test_text_that_is_not_utf8_is_named_by_column_and_row_group(tmp_path, engine):
    def invalid_utf8(data):
        at = data.find(b"City-25000")
        data[at + 2] = 0xFF
        return data

    # uncompressed, without statistics: the bytes of the value are in the file as they are
    seg = write(tmp_path, invalid_utf8, compression="uncompressed", statistics=False,
                row_group_size=10_000)
    assert_run_fails_named(seg, engine, "`data/customers.parquet` column `city`, row group 2 "
                                        "(rows 20001 to 30000) cannot be read: text that is "
                                        "not valid UTF-8", secrets=("Ci\xffy",))


def damaged_age(folder):
    """A byte changed in the middle of the pages of column `age`, gzip-compressed: gzip
    carries a CRC of its own, so the page cannot decode silently."""
    def damage(data):
        start, size = chunk(folder / "data/customers.parquet", "age")
        data[start + size // 2] ^= 0xFF
        return data

    return write(folder, damage, compression="gzip")


@pytest.mark.parametrize("engine", ENGINES)
def test_a_page_that_does_not_decode_is_named_by_column(tmp_path, engine):
    seg = damaged_age(tmp_path)
    assert_run_fails_named(seg, engine, "`data/customers.parquet` column `age`, row group 0 "
                                        "(rows 1 to 30000) cannot be read: the file is damaged")


@pytest.mark.parametrize("engine", ENGINES)
def test_a_page_that_no_longer_matches_its_checksum_yields_no_members(tmp_path, engine):
    pyarrow_parquet = pytest.importorskip("pyarrow.parquet")
    (tmp_path / "data").mkdir()
    path = tmp_path / "data/customers.parquet"
    # Written with page checksums (as parquet-java, Spark and Hive write by default), and
    # uncompressed: a flipped bit in a value decodes as another value.
    pyarrow_parquet.write_table(CUSTOMERS.to_arrow(), path, compression="none",
                                write_page_checksum=True)
    data = bytearray(path.read_bytes())
    data[data.find(b"City-25000") + 9] ^= 0x01  # City-25000 -> City-25001
    path.write_bytes(data)
    # Without the checksum nothing notices: DuckDB reads the file, one city changed.
    cities = duckdb.connect().execute(
        "SELECT count(*) FILTER (WHERE city = 'City-25001') FROM read_parquet(?)",
        [str(path)]).fetchall()
    assert cities == [(2,)]
    seg = tmp_path / "t.seg"
    seg.write_text(PARQUET_SEG)
    message = assert_run_fails_named(seg, engine, "`data/customers.parquet`: the page at byte ")
    assert "(row group 0, column `city`) does not match its checksum: the file is damaged" \
        in message


def test_a_polars_panic_is_a_data_error(tmp_path, monkeypatch):
    # Polars panics on some damaged files (a BaseException that escapes `except Exception`);
    # which bytes make it panic depends on its version, so the panic is simulated.
    seg = damaged_age(tmp_path)

    def panic(self, *args, **kwargs):
        raise pl.exceptions.PanicException("called `Result::unwrap()` on an `Err` value")

    monkeypatch.setattr(pl.LazyFrame, "collect", panic)
    with pytest.raises(DataError) as caught:
        evaluate(seg, as_of="2026-06-30", engine="polars")
    assert "`data/customers.parquet` column `age`, row group 0 (rows 1 to 30000) cannot be " \
        "read: the file is damaged" in str(caught.value)


def test_check_verifies_checksums_and_reads_footers_but_decodes_no_page(tmp_path):
    # What `segl check` reads of a Parquet file (docs/engines.md): a page that does not
    # decode is found by the commands that read the values.
    seg = damaged_age(tmp_path)
    assert segl("check", str(seg)).exit_code == 0
    truncated = tmp_path / "data/customers.parquet"
    truncated.write_bytes(truncated.read_bytes()[:100])
    assert segl("check", str(seg)).exit_code == 2
