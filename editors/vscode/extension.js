// Starts `ind lsp` (the language server of indicator_dsl) for .ind files and stops it on exit.
"use strict";

const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const settings = vscode.workspace.getConfiguration("ind");
  const command = settings.get("server.command", "ind");
  const args = settings.get("server.args", ["lsp"]);
  const cwd = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const server = { command, args, options: { cwd } };
  client = new LanguageClient(
    "ind",
    "Indicator DSL",
    { run: server, debug: server },
    { documentSelector: [{ scheme: "file", language: "ind" }] }
  );
  context.subscriptions.push({ dispose: () => client && client.stop() });
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
