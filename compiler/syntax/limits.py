"""The ranges segl supports for numbers, durations and evaluation dates, and why.

Every engine segl runs on (DuckDB, PostgreSQL, SQLite, ClickHouse, Spark, Polars) and
Python's `date` agree on these, so a value inside them means the same everywhere, and a
value outside is refused by `segl check` at its position (E002) instead of overflowing in
one engine at run time (docs/language.md, "Supported ranges").

* Whole numbers fit in a signed 64-bit integer (every engine's BIGINT; Polars' Int64).
* Decimal numbers have at most 38 digits (DECIMAL(38, s), the widest every engine holds).
* A duration (`in last N days`, `as_of - N years`) is at most 1,000 years.
* The evaluation date (`--as-of`, a test's `as_of`) lies in the years 1001 to 8998, so
  every date `as_of ± duration` is a real date (years 1 to 9999) on every engine.

And a currency symbol (`format currency "€"`) is 1 to 5 letters or currency signs.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from decimal import Decimal

LARGEST_INT = 2**63 - 1
DECIMAL_DIGITS = 38
DURATION_YEARS = 1_000
MOST = {"day": 365_242, "week": 52_177, "month": 12 * DURATION_YEARS, "year": DURATION_YEARS}
EARLIEST_AS_OF = date(1001, 1, 1)
LATEST_AS_OF = date(8998, 12, 31)


LONGEST_CURRENCY = 5


def currency_problem(symbol: str) -> str | None:
    """A currency symbol or code (`format currency "€"`, segl.toml's `currency`) is 1 to 5
    letters or currency signs: it is printed beside numbers, so no digits, spaces or
    markup."""
    if 1 <= len(symbol) <= LONGEST_CURRENCY and all(
            c.isalpha() or unicodedata.category(c) == "Sc" for c in symbol):
        return None
    return (f"`{symbol}` is not a currency symbol or code: 1 to {LONGEST_CURRENCY} letters "
            "or currency signs, such as \"€\", \"$\" or \"EUR\"")


def number_problem(value: int | Decimal) -> str | None:
    if isinstance(value, int) and abs(value) > LARGEST_INT:
        return f"`{value}` is larger than a 64-bit integer holds ({LARGEST_INT})"
    if isinstance(value, Decimal) and len(value.as_tuple().digits) > DECIMAL_DIGITS:
        return f"a number of more than {DECIMAL_DIGITS} digits"
    return None


def duration_problem(amount: int, unit: str) -> str | None:
    if abs(amount) > MOST[unit]:
        return (f"{amount} {unit}s is longer than {DURATION_YEARS:,} years (at most "
                f"{MOST[unit]:,} {unit}s)")
    return None


def as_of_problem(value: date) -> str | None:
    if not EARLIEST_AS_OF <= value <= LATEST_AS_OF:
        return (f"the evaluation date {value.isoformat()} is outside the supported years "
                f"{EARLIEST_AS_OF.year} to {LATEST_AS_OF.year}")
    return None
