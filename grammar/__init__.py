"""The surface syntax of the `.seg` language: one Lark grammar file, `seg.lark`."""

from pathlib import Path

GRAMMAR_PATH = Path(__file__).with_name("seg.lark")


def grammar_text() -> str:
    return GRAMMAR_PATH.read_text(encoding="utf-8")
