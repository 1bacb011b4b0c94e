"""The slot of a key for a salt, in Python: what every engine computes for `ir.Slot`
(docs/experiments.md publishes it so any warehouse can compute the same groups).

    slot = int(md5(utf8(salt + ":" + key_text)).hexdigest()[:8], 16) % 10000

`key_text` is the key as text: an integer in decimal digits without sign padding
(`-42`, `7`), a text as it is. The Polars backend and SQLite use this function; the SQL
backend writes the same computation with md5, substr and arithmetic
(`backends/sql/slots.py`).
"""

from __future__ import annotations

import hashlib

SLOTS = 10_000
HEX_DIGITS = 8  # the first 32 bits of the digest


def key_text(key: object) -> str:
    return key if isinstance(key, str) else str(key)


def slot(salt: str, key: object) -> int:
    digest = hashlib.md5(f"{salt}:{key_text(key)}".encode()).hexdigest()
    return int(digest[:HEX_DIGITS], 16) % SLOTS


def md5_hex(text: str | None) -> str | None:
    """md5 as lower-case hex: the `md5` function segl gives SQLite."""
    return None if text is None else hashlib.md5(text.encode()).hexdigest()
