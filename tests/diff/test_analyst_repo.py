"""examples/analyst-repo: its files are clean under the checks its own workflow runs, and
its workflow is the one docs/ci.md shows."""

from __future__ import annotations

import os
import re

from click.testing import CliRunner
from segl.runtime.cli import main

from tests.conftest import ROOT

REPO = ROOT / "examples/analyst-repo"
WORKFLOW = REPO / ".github/workflows/segments.yml"


def segl(*args):
    cwd = os.getcwd()
    os.chdir(REPO)
    try:
        return CliRunner().invoke(main, list(args), catch_exceptions=False)
    finally:
        os.chdir(cwd)


def test_workflow_in_docs_is_the_example_workflow():
    docs = (ROOT / "docs/ci.md").read_text(encoding="utf-8")
    marker = "<!-- this block is examples/analyst-repo/.github/workflows/segments.yml"
    block = re.search(re.escape(marker) + r".*?\n```yaml\n(.*?)```\n", docs, re.S)
    assert block is not None, "docs/ci.md lost the workflow block"
    assert block.group(1) == WORKFLOW.read_text(encoding="utf-8")


def test_workflow_runs_the_checks_and_posts_the_diff():
    text = WORKFLOW.read_text(encoding="utf-8")
    for command in ("segl fmt --check .", "segl check", "segl lint --format github",
                    "segl test", 'segl diff "origin/${{ github.base_ref }}"',
                    "--format markdown --out segl-diff.md || test $? -eq 1",
                    "path: segl-diff.md", "fetch-depth: 0"):
        assert command in text, command


def test_example_files_are_canonical_and_check_and_test_clean():
    assert segl("fmt", "--check", ".").exit_code == 0
    checked = segl("check")
    assert checked.exit_code == 0, checked.output
    assert "project.seg: ok (5 segments, 1 segmentation" in checked.output
    tested = segl("test")
    assert tested.exit_code == 0, tested.output
    assert "1 passed, 0 failed" in tested.output


def test_every_file_compiles_on_its_own():
    """pre-commit checks each changed file by itself: each must import what it uses."""
    files = sorted(str(p.relative_to(REPO)) for p in REPO.rglob("*.seg"))
    assert len(files) == 6
    result = segl("check", "--no-data", *files)
    assert result.exit_code == 0, result.output


def test_diff_of_the_example_against_itself_is_empty():
    result = segl("diff", ".", ".")
    assert result.exit_code == 0, result.output
    assert "no semantic change" in result.output


def test_the_example_uses_hooks_segl_declares():
    """Every hook id of the example's .pre-commit-config.yaml is one of segl's hooks, and
    the lint hook it uses passes on the example (it lints the whole repository)."""
    declared = set(re.findall(r"^- id: (\S+)", (ROOT / ".pre-commit-hooks.yaml")
                              .read_text(encoding="utf-8"), re.M))
    used = set(re.findall(r"- id: (\S+)", (REPO / ".pre-commit-config.yaml")
                          .read_text(encoding="utf-8")))
    assert used and used <= declared, used - declared
    result = segl("lint")
    assert result.exit_code == 0, result.output
