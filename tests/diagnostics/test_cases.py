"""One small `.seg` per declared code (cases/CODE.seg) that triggers it, and what `segl`
prints for it (cases/CODE.out: the command, the exit code, the rendered diagnostics with
file:line:col, the source line, the caret and the hint).

The first line of each case is the command that shows the code, e.g.
`# segl check --no-data E108.seg`; it runs in cases/ (so paths print as `E108.seg`).
`SEGL_UPDATE_SNAPSHOTS=1 pytest tests/diagnostics` rewrites the .out files: review the diff.
"""

import os
import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner
from segl.compiler.codes import DECLARED, Code
from segl.runtime.cli import main

CASES = Path(__file__).resolve().parent / "cases"
UPDATE = bool(os.environ.get("SEGL_UPDATE_SNAPSHOTS"))


def command_of(case: Path) -> list[str]:
    first = case.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# segl "), f"{case.name}: the first line is `# segl …`"
    args = shlex.split(first[len("# segl "):])
    assert case.name in args, f"{case.name}: the command names the case's own file"
    return args


def test_every_declared_code_has_a_case_and_every_case_a_code():
    cases = {p.stem for p in CASES.glob("*.seg")}
    assert cases == set(DECLARED)
    assert {p.stem for p in CASES.glob("*.out")} == cases


@pytest.mark.parametrize("code", list(Code), ids=str)
def test_the_case_shows_the_code(code, monkeypatch):
    case = CASES / f"{code}.seg"
    args = command_of(case)
    monkeypatch.chdir(CASES)
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    # stderr (the diagnostics) first, as a terminal shows it: it is written unbuffered
    shown = f"$ segl {shlex.join(args)}\nexit {result.exit_code}\n{result.stderr}{result.stdout}"
    snapshot = case.with_suffix(".out")
    if UPDATE:
        snapshot.write_text(shown, encoding="utf-8")
    severity = code.declared.severity.value
    header = re.compile(rf"^{re.escape(code)}\.seg:\d+:\d+: {severity}\[{code}\]: ",
                        re.MULTILINE)
    assert header.search(result.output), result.output
    # the source line and a caret under the place follow the header
    assert re.search(r"^ +\d+ \| .*\n +\| +\^+", result.output, re.MULTILINE), result.output
    expected_exit = 0 if code.startswith("W") or severity == "warning" else \
        2 if code in (Code.E401, Code.E504) else 1
    assert result.exit_code == expected_exit, result.output
    assert snapshot.read_text(encoding="utf-8") == shown, (
        f"{snapshot.name} differs; if deliberate: SEGL_UPDATE_SNAPSHOTS=1 pytest tests/diagnostics")
