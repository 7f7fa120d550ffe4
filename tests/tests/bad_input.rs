//! Bad input: the server answers what deserves an answer and keeps serving after each.

use serde_json::{json, Value};
use wbs_lsp_e2e::{fixture, Client};

const URI: &str = "file:///tmp/x/tasks_demo.md";

/// A pushing client with the demo task list open (its diagnostics received).
fn serving() -> Client {
    let mut client = Client::spawn();
    client.initialize(json!({}));
    client.did_open(URI, 1, &fixture("e2e/tasks_demo.md"));
    assert_eq!(client.wait_for_diagnostics(URI, 1).len(), 2);
    client
}

/// Proof of life: a pull of the open document gives its two diagnostics.
fn assert_serving(client: &mut Client) {
    let report = client.call(
        "textDocument/diagnostic",
        json!({"textDocument": {"uri": URI}}),
    );
    assert_eq!(report["kind"], "full", "{report}");
    assert_eq!(
        report["items"].as_array().map(Vec::len),
        Some(2),
        "{report}"
    );
}

/// The next error response with a null id.
fn null_id_error(client: &mut Client) -> Value {
    client.wait_for("an error response with a null id", |m| {
        m.get("method").is_none() && m.get("id") == Some(&Value::Null) && m.get("error").is_some()
    })
}

fn finish(mut client: Client) {
    assert_serving(&mut client);
    let unexpected: Vec<&Value> = client
        .inbox()
        .filter(|m| m.get("error").is_some())
        .collect();
    assert!(unexpected.is_empty(), "unexpected errors: {unexpected:?}");
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}

#[test]
fn a_body_that_is_not_json_gets_a_parse_error() {
    let mut client = serving();
    client.send_frame(b"this is not JSON {");
    let response = null_id_error(&mut client);
    assert_eq!(response["error"]["code"], -32700, "{response}");
    assert_eq!(response["jsonrpc"], "2.0", "{response}");
    finish(client);
}

#[test]
fn a_json_array_gets_invalid_request() {
    let mut client = serving();
    client.send_frame(br#"[{"jsonrpc":"2.0","id":77,"method":"shutdown"}]"#);
    let response = null_id_error(&mut client);
    assert_eq!(response["error"]["code"], -32600, "{response}");
    finish(client);
}

#[test]
fn a_json_value_that_is_not_an_object_gets_invalid_request() {
    let mut client = serving();
    client.send_frame(b"42");
    let response = null_id_error(&mut client);
    assert_eq!(response["error"]["code"], -32600, "{response}");
    finish(client);
}

#[test]
fn an_object_without_method_result_or_error_gets_invalid_request_with_its_id() {
    let mut client = serving();
    client.send_frame(br#"{"jsonrpc":"2.0","id":"odd"}"#);
    let response = client.wait_for_response(&json!("odd"));
    assert_eq!(response["error"]["code"], -32600, "{response}");
    finish(client);
}

#[test]
fn an_unknown_request_gets_method_not_found_with_its_id() {
    let mut client = serving();
    let response = client.request("wbs/noSuchMethod", json!({"x": 1}));
    assert_eq!(response["error"]["code"], -32601, "{response}");
    assert!(response.get("result").is_none(), "{response}");
    // A string id is echoed as it was.
    client.send(&json!({"jsonrpc": "2.0", "id": "abc", "method": "wbs/other", "params": null}));
    let response = client.wait_for_response(&json!("abc"));
    assert_eq!(response["error"]["code"], -32601, "{response}");
    finish(client);
}

#[test]
fn an_unknown_notification_is_ignored() {
    let mut client = serving();
    client.notify("wbs/noSuchNotification", json!({"x": 1}));
    client.notify("$/noSuchNotification", json!({}));
    finish(client);
}

#[test]
fn a_header_block_without_content_length_is_reported_and_skipped() {
    let mut client = serving();
    client.send_raw(b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n");
    let response = null_id_error(&mut client);
    assert_eq!(response["error"]["code"], -32700, "{response}");
    client.send_raw(b"Content-Length: twelve\r\n\r\n");
    let response = null_id_error(&mut client);
    assert_eq!(response["error"]["code"], -32700, "{response}");
    finish(client);
}

#[test]
fn extra_headers_and_lowercase_content_length_are_accepted() {
    let mut client = serving();
    let body = json!({"jsonrpc": "2.0", "id": 900, "method": "textDocument/diagnostic",
                      "params": {"textDocument": {"uri": URI}}})
    .to_string();
    let frame = format!(
        "content-length: {}\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n{body}",
        body.len()
    );
    client.send_raw(frame.as_bytes());
    let response = client.wait_for_response(&json!(900));
    assert_eq!(
        response["result"]["items"].as_array().map(Vec::len),
        Some(2)
    );
    finish(client);
}

#[test]
fn a_pull_for_an_unknown_document_is_an_error() {
    let mut client = serving();
    let response = client.request(
        "textDocument/diagnostic",
        json!({"textDocument": {"uri": "file:///tmp/x/never_opened_tasks.md"}}),
    );
    assert_eq!(response["error"]["code"], -32602, "{response}");
    let message = response["error"]["message"].as_str().unwrap_or("");
    assert!(message.contains("never_opened_tasks.md"), "{response}");
    finish(client);
}

#[test]
fn a_request_with_invalid_params_is_an_error() {
    let mut client = serving();
    let response = client.request("textDocument/diagnostic", json!({"textDocument": 5}));
    assert_eq!(response["error"]["code"], -32602, "{response}");
    finish(client);
}

#[test]
fn a_change_to_an_unknown_document_is_ignored() {
    let mut client = serving();
    let unknown = "file:///tmp/x/tasks_not_open.md";
    client.did_change(
        unknown,
        2,
        json!([{"range": wbs_lsp_e2e::range(0, 0, 0, 0), "text": "1.1 x\n"}]),
    );
    // A later document is analysed (the worker is alive) and nothing came for `unknown`.
    client.did_open("file:///tmp/x/tasks_later.md", 1, "1.1 Setup\n");
    client.wait_for_diagnostics("file:///tmp/x/tasks_later.md", 1);
    assert_eq!(client.take_publications(unknown), Vec::<Value>::new());
    finish(client);
}

#[test]
fn invalid_utf8_inside_a_json_string_gets_a_parse_error() {
    let mut client = serving();
    let mut body = br#"{"jsonrpc":"2.0","id":31,"method":"textDocument/diagnostic","params":{"textDocument":{"uri":"file:///tmp/x/"#.to_vec();
    body.extend_from_slice(b"\xff\xfe\xc3");
    body.extend_from_slice(br#".md"}}}"#);
    client.send_frame(&body);
    let response = null_id_error(&mut client);
    assert_eq!(response["error"]["code"], -32700, "{response}");
    // Also inside the text of a didOpen.
    let mut body = br#"{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///tmp/x/tasks_bad.md","languageId":"markdown","version":1,"text":"1.1 A "#.to_vec();
    body.extend_from_slice(b"\x80\x80 bad\\n");
    body.extend_from_slice(br#""}}}"#);
    client.send_frame(&body);
    let response = null_id_error(&mut client);
    assert_eq!(response["error"]["code"], -32700, "{response}");
    finish(client);
}

#[test]
fn a_request_before_initialize_is_refused() {
    let mut client = Client::spawn();
    let response = client.request(
        "textDocument/diagnostic",
        json!({"textDocument": {"uri": URI}}),
    );
    assert_eq!(response["error"]["code"], -32002, "{response}");
    client.initialize(json!({}));
    client.did_open(URI, 1, &fixture("e2e/tasks_demo.md"));
    client.wait_for_diagnostics(URI, 1);
    finish(client);
}

#[test]
fn a_request_after_shutdown_is_refused_and_exit_is_0() {
    let mut client = serving();
    assert_eq!(client.call("shutdown", Value::Null), Value::Null);
    let response = client.request(
        "textDocument/diagnostic",
        json!({"textDocument": {"uri": URI}}),
    );
    assert_eq!(response["error"]["code"], -32600, "{response}");
    client.notify("exit", Value::Null);
    assert_eq!(client.wait_exit().code(), Some(0));
}

#[test]
fn end_of_input_without_exit_is_status_1() {
    let mut client = serving();
    client.close_stdin();
    assert_eq!(client.wait_exit().code(), Some(1));
}
