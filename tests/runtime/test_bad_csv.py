"""Every kind of bad CSV file is a data error naming the table, the file, the line (with its
byte offset) and the column, on DuckDB, on Polars (which reads the file itself) and on SQLite
(whose loader reads it through DuckDB); `segl check` finds the same rows. docs/engines.md
lists the classes."""

from __future__ import annotations

import pytest

from tests.runtime.bad_files import (
    CSV_SEG,
    ROWS,
    assert_run_fails_named,
    byte_in_message,
    csv_lines,
    line_span,
    segl,
    write_csv,
)

ENGINES = ["duckdb", "polars", "sqlite"]
BAD_LINE = ROWS  # the line of row ROWS - 1: deep in the file, past the sniffer's sample
SECRET = "Secret-Street-7"  # a value of the bad row that no message may repeat


def bad_row(text: str) -> list[bytes]:
    lines = csv_lines()
    lines[BAD_LINE - 1] = text.encode() if isinstance(text, str) else text
    return lines


# (the bad line, what the message says about it, the offset in the line DuckDB points at)
DEEP_ROWS = {
    "a value of the wrong type": (
        f"{BAD_LINE - 1},{SECRET},forty", "column `age` (byte offset {byte}): not a valid "
        "BIGINT (the column's type, which DuckDB took from the file's first rows)",
        lambda text: text.index("forty")),
    "a quote left open": (
        f'{BAD_LINE - 1},"{SECRET},45', "column `city` (byte offset {byte}): a quoted value "
        "is not closed, or text follows its closing quote", lambda text: text.index('"')),
    "too many values": (
        f"{BAD_LINE - 1},{SECRET},45,extra", "(byte offset {byte}): more values than the "
        "header's 3 columns", lambda text: text.index(",extra")),
    "too few values": (
        f"{BAD_LINE - 1},{SECRET}", "column `age` (byte offset {byte}): fewer values than the "
        "header's 3 columns", len),
}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("kind", DEEP_ROWS)
def test_a_bad_row_deep_in_the_file_is_named_by_line_column_and_byte(tmp_path, engine, kind):
    text, said, offset_in_line = DEEP_ROWS[kind]
    lines = bad_row(text)
    seg = write_csv(tmp_path, lines)
    message = assert_run_fails_named(seg, engine, f"`data/customers.csv` line {BAD_LINE}",
                                     secrets=(SECRET, "forty"))
    start, _ = line_span(lines, BAD_LINE)
    assert said.format(byte=start + offset_in_line(text)) in message


def test_check_reads_every_row_and_names_the_same_row(tmp_path):
    text, *_ = DEEP_ROWS["a value of the wrong type"]
    seg = write_csv(tmp_path, bad_row(text))
    result = segl("check", str(seg))
    assert result.exit_code == 2
    assert f"line {BAD_LINE}, column `age`" in result.stderr and "not a valid BIGINT" \
        in result.stderr
    assert segl("check", "--no-data", str(seg)).exit_code == 0  # definitions only


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("line", [4, BAD_LINE], ids=["in the sniffed rows", "deep"])
def test_bytes_that_are_not_utf8_are_named(tmp_path, engine, line):
    lines = csv_lines()
    lines[line - 1] = f"{line - 1},Ams".encode() + b"\xff\xfe" + b"rdam,45"
    seg = write_csv(tmp_path, lines)
    message = assert_run_fails_named(
        seg, engine, f"`data/customers.csv` line {line}, column `city` (byte offset")
    assert "bytes that are not UTF-8 (save the file as UTF-8)" in message
    start, end = line_span(lines, line)
    assert start <= byte_in_message(message) <= end


@pytest.mark.parametrize("engine", ENGINES)
def test_a_quote_left_open_among_the_first_rows_is_not_a_missing_column(tmp_path, engine):
    # The sniffer cannot split such a file and used to read it as one column, so segl
    # reported that the table had no column `customer_id`.
    lines = csv_lines(quoted=True)
    lines[5] = f'5,"{SECRET},45'.encode()
    seg = write_csv(tmp_path, lines)
    message = assert_run_fails_named(seg, engine, "`data/customers.csv` line 6, column `city`",
                                     secrets=(SECRET,))
    assert "a quoted value is not closed" in message and "no column" not in message


def test_quoted_values_never_keep_their_quotes(tmp_path):
    # No quote among the rows the sniffer samples used to mean "no quote character": a
    # quoted value further down then kept its quotes and split at its comma.
    lines = csv_lines()
    lines[BAD_LINE - 1] = f'{BAD_LINE - 1},"Amsterdam, Centrum",45'.encode()
    lines[BAD_LINE] = f'{BAD_LINE},"Amsterdam",45'.encode()
    seg = write_csv(tmp_path, lines)
    out = tmp_path / "members.csv"
    result = segl("run", str(seg), "--as-of", "2026-06-30", "--out", str(out), "--shape", "wide",
                  "--format", "csv")
    assert result.exit_code == 0, result.output
    amsterdam = {int(line.split(b",")[0]) for line in lines[1:]
                 if line.split(b",")[1] == b"Amsterdam" or line.endswith(b',"Amsterdam",45')}
    members = {int(row.split(",")[0]) for row in out.read_text().splitlines()[1:]
               if row.split(",")[2] == "true"}
    assert members == amsterdam and BAD_LINE in members and BAD_LINE - 1 not in members


def test_many_bad_rows_list_the_first_three_and_count_the_rest(tmp_path):
    lines = csv_lines()
    for line in range(21_000, 21_005):
        lines[line - 1] = f"{line - 1},Utrecht,n/a".encode()
    message = assert_run_fails_named(write_csv(tmp_path, lines), "duckdb", "line 21000")
    assert "line 21001" in message and "line 21002" in message
    assert "line 21003" not in message and "and 2 more bad lines" in message


@pytest.mark.parametrize("engine", ENGINES)
def test_an_empty_file_is_named_not_a_missing_key_column(tmp_path, engine):
    seg = write_csv(tmp_path, [])
    (tmp_path / "data/customers.csv").write_bytes(b"")
    assert_run_fails_named(seg, engine, "entity `customer`: `data/customers.csv` is empty: a "
                                        "CSV file needs a header line")


@pytest.mark.parametrize("engine", ENGINES)
def test_a_header_without_rows_explains_the_type_errors_it_causes(tmp_path, engine):
    seg = write_csv(tmp_path, csv_lines(rows=0))  # `age > 40` compares text with a number
    assert_run_fails_named(seg, engine, "`data/customers.csv` has a header but no rows, so "
                                        "every column reads as text")


def test_a_header_without_rows_is_fine_where_no_type_depends_on_rows(tmp_path):
    seg = write_csv(tmp_path, csv_lines(rows=0))
    seg.write_text('entity customer from csv "data/customers.csv" key customer_id\n'
                   'segment amsterdam = city = "Amsterdam"\n')
    result = segl("run", str(seg), "--as-of", "2026-06-30")
    assert result.exit_code == 0, result.output
    assert "0 customer entities" in result.output


def test_a_missing_key_column_is_an_error_at_the_key(tmp_path):
    lines = csv_lines(rows=10)
    lines[0] = b"id,city,age"
    seg = write_csv(tmp_path, lines)
    result = segl("run", str(seg), "--as-of", "2026-06-30")
    assert result.exit_code == 1
    assert f"{seg}:1:51: error[E101]: table `customer` has no column `customer_id`" \
        in result.stderr


def test_explain_names_a_bad_row_too(tmp_path):
    text, *_ = DEEP_ROWS["a value of the wrong type"]
    result = segl("explain", "old", str(write_csv(tmp_path, bad_row(text))), "--as-of",
                  "2026-06-30")
    assert result.exit_code == 2
    assert f"`data/customers.csv` line {BAD_LINE}, column `age`" in result.stderr


@pytest.mark.parametrize("engine", ["polars", "sqlite"])
def test_a_whole_number_beyond_64_bits_is_named_where_the_engine_cannot_hold_it(tmp_path,
                                                                                 engine):
    # DuckDB reads it as a HUGEINT; Polars reads CSV integers as Int64 and SQLite's INTEGER
    # has 64 bits.
    lines = csv_lines(rows=100)
    lines[50] = b"50,Amsterdam,123456789012345678901234567"
    message = assert_run_fails_named(write_csv(tmp_path, lines), engine,
                                     "entity `customer`:", secrets=("123456789012345678901",))
    assert "data/customers.csv" in message or "`age`" in message
    assert segl("run", str(tmp_path / "t.seg"), "--as-of", "2026-06-30").exit_code == 0


PERSONAL_SEG = """\
entity customer from csv "data/customers.csv" key customer_id {
  age int pii
}
segment old {
  purpose "Offer senior discounts"
  allow (age)
  where age > 40
}
"""


def test_an_engine_message_about_personal_data_is_withheld(tmp_path):
    # Polars names the failing cast; other engines may write the value itself without
    # quotes. Where the source holds personal data (docs/privacy.md) only the kind of error
    # and the personal columns are said, even for an allowed column: a data error is no
    # output an `allow` covers, and it ends up in CI logs.
    lines = csv_lines(rows=100)
    lines[50] = b"50,Amsterdam,123456789012345678901234567"
    seg = write_csv(tmp_path, lines)
    seg.write_text(PERSONAL_SEG)
    message = assert_run_fails_named(seg, "polars", "entity `customer`: Polars cannot read "
                                     "`data/customers.csv`: ",
                                     secrets=("123456789012345678901", "conversion"))
    assert "the engine's words are withheld, as they may hold a value of personal data: " \
        "`age` (pii)" in message


def test_redacted_drops_quoted_values_and_withholds_everything_for_personal_tables():
    import duckdb
    from segl.compiler.api import compile_source
    from segl.compiler.source import SourceFile
    from segl.runtime.bad_data import redacted

    failure = duckdb.ConversionException(
        "Conversion Error: Type INT128 with value 123456789012345678901 can't be cast to "
        "INT64 in column \"Secret-Street-7\"")
    personal, plain = (compile_source(SourceFile("t.seg", text)).require_ok()
                       for text in (PERSONAL_SEG, CSV_SEG))
    assert redacted(failure, [personal.entity]) == (
        "ConversionException; the engine's words are withheld, as they may hold a value of "
        "personal data: `age` (pii)")
    said = redacted(failure, [plain.entity])
    assert said.startswith("Conversion Error: Type INT128") and "Secret" not in said
