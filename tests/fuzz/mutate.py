"""Mutations of real `.seg` files: the inputs a careless user or an attacker could write.

`mutants(corpus, rng)` yields (bytes, mutation name) forever: each starts from a file of the
repository and applies one to three of the mutations below. Deterministic for a seeded
`random.Random`, so a crash is reproduced from its seed and index.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator

# Strings and backquoted names first (as the formatter lexes), then words, numbers, symbols.
_TOKEN = re.compile(rb'"(?:\\.|[^"\\\n])*"|`[^`\n]+`|#[^\n]*|[A-Za-z_][A-Za-z0-9_]*|'
                    rb"\d{4}-\d{2}-\d{2}|\d+(?:\.\d+)?|\S")
_NUMBER = re.compile(rb"\b\d+(?:\.\d+)?\b")
_DATE = re.compile(rb"\b\d{4}-\d{2}-\d{2}\b")
_CONDITION = re.compile(rb"(=|where|when|and|or) ")

HUGE_NUMBERS = (b"99999999", b"99999999999999999999999999", b"0", b"00000000001",
                b"9999", b"1.5", b"340282366920938463463374607431768211457", b"2147483648",
                b"9223372036854775808", b"0.000000000000000000000001")
ODD_DATES = (b"0001-01-01", b"9999-12-31", b"2023-02-30", b"2024-02-29", b"0000-00-00",
             b"1969-12-31", b"2026-13-01", b"2026-06-31")
ODD_TEXT = ("\0", "\x1b[31m", "\x1b]0;pwned\x07", "\r", "\r\n", "\ufeff", "\u202e", "\t",
            "\x7f", "\u0085", "\u2028", "é", "🦆", "`", '"', "\\", "#", "\n")
INJECTIONS = (b" in last 99999999 days", b" - 9999 years", b" + 99999 months",
              b" from 0001-01-01 to 9999-12-31", b" since 9999-12-31", b" before 0001-01-01",
              b' and as_of - 9999 years < 2020-01-01', b" / 0", b" * 99999999999999999999")


def _tokens(data: bytes) -> list[re.Match]:
    return list(_TOKEN.finditer(data))


def byte_flip(data: bytes, rng: random.Random, corpus: list[bytes]) -> bytes:
    if not data:
        return bytes([rng.randrange(256)])
    at = rng.randrange(len(data))
    return data[:at] + bytes([rng.randrange(256)]) + data[at + 1:]


def token_delete(data: bytes, rng: random.Random, corpus: list[bytes]) -> bytes:
    tokens = _tokens(data)
    if not tokens:
        return data
    token = rng.choice(tokens)
    return data[:token.start()] + data[token.end():]


def token_duplicate(data: bytes, rng: random.Random, corpus: list[bytes]) -> bytes:
    tokens = _tokens(data)
    if not tokens:
        return data
    token = rng.choice(tokens)
    return data[:token.end()] + b" " + token.group() + data[token.end():]


def token_swap(data: bytes, rng: random.Random, corpus: list[bytes]) -> bytes:
    tokens = _tokens(data)
    if len(tokens) < 2:
        return data
    a, b = sorted(rng.sample(tokens, 2), key=lambda m: m.start())
    return (data[:a.start()] + b.group() + data[a.end():b.start()] + a.group()
            + data[b.end():])


def splice_lines(data: bytes, rng: random.Random, corpus: list[bytes]) -> bytes:
    lines = data.split(b"\n")
    other = rng.choice(corpus).split(b"\n")
    start = rng.randrange(len(other))
    taken = other[start:start + rng.randint(1, 6)]
    at = rng.randrange(len(lines) + 1)
    return b"\n".join(lines[:at] + taken + lines[at:])


def deep_nesting(data: bytes, rng: random.Random, corpus: list[bytes]) -> bytes:
    found = list(_CONDITION.finditer(data))
    if not found:
        return data
    at = rng.choice(found).end()
    depth = rng.choice((2, 50, 99, 100, 101, 300, 1000, 3000))
    end = data.find(b"\n", at)
    end = len(data) if end < 0 else end
    inner = data[at:end]
    wrap = rng.choice(("paren", "not", "case", "neg", "chain", "call"))
    if wrap == "paren":
        new = b"(" * depth + inner + b")" * depth
    elif wrap == "not":
        new = b"not " * depth + inner
    elif wrap == "case":
        new = b"case when true then " * depth + inner + b" else false end" * depth
    elif wrap == "neg":
        new = b"-" * depth + inner
    elif wrap == "call":
        new = b"abs(" * depth + inner + b")" * depth
    else:
        new = b" and ".join([inner] * min(depth, 1000))
    return data[:at] + new + data[end:]


def huge_number(data: bytes, rng: random.Random, corpus: list[bytes]) -> bytes:
    found = list(_NUMBER.finditer(data))
    if not found:
        return data
    match = rng.choice(found)
    return data[:match.start()] + rng.choice(HUGE_NUMBERS) + data[match.end():]


def odd_date(data: bytes, rng: random.Random, corpus: list[bytes]) -> bytes:
    found = list(_DATE.finditer(data))
    if not found:
        return inject(data, rng, corpus)
    match = rng.choice(found)
    return data[:match.start()] + rng.choice(ODD_DATES) + data[match.end():]


def inject(data: bytes, rng: random.Random, corpus: list[bytes]) -> bytes:
    tokens = [t for t in _tokens(data) if t.group()[:1] in b")0123456789abcdefghijklmnopqrstuvwxyz"]
    if not tokens:
        return data
    token = rng.choice(tokens)
    return data[:token.end()] + rng.choice(INJECTIONS) + data[token.end():]


def odd_character(data: bytes, rng: random.Random, corpus: list[bytes]) -> bytes:
    at = rng.randrange(len(data) + 1)
    return data[:at] + rng.choice(ODD_TEXT).encode() + data[at:]


def encoding(data: bytes, rng: random.Random, corpus: list[bytes]) -> bytes:
    choice = rng.randrange(5)
    if choice == 0:
        return b"\xef\xbb\xbf" + data
    if choice == 1:
        return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    if choice == 2:
        return data.decode("utf-8", "replace").encode("latin-1", "replace")
    if choice == 3:
        at = rng.randrange(len(data) + 1)
        return data[:at] + rng.choice((b"\xff", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80")) + data[at:]
    return data.replace(b"\n", b"\r")


def truncate(data: bytes, rng: random.Random, corpus: list[bytes]) -> bytes:
    return data[:rng.randrange(len(data) + 1)]


Mutation = Callable[[bytes, random.Random, list[bytes]], bytes]
MUTATIONS: tuple[Mutation, ...] = (
    byte_flip, token_delete, token_duplicate, token_swap, splice_lines, deep_nesting,
    huge_number, odd_date, inject, odd_character, encoding, truncate,
)


def mutants(corpus: list[tuple[str, bytes]],
            rng: random.Random) -> Iterator[tuple[str, bytes, str]]:
    """(path of the original, mutated bytes, the mutations applied), forever."""
    texts = [data for _, data in corpus]
    while True:
        path, data = rng.choice(corpus)
        applied = []
        for _ in range(rng.choice((1, 1, 1, 2, 3))):
            mutation = rng.choice(MUTATIONS)
            data = mutation(data, rng, texts)
            applied.append(mutation.__name__)
        yield path, data, "+".join(applied)
