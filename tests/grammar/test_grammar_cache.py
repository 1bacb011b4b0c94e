"""The built parser kept in the user's cache folder (compiler/syntax/grammar_cache.py): used
when sound; rebuilt (never a crash) when missing, stale or corrupt; never read from, nor
written to, a folder or file another user could write. The parser is built once for the
module; `build` is counted so that each test knows whether the cache was used."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from segl.compiler.syntax import grammar_cache
from segl.grammar import grammar_text

from tests.conftest import ROOT

TEXT = (ROOT / "examples" / "shop" / "shop.seg").read_text(encoding="utf-8")
GRAMMAR = grammar_text()


@pytest.fixture(scope="module")
def built():
    return grammar_cache.build(GRAMMAR)


@pytest.fixture
def folder(tmp_path, monkeypatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("SEGL_CACHE_DIR", str(cache))
    return cache


@pytest.fixture
def builds(built, monkeypatch) -> list[int]:
    calls: list[int] = []

    def counted(grammar: str):
        calls.append(1)
        return built

    monkeypatch.setattr(grammar_cache, "build", counted)
    return calls


def _path() -> Path:
    return grammar_cache.cache_path(GRAMMAR)


def test_first_use_builds_and_saves_then_the_cache_is_used(folder, builds, built) -> None:
    first = grammar_cache.parser(GRAMMAR)
    assert builds == [1] and _path().is_file()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(_path().stat().st_mode) & 0o077 == 0
    second = grammar_cache.parser(GRAMMAR)
    assert builds == [1]  # loaded, not built
    assert second is not first and second.parse(TEXT) == built.parse(TEXT)


def test_the_key_follows_the_grammar_lark_and_python(monkeypatch) -> None:
    key = grammar_cache.cache_key(GRAMMAR)
    assert grammar_cache.cache_key(GRAMMAR + "\n// changed\n") != key
    monkeypatch.setattr(grammar_cache, "lark_version", "0.0.1")
    assert grammar_cache.cache_key(GRAMMAR) != key


def test_a_stale_cache_is_rebuilt_and_replaced(folder, builds) -> None:
    grammar_cache.parser(GRAMMAR)
    path = _path()
    body = path.read_bytes().split(b"\n", 1)[1]
    path.write_bytes(b"segl-grammar-cache 1 " + b"0" * 64 + b"\n" + body)  # another key
    assert grammar_cache.parser(GRAMMAR).parse(TEXT) is not None
    assert builds == [1, 1]
    assert grammar_cache.load(path, grammar_cache.cache_key(GRAMMAR)) is not None  # rewritten


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty", "header only"])
def test_a_corrupt_cache_is_rebuilt_and_replaced(folder, builds, damage: str) -> None:
    grammar_cache.parser(GRAMMAR)
    path = _path()
    data = path.read_bytes()
    header = data.split(b"\n", 1)[0] + b"\n"
    path.write_bytes({"truncated": data[: len(data) // 2],
                      "garbage": header + b"\x80\x05not a pickle" * 40,
                      "empty": b"", "header only": header}[damage])
    assert grammar_cache.load(path, grammar_cache.cache_key(GRAMMAR)) is None
    assert grammar_cache.parser(GRAMMAR).parse(TEXT) is not None
    assert builds == [1, 1]
    assert grammar_cache.load(path, grammar_cache.cache_key(GRAMMAR)) is not None


def test_a_folder_others_can_write_is_neither_read_nor_written(folder, builds) -> None:
    grammar_cache.parser(GRAMMAR)
    folder.chmod(0o777)  # (as /tmp: another user could have planted the pickle)
    before = _path().stat().st_mtime_ns
    grammar_cache.parser(GRAMMAR)
    assert builds == [1, 1]
    assert _path().stat().st_mtime_ns == before


def test_a_file_others_can_write_is_not_read(folder, builds) -> None:
    grammar_cache.parser(GRAMMAR)
    _path().chmod(0o666)
    grammar_cache.parser(GRAMMAR)
    assert builds == [1, 1]


def test_a_symbolic_link_is_not_followed(folder, builds, tmp_path) -> None:
    grammar_cache.parser(GRAMMAR)
    elsewhere = tmp_path / "elsewhere.lark"
    _path().rename(elsewhere)
    _path().symlink_to(elsewhere)
    grammar_cache.parser(GRAMMAR)
    assert builds == [1, 1]


def test_a_cache_folder_that_cannot_be_made_still_parses(tmp_path, monkeypatch,
                                                         builds) -> None:
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("SEGL_CACHE_DIR", str(blocker / "segl"))
    assert grammar_cache.parser(GRAMMAR).parse(TEXT) is not None
    assert builds == [1]


def test_the_cache_folder(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("SEGL_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert grammar_cache.cache_folder() == tmp_path / "segl"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert grammar_cache.cache_folder() == Path.home() / ".cache" / "segl"
    monkeypatch.setenv("SEGL_CACHE_DIR", str(tmp_path / "mine"))
    assert grammar_cache.cache_folder() == tmp_path / "mine"
