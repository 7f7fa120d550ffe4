//! Expanding a node into atomic tasks.
//!
//! The model proposes children ([`ProposedTask`]s); everything that makes them fit the
//! document is done here, with the same model and rules as the diagnostics: numbering
//! under the node, the style of the document (indentation, list marker), Dependencies
//! and Stage Gate notes where a node's children need them, the check tasks of every new
//! task group. The rules then run on the result, and leaves still `non-atomic` are sent
//! back for another pass (the reference prompt's multi-pass refinement).
//!
//! The engine works on whole texts ([`insert_children`]); the caller turns the final
//! text into one line edit of the original ([`line_diff`]), so an edit computed for one
//! version of a document can be checked against another before it is applied.

use std::cmp::Reverse;

use serde_json::Value;

use crate::actions::{self, check_tasks, notes, Doc, Edit, Pos, Style};
use crate::config::Config;
use crate::document::Document;
use crate::llm::{parse_answer, tasks_schema, Event, Llm, LlmError, Prompt, ProposedTask};
use crate::model::id::TaskId;
use crate::model::line::NoteKey;
use crate::model::TaskTree;
use crate::rules::{self, Code};

/// The deepest level of the numbering (`Stage.Phase.Task.Subtask.Atomic`).
pub const MAX_LEVEL: usize = 5;

/// What each stage of the three-stage framework is for, as the prompt explains it.
pub fn stage_meaning(stage: u32) -> &'static str {
    match stage {
        1 => "CORE: foundation and test harness. Scaffolds, configuration and tooling; API endpoints backed by deterministic test scaffolds; models and repositories with seed data; test authentication; unit tests and minimal integration tests. No real external services yet.",
        2 => "INTEGRATION: real data and services. Real database connections and persistence, external providers (auth, messaging, storage), real data processing with validation and error handling, background jobs, complete auth; integration, workflow and API tests.",
        3 => "POLISH: production readiness. CI/CD, versioning, performance testing, production deployment and observability (monitoring, alerting, logging), security hardening, optimisation and scalability; end-to-end, load and security tests.",
        _ => "",
    }
}

const SYSTEM: &str = "You plan backend software work as hierarchical task lists for the three-stage framework (Stage 1 CORE, Stage 2 INTEGRATION, Stage 3 POLISH). \
An atomic task is one imperative action with one clear output, precise and self-contained, for example \
\"Create UserRepository class in app/database/repositories/user_repository.py with seed data support\" or \
\"Add integration test for user registration workflow\". Never join two actions with \"and\", \"then\" or \";\". \
Answer with JSON only: {\"stage_gate\": string, \"tasks\": [{\"title\": string, \"dependencies\": [string], \"stage_gate\": string, \"children\": [...]}]}. \
Titles start with an imperative verb and carry no numbers. Do not write Validate / Verify / Document check tasks: they are added for you. \
Give a task children only when it is not atomic itself; dependencies and stage_gate matter only for tasks with children.";

/// The WBS a task list came from, for the prompt.
#[derive(Clone, Debug)]
pub struct Source {
    pub name: String,
    pub text: String,
}

/// The largest WBS text put into a prompt.
const MAX_SOURCE_BYTES: usize = 60_000;

fn analysed(text: &str, config: &Config) -> (Document, Vec<rules::Finding>) {
    let doc = Document::new(text, 0);
    let findings = {
        let tree = TaskTree::from_lines(doc.line_items(), config.profile);
        rules::check(&tree, &config.rules)
    };
    (doc, findings)
}

/// The written, active node carrying `id`.
fn node_index(tree: &TaskTree, id: &TaskId) -> Option<usize> {
    tree.node_for(id)
        .filter(|&i| tree.nodes[i].written.is_some() && !tree.nodes[i].inactive)
}

fn no_node(id: &TaskId) -> String {
    format!("there is no task {id} in the document")
}

/// The prompt that asks for the children of node `id`.
pub fn prompt(
    text: &str,
    id: &TaskId,
    config: &Config,
    source: Option<&Source>,
) -> Result<Prompt, String> {
    let doc = Document::new(text, 0);
    let tree = TaskTree::from_lines(doc.line_items(), config.profile);
    let i = node_index(&tree, id).ok_or_else(|| no_node(id))?;
    let rope = doc.rope();
    let line = |n: usize| actions::line(rope, n).trim().to_string();
    let node = &tree.nodes[i];
    let mut user = String::new();
    if tree.three_stage() {
        let stage = id.stage();
        let meaning = stage_meaning(stage);
        if !meaning.is_empty() {
            user.push_str(&format!("The task belongs to Stage {stage}. {meaning}\n\n"));
        }
    }
    let ancestors: Vec<usize> = tree.ancestors(i).collect();
    if !ancestors.is_empty() {
        user.push_str("Where it stands (outermost first, with their notes):\n");
        for &a in ancestors.iter().rev() {
            let n = &tree.nodes[a];
            if n.written.is_none() {
                continue;
            }
            user.push_str(&format!("- {}\n", line(n.line)));
            for l in note_lines(n) {
                user.push_str(&format!("  {}\n", line(l)));
            }
        }
        user.push('\n');
    }
    let siblings: Vec<usize> = match node.parent {
        Some(p) => tree.nodes[p].children.clone(),
        None => tree.roots.clone(),
    };
    let others: Vec<String> = siblings
        .iter()
        .filter(|&&s| s != i && !tree.is_check_task(s) && tree.nodes[s].written.is_some())
        .map(|&s| format!("- {} {}", tree.nodes[s].id, tree.nodes[s].title()))
        .collect();
    if !others.is_empty() {
        user.push_str("Its siblings (already planned; do not repeat their work):\n");
        user.push_str(&others.join("\n"));
        user.push_str("\n\n");
    }
    let existing: Vec<String> = node
        .children
        .iter()
        .filter(|&&c| !tree.is_check_task(c) && tree.nodes[c].written.is_some())
        .map(|&c| format!("- {} {}", tree.nodes[c].id, tree.nodes[c].title()))
        .collect();
    if !existing.is_empty() {
        user.push_str("Its children so far (add only what is missing):\n");
        user.push_str(&existing.join("\n"));
        user.push_str("\n\n");
    }
    if let Some(source) = source {
        let mut wbs = source.text.as_str();
        if wbs.len() > MAX_SOURCE_BYTES {
            let mut cut = MAX_SOURCE_BYTES;
            while !wbs.is_char_boundary(cut) {
                cut -= 1;
            }
            wbs = &wbs[..cut];
        }
        user.push_str(&format!(
            "The work breakdown structure this plan was expanded from ({}):\n<wbs>\n{}\n</wbs>\n\n",
            source.name,
            wbs.trim_end()
        ));
    }
    let depth_left = MAX_LEVEL.saturating_sub(node.level());
    user.push_str(&format!(
        "Break this task into atomic child tasks (usually 2 to 8):\n{}\n",
        line(node.line)
    ));
    for l in note_lines(node) {
        user.push_str(&format!("{}\n", line(l)));
    }
    if depth_left <= 1 {
        user.push_str("\nThe children must be leaves: give them no children of their own.\n");
    }
    user.push_str("\nAlso give a stage_gate for the task itself: what must hold before the work after it can start.\n");
    Ok(Prompt {
        system: SYSTEM.to_string(),
        user,
        schema: Some(answer_schema()),
    })
}

/// The lines below a node that hold its notes, each once.
fn note_lines(node: &crate::model::Node) -> Vec<usize> {
    let mut lines: Vec<usize> = node
        .notes
        .iter()
        .map(|&(l, _)| l)
        .filter(|&l| l != node.line)
        .collect();
    lines.dedup();
    lines
}

/// The schema of an expansion answer: the tasks, and the expanded node's own gate.
pub fn answer_schema() -> Value {
    let mut schema = tasks_schema();
    if let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) {
        properties.insert(
            "stage_gate".to_string(),
            serde_json::json!({"type": "string"}),
        );
    }
    schema
}

/// The expanded node's own gate, when the answer is JSON that gives one.
pub fn answer_gate(answer: &str) -> Option<String> {
    let start = answer.find('{')?;
    let end = answer.rfind('}')?;
    let value: Value = serde_json::from_str(answer.get(start..=end)?).ok()?;
    let gate = value
        .get("stage_gate")
        .or_else(|| value.get("stageGate"))?
        .as_str()?;
    let gate = one_line(gate);
    (!gate.is_empty()).then_some(gate)
}

/// Text on one line, runs of white space collapsed; `|` would split a note, so it goes.
fn one_line(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "/")
}

/// Whether a proposed title is a check task the model wrote despite being told not to.
fn is_check_title(title: &str) -> bool {
    let lower = title.trim_start_matches(['*', '_']).to_ascii_lowercase();
    ["validate", "verify", "document"]
        .iter()
        .any(|verb| lower.starts_with(verb))
        && crate::model::line::named_task(title).is_some()
}

/// Proposals cleaned: titles on one line, check tasks and empty titles dropped, children
/// deeper than the numbering allows flattened away.
fn cleaned(proposals: &[ProposedTask], levels_left: usize) -> Vec<ProposedTask> {
    proposals
        .iter()
        .filter_map(|p| {
            let title = one_line(&p.title);
            if title.is_empty() || is_check_title(&title) {
                return None;
            }
            let children = if levels_left > 1 {
                cleaned(&p.children, levels_left - 1)
            } else {
                Vec::new()
            };
            Some(ProposedTask {
                title,
                dependencies: p.dependencies.iter().map(|d| one_line(d)).collect(),
                stage_gate: p.stage_gate.as_deref().map(one_line),
                children,
            })
        })
        .collect()
}

/// How the children of node `i` are written: like its existing children, else one
/// indentation step under it (a heading's children are plain lines).
fn child_style(doc: &Doc, i: usize) -> Style {
    let tree = doc.tree;
    if let Some(t) = doc.template_child(i, |c| !tree.is_check_task(c)) {
        if !tree.is_check_task(t) && tree.nodes[t].written.is_some() {
            return doc.style_of(t);
        }
    }
    let text = doc.line(tree.nodes[i].line);
    let trail = doc.style_of(i).trail;
    let indent: String = text
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect();
    let rest = &text[indent.len()..];
    if rest.starts_with('#') {
        return Style {
            before: String::new(),
            after: " ".to_string(),
            trail,
        };
    }
    let marker = list_marker(rest);
    Style {
        before: format!("{indent}  {marker}"),
        after: " ".to_string(),
        trail,
    }
}

/// A list marker with its checkbox at the start of `text` (`- `, `* [ ] `), or "".
fn list_marker(text: &str) -> String {
    let b = text.as_bytes();
    let mut p = match b.first() {
        Some(b'-' | b'*' | b'+') if b.get(1) == Some(&b' ') => 2,
        _ => return String::new(),
    };
    let mut marker = text[..p].to_string();
    if text[p..].starts_with("[ ] ")
        || text[p..].starts_with("[x] ")
        || text[p..].starts_with("[X] ")
    {
        marker.push_str("[ ] ");
        p += 4;
    }
    let _ = p;
    marker
}

/// One level deeper than `style`.
fn deeper(style: &Style) -> Style {
    Style {
        before: format!("  {}", style.before),
        ..style.clone()
    }
}

/// The Stage Gate of a new branch the model gave none for.
fn default_gate(id: &TaskId) -> String {
    format!("all tasks of {id} are done and verified")
}

/// The lines of `proposals` numbered from `first` under `parent`.
fn render(
    proposals: &[ProposedTask],
    parent: &TaskId,
    first: u32,
    style: &Style,
    existing: &dyn Fn(&TaskId) -> bool,
    out: &mut Vec<String>,
) {
    let ids: Vec<TaskId> = (0..proposals.len())
        .map(|k| parent.child(first + k as u32))
        .collect();
    for (k, p) in proposals.iter().enumerate() {
        let id = &ids[k];
        let mut title = p.title.clone();
        if !p.children.is_empty() {
            let deps = dependencies(p, k, &ids, proposals, existing);
            let gate = p
                .stage_gate
                .clone()
                .filter(|g| !g.is_empty())
                .unwrap_or_else(|| default_gate(id));
            title = format!("{title} (Dependencies: {deps} | Stage Gate: {gate})");
        }
        out.push(style.render(id, &title));
        if !p.children.is_empty() {
            render(&p.children, id, 1, &deeper(style), existing, out);
        }
    }
}

/// A new branch's Dependencies: what the model named that exists (an ID in the
/// document, or an earlier sibling by title), else the previous sibling, else `None`.
fn dependencies(
    p: &ProposedTask,
    k: usize,
    ids: &[TaskId],
    siblings: &[ProposedTask],
    existing: &dyn Fn(&TaskId) -> bool,
) -> String {
    let mut named: Vec<String> = Vec::new();
    for d in &p.dependencies {
        let d = d
            .trim()
            .trim_start_matches("Task ")
            .trim_start_matches("task ");
        if let Some(id) = TaskId::parse(d) {
            if existing(&id) && !ids[k].is_ancestor_of(&id) && id != ids[k] {
                named.push(id.to_string());
            }
        } else if let Some(j) = siblings[..k]
            .iter()
            .position(|s| s.title.eq_ignore_ascii_case(d))
        {
            named.push(ids[j].to_string());
        }
    }
    named.dedup();
    if !named.is_empty() {
        named.join(", ")
    } else if k > 0 {
        ids[k - 1].to_string()
    } else {
        "None".to_string()
    }
}

/// The text with `proposals` written as children of node `id`: numbered after its
/// existing children, before its check tasks, in the document's style; then the node's
/// missing notes (`node_gate` as its Stage Gate when given) and the check tasks of every
/// task group in its subtree that lacks them.
pub fn insert_children(
    text: &str,
    id: &TaskId,
    proposals: &[ProposedTask],
    node_gate: Option<&str>,
    config: &Config,
) -> Result<String, String> {
    let proposals = cleaned(proposals, MAX_LEVEL.saturating_sub(id.level()));
    if proposals.is_empty() {
        return Err("the model proposed no tasks".to_string());
    }
    if id.level() >= MAX_LEVEL || id.letter().is_some() {
        return Err(format!(
            "{id} is at the deepest level (Stage.Phase.Task.Subtask.Atomic); split it into siblings instead"
        ));
    }
    // 1. The children.
    let text = {
        let (document, findings) = analysed(text, config);
        let tree = TaskTree::from_lines(document.line_items(), config.profile);
        let doc = Doc::new(&tree, &findings, document.rope());
        let i = node_index(&tree, id).ok_or_else(|| no_node(id))?;
        let children = &doc.schildren[i];
        let first = children
            .iter()
            .filter(|&&c| tree.nodes[c].id.letter().is_none())
            .map(|&c| tree.nodes[c].id.last_num())
            .max()
            .unwrap_or(0)
            + 1;
        let style = child_style(&doc, i);
        let exists = |candidate: &TaskId| tree.node_for(candidate).is_some();
        let mut lines = Vec::new();
        render(&proposals, id, first, &style, &exists, &mut lines);
        // Before the check tasks that close the group, else after the whole subtree.
        let closing = children
            .iter()
            .rposition(|&c| !tree.is_check_task(c))
            .map_or(0, |p| p + 1);
        let edit = match (closing, children.get(closing)) {
            (0, Some(&c)) => actions::insert_lines_before(doc.rope, tree.nodes[c].line, &lines),
            (0, None) => actions::insert_lines_after(doc.rope, doc.subtree_end_line(i), &lines),
            (n, _) => {
                let last = doc.subtree_end_line(children[n - 1]);
                actions::insert_lines_after(doc.rope, last, &lines)
            }
        };
        actions::apply(text, &[edit])
    };
    // 2. The node's own notes, now that it has children.
    let text = {
        let (document, findings) = analysed(&text, config);
        let tree = TaskTree::from_lines(document.line_items(), config.profile);
        let doc = Doc::new(&tree, &findings, document.rope());
        let i = node_index(&tree, id).ok_or_else(|| no_node(id))?;
        let mut missing = Vec::new();
        for key in [NoteKey::Dependencies, NoteKey::StageGate] {
            if !tree.nodes[i].has_note(key) {
                let value = match (key, node_gate) {
                    (NoteKey::StageGate, Some(gate)) => gate.to_string(),
                    _ => match notes::value_for(&doc, i, key) {
                        // No gate from the model: a checkable one rather than a TODO.
                        (_, true) => default_gate(id),
                        (value, false) => value,
                    },
                };
                missing.push((key, value));
            }
        }
        let edits = if missing.is_empty() {
            None
        } else {
            notes::add_edits(&doc, i, &missing).or_else(|| {
                // One note at a time when both cannot be added at once.
                notes::add_edits(&doc, i, &missing[..1])
            })
        };
        match edits {
            Some(edits) => actions::apply(&text, &edits),
            None => text,
        }
    };
    // 3. Check tasks of every task group under the node, deeper groups first where two
    // insert at one place.
    let (document, findings) = analysed(&text, config);
    let tree = TaskTree::from_lines(document.line_items(), config.profile);
    let doc = Doc::new(&tree, &findings, document.rope());
    let i = node_index(&tree, id).ok_or_else(|| no_node(id))?;
    let mut groups: Vec<usize> = std::iter::once(i).chain(doc.descendants(i)).collect();
    groups.sort_by_key(|&g| Reverse(tree.nodes[g].level()));
    let mut edits: Vec<Edit> = Vec::new();
    for g in groups {
        if !tree.is_task_group(g) {
            continue;
        }
        let missing = actions::missing_kinds(&tree, g);
        if missing.is_empty() {
            continue;
        }
        if let Some(group_edits) = check_tasks::insert_edits(&doc, g, &missing) {
            edits.extend(group_edits);
        }
    }
    Ok(actions::apply(&text, &edits))
}

/// The leaves under node `id` (not the node itself) that the rules find non-atomic and
/// that can still get children.
pub fn non_atomic_leaves(text: &str, id: &TaskId, config: &Config) -> Vec<TaskId> {
    let (document, findings) = analysed(text, config);
    let tree = TaskTree::from_lines(document.line_items(), config.profile);
    findings
        .iter()
        .filter(|f| f.code == Code::NonAtomic)
        .filter_map(|f| {
            tree.nodes
                .iter()
                .find(|n| n.line == f.location.line && n.written.is_some())
        })
        .map(|n| n.id.clone())
        .filter(|leaf| (id.is_ancestor_of(leaf) || leaf == id) && leaf.level() < MAX_LEVEL)
        .collect()
}

/// A change of whole lines: lines `start..end` of the old text become `lines`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineChange {
    pub start: usize,
    pub end: usize,
    pub old: Vec<String>,
    pub lines: Vec<String>,
}

fn split_lines(text: &str) -> Vec<&str> {
    text.split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect()
}

/// The one change of whole lines that turns `old` into `new` (common lines at both ends
/// kept), or `None` when they are equal.
pub fn line_diff(old: &str, new: &str) -> Option<LineChange> {
    if old == new {
        return None;
    }
    let a = split_lines(old);
    let b = split_lines(new);
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let max_suffix = a.len().min(b.len()) - prefix;
    let suffix = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take(max_suffix)
        .take_while(|(x, y)| x == y)
        .count();
    Some(LineChange {
        start: prefix,
        end: a.len() - suffix,
        old: a[prefix..a.len() - suffix]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        lines: b[prefix..b.len() - suffix]
            .iter()
            .map(|s| s.to_string())
            .collect(),
    })
}

impl LineChange {
    /// The change as an edit of whole lines of `rope`'s text (line breaks in `eol`).
    pub fn edit(&self, rope: &ropey::Rope, shift: isize) -> Edit {
        let start = (self.start as isize + shift) as usize;
        let end = (self.end as isize + shift) as usize;
        let eol = actions::eol(rope);
        let last_line = rope.len_lines().saturating_sub(1);
        if end > last_line {
            // The change runs to the end of the text: replace from the end of the line
            // before it, so no line break is left over or missing.
            let from = if start == 0 {
                Pos::new(0, 0)
            } else {
                actions::line_end(rope, start - 1)
            };
            let mut text: String = self.lines.iter().map(|l| format!("{eol}{l}")).collect();
            if start == 0 {
                text = text.strip_prefix(eol).unwrap_or(&text).to_string();
            }
            return Edit {
                start: from,
                end: actions::line_end(rope, last_line),
                new_text: text,
            };
        }
        let text: String = self.lines.iter().map(|l| format!("{l}{eol}")).collect();
        Edit {
            start: Pos::new(start, 0),
            end: Pos::new(end, 0),
            new_text: text,
        }
    }

    /// Where this change applies in `current` (a later version of the text): shifted by
    /// as many lines as node `id` moved, if the lines it replaces are unchanged there.
    pub fn reanchor(
        &self,
        original: &str,
        current: &str,
        id: &TaskId,
        config: &Config,
    ) -> Option<isize> {
        let line_of = |text: &str| {
            let document = Document::new(text, 0);
            let tree = TaskTree::from_lines(document.line_items(), config.profile);
            node_index(&tree, id).map(|i| tree.nodes[i].line)
        };
        let shift = line_of(current)? as isize - line_of(original)? as isize;
        let lines = split_lines(current);
        let start = self.start as isize + shift;
        let end = self.end as isize + shift;
        if start < 0 || end as usize > lines.len() {
            return None;
        }
        let now = &lines[start as usize..end as usize];
        // The node's own line must be the same too when the change starts below it.
        let node_line = line_of(original)?;
        let original_lines = split_lines(original);
        let node_same =
            lines.get((node_line as isize + shift) as usize) == original_lines.get(node_line);
        (now == self.old.as_slice() && node_same).then_some(shift)
    }
}

/// Progress of an expansion, for `$/progress` and the command line.
pub type Progress<'p> = &'p mut (dyn FnMut(String) + Send);

/// What an expansion did.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub text: String,
    /// Model calls made.
    pub calls: u32,
    /// Leaves the rules still find non-atomic after the last pass.
    pub still_non_atomic: Vec<TaskId>,
}

/// Asks the model for the children of `id` and writes them in.
async fn expand_once(
    llm: &Llm,
    text: &str,
    id: &TaskId,
    config: &Config,
    source: Option<&Source>,
    progress: Progress<'_>,
) -> Result<String, LlmError> {
    let prompt = prompt(text, id, config, source).map_err(LlmError::Settings)?;
    progress(format!("asking the model to expand {id}"));
    let what = id.to_string();
    let mut on_event = |event: Event| progress(describe(&what, event));
    let answer = llm.complete(&prompt, &mut on_event).await?;
    let proposals = parse_answer(&answer).map_err(|detail| bad_answer(detail, &answer))?;
    let gate = answer_gate(&answer);
    insert_children(text, id, &proposals, gate.as_deref(), config)
        .map_err(|detail| bad_answer(detail, &answer))
}

/// A progress message for an event of the model call about `what`.
pub fn describe(what: &str, event: Event) -> String {
    match event {
        Event::Sent { endpoint } => format!("{what}: waiting for {endpoint}"),
        Event::Received { chars } => format!("{what}: {chars} characters received"),
        Event::Retrying { after, reason } => format!(
            "{what}: {reason}; retrying in {} s",
            after.as_secs_f32().ceil()
        ),
    }
}

/// The error for an answer that is no usable task list; the raw answer is logged.
pub fn bad_answer(detail: String, raw: &str) -> LlmError {
    // The raw answer goes to the log (it holds no secret: it is what the model wrote).
    eprintln!("wbs-lsp: the model's answer was not usable ({detail}); it was:\n{raw}");
    LlmError::BadAnswer {
        detail,
        raw: raw.to_string(),
    }
}

/// Expands node `id` of `text`, then sends leaves the rules still find non-atomic back
/// for another pass, `llm.passes` passes in all.
pub async fn expand(
    llm: &Llm,
    text: &str,
    id: &TaskId,
    config: &Config,
    source: Option<&Source>,
    progress: Progress<'_>,
) -> Result<Outcome, LlmError> {
    let mut current = expand_once(llm, text, id, config, source, progress).await?;
    let mut calls = 1;
    refine(llm, &mut current, id, config, source, &mut calls, progress).await?;
    let still_non_atomic = non_atomic_leaves(&current, id, config);
    Ok(Outcome {
        text: current,
        calls,
        still_non_atomic,
    })
}

/// The refinement passes after the first: each non-atomic leaf under `id` is expanded.
pub async fn refine(
    llm: &Llm,
    text: &mut String,
    id: &TaskId,
    config: &Config,
    source: Option<&Source>,
    calls: &mut u32,
    progress: Progress<'_>,
) -> Result<(), LlmError> {
    let passes = config.llm.passes().max(1);
    for pass in 2..=passes {
        let leaves = non_atomic_leaves(text, id, config);
        if leaves.is_empty() {
            break;
        }
        progress(format!(
            "pass {pass} of {passes}: {} still non-atomic",
            leaves
                .iter()
                .map(|l| l.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        for leaf in leaves {
            *text = expand_once(llm, text, &leaf, config, source, progress).await?;
            *calls += 1;
        }
    }
    Ok(())
}

/// The WBS a document names on a "Provenance" or "Expanded from" line: a Markdown link's
/// target, a path in backticks, or a word ending in `.md`.
pub fn source_link(text: &str) -> Option<String> {
    for line in text.lines().take(200) {
        let lower = line.to_ascii_lowercase();
        if !(lower.contains("provenance") || lower.contains("expanded from")) {
            continue;
        }
        if let Some(p) = line.find("](") {
            let rest = &line[p + 2..];
            if let Some(end) = rest.find(')') {
                let target = rest[..end].trim().trim_matches(['<', '>']);
                if !target.is_empty() && !target.contains("://") {
                    return Some(target.split('#').next().unwrap_or(target).to_string());
                }
            }
        }
        if let Some(p) = line.find('`') {
            if let Some(end) = line[p + 1..].find('`') {
                let target = &line[p + 1..p + 1 + end];
                if target.ends_with(".md") {
                    return Some(target.to_string());
                }
            }
        }
        if let Some(word) = line
            .split(|c: char| c.is_whitespace() || c == '(' || c == ')' || c == ',')
            .find(|w| w.ends_with(".md") && !w.contains("://"))
        {
            return Some(word.trim_matches(['*', '_', '"', '\'']).to_string());
        }
    }
    None
}

#[cfg(test)]
mod tests;
