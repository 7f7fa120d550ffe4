//! Which documents are analysed: names matching the include globs (default `**/*task*.md`,
//! `**/*wbs*.md`) always; other Markdown documents from three task nodes on.

use serde_json::json;
use wbs_lsp_e2e::{assert_diagnostics, range, Client, Expected, TextBuffer};

/// Two nodes (1.1 and 1.1.1), each with defects that would be reported in a task list.
const TWO_NODES: &str = "# Notes\n\nSome prose about the plan.\n\n\
    1.1 Setup (Dependencies: 9.9)\n  1.1.1 Create the tables and add the seed data\n";
const THIRD_NODE: &str = "  1.1.2 Write the schema notes\n";

fn expected_two_node_findings() -> Vec<Expected<'static>> {
    vec![
        Expected {
            code: "missing-stage-gate",
            severity: 3,
            range: range(4, 0, 4, 3),
            message_has: &["1.1"],
        },
        Expected {
            code: "missing-check-tasks",
            severity: 2,
            range: range(4, 0, 4, 3),
            message_has: &["1.1"],
        },
        Expected {
            code: "numbering",
            severity: 2,
            range: range(4, 0, 4, 3),
            message_has: &["1.1"],
        },
        Expected {
            code: "unknown-dependency",
            severity: 1,
            range: range(4, 25, 4, 28),
            message_has: &["9.9"],
        },
        Expected {
            code: "non-atomic",
            severity: 2,
            range: range(5, 2, 5, 7),
            message_has: &["1.1.1"],
        },
    ]
}

#[test]
fn other_markdown_is_analysed_from_three_nodes_on() {
    let uri = "file:///tmp/x/notes.md";
    let mut client = Client::spawn();
    client.initialize(json!({}));
    client.did_open(uri, 1, TWO_NODES);
    assert_eq!(
        client.wait_for_diagnostics(uri, 1),
        Vec::<serde_json::Value>::new()
    );

    let mut text = TextBuffer::new(TWO_NODES);
    let add = text.edit((6, 0), (6, 0), THIRD_NODE);
    client.did_change(uri, 2, json!([add]));
    assert_diagnostics(
        &client.wait_for_diagnostics(uri, 2),
        &expected_two_node_findings(),
    );

    let remove = text.edit((6, 0), (7, 0), "");
    assert_eq!(text.text, TWO_NODES);
    client.did_change(uri, 3, json!([remove]));
    assert_eq!(
        client.wait_for_diagnostics(uri, 3),
        Vec::<serde_json::Value>::new()
    );
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}

#[test]
fn names_matching_the_default_globs_are_analysed_with_fewer_nodes() {
    let mut client = Client::spawn();
    client.initialize(json!({}));
    for uri in [
        "file:///tmp/x/project-wbs.md",
        "file:///tmp/x/docs/my_tasks.md",
    ] {
        client.did_open(uri, 1, TWO_NODES);
        assert_diagnostics(
            &client.wait_for_diagnostics(uri, 1),
            &expected_two_node_findings(),
        );
    }
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}

#[test]
fn an_include_setting_replaces_the_default_globs() {
    let mut client = Client::spawn();
    client.initialize_with(json!({
        "capabilities": {},
        "initializationOptions": {"include": ["**/plan.md"]},
    }));
    client.did_open("file:///tmp/x/plan.md", 1, TWO_NODES);
    assert_diagnostics(
        &client.wait_for_diagnostics("file:///tmp/x/plan.md", 1),
        &expected_two_node_findings(),
    );
    client.did_open("file:///tmp/x/tasks_x.md", 1, TWO_NODES);
    assert_eq!(
        client.wait_for_diagnostics("file:///tmp/x/tasks_x.md", 1),
        Vec::<serde_json::Value>::new()
    );
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}
