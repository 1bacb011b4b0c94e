"""Files written atomically: to a temporary file beside the target, renamed into place, so a
reader never sees half a file and a failure keeps the old one. A failure to write is an
OutputError naming the file. (Apart from runtime/outputs.py, which writes query results, so
that the commands that write text, `fmt`, `ls --out`, the report, import no sqlglot.)"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import OutputError


@contextlib.contextmanager
def atomic_path(path: str) -> Iterator[str]:
    """A temporary path beside `path`, renamed onto it when the block succeeds and removed
    when it fails: a reader never sees half a file, and a failure keeps the old one. A
    failure to write (a full disk, a file-size limit, no permission) is an OutputError
    naming the file."""
    target = Path(path)
    existed = target.exists()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                        dir=target.parent)
        os.close(handle)
    except OSError as exc:
        raise OutputError(_cannot_write(path, _reason(exc), existed)) from None
    try:
        yield temp
        os.replace(temp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        duckdb_module = sys.modules.get("duckdb")  # (no DuckDB error without DuckDB)
        if isinstance(exc, OSError) or (duckdb_module is not None
                                        and isinstance(exc, duckdb_module.IOException)):
            raise OutputError(_cannot_write(path, _reason(exc), existed)) from None
        raise


def _cannot_write(path: str, reason: str, existed: bool) -> str:
    kept = f"the previous `{path}` is unchanged" if existed else "no file was written"
    return f"cannot write `{path}`: {reason}; {kept}"


def _reason(exc: BaseException) -> str:
    """The operating system's reason: DuckDB reports the errno of a failed write inside its
    message (which names its own temporary file, so it is not repeated)."""
    number = getattr(exc, "errno", None)
    if number is None:
        found = re.search(r'"errno"\s*:\s*"?(\d+)', str(exc))
        number = int(found.group(1)) if found else None
    if number:
        return f"{os.strerror(number).lower()} ({errno.errorcode.get(number, number)})"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def write_text_atomically(path: str, text: str, mode: int | None = None) -> None:
    """Write a text file atomically; `mode` sets its permissions (e.g. those it had)."""
    with atomic_path(path) as temp:
        with open(temp, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        if mode is not None:
            os.chmod(temp, mode)
