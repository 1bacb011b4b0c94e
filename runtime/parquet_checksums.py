"""Page checksums of Parquet files, verified before any engine reads them.

A changed byte inside a Parquet page often still decodes: in an uncompressed or snappy page
it is just another value, and neither DuckDB nor Polars notices (nor verifies the checksums
a file carries). A writer may store a CRC-32 of each page in the page's header (parquet-java,
and so Spark and Hive, do by default; pyarrow with `write_page_checksum=True`); this module
walks every page of every column chunk and compares. A file without checksums passes: what
segl can say about it is only what decoding finds (docs/engines.md).

The page headers are Thrift compact-protocol structs; only the four leading fields of a
PageHeader are read (type, sizes, crc), everything else is skipped. A header this reader
cannot make sense of stops the walk of that chunk without a verdict: the engines parse the
same header and report it themselves.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import duckdb

from . import sql

if TYPE_CHECKING:
    from sqlglot import exp

HEADER_READ = 256  # bytes read for a page header first; more when it holds long statistics
HEADER_LIMIT = 1 << 24


def parquet_metadata() -> exp.Expression:
    """DuckDB's `parquet_metadata(?)`: one row per column chunk of the file bound to `?`
    (its row group, column, page offsets and sizes), read from the footer alone."""
    from sqlglot import exp

    return exp.Anonymous(this="parquet_metadata", expressions=[sql.placeholder()])


@dataclass(frozen=True)
class ChecksumMismatch:
    file: str
    row_group: int
    column: str
    offset: int  # of the page header, from the start of the file

    def describe(self) -> str:
        return (f"the page at byte {self.offset} (row group {self.row_group}, column "
                f"`{self.column}`) does not match its checksum: the file is damaged")


def checksum_mismatches(file: str, connection: duckdb.DuckDBPyConnection | None = None
                        ) -> list[ChecksumMismatch]:
    """Pages of `file` whose stored CRC-32 differs from their bytes (none for a file
    without checksums). DuckDB reads the footer (on `connection`, or one of its own); a
    footer it cannot read raises duckdb.Error."""
    columns = ("row_group_id", "column_id", "path_in_schema", "dictionary_page_offset",
               "data_page_offset", "total_compressed_size")
    # (the relation API, the file bound as a value: `segl check` imports no sqlglot)
    metadata = sql.table_function(connection or duckdb.connect(), "parquet_metadata", file)
    chunks = sorted(sql.project_rows(metadata, *(duckdb.col(name) for name in columns)),
                    key=lambda chunk: (chunk[0], chunk[1]))
    found = []
    with open(file, "rb") as stream:
        for row_group, _, column, dictionary, data, size in chunks:
            start = dictionary if dictionary is not None and 0 < dictionary < data else data
            if start is None or size is None:
                continue
            for offset in _mismatched_pages(stream, start, start + size):
                found.append(ChecksumMismatch(file, row_group, column, offset))
    return found


def _mismatched_pages(stream, start: int, end: int) -> Iterator[int]:
    position = start
    while position < end:
        header = _page_header(stream, position, end)
        if header is None:
            return  # not a header this reader understands: the engines will say
        length, compressed_size, crc = header
        body = position + length
        if compressed_size < 0 or body + compressed_size > end:
            return
        if crc is not None:
            stream.seek(body)
            if zlib.crc32(stream.read(compressed_size)) != crc & 0xFFFFFFFF:
                yield position
        position = body + compressed_size


def _page_header(stream, position: int, end: int) -> tuple[int, int, int | None] | None:
    """(header length, compressed page size, crc or None) of the header at `position`."""
    size = HEADER_READ
    while True:
        stream.seek(position)
        data = stream.read(min(size, end - position))
        try:
            return _parse_page_header(data)
        except _Truncated:
            if len(data) < size or size >= HEADER_LIMIT:
                return None
            size *= 4
        except _Unreadable:
            return None


class _Truncated(Exception):
    pass


class _Unreadable(Exception):
    pass


# Thrift compact protocol types
_STOP, _TRUE, _FALSE, _BYTE, _I16, _I32, _I64, _DOUBLE, _BINARY, _LIST, _SET, _MAP, \
    _STRUCT = range(13)


class _CompactReader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.position = 0

    def byte(self) -> int:
        if self.position >= len(self.data):
            raise _Truncated
        value = self.data[self.position]
        self.position += 1
        return value

    def varint(self) -> int:
        result = shift = 0
        while True:
            byte = self.byte()
            result |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return result
            shift += 7
            if shift > 70:
                raise _Unreadable

    def zigzag(self) -> int:
        value = self.varint()
        return (value >> 1) ^ -(value & 1)

    def fields(self) -> Iterator[tuple[int, int]]:
        """(field id, type) of a struct's fields, up to its stop byte."""
        last = 0
        while True:
            header = self.byte()
            kind = header & 0x0F
            if kind == _STOP:
                return
            delta = header >> 4
            last = last + delta if delta else self.zigzag()
            yield last, kind

    def skip(self, kind: int, depth: int = 0) -> None:
        if depth > 32:
            raise _Unreadable
        if kind in (_TRUE, _FALSE):
            return
        if kind == _BYTE:
            self.byte()
        elif kind in (_I16, _I32, _I64):
            self.varint()
        elif kind == _DOUBLE:
            self.advance(8)
        elif kind == _BINARY:
            self.advance(self.varint())
        elif kind in (_LIST, _SET):
            header = self.byte()
            count = header >> 4 if header >> 4 != 15 else self.varint()
            for _ in range(count):
                if header & 0x0F in (_TRUE, _FALSE):
                    self.byte()  # a boolean element is one byte in a list
                else:
                    self.skip(header & 0x0F, depth + 1)
        elif kind == _MAP:
            count = self.varint()
            if count:
                types = self.byte()
                for _ in range(count):
                    self.skip(types >> 4, depth + 1)
                    self.skip(types & 0x0F, depth + 1)
        elif kind == _STRUCT:
            for _, field_kind in self.fields():
                self.skip(field_kind, depth + 1)
        else:
            raise _Unreadable

    def advance(self, count: int) -> None:
        if self.position + count > len(self.data):
            raise _Truncated
        self.position += count


def _parse_page_header(data: bytes) -> tuple[int, int, int | None]:
    # PageHeader: 1 type, 2 uncompressed_page_size, 3 compressed_page_size, 4 crc (i32s),
    # then the header of the page's kind (a struct), which is skipped.
    reader = _CompactReader(data)
    compressed_size, crc = None, None
    for field_id, kind in reader.fields():
        if field_id in (3, 4) and kind == _I32:
            value = reader.zigzag()
            if field_id == 3:
                compressed_size = value
            else:
                crc = value
        else:
            reader.skip(kind)
    if compressed_size is None:
        raise _Unreadable
    return reader.position, compressed_size, crc
