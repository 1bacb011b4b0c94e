"""docs/diagnostics.md, generated from the declarations (tests/diagnostics checks the file is
current; `SEGL_UPDATE_SNAPSHOTS=1 pytest tests/diagnostics` rewrites it)."""

from __future__ import annotations

from . import DECLARED
from .declared import PRELUDE, Declared

_SECTIONS = (
    ("E", "Compiler errors", "The file does not compile; `segl` exits 1 (E401 and E504: 2)."),
    ("W", "Compiler warnings", "The file compiles; `segl lint` reports these under its own "
                               "codes (below)."),
    ("L", "Lint rules", "Reported by `segl lint` ([lint.md](lint.md)); the severity is the "
                        "default, which `[lint]` settings may change."),
)


def markdown() -> str:
    lines = [
        "# Diagnostics",
        "",
        "<!-- Generated from compiler/codes/ by compiler/codes/markdown.py; do not edit. -->",
        "",
        "Every code `segl` reports, what it means, and an example of the mistake with its fix.",
        "A diagnostic reads `path:line:col: severity[CODE]: message`, then the source line "
        "with a",
        "caret under the place and a hint (often a \"did you mean\"). `segl check --explain "
        "CODE`",
        "prints one entry in the terminal.",
        "",
        "The examples assume this prelude:",
        "",
        "```",
        *PRELUDE.rstrip("\n").splitlines(),
        "```",
        "",
    ]
    for prefix, heading, intro in _SECTIONS:
        entries = [d for d in DECLARED.values() if d.code.startswith(prefix)]
        lines += [f"## {heading}", "", intro, "", "| code | severity | meaning |",
                  "| --- | --- | --- |"]
        lines += [f"| [{d.code}](#{d.code.lower()}) | {d.severity.value} | {d.title} |"
                  for d in entries]
        lines.append("")
        for declared in entries:
            lines += _entry(declared)
    return "\n".join(lines).rstrip("\n") + "\n"


def _entry(declared: Declared) -> list[str]:
    lines = [f"### {declared.code}", "", f"**{declared.title}** ({declared.severity.value}"
             f"{', reserved: not raised yet' if declared.reserved else ''}). "
             f"{_sentence(declared.explanation)}", "", "Mistake:", "", "```",
             *declared.mistake.splitlines(), "```", "", "Fix:", "", "```",
             *declared.fix.splitlines(), "```", ""]
    return lines


def _sentence(text: str) -> str:
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."
