//! Navigation over stdio: documentSymbol, foldingRange, hover, definition, references,
//! documentHighlight, completion, inlayHint, workspace/symbol, and the capability toggles.
//!
//! Positions are UTF-16 unless a test negotiates UTF-8; the demo has multibyte text (an
//! en dash, an emoji) before IDs on the same line, so the two encodings differ there.

use std::path::Path;

use serde_json::{json, Value};
use wbs_lsp_e2e::{file_uri, range, Client, TextBuffer};

const URI: &str = "file:///tmp/nav/tasks_nav.md";

/// Columns (UTF-16 / UTF-8) that matter: line 13 has `–` (1 / 3) and `😀` (2 / 4) before
/// its references: `Task 1.2.1` at 32-42 / 36-46, `1.1` at 44-47 / 48-51.
const DEMO: &str = "\
# Demo – Plan 😀

### Stage 1: CORE – Base 😀
(Dependencies: None | Stage Gate: ok)

1.1 Storage – Layer (Dependencies: None | Stage Gate: tables exist)
  - [x] 1.1.1 Create the items table
  - [ ] 1.1.2 Implement the item repository
1.2 HTTP API (Dependencies: 1.1 | Stage Gate: endpoints respond)
  - Dependencies: 1.1.1, 9.9
  1.2.1 Add the items endpoint with a remarkably long title

### Stage 2: INTEGRATION – Wiring
2.1 Wire – it 😀 (Dependencies: Task 1.2.1, 1.1)
  2.1.1 Connect the API
";

fn start(capabilities: Value) -> Client {
    let mut client = Client::spawn();
    client.initialize(capabilities);
    client.did_open(URI, 1, DEMO);
    client
}

fn at(line: u32, character: u32) -> Value {
    json!({"textDocument": {"uri": URI}, "position": {"line": line, "character": character}})
}

fn doc() -> Value {
    json!({"textDocument": {"uri": URI}})
}

fn location(uri: &str, start_line: u32, start: u32, end_line: u32, end: u32) -> Value {
    json!({"uri": uri, "range": range(start_line, start, end_line, end)})
}

fn symbol(name: &str, detail: &str, kind: u32, full: Value, id: Value, kids: &[Value]) -> Value {
    let mut s = json!({
        "name": name, "detail": detail, "kind": kind, "range": full, "selectionRange": id
    });
    if !kids.is_empty() {
        s["children"] = Value::Array(kids.to_vec());
    }
    s
}

#[test]
fn document_symbols_are_the_hierarchy() {
    let mut client = start(json!({}));
    let result = client.call("textDocument/documentSymbol", doc());
    let (namespace, module, class) = (3, 2, 5);
    let expected = json!([
        symbol(
            "1 CORE – Base 😀",
            "Stage · no dependencies",
            namespace,
            range(2, 0, 10, 59),
            range(2, 10, 2, 11),
            &[
                symbol(
                    "1.1 Storage – Layer",
                    "Phase · no dependencies",
                    module,
                    range(5, 0, 7, 43),
                    range(5, 0, 5, 3),
                    &[
                        symbol(
                            "1.1.1 Create the items table",
                            "Task",
                            class,
                            range(6, 0, 6, 36),
                            range(6, 8, 6, 13),
                            &[]
                        ),
                        symbol(
                            "1.1.2 Implement the item repository",
                            "Task",
                            class,
                            range(7, 0, 7, 43),
                            range(7, 8, 7, 13),
                            &[]
                        ),
                    ]
                ),
                symbol(
                    "1.2 HTTP API",
                    "Phase · depends on 1.1, 1.1.1, 9.9",
                    module,
                    range(8, 0, 10, 59),
                    range(8, 0, 8, 3),
                    &[symbol(
                        "1.2.1 Add the items endpoint with a remarkably long title",
                        "Task",
                        class,
                        range(10, 0, 10, 59),
                        range(10, 2, 10, 7),
                        &[]
                    )]
                ),
            ]
        ),
        symbol(
            "2 INTEGRATION – Wiring",
            "Stage",
            namespace,
            range(12, 0, 14, 23),
            range(12, 10, 12, 11),
            &[symbol(
                "2.1 Wire – it 😀",
                "Phase · depends on 1.2.1, 1.1",
                module,
                range(13, 0, 14, 23),
                range(13, 0, 13, 3),
                &[symbol(
                    "2.1.1 Connect the API",
                    "Task",
                    class,
                    range(14, 0, 14, 23),
                    range(14, 2, 14, 7),
                    &[]
                )]
            )]
        ),
    ]);
    assert_eq!(result, expected, "{result:#}");
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}

#[test]
fn folding_ranges_cover_each_subtree() {
    let mut client = start(json!({}));
    let result = client.call("textDocument/foldingRange", doc());
    let fold = |start: u32, end: u32| json!({"startLine": start, "endLine": end, "kind": "region"});
    assert_eq!(
        result,
        json!([
            fold(2, 10),
            fold(5, 7),
            fold(8, 10),
            fold(12, 14),
            fold(13, 14)
        ])
    );
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}

#[test]
fn hover_on_a_node_and_on_a_reference() {
    let mut client = start(json!({}));
    // On 1.1's ID.
    let result = client.call("textDocument/hover", at(5, 2));
    assert_eq!(
        result,
        json!({
            "contents": {"kind": "markdown", "value":
                "**1.1** Storage – Layer\n\n\
                 Phase · level 2 · in Stage 1 CORE – Base 😀\n\n\
                 **Dependencies:** None\n\n\
                 **Depended on by:**\n- `1.2` HTTP API\n- `2.1` Wire – it 😀\n\n\
                 **Stage Gate:** tables exist\n\n\
                 **Progress:** 1/2 checked"},
            "range": range(5, 0, 5, 3)
        })
    );
    // On its title: the same text, without a range (the ID does not hold the cursor).
    let on_title = client.call("textDocument/hover", at(5, 10));
    assert_eq!(on_title["contents"], result["contents"]);
    assert_eq!(on_title.get("range"), None);
    // On `Task 1.2.1` after the multibyte text: the target's hover, the reference's range.
    let result = client.call("textDocument/hover", at(13, 35));
    assert_eq!(
        result,
        json!({
            "contents": {"kind": "markdown", "value":
                "**1.2.1** Add the items endpoint with a remarkably long title\n\n\
                 Task · level 3 · in Stage 1 CORE – Base 😀\n\n\
                 **Depended on by:**\n- `2.1` Wire – it 😀"},
            "range": range(13, 32, 13, 42)
        })
    );
    // On the unknown 9.9.
    let result = client.call("textDocument/hover", at(9, 26));
    assert_eq!(result["range"], range(9, 25, 9, 28));
    assert_eq!(
        result["contents"]["value"],
        "**9.9** is not in this document: fix the ID or remove it."
    );
    // On a blank line: nothing.
    assert_eq!(client.call("textDocument/hover", at(11, 0)), Value::Null);
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}

#[test]
fn definition_references_and_highlights() {
    let mut client = start(json!({}));
    // From the reference `Task 1.2.1` (cursor right after it counts) to 1.2.1's ID.
    for character in [32, 40, 42] {
        assert_eq!(
            client.call("textDocument/definition", at(13, character)),
            location(URI, 10, 2, 10, 7),
            "at 13:{character}"
        );
    }
    // On a node: the node itself.
    assert_eq!(
        client.call("textDocument/definition", at(8, 1)),
        location(URI, 8, 0, 8, 3)
    );
    // An unknown reference has no definition.
    assert_eq!(
        client.call("textDocument/definition", at(9, 26)),
        Value::Null
    );

    let references = |client: &mut Client, line, character, declaration: bool| {
        let mut params = at(line, character);
        params["context"] = json!({"includeDeclaration": declaration});
        client.call("textDocument/references", params)
    };
    // On 1.1's ID, and on a reference to it.
    assert_eq!(
        references(&mut client, 5, 1, true),
        json!([
            location(URI, 5, 0, 5, 3),
            location(URI, 8, 28, 8, 31),
            location(URI, 13, 44, 13, 47)
        ])
    );
    assert_eq!(
        references(&mut client, 13, 45, false),
        json!([location(URI, 8, 28, 8, 31), location(URI, 13, 44, 13, 47)])
    );

    let (read, write) = (2, 3);
    assert_eq!(
        client.call("textDocument/documentHighlight", at(8, 29)),
        json!([
            {"range": range(5, 0, 5, 3), "kind": write},
            {"range": range(8, 28, 8, 31), "kind": read},
            {"range": range(13, 44, 13, 47), "kind": read}
        ])
    );
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}

fn labels(result: &Value) -> Vec<&str> {
    result["items"]
        .as_array()
        .expect("a completion list")
        .iter()
        .map(|i| i["label"].as_str().expect("a label"))
        .collect()
}

#[test]
fn completion_in_dependencies_notes() {
    let mut client = start(json!({}));
    // A sub-bullet note of 1.2, after `1.1.1, `: not 1.2's family, not stage 2, not 1.1.1
    // (already listed); nearest first.
    let result = client.call("textDocument/completion", at(9, 25));
    assert_eq!(labels(&result), ["1.1.2", "1.1"]);
    assert_eq!(result["isIncomplete"], false);
    assert_eq!(
        result["items"][0],
        json!({
            "label": "1.1.2",
            "kind": 18,
            "detail": "Implement the item repository",
            "sortText": "00000",
            "filterText": "1.1.2",
            "textEdit": {"range": range(9, 25, 9, 25), "newText": "1.1.2"}
        })
    );

    // Typing a same-line note on 2.1.1: the partial `1.` filters and is replaced.
    let mut text = TextBuffer::new(DEMO);
    let change = text.edit((14, 23), (14, 23), " (Dependencies: 1.");
    client.did_change(URI, 2, json!([change]));
    let result = client.call("textDocument/completion", at(14, 41));
    assert_eq!(labels(&result), ["1.2.1", "1.2", "1.1.2", "1.1.1", "1.1"]);
    assert_eq!(
        result["items"][4]["textEdit"],
        json!({"range": range(14, 39, 14, 41), "newText": "1.1"})
    );
    let sort: Vec<&str> = result["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["sortText"].as_str().unwrap())
        .collect();
    assert_eq!(sort, ["00000", "00001", "00002", "00003", "00004"]);

    // Elsewhere: a title, a Stage Gate value.
    assert_eq!(
        client.call("textDocument/completion", at(14, 10)),
        Value::Null
    );
    assert_eq!(
        client.call("textDocument/completion", at(8, 50)),
        Value::Null
    );
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}

fn hint(line: u32, character: u32, label: &str, tooltip: &str) -> Value {
    json!({
        "position": {"line": line, "character": character},
        "label": label,
        "tooltip": tooltip,
        "paddingLeft": true
    })
}

#[test]
fn inlay_hints_after_dependency_ids() {
    let mut client = start(json!({}));
    let mut params = doc();
    params["range"] = range(0, 0, 15, 0);
    assert_eq!(
        client.call("textDocument/inlayHint", params.clone()),
        json!([
            hint(8, 31, "Storage – Layer", "1.1 Storage – Layer"),
            hint(
                9,
                23,
                "Create the items table",
                "1.1.1 Create the items table"
            ),
            hint(
                13,
                42,
                "Add the items endpoint with a…",
                "1.2.1 Add the items endpoint with a remarkably long title"
            ),
            hint(13, 47, "Storage – Layer", "1.1 Storage – Layer"),
        ])
    );
    // Only the lines asked for; none for the unknown 9.9.
    params["range"] = range(9, 0, 9, 28);
    assert_eq!(
        client.call("textDocument/inlayHint", params),
        json!([hint(
            9,
            23,
            "Create the items table",
            "1.1.1 Create the items table"
        )])
    );
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}

#[test]
fn utf8_positions_with_multibyte_text_before_the_id() {
    let mut client = start(json!({"general": {"positionEncodings": ["utf-8", "utf-16"]}}));
    // `Task 1.2.1` is at bytes 36-46 of line 13.
    let result = client.call("textDocument/hover", at(13, 40));
    assert_eq!(result["range"], range(13, 36, 13, 46));
    assert!(result["contents"]["value"]
        .as_str()
        .unwrap()
        .starts_with("**1.2.1** Add the items endpoint"));
    assert_eq!(
        client.call("textDocument/definition", at(13, 46)),
        location(URI, 10, 2, 10, 7)
    );
    let mut params = at(13, 49);
    params["context"] = json!({"includeDeclaration": true});
    assert_eq!(
        client.call("textDocument/references", params),
        json!([
            location(URI, 5, 0, 5, 3),
            location(URI, 8, 28, 8, 31),
            location(URI, 13, 48, 13, 51)
        ])
    );
    let mut params = doc();
    params["range"] = range(13, 0, 13, 52);
    let hints = client.call("textDocument/inlayHint", params);
    let positions: Vec<&Value> = hints
        .as_array()
        .unwrap()
        .iter()
        .map(|h| &h["position"])
        .collect();
    assert_eq!(
        positions,
        [
            &json!({"line": 13, "character": 46}),
            &json!({"line": 13, "character": 51})
        ]
    );
    // The outline's stage 1 ends at the end of line 10; its heading's ID is at byte 10.
    let symbols = client.call("textDocument/documentSymbol", doc());
    assert_eq!(symbols[0]["selectionRange"], range(2, 10, 2, 11));
    assert_eq!(symbols[1]["children"][0]["range"], range(13, 0, 14, 23));
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}

#[test]
fn other_markdown_gets_no_navigation() {
    let uri = "file:///tmp/nav/notes.md";
    let mut client = Client::spawn();
    client.initialize(json!({}));
    client.did_open(uri, 1, "# Notes\n\n1.1 Setup\n  1.1.1 Create the tables\n");
    let doc = json!({"textDocument": {"uri": uri}});
    assert_eq!(
        client.call("textDocument/documentSymbol", doc.clone()),
        Value::Null
    );
    assert_eq!(client.call("textDocument/foldingRange", doc), Value::Null);
    let position = json!({"textDocument": {"uri": uri}, "position": {"line": 2, "character": 1}});
    assert_eq!(client.call("textDocument/hover", position), Value::Null);
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}

fn write(root: &Path, path: &str, text: &str) {
    let full = root.join(path);
    std::fs::create_dir_all(full.parent().unwrap()).unwrap();
    std::fs::write(full, text).unwrap();
}

#[test]
fn workspace_symbols_over_open_documents_and_folder_task_lists() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "tasks_a.md", "1.1 Build the items API (on disk)\n");
    write(
        root,
        "notes.md",
        "1.1 Setup\n1.1.1 Create the items table\n1.1.2 Seed data\n",
    );
    write(root, "readme.md", "1.1 Items overview\n");
    write(root, "sub/wbs_plan.md", "2.1 Stock items\n");
    write(root, ".hidden/tasks_h.md", "1.1 Hidden items\n");
    write(root, "node_modules/p/tasks_n.md", "1.1 Vendored items\n");
    write(root, "target/tasks_t.md", "1.1 Built items\n");

    let mut client = Client::spawn();
    client.initialize_with(json!({
        "workspaceFolders": [{"uri": file_uri(root), "name": "w"}]
    }));
    // The open document wins over its file on disk.
    let open_uri = file_uri(&root.join("tasks_a.md"));
    client.did_open(
        &open_uri,
        1,
        "1.1 Build the items API\n  1.1.1 Open the items – route\n",
    );
    let notes = file_uri(&root.join("notes.md"));
    let plan = file_uri(&root.join("sub/wbs_plan.md"));
    let entry = |name: &str, kind: u32, container: Option<&str>, uri: &str, line, start, end| {
        let mut e = json!({
            "name": name, "kind": kind,
            "location": location(uri, line, start, line, end)
        });
        if let Some(c) = container {
            e["containerName"] = json!(c);
        }
        e
    };
    let result = client.call("workspace/symbol", json!({"query": "ITEMS"}));
    assert_eq!(
        result,
        json!([
            entry("1.1 Build the items API", 2, None, &open_uri, 0, 0, 3),
            entry(
                "1.1.1 Open the items – route",
                5,
                Some("1.1 Build the items API"),
                &open_uri,
                1,
                2,
                7
            ),
            entry(
                "1.1.1 Create the items table",
                5,
                Some("1.1 Setup"),
                &notes,
                1,
                0,
                5
            ),
            entry("2.1 Stock items", 2, None, &plan, 0, 0, 3),
        ]),
        "{result:#}"
    );
    // The ID itself ranks first, then IDs it begins.
    let result = client.call("workspace/symbol", json!({"query": "1.1"}));
    let names: Vec<&str> = result
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "1.1 Build the items API",
            "1.1 Setup",
            "1.1.1 Open the items – route",
            "1.1.1 Create the items table",
            "1.1.2 Seed data"
        ]
    );
    let all = client.call("workspace/symbol", json!({"query": ""}));
    assert_eq!(all.as_array().unwrap().len(), 6);
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}

const NAVIGATION_PROVIDERS: [&str; 9] = [
    "documentSymbolProvider",
    "foldingRangeProvider",
    "hoverProvider",
    "definitionProvider",
    "referencesProvider",
    "documentHighlightProvider",
    "completionProvider",
    "inlayHintProvider",
    "workspaceSymbolProvider",
];

fn providers(result: &Value) -> Vec<&'static str> {
    NAVIGATION_PROVIDERS
        .into_iter()
        .filter(|p| result["capabilities"].get(*p).is_some())
        .collect()
}

#[test]
fn capability_toggles_remove_providers() {
    let mut client = Client::spawn();
    let result = client.initialize(json!({}));
    assert_eq!(providers(&result), NAVIGATION_PROVIDERS);
    assert_eq!(
        result["capabilities"]["completionProvider"]["triggerCharacters"],
        json!([":", " ", ",", "[", "."])
    );
    assert_eq!(client.shutdown_and_exit().code(), Some(0));

    let mut client = Client::spawn();
    let result = client.initialize_with(json!({
        "initializationOptions": {
            "capabilities": {"documentSymbol": false, "foldingRange": false}
        }
    }));
    assert_eq!(providers(&result), &NAVIGATION_PROVIDERS[2..]);
    assert_eq!(client.shutdown_and_exit().code(), Some(0));

    // Under a `wbs-lsp` section, beside other settings, every navigation feature off.
    let mut client = Client::spawn();
    let result = client.initialize_with(json!({
        "initializationOptions": {"wbs-lsp": {
            "disabled": ["not-actionable"],
            "capabilities": {
                "documentSymbol": false, "foldingRange": false, "hover": false,
                "definition": false, "references": false, "documentHighlight": false,
                "completion": false, "inlayHint": false, "workspaceSymbol": false
            }
        }}
    }));
    assert_eq!(providers(&result), Vec::<&str>::new());
    assert!(result["capabilities"].get("textDocumentSync").is_some());
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}
