"""The `segl` command: one module per command group, each imported only when one of its
commands runs (`segl --help` lists them from the table below without importing them).

Shared by all: `context.py` (the resolved project, entry file, params, as_of, engine and the
options spelled alike), `console.py` (printing), `exits.py` (exit codes, decided once).
"""

from __future__ import annotations

import gc
import importlib
import sys
from collections.abc import Sequence

import click

# command name -> (module in this package, function, the line `segl --help` shows). A test
# checks that each line is the first line of the command's own help.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "check": ("definitions", "check", "Check definitions (and that the data matches them)."),
    "compile": ("definitions", "compile_command",
                "Compile segments (or, with --kpis, their KPIs) to SQL for a warehouse "
                "dialect."),
    "ls": ("definitions", "list_objects",
           "List sources, features and segments with their labels and dependencies."),
    "prepare": ("prepare", "prepare", "Store the events tables sorted by entity key and time, "
                                      "for faster runs."),
    "run": ("run", "run", "Evaluate segments (on DuckDB, or --engine E) and write their "
                          "members."),
    "explain": ("analysis", "explain", "Show how many entities pass each condition of "
                                       "SEGMENT."),
    "overlap": ("analysis", "overlap", "How much segments overlap: members in both, and the "
                                       "Jaccard index, for every pair."),
    "kpis": ("analysis", "kpis", "KPIs per segment and per segmentation bucket, with their "
                                 "index against everyone."),
    "persona": ("analysis", "persona", "Check persona NAME against its segment and the data, "
                                       "and print its factsheet."),
    "profile": ("profile", "profile", "What a source's columns hold: distinct values with "
                                      "counts, ranges, missing share."),
    "export": ("export", "export", "Run exports: consenting members outside holdout and "
                                   "suppression, to each target."),
    "experiment": ("experiment", "experiment", "Read out experiment NAME: per arm its size "
                                               "and KPIs against control."),
    "report": ("report", "report", "Write one self-contained HTML report: sizes, KPIs, "
                                   "overlap, personas, definitions."),
    "history": ("over_time", "history", "Size per date of each segment and bucket, who "
                                        "entered and who left since the date before."),
    "transitions": ("over_time", "transitions", "Moves between the buckets of SEGMENTATION "
                                                "from one date to another: counts, row "
                                                "shares."),
    "snapshot": ("over_time", "snapshot", "Record who is in which segment and bucket at "
                                          "each date into a history table."),
    "discover": ("discover", "discover", "Fit the clusters segmentations on the data and "
                                         "write their lock file."),
    "test": ("testing", "test_command", "Run the `test` blocks: fixture rows in, expected "
                                        "members out."),
    "diff": ("diff", "diff_command", "What a change does: objects added, removed and "
                                     "changed, narrower or wider, the SQL, and with --data "
                                     "the members who join and leave."),
    "lint": ("lint", "lint", "Check .seg files against the lint rules (PATH: files or "
                             "folders; default: here)."),
    "fmt": ("tools", "fmt", "Format .seg files in the canonical style (PATH: files, folders, "
                            "or - for stdin)."),
    "init": ("tools", "init", "Scaffold a new segl project in FOLDER (default: here)."),
    "lsp": ("tools", "lsp", "Run the language server for editors (docs/editors.md); needs "
                            "`segl[lsp]`."),
}


# The commands that import, compile and exit within a fraction of a second: the garbage
# collector waits longer between passes (a pass every 700 allocations walked the compiler's
# growing object graph hundreds of times) and, frozen at exit, the interpreter's shutdown
# does not walk every object once more (issue 15 item 5; bench/README.md).
SHORT_COMMANDS = frozenset({"check", "compile", "ls", "lint", "fmt"})
SHORT_GC_THRESHOLD = 200_000


def short_command(args: Sequence[str]) -> bool:
    """Whether a command line runs a short command: one of SHORT_COMMANDS, or none (the
    top-level --help or --version)."""
    name = next((arg for arg in args if not arg.startswith("-")), None)
    return name is None or name in SHORT_COMMANDS


class SeglGroup(click.Group):
    """Commands imported on first use; the exit policy (exits.Exit) applied once."""

    def main(self, args: Sequence[str] | None = None, *rest, **options):
        # (only as the `segl` process itself, its arguments from sys.argv: a caller's own
        # process, a test runner's included, keeps its collector as it was)
        if args is not None or not short_command(sys.argv[1:]):
            return super().main(args, *rest, **options)
        gc.set_threshold(SHORT_GC_THRESHOLD, *gc.get_threshold()[1:])
        try:
            return super().main(args, *rest, **options)
        finally:
            gc.freeze()

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, function, _ = COMMANDS[name]
        return getattr(importlib.import_module(f"{__name__}.{module}"), function)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        limit = formatter.width - 6 - max(len(name) for name in COMMANDS)
        # (a stand-in command holding the line, shortened as click shortens any command's)
        rows = [(name, click.Command(name, help=COMMANDS[name][2]).get_short_help_str(limit))
                for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context):
        from ..resources import Resources, use
        from .exits import Exit

        use(Resources())  # each command starts from the engines' defaults
        try:
            return super().invoke(ctx)
        except Exit as exc:
            ctx.exit(int(exc.code))


def _print_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from segl.compiler.api import SEGL_VERSION  # (the compiler is imported only when asked)

    click.echo(f"segl, version {SEGL_VERSION}")
    ctx.exit()


@click.group(cls=SeglGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True,
              callback=_print_version, help="Show the version and exit.")
def main() -> None:
    """segl: customer segments as reviewed code, compiled to any warehouse."""


if __name__ == "__main__":
    main()
