"""File handling for `segl fmt`: which files, and rewriting them safely."""

from __future__ import annotations

import difflib
import os
import tempfile
from pathlib import Path

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
    """The text as it is on disk: line endings are not translated."""
    try:
        with open(path, encoding="utf-8", newline="") as stream:
            return stream.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None


def replace(path: str, text: str) -> None:
    """Write `text` to `path` atomically (temp file beside it, then rename), keeping its mode."""
    target = Path(path)
    mode = target.stat().st_mode & 0o7777
    handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        os.chmod(temp, mode)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def unified_diff(path: str, before: str, after: str) -> str:
    return "".join(difflib.unified_diff(before.splitlines(keepends=True),
                                        after.splitlines(keepends=True),
                                        fromfile=f"{path} (original)",
                                        tofile=f"{path} (formatted)"))
