//! Diagnostics pushed on open and on change, to a client without the pull capability.
//!
//! Fixture `e2e/tasks_demo.md`: a three-stage list with two defects, an unknown reference
//! `9.9` after multibyte text on line 4 (`(Dependencies: – 😀 9.9 | …)`, where `9.9` starts
//! at UTF-16 column 20, character 19, byte 24) and a non-atomic task 1.1.2 on line 8.

use serde_json::{json, Value};
use wbs_lsp_e2e::{assert_diagnostics, fixture, range, Client, Expected, TextBuffer};

const URI: &str = "file:///tmp/x/tasks_demo.md";

fn unknown_9_9(start: u32, end: u32) -> Expected<'static> {
    Expected {
        code: "unknown-dependency",
        severity: 1,
        range: range(3, start, 3, end),
        message_has: &["9.9", "Stage 1"],
    }
}

fn non_atomic_1_1_2(line: u32) -> Expected<'static> {
    Expected {
        code: "non-atomic",
        severity: 2,
        range: range(line, 2, line, 7),
        message_has: &["1.1.2"],
    }
}

/// A client without `textDocument.diagnostic`, with these general capabilities.
fn start(general: Value) -> Client {
    let mut client = Client::spawn();
    client.initialize(json!({"general": general, "textDocument": {"synchronization": {}}}));
    client
}

#[test]
fn open_pushes_diagnostics_in_utf16_with_the_open_version() {
    let mut client = start(json!({}));
    client.did_open(URI, 7, &fixture("e2e/tasks_demo.md"));
    let diagnostics = client.wait_for_diagnostics(URI, 7);
    assert_diagnostics(&diagnostics, &[unknown_9_9(20, 23), non_atomic_1_1_2(7)]);
    assert!(
        diagnostics
            .iter()
            .all(|d| d.get("relatedInformation").is_none()),
        "{diagnostics:?}"
    );
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}

#[test]
fn open_pushes_diagnostics_in_utf8_when_negotiated() {
    let mut client = Client::spawn();
    let result = client.initialize(json!({"general": {"positionEncodings": ["utf-8", "utf-16"]}}));
    assert_eq!(result["capabilities"]["positionEncoding"], "utf-8");
    client.did_open(URI, 1, &fixture("e2e/tasks_demo.md"));
    let diagnostics = client.wait_for_diagnostics(URI, 1);
    // `(Dependencies: ` is 15 bytes, `–` 3, ` ` 1, `😀` 4, ` ` 1: `9.9` is bytes 24..27.
    assert_diagnostics(&diagnostics, &[unknown_9_9(24, 27), non_atomic_1_1_2(7)]);
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}

#[test]
fn incremental_and_full_changes_republish_with_their_version() {
    let original = fixture("e2e/tasks_demo.md");
    let mut client = start(json!({}));
    let mut text = TextBuffer::new(&original);
    client.did_open(URI, 1, &original);
    assert_diagnostics(
        &client.wait_for_diagnostics(URI, 1),
        &[unknown_9_9(20, 23), non_atomic_1_1_2(7)],
    );

    // v2: replace `9.9` (UTF-16 20..23, after the en dash and the emoji) with `7.7.7`.
    let change = text.edit((3, 20), (3, 23), "7.7.7");
    assert!(text
        .text
        .contains("(Dependencies: – 😀 7.7.7 | Stage Gate: ok)"));
    client.did_change(URI, 2, json!([change]));
    assert_diagnostics(
        &client.wait_for_diagnostics(URI, 2),
        &[
            Expected {
                code: "unknown-dependency",
                severity: 1,
                range: range(3, 20, 3, 25),
                message_has: &["7.7.7", "Stage 1"],
            },
            non_atomic_1_1_2(7),
        ],
    );

    // v3: two changes in one notification, the second in positions after the first:
    // remove the reference, then write task 1.1.1 a second time after the first one.
    let remove = text.edit((3, 20), (3, 25), "");
    let duplicate = text.edit((7, 0), (7, 0), "  1.1.1 Add a second migration\n");
    client.did_change(URI, 3, json!([remove, duplicate]));
    let diagnostics = client.wait_for_diagnostics(URI, 3);
    assert_diagnostics(
        &diagnostics,
        &[
            Expected {
                code: "duplicate-id",
                severity: 1,
                range: range(7, 2, 7, 7),
                message_has: &["1.1.1"],
            },
            non_atomic_1_1_2(8),
        ],
    );
    let duplicate = diagnostics
        .iter()
        .find(|d| d["code"] == "duplicate-id")
        .expect("checked above");
    let related = duplicate["relatedInformation"]
        .as_array()
        .unwrap_or_else(|| panic!("no relatedInformation: {duplicate}"));
    assert_eq!(related.len(), 1, "{duplicate}");
    assert_eq!(related[0]["location"]["uri"], URI, "{duplicate}");
    assert_eq!(
        related[0]["location"]["range"],
        range(6, 2, 6, 7),
        "{duplicate}"
    );
    assert!(related[0]["message"].is_string(), "{duplicate}");

    // v4: a full-text change (no range) back to the original text.
    client.did_change(URI, 4, json!([{"text": original}]));
    assert_diagnostics(
        &client.wait_for_diagnostics(URI, 4),
        &[unknown_9_9(20, 23), non_atomic_1_1_2(7)],
    );

    // v5: an incremental edit after a full one, in the heading after its emoji
    // (`### Stage 1: CORE – Base 😀` is 27 UTF-16 units long), then one fixing task 1.1.2.
    let mut text = TextBuffer::new(&original);
    let heading = text.edit((2, 27), (2, 27), " and more");
    let fix = text.edit((7, 37), (7, 58), "");
    assert!(
        text.text.contains("### Stage 1: CORE – Base 😀 and more\n"),
        "{}",
        text.text
    );
    assert!(
        text.text
            .contains("\n  1.1.2 Implement the item repository\n"),
        "{}",
        text.text
    );
    client.did_change(URI, 5, json!([heading, fix]));
    assert_diagnostics(&client.wait_for_diagnostics(URI, 5), &[unknown_9_9(20, 23)]);
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}

#[test]
fn close_clears_the_diagnostics() {
    let mut client = start(json!({}));
    client.did_open(URI, 1, &fixture("e2e/tasks_demo.md"));
    assert_eq!(client.wait_for_diagnostics(URI, 1).len(), 2);
    client.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": URI}}),
    );
    let cleared = client.wait_for_notification("textDocument/publishDiagnostics", |p| {
        p["uri"] == URI && p["diagnostics"] == json!([])
    });
    assert!(cleared["params"]["diagnostics"]
        .as_array()
        .is_some_and(Vec::is_empty));
    // The document is gone: pulling its diagnostics is now an error.
    let response = client.request(
        "textDocument/diagnostic",
        json!({"textDocument": {"uri": URI}}),
    );
    assert!(response.get("error").is_some(), "{response}");
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}
