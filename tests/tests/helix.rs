//! Helix: the `languages.toml` snippet in `editors/helix/` is what Helix reads, and the
//! server works with Helix's own client: Helix's initialize request (UTF-8 positions first,
//! no pull diagnostics in the releases up to 25.07, code action resolve support), the
//! snippet's `config` as `initializationOptions` and in the `didChangeConfiguration` Helix
//! sends once the server is initialized, pushed diagnostics in UTF-8 columns on a line with
//! multibyte text, and code actions for Helix's one-character selection.
//!
//! The document is `tests/fixtures/editors/bakery_tasks.md`, shared by every editor test.

use serde_json::{json, Value};
use wbs_lsp_e2e::{brief, file_uri, fixture, repo_root, Client};

const SNIPPET: &str = "editors/helix/languages.toml";
const FIXTURE: &str = "editors/bakery_tasks.md";

fn read(relative: &str) -> String {
    let path = repo_root().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn snippet() -> toml::Table {
    read(SNIPPET)
        .parse::<toml::Table>()
        .unwrap_or_else(|e| panic!("{SNIPPET} is not valid TOML: {e}"))
}

/// `[language-server.wbs-lsp]`.
fn server_table(snippet: &toml::Table) -> &toml::Table {
    snippet
        .get("language-server")
        .and_then(|v| v.get("wbs-lsp"))
        .and_then(toml::Value::as_table)
        .unwrap_or_else(|| panic!("{SNIPPET} has no [language-server.wbs-lsp] table"))
}

/// What Helix sends as `initializationOptions`: the server's `config`, as JSON.
fn helix_config(snippet: &toml::Table) -> Value {
    let config = server_table(snippet)
        .get("config")
        .unwrap_or_else(|| panic!("{SNIPPET}: [language-server.wbs-lsp] has no config"));
    serde_json::to_value(config).expect("TOML converts to JSON")
}

#[test]
fn the_snippet_is_what_helix_reads() {
    let snippet = snippet();
    let server = server_table(&snippet);
    let command = server.get("command").and_then(toml::Value::as_str);
    assert_eq!(command, Some("wbs-lsp"), "command in {server:?}");
    let args = server
        .get("args")
        .and_then(toml::Value::as_array)
        .expect("args is an array");
    assert!(args.iter().all(toml::Value::is_str), "args are strings");
    let args: Vec<&str> = args.iter().filter_map(toml::Value::as_str).collect();
    assert!(
        args.is_empty() || args == ["serve"],
        "wbs-lsp serves LSP with no arguments or `serve`, not {args:?}"
    );
    let config = helix_config(&snippet);
    let section = config
        .get("wbsLsp")
        .unwrap_or_else(|| panic!("config has no wbsLsp section: {config}"));
    assert!(section.is_object(), "config.wbsLsp is a table: {config}");
    // Helix only knows the keys it reads; a typo would be ignored silently.
    for key in server.keys() {
        assert!(
            [
                "command",
                "args",
                "config",
                "environment",
                "timeout",
                "required-root-patterns"
            ]
            .contains(&key.as_str()),
            "[language-server.wbs-lsp] has a key Helix does not read: {key}"
        );
    }

    let languages = snippet
        .get("language")
        .and_then(toml::Value::as_array)
        .expect("[[language]] entries");
    let markdown: Vec<&toml::Table> = languages
        .iter()
        .filter_map(toml::Value::as_table)
        .filter(|l| l.get("name").and_then(toml::Value::as_str) == Some("markdown"))
        .collect();
    assert_eq!(markdown.len(), 1, "one [[language]] named markdown");
    // Entries are names or tables with a name (`{ name = "…", except-features = […] }`).
    let servers: Vec<&str> = markdown[0]
        .get("language-servers")
        .and_then(toml::Value::as_array)
        .expect("language-servers is an array")
        .iter()
        .map(|s| {
            s.as_str()
                .or_else(|| s.get("name").and_then(toml::Value::as_str))
                .unwrap_or_else(|| panic!("a language-servers entry without a name: {s}"))
        })
        .collect();
    assert!(
        servers.contains(&"marksman"),
        "Helix replaces the default list: marksman must be listed too ({servers:?})"
    );
    assert!(servers.contains(&"wbs-lsp"), "{servers:?}");

    // The command is the binary the README installs: `cargo install --path server`.
    let manifest: toml::Table = read("server/Cargo.toml")
        .parse()
        .expect("server/Cargo.toml");
    let bins: Vec<&str> = manifest
        .get("bin")
        .and_then(toml::Value::as_array)
        .expect("[[bin]] in server/Cargo.toml")
        .iter()
        .filter_map(|b| b.get("name").and_then(toml::Value::as_str))
        .collect();
    assert!(
        bins.contains(&"wbs-lsp"),
        "server/Cargo.toml builds {bins:?}"
    );
    assert!(
        read("README.md").contains("cargo install --path server"),
        "the README says how to install the binary"
    );
}

/// Helix's `initialize` request (helix-lsp's `Client::initialize`, release 25.07): no
/// `textDocument.diagnostic`, so the server must push.
fn helix_initialize(root: &std::path::Path, config: Value) -> Value {
    let root_uri = file_uri(root);
    json!({
        "processId": std::process::id(),
        "workspaceFolders": [{"uri": root_uri, "name": root.file_name().and_then(|n| n.to_str()).unwrap_or("root")}],
        "rootPath": root.to_str(),
        "rootUri": root_uri,
        "initializationOptions": config,
        "capabilities": {
            "workspace": {
                "configuration": true,
                "didChangeConfiguration": {"dynamicRegistration": false},
                "workspaceFolders": true,
                "applyEdit": true,
                "symbol": {"dynamicRegistration": false},
                "executeCommand": {"dynamicRegistration": false},
                "inlayHint": {"refreshSupport": false},
                "workspaceEdit": {
                    "documentChanges": true,
                    "resourceOperations": ["create", "rename", "delete"],
                    "failureHandling": "abort",
                    "normalizesLineEndings": false
                },
                "didChangeWatchedFiles": {"dynamicRegistration": true, "relativePatternSupport": false},
                "fileOperations": {"willRename": true, "didRename": true}
            },
            "textDocument": {
                "completion": {
                    "completionItem": {
                        "snippetSupport": true,
                        "resolveSupport": {"properties": ["documentation", "detail", "additionalTextEdits"]},
                        "insertReplaceSupport": true,
                        "deprecatedSupport": true,
                        "tagSupport": {"valueSet": [1]}
                    },
                    "completionItemKind": {}
                },
                "hover": {"contentFormat": ["markdown"]},
                "signatureHelp": {
                    "signatureInformation": {
                        "documentationFormat": ["markdown"],
                        "parameterInformation": {"labelOffsetSupport": true},
                        "activeParameterSupport": true
                    }
                },
                "rename": {
                    "dynamicRegistration": false,
                    "prepareSupport": true,
                    "honorsChangeAnnotations": false
                },
                "formatting": {"dynamicRegistration": false},
                "codeAction": {
                    "codeActionLiteralSupport": {"codeActionKind": {"valueSet": [
                        "", "quickfix", "refactor", "refactor.extract", "refactor.inline",
                        "refactor.rewrite", "source", "source.organizeImports"
                    ]}},
                    "isPreferredSupport": true,
                    "disabledSupport": true,
                    "dataSupport": true,
                    "resolveSupport": {"properties": ["edit", "command"]}
                },
                "publishDiagnostics": {"versionSupport": true, "tagSupport": {"valueSet": [1, 2]}},
                "inlayHint": {"dynamicRegistration": false}
            },
            "window": {"workDoneProgress": true},
            "general": {"positionEncodings": ["utf-8", "utf-32", "utf-16"]}
        },
        "clientInfo": {"name": "helix", "version": "25.07.1"}
    })
}

/// A Helix cursor: a one-character selection at a byte column (UTF-8 positions).
fn cursor_range(line: u32, byte: u32) -> Value {
    json!({"start": {"line": line, "character": byte}, "end": {"line": line, "character": byte + 1}})
}

/// Helix's codeAction request: the primary selection and the diagnostics it overlaps.
fn helix_code_actions(
    client: &mut Client,
    uri: &str,
    range: Value,
    diagnostics: &[Value],
) -> Vec<Value> {
    let (line, from, to) = (
        range["start"]["line"].clone(),
        range["start"]["character"].as_u64().unwrap_or(0),
        range["end"]["character"].as_u64().unwrap_or(0),
    );
    let overlapping: Vec<Value> = diagnostics
        .iter()
        .filter(|d| {
            d["range"]["start"]["line"] == line
                && d["range"]["start"]["character"].as_u64().unwrap_or(0) <= to
                && d["range"]["end"]["character"].as_u64().unwrap_or(0) >= from
        })
        .cloned()
        .collect();
    let result = client.call(
        "textDocument/codeAction",
        json!({
            "textDocument": {"uri": uri},
            "range": range,
            "context": {"diagnostics": overlapping, "triggerKind": 1}
        }),
    );
    result.as_array().cloned().unwrap_or_default()
}

fn titles(actions: &[Value]) -> Vec<&str> {
    actions.iter().filter_map(|a| a["title"].as_str()).collect()
}

/// Applies the edits of a `documentChanges` workspace edit for one document, UTF-8 columns.
fn apply_utf8(text: &str, edit: &Value) -> String {
    let changes = edit["documentChanges"].as_array().expect("documentChanges");
    assert_eq!(changes.len(), 1, "{edit}");
    let starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let offset = |p: &Value| -> usize {
        let line = p["line"].as_u64().expect("line") as usize;
        let column = p["character"].as_u64().expect("character") as usize;
        let offset = starts[line] + column;
        assert!(text.is_char_boundary(offset), "{p} is inside a character");
        offset
    };
    let mut edits: Vec<(usize, usize, String)> = changes[0]["edits"]
        .as_array()
        .expect("edits")
        .iter()
        .map(|e| {
            let new_text = e["newText"].as_str().expect("newText").to_string();
            (
                offset(&e["range"]["start"]),
                offset(&e["range"]["end"]),
                new_text,
            )
        })
        .collect();
    edits.sort_by_key(|(start, end, _)| (*start, *end));
    let mut out = text.to_string();
    for (start, end, new_text) in edits.into_iter().rev() {
        out.replace_range(start..end, &new_text);
    }
    out
}

#[test]
fn helix_gets_pushed_utf8_diagnostics_and_code_actions_on_a_cursor() {
    let config = helix_config(&snippet());
    let text = fixture(FIXTURE);
    let dir = tempfile::tempdir().expect("a temporary folder");
    let root = dir.path().canonicalize().expect("canonical temp path");
    let path = root.join("bakery_tasks.md");
    std::fs::write(&path, &text).expect("writing the fixture copy");
    let uri = file_uri(&path);

    let mut client = Client::spawn();
    let result = client.initialize_with(helix_initialize(&root, config.clone()));
    assert_eq!(
        result["capabilities"]["positionEncoding"], "utf-8",
        "Helix offers UTF-8 first"
    );
    // What Helix does right after `initialized` when the server has a config.
    client.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": config}),
    );
    client.did_open(&uri, 0, &text);

    let diagnostics = client.wait_for_diagnostics_where(&uri, 0, |d| !d.is_empty());
    // Line 21 is `1.2 Crème Brûlée Orders – Intake (Dependencies: 1.1, 1.9 | …)`: the
    // reference 1.9 starts at character 53 and byte 58 (è, û, é and – take 5 more bytes).
    assert_eq!(
        brief(&wbs_lsp_e2e::sorted(&diagnostics)),
        [
            "15:2-15:7 2 numbering",
            "21:0-21:3 2 missing-check-tasks",
            "21:58-21:61 1 unknown-dependency",
        ],
        "{diagnostics:#?}"
    );
    let line: &str = text.lines().nth(21).expect("line 21");
    assert_eq!(&line[58..61], "1.9", "the UTF-8 range covers the reference");

    // The cursor on the `1` of `1.2` (touching the missing-check-tasks diagnostic).
    let on_id = helix_code_actions(&mut client, &uri, cursor_range(21, 0), &diagnostics);
    let on_id_titles = titles(&on_id);
    assert!(
        on_id_titles.contains(&"Add the Verify task 1.2.B to Phase 1.2"),
        "{on_id_titles:?}"
    );
    // The cursor on the `I` of `Intake`, after the multibyte characters, touching no
    // diagnostic: the line's quick fixes still come (Helix sends no diagnostics then).
    let intake = line.find("Intake").expect("Intake") as u32;
    let elsewhere = helix_code_actions(&mut client, &uri, cursor_range(21, intake), &diagnostics);
    let elsewhere_titles = titles(&elsewhere);
    for wanted in [
        "Add the Verify task 1.2.B to Phase 1.2",
        "Remove reference 1.9",
    ] {
        assert!(
            elsewhere_titles.contains(&wanted),
            "{wanted:?} not in {elsewhere_titles:?}"
        );
    }
    assert!(
        elsewhere_titles
            .iter()
            .any(|t| t.starts_with("Replace 1.9 with ")),
        "{elsewhere_titles:?}"
    );
    for action in elsewhere.iter().filter(|a| a["kind"] == "quickfix") {
        assert!(
            action.get("edit").is_some() || action.get("data").is_some(),
            "a quick fix without an edit to apply or resolve: {action}"
        );
    }

    // Apply "Remove reference 1.9" as Helix does (UTF-8 columns), send the change, and the
    // unknown-dependency diagnostic is gone.
    let mut remove = elsewhere
        .iter()
        .find(|a| a["title"] == "Remove reference 1.9")
        .cloned()
        .expect("the Remove action");
    if remove.get("edit").is_none() {
        remove = client.call("codeAction/resolve", remove);
    }
    let fixed = apply_utf8(&text, &remove["edit"]);
    assert_eq!(
        fixed.lines().nth(21),
        Some(line.replace("1.1, 1.9 |", "1.1 |").as_str()),
        "the reference and its comma are removed, the multibyte title is intact"
    );
    // Helix sends the edit as an incremental change, in the negotiated UTF-8 columns.
    let changes: Vec<Value> = remove["edit"]["documentChanges"][0]["edits"]
        .as_array()
        .expect("edits")
        .iter()
        .map(|e| json!({"range": e["range"], "text": e["newText"]}))
        .collect();
    assert_eq!(changes.len(), 1, "{changes:?}");
    client.did_change(&uri, 1, Value::Array(changes));
    let after = client.wait_for_diagnostics(&uri, 1);
    assert_eq!(
        brief(&wbs_lsp_e2e::sorted(&after)),
        ["15:2-15:7 2 numbering", "21:0-21:3 2 missing-check-tasks"],
        "{after:#?}"
    );

    // Push only: no pull was offered, and nothing asked for one.
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}
