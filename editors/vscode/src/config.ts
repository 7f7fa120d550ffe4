// Everything the extension decides before it talks to the server: which binary to start,
// with which arguments, and which settings to send. No `vscode` import here, so the Node
// test (test/server.test.ts) starts the server with exactly this code.

import * as fs from "node:fs";
import * as path from "node:path";

/** The server's command-line arguments: `wbs-lsp serve` runs the language server on stdio. */
export const SERVER_ARGS: readonly string[] = ["serve"];

/** The settings section, in VS Code and in what the server receives. */
export const SECTION = "wbsLsp";

/** Every capability key the server reads from `initializationOptions`. */
export const CAPABILITY_KEYS = [
  "documentSymbol",
  "foldingRange",
  "hover",
  "definition",
  "references",
  "documentHighlight",
  "completion",
  "rename",
  "inlayHint",
  "workspaceSymbol",
  "codeAction",
] as const;

export type CapabilityKey = (typeof CAPABILITY_KEYS)[number];

/** The `wbsLsp.llm.*` keys with a string or number value (`headers` and `command` are not). */
export const LLM_KEYS = [
  "provider",
  "model",
  "baseUrl",
  "apiKeyEnv",
  "passes",
  "timeoutSecs",
  "maxRetries",
  "promptTemplate",
  "wbs",
] as const;

export type LlmKey = (typeof LLM_KEYS)[number];

/** `wbsLsp.llm`: the scalar keys, extra headers, and the `command` provider's program. */
export type LlmSettings = Partial<Record<LlmKey, string | number>> & {
  headers?: Record<string, string>;
  command?: string | string[];
};

/**
 * The `wbsLsp.*` settings the user set, as plain values (anything unset is `undefined`).
 * The extension fills it from VS Code's configuration; the test writes it by hand.
 */
export interface Settings {
  profile?: string;
  include?: string[];
  severity?: Record<string, string>;
  disabled?: string[];
  capabilities?: Partial<Record<CapabilityKey, boolean>>;
  llm?: LlmSettings;
  server?: { path?: string };
}

/** What the server reads under `wbsLsp` (no `server.path`: that is the client's business). */
export type ServerSettings = Record<string, unknown>;

function isNonEmptyString(value: unknown): value is string {
  return typeof value === "string" && value.trim() !== "";
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === "string");
}

/**
 * The settings the server receives under `wbsLsp`. Only values that are set are sent, so the
 * server's defaults and a `.wbs-lsp.toml` keep applying to the rest (client settings win over
 * the file key by key); empty strings, empty objects and values of the wrong type are left out.
 * An empty `include` or `disabled` list is sent: it is a choice ("nothing"), not an absence.
 */
export function serverSettings(settings: Settings): ServerSettings {
  const out: ServerSettings = {};
  if (isNonEmptyString(settings.profile)) {
    out.profile = settings.profile;
  }
  if (isStringArray(settings.include)) {
    out.include = [...settings.include];
  }
  const severity = settings.severity;
  if (severity !== null && typeof severity === "object" && !Array.isArray(severity)) {
    const entries = Object.entries(severity).filter(([, v]) => isNonEmptyString(v));
    if (entries.length > 0) {
      out.severity = Object.fromEntries(entries);
    }
  }
  if (isStringArray(settings.disabled)) {
    out.disabled = [...settings.disabled];
  }
  const capabilities: Partial<Record<CapabilityKey, boolean>> = {};
  for (const key of CAPABILITY_KEYS) {
    const value = settings.capabilities?.[key];
    if (typeof value === "boolean") {
      capabilities[key] = value;
    }
  }
  if (Object.keys(capabilities).length > 0) {
    out.capabilities = capabilities;
  }
  const llm: Record<string, unknown> = {};
  for (const key of LLM_KEYS) {
    const value = settings.llm?.[key];
    if (isNonEmptyString(value)) {
      llm[key] = value.trim();
    } else if (typeof value === "number" && Number.isInteger(value) && value >= 0) {
      llm[key] = value;
    }
  }
  const headers = settings.llm?.headers;
  if (headers !== null && typeof headers === "object" && !Array.isArray(headers)) {
    const entries = Object.entries(headers).filter(
      ([name, value]) => name.trim() !== "" && typeof value === "string",
    );
    if (entries.length > 0) {
      llm.headers = Object.fromEntries(entries);
    }
  }
  const command = settings.llm?.command;
  if (isNonEmptyString(command)) {
    llm.command = command.trim();
  } else if (isStringArray(command) && command.length > 0 && isNonEmptyString(command[0])) {
    llm.command = [...command];
  }
  if (Object.keys(llm).length > 0) {
    out.llm = llm;
  }
  return out;
}

/** `initializationOptions` for the `initialize` request: `{wbsLsp: {...}}`. */
export function initializationOptions(settings: Settings): { [SECTION]: ServerSettings } {
  return { [SECTION]: serverSettings(settings) };
}

/** The `settings` of a `workspace/didChangeConfiguration` notification. */
export function didChangeConfigurationSettings(settings: Settings): { [SECTION]: ServerSettings } {
  return { [SECTION]: serverSettings(settings) };
}

/** What the resolver may look at: the file system, the environment and the platform. */
export interface Probe {
  /** Whether an executable regular file exists at this absolute path. */
  isExecutableFile(file: string): boolean;
  /** The environment (`PATH`, and `PATHEXT` on Windows). */
  env: Record<string, string | undefined>;
  platform: NodeJS.Platform;
}

/** A probe of the real machine. */
export function nodeProbe(): Probe {
  return {
    isExecutableFile(file: string): boolean {
      try {
        if (!fs.statSync(file).isFile()) {
          return false;
        }
        if (process.platform !== "win32") {
          fs.accessSync(file, fs.constants.X_OK);
        }
        return true;
      } catch {
        return false;
      }
    },
    env: process.env,
    platform: process.platform,
  };
}

export type ServerSource = "setting" | "bundled" | "path";

export interface ServerCommand {
  command: string;
  args: string[];
  /** Where the binary was found. */
  source: ServerSource;
}

export interface ServerNotFound {
  /** One message for the user: what was looked for, and what to do. */
  error: string;
}

/** The binary's file name on this platform. */
export function binaryName(platform: NodeJS.Platform): string {
  return platform === "win32" ? "wbs-lsp.exe" : "wbs-lsp";
}

function pathModule(platform: NodeJS.Platform): typeof path.posix {
  return platform === "win32" ? path.win32 : path.posix;
}

/** The first `wbs-lsp` on `PATH`, or undefined. */
export function findOnPath(probe: Probe): string | undefined {
  const p = pathModule(probe.platform);
  const pathVariable = probe.env.PATH ?? probe.env.Path ?? "";
  const separator = probe.platform === "win32" ? ";" : ":";
  const names =
    probe.platform === "win32"
      ? (probe.env.PATHEXT ?? ".EXE;.CMD;.BAT")
          .split(";")
          .filter((ext) => ext !== "")
          .map((ext) => "wbs-lsp" + ext.toLowerCase())
      : ["wbs-lsp"];
  for (const dir of pathVariable.split(separator)) {
    if (dir === "") {
      continue;
    }
    for (const name of names) {
      const candidate = p.join(dir, name);
      if (p.isAbsolute(candidate) && probe.isExecutableFile(candidate)) {
        return candidate;
      }
    }
  }
  return undefined;
}

/** `~` at the start of a configured path means the home folder. */
function expandHome(file: string, probe: Probe): string {
  const home = probe.env.HOME ?? probe.env.USERPROFILE;
  if (home !== undefined && (file === "~" || file.startsWith("~/") || file.startsWith("~\\"))) {
    return pathModule(probe.platform).join(home, file.slice(1));
  }
  return file;
}

/**
 * The server to start: `wbsLsp.server.path` when set (relative paths against the first
 * workspace folder), else the binary bundled in the extension (`server/wbs-lsp`), else
 * `wbs-lsp` on `PATH`. When none is there, one message that says what to do.
 */
export function resolveServer(
  settings: Settings,
  extensionPath: string | undefined,
  probe: Probe,
  workspaceFolder?: string,
): ServerCommand | ServerNotFound {
  const p = pathModule(probe.platform);
  const args = [...SERVER_ARGS];
  const configured = settings.server?.path;
  if (isNonEmptyString(configured)) {
    let file = expandHome(configured.trim(), probe);
    if (!p.isAbsolute(file) && workspaceFolder !== undefined) {
      file = p.resolve(workspaceFolder, file);
    }
    if (p.isAbsolute(file) && probe.isExecutableFile(file)) {
      return { command: file, args, source: "setting" };
    }
    return {
      error:
        `wbs-lsp: the setting wbsLsp.server.path is "${configured}", but there is no ` +
        `executable wbs-lsp binary there. Fix the path, or clear the setting to use ` +
        `wbs-lsp from your PATH (install it with \`cargo install --path server\` in a clone of wbs-lsp).`,
    };
  }
  if (extensionPath !== undefined) {
    const bundled = p.join(extensionPath, "server", binaryName(probe.platform));
    if (probe.isExecutableFile(bundled)) {
      return { command: bundled, args, source: "bundled" };
    }
  }
  const onPath = findOnPath(probe);
  if (onPath !== undefined) {
    return { command: onPath, args, source: "path" };
  }
  return {
    error:
      "wbs-lsp: the language server binary was not found on your PATH. Install it with " +
      "`cargo install --path server` in a clone of wbs-lsp (and make sure ~/.cargo/bin is on " +
      "the PATH VS Code sees), or set wbsLsp.server.path to the binary.",
  };
}

export function isNotFound(result: ServerCommand | ServerNotFound): result is ServerNotFound {
  return "error" in result;
}
