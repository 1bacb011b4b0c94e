"""The compiled methods of segl's dataclasses kept in the user's cache folder
(compiler/dataclass_code.py): a class made through the cache is the class `dataclasses`
makes; the code is used from the file on the next run; a file that is not this user's
alone, or is damaged or from another Python, is ignored; other packages' classes are not
cached. Each case runs in a fresh interpreter with its own cache folder."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

# A class of a `segl.` module made with the cache, one of another module, and what the
# cache compiled (and how much it was asked) in this run.
PROGRAM = """
import dataclasses, sys, types
import segl.compiler  # installs the cache
from segl.compiler.model import Location
cache = dataclasses.exec.__self__

def made(module, field="x"):
    namespace = types.ModuleType(module)
    sys.modules[module] = namespace
    source = '''
from dataclasses import dataclass
@dataclass(frozen=True)
class Point:
    x: int
    y: str = "a"
'''
    exec(source.replace("x: int", field + ": int"), namespace.__dict__)
    return namespace.Point

Point = made("segl.compiler.probe")
point = Point(1)
held = len(cache.code)
other = made("elsewhere", "other_packages_field")
assert len(cache.code) == held  # (compiled by the builtin exec, not kept)
assert point == Point(1, "a") and point != Point(2) and hash(point) == hash((1, "a"))
assert other(1) == other(1) and Location("parquet", "x", "x").table == ()
assert repr(point) == "Point(x=1, y='a')"
try:
    point.x = 2
except dataclasses.FrozenInstanceError:
    pass
else:
    raise AssertionError("not frozen")
print(cache.compiled, len(cache.used), len(cache.code))
"""


def run(folder: Path, **environment: str) -> tuple[int, int, int]:
    result = subprocess.run([sys.executable, "-c", PROGRAM], capture_output=True, text=True,
                            cwd=ROOT, timeout=120,
                            env={**os.environ, "SEGL_CACHE_DIR": str(folder), **environment})
    assert result.returncode == 0, result.stderr
    compiled, used, held = map(int, result.stdout.split())
    return compiled, used, held


def cache_file(folder: Path) -> Path:
    (found,) = folder.glob("dataclasses-*.marshal")
    return found


def test_compiled_once_then_read_back(tmp_path) -> None:
    folder = tmp_path / "cache"
    compiled, used, held = run(folder)
    assert compiled > 100 and used == held  # the compiler's classes and the probe's
    assert stat.S_IMODE(cache_file(folder).stat().st_mode) & 0o077 == 0
    assert run(folder) == (0, used, held)  # nothing compiled: all read from the file


@pytest.mark.parametrize("damage", ["others_can_write", "corrupt", "other_python"])
def test_a_file_that_is_not_sound_is_ignored_and_rewritten(tmp_path, damage) -> None:
    folder = tmp_path / "cache"
    first, _, _ = run(folder)
    path = cache_file(folder)
    if damage == "others_can_write":
        path.chmod(0o666)
    elif damage == "corrupt":
        path.write_bytes(path.read_bytes()[:-500])
    else:
        lines = path.read_bytes().split(b"\n", 1)
        path.write_bytes(b"segl-dataclass-code 1 cpython-0\n" + lines[1])
    assert run(folder)[0] == first  # compiled again, never a crash
    if damage != "others_can_write":
        assert run(folder)[0] == 0  # and written again


def test_it_can_be_turned_off(tmp_path) -> None:
    program = "import segl.compiler, dataclasses; print('exec' in vars(dataclasses))"
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                            cwd=ROOT, timeout=120,
                            env={**os.environ, "SEGL_NO_CODE_CACHE": "1",
                                 "SEGL_CACHE_DIR": str(tmp_path)})
    assert result.stdout.strip() == "False"
    assert not list(tmp_path.glob("dataclasses-*"))
