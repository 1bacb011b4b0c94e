"""Loading: the entry file and every file it imports (each once, imports first), the
standard library's files, and reading a file's text."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..codes import Code
from ..diagnostics import CompileError, Diagnostic, did_you_mean, error, nul_error
from ..source import SourceFile, decode
from ..syntax import nodes as n
from ..syntax.parser import parse_source

# Reads an imported file's text: from disk by default; `segl diff` reads a git revision's
# version of the same path, so data paths still resolve against the working tree.
TextReader = Callable[[Path], str]


def read_from_disk(path: Path) -> str:
    """The file's text as it is (CompileError, E004, when it is not UTF-8)."""
    return decode(path.read_bytes(), _display_path(path))


@dataclass
class LoadedFile:
    source: SourceFile
    module: n.Module
    failed_names: set[str]


# ---------------------------------------------------------------- loading and imports


def load_files(entry: SourceFile, diagnostics: list[Diagnostic],
               read_text: TextReader = read_from_disk) -> list[LoadedFile]:
    """The entry file and everything it imports, imported files first, each once."""
    loaded: dict[Path, LoadedFile] = {}
    order: list[LoadedFile] = []

    def visit(source: SourceFile, stack: tuple[Path, ...]) -> None:
        key = Path(source.path).resolve()
        parsed = parse_source(source)
        diagnostics.extend(parsed.diagnostics)
        file = LoadedFile(source, parsed.module, parsed.failed_names)
        loaded[key] = file
        for decl in parsed.module.declarations:
            if not isinstance(decl, n.Import):
                continue
            if decl.library:
                target = library_path(decl.path)
                if target is None:
                    diagnostics.append(error(
                        Code.E104, f"no standard library file `{decl.path}`", decl.span,
                        did_you_mean(decl.path, library_names()) or
                        f"the standard library has: {', '.join(library_names())}"))
                    continue
            elif "\0" in decl.path:  # (a file read from disk was refused on reading)
                nul = source.text.index("\0", decl.span.start)
                diagnostics.append(nul_error(source, nul))
                continue
            else:
                target = (source.directory / decl.path).resolve()
            if target in stack or target == key:
                chain = " -> ".join(p.name for p in (*stack, key, target))
                diagnostics.append(
                    error(Code.E103, f"circular import: {chain}", decl.span,
                          "move the shared declarations into a file both can import")
                )
                continue
            if target in loaded:
                continue
            try:
                text = target.read_text(encoding="utf-8") if decl.library else read_text(target)
                imported = SourceFile(_display_path(target), text)
            except CompileError as exc:  # an imported file that is not UTF-8
                diagnostics.extend(exc.diagnostics)
                continue
            except OSError as exc:
                diagnostics.append(
                    error(Code.E104, f"cannot read imported file `{decl.path}`: {exc.strerror}",
                          decl.span, "import paths are relative to the importing file")
                )
                continue
            visit(imported, (*stack, key))
        order.append(file)

    visit(entry, ())
    return order


STDLIB = Path(__file__).resolve().parent.parent / "stdlib"


def library_names() -> list[str]:
    return sorted(f"std.{p.stem}" for p in STDLIB.glob("*.seg"))


def library_path(name: str) -> Path | None:
    """`std.rfm` -> the file shipped with segl, if there is one."""
    package, _, module = name.partition(".")
    path = STDLIB / f"{module}.seg"
    return path.resolve() if package == "std" and path.is_file() else None


def is_library_file(path: str) -> bool:
    try:
        return Path(path).resolve().is_relative_to(STDLIB)
    except OSError:
        return False


def _display_path(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
