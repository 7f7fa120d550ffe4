//! Settings: initializationOptions, workspace/didChangeConfiguration, `.wbs-lsp.toml`.
//!
//! Fixture `e2e/tasks_config.md` (tasks_demo.md plus an untitled task 2.1.2) has, with the
//! defaults: unknown-dependency (error) on `9.9`, non-atomic (warning) on 1.1.2 and
//! not-actionable (information) on 2.1.2.

use std::path::Path;

use serde_json::{json, Value};
use wbs_lsp_e2e::{assert_diagnostics, file_uri, fixture, range, Client, Expected};

const URI: &str = "file:///tmp/x/tasks_config.md";

fn unknown(severity: i64) -> Expected<'static> {
    Expected {
        code: "unknown-dependency",
        severity,
        range: range(3, 20, 3, 23),
        message_has: &["9.9"],
    }
}

fn non_atomic(severity: i64) -> Expected<'static> {
    Expected {
        code: "non-atomic",
        severity,
        range: range(7, 2, 7, 7),
        message_has: &["1.1.2"],
    }
}

fn not_actionable(severity: i64) -> Expected<'static> {
    Expected {
        code: "not-actionable",
        severity,
        range: range(17, 2, 17, 7),
        message_has: &["2.1.2"],
    }
}

fn has_code(diagnostics: &[Value], code: &str) -> bool {
    diagnostics.iter().any(|d| d["code"] == code)
}

fn pull(client: &mut Client, uri: &str) -> Vec<Value> {
    let report = client.call(
        "textDocument/diagnostic",
        json!({"textDocument": {"uri": uri}}),
    );
    report["items"].as_array().expect("items").clone()
}

/// The next `window/showMessage` (its params).
fn show_message(client: &mut Client) -> Value {
    client.wait_for_notification("window/showMessage", |_| true)["params"].clone()
}

#[test]
fn the_defaults() {
    let mut client = Client::spawn();
    client.initialize(json!({}));
    client.did_open(URI, 1, &fixture("e2e/tasks_config.md"));
    assert_diagnostics(
        &client.wait_for_diagnostics(URI, 1),
        &[unknown(1), non_atomic(2), not_actionable(3)],
    );
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}

#[test]
fn initialization_options_then_did_change_configuration() {
    let mut client = Client::spawn();
    client.initialize_with(json!({
        "capabilities": {},
        "initializationOptions": {
            "disabled": ["not-actionable"],
            "severity": {"non-atomic": "error"}
        }
    }));
    client.did_open(URI, 1, &fixture("e2e/tasks_config.md"));
    assert_diagnostics(
        &client.wait_for_diagnostics(URI, 1),
        &[unknown(1), non_atomic(1)],
    );

    // Empty settings (Eglot sends `{}` after connecting) keep initializationOptions.
    client.notify("workspace/didChangeConfiguration", json!({"settings": {}}));
    client.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": null}),
    );
    client.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"editor": {"tabSize": 2}}}),
    );
    assert_diagnostics(&pull(&mut client, URI), &[unknown(1), non_atomic(1)]);

    // New settings replace the old ones and are published again (same document version).
    client.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"wbs-lsp": {"disabled": ["unknown-dependency"]}}}),
    );
    let republished =
        client.wait_for_diagnostics_where(URI, 1, |d| !has_code(d, "unknown-dependency"));
    let expected = [non_atomic(2), not_actionable(3)];
    assert_diagnostics(&republished, &expected);

    // A bad code: an error message naming it, and the last good settings stay.
    client.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"wbs-lsp": {"disabled": ["no-such-code"]}}}),
    );
    let message = show_message(&mut client);
    assert_eq!(message["type"], 1, "{message}");
    let text = message["message"].as_str().expect("a message");
    assert!(text.contains("no-such-code"), "{message}");
    assert_diagnostics(&pull(&mut client, URI), &expected);

    // Still serving: a good change applies again (the `wbsLsp` spelling is accepted too).
    client.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"wbsLsp": {"severity": {"non-atomic": "hint"}}}}),
    );
    let republished = client.wait_for_diagnostics_where(URI, 1, |d| {
        d.iter()
            .any(|d| d["code"] == "non-atomic" && d["severity"] == 4)
    });
    assert_diagnostics(
        &republished,
        &[unknown(1), non_atomic(4), not_actionable(3)],
    );
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}

#[test]
fn an_unknown_code_in_initialization_options_is_shown_and_the_defaults_apply() {
    let mut client = Client::spawn();
    let result = client.initialize_with(json!({
        "capabilities": {},
        "initializationOptions": {"disabled": ["no-such-code"]}
    }));
    assert!(result["capabilities"].is_object(), "{result}");
    client.did_open(URI, 1, &fixture("e2e/tasks_config.md"));
    let message = show_message(&mut client);
    assert_eq!(message["type"], 1, "{message}");
    assert!(
        message["message"]
            .as_str()
            .is_some_and(|m| m.contains("no-such-code")),
        "{message}"
    );
    assert_diagnostics(
        &client.wait_for_diagnostics(URI, 1),
        &[unknown(1), non_atomic(2), not_actionable(3)],
    );
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}

#[test]
fn malformed_initialization_options_are_shown_after_initialized() {
    let mut client = Client::spawn();
    client.initialize_with(json!({
        "capabilities": {},
        "initializationOptions": {"profile": "four-stage"}
    }));
    // Shown without any document open.
    let message = show_message(&mut client);
    assert_eq!(message["type"], 1, "{message}");
    assert!(
        message["message"]
            .as_str()
            .is_some_and(|m| m.contains("four-stage")),
        "{message}"
    );
    client.did_open(URI, 1, &fixture("e2e/tasks_config.md"));
    assert_diagnostics(
        &client.wait_for_diagnostics(URI, 1),
        &[unknown(1), non_atomic(2), not_actionable(3)],
    );
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}

#[test]
fn a_pulling_client_is_asked_to_refresh_on_a_configuration_change() {
    let mut client = Client::spawn();
    client.initialize(json!({
        "textDocument": {"diagnostic": {}},
        "workspace": {"diagnostics": {"refreshSupport": true}}
    }));
    client.did_open(URI, 1, &fixture("e2e/tasks_config.md"));
    assert_diagnostics(
        &pull(&mut client, URI),
        &[unknown(1), non_atomic(2), not_actionable(3)],
    );
    client.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"wbs-lsp": {"disabled": ["non-atomic", "not-actionable"]}}}),
    );
    // The harness answers the refresh request; then a pull sees the new settings.
    let refresh = client.wait_for("a workspace/diagnostic/refresh request", |m| {
        m["method"] == "workspace/diagnostic/refresh" && m.get("id").is_some()
    });
    assert!(
        refresh.get("params").is_none_or(Value::is_null),
        "{refresh}"
    );
    assert_diagnostics(&pull(&mut client, URI), &[unknown(1)]);
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}

/// A client whose workspace is `folder` (as rootUri, or as its one workspace folder).
fn client_in(folder: &Path, as_workspace_folder: bool) -> Client {
    let mut client = Client::spawn();
    let folder_uri = file_uri(folder);
    let params = if as_workspace_folder {
        json!({"capabilities": {"workspace": {"workspaceFolders": true}},
               "workspaceFolders": [{"uri": folder_uri, "name": "ws"}]})
    } else {
        json!({"capabilities": {}, "rootUri": folder_uri})
    };
    client.initialize_with(params);
    client
}

#[test]
fn a_config_file_in_the_root_folder_is_honoured_and_reread_on_save() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let config = dir.path().join(".wbs-lsp.toml");
    std::fs::write(&config, "disabled = [\"non-atomic\"]\n").expect("writing");
    std::fs::create_dir(dir.path().join("docs")).expect("mkdir");
    // The document need not exist on disk; its folder's parents are searched.
    let uri = file_uri(&dir.path().join("docs/tasks_config.md"));
    let mut client = client_in(dir.path(), false);
    client.did_open(&uri, 1, &fixture("e2e/tasks_config.md"));
    assert_diagnostics(
        &client.wait_for_diagnostics(&uri, 1),
        &[unknown(1), not_actionable(3)],
    );

    std::fs::write(&config, "[severity]\nunknown-dependency = \"warning\"\n").expect("writing");
    client.notify(
        "textDocument/didSave",
        json!({"textDocument": {"uri": file_uri(&config)}}),
    );
    let republished = client.wait_for_diagnostics_where(&uri, 1, |d| has_code(d, "non-atomic"));
    assert_diagnostics(
        &republished,
        &[unknown(2), non_atomic(2), not_actionable(3)],
    );
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}

#[test]
fn a_config_file_profile_in_a_workspace_folder_is_honoured() {
    // Without Stage 3 the three-stage profile reports a missing stage; generic does not.
    let full = fixture("e2e/tasks_demo.md");
    let two_stages = &full[..full.find("### Stage 3").expect("a Stage 3 heading")];
    let missing_stage = Expected {
        code: "stage-structure",
        severity: 2,
        range: range(12, 10, 12, 11),
        message_has: &["Stage 3"],
    };
    let non_atomic_warning = non_atomic(2);

    let dir = tempfile::tempdir().expect("a temp dir");
    let uri = file_uri(&dir.path().join("tasks_two.md"));
    let mut client = client_in(dir.path(), true);
    client.did_open(&uri, 1, two_stages);
    assert_diagnostics(
        &client.wait_for_diagnostics(&uri, 1),
        &[unknown(1), non_atomic(2), missing_stage],
    );
    assert_eq!(client.shutdown_and_exit().code(), Some(0));

    std::fs::write(dir.path().join(".wbs-lsp.toml"), "profile = \"generic\"\n").expect("writing");
    let mut client = client_in(dir.path(), true);
    client.did_open(&uri, 1, two_stages);
    assert_diagnostics(
        &client.wait_for_diagnostics(&uri, 1),
        &[unknown(1), non_atomic_warning],
    );
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}

#[test]
fn a_broken_config_file_is_reported_by_name() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let config = dir.path().join(".wbs-lsp.toml");
    std::fs::write(&config, "disabled = [\n").expect("writing");
    let uri = file_uri(&dir.path().join("tasks_config.md"));
    let mut client = client_in(dir.path(), false);
    client.did_open(&uri, 1, &fixture("e2e/tasks_config.md"));
    let message = show_message(&mut client);
    assert_eq!(message["type"], 1, "{message}");
    let path = config.to_str().expect("a UTF-8 path");
    assert!(
        message["message"]
            .as_str()
            .is_some_and(|m| m.contains(path)),
        "the message should name {path}: {message}"
    );
    // The defaults apply meanwhile.
    assert_diagnostics(
        &client.wait_for_diagnostics(&uri, 1),
        &[unknown(1), non_atomic(2), not_actionable(3)],
    );
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}
