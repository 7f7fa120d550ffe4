//! Code actions, prepareRename and rename: the pure `crate::actions` in LSP types.
//!
//! Quick fixes are offered for every finding on the lines the request's range touches
//! (Helix sends a one-character range, VS Code an empty one or the selection), with the
//! diagnostics they fix built exactly as the published ones; refactorings for the node
//! on the first line; source actions (every missing check task, renumber the document,
//! `source.fixAll.wbs-lsp`) when asked for by `context.only`, or when the client asks
//! without `only` on the user's demand (not on automatic, cursor-move requests: fix-all
//! re-analyses the text a few times). Edits carry the document version, so a client
//! refuses them once the document has changed.

use ropey::Rope;
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::*;

use super::convert::{self, Encoding};
use super::server::{Backend, Snapshot};
use crate::actions::{self as pure, fix_all, rename as pure_rename, Action, ActionKind, Doc};
use crate::analysis::Analyzer;
use crate::config::Config;

pub async fn code_action(
    backend: &Backend,
    params: CodeActionParams,
) -> Result<Option<CodeActionResponse>> {
    let uri = params.text_document.uri.clone();
    let snapshot = backend.snapshot(&uri)?;
    let config = backend.config(&uri);
    let encoding = backend.encoding();
    let task_uri = uri.clone();
    let actions = backend
        .with_analyzer(&uri, move |analyzer| {
            code_actions(&snapshot, analyzer, &config, encoding, &task_uri, &params)
        })
        .await
        .ok_or_else(Error::internal_error)?;
    Ok(Some(actions))
}

/// Whether `kind` is asked for by `only` (a kind matches itself and its sub-kinds).
fn asked(only: Option<&Vec<CodeActionKind>>, kind: ActionKind) -> bool {
    let kind = kind.as_str();
    only.is_none_or(|only| {
        only.iter().any(|o| {
            let o = o.as_str();
            kind == o || (kind.starts_with(o) && kind.as_bytes().get(o.len()) == Some(&b'.'))
        })
    })
}

fn code_actions(
    snapshot: &Snapshot,
    analyzer: &mut Analyzer,
    config: &Config,
    encoding: Encoding,
    uri: &Uri,
    params: &CodeActionParams,
) -> Vec<CodeActionOrCommand> {
    let only = params.context.only.as_ref();
    let automatic = params.context.trigger_kind == Some(CodeActionTriggerKind::AUTOMATIC);
    let wbs_actions = if !automatic && asked(only, ActionKind::Source) && is_wbs(snapshot, uri) {
        wbs_actions(uri)
    } else {
        Vec::new()
    };
    if !snapshot.is_task_list(uri, config) {
        return wbs_actions;
    }
    let rope = &snapshot.rope;
    let tree = snapshot.tree(config);
    // The same findings the diagnostics carry, reused from the document's last analysis.
    let findings = snapshot.findings(analyzer, config);
    let doc = Doc::new(&tree, &findings, rope);

    let range = params.range;
    let first = range.start.line as usize;
    let mut last = (range.end.line as usize).max(first);
    // A selection that ends at the start of a line does not touch that line.
    if last > first && range.end.character == 0 {
        last -= 1;
    }
    let sources = match only {
        Some(_) => true,
        None => !automatic,
    };

    let mut actions: Vec<Action> = Vec::new();
    if asked(only, ActionKind::QuickFix) {
        for finding in findings
            .iter()
            .filter(|f| (first..=last).contains(&f.location.line))
        {
            actions.extend(pure::quick_fixes(&doc, finding));
        }
    }
    if asked(only, ActionKind::RefactorRewrite) {
        if let Some(node) = doc.node_on_line(first) {
            actions.extend(pure::renumber::renumber_children(&doc, node));
        }
    }
    if sources && asked(only, ActionKind::Source) {
        actions.extend(pure::check_tasks::insert_all(&doc));
        actions.extend(pure::renumber::renumber_document(&doc));
    }
    if sources && asked(only, ActionKind::SourceFixAll) {
        actions.extend(fix_all::fix_all(&tree, &findings, rope, &config.rules));
    }

    // One action per title: two findings of one group offer the same renumbering.
    let mut merged: Vec<Action> = Vec::new();
    for action in actions {
        match merged.iter_mut().find(|a| a.title == action.title) {
            Some(existing) => {
                for f in action.fixes {
                    if !existing.fixes.contains(&f) {
                        existing.fixes.push(f);
                    }
                }
            }
            None => merged.push(action),
        }
    }
    let mut lsp_actions: Vec<CodeActionOrCommand> = merged
        .into_iter()
        .map(|a| CodeActionOrCommand::CodeAction(to_lsp(a, rope, encoding, uri, snapshot.version)))
        .collect();
    lsp_actions.extend(command_actions(
        &doc, &findings, first, only, rope, encoding, uri,
    ));
    lsp_actions.extend(wbs_actions);
    if sources && asked(only, ActionKind::Source) {
        // The graph command made reachable in editors that show no command list.
        let title = "Write the dependency graph beside this file (Mermaid)".to_string();
        lsp_actions.push(CodeActionOrCommand::CodeAction(CodeAction {
            title: title.clone(),
            kind: Some(CodeActionKind::SOURCE),
            command: Some(Command {
                title,
                command: super::commands::WRITE_GRAPH.to_string(),
                arguments: Some(vec![serde_json::json!(uri.as_str())]),
            }),
            ..CodeAction::default()
        }));
    }
    lsp_actions
}

/// A code action that runs one of the server's commands on this document.
fn command_action(
    title: String,
    kind: CodeActionKind,
    command: &str,
    arguments: serde_json::Value,
    diagnostics: Option<Vec<Diagnostic>>,
) -> CodeActionOrCommand {
    CodeActionOrCommand::CodeAction(CodeAction {
        title: title.clone(),
        kind: Some(kind),
        diagnostics,
        command: Some(Command {
            title,
            command: command.to_string(),
            arguments: Some(vec![arguments]),
        }),
        ..CodeAction::default()
    })
}

/// Actions that run slow commands on the node of the first requested line: expand it
/// with the model (a quick fix of its `non-atomic` finding, else a rewrite), and, on a
/// Document check task, open its group's section in `task_outcomes.md`.
fn command_actions(
    doc: &Doc,
    findings: &[crate::rules::Finding],
    line: usize,
    only: Option<&Vec<CodeActionKind>>,
    rope: &Rope,
    encoding: Encoding,
    uri: &Uri,
) -> Vec<CodeActionOrCommand> {
    let tree = doc.tree;
    let Some(i) = doc.node_on_line(line) else {
        return Vec::new();
    };
    let node = &tree.nodes[i];
    if node.inactive || node.duplicate_of.is_some() {
        return Vec::new();
    }
    let mut out = Vec::new();
    if tree.is_check_task(i) {
        let document = tree.check_kind(i) == Some(crate::model::line::CheckKind::Document);
        if let (true, Some(parent)) = (document, node.id.parent()) {
            if asked(only, ActionKind::Refactor) {
                out.push(command_action(
                    format!("Record the outcome of Task {parent} in task_outcomes.md"),
                    CodeActionKind::REFACTOR,
                    super::llm::RECORD_OUTCOME,
                    serde_json::json!({"uri": uri.as_str(), "id": parent.to_string()}),
                    None,
                ));
            }
        }
        return out;
    }
    if node.level() >= crate::expand::MAX_LEVEL || node.id.letter().is_some() {
        return out;
    }
    let non_atomic: Vec<Diagnostic> = findings
        .iter()
        .filter(|f| f.code == crate::rules::Code::NonAtomic && f.location.line == node.line)
        .map(|f| convert::diagnostic(rope, f, encoding, uri))
        .collect();
    let (kind, action_kind) = if non_atomic.is_empty() {
        (
            CodeActionKind::REFACTOR_REWRITE,
            ActionKind::RefactorRewrite,
        )
    } else {
        (CodeActionKind::QUICKFIX, ActionKind::QuickFix)
    };
    if asked(only, action_kind) {
        out.push(command_action(
            format!("Expand {} into atomic tasks (LLM)", node.id),
            kind,
            super::llm::EXPAND,
            serde_json::json!({"uri": uri.as_str(), "id": node.id.to_string()}),
            (!non_atomic.is_empty()).then_some(non_atomic),
        ));
    }
    out
}

/// Whether a document is a WBS: its name says so, or its title does.
fn is_wbs(snapshot: &Snapshot, uri: &Uri) -> bool {
    let named = uri
        .as_str()
        .rsplit('/')
        .next()
        .is_some_and(|name| name.to_ascii_lowercase().contains("wbs"));
    let titled = (0..snapshot.rope.len_lines().min(20)).any(|l| {
        let line = snapshot.line(l).to_ascii_lowercase();
        line.starts_with("# ") && line.contains("work breakdown")
    });
    let task_list = snapshot
        .line_items()
        .filter(|(_, item)| item.node().is_some())
        .nth(crate::config::MIN_NODES_TO_ANALYSE - 1)
        .is_some();
    (named || titled) && !task_list
}

/// Source actions on a WBS: write a task list from it, with the model or as a skeleton.
fn wbs_actions(uri: &Uri) -> Vec<CodeActionOrCommand> {
    let arguments = serde_json::json!({"uri": uri.as_str()});
    vec![
        command_action(
            "Generate a task list from this WBS (LLM)".to_string(),
            CodeActionKind::SOURCE,
            super::llm::GENERATE,
            arguments.clone(),
            None,
        ),
        command_action(
            "Scaffold a three-stage task list from this WBS (no LLM)".to_string(),
            CodeActionKind::SOURCE,
            super::llm::SCAFFOLD,
            arguments,
            None,
        ),
    ]
}

fn to_lsp(action: Action, rope: &Rope, encoding: Encoding, uri: &Uri, version: i32) -> CodeAction {
    let diagnostics = action
        .fixes
        .iter()
        .map(|f| convert::diagnostic(rope, f, encoding, uri))
        .collect();
    CodeAction {
        title: action.title,
        kind: Some(CodeActionKind::from(action.kind.as_str().to_string())),
        diagnostics: Some(diagnostics),
        edit: Some(workspace_edit(&action.edits, rope, encoding, uri, version)),
        is_preferred: action.preferred.then_some(true),
        ..CodeAction::default()
    }
}

/// The edits as a versioned `documentChanges` edit of one document.
pub(super) fn workspace_edit(
    edits: &[pure::Edit],
    rope: &Rope,
    encoding: Encoding,
    uri: &Uri,
    version: i32,
) -> WorkspaceEdit {
    let mut sorted: Vec<&pure::Edit> = edits.iter().collect();
    sorted.sort_by_key(|e| (e.start, e.end));
    let edits = sorted
        .into_iter()
        .map(|e| {
            OneOf::Left(TextEdit {
                range: Range::new(
                    convert::position(rope, e.start.line, e.start.col, encoding),
                    convert::position(rope, e.end.line, e.end.col, encoding),
                ),
                new_text: e.new_text.clone(),
            })
        })
        .collect();
    WorkspaceEdit {
        document_changes: Some(DocumentChanges::Edits(vec![TextDocumentEdit {
            text_document: OptionalVersionedTextDocumentIdentifier {
                uri: uri.clone(),
                version: Some(version),
            },
            edits,
        }])),
        ..WorkspaceEdit::default()
    }
}

/// The (line, byte column) of an LSP position.
fn line_col(rope: &Rope, position: Position, encoding: Encoding) -> (usize, u32) {
    let byte = convert::offset(rope, position, encoding);
    let line = rope.byte_to_line(byte);
    (line, (byte - rope.line_to_byte(line)) as u32)
}

pub fn prepare_rename(
    backend: &Backend,
    params: TextDocumentPositionParams,
) -> Result<Option<PrepareRenameResponse>> {
    let uri = params.text_document.uri;
    let snapshot = backend.snapshot(&uri)?;
    let config = backend.config(&uri);
    let encoding = backend.encoding();
    let rope = &snapshot.rope;
    let tree = snapshot.tree(&config);
    let doc = Doc::new(&tree, &[], rope);
    let (line, col) = line_col(rope, params.position, encoding);
    let target = pure_rename::target_at(&doc, line, col).map_err(Error::invalid_params)?;
    let text = doc.line(target.line)[target.start as usize..target.end as usize].to_string();
    Ok(Some(PrepareRenameResponse::RangeWithPlaceholder {
        range: Range::new(
            convert::position(rope, target.line, target.start, encoding),
            convert::position(rope, target.line, target.end, encoding),
        ),
        placeholder: text,
    }))
}

pub fn rename(backend: &Backend, params: RenameParams) -> Result<Option<WorkspaceEdit>> {
    let position = params.text_document_position;
    let uri = position.text_document.uri;
    let snapshot = backend.snapshot(&uri)?;
    let config = backend.config(&uri);
    let encoding = backend.encoding();
    let rope = &snapshot.rope;
    let tree = snapshot.tree(&config);
    let doc = Doc::new(&tree, &[], rope);
    let (line, col) = line_col(rope, position.position, encoding);
    let target = pure_rename::target_at(&doc, line, col).map_err(Error::invalid_params)?;
    let edits =
        pure_rename::rename(&doc, target.node, &params.new_name).map_err(Error::invalid_params)?;
    Ok(Some(workspace_edit(
        &edits,
        rope,
        encoding,
        &uri,
        snapshot.version,
    )))
}
