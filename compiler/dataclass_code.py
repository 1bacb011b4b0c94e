"""The methods `dataclasses` writes for segl's frozen classes, compiled once and kept.

`@dataclass(frozen=True)` writes each method it generates (`__init__`, `__repr__`,
`__eq__`, `__hash__`, `__setattr__`, `__delattr__`) as Python source and compiles it with
`exec`: for the compiler's ~160 classes that is ~950 small compilations, about half of
importing the compiler and a sixth of `segl check`'s CPU (issue 15 item 5). The same source
always compiles to the same code, so the code objects are kept between runs (marshalled, by
a SHA-1 of their source) in `<cache folder>/dataclasses-<python>.marshal`; a class is still
made by `dataclasses` itself, which only finds its methods' code compiled already.

How: `install()` gives the `dataclasses` module its own `exec` (a module global, which
Python looks up before the builtin), which compiles through the cache when the code is
for one of segl's modules (the namespace `dataclasses` passes is the class's module's) and
is the builtin `exec` otherwise. Every Python since 3.7 generates methods through that one
call. Marshalled code runs when loaded, so the file is read under the cache folder's rules
(compiler/cache_folder.py: this user's, writable by no one else); a missing, stale, foreign
or damaged file is ignored and the cache written again when the process ends (atomically,
only when something was compiled). tests/grammar/test_dataclass_code.py covers it.
"""

from __future__ import annotations

import builtins
import contextlib
import dataclasses
import hashlib
import marshal
import os
import stat
import sys
import tempfile

from .cache_folder import cache_folder, private, private_folder

_MAGIC = b"segl-dataclass-code 1 "
# Beyond this many entries (sources of earlier versions of segl), only the code this run
# used is written back.
_MOST = 4000
_VERSION = f"{sys.implementation.cache_tag}-{sys.version}".encode("utf-8", "replace")


class _CodeCache:
    def __init__(self) -> None:
        self.path = cache_folder() / f"dataclasses-{sys.implementation.cache_tag}.marshal"
        self.code: dict[bytes, object] = self._load()
        self.used: set[bytes] = set()
        self.compiled = 0

    def exec(self, source, namespace=None, local=None, /, **options):
        name = namespace.get("__name__", "") if isinstance(namespace, dict) else ""
        if not isinstance(source, str) or options or not name.startswith("segl."):
            return builtins.exec(source, namespace, local, **options)
        key = hashlib.sha1(source.encode("utf-8")).digest()
        code = self.code.get(key)
        if code is None:
            code = self.code[key] = compile(source, "<string>", "exec")
            if not self.compiled:
                import atexit

                atexit.register(self.save)
            self.compiled += 1
        self.used.add(key)
        return builtins.exec(code, namespace, local)

    def _load(self) -> dict[bytes, object]:
        if not private_folder(self.path.parent, create=False):
            return {}
        try:
            descriptor = os.open(self.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            return {}
        try:
            with os.fdopen(descriptor, "rb") as stream:
                if not private(os.fstat(stream.fileno()), stat.S_ISREG):
                    return {}
                if stream.readline() != _MAGIC + _VERSION.replace(b"\n", b" ") + b"\n":
                    return {}  # another Python's code
                loaded = marshal.loads(stream.read())
            return loaded if isinstance(loaded, dict) else {}
        except (OSError, EOFError, ValueError, TypeError):  # truncated or corrupt: compile again
            return {}

    def save(self) -> bool:
        """Write the code atomically; whether it was written."""
        if not private_folder(self.path.parent, create=True):
            return False
        kept = self.code if len(self.code) <= _MOST else \
            {key: code for key, code in self.code.items() if key in self.used}
        temporary = None
        try:
            descriptor, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".dataclasses-",
                                                     suffix=".tmp")  # mode 0600
            with os.fdopen(descriptor, "wb") as stream:
                stream.write(_MAGIC + _VERSION.replace(b"\n", b" ") + b"\n")
                stream.write(marshal.dumps(kept))
            os.replace(temporary, self.path)
            return True
        except (OSError, ValueError):  # a full disk, a read-only folder: compile next time
            if temporary is not None:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
            return False


def install() -> None:
    """Compile dataclasses' generated methods for segl's modules through the cache (once;
    `SEGL_NO_CODE_CACHE=1` leaves `dataclasses` alone)."""
    if "exec" in vars(dataclasses) or os.environ.get("SEGL_NO_CODE_CACHE"):
        return
    dataclasses.exec = _CodeCache().exec  # type: ignore[attr-defined]
