"""Helpers for the bad-data tests: small generated files and the checks every named data
error must pass (exit code 2, the table, file, column and place named, no value from the
data printed, the previous output file intact)."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner
from segl.runtime.cli import main

AS_OF = "2026-06-30"
PREVIOUS = "the previous members\n"
# Beyond the 20,480 rows DuckDB's CSV sniffer samples: a bad row here passes the sniffer.
ROWS = 25_000
CSV_SEG = """\
entity customer from csv "data/customers.csv" key customer_id
segment old = age > 40
segment amsterdam = city = "Amsterdam"
"""
PARQUET_SEG = CSV_SEG.replace('csv "data/customers.csv"', 'parquet "data/customers.parquet"')


def segl(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def csv_lines(rows: int = ROWS, quoted: bool = False) -> list[bytes]:
    """Header and rows (customer_id, city, age); the cities quoted when `quoted`."""
    quote = '"' if quoted else ""
    return [b"customer_id,city,age"] + [
        f"{i},{quote}{'Amsterdam' if i % 2 else 'Utrecht'}{quote},{20 + i % 50}".encode()
        for i in range(1, rows + 1)]


def write_csv(folder: Path, lines: list[bytes]) -> Path:
    """The .seg file, reading `lines` as data/customers.csv."""
    (folder / "data").mkdir(exist_ok=True)
    (folder / "data/customers.csv").write_bytes(b"\n".join(lines) + b"\n")
    seg = folder / "t.seg"
    seg.write_text(CSV_SEG)
    return seg


def line_span(lines: list[bytes], line: int) -> tuple[int, int]:
    """Byte offsets of the start and end of a line (1-based; line 1 is the header)."""
    start = sum(len(text) + 1 for text in lines[:line - 1])
    return start, start + len(lines[line - 1])


def assert_run_fails_named(seg: Path, engine: str, expected: str,
                           secrets: tuple[str, ...] = ()) -> str:
    """`segl run --out` over an existing output: exit 2 with `expected` in the message, no
    value of the bad row printed, the previous output untouched and no file left beside
    it. Returns the message."""
    out = seg.parent / "members.csv"
    out.write_text(PREVIOUS)
    result = segl("run", str(seg), "--as-of", AS_OF, "--engine", engine, "--out", str(out))
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"data error: {seg}:1:"), result.stderr
    assert expected in result.stderr, result.stderr
    for secret in secrets:
        assert secret not in result.stderr
    assert out.read_text() == PREVIOUS
    assert sorted(p.name for p in seg.parent.iterdir()) == ["data", "members.csv", "t.seg"]
    return result.stderr


def byte_in_message(message: str) -> int:
    return int(re.search(r"\(byte offset (\d+)\)", message).group(1))
