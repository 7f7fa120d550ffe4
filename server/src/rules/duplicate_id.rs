use super::{name, node_location, Code, Related, Sink};
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
        let message = format!(
            "ID {} is already used on line {}; give this node its own number",
            node.id,
            tree.nodes[first].line + 1
        );
        let severity = Code::DuplicateId.default_severity();
        if let Some(finding) = sink.on_node(i, Code::DuplicateId, severity, message) {
            finding.related.push(Related {
                location: node_location(tree, first),
                message: format!("{} is first written here", name(tree, first)),
            });
        }
    }
}
