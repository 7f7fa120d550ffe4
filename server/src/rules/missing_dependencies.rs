use super::{name, Code, Sink};
use crate::model::line::NoteKey;
use crate::model::TaskTree;

/// A node with children and no Dependencies note.
pub fn check(tree: &TaskTree, sink: &mut Sink) {
    for (i, node) in tree.nodes.iter().enumerate() {
        if node.children.is_empty() || node.has_note(NoteKey::Dependencies) {
            continue;
        }
        let message = format!(
            "{} has no Dependencies note; add \"Dependencies: …\" with the IDs it needs, or \"Dependencies: None\"",
            name(tree, i)
        );
        sink.on_node(
            i,
            Code::MissingDependencies,
            Code::MissingDependencies.default_severity(),
            message,
        );
    }
}
