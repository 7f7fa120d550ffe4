// Loads the packaged bundle (dist/extension.js) with a stand-in `vscode` module and
// activates it where no server can be found: the commands of package.json get registered,
// the user sees one error message that says what to do, and nothing throws. (Starting the
// language client needs a real VS Code; test/server.test.ts covers the server side.)

import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import Module, { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, test } from "node:test";

import { CAPABILITY_KEYS, LLM_KEYS } from "../src/config";

const EXTENSION_DIR = path.resolve(__dirname, "..", "..");
const BUNDLE = path.join(EXTENSION_DIR, "dist", "extension.js");

interface Manifest {
  contributes: {
    commands: Array<{ command: string; title: string; category: string }>;
    configuration: { properties: Record<string, unknown> };
  };
}

interface Extension {
  activate(context: { subscriptions: Array<{ dispose(): unknown }>; extensionPath: string }): Promise<void>;
  deactivate(): Promise<void>;
}

/** What the stand-in records. */
interface Recorded {
  commands: string[];
  callbacks: Map<string, () => unknown>;
  errors: string[];
  warnings: string[];
}

/** A value for anything the bundle touches that the test does not care about: callable,
 *  constructible, extendable, and every property is itself. */
function anything(): unknown {
  const target = function () {
    /* stand-in */
  };
  const proxy: unknown = new Proxy(target, {
    get: (_t, property) => (property === "prototype" ? {} : property === Symbol.toPrimitive ? () => "" : proxy),
    apply: () => proxy,
    construct: () => ({}),
  });
  return proxy;
}

/** The workspace as the stand-in shows it: trusted or not, and its own settings. */
interface WorkspaceState {
  trusted: boolean;
  settings: Record<string, unknown>;
}

const TRUSTED_EMPTY: WorkspaceState = { trusted: true, settings: {} };

function vscodeStandIn(settings: Record<string, unknown>, recorded: Recorded, workspace: WorkspaceState): unknown {
  const disposable = { dispose: () => undefined };
  const api: Record<string, unknown> = {
    commands: {
      registerCommand: (id: string, callback: () => unknown) => {
        recorded.commands.push(id);
        recorded.callbacks.set(id, callback);
        return disposable;
      },
      executeCommand: () => Promise.resolve(undefined),
    },
    window: {
      showErrorMessage: (message: string) => {
        recorded.errors.push(message);
        return Promise.resolve(undefined);
      },
      showWarningMessage: (message: string) => {
        recorded.warnings.push(message);
        return Promise.resolve(undefined);
      },
      showInformationMessage: () => Promise.resolve(undefined),
      activeTextEditor: undefined,
    },
    workspace: {
      workspaceFolders: undefined,
      isTrusted: workspace.trusted,
      onDidChangeConfiguration: () => disposable,
      onDidGrantWorkspaceTrust: () => disposable,
      getConfiguration: (section?: string) => ({
        inspect: (key: string) => {
          const full = section ? `${section}.${key}` : key;
          return { key: full, globalValue: settings[full], workspaceValue: workspace.settings[full] };
        },
        get: (key: string) => settings[section ? `${section}.${key}` : key],
      }),
    },
  };
  const fallback = anything();
  return new Proxy(api, { get: (t, property: string) => (property in t ? t[property] : fallback) });
}

type Loader = (request: string, parent: unknown, isMain: boolean) => unknown;
const moduleWithLoad = Module as unknown as { _load: Loader };
const originalLoad = moduleWithLoad._load;
const savedPath = process.env.PATH;

/** Requires a fresh copy of the bundle with `vscode` resolved to the stand-in. */
function loadExtension(
  settings: Record<string, unknown>,
  recorded: Recorded,
  workspace: WorkspaceState = TRUSTED_EMPTY,
): Extension {
  const standIn = vscodeStandIn(settings, recorded, workspace);
  moduleWithLoad._load = function (request: string, parent: unknown, isMain: boolean): unknown {
    return request === "vscode" ? standIn : originalLoad.call(this, request, parent, isMain);
  };
  const load = createRequire(__filename);
  delete load.cache[load.resolve(BUNDLE)];
  return load(BUNDLE) as Extension;
}

describe("the bundled extension without a server binary", () => {
  afterEach(() => {
    moduleWithLoad._load = originalLoad;
    process.env.PATH = savedPath;
  });

  test("the bundle exists (npm run bundle)", () => {
    assert.ok(fs.existsSync(BUNDLE), `no ${BUNDLE}`);
  });

  for (const [name, settings, expected] of [
    ["wbsLsp.server.path points nowhere", { "wbsLsp.server.path": "/nonexistent/wbs-lsp" }, /wbsLsp\.server\.path is "\/nonexistent\/wbs-lsp"/],
    ["nothing on PATH", {}, /cargo install --path server/],
  ] as const) {
    test(`${name}: commands registered, one clear error`, async () => {
      const empty = fs.mkdtempSync(path.join(os.tmpdir(), "wbs-lsp-path-"));
      process.env.PATH = empty;
      const recorded: Recorded = { commands: [], callbacks: new Map(), errors: [], warnings: [] };
      const extension = loadExtension(settings, recorded);
      const context = { subscriptions: [] as Array<{ dispose(): unknown }>, extensionPath: empty };
      await extension.activate(context);

      const manifest = JSON.parse(fs.readFileSync(path.join(EXTENSION_DIR, "package.json"), "utf8")) as Manifest;
      assert.deepEqual(
        [...recorded.commands].sort(),
        manifest.contributes.commands.map((c) => c.command).sort(),
        "every palette command is registered",
      );
      assert.equal(recorded.errors.length, 1, `one message, got ${JSON.stringify(recorded.errors)}`);
      assert.match(recorded.errors[0], expected);
      assert.match(recorded.errors[0], /wbsLsp\.server\.path/);
      assert.doesNotMatch(recorded.errors[0], /\n\s+at /, "no stack trace");

      // A document command with no editor or server says so instead of failing.
      await recorded.callbacks.get("wbsLsp.fixAll")?.();
      assert.equal(recorded.warnings.length, 1, JSON.stringify(recorded.warnings));
      assert.match(recorded.warnings[0], /^wbs-lsp: /);
      await extension.deactivate();
      fs.rmSync(empty, { recursive: true, force: true });
    });
  }

  for (const trusted of [true, false]) {
    test(`a workspace's own settings in a ${trusted ? "trusted" : "restricted"} workspace`, async () => {
      const empty = fs.mkdtempSync(path.join(os.tmpdir(), "wbs-lsp-path-"));
      process.env.PATH = empty;
      const recorded: Recorded = { commands: [], callbacks: new Map(), errors: [], warnings: [] };
      const workspace = { trusted, settings: { "wbsLsp.server.path": "/from/the/workspace/wbs-lsp" } };
      const extension = loadExtension({}, recorded, workspace);
      await extension.activate({ subscriptions: [], extensionPath: empty });
      // The server binary a workspace names is used only when the user trusts it.
      assert.equal(recorded.errors.length, 1, JSON.stringify(recorded.errors));
      if (trusted) {
        assert.match(recorded.errors[0], /from\/the\/workspace/);
      } else {
        assert.doesNotMatch(recorded.errors[0], /from\/the\/workspace/);
        assert.match(recorded.errors[0], /cargo install --path server/);
      }
      // LLM commands do not run in Restricted Mode, and say why.
      await recorded.callbacks.get("wbsLsp.expandNode")?.();
      assert.equal(recorded.warnings.length, 1, JSON.stringify(recorded.warnings));
      if (trusted) {
        assert.doesNotMatch(recorded.warnings[0], /trusted workspace/);
      } else {
        assert.match(recorded.warnings[0], /runs LLM commands only in a trusted workspace/);
      }
      await extension.deactivate();
      fs.rmSync(empty, { recursive: true, force: true });
    });
  }

  test("the settings that pick a program or an endpoint are restricted in untrusted workspaces", () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(EXTENSION_DIR, "package.json"), "utf8")) as Manifest & {
      capabilities: { untrustedWorkspaces: { supported: string; restrictedConfigurations: string[] } };
    };
    const untrusted = manifest.capabilities.untrustedWorkspaces;
    assert.equal(untrusted.supported, "limited");
    for (const key of ["wbsLsp.server.path", "wbsLsp.llm.provider", "wbsLsp.llm.baseUrl", "wbsLsp.llm.apiKeyEnv", "wbsLsp.llm.headers"]) {
      assert.ok(untrusted.restrictedConfigurations.includes(key), key);
    }
  });

  test("palette titles read 'wbs-lsp: …'", () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(EXTENSION_DIR, "package.json"), "utf8")) as Manifest;
    const titles = manifest.contributes.commands.map((c) => `${c.category}: ${c.title}`).sort();
    assert.deepEqual(titles, [
      "wbs-lsp: Expand Node at Cursor",
      "wbs-lsp: Fix All",
      "wbs-lsp: Generate Task List from this WBS",
      "wbs-lsp: Restart Server",
      "wbs-lsp: Scaffold Task List from this WBS",
    ]);
  });

  test("every server option has a wbsLsp.* setting", () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(EXTENSION_DIR, "package.json"), "utf8")) as Manifest;
    const properties = Object.keys(manifest.contributes.configuration.properties);
    const wanted = [
      "wbsLsp.server.path",
      "wbsLsp.profile",
      "wbsLsp.include",
      "wbsLsp.severity",
      "wbsLsp.disabled",
      ...CAPABILITY_KEYS.map((k) => `wbsLsp.capabilities.${k}`),
      ...LLM_KEYS.map((k) => `wbsLsp.llm.${k}`),
      "wbsLsp.llm.headers",
      "wbsLsp.llm.command",
    ];
    for (const key of wanted) {
      assert.ok(properties.includes(key), `package.json lacks the setting ${key}`);
    }
  });
});
