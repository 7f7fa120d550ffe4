//! A client with the `textDocument.diagnostic` capability pulls; nothing is pushed to it.

use std::time::Duration;

use serde_json::{json, Value};
use wbs_lsp_e2e::{assert_diagnostics, fixture, range, Client, Expected, TextBuffer};

const URI: &str = "file:///tmp/x/tasks_demo.md";

fn pull(client: &mut Client, uri: &str) -> Vec<Value> {
    let report = client.call(
        "textDocument/diagnostic",
        json!({"textDocument": {"uri": uri}}),
    );
    assert_eq!(report["kind"], "full", "{report}");
    report["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items: {report}"))
        .clone()
}

fn expected_initial() -> Vec<Expected<'static>> {
    vec![
        Expected {
            code: "unknown-dependency",
            severity: 1,
            range: range(3, 20, 3, 23),
            message_has: &["9.9", "Stage 1"],
        },
        Expected {
            code: "non-atomic",
            severity: 2,
            range: range(7, 2, 7, 7),
            message_has: &["1.1.2"],
        },
    ]
}

#[test]
fn pull_returns_a_full_report_and_nothing_is_pushed() {
    let mut client = Client::spawn();
    client.initialize(json!({"textDocument": {"diagnostic": {}}}));
    let original = fixture("e2e/tasks_demo.md");
    client.did_open(URI, 1, &original);
    let items = pull(&mut client, URI);
    assert_diagnostics(&items, &expected_initial());

    // A change is seen by the next pull (notifications are handled before later requests).
    let mut text = TextBuffer::new(&original);
    let change = text.edit((3, 20), (3, 23), "1.1");
    client.did_change(URI, 2, json!([change]));
    let items = pull(&mut client, URI);
    let cycle = items
        .iter()
        .filter(|d| d["code"] == "dependency-cycle")
        .count();
    assert_eq!(cycle, 1, "Stage 1 depending on its child 1.1: {items:?}");
    assert!(
        items.iter().all(|d| d["code"] != "unknown-dependency"),
        "{items:?}"
    );

    // Give a wrong push time to arrive, then use a request round-trip as the barrier.
    std::thread::sleep(Duration::from_millis(300));
    let again = pull(&mut client, URI);
    assert_eq!(again, items, "two pulls of the same version differ");
    let pushed: Vec<Value> = client
        .take_publications(URI)
        .into_iter()
        .filter(|m| m["params"]["diagnostics"] != json!([]))
        .collect();
    assert!(
        pushed.is_empty(),
        "the server pushed diagnostics to a pulling client: {pushed:?}"
    );
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}

#[test]
fn pull_is_answered_for_a_pushing_client_too() {
    let mut client = Client::spawn();
    client.initialize(json!({}));
    client.did_open(URI, 1, &fixture("e2e/tasks_demo.md"));
    let pushed = client.wait_for_diagnostics(URI, 1);
    let pulled = pull(&mut client, URI);
    assert_eq!(pulled, pushed);
    assert_diagnostics(&pulled, &expected_initial());
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}
