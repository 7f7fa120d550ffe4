// The VS Code side of wbs-lsp: start the server for Markdown, keep its settings in step, and
// offer the server's commands in the palette. Which binary to start and what to send live in
// config.ts (no `vscode` import there), which the Node test uses as it is.

import * as vscode from "vscode";
import {
  DidChangeConfigurationNotification,
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  LSPErrorCodes,
  ResponseError,
  ServerOptions,
  TransportKind,
} from "vscode-languageclient/node";

import {
  CAPABILITY_KEYS,
  didChangeConfigurationSettings,
  initializationOptions,
  isNotFound,
  LLM_KEYS,
  nodeProbe,
  resolveServer,
  SECTION,
  Settings,
} from "./config";

let client: LanguageClient | undefined;
/** Serializes start, stop and restart. */
let lifecycle: Promise<void> = Promise.resolve();

/**
 * Settings that choose a program to run or where prompts and keys are sent. In Restricted Mode
 * (a workspace the user has not trusted) only the user's own settings count for them; the
 * manifest lists them under `capabilities.untrustedWorkspaces.restrictedConfigurations`.
 */
const RESTRICTED = new Set(["server.path", "llm.provider", "llm.baseUrl", "llm.apiKeyEnv", "llm.headers"]);

/** Whether the user trusts the workspace (VS Code before 1.57 has no trust: trusted). */
function trusted(): boolean {
  return vscode.workspace.isTrusted !== false;
}

/** A value the user set (folder, workspace or user settings), or undefined: defaults are not sent. */
function explicit<T>(config: vscode.WorkspaceConfiguration, key: string): T | undefined {
  const inspected = config.inspect<T>(key);
  if (RESTRICTED.has(key) && !trusted()) {
    return inspected?.globalValue;
  }
  return inspected?.workspaceFolderValue ?? inspected?.workspaceValue ?? inspected?.globalValue;
}

/** Server commands that send the document to a model: a workspace's .wbs-lsp.toml chooses which. */
const LLM_COMMANDS = new Set(["wbs-lsp.expand", "wbs-lsp.generate"]);

/** In Restricted Mode, says why an LLM command does not run; true when it may run. */
function mayRunLlmCommand(command: string): boolean {
  if (!LLM_COMMANDS.has(command) || trusted()) {
    return true;
  }
  const manage = "Manage Workspace Trust";
  void vscode.window
    .showWarningMessage(
      "wbs-lsp runs LLM commands only in a trusted workspace: its .wbs-lsp.toml may name the program to run or the endpoint that receives your API key.",
      manage,
    )
    .then((choice) => (choice === manage ? vscode.commands.executeCommand("workbench.trust.manage") : undefined));
  return false;
}

/** The `wbsLsp.*` settings the user set. */
export function readSettings(): Settings {
  const config = vscode.workspace.getConfiguration(SECTION);
  const capabilities: Settings["capabilities"] = {};
  for (const key of CAPABILITY_KEYS) {
    const value = explicit<boolean>(config, `capabilities.${key}`);
    if (value !== undefined) {
      capabilities[key] = value;
    }
  }
  const llm: NonNullable<Settings["llm"]> = {};
  for (const key of LLM_KEYS) {
    const value = explicit<string | number>(config, `llm.${key}`);
    if (value !== undefined) {
      llm[key] = value;
    }
  }
  llm.headers = explicit<Record<string, string>>(config, "llm.headers");
  // A program to run: from the user's own settings only, never from a workspace's.
  llm.command = config.inspect<string | string[]>("llm.command")?.globalValue;
  return {
    profile: explicit<string>(config, "profile"),
    include: explicit<string[]>(config, "include"),
    severity: explicit<Record<string, string>>(config, "severity"),
    disabled: explicit<string[]>(config, "disabled"),
    capabilities,
    llm,
    server: { path: explicit<string>(config, "server.path") },
  };
}

function firstWorkspaceFolder(): string | undefined {
  return vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === "file")?.uri.fsPath;
}

async function showNotFound(message: string): Promise<void> {
  const openSettings = "Open Settings";
  const retry = "Retry";
  const choice = await vscode.window.showErrorMessage(message, openSettings, retry);
  if (choice === openSettings) {
    await vscode.commands.executeCommand("workbench.action.openSettings", "wbsLsp.server.path");
  } else if (choice === retry) {
    await vscode.commands.executeCommand("wbsLsp.restartServer");
  }
}

async function startClient(context: vscode.ExtensionContext): Promise<void> {
  const resolved = resolveServer(readSettings(), context.extensionPath, nodeProbe(), firstWorkspaceFolder());
  if (isNotFound(resolved)) {
    // One clear message, no stack trace; the extension stays active so Restart can retry.
    void showNotFound(resolved.error);
    return;
  }
  const executable = { command: resolved.command, args: resolved.args, transport: TransportKind.stdio };
  const serverOptions: ServerOptions = { run: executable, debug: executable };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", language: "markdown" },
      { scheme: "untitled", language: "markdown" },
    ],
    // Read when the server starts, so a restart picks up changed capabilities.
    initializationOptions: () => initializationOptions(readSettings()),
    // Registers the didChangeConfiguration sync for `wbsLsp` (sent at start and on every
    // change); the middleware below decides what is sent.
    synchronize: { configurationSection: SECTION },
    middleware: {
      // Code actions run server commands through here.
      executeCommand: (command, args, next): vscode.ProviderResult<unknown> =>
        mayRunLlmCommand(command) ? (next(command, args) as vscode.ProviderResult<unknown>) : undefined,
      workspace: {
        // Send only the settings the user set (the same object as initializationOptions,
        // built by config.ts), not VS Code's defaults: those would override a .wbs-lsp.toml.
        didChangeConfiguration: async () => {
          await languageClient.sendNotification(DidChangeConfigurationNotification.type, {
            settings: didChangeConfigurationSettings(readSettings()),
          });
        },
      },
    },
    // Work done progress ($/progress, window/workDoneProgress/create and cancel) is handled
    // by the client's built-in progress feature; nothing here turns it off.
  };
  const languageClient = new LanguageClient("wbsLsp", "wbs-lsp", serverOptions, clientOptions);
  client = languageClient;
  try {
    await languageClient.start();
  } catch (error) {
    // The client has already shown and logged why the start failed.
    languageClient.outputChannel.appendLine(`wbs-lsp: the server did not start: ${String(error)}`);
    client = undefined;
    try {
      await languageClient.dispose();
    } catch {
      // already stopped
    }
  }
}

async function stopClient(): Promise<void> {
  const running = client;
  client = undefined;
  if (running !== undefined) {
    try {
      await running.dispose(2000);
    } catch {
      // a server that already died needs no stopping
    }
  }
}

function queue(step: () => Promise<void>): Promise<void> {
  lifecycle = lifecycle.then(step, step);
  return lifecycle;
}

function restart(context: vscode.ExtensionContext): Promise<void> {
  return queue(async () => {
    await stopClient();
    await startClient(context);
  });
}

/** The active Markdown editor and a running client, or a warning saying what is missing. */
function target(): { editor: vscode.TextEditor; client: LanguageClient } | undefined {
  const editor = vscode.window.activeTextEditor;
  if (editor === undefined || editor.document.languageId !== "markdown") {
    void vscode.window.showWarningMessage("wbs-lsp: open a Markdown task list or WBS first.");
    return undefined;
  }
  if (client === undefined || !client.isRunning()) {
    void vscode.window.showWarningMessage(
      'wbs-lsp: the language server is not running. Run "wbs-lsp: Restart Server".',
    );
    return undefined;
  }
  return { editor, client };
}

/**
 * Runs a server command (`workspace/executeCommand`). The server applies its edits itself
 * (`workspace/applyEdit`), asks what it needs (`window/showMessageRequest`) and reports
 * progress, which the client shows with a Cancel button.
 */
async function executeServerCommand(
  command: string,
  args: (editor: vscode.TextEditor, client: LanguageClient) => unknown[],
): Promise<void> {
  if (!mayRunLlmCommand(command)) {
    return;
  }
  const found = target();
  if (found === undefined) {
    return;
  }
  try {
    await found.client.sendRequest(ExecuteCommandRequest.type, {
      command,
      arguments: args(found.editor, found.client),
    });
  } catch (error) {
    if (error instanceof ResponseError && error.code === LSPErrorCodes.RequestCancelled) {
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    void vscode.window.showErrorMessage(`wbs-lsp: ${command} failed: ${message}`);
  }
}

function documentArgument(editor: vscode.TextEditor, languageClient: LanguageClient): { uri: string } {
  return { uri: languageClient.code2ProtocolConverter.asUri(editor.document.uri) };
}

export function activate(context: vscode.ExtensionContext): Promise<void> {
  context.subscriptions.push(
    vscode.commands.registerCommand("wbsLsp.restartServer", () => restart(context)),
    vscode.commands.registerCommand("wbsLsp.expandNode", () =>
      executeServerCommand("wbs-lsp.expand", (editor, c) => [
        { ...documentArgument(editor, c), line: editor.selection.active.line },
      ]),
    ),
    vscode.commands.registerCommand("wbsLsp.generate", () =>
      executeServerCommand("wbs-lsp.generate", (editor, c) => [documentArgument(editor, c)]),
    ),
    vscode.commands.registerCommand("wbsLsp.scaffold", () =>
      executeServerCommand("wbs-lsp.scaffold", (editor, c) => [documentArgument(editor, c)]),
    ),
    vscode.commands.registerCommand("wbsLsp.fixAll", () =>
      executeServerCommand("wbs-lsp.fixAll", (editor, c) => [documentArgument(editor, c)]),
    ),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration(`${SECTION}.server.path`)) {
        void restart(context);
      } else if (event.affectsConfiguration(`${SECTION}.capabilities`)) {
        const restartNow = "Restart";
        void vscode.window
          .showInformationMessage("wbs-lsp reads its capabilities when it starts: restart the server now?", restartNow)
          .then((choice) => (choice === restartNow ? restart(context) : undefined));
      }
    }),
    // Trusting the workspace brings its settings for the server binary and the LLM in.
    vscode.workspace.onDidGrantWorkspaceTrust(() => void restart(context)),
    { dispose: () => void stopClient() },
  );
  return queue(() => startClient(context));
}

export function deactivate(): Promise<void> {
  return queue(stopClient);
}
