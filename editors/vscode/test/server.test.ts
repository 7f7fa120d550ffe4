// Starts the real wbs-lsp binary the way the extension does (the command, arguments and
// initializationOptions come from src/config.ts), speaks LSP to it over the child's stdio
// with vscode-jsonrpc, and checks the diagnostics of tests/fixtures/editors/bakery_tasks.md:
// pulled (textDocument/diagnostic) by a client that offers pull diagnostics, as VS Code does,
// and pushed (publishDiagnostics) to one that does not.
//
// The server is WBS_LSP_SERVER, else target/debug/wbs-lsp in the repository (build it with
// `cargo build -p wbs-lsp`). It reaches the resolver as the wbsLsp.server.path setting.

import * as assert from "node:assert/strict";
import { ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, describe, test } from "node:test";
import { pathToFileURL } from "node:url";

import { createMessageConnection, MessageConnection, StreamMessageReader, StreamMessageWriter } from "vscode-jsonrpc/node";

import {
  didChangeConfigurationSettings,
  initializationOptions,
  isNotFound,
  nodeProbe,
  resolveServer,
  SECTION,
  ServerCommand,
  serverSettings,
  Settings,
} from "../src/config";
import { vscodeCapabilities } from "./vscodeCapabilities";

/** The repository root: the first folder upward that holds tests/fixtures/editors. */
function repoRoot(): string {
  let dir = __dirname;
  for (;;) {
    if (fs.existsSync(path.join(dir, "tests", "fixtures", "editors"))) {
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new Error(`no repository root above ${__dirname}`);
    }
    dir = parent;
  }
}

const ROOT = repoRoot();
const SERVER = path.resolve(ROOT, process.env.WBS_LSP_SERVER ?? path.join("target", "debug", "wbs-lsp"));
const FIXTURE = path.join(ROOT, "tests", "fixtures", "editors", "bakery_tasks.md");
const FIXTURE_URI = pathToFileURL(FIXTURE).href;
const FIXTURE_TEXT = fs.readFileSync(FIXTURE, "utf8");
const TIMEOUT_MS = 30_000;

interface Position {
  line: number;
  character: number;
}
interface Diagnostic {
  range: { start: Position; end: Position };
  severity?: number;
  code?: string | number;
  source?: string;
  message: string;
}
interface Notification {
  method: string;
  params: unknown;
}

/** `line:start-end code` of each diagnostic, sorted: what the assertions compare. */
function brief(diagnostics: Diagnostic[]): string[] {
  return diagnostics
    .map(
      (d) =>
        `${d.range.start.line}:${d.range.start.character}-${d.range.end.line}:${d.range.end.character} ${String(d.code)}`,
    )
    .sort();
}

/** The fixture's three defects, in UTF-16 columns (VS Code offers only UTF-16). */
const EXPECTED = [
  "15:2-15:7 numbering", //                  1.1.4 after 1.1.2
  "21:0-21:3 missing-check-tasks", //        1.2 has no Verify task
  "21:53-21:56 unknown-dependency", //       1.9, after "Crème Brûlée Orders – Intake"
];

/** A server started with the extension's own resolution and arguments. */
class Session {
  readonly notifications: Notification[] = [];
  private readonly listeners: Array<() => void> = [];
  private constructor(
    readonly child: ChildProcessWithoutNullStreams,
    readonly connection: MessageConnection,
    readonly settings: Settings,
    readonly stderr: string[],
  ) {}

  static start(settings: Settings): Session {
    const resolved = resolveServer(settings, undefined, nodeProbe(), ROOT);
    if (isNotFound(resolved)) {
      throw new Error(`${resolved.error}\n(build it with: cargo build -p wbs-lsp, or set WBS_LSP_SERVER)`);
    }
    const server: ServerCommand = resolved;
    assert.equal(server.source, "setting");
    const child = spawn(server.command, server.args, { stdio: ["pipe", "pipe", "pipe"] });
    const stderr: string[] = [];
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk.toString("utf8")));
    const connection = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
    const session = new Session(child, connection, settings, stderr);
    connection.onNotification((method: string, params: unknown) => {
      session.notifications.push({ method, params });
      for (const listener of session.listeners.splice(0)) {
        listener();
      }
    });
    // Requests from the server, answered as VS Code's client does.
    connection.onRequest((method: string, params: unknown) => {
      if (method === "workspace/configuration") {
        const items = (params as { items: Array<{ section?: string }> }).items;
        return items.map((item) => (item.section === SECTION ? serverSettings(session.settings) : null));
      }
      return null;
    });
    connection.listen();
    return session;
  }

  /** initialize (with the extension's initializationOptions), initialized, then the
   *  didChangeConfiguration the client's configuration sync sends at start. */
  async initialize(pull: boolean): Promise<Record<string, unknown>> {
    const result = await this.connection.sendRequest<{ capabilities: Record<string, unknown> }>("initialize", {
      processId: process.pid,
      clientInfo: { name: "Visual Studio Code", version: "1.91.0" },
      locale: "en",
      rootPath: ROOT,
      rootUri: pathToFileURL(ROOT).href,
      capabilities: vscodeCapabilities(pull),
      initializationOptions: initializationOptions(this.settings),
      trace: "off",
      workspaceFolders: [{ uri: pathToFileURL(ROOT).href, name: path.basename(ROOT) }],
    });
    await this.connection.sendNotification("initialized", {});
    await this.connection.sendNotification("workspace/didChangeConfiguration", {
      settings: didChangeConfigurationSettings(this.settings),
    });
    return result.capabilities;
  }

  async open(text = FIXTURE_TEXT): Promise<void> {
    await this.connection.sendNotification("textDocument/didOpen", {
      textDocument: { uri: FIXTURE_URI, languageId: "markdown", version: 1, text },
    });
  }

  /** The first notification (already received or to come) that `accept` takes. */
  async waitFor(what: string, accept: (n: Notification) => boolean): Promise<Notification> {
    const deadline = Date.now() + TIMEOUT_MS;
    for (;;) {
      const index = this.notifications.findIndex(accept);
      if (index >= 0) {
        return this.notifications.splice(index, 1)[0];
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `timed out waiting for ${what}; received ${JSON.stringify(this.notifications.map((n) => n.method))}; ` +
            `stderr: ${this.stderr.join("")}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.listeners.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The next publishDiagnostics for the fixture whose diagnostics `accept` takes. */
  async published(accept: (d: Diagnostic[]) => boolean = () => true): Promise<Diagnostic[]> {
    const n = await this.waitFor("publishDiagnostics", (n) => {
      const p = n.params as { uri: string; diagnostics: Diagnostic[] };
      return n.method === "textDocument/publishDiagnostics" && p.uri === FIXTURE_URI && accept(p.diagnostics);
    });
    return (n.params as { diagnostics: Diagnostic[] }).diagnostics;
  }

  async stop(): Promise<number | null> {
    const exited = new Promise<number | null>((resolve) => this.child.once("exit", (code) => resolve(code)));
    await this.connection.sendRequest("shutdown");
    await this.connection.sendNotification("exit");
    const code = await exited;
    this.connection.dispose();
    return code;
  }

  kill(): void {
    if (this.child.exitCode === null) {
      this.child.kill();
    }
  }
}

describe("wbs-lsp started as the VS Code extension starts it", () => {
  const sessions: Session[] = [];
  const start = (settings: Settings): Session => {
    const session = Session.start(settings);
    sessions.push(session);
    return session;
  };
  after(() => sessions.forEach((s) => s.kill()));

  test("the server binary is there", () => {
    assert.ok(
      fs.existsSync(SERVER),
      `no server at ${SERVER}: build it with \`cargo build -p wbs-lsp\` or set WBS_LSP_SERVER`,
    );
  });

  test("pull diagnostics: textDocument/diagnostic answers, nothing is pushed", async () => {
    const session = start({ server: { path: SERVER } });
    const capabilities = await session.initialize(true);
    assert.equal(capabilities.positionEncoding ?? "utf-16", "utf-16");
    assert.ok(capabilities.diagnosticProvider, "a pull client gets a diagnosticProvider");
    await session.open();
    const report = await session.connection.sendRequest<{ kind: string; items: Diagnostic[] }>(
      "textDocument/diagnostic",
      { textDocument: { uri: FIXTURE_URI } },
    );
    assert.equal(report.kind, "full");
    assert.deepEqual(brief(report.items), EXPECTED);
    for (const d of report.items) {
      assert.equal(d.source, "wbs-lsp");
    }
    // A request after the open has been answered, so any push for it would be here by now.
    await session.connection.sendRequest("textDocument/documentSymbol", { textDocument: { uri: FIXTURE_URI } });
    const pushed = session.notifications.filter((n) => n.method === "textDocument/publishDiagnostics");
    assert.deepEqual(pushed, [], "a pull client must not also receive publishDiagnostics");
    assert.equal(await session.stop(), 0);
  });

  test("push diagnostics: a client without pull support receives publishDiagnostics", async () => {
    const session = start({ server: { path: SERVER } });
    await session.initialize(false);
    await session.open();
    const diagnostics = await session.published((d) => d.length > 0);
    assert.deepEqual(brief(diagnostics), EXPECTED);
    const unknown = diagnostics.find((d) => d.code === "unknown-dependency");
    assert.equal(unknown?.severity, 1);
    assert.match(unknown?.message ?? "", /1\.9/);
    assert.equal(await session.stop(), 0);
  });

  test("settings reach the server: initializationOptions, then a live change", async () => {
    const settings: Settings = {
      server: { path: SERVER },
      disabled: ["numbering"],
      severity: { "unknown-dependency": "warning" },
      capabilities: { documentSymbol: false },
      llm: { model: "", passes: 1 },
    };
    assert.deepEqual(initializationOptions(settings), {
      wbsLsp: {
        disabled: ["numbering"],
        severity: { "unknown-dependency": "warning" },
        capabilities: { documentSymbol: false },
        llm: { passes: 1 },
      },
    });
    const session = start(settings);
    const capabilities = await session.initialize(false);
    assert.ok(!capabilities.documentSymbolProvider, "capabilities.documentSymbol=false turns the outline off");
    await session.open();
    const first = await session.published((d) => d.length > 0);
    assert.deepEqual(brief(first), ["21:0-21:3 missing-check-tasks", "21:53-21:56 unknown-dependency"]);
    assert.equal(first.find((d) => d.code === "unknown-dependency")?.severity, 2);
    // The user clears wbsLsp.disabled and wbsLsp.severity: the extension sends what is left.
    const changed: Settings = { server: { path: SERVER } };
    await session.connection.sendNotification("workspace/didChangeConfiguration", {
      settings: didChangeConfigurationSettings(changed),
    });
    const second = await session.published((d) => d.some((x) => x.code === "numbering"));
    assert.deepEqual(brief(second), EXPECTED);
    assert.equal(second.find((d) => d.code === "unknown-dependency")?.severity, 1);
    assert.equal(await session.stop(), 0);
  });
});
