"""Parquet page checksums (runtime/parquet_checksums.py), against pyarrow's own verification
(`page_checksum_verification=True`), an independent reader of the same CRCs: no verdict on a
good file in any layout, and every changed byte pyarrow's verification rejects is found."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from segl.runtime.parquet_checksums import checksum_mismatches

pyarrow_parquet = pytest.importorskip("pyarrow.parquet")

TABLE = pl.DataFrame({
    "id": range(3_000),
    "city": [f"City {i % 37}" for i in range(3_000)],
    "amount": [i * 0.25 for i in range(3_000)],
    "note": [None if i % 5 else "x" * (i % 23) for i in range(3_000)],
}).to_arrow()
LAYOUTS = [(compression, version, dictionary)
           for compression in ("none", "snappy", "gzip", "zstd")
           for version in ("1.0", "2.0") for dictionary in (True, False)]


def write(path, compression="none", version="1.0", dictionary=True, checksums=True):
    pyarrow_parquet.write_table(TABLE, path, compression=compression, data_page_version=version,
                                use_dictionary=dictionary, write_page_checksum=checksums,
                                row_group_size=1_000, data_page_size=2_048)


def pyarrow_rejects_checksum(path) -> bool:
    try:
        pyarrow_parquet.ParquetFile(path, page_checksum_verification=True).read()
    except OSError as exc:
        return "CRC" in str(exc) or "checksum" in str(exc).lower()
    except Exception:
        return False
    return False


@pytest.mark.parametrize("layout", LAYOUTS, ids=["-".join(map(str, x)) for x in LAYOUTS])
def test_a_good_file_has_no_mismatch_in_any_layout(tmp_path, layout):
    path = tmp_path / "t.parquet"
    write(path, *layout)
    assert checksum_mismatches(str(path)) == []


def test_a_file_without_checksums_passes(tmp_path):
    path = tmp_path / "t.parquet"
    pl.from_arrow(TABLE).write_parquet(path, compression="uncompressed")
    data = bytearray(path.read_bytes())
    data[data.find(b"City 5")] ^= 0x01  # nothing to compare it with
    path.write_bytes(data)
    assert checksum_mismatches(str(path)) == []


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(layout=st.sampled_from(LAYOUTS), where=st.floats(0, 1, exclude_max=True),
       bit=st.integers(0, 7))
def test_every_change_pyarrow_rejects_is_found(tmp_path, layout, where, bit):
    path = tmp_path / "t.parquet"
    write(path, *layout)
    data = bytearray(path.read_bytes())
    footer = int.from_bytes(data[-8:-4], "little") + 8
    position = 4 + int(where * (len(data) - footer - 4))  # in the pages, not the footer
    data[position] ^= 1 << bit
    path.write_bytes(data)
    found = checksum_mismatches(str(path))
    if pyarrow_rejects_checksum(path):
        assert found, (layout, position)
    if found:  # the first page found is the changed one (or one before it)
        assert min(m.offset for m in found) <= position
        assert {m.column for m in found} <= set(TABLE.column_names)
