"""The user's cache folder, where segl keeps what it builds once and reads back on every
start: the LALR parser (syntax/grammar_cache.py) and the code dataclasses generate
(dataclass_code.py). Both are code when loaded (a pickle, marshalled code objects), so a
file is read only from where no other user can write: the folder and the file must be owned
by this user, not symbolic links, and writable by no one else. The folder is
`$SEGL_CACHE_DIR`, else `$XDG_CACHE_HOME/segl`, else `~/.cache/segl`."""

from __future__ import annotations

import os
import stat
from pathlib import Path


def cache_folder() -> Path:
    """Where the built parser is kept (the folder need not exist yet)."""
    if os.environ.get("SEGL_CACHE_DIR"):
        return Path(os.environ["SEGL_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "segl"


def private_folder(folder: Path, create: bool) -> bool:
    """Whether `folder` is a real folder of this user that no one else can write to (made,
    mode 0700, when `create` and missing)."""
    try:
        if create and not os.path.lexists(folder):
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        return private(os.lstat(folder), stat.S_ISDIR)
    except OSError:
        return False


def private(status: os.stat_result, kind) -> bool:
    """Whether a file's status says: of `kind`, owned by this user, writable by no one else."""
    owner = os.getuid() if hasattr(os, "getuid") else status.st_uid
    return kind(status.st_mode) and status.st_uid == owner and \
        not status.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
