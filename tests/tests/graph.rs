//! `wbs-lsp graph` (the built binary) and `workspace/executeCommand wbs-lsp.writeGraph`
//! over stdio.
//!
//! The harness's `Client` answers every request from the server with `null`; the command
//! needs real answers (`"Cancel"`, `"Overwrite"`, `{"success": true}`), so this file has a
//! small client of its own that answers the server's requests as each test says.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};

use serde_json::{json, Value};
use wbs_lsp_e2e::{file_uri, repo_root, run_binary, server_binary, timeout};

// ---------------------------------------------------------------------------------------
// The command line

fn stdout_of(args: &[&str]) -> String {
    let output = run_binary(args, &repo_root());
    assert_eq!(
        output.status.code(),
        Some(0),
        "wbs-lsp {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.stderr.is_empty(), "{args:?}: stderr not empty");
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

#[test]
fn mermaid_is_the_default_at_level_3() {
    let out = stdout_of(&["graph", "examples/tasks_list.md"]);
    assert!(
        out.starts_with("flowchart TD\n    subgraph s1[\"Stage 1\"]\n"),
        "{out}"
    );
    for line in [
        "        n1[\"1 CORE – Catalog #38; Stock Foundations\"]\n",
        "        n1_2_A[\"1.2.A Validate core functionality of Task 1.2\"]\n",
        "    u1_7[\"? 1.7 (unknown)\"]\n",
        "    n1 --> n2\n",
        "    n2_1 --> n2_3\n",
        "    u1_7 -.-> n2_3\n",
        "    class u1_7 unknown\n",
    ] {
        assert!(out.contains(line), "no {line:?} in\n{out}");
    }
    assert_eq!(out.matches("subgraph").count(), 3, "{out}");
    assert!(!out.contains("n1_2_3_"), "{out}");
    assert_eq!(
        out,
        stdout_of(&[
            "graph",
            "examples/tasks_list.md",
            "--format",
            "mermaid",
            "--level",
            "3"
        ])
    );
}

#[test]
fn dot_with_a_level() {
    let out = stdout_of(&[
        "graph",
        "examples/tasks_list.md",
        "--format",
        "dot",
        "--level",
        "2",
    ]);
    assert!(out.starts_with("digraph tasks {\n"), "{out}");
    assert!(out.ends_with("}\n"), "{out}");
    for line in [
        "    subgraph cluster_1 {\n",
        "    subgraph cluster_3 {\n",
        "        n1_2 [label=\"1.2 Catalog & Stock Model\"];\n",
        "    u1_7 [label=\"? 1.7 (unknown)\", color=\"#d32f2f\", fontcolor=\"#d32f2f\", style=\"rounded,dashed\"];\n",
        "    n1_2 -> n2_1;\n",
        "    u1_7 -> n2_3 [color=\"#d32f2f\", style=dashed];\n",
    ] {
        assert!(out.contains(line), "no {line:?} in\n{out}");
    }
    assert!(!out.contains("n1_2_1"), "level 3 drawn at level 2:\n{out}");
    let all = stdout_of(&[
        "graph",
        "--level",
        "all",
        "--format",
        "dot",
        "examples/tasks_list.md",
    ]);
    assert!(all.contains("n1_2_3 [label="), "{all}");
}

/// `docs/graph.svg` (in the README) is Graphviz's drawing of
/// `graph examples/tasks_list.md --format dot --level 2`: the same nodes and edges.
#[test]
fn the_readme_picture_is_current() {
    let dot = stdout_of(&[
        "graph",
        "examples/tasks_list.md",
        "--format",
        "dot",
        "--level",
        "2",
    ]);
    let mut from_dot = BTreeSet::new();
    for line in dot.lines().map(str::trim) {
        let head = line.split(" [").next().unwrap_or("").trim_end_matches(';');
        if let Some((a, b)) = head.split_once(" -> ") {
            from_dot.insert(format!("{a}->{b}"));
        } else if (line.starts_with('n') || line.starts_with('u')) && head != "node" {
            from_dot.insert(head.to_string());
        }
    }
    let svg = std::fs::read_to_string(repo_root().join("docs/graph.svg")).expect("docs/graph.svg");
    let from_svg: BTreeSet<String> = svg
        .split("<title>")
        .skip(1)
        .filter_map(|s| s.split("</title>").next())
        .map(|t| t.replace("&#45;", "-").replace("&gt;", ">"))
        .filter(|t| t != "tasks" && !t.starts_with("cluster_"))
        .collect();
    assert_eq!(
        from_svg, from_dot,
        "docs/graph.svg is stale: redraw it as the README says"
    );
}

/// The README's Mermaid example is what the command prints for the task list above it.
#[test]
fn the_readme_mermaid_example_is_current() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let section = readme
        .split("## Dependency graph\n")
        .nth(1)
        .expect("a Dependency graph section");
    let block = |fence: &str| -> String {
        let start = section.find(fence).unwrap_or_else(|| panic!("no {fence}")) + fence.len();
        let end = start + section[start..].find("```\n").expect("a closing fence");
        section[start..end].to_string()
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tasks.md"), block("```markdown\n")).unwrap();
    let output = run_binary(&["graph", "tasks.md"], dir.path());
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        block("```mermaid\n"),
        "the README's Mermaid example is stale"
    );
}

#[test]
fn errors_name_the_problem_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("latin1.md"), b"1.1 Caf\xe9\n").unwrap();
    for (args, says) in [
        (vec!["graph"], "which file?"),
        (vec!["graph", "missing.md"], "missing.md: no such file"),
        (vec!["graph", "latin1.md"], "latin1.md: not UTF-8 text"),
        (
            vec!["graph", "latin1.md", "--format", "png"],
            "--format takes mermaid or dot, not \"png\"",
        ),
        (
            vec!["graph", "latin1.md", "--level", "-1"],
            "--level takes a number from 1 or `all`",
        ),
        (
            vec!["graph", "latin1.md", "--depth", "2"],
            "unknown option --depth",
        ),
    ] {
        let output = run_binary(&args, dir.path());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(output.stdout.is_empty(), "{args:?}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
    let help = run_binary(&["--help"], dir.path());
    assert!(String::from_utf8_lossy(&help.stdout).contains("wbs-lsp graph FILE"));
}

// ---------------------------------------------------------------------------------------
// The command over stdio

/// A client that answers the server's requests with `answer(method, params)`.
struct Session {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    next_id: i64,
}

impl Session {
    /// Starts the server with `folder` as the only workspace folder.
    fn start(folder: &Path) -> Session {
        let mut child = Command::new(server_binary())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting wbs-lsp");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, messages) = mpsc::channel();
        std::thread::spawn(move || read_messages(BufReader::new(stdout), tx));
        let mut session = Session {
            child,
            stdin,
            messages,
            next_id: 0,
        };
        let folder_uri = file_uri(folder);
        let init = session.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": folder_uri,
                "workspaceFolders": [{"uri": folder_uri, "name": "w"}],
                "capabilities": {"window": {"showDocument": {"support": true}}}
            }),
            |_, _| Value::Null,
        );
        assert!(init.0.get("result").is_some(), "{}", init.0);
        session.send(&json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}));
        session
    }

    fn send(&mut self, message: &Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len())
            .and_then(|()| self.stdin.flush())
            .expect("writing to the server");
    }

    fn open(&mut self, uri: &str, text: &str) {
        self.send(
            &json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
                "textDocument": {"uri": uri, "languageId": "markdown", "version": 1, "text": text}
            }}),
        );
    }

    /// Sends a request and waits for its response, answering the server's requests on the
    /// way; returns the response and the server's requests (method and params) in order.
    fn request(
        &mut self,
        method: &str,
        params: Value,
        answer: impl Fn(&str, &Value) -> Value,
    ) -> (Value, Vec<(String, Value)>) {
        self.next_id += 1;
        let id = json!(self.next_id);
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        let mut asked = Vec::new();
        loop {
            let message = self
                .messages
                .recv_timeout(timeout())
                .unwrap_or_else(|e| panic!("waiting for the response to {method}: {e}"));
            match (
                message.get("id"),
                message.get("method").and_then(Value::as_str),
            ) {
                (Some(server_id), Some(server_method)) => {
                    let params = message.get("params").cloned().unwrap_or(Value::Null);
                    let result = answer(server_method, &params);
                    self.send(&json!({"jsonrpc": "2.0", "id": server_id, "result": result}));
                    asked.push((server_method.to_string(), params));
                }
                (Some(response_id), None) if *response_id == id => return (message, asked),
                _ => {} // notifications (diagnostics, log messages)
            }
        }
    }

    fn write_graph(
        &mut self,
        argument: Value,
        answer: impl Fn(&str, &Value) -> Value,
    ) -> (Value, Vec<(String, Value)>) {
        self.request(
            "workspace/executeCommand",
            json!({"command": "wbs-lsp.writeGraph", "arguments": [argument]}),
            answer,
        )
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_messages(mut input: impl BufRead, tx: mpsc::Sender<Value>) {
    loop {
        let mut length = 0;
        loop {
            let mut line = String::new();
            if input.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(value) = line.strip_prefix("Content-Length:") {
                length = value.trim().parse().expect("a length");
            }
        }
        let mut body = vec![0; length];
        if input.read_exact(&mut body).is_err() {
            return;
        }
        let message = serde_json::from_slice(&body).expect("a JSON body");
        if tx.send(message).is_err() {
            return;
        }
    }
}

/// The client's answers: a choice for `showMessageRequest`, success for `showDocument`.
fn choosing(choice: &'static str) -> impl Fn(&str, &Value) -> Value {
    move |method, _| match method {
        "window/showMessageRequest" => json!({"title": choice}),
        "window/showDocument" => json!({"success": true}),
        _ => Value::Null,
    }
}

fn methods(asked: &[(String, Value)]) -> Vec<&str> {
    asked.iter().map(|(m, _)| m.as_str()).collect()
}

const TASKS: &str = "\
### Stage 1: CORE – Base
(Dependencies: None | Stage Gate: ok)

1.1 Storage <Layer> (Dependencies: None | Stage Gate: tables exist)
  1.1.1 Create the items table migration
1.2 API (Dependencies: 1.1, 1.3 | Stage Gate: answers)
  1.2.1 Add the items endpoint
1.3 Client (Dependencies: 1.2, 1.9 | Stage Gate: calls)
  1.3.1 Add the client
";

/// What the server writes for `TASKS` saved as `tasks.md`: the page around what
/// `wbs-lsp graph` prints.
fn expected_page(dir: &Path) -> String {
    let output = run_binary(&["graph", "tasks.md"], dir);
    assert_eq!(output.status.code(), Some(0));
    let mermaid = String::from_utf8(output.stdout).unwrap();
    assert!(mermaid.contains("u1_9 -.-> n1_3"), "{mermaid}");
    assert!(
        mermaid.contains("linkStyle 1,2 stroke:#d32f2f"),
        "{mermaid}"
    );
    format!(
        "# Dependency graph of tasks.md\n\n\
         Written by wbs-lsp from tasks.md: each arrow goes from a task to a task that depends \
         on it; red marks dependency cycles and references to IDs that are not in the list. \
         Run the `wbs-lsp.writeGraph` command again to refresh it.\n\n\
         ```mermaid\n{mermaid}```\n"
    )
}

#[test]
fn write_graph_writes_the_page_and_shows_it() {
    let dir = tempfile::tempdir().unwrap();
    let tasks = dir.path().join("tasks.md");
    std::fs::write(&tasks, TASKS).unwrap();
    let uri = file_uri(&tasks);
    let page = dir.path().join("tasks.graph.md");
    let page_uri = file_uri(&page);

    let mut session = Session::start(dir.path());
    session.open(&uri, TASKS);
    let (response, asked) = session.write_graph(json!(uri), choosing("Cancel"));
    assert_eq!(
        response["result"],
        json!({"uri": page_uri, "written": true, "shown": true}),
        "{response}"
    );
    assert_eq!(methods(&asked), ["window/showDocument"]);
    assert_eq!(
        asked[0].1,
        json!({"uri": page_uri, "external": false, "takeFocus": true})
    );
    assert_eq!(
        std::fs::read_to_string(&page).unwrap(),
        expected_page(dir.path())
    );

    // Run again with nothing changed: nothing to ask, the page is shown again.
    let (response, asked) = session.write_graph(json!({"uri": uri}), choosing("Cancel"));
    assert_eq!(response["result"]["written"], false, "{response}");
    assert_eq!(methods(&asked), ["window/showDocument"]);

    // The object form takes a level.
    let (response, _) = session.write_graph(json!({"uri": uri, "level": 1}), choosing("Overwrite"));
    assert_eq!(response["result"]["written"], true, "{response}");
    let text = std::fs::read_to_string(&page).unwrap();
    assert!(!text.contains("n1_1"), "{text}");
    assert!(text.contains("n1[\"1 CORE – Base\"]"), "{text}");
}

#[test]
fn write_graph_asks_before_overwriting() {
    let dir = tempfile::tempdir().unwrap();
    let tasks = dir.path().join("tasks.md");
    std::fs::write(&tasks, TASKS).unwrap();
    let uri = file_uri(&tasks);
    let page = dir.path().join("tasks.graph.md");
    std::fs::write(&page, "my own notes\n").unwrap();

    let mut session = Session::start(dir.path());
    session.open(&uri, TASKS);
    let (response, asked) = session.write_graph(json!(uri), choosing("Cancel"));
    assert_eq!(response["result"]["written"], false, "{response}");
    assert_eq!(methods(&asked), ["window/showMessageRequest"]);
    let question = &asked[0].1;
    assert_eq!(question["type"], 2, "a warning: {question}");
    assert!(
        question["message"]
            .as_str()
            .unwrap()
            .contains("tasks.graph.md exists"),
        "{question}"
    );
    assert_eq!(
        question["actions"],
        json!([{"title": "Overwrite"}, {"title": "Cancel"}])
    );
    assert_eq!(std::fs::read_to_string(&page).unwrap(), "my own notes\n");

    let (response, asked) = session.write_graph(json!(uri), choosing("Overwrite"));
    assert_eq!(response["result"]["written"], true, "{response}");
    assert_eq!(
        methods(&asked),
        ["window/showMessageRequest", "window/showDocument"]
    );
    assert_eq!(
        std::fs::read_to_string(&page).unwrap(),
        expected_page(dir.path())
    );
}

#[test]
fn write_graph_refuses_outside_the_workspace_and_unknown_commands() {
    let workspace = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let tasks = elsewhere.path().join("tasks.md");
    std::fs::write(&tasks, TASKS).unwrap();
    let uri = file_uri(&tasks);

    let mut session = Session::start(workspace.path());
    session.open(&uri, TASKS);
    let (response, asked) = session.write_graph(json!(uri), choosing("Overwrite"));
    assert!(asked.is_empty(), "{asked:?}");
    assert_eq!(response["error"]["code"], -32803, "{response}");
    let message = response["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("outside the workspace folders"),
        "{message}"
    );
    assert!(!elsewhere.path().join("tasks.graph.md").exists());

    let closed = file_uri(&workspace.path().join("closed.md"));
    let (response, _) = session.write_graph(json!(closed), choosing("Overwrite"));
    assert_eq!(response["error"]["code"], -32602, "{response}");
    assert!(
        response["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no open document"),
        "{response}"
    );

    let (response, _) = session.request(
        "workspace/executeCommand",
        json!({"command": "wbs-lsp.drawSomething", "arguments": []}),
        choosing("Cancel"),
    );
    assert_eq!(response["error"]["code"], -32602, "{response}");
    assert!(
        response["error"]["message"]
            .as_str()
            .unwrap()
            .contains("wbs-lsp.drawSomething"),
        "{response}"
    );
}
