//! wbs-lsp: checks hierarchical Markdown task lists (Stage.Phase.Task.Subtask.Atomic).
//!
//! Data flows one way: text edit -> [`document`] (rope + syntax trees) -> [`model`] (task
//! tree) -> [`rules`] (findings) -> [`lsp`] (the only layer that knows LSP types).

pub mod actions;
pub mod analysis;
pub mod check;
pub mod config;
pub mod document;
pub mod expand;
pub mod generate;
pub mod graph;
pub mod llm;
pub mod llm_commands;
pub mod lsp;
pub mod model;
pub mod navigation;
pub mod rules;
pub mod scaffold;
pub mod syntax;
pub mod testgen;
pub mod wbs;

use std::path::Path;

use config::{Config, MIN_NODES_TO_ANALYSE};
use model::line::LineItem;
use model::TaskTree;
use rules::Finding;

/// The findings of a document: the one path shared by the server and `check`.
pub fn analyze<'a>(
    lines: impl Iterator<Item = (usize, &'a LineItem)>,
    config: &Config,
) -> Vec<Finding> {
    let tree = TaskTree::from_lines(lines, config.profile);
    rules::check(&tree, &config.rules)
}

/// Whether a Markdown document is a task list: its name matches the include globs, or it
/// has at least three task nodes. The one test behind diagnostics, actions and navigation.
pub fn is_task_list<'a>(
    path: Option<&Path>,
    lines: impl IntoIterator<Item = (usize, &'a LineItem)>,
    config: &Config,
) -> bool {
    if path.is_some_and(|p| config.includes(p)) {
        return true;
    }
    lines
        .into_iter()
        .filter(|(_, item)| item.node().is_some())
        .nth(MIN_NODES_TO_ANALYSE - 1)
        .is_some()
}
