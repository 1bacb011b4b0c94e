"""`ir.Slot` as SQL: the first 8 hex digits of md5(salt || ':' || key) read as a number,
modulo 10000 (compiler/slots.py is the same in Python).

Every engine has md5 returning lower-case hex (SQLite gets it from segl, see
runtime/engines/sqlite.py); the hex digits are read with substr and strpos and plain
BIGINT arithmetic, which every dialect has, rather than each engine's own hex parsing."""

from __future__ import annotations

from sqlglot import exp

from ...slots import HEX_DIGITS, SLOTS
from .trees import cast

_HEX = "0123456789abcdef"


def slot_sql(salt: str, key: exp.Expression, dialect: str) -> exp.Expression:
    text = cast(key, "TEXT")
    payload = exp.DPipe(this=exp.Literal.string(f"{salt}:"), expression=text, safe=True)
    digest = _md5_hex(payload, dialect)
    total: exp.Expression | None = None
    for index in range(HEX_DIGITS):
        digit = exp.Sub(
            this=exp.StrPosition(this=exp.Literal.string(_HEX),
                                 substr=exp.Substring(this=digest.copy(),
                                                      start=exp.Literal.number(index + 1),
                                                      length=exp.Literal.number(1))),
            expression=exp.Literal.number(1))
        weight = 16 ** (HEX_DIGITS - 1 - index)
        term = exp.Mul(this=cast(digit, "BIGINT"), expression=exp.Literal.number(weight))
        total = term if total is None else exp.Add(this=total, expression=term)
    assert total is not None
    return exp.Mod(this=exp.Paren(this=total), expression=exp.Literal.number(SLOTS))


def _md5_hex(value: exp.Expression, dialect: str) -> exp.Expression:
    if dialect == "clickhouse":  # MD5 gives 16 bytes there
        return exp.Lower(this=exp.Hex(this=exp.Anonymous(this="MD5", expressions=[value])))
    return exp.MD5(this=value)
