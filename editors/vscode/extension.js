// Starts `segl lsp` for .seg files and connects VS Code to it. Everything the extension
// shows (diagnostics, hover, navigation, completion, formatting) comes from the server.
"use strict";

const path = require("path");
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

// The configured command: a name on PATH, an absolute path, or a path relative to the
// first workspace folder (".venv/bin/segl").
function serverCommand(configured) {
  const command = (configured || "segl").trim();
  const folder = vscode.workspace.workspaceFolders && vscode.workspace.workspaceFolders[0];
  const relative = !path.isAbsolute(command) && /[\\/]/.test(command);
  return relative && folder ? path.join(folder.uri.fsPath, command) : command;
}

async function start() {
  const config = vscode.workspace.getConfiguration("segl");
  const command = serverCommand(config.get("server.path"));
  const args = config.get("server.args") || ["lsp"];
  const serverOptions = { command, args };
  const clientOptions = {
    documentSelector: [{ scheme: "file", language: "segl" }],
    // a closed import, segl.toml or a data file changed: the server checks again
    synchronize: {
      fileEvents: vscode.workspace.createFileSystemWatcher("**/{*.seg,segl.toml,*.parquet,*.csv}"),
    },
    initializationOptions: { data: config.get("server.readData", true) },
  };
  client = new LanguageClient("segl", "segl", serverOptions, clientOptions);
  try {
    await client.start();
  } catch (error) {
    client = undefined;
    vscode.window.showErrorMessage(
      `segl: could not start \`${command} ${args.join(" ")}\` (${error.message}). ` +
        "Install segl with its language server (pip install 'segl[lsp]') or set segl.server.path."
    );
  }
}

async function stop() {
  if (client) {
    const running = client;
    client = undefined;
    await running.stop();
  }
}

async function restart() {
  await stop();
  await start();
}

function activate(context) {
  context.subscriptions.push(
    vscode.commands.registerCommand("segl.restartServer", restart),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration("segl.server")) {
        restart();
      }
    })
  );
  return start();
}

function deactivate() {
  return stop();
}

module.exports = { activate, deactivate, serverCommand };
