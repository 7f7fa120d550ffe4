use super::{name, node_location, Code, Related, Sink};
use crate::model::id::TaskId;
use crate::model::TaskTree;

/// A later occurrence of an ID already written above.
pub fn check(tree: &TaskTree, sink: &mut Sink) {
    for (i, node) in tree.nodes.iter().enumerate() {
        let Some(first) = node.duplicate_of else {
            continue;
        };
        // The first occurrence's title is left out on purpose: the messages of structural
        // rules depend only on the structure, so they stay valid while titles are typed
        // (see analysis.rs).
        let message = message(&node.id, tree.nodes[first].line);
        let severity = Code::DuplicateId.default_severity();
        if let Some(finding) = sink.on_node(i, Code::DuplicateId, severity, message) {
            finding.related.push(Related {
                location: node_location(tree, first),
                message: format!("{} is first written here", name(tree, first)),
            });
        }
    }
}

/// The message on a duplicate of `id` whose first occurrence stands on `first_line`
/// (0-based); the only message that names a line (the analysis writes it again when lines
/// move).
pub fn message(id: &TaskId, first_line: usize) -> String {
    format!(
        "ID {id} is already used on line {}; give this node its own number",
        first_line + 1
    )
}
