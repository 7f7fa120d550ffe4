use super::{name, Code, Severity, Sink};
use crate::model::line::NoteKey;
use crate::model::TaskTree;

/// A node with children and no Stage Gate note: a warning on a stage, information below.
pub fn check(tree: &TaskTree, sink: &mut Sink) {
    for (i, node) in tree.nodes.iter().enumerate() {
        if node.children.is_empty() || node.has_note(NoteKey::StageGate) {
            continue;
        }
        let severity = if node.level() == 1 {
            Severity::Warning
        } else {
            Severity::Information
        };
        let message = format!(
            "{} has no Stage Gate note; add \"Stage Gate: …\" saying what must hold before moving on",
            name(tree, i)
        );
        sink.on_node(i, Code::MissingStageGate, severity, message);
    }
}
