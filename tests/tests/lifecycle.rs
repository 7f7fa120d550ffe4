//! initialize / shutdown / exit.

use serde_json::{json, Value};
use wbs_lsp_e2e::Client;

#[test]
fn initialize_reports_capabilities_and_shutdown_then_exit_is_status_0() {
    let mut client = Client::spawn();
    let result = client.initialize(json!({}));
    let caps = &result["capabilities"];
    assert_eq!(caps["positionEncoding"], "utf-16", "{result}");
    // Incremental sync, as a number or inside TextDocumentSyncOptions.
    let sync = &caps["textDocumentSync"];
    let change = if sync.is_number() {
        sync
    } else {
        &sync["change"]
    };
    assert_eq!(change, &json!(2), "{result}");
    assert_eq!(sync["openClose"], true, "{result}");
    assert!(
        caps["diagnosticProvider"].is_object(),
        "diagnosticProvider missing: {result}"
    );
    assert_eq!(caps["diagnosticProvider"]["interFileDependencies"], false);
    assert_eq!(caps["diagnosticProvider"]["workspaceDiagnostics"], false);
    assert_eq!(result["serverInfo"]["name"], "wbs-lsp", "{result}");
    let status = client.shutdown_and_exit();
    assert_eq!(status.code(), Some(0), "{status}");
}

#[test]
fn exit_without_shutdown_is_status_1() {
    let mut client = Client::spawn();
    client.initialize(json!({}));
    client.notify("exit", Value::Null);
    let status = client.wait_exit();
    assert_eq!(status.code(), Some(1), "{status}");
}

#[test]
fn exit_before_initialize_is_status_1() {
    let mut client = Client::spawn();
    client.notify("exit", Value::Null);
    let status = client.wait_exit();
    assert_eq!(status.code(), Some(1), "{status}");
}

#[test]
fn utf8_is_chosen_when_offered() {
    let mut client = Client::spawn();
    let result = client.initialize(json!({"general": {"positionEncodings": ["utf-8", "utf-16"]}}));
    assert_eq!(
        result["capabilities"]["positionEncoding"], "utf-8",
        "{result}"
    );
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}

#[test]
fn utf16_is_kept_when_utf8_is_not_offered() {
    let mut client = Client::spawn();
    let result = client.initialize(json!({"general": {"positionEncodings": ["utf-32", "utf-16"]}}));
    assert_eq!(
        result["capabilities"]["positionEncoding"], "utf-16",
        "{result}"
    );
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}
