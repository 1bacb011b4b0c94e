"""The LALR parser built from grammar/seg.lark, kept between runs in the user's cache folder.

Building the parser tables takes about 0.3 s of CPU, longer than compiling a typical file;
loading them back takes a tenth of that (issue 15 item 5). The built parser is saved with
Lark's `save` (a pickle) to `<cache folder>/grammar-<key>.lark`, where the key is a SHA-256
of the grammar's text, the options, Lark's version and Python's; the file's first line
repeats the key. The cache folder is `$SEGL_CACHE_DIR`, else `$XDG_CACHE_HOME/segl`, else
`~/.cache/segl`.

A pickle runs code when loaded, so one is read only from where no other user can write: the
folder and the file must be owned by this user, not symbolic links, and writable by no one
else (a folder in /tmp, as Lark's own `cache=True` uses, fails that). Anything wrong — no
folder, a folder or file that is not safe, a stale key, a truncated or corrupt file, no
permission to write — falls back to building the parser, and the cache is rewritten when it
safely can be (written to a temporary file, then renamed into place, so a reader never sees
half a file). tests/grammar/test_grammar_cache.py covers each case.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import stat
import sys
import tempfile
from pathlib import Path

from lark import Lark
from lark import __version__ as lark_version

# (the folder and its safety rules are shared with the dataclass code cache)
from ..cache_folder import cache_folder as cache_folder
from ..cache_folder import private as _private
from ..cache_folder import private_folder as _private_folder

OPTIONS = {"parser": "lalr", "keep_all_tokens": True, "maybe_placeholders": True}
_MAGIC = b"segl-grammar-cache 1 "


def cache_key(grammar: str) -> str:
    """The grammar's text, the options, Lark's version and Python's, hashed."""
    identity = "\n".join([grammar, repr(sorted(OPTIONS.items())), lark_version,
                          ".".join(map(str, sys.version_info[:2]))])
    return hashlib.sha256(identity.encode("utf-8")).hexdigest()


def cache_path(grammar: str, folder: Path | None = None) -> Path:
    return (folder or cache_folder()) / f"grammar-{cache_key(grammar)[:32]}.lark"


def build(grammar: str) -> Lark:
    return Lark(grammar, **OPTIONS)


def parser(grammar: str) -> Lark:
    """The parser for `grammar`: loaded from the cache when it holds a sound copy, else
    built (and saved for the next run). Never raises because of the cache."""
    folder = cache_folder()
    path = cache_path(grammar, folder)
    key = cache_key(grammar)
    loaded = load(path, key)
    if loaded is not None:
        return loaded
    built = build(grammar)
    save(built, path, key)
    return built


def load(path: Path, key: str) -> Lark | None:
    """The parser saved at `path` under `key`, or None when the file is missing, not safe
    to read, stale or damaged."""
    if not _private_folder(path.parent, create=False):
        return None
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        with os.fdopen(descriptor, "rb") as stream:
            if not _private(os.fstat(stream.fileno()), stat.S_ISREG):
                return None
            if stream.readline() != _MAGIC + key.encode("ascii") + b"\n":
                return None  # another grammar, Lark or Python: stale
            return Lark.load(io.BytesIO(stream.read()))
    except Exception:  # a truncated or corrupt file: build it again
        return None


def save(built: Lark, path: Path, key: str) -> bool:
    """Write the parser to `path` atomically; whether it was written (nothing is written
    where the folder is not private to this user)."""
    if not _private_folder(path.parent, create=True):
        return False
    temporary = None
    try:
        buffer = io.BytesIO()
        built.save(buffer)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".grammar-",
                                                 suffix=".tmp")  # mode 0600
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(_MAGIC + key.encode("ascii") + b"\n")
            stream.write(buffer.getvalue())
        os.replace(temporary, path)
        return True
    except Exception:  # a full disk, a read-only folder: the next run builds again
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
        return False
