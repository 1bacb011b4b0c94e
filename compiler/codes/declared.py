"""What a diagnostic code is: its severity and the declaration that documents it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"  # `segl lint` findings worth knowing that need no change


@dataclass(frozen=True)
class Declared:
    """One diagnostic code, declared once: what `segl check --explain CODE` prints and
    docs/diagnostics.md lists.

    `mistake` and `fix` are `.seg` lines written against the prelude of docs/diagnostics.md
    (entity `customer`, events `orders`); `reserved` marks a code kept for a purpose but raised
    nowhere yet."""

    code: str
    severity: Severity  # the default: `segl lint` settings may change a lint rule's
    title: str  # one line: what it means (for lint rules, what the rule finds)
    explanation: str  # why it is a problem (for lint rules, the one-line rationale)
    mistake: str  # a short `.seg` example of the mistake
    fix: str  # the same example, corrected
    reserved: bool = False

    @property
    def kind(self) -> str:
        return {"E": "compiler error", "W": "compiler warning", "L": "lint rule"}[self.code[0]]


# What every example's `mistake` and `fix` is written against (shown once in
# docs/diagnostics.md, and prepended when the examples are compiled by the tests).
PRELUDE = """\
entity customer from csv "customers.csv" key customer_id {
  customer_id int
  city text
  signup_date date
  shop_id int
  birth_date date pii
  email text pii
  email_opt_in bool consent
}
events orders from csv "orders.csv" key customer_id at ordered_at {
  customer_id int
  ordered_at timestamp
  amount float
}
"""
