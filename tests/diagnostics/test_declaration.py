"""Every diagnostic code is declared once (compiler/codes/) and used through `Code`: no
module of segl spells a code as a string, and every declared code is raised somewhere (or
is marked reserved)."""

import ast
import re
from pathlib import Path

import pytest
from segl.compiler.analysis.lint import CHECKS, COMMENT_RULES, COMPILER_WARNINGS, RULES
from segl.compiler.codes import DECLARED, Code, Severity

ROOT = Path(__file__).resolve().parents[2]
DECLARATION = ROOT / "compiler" / "codes"
LOOKS_LIKE_A_CODE = re.compile(r"[EWL]\d{3}")
SOURCES = sorted(p for folder in ("compiler", "runtime", "grammar")
                 for p in (ROOT / folder).rglob("*.py") if DECLARATION not in p.parents)


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), str(path))


def test_the_scan_sees_the_package():
    names = {p.relative_to(ROOT).as_posix() for p in SOURCES}
    expected = {
        "compiler/semantic/resolve.py", "compiler/analysis/lint/rules.py", "runtime/cli/exits.py"
    }
    assert expected <= names


def _code_strings(tree: ast.Module) -> list[ast.Constant]:
    """String constants that are a code (docstrings and messages that mention one are not)."""
    return [node for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and LOOKS_LIKE_A_CODE.fullmatch(node.value.strip())]


def test_no_code_is_spelt_as_a_string_outside_the_declaration():
    found = [f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}"
             for path in SOURCES for node in _code_strings(_tree(path))]
    assert not found, "use the `Code` member instead:\n" + "\n".join(found)


def test_the_string_scan_catches_a_code():
    planted = ast.parse('error("E108", "x", None)\nif d.code in ("E401", x): pass\n'
                        '"""Docstring naming E108."""\n')
    assert [n.value for n in _code_strings(planted)] == ["E108", "E401"]


def _used_members() -> set[str]:
    used = set()
    for path in SOURCES:
        for node in ast.walk(_tree(path)):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id == "Code"):
                used.add(node.attr)
    return used


def test_every_use_names_a_declared_code(used):
    assert used <= set(DECLARED), "an undeclared Code member would fail at import"


@pytest.fixture(scope="module")
def used() -> set[str]:
    return _used_members()


@pytest.mark.parametrize("code", list(Code), ids=str)
def test_every_declared_code_is_raised_or_reserved(code, used):
    raised = code in used
    assert raised != code.declared.reserved, (
        f"{code} is declared but raised nowhere: raise it or mark it reserved"
        if not raised else f"{code} is marked reserved but is raised")


@pytest.mark.parametrize("declared", list(DECLARED.values()), ids=lambda d: d.code)
def test_each_declaration_is_complete(declared):
    assert LOOKS_LIKE_A_CODE.fullmatch(declared.code)
    assert declared.title and declared.explanation
    assert declared.mistake.strip() and declared.fix.strip()
    assert declared.mistake != declared.fix
    expected = {"E": {Severity.ERROR}, "W": {Severity.WARNING},
                "L": {Severity.ERROR, Severity.WARNING}}[declared.code[0]]
    assert declared.severity in expected


def test_the_codes_are_in_order_and_the_enum_is_the_table():
    codes = list(DECLARED)
    assert codes == sorted(codes, key=lambda c: ("EWL".index(c[0]), c))
    assert [c.value for c in Code] == codes
    assert all(Code[c] == c and str(Code[c]) == c and f"{Code[c]}" == c for c in codes)


def test_lint_rules_are_the_declared_l_codes():
    assert set(RULES) == {c for c in DECLARED if c.startswith("L")}
    assert set(CHECKS) | COMMENT_RULES == set(RULES)
    for code, rule in RULES.items():
        assert (rule.severity, rule.summary, rule.rationale) == (
            DECLARED[code].severity, DECLARED[code].title, DECLARED[code].explanation)
    assert set(COMPILER_WARNINGS) == {c for c in DECLARED if c.startswith("W")}
