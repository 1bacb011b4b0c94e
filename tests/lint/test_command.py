"""`segl lint`: settings, silencing comments, the output formats and exit codes."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner
from segl.compiler.analysis.lint import RULES
from segl.runtime.cli import main

from tests.conftest import ROOT
from tests.lint.test_rules import BASE, seg

# Findings: L201 (warning) on `a`; L101 and L102 (errors) on `b`, which reads a `pii` column
# without a purpose or an allow; L001 + L002 (warnings) on `plain`.
MIXED = BASE + seg('city != "x"', "a") + seg("birth_date < 2000-01-01", "b") \
    + 'segment plain = score > 1\n'


def segl(*args, cwd=None, monkeypatch=None):
    if cwd is not None and monkeypatch is not None:
        monkeypatch.chdir(cwd)
    return CliRunner().invoke(main, ["lint", *args], catch_exceptions=False)


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A folder with `.git` (the root for relative paths) holding `segs/case.seg`."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "segs").mkdir()
    monkeypatch.chdir(tmp_path)

    def write(text: str, name: str = "segs/case.seg"):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


def codes(output: str) -> list[str]:
    return re.findall(r"(?:error|warning|info)\[(\w+)\]", output)


# ---------------------------------------------------------------- the examples


def test_the_examples_lint_clean(monkeypatch):
    result = segl("examples", "--strict", cwd=ROOT, monkeypatch=monkeypatch)
    assert result.exit_code == 0, result.output
    assert re.fullmatch(r"no problems in \d+ files\n", result.output), result.output


def test_imported_files_are_judged_by_what_imports_them(monkeypatch):
    """features.seg alone uses none of its features; through shop.seg it uses all."""
    monkeypatch.chdir(ROOT)
    alone = segl("examples/shop/features.seg", "--select", "L401")
    assert "L401" in codes(alone.output) and alone.exit_code == 0
    together = segl("examples/shop/features.seg", "examples/shop/shop.seg", "--select", "L401")
    assert codes(together.output) == [], together.output


# ---------------------------------------------------------------- exit codes


def test_exit_codes(repo):
    repo(MIXED)
    assert segl("segs").exit_code == 1  # L101 and L102 are errors
    assert segl("segs", "--ignore", "L101").exit_code == 1  # L102 still is
    assert segl("segs", "--ignore", "L101,L102").exit_code == 0  # warnings only
    assert segl("segs", "--ignore", "L101,L102", "--strict").exit_code == 1
    assert segl("segs", "--select", "L999").exit_code == 2
    assert segl("nowhere").exit_code == 2
    assert segl("segs", "--format", "xml").exit_code == 2


def test_compile_errors_exit_1_with_their_code(repo):
    repo(BASE + seg("scor > 1"))
    result = segl("segs")
    assert result.exit_code == 1
    assert "error[E101]: unknown name `scor`" in result.output
    assert "did you mean `score`?" in result.output


def test_text_output_renders_like_compiler_diagnostics(repo):
    repo(MIXED)
    result = segl("segs", "--select", "L201")
    line = MIXED.splitlines().index('  where city != "x"') + 1
    assert result.output.splitlines()[:4] == [
        f"segs/case.seg:{line}:9: warning[L201]: `city != \"x\"` is not true where `city` is "
        "missing, so those entities are left out",
        f"  {line} |   where city != \"x\"",
        "     |         ^^^^^^^^^^^",
        "  = hint: to keep them write `city is missing or …`; to leave them out on purpose "
        "write `city is present and …`",
    ]
    assert result.output.splitlines()[-1] == "1 warning in 1 file"


def test_select_by_prefix_and_name(repo):
    repo(MIXED)
    assert set(codes(segl("segs", "--select", "L0").output)) == {"L001", "L002"}
    assert codes(segl("segs", "--select", "missing-value-excluded").output) == ["L201"]


def test_list_rules(repo):
    result = segl("--list-rules", "--format", "json")
    rules = json.loads(result.output)
    assert [r["code"] for r in rules] == list(RULES)
    assert all(r["name"] and r["summary"] and r["rationale"] for r in rules)
    text = segl("--list-rules").output
    assert all(code in text for code in RULES)


def test_list_rules_written_as_csv_and_markdown(repo, tmp_path):
    """--out decides the format from its extension like every other listing; a rule the
    settings switch off says so in every format."""
    (tmp_path / "segl.toml").write_text('[lint]\nignore = ["L002"]\n')
    assert segl("--list-rules", "--out", "rules.csv").exit_code == 0
    import csv
    rows = list(csv.DictReader((tmp_path / "rules.csv").open(encoding="utf-8")))
    assert [r["code"] for r in rows] == list(RULES)
    assert {r["code"]: r["enabled"] for r in rows}["L002"] == "false"
    assert all(r["enabled"] == "true" for r in rows if r["code"] != "L002")
    assert segl("--list-rules", "--out", "rules.md").exit_code == 0
    markdown = (tmp_path / "rules.md").read_text(encoding="utf-8")
    assert markdown.count("\n| L") == len(RULES)
    assert "warning (off)" in next(line for line in markdown.splitlines() if "| L002 |" in line)
    refused = segl("--list-rules", "--format", "sarif")
    assert refused.exit_code != 0 and "table or JSON" in refused.output


# ---------------------------------------------------------------- settings


def test_segl_toml_select_ignore_and_severity(repo, tmp_path):
    repo(MIXED)
    (tmp_path / "segl.toml").write_text(
        '[lint]\nselect = ["L0", "L1", "L2"]\nignore = ["L002"]\n'
        'severity = { L101 = "warning", L102 = "warning", L201 = "info" }\n')
    result = segl("segs")
    assert sorted(codes(result.output)) == ["L001", "L101", "L102", "L201"]
    assert "warning[L101]" in result.output and "info[L201]" in result.output
    assert result.exit_code == 0  # L101 and L102 are only warnings here
    assert segl("segs", "--strict").exit_code == 1


def test_pyproject_settings_and_per_path_ignores(repo, tmp_path):
    repo(MIXED)
    repo(MIXED.replace("segment plain", "segment other"), "segs/legacy.seg")
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.segl.lint]\nselect = ["L001"]\n'
        'per-path-ignores = { "segs/legacy*" = ["L001"] }\n')
    result = segl("segs")
    assert codes(result.output) == ["L001"]
    assert "segs/case.seg" in result.output and "legacy" not in result.output


def test_segl_toml_wins_over_pyproject_in_the_same_folder(repo, tmp_path):
    repo(MIXED)
    (tmp_path / "pyproject.toml").write_text('[tool.segl.lint]\nselect = ["L001"]\n')
    (tmp_path / "segl.toml").write_text('[lint]\nselect = ["L201"]\n')
    assert codes(segl("segs").output) == ["L201"]


@pytest.mark.parametrize(("settings", "message"), [
    ('[lint]\nselect = ["L0O1"]\n', "unknown lint rule `L0O1`; did you mean"),
    ('[lint]\nignore = ["nope"]\n', "unknown lint rule `nope`"),
    ('[lint]\nseverity = { L001 = "fatal" }\n', "must be error, warning or info"),
    ('[lint]\nseverity = { L8 = "info" }\n', "unknown lint rule `L8`"),
    ('[lint]\nselcet = ["L001"]\n', "unknown lint setting(s): selcet"),
    ('[lint]\nper-path-ignores = { "x" = ["E101"] }\n', "unknown lint rule `E101`"),
])
def test_bad_settings_are_usage_errors(repo, tmp_path, settings, message):
    repo(MIXED)
    (tmp_path / "segl.toml").write_text(settings)
    result = CliRunner().invoke(main, ["lint", "segs"])
    assert result.exit_code == 2
    assert message in result.output


# ---------------------------------------------------------------- silencing comments


def test_silenced_on_the_line_and_on_the_line_above(repo):
    repo(BASE + seg('city != "x"  # segl: ignore[L201] unknown cities stay out', "a")
         + "# segl: ignore[L001, L002] a scratch segment\n"
         + "segment plain = score > 1\n")
    result = segl("segs")
    assert codes(result.output) == [], result.output


def test_a_silencing_comment_covers_only_its_codes_and_line(repo):
    repo(BASE + "# segl: ignore[L001] only the owner\nsegment plain = city != \"x\"\n"
         + seg('city != "y"', "b"))
    assert sorted(codes(segl("segs").output)) == ["L002", "L201", "L201"]


def test_unused_and_unknown_silencing_comments(repo):
    repo(BASE + seg("score > 1  # segl: ignore[L201]", "a") + seg("score > 2  # segl: ignore[X1]",
                                                                  "b"))
    result = segl("segs")
    assert sorted(codes(result.output)) == ["L901", "L902"]
    # a code whose rule is not selected is not reported as unused
    assert codes(segl("segs", "--ignore", "L201").output) == ["L902"]


# ---------------------------------------------------------------- formats


def test_json_schema(repo):
    repo(MIXED)
    document = json.loads(segl("segs", "--format", "json").output)
    assert set(document) == {"version", "tool", "files", "findings", "summary"}
    assert document["version"] == 1
    assert document["tool"]["name"] == "segl"
    assert document["files"] == ["segs/case.seg"]
    assert document["summary"] == {"error": 2, "warning": 3, "info": 0}
    keys = {"code", "name", "severity", "message", "hints", "path", "line", "column",
            "end_line", "end_column", "source"}
    for finding in document["findings"]:
        assert set(finding) == keys
        assert finding["path"] == "segs/case.seg"
        assert finding["source"] == "lint"
        assert finding["name"] == RULES[finding["code"]].name
        assert isinstance(finding["line"], int) and finding["end_column"] > finding["column"]
    l201 = next(f for f in document["findings"] if f["code"] == "L201")
    assert (l201["line"], l201["column"]) == (MIXED.splitlines().index(
        '  where city != "x"') + 1, 9)


def test_json_reports_compile_errors(repo):
    repo(BASE + seg("scor > 1"))
    document = json.loads(segl("segs", "--format", "json").output)
    (finding,) = document["findings"]
    assert (finding["code"], finding["source"], finding["severity"]) == \
        ("E101", "compiler", "error")


SARIF_LEVELS = {"none", "note", "warning", "error"}


def test_sarif_is_valid_2_1_0(repo, tmp_path):
    """The properties of SARIF 2.1.0 that code scanning reads, checked one by one."""
    repo(MIXED)
    out = tmp_path / "lint.sarif"
    result = segl("segs", "--format", "sarif", "--output", str(out))
    assert result.exit_code == 1
    log = json.loads(out.read_text())
    assert log["version"] == "2.1.0"
    assert log["$schema"].endswith("sarif-2.1.0.json")
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "segl" and isinstance(driver["version"], str)
    rules = driver["rules"]
    assert [r["id"] for r in rules][:len(RULES)] == list(RULES)
    for rule in rules:
        assert rule["shortDescription"]["text"] and rule["help"]["text"]
        assert rule["defaultConfiguration"]["level"] in SARIF_LEVELS
    assert {r["id"]: r["defaultConfiguration"]["level"] for r in rules}["L101"] == "error"
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"].startswith("file://")
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"].endswith("/")
    assert len(run["results"]) == 5
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        assert res["level"] in SARIF_LEVELS
        assert res["message"]["text"]
        (location,) = res["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"] == {"uri": "segs/case.seg", "uriBaseId": "%SRCROOT%"}
        region = physical["region"]
        assert set(region) == {"startLine", "startColumn", "endLine", "endColumn"}
        assert all(isinstance(v, int) and v >= 1 for v in region.values())
        assert (region["endLine"], region["endColumn"]) > (region["startLine"],
                                                           region["startColumn"])


def test_github_annotations(repo):
    repo(MIXED)
    lines = segl("segs", "--format", "github").output.splitlines()
    assert len(lines) == 5
    pattern = re.compile(r"::(error|warning|notice) file=segs/case\.seg,line=\d+,col=\d+,"
                         r"endLine=\d+,endColumn=\d+,title=L\d{3} [a-z-]+::[^\n]+")
    assert all(pattern.fullmatch(line) for line in lines), lines
    error, _ = [line for line in lines if line.startswith("::error")]
    assert "title=L101 personal-data-without-purpose::segment `b` uses personal data" in error
    assert "%0Ahint: " in error  # the hint on its own line, escaped


def test_github_escapes_properties():
    from segl.runtime.lint_report import _escape_data, _escape_property
    assert _escape_property("a,b:c%") == "a%2Cb%3Ac%25"
    assert _escape_data("a\nb,c") == "a%0Ab,c"


def test_paths_are_relative_to_the_repository_root(repo, tmp_path, monkeypatch):
    repo(MIXED)
    monkeypatch.chdir(tmp_path / "segs")
    document = json.loads(segl(".", "--format", "json").output)
    assert {f["path"] for f in document["findings"]} == {"segs/case.seg"}


def test_the_pre_commit_hook_lints_the_whole_repository():
    """The hook lints every file (not only the changed ones): whether a feature is used is
    decided by the files that import it."""
    hooks = (ROOT / ".pre-commit-hooks.yaml").read_text()
    hook = hooks[hooks.index("\n- id: segl-lint"):]
    assert "entry: segl lint" in hook
    assert "pass_filenames: false" in hook.split("\n- id:")[1]


def test_docs_list_every_rule_as_the_code_does():
    text = (ROOT / "docs/lint.md").read_text()
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and re.fullmatch(r"L\d{3}", cells[0]):
            rows[cells[0]] = cells[1:]
    assert list(rows) == list(RULES)
    for code, rule in RULES.items():
        assert rows[code] == [rule.name, rule.severity.value, rule.summary, rule.rationale]


def test_silencing_in_an_imported_file(repo, tmp_path):
    """The comment is read from the file the finding is in, however that file is reached."""
    repo(BASE + 'feature remote = city != "x"  # segl: ignore[L201] unknown is not remote\n',
         "segs/sources.seg")
    repo('import "sources.seg"\n' + seg("remote"), "segs/main.seg")
    result = segl("./segs/")
    assert codes(result.output) == [], result.output
    assert result.output == "no problems in 2 files\n"
