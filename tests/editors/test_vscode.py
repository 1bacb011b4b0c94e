"""The VS Code extension (editors/vscode): its TextMate grammar covers the lexicon, its
manifest and language configuration hold together, its entry point starts `segl lsp`, and
it builds into a .vsix with @vscode/vsce."""

import json
import re
import shutil
import subprocess
import zipfile

import pytest
from segl.compiler.api import builtin_functions
from segl.compiler.syntax import lexicon

from tests.conftest import ROOT

EXTENSION = ROOT / "editors/vscode"
GRAMMAR = json.loads((EXTENSION / "syntaxes/segl.tmLanguage.json").read_text())
MANIFEST = json.loads((EXTENSION / "package.json").read_text())

# The scopes a word of the language may get (themes colour these as keywords, constants,
# types and modifiers).
KEYWORD_SCOPES = ("keyword.", "constant.language.", "storage.type.", "storage.modifier.",
                  "support.type.")


def rules(node=GRAMMAR):
    """Every rule with a `match` of the grammar, as (regex, {group: scope})."""
    found = []
    for rule in [*node.get("patterns", []), *node.get("repository", {}).values()]:
        if "match" in rule:
            scopes = {int(k): v["name"] for k, v in rule.get("captures", {}).items()}
            if "name" in rule:
                scopes[0] = rule["name"]
            found.append((re.compile(rule["match"]), scopes))
        found += rules(rule)
    return found


def scopes_of(line: str, word: str) -> set[str]:
    """The scopes rules give to exactly `word` (its whole text) in `line`."""
    start = line.index(word)
    given = set()
    for regex, scopes in rules():
        for match in regex.finditer(line):
            for group, scope in scopes.items():
                if match.group(group) is not None and match.span(group) == (
                        start, start + len(word)):
                    given.add(scope)
    return given


@pytest.mark.parametrize("word", sorted(lexicon.KEYWORDS))
def test_every_keyword_of_the_lexicon_is_highlighted_as_one(word):
    for line in (word, f"  x {word} y"):
        given = scopes_of(line, word)
        assert any(s.startswith(KEYWORD_SCOPES) and s.endswith(".segl") for s in given), \
            f"`{word}` in {line!r}: {given}"


@pytest.mark.parametrize("name", ["top_spenders", "date_of_birth", "days_active", "in_last",
                                  "segments", "tables2", "as_of_date"])
def test_names_that_start_with_a_keyword_are_not_highlighted_as_one(name):
    assert not any(s.startswith(KEYWORD_SCOPES) for s in scopes_of(f"  x = {name} ", name))


@pytest.mark.parametrize("name", sorted(builtin_functions()))
def test_every_built_in_function_is_highlighted_where_it_is_called(name):
    assert "support.function.builtin.segl" in scopes_of(f"  x = {name}(y)", name)


def test_comments_strings_and_declared_names_are_scoped():
    assert scopes_of('segment loyal = x # "not a string"', '# "not a string"') == {
        "comment.line.number-sign.segl"}
    assert "entity.name.segl" in scopes_of("segment `top spenders` = x", "`top spenders`")
    assert "constant.numeric.date.segl" in scopes_of("  since 2026-06-30", "2026-06-30")


def test_the_manifest_contributes_the_language_its_grammar_and_configuration():
    (language,) = MANIFEST["contributes"]["languages"]
    assert language["id"] == "segl" and language["extensions"] == [".seg"]
    (grammar,) = MANIFEST["contributes"]["grammars"]
    assert grammar["scopeName"] == GRAMMAR["scopeName"] == "source.segl"
    for path in (grammar["path"], language["configuration"], MANIFEST["main"]):
        assert (EXTENSION / path).is_file(), path
    settings = MANIFEST["contributes"]["configuration"]["properties"]
    assert settings["segl.server.path"]["default"] == "segl"
    assert settings["segl.server.args"]["default"] == ["lsp"]


def test_the_language_configuration_knows_comments_brackets_and_quotes():
    config = json.loads((EXTENSION / "language-configuration.json").read_text())
    assert config["comments"]["lineComment"] == "#"
    assert ["{", "}"] in config["brackets"] and ["(", ")"] in config["brackets"]
    closing = {pair["open"]: pair["close"] for pair in config["autoClosingPairs"]}
    assert closing == {"{": "}", "(": ")", '"': '"', "`": "`"}
    word = re.compile(config["wordPattern"])
    assert word.fullmatch("`top spenders`") and word.fullmatch("orders_1y")


NPM = shutil.which("npm")
needs_npm = pytest.mark.skipif(NPM is None, reason="npm is not installed: building the "
                               ".vsix needs Node 20+ and npm (apt-get install nodejs npm)")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The extension installed from its lock file and packaged, in a copy of its folder."""
    folder = tmp_path_factory.mktemp("vscode") / "extension"
    shutil.copytree(EXTENSION, folder, ignore=shutil.ignore_patterns("node_modules", "*.vsix"))
    subprocess.run([NPM, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=folder,
                   check=True, capture_output=True, timeout=600)
    vsix = folder / "segl.vsix"
    result = subprocess.run([NPM, "run", "package", "--", "--out", str(vsix)], cwd=folder,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return folder, vsix


@needs_npm
def test_the_extension_builds_into_a_vsix_with_what_it_needs(built):
    _, vsix = built
    with zipfile.ZipFile(vsix) as archive:
        names = set(archive.namelist())
        packaged = json.loads(archive.read("extension/package.json"))
    assert {"extension.vsixmanifest", "extension/package.json", "extension/extension.js",
            "extension/language-configuration.json",
            "extension/syntaxes/segl.tmLanguage.json",
            "extension/node_modules/vscode-languageclient/node.js"} <= names
    assert packaged["name"] == "segl" and packaged["version"] == MANIFEST["version"]
    assert not any("@vscode/vsce" in n for n in names), "a build tool was packaged"
    assert not any(n.endswith((".vsix", ".d.ts")) for n in names)


@needs_npm
def test_the_entry_point_starts_segl_lsp_for_seg_files(built):
    """extension.js run by Node with stand-ins for the editor: it starts the configured
    command for `segl` documents, relative paths taken from the workspace folder."""
    folder, _ = built
    script = """
    const Module = require("module");
    const started = [];
    const vscode = {
      workspace: {
        workspaceFolders: [{ uri: { fsPath: "/work/project" } }],
        getConfiguration: () => ({ get: (key, fallback) => ({
          "server.path": ".venv/bin/segl", "server.args": ["lsp"], "server.readData": false,
        })[key] ?? fallback }),
        createFileSystemWatcher: (glob) => ({ glob }),
        onDidChangeConfiguration: () => ({ dispose() {} }),
      },
      commands: { registerCommand: (name) => ({ name, dispose() {} }) },
      window: { showErrorMessage: (m) => started.push({ error: m }) },
    };
    class LanguageClient {
      constructor(id, name, server, client) { Object.assign(this, { id, server, client }); }
      async start() { started.push(this); }
      async stop() {}
    }
    const load = Module._load;
    Module._load = function (request, ...rest) {
      if (request === "vscode") return vscode;
      if (request === "vscode-languageclient/node") return { LanguageClient };
      return load.call(this, request, ...rest);
    };
    const extension = require("./extension.js");
    const subscriptions = [];
    extension.activate({ subscriptions }).then(() => {
      const client = started[0];
      console.log(JSON.stringify({
        id: client.id, server: client.server, selector: client.client.documentSelector,
        options: client.client.initializationOptions,
        watch: client.client.synchronize.fileEvents.glob,
        commands: subscriptions.map((s) => s.name).filter(Boolean),
        onPath: extension.serverCommand("segl"),
        absolute: extension.serverCommand("/opt/segl/bin/segl"),
      }));
    });
    """
    result = subprocess.run(["node", "-e", script], cwd=folder, capture_output=True,
                            text=True, timeout=60, check=True)
    seen = json.loads(result.stdout)
    assert seen["server"] == {"command": "/work/project/.venv/bin/segl", "args": ["lsp"]}
    assert seen["selector"] == [{"scheme": "file", "language": "segl"}]
    assert seen["options"] == {"data": False}
    assert "*.seg" in seen["watch"] and "segl.toml" in seen["watch"]
    assert seen["commands"] == ["segl.restartServer"]
    assert seen["onPath"] == "segl" and seen["absolute"] == "/opt/segl/bin/segl"
