// src/config.ts on its own: where the server is looked for, and what settings are sent.

import * as assert from "node:assert/strict";
import { describe, test } from "node:test";

import { initializationOptions, isNotFound, Probe, resolveServer, serverSettings } from "../src/config";

function probe(files: string[], env: Record<string, string> = {}, platform: NodeJS.Platform = "linux"): Probe {
  return { isExecutableFile: (f) => files.includes(f), env, platform };
}

describe("resolveServer", () => {
  test("wbsLsp.server.path wins, relative to the workspace folder", () => {
    const p = probe(["/ws/bin/wbs-lsp", "/ext/server/wbs-lsp", "/usr/bin/wbs-lsp"], { PATH: "/usr/bin" });
    assert.deepEqual(resolveServer({ server: { path: "bin/wbs-lsp" } }, "/ext", p, "/ws"), {
      command: "/ws/bin/wbs-lsp",
      args: ["serve"],
      source: "setting",
    });
    assert.deepEqual(resolveServer({ server: { path: "~/x/wbs-lsp" } }, "/ext", probe(["/home/u/x/wbs-lsp"], { HOME: "/home/u" })), {
      command: "/home/u/x/wbs-lsp",
      args: ["serve"],
      source: "setting",
    });
  });

  test("a wrong wbsLsp.server.path is one message naming the setting", () => {
    const result = resolveServer({ server: { path: "/nope/wbs-lsp" } }, "/ext", probe(["/usr/bin/wbs-lsp"], { PATH: "/usr/bin" }));
    assert.ok(isNotFound(result));
    assert.match(result.error, /wbsLsp\.server\.path/);
    assert.match(result.error, /\/nope\/wbs-lsp/);
  });

  test("then the bundled binary, then PATH", () => {
    const files = ["/ext/server/wbs-lsp", "/b/wbs-lsp"];
    assert.deepEqual(resolveServer({}, "/ext", probe(files, { PATH: "/a:/b" })), {
      command: "/ext/server/wbs-lsp",
      args: ["serve"],
      source: "bundled",
    });
    assert.deepEqual(resolveServer({ server: { path: "  " } }, "/ext", probe(files, { PATH: "/a:/b" })), {
      command: "/ext/server/wbs-lsp",
      args: ["serve"],
      source: "bundled",
    });
    assert.deepEqual(resolveServer({}, "/other", probe(files, { PATH: "/a:/b" })), {
      command: "/b/wbs-lsp",
      args: ["serve"],
      source: "path",
    });
    assert.deepEqual(
      resolveServer({}, "C:\\ext", probe(["C:\\ext\\server\\wbs-lsp.exe"], {}, "win32")),
      { command: "C:\\ext\\server\\wbs-lsp.exe", args: ["serve"], source: "bundled" },
    );
    assert.deepEqual(
      resolveServer({}, undefined, probe(["C:\\cargo\\bin\\wbs-lsp.exe"], { Path: "C:\\cargo\\bin", PATHEXT: ".COM;.EXE" }, "win32")),
      { command: "C:\\cargo\\bin\\wbs-lsp.exe", args: ["serve"], source: "path" },
    );
  });

  test("nothing found: one message that says how to install or configure", () => {
    const result = resolveServer({}, "/ext", probe([], { PATH: "/usr/bin" }));
    assert.ok(isNotFound(result));
    assert.match(result.error, /cargo install --path server/);
    assert.match(result.error, /wbsLsp\.server\.path/);
    assert.doesNotMatch(result.error, /\n\s+at /, "no stack trace");
  });
});

describe("serverSettings", () => {
  test("unset and empty values are left out; server.path is never sent", () => {
    assert.deepEqual(serverSettings({}), {});
    assert.deepEqual(
      serverSettings({
        profile: "",
        severity: {},
        capabilities: {},
        llm: { model: " ", baseUrl: "", headers: {}, command: [] },
        server: { path: "/x/wbs-lsp" },
      }),
      {},
    );
  });

  const LLM_SET = {
    provider: "anthropic",
    model: "claude-x",
    apiKeyEnv: "ANTHROPIC_API_KEY",
    passes: 0,
    timeoutSecs: 60,
    maxRetries: 1,
    promptTemplate: "prompts/tasks.md",
    wbs: "docs/wbs.md",
    headers: { "HTTP-Referer": "https://example.org" },
  };

  test("set values are sent under wbsLsp", () => {
    assert.deepEqual(
      initializationOptions({
        profile: "three-stage",
        include: ["plans/*.md"],
        severity: { "non-atomic": "error", numbering: "" },
        disabled: [],
        capabilities: { hover: false, rename: true },
        llm: LLM_SET,
      }),
      {
        wbsLsp: {
          profile: "three-stage",
          include: ["plans/*.md"],
          severity: { "non-atomic": "error" },
          disabled: [],
          capabilities: { hover: false, rename: true },
          // Every LLM key that was set goes through as it is.
          llm: LLM_SET,
        },
      },
    );
  });

  test("the command provider's program, as a string or an argument list", () => {
    assert.deepEqual(serverSettings({ llm: { provider: "command", command: " llm -m x " } }), {
      llm: { provider: "command", command: "llm -m x" },
    });
    assert.deepEqual(serverSettings({ llm: { command: ["ollama", "run", "llama3.1"] } }), {
      llm: { command: ["ollama", "run", "llama3.1"] },
    });
  });
});
