"""`segl lint`: the lint rules over files and folders."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import UsageError
from .context import deprecated_output_flag, out_flag
from .exits import Exit, ExitCode, reporting


@click.command(name="lint")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "output_format", type=click.Choice(["text", "json", "sarif", "github"]),
              default="text", show_default=True, help="How findings are printed.")
@click.option("--select", "select", metavar="CODES",
              help="Only these rules (comma-separated codes, prefixes like L2, or names); "
                   "replaces `select` of the settings (default: the settings' `select`, else "
                   "every rule).")
@click.option("--ignore", "ignore", metavar="CODES",
              help="Also leave out these rules, comma-separated (default: only the settings' "
                   "`ignore`).")
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too, not only on errors.")
@out_flag("Write the report to this file (atomically) instead of stdout (default: stdout).")
@deprecated_output_flag
@click.option("--list-rules", is_flag=True,
              help="List the rules and exit: a table, or JSON with --format json; with --out the "
                   "file's extension (.csv .json .md .txt) decides (default: off).")
def lint(paths, output_format, select, ignore, strict, out_path, deprecated_output,
         list_rules):
    """Check .seg files against the lint rules (PATH: files or folders; default: here)."""
    from segl.compiler.api import Severity

    from ..atomic_files import write_text_atomically
    from ..lint import lint_paths
    from ..lint_config import expand_codes, find_config
    from ..lint_report import as_json, github, repository_root, rules_table, sarif, summary, text

    with reporting():
        out_path = out_path or deprecated_output
        config = find_config(Path(paths[0]) if paths else Path.cwd())
        if select is not None:
            config.enabled = frozenset(expand_codes(_codes(select), "--select"))
        if ignore is not None:
            config.enabled = config.enabled - expand_codes(_codes(ignore), "--ignore")
        if list_rules:
            _list_rules(rules_table(config.severity_of), config.enabled, output_format, out_path)
            return
        result = lint_paths(paths, config)
        root = repository_root()
        if output_format == "text":
            report = text(result, color=not out_path and sys.stdout.isatty())
        elif output_format == "json":
            report = as_json(result, root)
        elif output_format == "sarif":
            report = sarif(result, root)
        else:
            report = github(result, root)
        if out_path:
            write_text_atomically(out_path, report)
            sys.stderr.write(summary(result) + "\n")
        else:
            sys.stdout.write(report)
        failing = {Severity.ERROR, Severity.WARNING} if strict else {Severity.ERROR}
        if any(f.severity in failing for f in result.findings):
            raise Exit(ExitCode.DEFINITION_ERROR)


def _list_rules(rules: list[dict], enabled, output_format: str, out_path: str | None) -> None:
    """The rules through the one table module, so `--out rules.csv` and `--out rules.md`
    work like every other listing; JSON keeps its shape (a list of rules)."""
    from .tables import Column, Grid, Output, emit

    if output_format in ("sarif", "github"):
        raise UsageError(f"--list-rules prints a table or JSON, not {output_format}")
    grid = Grid("rules", [Column("code"), Column("name"), Column("severity"), Column("enabled"),
                          Column("summary", "finds"), Column("rationale", "why")])
    for rule in rules:
        on = rule["code"] in enabled
        grid.add(rule["code"], rule["name"],
                 (rule["severity"], rule["severity"] + ("" if on else " (off)")),
                 (on, "yes" if on else "no"), rule["summary"], rule["rationale"])
    emit(Output([grid]), "json" if output_format == "json" else None, out_path)


def _codes(text: str) -> list[str]:
    return [c for c in (part.strip() for part in text.split(",")) if c]
