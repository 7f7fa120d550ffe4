//! The model-backed commands over stdio, against a scripted endpoint on 127.0.0.1 that
//! speaks the real OpenAI and Anthropic wire formats: code action -> executeCommand ->
//! progress -> the server's `workspace/applyEdit` -> the text, as an editor sees it.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use wbs_lsp::llm::testing::{FakeLlm, Reply};
use wbs_lsp_e2e::{file_uri, Client, TextBuffer};

const KEY_ENV: &str = "WBS_LSP_TEST_KEY";
const KEY: &str = "sk-test-5ecret-value-0042";

const PLAN: &str = "\
# Shop – Task List

### Stage 1: CORE – Base
(Dependencies: None | Stage Gate: core proven with seed data)

1.1 Service Skeleton (Dependencies: None | Stage Gate: the app boots)
  1.1.1 Configure the toolchain
  1.1.2 Build the order intake module

1.1.A **Validate** core functionality of Task 1.1
1.1.B **Verify** Task 1.1
1.1.C Document Task 1.1 implementation

### Stage 2: INTEGRATION – Real
(Dependencies: Stage 1 complete | Stage Gate: live)

2.1 Persistence (Dependencies: 1.1 | Stage Gate: data survives restarts)
  2.1.1 Create the PostgreSQL schema

2.1.A **Validate** integration of Task 2.1
2.1.B **Verify** Task 2.1
2.1.C Document Task 2.1 integration results

### Stage 3: POLISH – Production
(Dependencies: Stage 2 complete | Stage Gate: deployed)

3.1 Delivery (Dependencies: 2.1 | Stage Gate: released)
  3.1.1 Configure the release pipeline

3.1.A **Validate** production readiness of Task 3.1
3.1.B **Verify** Task 3.1
3.1.C Document Task 3.1 production deployment
";

/// The line of node 1.1.2 in `PLAN`.
const NODE_LINE: u32 = 7;

/// What the model answers for 1.1.2 in most tests.
fn intake_answer() -> String {
    json!({
        "stage_gate": "orders are accepted against seed data",
        "tasks": [
            {"title": "Create the Order model in app/domain/order.py"},
            {"title": "Add the POST /orders endpoint backed by seed data"}
        ]
    })
    .to_string()
}

/// `PLAN` after 1.1.2 is expanded with `intake_answer`.
fn expanded_plan() -> String {
    PLAN.replace(
        "  1.1.2 Build the order intake module\n",
        "  1.1.2 Build the order intake module (Dependencies: 1.1.1 | Stage Gate: orders are accepted against seed data)\n    1.1.2.1 Create the Order model in app/domain/order.py\n    1.1.2.2 Add the POST /orders endpoint backed by seed data\n    1.1.2.A Validate core functionality of Task 1.1.2\n    1.1.2.B Verify Task 1.1.2\n    1.1.2.C Document Task 1.1.2 implementation\n",
    )
}

struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    /// A workspace whose `.wbs-lsp.toml` holds this `[llm]` table.
    fn new(llm_table: &str) -> Workspace {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(".wbs-lsp.toml"),
            format!("[llm]\n{llm_table}"),
        )
        .unwrap();
        Workspace { dir }
    }

    fn path(&self, name: &str) -> std::path::PathBuf {
        self.dir.path().join(name)
    }

    fn uri(&self, name: &str) -> String {
        file_uri(&self.path(name))
    }
}

fn openai_table(fake: &FakeLlm, extra: &str) -> String {
    format!(
        "base_url = \"{}/v1\"\nmodel = \"test-model\"\napi_key_env = \"{KEY_ENV}\"\n{extra}",
        fake.url()
    )
}

/// A client like VS Code: progress tokens, showDocument, applyEdit with versions.
fn start(workspace: &Workspace) -> Client {
    let mut client = Client::spawn_with_env(&[], &[(KEY_ENV, KEY)]);
    let root = file_uri(workspace.dir.path());
    client.initialize_with(json!({
        "rootUri": root,
        "workspaceFolders": [{"uri": root, "name": "w"}],
        "capabilities": {
            "window": {"workDoneProgress": true, "showDocument": {"support": true}},
            "workspace": {"applyEdit": true, "workspaceEdit": {"documentChanges": true}},
        }
    }));
    client.set_responder(|request| match request["method"].as_str() {
        Some("workspace/applyEdit") => Some(json!({"applied": true})),
        Some("window/showDocument") => Some(json!({"success": true})),
        _ => None,
    });
    client
}

/// Applies a `workspace/applyEdit` request's edits (UTF-16) to `buffer`; returns the
/// document version the edit was made for.
fn apply(buffer: &mut TextBuffer, request: &Value) -> i64 {
    let change = &request["params"]["edit"]["documentChanges"][0];
    let version = change["textDocument"]["version"]
        .as_i64()
        .expect("a versioned edit");
    let mut edits: Vec<&Value> = change["edits"].as_array().unwrap().iter().collect();
    edits.sort_by_key(|e| {
        std::cmp::Reverse((
            e["range"]["start"]["line"].as_u64(),
            e["range"]["start"]["character"].as_u64(),
        ))
    });
    for e in edits {
        let r = &e["range"];
        let pos = |p: &Value| {
            (
                p["line"].as_u64().unwrap() as u32,
                p["character"].as_u64().unwrap() as u32,
            )
        };
        buffer.edit(
            pos(&r["start"]),
            pos(&r["end"]),
            e["newText"].as_str().unwrap(),
        );
    }
    version
}

fn execute(client: &mut Client, command: &str, arguments: Value) -> Value {
    let response = client.request(
        "workspace/executeCommand",
        json!({"command": command, "arguments": [arguments]}),
    );
    assert!(response.get("error").is_none(), "{response}");
    response["result"].clone()
}

fn assert_no_key(client: &Client, fake: Option<&FakeLlm>) {
    let stderr = client.stderr_text();
    assert!(!stderr.contains(KEY), "the key is in the log:\n{stderr}");
    for m in client.inbox() {
        assert!(!m.to_string().contains(KEY), "the key is in a message: {m}");
    }
    let _ = fake;
}

#[test]
fn expand_through_a_code_action_applies_the_children() {
    let fake = FakeLlm::start_blocking(vec![Reply::OpenAi {
        text: intake_answer(),
    }]);
    let workspace = Workspace::new(&openai_table(&fake, ""));
    let uri = workspace.uri("tasks_list.md");
    let mut client = start(&workspace);
    client.did_open(&uri, 1, PLAN);
    client.wait_for_diagnostics(&uri, 1);

    let actions = client.call(
        "textDocument/codeAction",
        json!({
            "textDocument": {"uri": uri},
            "range": {"start": {"line": NODE_LINE, "character": 4}, "end": {"line": NODE_LINE, "character": 4}},
            "context": {"diagnostics": []}
        }),
    );
    let action = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"] == "Expand 1.1.2 into atomic tasks (LLM)")
        .unwrap_or_else(|| panic!("no expand action in {actions}"))
        .clone();
    assert_eq!(action["kind"], "refactor.rewrite");
    let command = &action["command"];
    let result = client.call(
        "workspace/executeCommand",
        json!({"command": command["command"], "arguments": command["arguments"]}),
    );
    assert_eq!(result["applied"], true, "{result}");
    assert_eq!(result["calls"], 1);

    // Progress: a token was created, then begin, reports, end.
    client.wait_for("a progress token", |m| {
        m["method"] == "window/workDoneProgress/create"
    });
    let kinds: Vec<String> = client
        .inbox()
        .filter(|m| m["method"] == "$/progress")
        .map(|m| m["params"]["value"]["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        kinds.first().map(String::as_str),
        Some("begin"),
        "{kinds:?}"
    );
    assert_eq!(kinds.last().map(String::as_str), Some("end"), "{kinds:?}");
    assert!(kinds.iter().any(|k| k == "report"), "{kinds:?}");

    let edit = client.wait_for("the edit", |m| m["method"] == "workspace/applyEdit");
    let mut buffer = TextBuffer::new(PLAN);
    assert_eq!(apply(&mut buffer, &edit), 1);
    assert_eq!(buffer.text, expanded_plan());

    // The editor sends the new text; the expansion meets the rules.
    client.did_change(&uri, 2, json!([{"text": buffer.text}]));
    let diagnostics = client.wait_for_diagnostics(&uri, 2);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");

    // What reached the endpoint: the OpenAI wire format, the key as a bearer token, a
    // schema for structured output, and the node's context.
    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.path, "/v1/chat/completions");
    assert_eq!(
        request.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    let body: Value = request.body.clone();
    assert_eq!(body["model"], "test-model");
    assert_eq!(body["stream"], true);
    assert_eq!(body["response_format"]["type"], "json_schema");
    let user = body["messages"][1]["content"].as_str().unwrap();
    assert!(
        user.contains("1.1.2 Build the order intake module"),
        "{user}"
    );
    assert!(user.contains("1.1 Service Skeleton"), "{user}");
    assert!(user.contains("1.1.1 Configure the toolchain"), "{user}");
    assert_no_key(&client, Some(&fake));
    client.shutdown_and_exit();
}

#[test]
fn a_non_atomic_answer_gets_a_second_pass() {
    let first = json!({"tasks": [
        {"title": "Create the Order model in app/domain/order.py"},
        {"title": "Implement the intake endpoint and write tests for it"}
    ]})
    .to_string();
    let second = json!({"tasks": [
        {"title": "Implement the POST /orders endpoint"},
        {"title": "Add API tests for POST /orders"}
    ]})
    .to_string();
    let fake = FakeLlm::start_blocking(vec![
        Reply::OpenAi { text: first },
        Reply::OpenAi { text: second },
    ]);
    let workspace = Workspace::new(&openai_table(&fake, ""));
    let uri = workspace.uri("tasks_list.md");
    let mut client = start(&workspace);
    client.did_open(&uri, 1, PLAN);
    let result = execute(
        &mut client,
        "wbs-lsp.expand",
        json!({"uri": uri, "id": "1.1.2"}),
    );
    assert_eq!(result["applied"], true, "{result}");
    assert_eq!(result["calls"], 2);
    assert_eq!(result["stillNonAtomic"], json!([]));
    let edit = client.wait_for("the edit", |m| m["method"] == "workspace/applyEdit");
    let mut buffer = TextBuffer::new(PLAN);
    apply(&mut buffer, &edit);
    assert!(buffer.text.contains("    1.1.2.2 Implement the intake endpoint and write tests for it (Dependencies: 1.1.2.1 | Stage Gate: all tasks of 1.1.2.2 are done and verified)\n      1.1.2.2.1 Implement the POST /orders endpoint\n      1.1.2.2.2 Add API tests for POST /orders\n      1.1.2.2.A Validate core functionality of Task 1.1.2.2\n"), "{}", buffer.text);
    // The second prompt asked for the leaf the rules found non-atomic.
    let requests = fake.requests();
    let body: Value = requests[1].body.clone();
    let user = body["messages"][1]["content"].as_str().unwrap();
    assert!(
        user.contains("1.1.2.2 Implement the intake endpoint and write tests for it"),
        "{user}"
    );
    client.did_change(&uri, 2, json!([{"text": buffer.text}]));
    assert!(client.wait_for_diagnostics(&uri, 2).is_empty());
}

/// Waits until `accept` holds, polling.
fn eventually(what: &str, accept: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !accept() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn send_request(client: &mut Client, id: i64, method: &str, params: Value) {
    client.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
}

#[test]
fn the_cancel_button_stops_the_request_and_changes_nothing() {
    let fake = FakeLlm::start_blocking(vec![Reply::Stall {
        text_before: "{\"tasks\": [".into(),
    }]);
    let workspace = Workspace::new(&openai_table(&fake, ""));
    let uri = workspace.uri("tasks_list.md");
    let mut client = start(&workspace);
    client.did_open(&uri, 1, PLAN);
    send_request(
        &mut client,
        900,
        "workspace/executeCommand",
        json!({"command": "wbs-lsp.expand", "arguments": [{"uri": uri, "line": NODE_LINE}]}),
    );
    let create = client.wait_for("a progress token", |m| {
        m["method"] == "window/workDoneProgress/create"
    });
    let token = create["params"]["token"].clone();
    client.wait_for("the stream to start", |m| {
        m["method"] == "$/progress" && m["params"]["value"]["kind"] == "report"
    });
    eventually("the HTTP request", || fake.open_connections() == 1);
    client.notify("window/workDoneProgress/cancel", json!({"token": token}));
    let response = client.wait_for_response(&json!(900));
    assert_eq!(response["result"]["applied"], false, "{response}");
    assert!(response["result"]["error"]
        .as_str()
        .unwrap()
        .contains("cancelled"));
    eventually("the HTTP request to close", || fake.open_connections() == 0);
    client.wait_for("the end of progress", |m| {
        m["method"] == "$/progress" && m["params"]["value"]["kind"] == "end"
    });
    assert!(client.inbox().all(|m| m["method"] != "workspace/applyEdit"));
}

#[test]
fn cancel_request_aborts_the_http_request() {
    let fake = FakeLlm::start_blocking(vec![Reply::Stall {
        text_before: "{\"tasks\": [".into(),
    }]);
    let workspace = Workspace::new(&openai_table(&fake, ""));
    let uri = workspace.uri("tasks_list.md");
    let mut client = start(&workspace);
    client.did_open(&uri, 1, PLAN);
    send_request(
        &mut client,
        901,
        "workspace/executeCommand",
        json!({"command": "wbs-lsp.expand", "arguments": [{"uri": uri, "id": "1.1.2"}]}),
    );
    client.wait_for("a progress token", |m| {
        m["method"] == "window/workDoneProgress/create"
    });
    eventually("the HTTP request", || fake.open_connections() == 1);
    client.notify("$/cancelRequest", json!({"id": 901}));
    let response = client.wait_for_response(&json!(901));
    assert_eq!(response["error"]["code"], -32800, "{response}");
    eventually("the HTTP request to close", || fake.open_connections() == 0);
    // The server goes on serving.
    client.call(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": uri}}),
    );
}

#[test]
fn an_edit_elsewhere_during_the_request_is_kept() {
    let fake = FakeLlm::start_blocking(vec![Reply::OpenAi {
        text: intake_answer(),
    }]);
    fake.set_chunk(8, Duration::from_millis(40));
    let workspace = Workspace::new(&openai_table(&fake, ""));
    let uri = workspace.uri("tasks_list.md");
    let mut client = start(&workspace);
    client.did_open(&uri, 1, PLAN);
    send_request(
        &mut client,
        902,
        "workspace/executeCommand",
        json!({"command": "wbs-lsp.expand", "arguments": [{"uri": uri, "id": "1.1.2"}]}),
    );
    client.wait_for("a progress token", |m| {
        m["method"] == "window/workDoneProgress/create"
    });
    eventually("the HTTP request", || fake.open_connections() == 1);
    // The user types a line above the node while the model answers.
    let mut buffer = TextBuffer::new(PLAN);
    let change = buffer.edit((1, 0), (1, 0), "Owner: the orders team\n");
    client.did_change(&uri, 2, json!([change]));
    let response = client.wait_for_response(&json!(902));
    assert_eq!(response["result"]["applied"], true, "{response}");
    let edit = client.wait_for("the edit", |m| m["method"] == "workspace/applyEdit");
    // Re-anchored: made for the version with the user's line, one line lower.
    assert_eq!(apply(&mut buffer, &edit), 2);
    assert_eq!(
        buffer.text,
        expanded_plan().replacen("\n", "\nOwner: the orders team\n", 1)
    );
}

#[test]
fn an_edit_of_the_node_during_the_request_refuses_the_result() {
    let fake = FakeLlm::start_blocking(vec![Reply::OpenAi {
        text: intake_answer(),
    }]);
    fake.set_chunk(8, Duration::from_millis(40));
    let workspace = Workspace::new(&openai_table(&fake, ""));
    let uri = workspace.uri("tasks_list.md");
    let mut client = start(&workspace);
    client.did_open(&uri, 1, PLAN);
    send_request(
        &mut client,
        903,
        "workspace/executeCommand",
        json!({"command": "wbs-lsp.expand", "arguments": [{"uri": uri, "id": "1.1.2"}]}),
    );
    client.wait_for("a progress token", |m| {
        m["method"] == "window/workDoneProgress/create"
    });
    eventually("the HTTP request", || fake.open_connections() == 1);
    let mut buffer = TextBuffer::new(PLAN);
    // The user rewrites the node's title meanwhile.
    let line = PLAN.lines().nth(NODE_LINE as usize).unwrap();
    let start = line.find("Build").unwrap() as u32;
    let change = buffer.edit((NODE_LINE, start), (NODE_LINE, start + 5), "Write");
    client.did_change(&uri, 2, json!([change]));
    let response = client.wait_for_response(&json!(903));
    assert_eq!(response["result"]["applied"], false, "{response}");
    let warning = client.wait_for_notification("window/showMessage", |p| {
        p["message"]
            .as_str()
            .unwrap()
            .contains("changed while the model was answering")
    });
    assert_eq!(warning["params"]["type"], 2);
    assert!(client.inbox().all(|m| m["method"] != "workspace/applyEdit"));
}

/// Runs an expansion against `table` and returns the error message the user sees.
fn error_of(table: &str, fake: Option<&FakeLlm>) -> (String, Client) {
    let workspace = Workspace::new(table);
    let uri = workspace.uri("tasks_list.md");
    let mut client = start(&workspace);
    client.did_open(&uri, 1, PLAN);
    let result = execute(
        &mut client,
        "wbs-lsp.expand",
        json!({"uri": uri, "id": "1.1.2"}),
    );
    assert_eq!(result["applied"], false, "{result}");
    let shown = client.wait_for_notification("window/showMessage", |p| p["type"] == 1);
    let message = shown["params"]["message"].as_str().unwrap().to_string();
    assert_eq!(
        result["error"].as_str().map(|e| message.contains(e)),
        Some(true)
    );
    assert_no_key(&client, fake);
    // The server keeps serving.
    client.call(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": uri}}),
    );
    (message, client)
}

#[test]
fn errors_a_user_understands() {
    // No model configured.
    let (message, _) = error_of("base_url = \"http://127.0.0.1:9/v1\"\n", None);
    assert!(
        message.contains("no model configured") && message.contains("model"),
        "{message}"
    );

    // Nothing listens.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let (message, _) = error_of(
        &format!("base_url = \"http://127.0.0.1:{port}/v1\"\nmodel = \"m\"\n"),
        None,
    );
    assert!(message.contains(&format!("127.0.0.1:{port}")), "{message}");

    let status = |status: u16, retry_after: Option<u64>| Reply::Status {
        status,
        body: "{\"error\": {\"message\": \"nope\"}}".into(),
        retry_after,
    };
    // A key the endpoint refuses: the variable is named, its value is not.
    let fake = FakeLlm::start_blocking(vec![status(401, None)]);
    let (message, _) = error_of(&openai_table(&fake, ""), Some(&fake));
    assert!(
        message.contains("401") && message.contains(KEY_ENV),
        "{message}"
    );

    // Rate limited: retried after Retry-After, then reported.
    let fake = FakeLlm::start_blocking(vec![status(429, Some(0))]);
    let (message, _) = error_of(&openai_table(&fake, "max_retries = 1\n"), Some(&fake));
    assert!(message.contains("429"), "{message}");
    assert_eq!(fake.requests().len(), 2);

    // A server error, retried once and then reported.
    let fake = FakeLlm::start_blocking(vec![status(500, None)]);
    let (message, _) = error_of(&openai_table(&fake, "max_retries = 1\n"), Some(&fake));
    assert!(message.contains("500"), "{message}");

    // No answer in time.
    let fake = FakeLlm::start_blocking(vec![Reply::Stall {
        text_before: String::new(),
    }]);
    let (message, _) = error_of(&openai_table(&fake, "timeout_secs = 1\n"), Some(&fake));
    assert!(message.contains("1 s"), "{message}");

    // An answer that is no task list.
    let fake = FakeLlm::start_blocking(vec![Reply::OpenAi {
        text: "I am sorry, I cannot help with that.".into(),
    }]);
    let (message, client) = error_of(&openai_table(&fake, ""), Some(&fake));
    assert!(message.contains("not a task list"), "{message}");
    // The raw answer is logged for the user to see what came back.
    assert!(client.stderr_text().contains("I cannot help with that"));
}

#[test]
fn anthropic_streams_tool_input() {
    let fake = FakeLlm::start_blocking(vec![Reply::Anthropic {
        text: intake_answer(),
    }]);
    let table = format!(
        "provider = \"anthropic\"\nbase_url = \"{}\"\nmodel = \"claude-test\"\napi_key_env = \"{KEY_ENV}\"\n",
        fake.url()
    );
    let workspace = Workspace::new(&table);
    let uri = workspace.uri("tasks_list.md");
    let mut client = start(&workspace);
    client.did_open(&uri, 1, PLAN);
    let result = execute(
        &mut client,
        "wbs-lsp.expand",
        json!({"uri": uri, "id": "1.1.2"}),
    );
    assert_eq!(result["applied"], true, "{result}");
    let edit = client.wait_for("the edit", |m| m["method"] == "workspace/applyEdit");
    let mut buffer = TextBuffer::new(PLAN);
    apply(&mut buffer, &edit);
    assert_eq!(buffer.text, expanded_plan());
    let request = &fake.requests()[0];
    assert_eq!(request.path, "/v1/messages");
    assert_eq!(request.header("x-api-key"), Some(KEY));
    assert!(request.header("anthropic-version").is_some());
    let body: Value = request.body.clone();
    assert_eq!(body["tools"][0]["input_schema"]["type"], "object");
    assert_no_key(&client, Some(&fake));
}

const WBS: &str = "\
# Work Breakdown Structure – Shop

## 1. Orders

- Take orders from the storefront
- Keep stock in step with orders

## 2. Delivery

- Ship orders to customers
";

fn stage_answer(stage: u32) -> String {
    json!({"tasks": [{
        "title": format!("Orders work of stage {stage}"),
        "children": [
            {"title": "Create the order intake module"},
            {"title": "Add the order status endpoint"}
        ]
    }]})
    .to_string()
}

#[test]
fn generate_writes_the_task_list_and_the_outcomes_file() {
    let fake = FakeLlm::start_blocking(
        (1..=3)
            .map(|s| Reply::OpenAi {
                text: stage_answer(s),
            })
            .collect(),
    );
    let workspace = Workspace::new(&openai_table(&fake, ""));
    std::fs::write(workspace.path("wbs.md"), WBS).unwrap();
    let uri = workspace.uri("wbs.md");
    let mut client = start(&workspace);
    client.did_open(&uri, 1, WBS);
    let actions = client.call(
        "textDocument/codeAction",
        json!({
            "textDocument": {"uri": uri},
            "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
            "context": {"diagnostics": [], "only": ["source"]}
        }),
    );
    let titles: Vec<&str> = actions
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert!(
        titles.contains(&"Generate a task list from this WBS (LLM)"),
        "{titles:?}"
    );
    assert!(
        titles.contains(&"Scaffold a three-stage task list from this WBS (no LLM)"),
        "{titles:?}"
    );

    let result = execute(&mut client, "wbs-lsp.generate", json!({"uri": uri}));
    assert_eq!(result["written"], true, "{result}");
    let list_path = workspace.path("ai_docs/tasks/tasks_list.md");
    let list = std::fs::read_to_string(&list_path).unwrap();
    assert!(
        list.starts_with(
            "# Shop – Task List\n\nExpanded from [wbs.md](../../wbs.md) by `wbs-lsp generate`.\n"
        ),
        "{list}"
    );
    assert!(list.contains("\n2.1 Orders work of stage 2 (Dependencies: None | Stage Gate: all tasks of 2.1 are done and verified)  \n  2.1.1 Create the order intake module  \n"), "{list}");
    let document = wbs_lsp::document::Document::new(&list, 0);
    let findings = wbs_lsp::analyze(document.line_items(), &Default::default());
    assert!(findings.is_empty(), "{findings:#?}");
    let outcomes =
        std::fs::read_to_string(workspace.path("ai_docs/tasks/task_outcomes.md")).unwrap();
    for group in ["1.1", "2.1", "3.1"] {
        assert!(
            outcomes.contains(&format!("## Task {group} – ")),
            "{outcomes}"
        );
    }
    let shown = client.wait_for("showDocument", |m| m["method"] == "window/showDocument");
    assert_eq!(shown["params"]["uri"], file_uri(&list_path));
    // Each stage was one request, in order.
    let requests = fake.requests();
    assert_eq!(requests.len(), 3);
    for (i, r) in requests.iter().enumerate() {
        let body: Value = r.body.clone();
        let user = body["messages"][1]["content"].as_str().unwrap();
        assert!(
            user.contains(&format!("Now write Stage {} only", i + 1)),
            "{user}"
        );
        assert!(user.contains("Take orders from the storefront"), "{user}");
    }

    // A second run asks before overwriting; Cancel keeps the file.
    std::fs::write(&list_path, "my own edits\n").unwrap();
    client.set_responder(|request| match request["method"].as_str() {
        Some("window/showMessageRequest") => Some(json!({"title": "Cancel"})),
        _ => None,
    });
    let result = execute(&mut client, "wbs-lsp.generate", json!({"uri": uri}));
    assert_eq!(result["written"], false, "{result}");
    let asked = client.wait_for("the question", |m| {
        m["method"] == "window/showMessageRequest"
    });
    let choices: Vec<&str> = asked["params"]["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(choices, ["Overwrite", "Open the existing file", "Cancel"]);
    assert_eq!(
        std::fs::read_to_string(&list_path).unwrap(),
        "my own edits\n"
    );
}

#[test]
fn a_users_prompt_template_replaces_the_built_in_prompt() {
    let fake = FakeLlm::start_blocking(
        (1..=3)
            .map(|s| Reply::OpenAi {
                text: stage_answer(s),
            })
            .collect(),
    );
    let workspace = Workspace::new(&openai_table(
        &fake,
        "prompt_template = \"prompts/mine.md\"\n",
    ));
    std::fs::create_dir_all(workspace.path("prompts")).unwrap();
    std::fs::write(
        workspace.path("prompts/mine.md"),
        "MY TEMPLATE: expand {{doc}} please",
    )
    .unwrap();
    std::fs::write(workspace.path("wbs.md"), WBS).unwrap();
    let uri = workspace.uri("wbs.md");
    let mut client = start(&workspace);
    client.did_open(&uri, 1, WBS);
    let result = execute(&mut client, "wbs-lsp.generate", json!({"uri": uri}));
    assert_eq!(result["written"], true, "{result}");
    let body: Value = fake.requests()[0].body.clone();
    let user = body["messages"][1]["content"].as_str().unwrap();
    assert!(
        user.starts_with("MY TEMPLATE: expand \n<wbs>\n# Work Breakdown Structure – Shop"),
        "{user}"
    );
}

#[test]
fn record_outcome_opens_the_groups_section() {
    let workspace = Workspace::new("");
    let path = workspace.path("tasks_list.md");
    std::fs::write(&path, PLAN).unwrap();
    let uri = workspace.uri("tasks_list.md");
    let mut client = start(&workspace);
    client.did_open(&uri, 1, PLAN);
    let line = PLAN.lines().position(|l| l.starts_with("1.1.C")).unwrap() as u32;
    let actions = client.call(
        "textDocument/codeAction",
        json!({
            "textDocument": {"uri": uri},
            "range": {"start": {"line": line, "character": 0}, "end": {"line": line, "character": 1}},
            "context": {"diagnostics": []}
        }),
    );
    let action = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"] == "Record the outcome of Task 1.1 in task_outcomes.md")
        .unwrap_or_else(|| panic!("{actions}"))
        .clone();
    let command = &action["command"];
    let result = client.call(
        "workspace/executeCommand",
        json!({"command": command["command"], "arguments": command["arguments"]}),
    );
    let outcomes = std::fs::read_to_string(workspace.path("task_outcomes.md")).unwrap();
    assert_eq!(
        outcomes,
        "# Task Outcomes\n\n## Task 1.1 – Service Skeleton\n\n_Waiting for Document Task 1.1._\n"
    );
    assert_eq!(result["line"], 2);
    let shown = client.wait_for("showDocument", |m| m["method"] == "window/showDocument");
    assert_eq!(shown["params"]["selection"]["start"]["line"], 4);
    // Again: the section is found, not added twice.
    let result = client.call(
        "workspace/executeCommand",
        json!({"command": command["command"], "arguments": command["arguments"]}),
    );
    assert_eq!(result["line"], 2);
    assert_eq!(
        std::fs::read_to_string(workspace.path("task_outcomes.md")).unwrap(),
        outcomes
    );
}

#[test]
fn fix_all_applies_through_the_editor() {
    let workspace = Workspace::new("");
    let uri = workspace.uri("tasks_list.md");
    let broken = PLAN.replace("1.1.B **Verify** Task 1.1\n", "");
    let mut client = start(&workspace);
    client.did_open(&uri, 1, &broken);
    let result = execute(&mut client, "wbs-lsp.fixAll", json!({"uri": uri}));
    assert_eq!(result["applied"], true, "{result}");
    let edit = client.wait_for("the edit", |m| m["method"] == "workspace/applyEdit");
    let mut buffer = TextBuffer::new(&broken);
    apply(&mut buffer, &edit);
    assert!(
        buffer.text.contains("1.1.B Verify Task 1.1\n"),
        "{}",
        buffer.text
    );
}

#[test]
fn scaffold_writes_a_skeleton_without_a_model() {
    let workspace = Workspace::new("");
    std::fs::create_dir_all(workspace.path("docs")).unwrap();
    std::fs::write(workspace.path("docs/wbs.md"), WBS).unwrap();
    let uri = workspace.uri("docs/wbs.md");
    let mut client = start(&workspace);
    client.did_open(&uri, 1, WBS);
    let result = execute(&mut client, "wbs-lsp.scaffold", json!({"uri": uri}));
    assert_eq!(result["written"], true, "{result}");
    let list = std::fs::read_to_string(workspace.path("ai_docs/tasks/tasks_list.md")).unwrap();
    assert!(list.contains("[wbs.md](../../docs/wbs.md)"), "{list}");
    assert!(list.contains("### Stage 1: CORE"), "{list}");
    assert!(list.contains("Take orders from the storefront"), "{list}");
    let document = wbs_lsp::document::Document::new(&list, 0);
    let findings = wbs_lsp::analyze(document.line_items(), &Default::default());
    assert!(
        findings
            .iter()
            .all(|f| f.code.as_str() == "non-atomic" || f.severity.as_str() != "error"),
        "{findings:#?}"
    );
    assert!(workspace.path("ai_docs/tasks/task_outcomes.md").is_file());
}

/// Answers every question with `title` and applies every edit.
fn answer_questions(client: &mut Client, title: &'static str) {
    client.set_responder(move |request| match request["method"].as_str() {
        Some("window/showMessageRequest") => Some(json!({ "title": title })),
        Some("workspace/applyEdit") => Some(json!({"applied": true})),
        _ => None,
    });
}

/// A `command` model (a line for `sh -c`) that answers with `intake_answer`, and the
/// folder holding its answer (kept while the command is used).
fn answering_command() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let answer = dir.path().join("answer.json");
    std::fs::write(&answer, intake_answer()).unwrap();
    let command = format!("cat >/dev/null; cat '{}'", answer.display());
    (dir, command)
}

fn expand_1_1_2(client: &mut Client, uri: &str) -> Value {
    execute(client, "wbs-lsp.expand", json!({"uri": uri, "id": "1.1.2"}))
}

#[test]
fn a_model_command_from_the_workspace_runs_only_once_the_user_agrees() {
    let (_answer_dir, command) = answering_command();
    let workspace = Workspace::new(&format!(
        "provider = \"command\"\ncommand = \"{command}\"\n"
    ));
    let uri = workspace.uri("tasks_list.md");
    let mut client = start(&workspace);
    client.did_open(&uri, 1, PLAN);
    client.wait_for_diagnostics(&uri, 1);
    let questions = |client: &Client| {
        client
            .inbox()
            .filter(|m| m["method"] == "window/showMessageRequest")
            .cloned()
            .collect::<Vec<_>>()
    };

    // Declined: nothing runs, and the user is told why.
    answer_questions(&mut client, "Do not run");
    let result = expand_1_1_2(&mut client, &uri);
    assert_eq!(result["applied"], false, "{result}");
    assert!(
        result["error"].as_str().unwrap().contains("was not run"),
        "{result}"
    );
    let asked = questions(&client);
    assert_eq!(asked.len(), 1);
    let message = asked[0]["params"]["message"].as_str().unwrap();
    assert!(message.contains(&command), "{message}");
    let choices: Vec<&str> = asked[0]["params"]["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(choices, ["Run it", "Do not run"]);

    // Agreed: it runs, and is not asked about again in this session.
    answer_questions(&mut client, "Run it");
    let result = expand_1_1_2(&mut client, &uri);
    assert_eq!(result["applied"], true, "{result}");
    answer_questions(&mut client, "Do not run");
    let result = expand_1_1_2(&mut client, &uri);
    assert_eq!(result["applied"], true, "{result}");
    assert_eq!(questions(&client).len(), 2);
}

#[test]
fn a_model_command_from_the_users_settings_runs_without_asking() {
    let (_answer_dir, command) = answering_command();
    let workspace = Workspace::new("");
    let root = file_uri(workspace.dir.path());
    let mut client = Client::spawn_with_env(&[], &[]);
    client.initialize_with(json!({
        "rootUri": root,
        "workspaceFolders": [{"uri": root, "name": "w"}],
        "initializationOptions": {"llm": {"provider": "command", "command": command}},
        "capabilities": {"workspace": {"applyEdit": true}},
    }));
    answer_questions(&mut client, "Do not run");
    let uri = workspace.uri("tasks_list.md");
    client.did_open(&uri, 1, PLAN);
    client.wait_for_diagnostics(&uri, 1);
    let result = expand_1_1_2(&mut client, &uri);
    assert_eq!(result["applied"], true, "{result}");
    assert!(!client
        .inbox()
        .any(|m| m["method"] == "window/showMessageRequest"));
}

#[test]
fn a_key_is_not_sent_to_an_endpoint_from_the_workspace_unless_the_user_agrees() {
    // Declined here, so nothing is sent anywhere (the host does not exist either).
    let workspace = Workspace::new(&format!(
        "base_url = \"https://llm.example.invalid/v1\"\nmodel = \"m\"\napi_key_env = \"{KEY_ENV}\"\n"
    ));
    let uri = workspace.uri("tasks_list.md");
    let mut client = start(&workspace);
    client.did_open(&uri, 1, PLAN);
    client.wait_for_diagnostics(&uri, 1);
    answer_questions(&mut client, "Do not send");
    let result = expand_1_1_2(&mut client, &uri);
    assert_eq!(result["applied"], false, "{result}");
    assert!(
        result["error"].as_str().unwrap().contains("was not sent"),
        "{result}"
    );
    let asked = client.wait_for("the question", |m| {
        m["method"] == "window/showMessageRequest"
    });
    let message = asked["params"]["message"].as_str().unwrap();
    assert!(
        message.contains(KEY_ENV) && message.contains("https://llm.example.invalid/v1"),
        "{message}"
    );
    assert_no_key(&client, None);
}
