"""`segl init`, `segl fmt`, `segl lsp`: a new project, the canonical style, the editor."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .console import print_diagnostics, show
from .context import resources_options
from .exits import Exit, ExitCode, reporting


@click.command()
@click.argument("folder", default=".", type=click.Path())
def init(folder):
    """Scaffold a new segl project in FOLDER (default: here)."""
    from ..scaffold import scaffold

    with reporting():
        created = scaffold(Path(folder))
        for path in created:
            show(f"created {path}")
        show(f"next: cd {folder} && segl run")


@click.command(name="fmt")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--check", is_flag=True, help="Change nothing; exit 1 if a file would change.")
@click.option("--diff", "show_diff", is_flag=True,
              help="Change nothing; print a diff and exit 1 if a file would change.")
@click.option("--line-length", default=100, show_default=True, type=click.IntRange(min=1),
              help="Split an inline `and`/`or` condition longer than this many characters "
                   "one condition per line.")
def fmt(paths, check, show_diff, line_length):
    """Format .seg files in the canonical style (PATH: files, folders, or - for stdin)."""
    from segl.compiler.api import CompileError, format_source

    from .. import fmt as formatting

    with reporting():
        failed = changed = False
        for path in formatting.seg_files(paths):
            shown = "<stdin>" if path == formatting.STDIN else path
            try:
                before = sys.stdin.read() if path == formatting.STDIN else formatting.read(path)
                after = format_source(before, shown, line_length)
            except CompileError as exc:
                print_diagnostics(exc.diagnostics)
                failed = True
                continue
            if path == formatting.STDIN and not (check or show_diff):
                sys.stdout.write(after)
                continue
            if after == before:
                continue
            changed = True
            if show_diff:
                sys.stdout.write(formatting.unified_diff(shown, before, after))
            elif check:
                click.echo(f"would reformat {shown}")
            else:
                formatting.replace(path, after)
                click.echo(f"reformatted {shown}")
        if failed or (changed and (check or show_diff)):
            raise Exit(ExitCode.DEFINITION_ERROR)


@click.command(name="lsp")
@click.option("--stdio", is_flag=True,
              help="Talk over standard input and output: the only transport, and the default "
                   "(accepted because editors pass it).")
@resources_options
def lsp(stdio, threads, memory_limit, temp_dir):
    """Run the language server for editors (docs/editors.md); needs `segl[lsp]`.

    The resource options (over the segl.toml of the folder the editor starts it in) apply
    to every DuckDB connection it opens: the schemas it reads and the sizes hover shows."""
    from ..errors import UsageError
    from ..project import Project, find_project
    from .context import use_resources

    with reporting():
        try:
            project = find_project(Path.cwd())
        except UsageError:  # (the server shows a segl.toml it cannot read on its files)
            project = Project()
        use_resources(project, (threads, memory_limit, temp_dir))
        from ..lsp import serve  # pygls is imported only by this command

        serve()
