"""How a KPI value is shown: `number` (two decimals, the default), `percent` (a rate as
12.3%), `currency` (two decimals with a thousands separator and no symbol: the data says
nothing about which currency). One place, so `segl kpis`, the notebook and the report agree."""

from __future__ import annotations

from decimal import Decimal

FORMATS = ("number", "percent", "currency")
MISSING = "–"  # a value that does not exist (0 / 0)


def shown(value: object, fmt: str | None = None) -> str:
    if value is None:
        return MISSING
    number = float(value) if isinstance(value, (int, float, Decimal)) else None
    if number is None:
        return str(value)
    if fmt == "percent":
        return f"{number:.1%}"
    return f"{number:,.2f}"
