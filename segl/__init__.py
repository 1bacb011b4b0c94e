"""segl: a declarative language for customer segments, compiled to SQL.

`import segl` is the notebook API (docs/python.md)::

    import segl
    project = segl.load("examples/shop/shop.seg")   # honours segl.toml as `segl run` does
    result = project.run(segments=["loyal"])
    result.sizes, result.members                    # Polars DataFrames

The stages install as subpackages of this one (`segl.grammar`, `segl.compiler`,
`segl.runtime`, from the top-level folders of the same names). This file imports nothing
until a name is used, so `import segl.compiler` and the `segl` command start as fast as
before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from segl.runtime.notebook import Project

__all__ = ["CompileError", "DataError", "Project", "UsageError", "__version__", "load"]


def load(path: str | None = None, *, params: dict[str, object] | None = None,
         as_of: str | None = None, database: str | None = None, engine: str = "duckdb",
         target: str | None = None) -> Project:
    """A project on one `.seg` file (else segl.toml's `entry`), with segl.toml's defaults
    resolved exactly as `segl run` resolves them; the keyword arguments win over segl.toml
    like the command's options (`-p`, `--as-of`, `--db`, `--engine`, `--target`)."""
    from segl.runtime.notebook import load as load_project

    return load_project(path, params=params, as_of=as_of, database=database, engine=engine,
                        target=target)


def __getattr__(name: str) -> object:
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("segl")
        except PackageNotFoundError:  # run from a source tree that is not installed
            return "0+unknown"
    if name == "Project":
        from segl.runtime.notebook import Project

        return Project
    if name == "CompileError":
        from segl.compiler.api import CompileError

        return CompileError
    if name in ("DataError", "UsageError"):
        from segl.runtime import errors

        return getattr(errors, name)
    raise AttributeError(f"module 'segl' has no attribute '{name}'")
