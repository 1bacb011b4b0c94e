"""File handling for `segl fmt`: which files, and rewriting them safely."""

from __future__ import annotations

import difflib
from pathlib import Path

from segl.compiler.api import decode

from .atomic_files import write_text_atomically
from .errors import UsageError

STDIN = "-"


def seg_files(paths: tuple[str, ...]) -> list[str]:
    """The files named, and every `*.seg` below the folders named (hidden folders skipped).
    `-` stays as it is: standard input."""
    found: list[str] = []
    for path in paths or (".",):
        if path == STDIN:
            found.append(path)
            continue
        target = Path(path)
        if target.is_dir():
            for file in sorted(target.rglob("*.seg")):
                relative = file.relative_to(target).parts
                if not any(part.startswith(".") for part in relative[:-1]) and file.is_file():
                    found.append(str(file))
        elif target.is_file():
            found.append(path)
        else:
            raise UsageError(f"no such file or folder: {path}")
    return found


def read(path: str) -> str:
    """The text as it is on disk: line endings are not translated, a byte-order mark kept.
    Raises CompileError (E004 at the first bad byte) for a file that is not UTF-8."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    return decode(data, path)


def replace(path: str, text: str) -> None:
    """Write `text` to `path` atomically, keeping its mode."""
    write_text_atomically(path, text, Path(path).stat().st_mode & 0o7777)


def unified_diff(path: str, before: str, after: str) -> str:
    return "".join(difflib.unified_diff(before.splitlines(keepends=True),
                                        after.splitlines(keepends=True),
                                        fromfile=f"{path} (original)",
                                        tofile=f"{path} (formatted)"))
