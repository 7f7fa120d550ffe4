//! Code actions, prepareRename and rename over stdio, applied the way a client applies
//! them: request, apply the returned `documentChanges` to the text (positions in the
//! negotiated encoding), send the new text, and check the text and the diagnostics.
//!
//! Most fixes run on the examples (`examples/tasks_list.md`, `examples/nested_list.md`),
//! whose deliberate defects are one of each kind.

use serde_json::{json, Value};
use wbs_lsp_e2e::{brief, fixture, range, repo_root, Client};

const URI: &str = "file:///tmp/actions/tasks_list.md";
const NESTED_URI: &str = "file:///tmp/actions/nested_tasks.md";
const DEMO_URI: &str = "file:///tmp/actions/tasks_demo.md";

fn example(name: &str) -> String {
    let path = repo_root().join("examples").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A push client (no pull capability), UTF-8 positions when `utf8`.
fn start(utf8: bool) -> Client {
    let mut client = Client::spawn();
    let general = if utf8 {
        json!({"positionEncodings": ["utf-8", "utf-16"]})
    } else {
        json!({})
    };
    let result = client.initialize(json!({"general": general}));
    let expected = if utf8 { "utf-8" } else { "utf-16" };
    assert_eq!(result["capabilities"]["positionEncoding"], expected);
    client
}

/// The byte offset of an LSP position in `text` (UTF-16 or UTF-8 columns).
fn offset(text: &str, position: &Value, utf8: bool) -> usize {
    let line = position["line"].as_u64().expect("line") as usize;
    let character = position["character"].as_u64().expect("character") as usize;
    let mut start = 0;
    for _ in 0..line {
        start += text[start..].find('\n').expect("a line in range") + 1;
    }
    let line_text = &text[start..];
    let line_end = line_text.find(['\r', '\n']).unwrap_or(line_text.len());
    if utf8 {
        assert!(character <= line_end, "column {character} past line {line}");
        assert!(line_text.is_char_boundary(character), "inside a character");
        return start + character;
    }
    let mut units = 0;
    for (i, c) in line_text[..line_end].char_indices() {
        if units == character {
            return start + i;
        }
        units += c.len_utf16();
        assert!(units <= character, "column {character} inside a character");
    }
    assert_eq!(units, character, "column past the end of line {line}");
    start + line_end
}

/// Applies a `WorkspaceEdit` with `documentChanges` for `uri` at `version` to `text`, as
/// a client does: every range refers to the text before the edit, inserts at one position
/// keep their order.
fn apply_workspace_edit(text: &str, edit: &Value, uri: &str, version: i64, utf8: bool) -> String {
    assert!(edit.get("changes").is_none(), "{edit}");
    let changes = edit["documentChanges"].as_array().expect("documentChanges");
    assert_eq!(changes.len(), 1, "{edit}");
    assert_eq!(changes[0]["textDocument"]["uri"], uri);
    assert_eq!(
        changes[0]["textDocument"]["version"], version,
        "a versioned edit"
    );
    let mut edits: Vec<(usize, usize, usize, String)> = changes[0]["edits"]
        .as_array()
        .expect("edits")
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let start = offset(text, &e["range"]["start"], utf8);
            let end = offset(text, &e["range"]["end"], utf8);
            assert!(start <= end, "{e}");
            (
                start,
                end,
                i,
                e["newText"].as_str().expect("newText").to_string(),
            )
        })
        .collect();
    edits.sort_by_key(|(start, end, i, _)| (*start, *end, *i));
    for pair in edits.windows(2) {
        assert!(pair[0].1 <= pair[1].0, "overlapping edits in {edit}");
    }
    let mut out = text.to_string();
    for (start, end, _, new_text) in edits.into_iter().rev() {
        out.replace_range(start..end, &new_text);
    }
    out
}

/// `(code, message)` of each diagnostic, sorted: what "the same diagnostics" means when
/// lines move.
fn codes_and_messages(diagnostics: &[Value]) -> Vec<(String, String)> {
    let mut list: Vec<(String, String)> = diagnostics
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap_or("").to_string(),
                without_line_numbers(d["message"].as_str().unwrap_or("")),
            )
        })
        .collect();
    list.sort();
    list
}

/// A message with `line N` turned into `line #` (a duplicate's message names the line of
/// the first occurrence, which moves when lines are inserted above it).
fn without_line_numbers(message: &str) -> String {
    let mut out = String::new();
    let mut rest = message;
    while let Some(p) = rest.find("line ") {
        out.push_str(&rest[..p + 5]);
        rest = &rest[p + 5..];
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits > 0 {
            out.push('#');
            rest = &rest[digits..];
        }
    }
    out.push_str(rest);
    out
}

/// One open document and what the client knows of it.
struct Session {
    client: Client,
    uri: &'static str,
    text: String,
    version: i64,
    utf8: bool,
    diagnostics: Vec<Value>,
}

impl Session {
    fn open(uri: &'static str, text: &str, utf8: bool) -> Session {
        let mut client = start(utf8);
        client.did_open(uri, 1, text);
        let diagnostics = client.wait_for_diagnostics(uri, 1);
        Session {
            client,
            uri,
            text: text.to_string(),
            version: 1,
            utf8,
            diagnostics,
        }
    }

    /// `textDocument/codeAction` for a range, with these context fields.
    fn actions_in(&mut self, range: Value, context: Value) -> Vec<Value> {
        let result = self.client.call(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": self.uri}, "range": range, "context": context}),
        );
        result.as_array().cloned().unwrap_or_default()
    }

    /// The actions for a Helix-like one-character range at (line, character), with the
    /// diagnostics of that line in the context.
    fn actions_at(&mut self, line: u32, character: u32) -> Vec<Value> {
        let on_line: Vec<Value> = self
            .diagnostics
            .iter()
            .filter(|d| d["range"]["start"]["line"] == line)
            .cloned()
            .collect();
        self.actions_in(
            range(line, character, line, character + 1),
            json!({"diagnostics": on_line, "triggerKind": 1}),
        )
    }

    /// Applies an action's edit, sends the new text, and takes the new diagnostics.
    fn apply(&mut self, action: &Value) {
        let new_text = apply_workspace_edit(
            &self.text,
            &action["edit"],
            self.uri,
            self.version,
            self.utf8,
        );
        self.set_text(new_text);
    }

    fn set_text(&mut self, new_text: String) {
        self.version += 1;
        self.client
            .did_change(self.uri, self.version as i32, json!([{ "text": new_text }]));
        self.text = new_text;
        self.diagnostics = self
            .client
            .wait_for_diagnostics(self.uri, self.version as i32);
    }

    /// Runs the action titled like `title` offered at (line, character): checks that its
    /// `diagnostics` are published ones of this line, applies it, and checks that exactly
    /// those diagnostics went away and nothing new came.
    fn fix(&mut self, line: u32, character: u32, title: &str) -> Value {
        let actions = self.actions_at(line, character);
        let action = find(&actions, title);
        let fixed: Vec<Value> = action["diagnostics"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(!fixed.is_empty(), "{action}");
        for d in &fixed {
            assert!(
                self.diagnostics.contains(d),
                "{d} is not a published diagnostic: {:#?}",
                self.diagnostics
            );
        }
        let mut expected = codes_and_messages(&self.diagnostics);
        for gone in codes_and_messages(&fixed) {
            let at = expected
                .iter()
                .position(|e| *e == gone)
                .expect("fixed once");
            expected.remove(at);
        }
        self.apply(&action);
        assert_eq!(
            codes_and_messages(&self.diagnostics),
            expected,
            "after {:?}:\n{}",
            action["title"],
            self.text
        );
        action
    }
}

fn titles(actions: &[Value]) -> Vec<&str> {
    actions
        .iter()
        .map(|a| a["title"].as_str().unwrap_or(""))
        .collect()
}

fn find(actions: &[Value], title: &str) -> Value {
    actions
        .iter()
        .find(|a| a["title"].as_str().is_some_and(|t| t.contains(title)))
        .unwrap_or_else(|| panic!("no action like {title:?} in {:#?}", titles(actions)))
        .clone()
}

/// `text` with line `line` (1-based) replaced by `with` (several lines allowed).
fn replace_line(text: &str, line: usize, with: &str) -> String {
    let mut lines: Vec<&str> = text.split_inclusive('\n').collect();
    let replacement = format!("{with}\n");
    lines[line - 1] = &replacement;
    lines.concat()
}

// ---------------------------------------------------------------------------------------
// Quick fixes, one per code, on the examples.

#[test]
fn missing_check_tasks_inserts_the_verify_task_between() {
    let original = example("tasks_list.md");
    let mut s = Session::open(URI, &original, false);
    // Helix sends a one-character range on the group's ID; the context may be empty.
    let actions = s.actions_in(range(75, 0, 75, 1), json!({"diagnostics": []}));
    let action = find(&actions, "Add the Verify task 2.2.B to Phase 2.2");
    assert_eq!(action["kind"], "quickfix");
    assert_eq!(action["isPreferred"], true);
    let published = s
        .diagnostics
        .iter()
        .find(|d| d["code"] == "missing-check-tasks")
        .unwrap()
        .clone();
    assert_eq!(action["diagnostics"], json!([published]));
    s.fix(75, 0, "Add the Verify task 2.2.B");
    assert_eq!(
        s.text,
        original.replace(
            "2.2.A **Validate** integration of Task 2.2\n",
            "2.2.A **Validate** integration of Task 2.2\n2.2.B Verify Task 2.2\n"
        )
    );
    assert_eq!(s.client.shutdown_and_exit().code(), Some(0));
}

#[test]
fn missing_stage_gate_goes_beside_the_dependencies() {
    let original = example("tasks_list.md");
    let mut s = Session::open(URI, &original, false);
    let action = s.fix(41, 1, "Add a Stage Gate to Phase 1.3");
    assert!(
        action["title"].as_str().unwrap().contains("TODO"),
        "{action}"
    );
    assert_eq!(
        s.text,
        replace_line(
            &original,
            42,
            "1.3 Reservation API (Dependencies: 1.2 | Stage Gate: TODO: what must hold before moving on)"
        )
    );
}

#[test]
fn non_atomic_splits_and_renumbers_the_following_tasks() {
    let original = example("tasks_list.md");
    let mut s = Session::open(URI, &original, false);
    s.fix(33, 3, "Split Task 1.2.3 into 2 tasks (1.2.3, 1.2.4)");
    let expected = original
        .replace(
            "  1.2.3 Implement the stock reservation service and write unit tests for it\n",
            "  1.2.3 Implement the stock reservation service\n  1.2.4 Write unit tests for it\n",
        )
        .replace("  1.2.4 Write seed fixtures", "  1.2.5 Write seed fixtures")
        .replace("  1.2.5 Add Alembic", "  1.2.6 Add Alembic");
    assert_eq!(s.text, expected);
}

#[test]
fn numbering_gap_renumbers_the_group() {
    let original = example("tasks_list.md");
    let mut s = Session::open(URI, &original, false);
    let action = s.fix(
        111,
        2,
        "Renumber the children of Phase 3.1 1..4 (3.1.4 → 3.1.3, 3.1.5 → 3.1.4)",
    );
    assert_eq!(action["isPreferred"], true);
    let expected = original
        .replace("  3.1.4 Add a staging", "  3.1.3 Add a staging")
        .replace("  3.1.5 Enable semantic", "  3.1.4 Enable semantic");
    assert_eq!(s.text, expected);
}

#[test]
fn unknown_dependency_is_replaced_or_removed() {
    let original = example("tasks_list.md");
    let mut s = Session::open(URI, &original, false);
    let actions: Vec<Value> = s
        .actions_at(84, 48)
        .into_iter()
        .filter(|a| a["kind"] == "quickfix")
        .collect();
    assert_eq!(
        titles(&actions),
        [
            "Replace 1.7 with 1.1 (Service Skeleton)",
            "Replace 1.7 with 1.2 (Catalog & Stock Model)",
            "Replace 1.7 with 1.3 (Reservation API)",
            "Remove reference 1.7"
        ]
    );
    s.fix(84, 48, "Replace 1.7 with 1.2");
    let line = "2.3 Warehouse Partner Sync (Dependencies: 2.1, LIST | Stage Gate: partner stock levels reconcile every night)";
    assert_eq!(
        s.text,
        replace_line(&original, 85, &line.replace("LIST", "1.2"))
    );

    let mut s = Session::open(URI, &original, false);
    s.fix(84, 48, "Remove reference 1.7");
    assert_eq!(
        s.text,
        replace_line(&original, 85, &line.replace(", LIST", ""))
    );
}

#[test]
fn check_task_wording_is_rewritten() {
    let original = example("tasks_list.md");
    let mut s = Session::open(URI, &original, false);
    s.fix(
        125,
        0,
        "Rewrite 3.2.C as \"Document Task 3.2 production deployment\"",
    );
    assert_eq!(
        s.text,
        replace_line(
            &original,
            126,
            "3.2.C Document Task 3.2 production deployment"
        )
    );

    let nested = example("nested_list.md");
    let mut s = Session::open(NESTED_URI, &nested, false);
    s.fix(61, 12, "Rewrite 2.2.B as \"Verify Task 2.2\"");
    assert_eq!(
        s.text,
        replace_line(&nested, 62, "  - [ ] **2.2.B** Verify Task 2.2")
    );
}

#[test]
fn duplicate_id_renumbers_the_group() {
    let nested = example("nested_list.md");
    let mut s = Session::open(NESTED_URI, &nested, false);
    s.fix(
        51,
        12,
        "Renumber the children of Phase 2.1 1..4 (2.1.3 → 2.1.4)",
    );
    assert_eq!(
        s.text,
        replace_line(
            &nested,
            52,
            "  - [ ] **2.1.4** Add exponential backoff for throttled sends"
        )
    );
}

#[test]
fn later_stage_dependency_reference_can_be_removed() {
    let nested = example("nested_list.md");
    let mut s = Session::open(NESTED_URI, &nested, false);
    s.fix(32, 24, "Remove reference 2.1");
    assert_eq!(s.text, replace_line(&nested, 33, "  - Dependencies: 1.2"));
}

#[test]
fn missing_notes_as_sub_bullets_like_the_siblings() {
    // Phase 1.2 of the nested example without its notes.
    let nested = example("nested_list.md").replace(
        "  - Dependencies: 1.1\n  - **Stage Gate:** every channel renders a sample template\n",
        "",
    );
    let mut s = Session::open(NESTED_URI, &nested, false);
    let actions = s.actions_at(22, 9);
    let quick: Vec<Value> = actions
        .iter()
        .filter(|a| a["kind"] == "quickfix")
        .cloned()
        .collect();
    assert_eq!(
        titles(&quick),
        [
            "Add Dependencies: 1.1 to Phase 1.2",
            "Add Dependencies: 1.1 and a Stage Gate to Phase 1.2 (then replace the TODO)",
            "Add a Stage Gate to Phase 1.2 (then replace the TODO with what must hold before moving on)",
        ]
    );
    let both = find(&actions, "Add Dependencies: 1.1 and a Stage Gate");
    assert_eq!(both["diagnostics"].as_array().unwrap().len(), 2);
    s.fix(22, 9, "Add Dependencies: 1.1 and a Stage Gate");
    assert_eq!(
        s.text,
        nested.replace(
            "- [ ] **1.2** Templates & Outbox\n",
            "- [ ] **1.2** Templates & Outbox\n  - Dependencies: 1.1\n  - **Stage Gate:** TODO: what must hold before moving on\n"
        )
    );
}

// ---------------------------------------------------------------------------------------
// Source actions.

/// The expected text of the tasks example after fix-all.
fn tasks_list_fixed(original: &str) -> String {
    let text = replace_line(
        original,
        126,
        "3.2.C Document Task 3.2 production deployment",
    );
    let text = replace_line(
        &text,
        42,
        "1.3 Reservation API (Dependencies: 1.2 | Stage Gate: TODO: what must hold before moving on)",
    );
    text.replace(
        "2.2.A **Validate** integration of Task 2.2\n",
        "2.2.A **Validate** integration of Task 2.2\n2.2.B Verify Task 2.2\n",
    )
    .replace("  3.1.4 Add a staging", "  3.1.3 Add a staging")
    .replace("  3.1.5 Enable semantic", "  3.1.4 Enable semantic")
}

fn fix_all(s: &mut Session) -> Option<Value> {
    let actions = s.actions_in(
        range(0, 0, 0, 0),
        json!({"diagnostics": [], "only": ["source.fixAll"], "triggerKind": 1}),
    );
    assert!(
        actions.iter().all(|a| a["kind"] == "source.fixAll.wbs-lsp"),
        "{actions:?}"
    );
    assert!(actions.len() <= 1);
    actions.into_iter().next()
}

#[test]
fn fix_all_round_trips_the_examples() {
    for (uri, name, left) in [
        (
            URI,
            "tasks_list.md",
            vec!["33:2-33:7 2 non-atomic", "85:47-85:50 1 unknown-dependency"],
        ),
        (
            NESTED_URI,
            "nested_list.md",
            vec!["32:23-32:26 1 later-stage-dependency"],
        ),
    ] {
        let original = example(name);
        let mut s = Session::open(uri, &original, false);
        let action = fix_all(&mut s).expect("a fix-all action");
        let fixed = action["diagnostics"].as_array().unwrap().len();
        assert_eq!(fixed, s.diagnostics.len() - left.len(), "{name}");
        s.apply(&action);
        assert_eq!(brief(&s.diagnostics), left, "{name}:\n{}", s.text);
        if name == "tasks_list.md" {
            assert_eq!(s.text, tasks_list_fixed(&original));
        } else {
            assert_eq!(
                s.text,
                replace_line(
                    &replace_line(
                        &original,
                        52,
                        "  - [ ] **2.1.4** Add exponential backoff for throttled sends"
                    ),
                    62,
                    "  - [ ] **2.2.B** Verify Task 2.2"
                )
            );
        }
        // A second time: nothing left to do.
        assert!(fix_all(&mut s).is_none(), "{name}");
        assert_eq!(s.client.shutdown_and_exit().code(), Some(0));
    }
}

#[test]
fn source_actions_and_only_filtering() {
    let original = example("tasks_list.md");
    let mut s = Session::open(URI, &original, false);
    let sources = s.actions_in(
        range(0, 0, 0, 0),
        json!({"diagnostics": [], "only": ["source"]}),
    );
    assert_eq!(
        titles(&sources),
        [
            "Add every missing check task (1 group)",
            "Renumber the whole document (3.1.4 → 3.1.3, 3.1.5 → 3.1.4)",
            "Fix all safe problems (4 diagnostics: numbering, check tasks, notes, wording)",
            "Write the dependency graph beside this file (Mermaid)"
        ]
    );
    // The graph action runs the server's command on this document.
    let graph = find(&sources, "Write the dependency graph");
    assert_eq!(graph["kind"], "source");
    assert_eq!(graph["command"]["command"], "wbs-lsp.writeGraph");
    assert_eq!(graph["command"]["arguments"], json!([URI]));
    // Quick fixes only: no source action; on a line without findings, nothing.
    let quick = s.actions_in(
        range(111, 2, 111, 3),
        json!({"diagnostics": [], "only": ["quickfix"]}),
    );
    assert!(quick.iter().all(|a| a["kind"] == "quickfix"), "{quick:?}");
    assert!(!quick.is_empty());
    let none = s.actions_in(
        range(1, 0, 1, 0),
        json!({"diagnostics": [], "only": ["quickfix"]}),
    );
    assert!(none.is_empty(), "{none:?}");
    // An automatic request (the cursor moved) without `only` computes no source action.
    let auto = s.actions_in(
        range(111, 2, 111, 2),
        json!({"diagnostics": [], "triggerKind": 2}),
    );
    assert!(
        auto.iter()
            .all(|a| a["kind"] == "quickfix" || a["kind"] == "refactor.rewrite"),
        "{auto:?}"
    );

    // The whole-document renumbering.
    s.apply(&find(&sources, "Renumber the whole document"));
    assert_eq!(
        s.text,
        original
            .replace("  3.1.4 Add a staging", "  3.1.3 Add a staging")
            .replace("  3.1.5 Enable semantic", "  3.1.4 Enable semantic")
    );
    // Every missing check task.
    let sources = s.actions_in(
        range(0, 0, 0, 0),
        json!({"diagnostics": [], "only": ["source"]}),
    );
    let before = s.diagnostics.len();
    s.apply(&find(&sources, "Add every missing check task"));
    assert!(s
        .text
        .contains("2.2.A **Validate** integration of Task 2.2\n2.2.B Verify Task 2.2\n2.2.C"));
    assert_eq!(s.diagnostics.len(), before - 1);
    assert!(!s
        .diagnostics
        .iter()
        .any(|d| d["code"] == "missing-check-tasks"));
}

#[test]
fn a_stale_edit_carries_the_version_it_was_made_for() {
    let original = example("tasks_list.md");
    let mut s = Session::open(URI, &original, false);
    let action = find(&s.actions_at(75, 0), "Add the Verify task");
    assert_eq!(
        action["edit"]["documentChanges"][0]["textDocument"]["version"],
        1
    );
    s.set_text(original.replace("Order Event Stream", "Order Event Stream v2"));
    let action = find(&s.actions_at(75, 0), "Add the Verify task");
    assert_eq!(
        action["edit"]["documentChanges"][0]["textDocument"]["version"],
        2
    );
}

#[test]
fn refactoring_renumbers_the_children_of_a_node() {
    let original = example("tasks_list.md");
    let mut s = Session::open(URI, &original, false);
    let actions = s.actions_in(
        range(108, 0, 108, 1),
        json!({"diagnostics": [], "only": ["refactor"]}),
    );
    let action = find(&actions, "Renumber the children of Phase 3.1");
    assert_eq!(action["kind"], "refactor.rewrite");
    s.apply(&action);
    assert!(!s.diagnostics.iter().any(|d| d["code"] == "numbering"));
}

// ---------------------------------------------------------------------------------------
// Rename.

#[test]
fn rename_renumbers_the_subtree_and_every_reference() {
    let demo = fixture("e2e/tasks_demo.md");
    let mut s = Session::open(DEMO_URI, &demo, false);
    // On the node's ID.
    let prepared = s.client.call(
        "textDocument/prepareRename",
        json!({"textDocument": {"uri": DEMO_URI}, "position": {"line": 5, "character": 1}}),
    );
    assert_eq!(
        prepared,
        json!({"range": range(5, 0, 5, 3), "placeholder": "1.1"})
    );
    // On a reference: the ID part.
    let prepared = s.client.call(
        "textDocument/prepareRename",
        json!({"textDocument": {"uri": DEMO_URI}, "position": {"line": 15, "character": 29}}),
    );
    assert_eq!(
        prepared,
        json!({"range": range(15, 28, 15, 31), "placeholder": "1.1"})
    );
    let edit = s.client.call(
        "textDocument/rename",
        json!({"textDocument": {"uri": DEMO_URI}, "position": {"line": 15, "character": 29}, "newName": "1.4"}),
    );
    let before = codes_and_messages(&s.diagnostics);
    let new_text = apply_workspace_edit(&s.text, &edit, DEMO_URI, 1, false);
    s.set_text(new_text);
    let mut expected = demo.clone();
    for (line, with) in [
        (
            6,
            "1.4 Storage Layer (Dependencies: None | Stage Gate: tables exist)",
        ),
        (7, "  1.4.1 Create the items table migration"),
        (
            8,
            "  1.4.2 Implement the item repository and add tests for it",
        ),
        (9, "  1.4.A Validate core functionality of Task 1.4"),
        (10, "  1.4.B Verify Task 1.4"),
        (11, "  1.4.C Document Task 1.4 implementation"),
        (
            16,
            "2.1 HTTP API (Dependencies: 1.4 | Stage Gate: endpoints respond)",
        ),
    ] {
        expected = replace_line(&expected, line, with);
    }
    assert_eq!(s.text, expected);
    // The same findings, now about 1.4, and a numbering gap the new number opens.
    let after = codes_and_messages(&s.diagnostics);
    let renamed: Vec<(String, String)> = before
        .iter()
        .map(|(c, m)| (c.clone(), m.replace("1.1.2", "1.4.2")))
        .collect();
    assert!(renamed.iter().all(|d| after.contains(d)), "{after:#?}");
    assert_eq!(after.len(), before.len() + 1);
    assert!(
        after.iter().any(|(c, m)| c == "numbering"
            && m.contains("1.4")
            && m.contains("1.1 to 1.3 are missing")),
        "{after:#?}"
    );
}

#[test]
fn rename_refuses_with_a_clear_message() {
    let demo = fixture("e2e/tasks_demo.md");
    let mut s = Session::open(DEMO_URI, &demo, false);
    let rename = |s: &mut Session, name: &str| {
        let response = s.client.request(
            "textDocument/rename",
            json!({"textDocument": {"uri": DEMO_URI}, "position": {"line": 5, "character": 0}, "newName": name}),
        );
        response["error"]["message"]
            .as_str()
            .unwrap_or_else(|| panic!("{response}"))
            .to_string()
    };
    assert!(rename(&mut s, "2.1").contains("2.1 already exists (Phase 2.1 on line 16"));
    assert!(rename(&mut s, "1.1.4").contains("cannot change a node's level"));
    assert!(rename(&mut s, "one").contains("not a task ID"));
    assert!(rename(&mut s, "4.1").contains("4 is not in this document"));
    let response = s.client.request(
        "textDocument/prepareRename",
        json!({"textDocument": {"uri": DEMO_URI}, "position": {"line": 0, "character": 2}}),
    );
    assert!(response["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Place the cursor on a task ID"));
    // An unknown reference has nothing to rename.
    let response = s.client.request(
        "textDocument/prepareRename",
        json!({"textDocument": {"uri": DEMO_URI}, "position": {"line": 3, "character": 21}}),
    );
    assert!(response["error"]["message"]
        .as_str()
        .unwrap()
        .contains("9.9 is not in this document"));
}

// ---------------------------------------------------------------------------------------
// Multibyte text before the edited positions, in both encodings.

/// The demo with a Stage Gate missing on a line with an en dash and an emoji before the
/// insertion point.
fn multibyte_demo() -> String {
    fixture("e2e/tasks_demo.md").replace(
        "1.1 Storage Layer (Dependencies: None | Stage Gate: tables exist)",
        "1.1 Storage – 😀 Layer (Dependencies: None)",
    )
}

fn multibyte(utf8: bool) {
    let demo = multibyte_demo();
    let mut s = Session::open(DEMO_URI, &demo, utf8);
    // `9.9` after `– 😀`: UTF-16 20..23, UTF-8 24..27.
    let (start, end) = if utf8 { (24, 27) } else { (20, 23) };
    let action = s.fix(3, start, "Remove reference 9.9");
    assert_eq!(action["diagnostics"][0]["range"], range(3, start, 3, end));
    let edits = &action["edit"]["documentChanges"][0]["edits"];
    assert_eq!(edits[0]["range"], range(3, 15, 3, end), "{edits}");
    assert_eq!(
        s.text,
        demo.replace(
            "(Dependencies: – 😀 9.9 | Stage Gate: ok)",
            "(Dependencies: None | Stage Gate: ok)"
        )
    );
    // The Stage Gate goes after `None` on the line with `–` and `😀` before it.
    let action = s.fix(5, 0, "Add a Stage Gate to Phase 1.1");
    let column = if utf8 {
        "1.1 Storage – 😀 Layer (Dependencies: None".len()
    } else {
        "1.1 Storage – 😀 Layer (Dependencies: None"
            .encode_utf16()
            .count()
    } as u32;
    let edits = &action["edit"]["documentChanges"][0]["edits"];
    assert_eq!(edits[0]["range"], range(5, column, 5, column), "{edits}");
    assert!(s.text.contains(
        "1.1 Storage – 😀 Layer (Dependencies: None | Stage Gate: TODO: what must hold before moving on)\n"
    ));
}

#[test]
fn multibyte_positions_in_utf16() {
    multibyte(false);
}

#[test]
fn multibyte_positions_in_utf8() {
    multibyte(true);
}

#[test]
fn crlf_documents_get_crlf_lines() {
    let original = example("tasks_list.md").replace('\n', "\r\n");
    let mut s = Session::open(URI, &original, false);
    s.fix(75, 0, "Add the Verify task 2.2.B");
    assert_eq!(
        s.text,
        original.replace(
            "2.2.A **Validate** integration of Task 2.2\r\n",
            "2.2.A **Validate** integration of Task 2.2\r\n2.2.B Verify Task 2.2\r\n"
        )
    );
}

#[test]
fn other_markdown_gets_no_actions() {
    let mut s = Session::open(
        "file:///tmp/actions/notes.md",
        "# Notes\n\n1.1 One thing\n",
        false,
    );
    let actions = s.actions_in(range(2, 0, 2, 1), json!({"diagnostics": []}));
    assert!(actions.is_empty(), "{actions:?}");
}

#[test]
fn a_pulling_client_gets_the_pulled_diagnostics_in_its_actions() {
    // VS Code pulls diagnostics and asks for actions with an empty range at the cursor.
    let mut client = Client::spawn();
    client.initialize(json!({"textDocument": {"diagnostic": {}}}));
    let demo = fixture("e2e/tasks_demo.md");
    client.did_open(DEMO_URI, 3, &demo);
    let report = client.call(
        "textDocument/diagnostic",
        json!({"textDocument": {"uri": DEMO_URI}}),
    );
    let items = report["items"].as_array().unwrap().clone();
    let split_diagnostic = items.iter().find(|d| d["code"] == "non-atomic").unwrap();
    let actions = client.call(
        "textDocument/codeAction",
        json!({
            "textDocument": {"uri": DEMO_URI},
            "range": range(7, 4, 7, 4),
            "context": {"diagnostics": [split_diagnostic], "triggerKind": 2}
        }),
    );
    let actions = actions.as_array().unwrap();
    let split = find(actions, "Split Task 1.1.2 into 2 tasks (1.1.2, 1.1.3)");
    assert_eq!(split["diagnostics"], json!([split_diagnostic]));
    assert_eq!(split["isPreferred"], true);
    let text = apply_workspace_edit(&demo, &split["edit"], DEMO_URI, 3, false);
    assert_eq!(
        text,
        demo.replace(
            "  1.1.2 Implement the item repository and add tests for it\n",
            "  1.1.2 Implement the item repository\n  1.1.3 Add tests for it\n"
        )
    );
    client.did_change(DEMO_URI, 4, json!([{ "text": text }]));
    let report = client.call(
        "textDocument/diagnostic",
        json!({"textDocument": {"uri": DEMO_URI}}),
    );
    let codes: Vec<&str> = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["unknown-dependency"]);
}
