"""How a KPI value is shown: `number` (two decimals, the default), `percent` (a rate as
12.3%), `currency` (two decimals with a thousands separator, after the KPI's own symbol,
`format currency "€"`, else the project's, segl.toml's `currency = "€"`: `€7,948.12`, or a
code, `EUR 7,948.12`; without either no symbol: the data says nothing about which
currency). One place, so `segl kpis`, `persona`, the notebook and the report agree."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from .errors import UsageError

FORMATS = ("number", "percent", "currency")
MISSING = "–"  # a value that does not exist (0 / 0)


class _Kpi(Protocol):
    format: str | None
    currency: str | None


@dataclass(frozen=True)
class Display:
    """How one KPI's values are shown: its `format`, and for `currency` the symbol."""

    format: str | None = None  # percent | currency | number (None: number)
    symbol: str | None = None  # a currency's symbol (`€`) or code (`EUR`)


def display(kpi: _Kpi, currency: str | None = None) -> Display:
    """A KPI's display: its `format`; a currency's symbol is its own (`format currency
    "€"`), else the project's `currency` (segl.toml)."""
    return Display(kpi.format, (kpi.currency or currency) if kpi.format == "currency"
                   else None)


def shown(value: object, fmt: str | Display | None = None) -> str:
    symbol = None
    if isinstance(fmt, Display):
        fmt, symbol = fmt.format, fmt.symbol
    if value is None:
        return MISSING
    number = float(value) if isinstance(value, (int, float, Decimal)) else None
    if number is None:
        return str(value)
    if fmt == "percent":
        return f"{number:.1%}"
    if fmt == "currency" and symbol:
        amount = f"{abs(number):,.2f}"
        space = " " if symbol[-1].isalpha() else ""  # `EUR 5.00`, `€5.00`, `R$5.00`
        return f"{'-' if number < 0 and amount.strip('0.,') else ''}{symbol}{space}{amount}"
    return f"{number:,.2f}"


def parse_currency(value: object, source: str) -> str | None:
    """segl.toml's `currency`: a symbol or code of 1 to 5 letters or currency signs (`€`,
    `$`, `EUR`, `kr`, `R$`), as in `format currency "…"`; anything else is a usage error."""
    from segl.compiler.api import currency_problem

    if value is None:
        return None
    problem = currency_problem(value) if isinstance(value, str) else \
        f"{value!r} is not a currency symbol or code"
    if problem:
        raise UsageError(f"{source}: {problem}")
    return value
